// How numbers, times and durations read on the pages.

export function num(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return '–';
  }
  return Number(value).toFixed(digits === undefined ? 4 : digits);
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
