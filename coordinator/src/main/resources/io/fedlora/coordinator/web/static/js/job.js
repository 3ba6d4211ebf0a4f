// One job: summary, the actions this principal may take now, charts, the round timeline and the
// adapter versions; `round` and `job` events keep all of it current.

import { api, seg } from './api.js';
import { el, announce, requiredParam } from './dom.js';
import { startPage } from './layout.js';
import { subscribe, liveIndicator } from './live.js';
import { jobCharts } from './job-charts.js';
import * as fmt from './format.js';

const ACTION_ORDER = ['start', 'pause', 'resume', 'cancel'];

/** "PAUSE_JOB", "pause" and "Pause" all name the pause action. */
export function actionName(action) {
  return String(action).toLowerCase().replace(/_job$/, '');
}

/** Node ids as their names (the id stays in the element's title). */
const nodeNames = new Map();

function nodeName(id) {
  return el('span', { title: id }, nodeNames.get(id) || id);
}

function nodes(list) {
  if (!list || list.length === 0) {
    return '–';
  }
  return list.flatMap((id, i) => (i === 0 ? [nodeName(id)] : [', ', nodeName(id)]));
}

async function loadNodeNames() {
  try {
    const { nodes: all } = await api.get('/api/v1/nodes');
    all.forEach((n) => nodeNames.set(n.id, n.name || n.id));
  } catch (e) {
    // Ids instead of names: the timeline is still right.
  }
}

function stageText(stageMs) {
  const entries = Object.entries(stageMs || {});
  return entries.length ? entries.map(([stage, t]) => stage + ' ' + fmt.ms(t)).join(', ') : '–';
}

function roundRow(jobId, r) {
  const dropped = (r.dropped || []).flatMap((d, i) => [i === 0 ? null : ', ', nodeName(d.node),
    d.stage ? ' (' + d.stage + ')' : '']);
  const state = String(r.state || '').toLowerCase().replace(/^round_state_/, '');
  return el('tr', { 'data-round': r.round, 'data-state': state },
    el('th', { scope: 'row', class: 'num' }, r.round),
    el('td', { class: 'state state-' + state }, state),
    el('td', {}, nodes(r.selected)),
    el('td', {}, nodes(r.contributors)),
    el('td', {}, dropped.length ? dropped : '–'),
    el('td', {}, stageText(r.stageMs)),
    el('td', { class: 'num' }, fmt.ms(r.trainMs) + ' / ' + fmt.ms(r.otherMs)),
    el('td', { class: 'num' }, fmt.num(r.trainLoss)),
    el('td', { class: 'num', title: r.evalNodes ? 'mean of ' + r.evalNodes + ' nodes, held-out loss '
      + fmt.num(r.evalLoss) : '' }, fmt.heldOut(r.evalMetric, r.evalOfVersion)),
    el('td', {}, r.abortReason || '–'),
    el('td', {}, r.adapterVersion === null || r.adapterVersion === undefined ? '–'
      : el('span', {}, 'v' + r.adapterVersion + ' ', el('code', { title: r.sha256 || '' }, fmt.shortHash(r.sha256)))));
}

function versionRow(jobId, v) {
  return el('tr', { 'data-version': v.version },
    el('th', { scope: 'row', class: 'num' }, v.version),
    el('td', {}, el('code', { class: 'hash' }, v.sha256 || '–')),
    el('td', { class: 'num' }, fmt.bytes(v.bytes)),
    el('td', {}, fmt.time(v.createdAt)),
    el('td', {}, el('a', { href: '/api/v1/jobs/' + seg(jobId) + '/adapters/' + seg(v.version),
      download: 'adapter-' + jobId + '-v' + v.version + '.zip' }, 'Download v' + v.version)));
}

function summary(job) {
  const item = (label, value, id) => el('div', {}, el('dt', {}, label), el('dd', { id }, value));
  return [
    item('State', job.state, 'job-state'),
    // Why a job failed (or who cancelled it): the first thing an operator looks for.
    ...(job.failureReason ? [item('Reason', job.failureReason, 'job-reason')] : []),
    item('Rounds', fmt.roundsText(job, ' of '), 'job-rounds'),
    item('Train loss', fmt.num(job.trainLoss)),
    item('Held-out exact match', fmt.heldOut(job.evalMetric, job.evalOfVersion), 'job-eval'),
    item('ε spent / budget', fmt.epsilon(job.epsilonSpent) + ' / ' + fmt.epsilon(job.epsilonBudget)
      + (job.epsilonKind ? ' (' + job.epsilonKind + ')' : ''), 'job-epsilon'),
    item('Secure aggregation', fmt.secaggText(job.secagg)),
    item('Aggregation', job.aggregation || '–'),
    item('Strategy', job.strategy || '–'),
    // Members may hold the base differently (QLoRA's nf4 beside f32): what the versions were trained against.
    item('Base trained against', (job.basePrecisions || []).join(', ') || '–', 'job-base'),
  ];
}

