// Live updates from the coordinator's job events over server-sent events (never polling).

import { el } from './dom.js';

/**
 * Subscribes to /api/v1/events (optionally for one job) and calls handlers[eventName](data).
 * The indicator element (if any) shows whether the stream is connected; EventSource reconnects by itself.
 */
export function subscribe(jobId, handlers, indicator) {
  const url = '/api/v1/events' + (jobId ? '?job=' + encodeURIComponent(jobId) : '');
  const source = new EventSource(url, { withCredentials: true });
  const show = (state, text) => {
    if (indicator) {
      indicator.dataset.state = state;
      indicator.textContent = text;
    }
  };
  show('connecting', 'connecting…');
  source.onopen = () => show('live', 'live');
  source.onerror = () => show(source.readyState === EventSource.CLOSED ? 'closed' : 'connecting',
    source.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…');
  for (const [name, handler] of Object.entries(handlers)) {
    source.addEventListener(name, (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch (e) {
        console.warn('unreadable ' + name + ' event', e);
        return;
      }
      handler(data);
    });
  }
  window.addEventListener('pagehide', () => source.close());
  return source;
}

/** The small "live" badge a page shows beside its heading. */
export function liveIndicator() {
  return el('span', { class: 'live', id: 'live', 'data-state': 'connecting', role: 'status' }, 'connecting…');
}
