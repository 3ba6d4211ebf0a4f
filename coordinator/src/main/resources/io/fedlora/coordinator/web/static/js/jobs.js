// The jobs list: one row per job, replaced (or added) whenever the all-jobs stream sends a `job` event.

import { api, seg } from './api.js';
import { el, announce } from './dom.js';
import { startPage } from './layout.js';
import { subscribe, liveIndicator } from './live.js';
import * as fmt from './format.js';

function row(job) {
  return el('tr', { 'data-job': job.id },
    el('th', { scope: 'row' }, el('a', { href: '/job/?id=' + seg(job.id) }, job.name || job.id),
      el('br'), el('code', {}, job.id)),
    el('td', { class: 'state state-' + job.state }, job.state),
    el('td', { class: 'num' }, fmt.roundsText(job, ' / ')),
    el('td', { class: 'num' }, fmt.num(job.trainLoss)),
    el('td', { class: 'num' }, fmt.heldOut(job.evalMetric, job.evalOfVersion)),
    el('td', { class: 'num' }, fmt.epsilon(job.epsilonSpent) + ' / ' + fmt.epsilon(job.epsilonBudget)),
    el('td', {}, fmt.secaggText(job.secagg)),
    el('td', {}, job.aggregation || '–'),
    el('td', {}, job.strategy || '–'));
}

function upsert(tbody, job) {
  const fresh = row(job);
  const old = tbody.querySelector('tr[data-job="' + CSS.escape(job.id) + '"]');
  if (old) {
    old.replaceWith(fresh);
  } else {
    tbody.append(fresh);
  }
}

startPage('jobs', async () => {
  document.getElementById('title').append(liveIndicator());
  const tbody = document.querySelector('#jobs tbody');
  const { jobs } = await api.get('/api/v1/jobs');
  jobs.forEach((job) => upsert(tbody, job));
  if (jobs.length === 0) {
    announce('No jobs yet: create one with fedlora admin create-job.');
  }
  // One stream for every job: rows of jobs created, changed or advanced since, including ones created after
  // the page loaded. The stream starts with every row, so nothing between the fetch and it is missed.
  subscribe(null, { job: (j) => upsert(tbody, j) }, document.getElementById('live'));
});