class JobPage {
  constructor(jobId) {
    this.jobId = jobId;
    this.rounds = new Map();
    this.versions = new Map();
    this.versionsChanged = false;
    this.drawPending = false;
    this.job = null;
    this.charts = jobCharts();
  }

  showJob(job) {
    this.job = job;
    document.getElementById('title').firstChild.textContent = 'Job ' + (job.name || job.id) + ' ';
    document.title = 'Job ' + (job.name || job.id) + ' · fedlora';
    document.getElementById('summary').replaceChildren(...summary(job));
    if (job.actions) {
      this.showActions(job.actions);
    }
    if (job.versions) {
      job.versions.forEach((v) => this.versions.set(v.version, v));
      this.versionsChanged = true;
      this.scheduleDraw();
    }
  }

  showVersions() {
    document.querySelector('#versions tbody').replaceChildren(...[...this.versions.values()]
      .sort((a, b) => b.version - a.version).map((v) => versionRow(this.jobId, v)));
  }

  /**
   * A `job` event carries the job's fields but not what this principal may do in it: only when the
   * state moved are the actions asked for again (one request, not one per round).
   */
  onJobEvent(job) {
    const moved = !this.job || this.job.state !== job.state;
    this.showJob(job);
    if (moved) {
      this.reload().catch((e) => announce(e.message, 'error'));
    }
  }

  showActions(actions) {
    const allowed = new Set(actions.map(actionName));
    const buttons = ACTION_ORDER.filter((a) => allowed.has(a)).map((a) => el('button', {
      type: 'button', 'data-action': a, class: a === 'cancel' ? 'danger' : null,
      onclick: () => this.act(a),
    }, a.charAt(0).toUpperCase() + a.substring(1)));
    document.getElementById('actions').replaceChildren(...buttons);
  }

  async act(action) {
    if (action === 'cancel' && !window.confirm('Cancel job ' + this.jobId + '? A cancelled job cannot be resumed.')) {
      return;
    }
    const buttons = document.querySelectorAll('#actions button');
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await api.post('/api/v1/jobs/' + seg(this.jobId) + '/' + action);
      announce('Job ' + action + ' accepted.', 'ok');
      await this.reload();
    } catch (e) {
      announce(action + ' refused: ' + e.message, 'error');
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  showRound(r) {
    this.rounds.set(r.round, r);
    if (r.adapterVersion !== null && r.adapterVersion !== undefined && !this.versions.has(r.adapterVersion)) {
      // A round's published version, until the next full answer brings its size.
      this.versions.set(r.adapterVersion, { version: r.adapterVersion, sha256: r.sha256, createdAt: r.endedAt });
      this.versionsChanged = true;
    }
    this.scheduleDraw();
  }

  /** Many events (a replay of hundreds of rounds) are drawn once, at the next frame. */
  scheduleDraw() {
    if (this.drawPending) {
      return;
    }
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      const ordered = [...this.rounds.values()].sort((a, b) => a.round - b.round);
      document.querySelector('#rounds tbody').replaceChildren(
        ...ordered.slice().reverse().map((x) => roundRow(this.jobId, x)));
      this.charts.update(ordered, this.job);
      if (this.versionsChanged) {
        this.versionsChanged = false;
        this.showVersions();
      }
    });
  }

  /** The job as this principal sees it now (its actions depend on both the state and the role). */
  async reload() {
    const job = await api.get('/api/v1/jobs/' + seg(this.jobId));
    this.showJob(job);
    (job.rounds || []).forEach((r) => this.showRound(r));
    this.scheduleDraw();
  }
}

startPage('jobs', async () => {
  const page = new JobPage(requiredParam('id'));
  document.getElementById('title').replaceChildren(document.createTextNode('Job ' + page.jobId + ' '), liveIndicator());
  document.getElementById('log-link').href = '/log/?job=' + seg(page.jobId);
  await loadNodeNames();
  await page.reload();
  subscribe(page.jobId, {
    round: (r) => page.showRound(r),
    job: (job) => page.onJobEvent(job),
  }, document.getElementById('live'));
});
