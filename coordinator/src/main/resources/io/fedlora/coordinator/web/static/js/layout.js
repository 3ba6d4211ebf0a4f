// The frame every signed-in page shares: the session check, the navigation and sign-out.

import { currentSession, signOut } from './api.js';
import { el, announce } from './dom.js';

const PAGES = [
  ['jobs', 'Jobs', '/'],
  ['nodes', 'Nodes', '/nodes/'],
  ['audit', 'Audit log', '/audit/'],
];

/** Who may do what; the server enforces it, the page only leaves out what would be refused. */
export const ROLE_RANK = { viewer: 1, operator: 2, admin: 3 };

export function hasRole(session, role) {
  return (ROLE_RANK[session.role] || 0) >= ROLE_RANK[role];
}

/**
 * Checks the session (sending the browser to sign in when there is none), draws the header,
 * and runs the page's own start with the session. Errors land in the status region.
 */
export async function startPage(active, start) {
  let session;
  try {
    session = await currentSession();
  } catch (e) {
    announce('The coordinator did not answer: ' + e.message, 'error');
    return;
  }
  if (!session) {
    location.replace('/login.html?expired=1');
    return;
  }
  drawHeader(active, session);
  try {
    await start(session);
  } catch (e) {
    announce(e.message, 'error');
  }
}

function drawHeader(active, session) {
  const header = document.getElementById('top');
  const links = PAGES.map(([id, label, href]) => el('li', {},
    el('a', { href, 'aria-current': id === active ? 'page' : null }, label)));
  const button = el('button', { type: 'button', id: 'sign-out', class: 'quiet' }, 'Sign out');
  button.addEventListener('click', async () => {
    try {
      await signOut();
    } finally {
      location.replace('/login.html');
    }
  });
  header.replaceChildren(
    el('a', { class: 'brand', href: '/' }, 'fedlora'),
    el('nav', { 'aria-label': 'Main' }, el('ul', {}, links)),
    el('p', { class: 'who' }, 'Signed in as ', el('strong', { id: 'who-name' }, session.name),
      ' (', el('span', { id: 'who-role' }, session.role), ') ', button));
}
