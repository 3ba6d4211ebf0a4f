// A job's coordinator log: the recent lines, then each new line as the coordinator writes it.

import { api, seg } from './api.js';
import { el, announce, requiredParam } from './dom.js';
import { startPage } from './layout.js';
import { subscribe, liveIndicator } from './live.js';
import * as fmt from './format.js';

const MAX_LINES = 5000;

function line(entry) {
  return el('li', { class: 'level-' + (entry.level || 'INFO') },
    fmt.time(entry.time) + ' ' + (entry.level || 'INFO').padEnd(5) + ' ' + entry.message);
}

function append(list, entry) {
  const follow = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  list.append(line(entry));
  while (list.childElementCount > MAX_LINES) {
    list.firstElementChild.remove();
  }
  if (follow) {
    list.scrollTop = list.scrollHeight;
  }
}

startPage('jobs', async () => {
  const jobId = requiredParam('job');
  document.getElementById('title').textContent = 'Job log: ' + jobId;
  document.getElementById('title').append(liveIndicator());
  document.getElementById('job-link').href = '/job/?id=' + seg(jobId);
  const list = document.getElementById('log');
  try {
    const recent = await api.get('/api/v1/jobs/' + seg(jobId) + '/log');
    (recent.lines || []).forEach((entry) => append(list, entry));
  } catch (e) {
    // Without the recent lines the page still shows every line from now on.
    announce(e.status === 404 ? 'No earlier lines are kept for this job: new lines appear below.' : e.message,
      e.status === 404 ? 'info' : 'error');
  }
  subscribe(jobId, { log: (entry) => append(list, entry) }, document.getElementById('live'));
});
