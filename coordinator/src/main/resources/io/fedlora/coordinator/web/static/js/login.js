// Sign-in: the one-time token arrives in the link's fragment (#token=...), which browsers never send
// to the server or to access logs; it is removed from the address bar before anything else happens.

import { signIn } from './api.js';
import { announce } from './dom.js';

async function useToken(token) {
  announce('Signing in…');
  try {
    const session = await signIn(token);
    announce('Signed in as ' + session.name + ' (' + session.role + ')', 'ok');
    location.replace('/');
  } catch (e) {
    announce(e.status === 401 || e.status === 403
      ? 'That sign-in link is used, expired or unknown: ask for a new one.'
      : 'Sign-in failed: ' + e.message, 'error');
  }
}

/** Takes the token out of the fragment (and the address bar, and the history) and signs in with it. */
function tokenFromFragment() {
  const token = new URLSearchParams(location.hash.substring(1)).get('token');
  if (location.hash) {
    history.replaceState(null, '', location.pathname + location.search);
  }
  if (token) {
    useToken(token);
  }
}

if (new URLSearchParams(location.search).get('expired')) {
  announce('Your session has ended: sign in again.', 'error');
}
tokenFromFragment();
// A sign-in link opened while this page is already shown changes only the fragment.
window.addEventListener('hashchange', tokenFromFragment);
document.getElementById('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.getElementById('login-token');
  const value = input.value.trim();
  input.value = '';
  if (value) {
    useToken(value);
  }
});
