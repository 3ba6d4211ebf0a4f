// The audit log: paged, filtered by actor and action, with the hash chain's verification result.

import { api } from './api.js';
import { el, announce } from './dom.js';
import { startPage } from './layout.js';
import * as fmt from './format.js';

const query = { page: 0, size: 50, actor: '', action: '' };

function recordRow(r) {
  const outcome = r.outcome ?? r.result ?? (r.allowed === false ? 'refused' : 'ok');
  return el('tr', {},
    el('td', {}, fmt.time(r.time ?? r.at ?? r.timestamp)),
    el('td', {}, r.actor ?? '–'),
    el('td', {}, r.action ?? '–'),
    el('td', {}, r.target ?? '–'),
    el('td', { class: /refus|denied|fail/i.test(String(outcome)) ? 'bad' : null }, String(outcome)),
    el('td', {}, r.detail ?? r.reason ?? ''));
}

async function load() {
  const params = new URLSearchParams({ page: query.page, size: query.size });
  if (query.actor) {
    params.set('actor', query.actor);
  }
  if (query.action) {
    params.set('action', query.action);
  }
  const result = await api.get('/api/v1/audit?' + params);
  const chain = document.getElementById('chain');
  chain.replaceChildren(result.chainValid
    ? el('span', { class: 'ok', id: 'chain-result', 'data-valid': 'true' }, '✔ Hash chain verified: no record was changed or removed.')
    : el('span', { class: 'bad', id: 'chain-result', 'data-valid': 'false' }, '✘ Hash chain broken: the audit log was altered.'));
  document.querySelector('#audit tbody').replaceChildren(...result.records.map(recordRow));
  const pages = Math.max(1, Math.ceil(result.total / query.size));
  document.getElementById('page-info').textContent = 'page ' + (query.page + 1) + ' of ' + pages
    + ' (' + result.total + ' records)';
  document.getElementById('page-prev').disabled = query.page === 0;
  document.getElementById('page-next').disabled = query.page + 1 >= pages;
}

startPage('audit', async () => {
  document.getElementById('filter').addEventListener('submit', (event) => {
    event.preventDefault();
    query.actor = document.getElementById('filter-actor').value.trim();
    query.action = document.getElementById('filter-action').value.trim();
    query.size = Number(document.getElementById('filter-size').value);
    query.page = 0;
    load().catch((e) => announce(e.message, 'error'));
  });
  document.getElementById('page-prev').addEventListener('click', () => {
    query.page = Math.max(0, query.page - 1);
    load().catch((e) => announce(e.message, 'error'));
  });
  document.getElementById('page-next').addEventListener('click', () => {
    query.page += 1;
    load().catch((e) => announce(e.message, 'error'));
  });
  await load();
});
