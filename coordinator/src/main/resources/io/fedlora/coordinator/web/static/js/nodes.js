// Nodes: who is enrolled and connected, their certificates and base models, the ε each reports per
// job; admins revoke nodes and create enrollment tokens here (a token is shown once, then forgotten).

import { api, seg } from './api.js';
import { el, announce } from './dom.js';
import { startPage, hasRole } from './layout.js';
import * as fmt from './format.js';

/** node id → [{job, epsilon}] from each job's privacy report; a report this principal may not read is left out. */
async function epsilonByNode() {
  const byNode = new Map();
  const { jobs } = await api.get('/api/v1/jobs');
  for (const job of jobs) {
    let report;
    try {
      report = await api.get('/api/v1/jobs/' + seg(job.id) + '/privacy');
    } catch (e) {
      continue;
    }
    // {"nodes": {"<node id>": {"dp_epsilon_job": ε this job, "dp_epsilon_overall": ...}}}: what each node's ledger reports.
    for (const [id, metrics] of Object.entries(report.nodes || {})) {
      const epsilon = metrics.dp_epsilon_job;
      if (epsilon === undefined) {
        continue;
      }
      const list = byNode.get(id) || [];
      list.push({ job: job.name || job.id, epsilon });
      byNode.set(id, list);
    }
  }
  return byNode;
}

/** A node may hold several base models: each hash shortened, the full one in its title. */
function hashes(value) {
  const list = Array.isArray(value) ? value : (value ? [value] : []);
  return list.length === 0 ? '–' : list.map((h) => el('code', { title: h }, fmt.shortHash(h), ' '));
}

function nodeRow(node, epsilons, admin, onRevoke) {
  const eps = (epsilons.get(node.id) || []).map((e) => e.job + ': ' + fmt.epsilon(e.epsilon)).join(', ');
  const revoke = admin && !node.revoked
    ? el('button', { type: 'button', class: 'danger', 'data-revoke': node.id,
      'aria-label': 'Revoke node ' + (node.name || node.id), onclick: () => onRevoke(node) }, 'Revoke')
    : '–';
  return el('tr', { 'data-node': node.id, 'data-revoked': node.revoked ? 'true' : 'false' },
    el('th', { scope: 'row' }, node.name || node.id, el('br'), el('code', {}, node.id)),
    el('td', { class: node.connected ? 'ok' : 'bad' }, node.connected ? 'connected' : 'offline'),
    el('td', {}, fmt.time(node.lastSeen)),
    el('td', {}, fmt.time(node.certificateExpiry)),
    el('td', {}, hashes(node.baseModelSha256)),
    el('td', {}, node.device || '–'),
    el('td', {}, eps || '–'),
    el('td', { class: node.revoked ? 'bad' : null }, node.revoked ? 'revoked' : 'no'),
    el('td', {}, revoke));
}

async function draw(session) {
  const admin = hasRole(session, 'admin');
  const [{ nodes }, epsilons] = await Promise.all([api.get('/api/v1/nodes'), epsilonByNode()]);
  const onRevoke = async (node) => {
    const reason = window.prompt('Why is node ' + (node.name || node.id) + ' revoked? (written to the audit log)',
      'revoked from the dashboard');
    if (reason === null) {
      return;
    }
    try {
      await api.post('/api/v1/nodes/' + seg(node.id) + '/revoke', { reason });
      // Announced once the table shows it, so what the status says is what the page shows.
      await draw(session);
      announce('Node ' + (node.name || node.id) + ' revoked: it takes part in no further round.', 'ok');
    } catch (e) {
      announce('Revoke refused: ' + e.message, 'error');
    }
  };
  document.querySelector('#nodes tbody').replaceChildren(...nodes.map((n) => nodeRow(n, epsilons, admin, onRevoke)));
  if (nodes.length === 0) {
    announce('No node has enrolled yet.');
  }
}

function enrollment() {
  document.getElementById('enroll').hidden = false;
  const result = document.getElementById('enroll-result');
  document.getElementById('enroll-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = document.getElementById('enroll-name').value.trim();
    const role = document.getElementById('enroll-role').value;
    const ttlSeconds = Math.round(Number(document.getElementById('enroll-ttl').value) * 3600);
    try {
      const made = await api.post('/api/v1/enrollment-tokens', { name, role, ttlSeconds });
      // Shown once: the coordinator keeps only its hash, and this page drops it on the next action.
      result.replaceChildren(el('p', {}, 'Enrollment token for ', el('strong', {}, name), ' (', role,
        '), valid until ', fmt.time(made.expiresAt), '. Copy it now: it is not shown again.'),
      el('p', { class: 'token' }, el('code', { id: 'enroll-token' }, made.token)));
      document.getElementById('enroll-name').value = '';
    } catch (e) {
      result.replaceChildren();
      announce('Token refused' + (e.field ? ' (' + e.field + ')' : '') + ': ' + e.message, 'error');
    }
  });
}

startPage('nodes', async (session) => {
  if (hasRole(session, 'admin')) {
    enrollment();
  }
  await draw(session);
});
