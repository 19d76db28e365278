// Live metric charts: one uPlot per chosen series, fed from the state's ring buffers.
import uPlot from '../vendor/uPlot.esm.js';
import { h } from '../lib/dom.js';
import { seriesAnchor } from './widgets.js';
import { formatNumber, formatScore, formatWithUnit } from '../lib/format.js';
import { showClock } from '../lib/clock.js';
import { chartColor, themeHooks, themedAxis } from '../lib/theme.js';

const CHART_HEIGHT = 150;
// Tick spacing in seconds: whole seconds and up, so a young chart does not label :32.500.
const TIME_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

function chartOptions(width) {
  const axis = themedAxis();
  return {
    width,
    hooks: themeHooks,
    height: CHART_HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [
      { ...axis, space: 70, incrs: TIME_INCRS, values: (_u, ticks, _axis, _space, incr) => ticks.map((t) => showClock(t * 1000, { seconds: incr < 60 })) },
      { ...axis, size: 48, values: (_u, ticks) => ticks.map((t) => formatNumber(t)) },
    ],
    series: [
      {},
      { label: 'value', stroke: chartColor('value'), width: 1.5, points: { show: false } },
      { label: 'mean', stroke: chartColor('mean'), width: 1, dash: [4, 4], points: { show: false } },
    ],
  };
}

export class ChartGrid {
  /**
   * @param {HTMLElement} container
   * @param {(pin: {source: string, metric: string}, on: boolean) => void} onPin the card's Pin / Unpin button
   * @param {(metric: string) => string} [unitOf] the metric's unit for the live value and mean ('' when unknown)
   */
  constructor(container, state, onPin, unitOf = () => '') {
    this.unitOf = unitOf;
    this.container = container;
    this.state = state;
    this.onPin = onPin;
    this.charts = new Map(); // seriesId → { card, plot, valueEl, metaEl }
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(container);
  }

  /** Show exactly these series ({source, metric}), in order (`pinned`: ids that are pins); reuses existing charts. */
  show(series, pinned = new Set()) {
    const ids = series.map((s) => `${s.source}/${s.metric}`);
    for (const [id, chart] of this.charts) {
      if (!ids.includes(id)) {
        chart.plot.destroy();
        this.charts.delete(id);
      }
    }
    const cards = ids.map((id, i) => {
      let chart = this.charts.get(id);
      if (!chart) chart = this.create(id, series[i]);
      this.markPinned(chart, id, pinned.has(id));
      return chart.card;
    });
    this.container.replaceChildren(...cards);
    this.fit();
    this.update();
  }

  markPinned(chart, id, on) {
    chart.card.dataset.pinned = String(on);
    chart.pinButton.textContent = on ? 'Unpin' : 'Pin';
    chart.pinButton.setAttribute('aria-label', `${on ? 'Unpin' : 'Pin'} ${id}`);
    chart.pinButton.title = on ? 'Take this chart off the Overview' : 'Keep this chart on the Overview (pinned charts replace the ones picked for you)';
  }

  create(id, series) {
    const pin = { source: series.source, metric: series.metric };
    const pinButton = h('button', { type: 'button', className: 'ghost small pin-toggle', dataset: { role: 'pin' }, on: { click: () => this.onPin?.(pin, card.dataset.pinned !== 'true') } }, 'Pin');
    const valueEl = h('span', { className: 'chart-value', dataset: { role: 'live-value' } }, '—');
    const metaEl = h('div', { className: 'chart-meta' }, '');
    const body = h('div', { className: 'chart-body' });
    const card = h(
      'div',
      { className: 'chart-card', dataset: { series: id } },
      h('div', { className: 'chart-head' }, h('span', { className: 'chart-title', title: id }, seriesAnchor(pin)), valueEl, pinButton),
      metaEl,
      body,
    );
    const plot = new uPlot(chartOptions(Math.max(200, this.container.clientWidth || 300)), [[], [], []], body);
    const chart = { card, plot, body, valueEl, metaEl, pinButton, metric: series.metric };
    this.charts.set(id, chart);
    return chart;
  }

  fit() {
    for (const chart of this.charts.values()) {
      const width = Math.floor(chart.body.clientWidth);
      if (width > 0 && Math.abs(width - chart.plot.width) > 1) chart.plot.setSize({ width, height: CHART_HEIGHT });
    }
  }

  /** Redraw every chart from its ring (cheap: at most a few hundred points each). */
  update() {
    for (const [id, chart] of this.charts) {
      const ring = this.state.rings.get(id);
      if (ring) {
        const columns = ring.toColumns(1 / 1000);
        chart.plot.setData(columns);
        // How many points are drawn: tells an operator's devtools (and the browser test) that history arrived.
        chart.card.dataset.points = String(columns[0].length);
      }
      const latest = this.state.latest.get(id);
      if (latest) {
        const unit = this.unitOf(chart.metric);
        chart.valueEl.textContent = formatWithUnit(latest.value, unit);
        chart.metaEl.textContent = `mean ${formatWithUnit(latest.mean, unit)} · z ${formatNumber(latest.zscore)} · score ${formatScore(latest.anomalyScore)}`;
        chart.card.classList.toggle('hot', latest.anomalyScore >= 0.5);
      }
    }
  }
}
