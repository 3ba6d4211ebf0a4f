// How numbers, times and durations read on the pages.

export function num(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return '–';
  }
  return Number(value).toFixed(digits === undefined ? 4 : digits);
}

/** A held-out exact-match fraction as a percentage, with the adapter version it scored. */
export function heldOut(fraction, ofVersion) {
  if (fraction === null || fraction === undefined) {
    return '–';
  }
  return (100 * Number(fraction)).toFixed(1) + '%' + (ofVersion === null || ofVersion === undefined ? ''
    : ' (v' + ofVersion + ')');
}

export function epsilon(value) {
  if (value === null || value === undefined) {
    return '–';
  }
  if (value === 'Infinity' || value === Infinity) {
    return '∞';
  }
  return Number(value).toFixed(2);
}

export function ms(value) {
  if (value === null || value === undefined) {
    return '–';
  }
  return value >= 10000 ? (value / 1000).toFixed(1) + ' s' : Math.round(value) + ' ms';
}

export function time(value) {
  if (!value) {
    return '–';
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function shortHash(value) {
  return value ? String(value).substring(0, 12) + '…' : '–';
}

export function bytes(value) {
  if (value === null || value === undefined) {
    return '–';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = Number(value);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? v : v.toFixed(1)) + ' ' + units[i];
}

/** SecAgg+ settings in one line: neighbours k, threshold t, tolerated dropout. */
export function secaggText(s) {
  if (!s || !s.enabled) {
    return 'off';
  }
  return 'k=' + s.k + ', t=' + s.t + ', dropout ≤ ' + Math.round(100 * (s.dropout || 0)) + '%';
}

/**
 * "done / total": in the jobs list "rounds" is the total; in one job's answer "rounds" is the timeline,
 * and the total comes as "totalRounds" (or "roundsTotal").
 */
export function roundsText(job, separator) {
  const total = Array.isArray(job.rounds) ? (job.totalRounds ?? job.roundsTotal) : job.rounds;
  return (job.roundsDone ?? 0) + separator + (total ?? '–');
}
