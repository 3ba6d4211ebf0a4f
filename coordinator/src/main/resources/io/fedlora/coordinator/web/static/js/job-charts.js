// The job page's charts (ECharts from the coordinator's own WebJar), redrawn from the rounds held.

const COLOURS = ['#0b5cad', '#b3261e', '#1a6e2e', '#8a5300'];

function chart(id) {
  const node = document.getElementById(id);
  if (!window.echarts || !node) {
    return null;
  }
  const c = window.echarts.init(node, null, { renderer: 'svg' });
  window.addEventListener('resize', () => c.resize());
  return c;
}

function base(title, yName) {
  return {
    color: COLOURS,
    animation: false,
    title: { text: title, left: 'center', textStyle: { fontSize: 13, color: '#1b1f24' } },
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0, itemGap: 24, textStyle: { color: '#1b1f24' } },
    grid: { left: 55, right: 20, top: 35, bottom: 62 },
    xAxis: { type: 'category', name: 'round', nameLocation: 'middle', nameGap: 24, axisLabel: { color: '#1b1f24' } },
    yAxis: { type: 'value', name: yName, axisLabel: { color: '#1b1f24' } },
  };
}

/** Charts for one job; update(rounds, job) redraws all three. Without ECharts loaded it does nothing. */
export function jobCharts() {
  const loss = chart('chart-loss');
  const eps = chart('chart-epsilon');
  const time = chart('chart-time');
  return {
    update(rounds, job) {
      if (!loss) {
        return;
      }
      const done = rounds.filter((r) => r.adapterVersion !== null && r.adapterVersion !== undefined);
      const xs = done.map((r) => String(r.round));
      // Each round reports its own ε; summed they bound what the job has spent (basic composition),
      // unless the coordinator sends the accountant's tighter cumulative value.
      let sum = 0;
      const cumulative = done.map((r) => {
        if (r.cumulativeEpsilon !== undefined && r.cumulativeEpsilon !== null) {
          sum = r.cumulativeEpsilon;
          return sum;
        }
        if (r.epsilon === null || r.epsilon === undefined) {
          return null;
        }
        sum += r.epsilon;
        return sum;
      });
      loss.setOption({ ...base('Train loss and held-out exact match', ''), xAxis: { ...base().xAxis, data: xs },
        series: [
          { name: 'train loss', type: 'line', data: done.map((r) => r.trainLoss ?? null) },
          { name: 'held-out exact match', type: 'line',
            data: done.map((r) => (r.evalMetric === null || r.evalMetric === undefined ? null : r.evalMetric)) },
        ] }, true);
      const budget = job && job.epsilonBudget !== null && job.epsilonBudget !== undefined
        && Number.isFinite(Number(job.epsilonBudget)) ? Number(job.epsilonBudget) : null;
      eps.setOption({ ...base('Cumulative ε', 'ε'), xAxis: { ...base().xAxis, data: xs },
        series: [
          { name: 'ε spent', type: 'line', data: cumulative },
          { name: 'budget', type: 'line', lineStyle: { type: 'dashed' }, symbol: 'none',
            data: budget === null ? [] : xs.map(() => budget) },
        ] }, true);
      const all = rounds.map((r) => String(r.round));
      time.setOption({ ...base('Round time', 'seconds'), xAxis: { ...base().xAxis, data: all },
        series: [
          { name: 'local training', type: 'bar', stack: 't', data: rounds.map((r) => (r.trainMs ?? 0) / 1000) },
          { name: 'everything else', type: 'bar', stack: 't', data: rounds.map((r) => (r.otherMs ?? 0) / 1000) },
        ] }, true);
    },
  };
}
