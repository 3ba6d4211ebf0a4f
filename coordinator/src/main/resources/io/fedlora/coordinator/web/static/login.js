// The one-time token arrives in the URL fragment (never sent to the server in a request line);
// POST it, forget it, and go to the dashboard.
(function () {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  history.replaceState(null, '', '/login');
  const status = document.getElementById('status');
  if (!token) {
    status.textContent = 'No sign-in token: ask an admin for a link (fedlora admin dashboard-login).';
    return;
  }
  fetch('/api/v1/session', {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({token: token})})
    .then(r => r.json().then(b => ({ok: r.ok, body: b})))
    .then(r => {
      if (r.ok) { location.replace('/'); } else { status.textContent = r.body.error.message; }
    })
    .catch(() => { status.textContent = 'Could not reach the coordinator.'; });
})();
