// Series page (#series?source=…&metric=…&range=…): one series' chart over a chosen range with
// its baseline band, gaps and alert spans, and the series' alerts, anomalies and SLA beside it.
// One request per endpoint per page state; live updates do not refetch.
import uPlot from '../vendor/uPlot.esm.js';
import { $, h, renderKeyed } from '../lib/dom.js';
import { formatBudget, formatIso, formatNumber, formatPercent, formatScore } from '../lib/format.js';
import { currentZone, parseZonedInput, showClock, showTime } from '../lib/clock.js';
import { BAND_K, RANGES, alertSpans, chartColumns, pointsQuery, seriesHash } from '../lib/series-view.js';
import { anomalyTypeLabel, severityClass, statusClass } from '../lib/severity.js';
import { chartColor, themeHooks, themedAxis } from '../lib/theme.js';

const CHART_HEIGHT = 280;
const SPAN_COLORS = { critical: 'rgb(255 90 90 / 0.18)', high: 'rgb(255 150 70 / 0.16)', medium: 'rgb(240 200 60 / 0.14)', low: 'rgb(120 180 255 / 0.12)', info: 'rgb(160 160 160 / 0.10)' };

export class SeriesView {
  constructor({ root, api, onError, navigate, isPinned = () => false, onPin = () => {} }) {
    this.api = api;
    this.isPinned = isPinned;
    this.pinButton = $('#series-pin', root);
    this.pinButton.addEventListener('click', () => {
      if (this.state?.series) onPin(this.state.series, !this.isPinned(this.state.series));
    });
    this.onError = onError;
    this.navigate = navigate;
    this.state = null;
    this.seq = 0;
    this.spans = [];
    this.form = $('#series-form', root);
    this.input = $('#series-input', root);
    this.title = $('#series-title', root);
    this.chartEl = $('#series-chart', root);
    this.hint = $('#series-hint', root);
    this.alertsBody = $('#series-alerts tbody', root);
    this.alertsEmpty = $('#series-alerts-empty', root);
    this.anomaliesList = $('#series-anomalies', root);
    this.slaEl = $('#series-sla', root);
    this.ranges = $('#series-ranges', root);
    this.ranges.replaceChildren(
      ...RANGES.map(([label]) =>
        h('button', { type: 'button', className: 'ghost small', dataset: { range: label }, 'aria-pressed': 'false', on: { click: () => this.go({ ...this.state, range: label, from: null, to: null }) } }, label),
      ),
    );
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = this.input.value.trim();
      const cut = text.indexOf('/');
      if (cut <= 0 || cut === text.length - 1) return this.showHint('type source/metric, e.g. web-1/cpu_usage');
      // Typed in the page's zone (the header's Times switch), like every time the page shows.
      const from = parseZonedInput(this.form.elements.namedItem('from').value);
      const to = parseZonedInput(this.form.elements.namedItem('to').value);
      const absolute = Number.isFinite(from) && Number.isFinite(to) && to > from;
      this.go({ series: { source: text.slice(0, cut), metric: text.slice(cut + 1) }, range: absolute ? null : (this.state?.range ?? '1h'), from: absolute ? from : null, to: absolute ? to : null });
    });
    this.plot = null;
    this.labelZone();
  }

  /** The From / To labels name the zone their times are read in. */
  labelZone() {
    const zone = currentZone() === 'utc' ? 'UTC' : 'local';
    for (const name of ['from', 'to']) this.form.elements.namedItem(name).previousElementSibling.textContent = `${name === 'from' ? 'From' : 'To'} (${zone})`;
  }

  /** The Pin to Overview button follows the pinned set (pinned here, on the Overview or by link). */
  syncPin() {
    const series = this.state?.series;
    this.pinButton.hidden = !series;
    if (!series) return;
    const on = this.isPinned(series);
    // A toggle keeps its name; aria-pressed (and the tick styles.css draws for it) says the state.
    this.pinButton.setAttribute('aria-pressed', String(on));
    this.pinButton.title = on ? 'Pinned: charted on the Overview. Press to unpin.' : 'Chart this series on the Overview';
  }

  showHint(text) {
    this.hint.textContent = text;
  }

  go(state) {
    this.navigate(seriesHash(state));
  }

  /** Show this page state (from the URL); fetches only when it changed or `force`. */
  async show(state, force = false) {
    const key = JSON.stringify(state);
    if (!force && key === this.shown) return;
    this.shown = key;
    this.state = state;
    for (const b of this.ranges.children) b.setAttribute('aria-pressed', String(b.dataset.range === state.range));
    this.syncPin();
    if (!state.series) {
      this.title.textContent = 'Series';
      this.showHint('choose a series (links on alerts, anomalies and live values lead here)');
      return;
    }
    const id = `${state.series.source}/${state.series.metric}`;
    this.title.textContent = id;
    this.input.value = id;
    const seq = ++this.seq;
    const now = Date.now();
    const query = pointsQuery(state, now);
    this.chartEl.dataset.loading = 'true';
    const [points, alerts, anomalies, sla] = await Promise.all([
      this.api.get('series/points', query).catch((err) => this.fail(err, 'series points')),
      this.api.get('alerts', { source: state.series.source, metric: state.series.metric, from: Math.max(0, query.from - 30 * 86_400_000), sort: 'opened_at', limit: 200 }).catch((err) => this.fail(err, 'series alerts')),
      this.api.get('anomalies', { source: state.series.source, metric: state.series.metric, from: query.from, to: query.to, limit: 100 }).catch((err) => this.fail(err, 'series anomalies')),
      this.api.get('sla', { source: state.series.source }).catch(() => null),
    ]);
    if (seq !== this.seq) return; // a newer state is loading
    const alertItems = Array.isArray(alerts?.items) ? alerts.items : [];
    this.draw(points, alertSpans(alertItems, query.from, query.to, now), query);
    this.renderAlerts(alertItems);
    this.renderAnomalies(Array.isArray(anomalies?.items) ? anomalies.items : []);
    this.renderSla((sla?.items ?? []).filter((s) => s.metric === state.series.metric));
    delete this.chartEl.dataset.loading;
  }

  fail(err, what) {
    this.onError(err, what);
    return null;
  }

  draw(body, spans, query) {
    const { columns, gaps, points } = chartColumns(body ?? {});
    this.spans = spans;
    const spanSec = (query.to - query.from) / 1000;
    if (!this.plot) {
      const axis = themedAxis();
      const opts = {
        width: Math.max(300, this.chartEl.clientWidth || 600),
        height: CHART_HEIGHT,
        legend: { show: false },
        scales: { x: { time: true } },
        axes: [
          { ...axis, space: 80, values: (_u, ticks) => ticks.map((t) => showClock(t * 1000, { date: this.spanSec > 86_400 })) },
          { ...axis, size: 56, values: (_u, ticks) => ticks.map((t) => formatNumber(t)) },
        ],
        series: [
          {},
          { label: 'value', stroke: chartColor('value'), width: 1.5, points: { show: false } },
          { label: `mean − ${BAND_K}σ`, stroke: chartColor('bandLine'), width: 1, points: { show: false } },
          { label: `mean + ${BAND_K}σ`, stroke: chartColor('bandLine'), width: 1, points: { show: false } },
        ],
        bands: [{ series: [3, 2], fill: chartColor('band') }],
        hooks: { ...themeHooks, drawClear: [(u) => this.drawSpans(u)] },
      };
      this.plot = new uPlot(opts, columns, this.chartEl);
      new ResizeObserver(() => {
        const w = Math.floor(this.chartEl.clientWidth);
        if (w > 0 && Math.abs(w - this.plot.width) > 1) this.plot.setSize({ width: w, height: CHART_HEIGHT });
      }).observe(this.chartEl);
    }
    this.spanSec = spanSec;
    this.plot.setData(columns, false);
    this.plot.setScale('x', { min: query.from / 1000, max: query.to / 1000 });
    // What is drawn, for an operator's devtools and the browser test.
    Object.assign(this.chartEl.dataset, { points: String(points), gaps: String(gaps), spans: String(spans.length), from: String(query.from), to: String(query.to), step: String(body?.step ?? ''), resolution: String(body?.resolution ?? '') });
    const parts = [`${points} ${body?.resolution === 'rollup' ? 'buckets' : 'points'}`, body?.step ? `step ${body.step} s` : 'raw', `band mean ± ${BAND_K}σ`];
    if (gaps) parts.push(`${gaps} gap${gaps > 1 ? 's' : ''}`);
    if (spans.length) parts.push(`${spans.length} alert span${spans.length > 1 ? 's' : ''} shaded`);
    if (body?.truncated) parts.push('older points left out');
    this.drawn = { query, parts };
    this.showRangeHint();
  }

  showRangeHint() {
    if (!this.drawn) return;
    const { query, parts } = this.drawn;
    this.showHint(`${showTime(query.from, query.to)} → ${showTime(query.to, query.to)} · ${parts.join(' · ')}`);
  }

  /** The time zone changed: redraw every time shown (axes, hint, tables) from what was loaded. */
  redrawTimes() {
    this.labelZone();
    this.showRangeHint();
    if (this.alertItems) this.renderAlerts(this.alertItems);
    if (this.anomalyItems) this.renderAnomalies(this.anomalyItems);
  }

  /** Alert spans shaded behind the lines (the canvas is cleared, then these, then the series). */
  drawSpans(u) {
    const ctx = u.ctx;
    const { top, height } = u.bbox;
    let drawn = 0;
    for (const s of this.spans) {
      const x0 = u.valToPos(s.start / 1000, 'x', true);
      const x1 = u.valToPos(s.end / 1000, 'x', true);
      if (!Number.isFinite(x0) || !Number.isFinite(x1)) continue;
      ctx.fillStyle = SPAN_COLORS[s.severity] ?? SPAN_COLORS.info;
      ctx.fillRect(x0, top, Math.max(2, x1 - x0), height);
      drawn += 1;
    }
    this.chartEl.dataset.spansDrawn = String(drawn);
  }

  renderAlerts(items) {
    this.alertItems = items;
    const rows = [...items].sort((a, b) => b.openedAt - a.openedAt);
    const now = Date.now();
    renderKeyed(
      this.alertsBody,
      rows,
      (a) => a.alertId,
      (a) => `${a.version}`,
      (a) =>
        h(
          'tr',
          { dataset: { alertId: a.alertId, status: a.status } },
          h('td', { dataset: { label: 'Severity' } }, h('span', { className: `pill ${severityClass(a.severity)}` }, a.severity)),
          h('td', { dataset: { label: 'Status' } }, h('span', { className: `pill ${statusClass(a.status)}` }, a.status)),
          h('td', { className: 'message', dataset: { label: 'Message' }, title: a.message }, a.message),
          h('td', { dataset: { label: 'Opened' }, title: formatIso(a.openedAt) }, showTime(a.openedAt, now)),
          h('td', { dataset: { label: 'Updated' }, title: formatIso(a.updatedAt) }, a.status === 'resolved' ? `${showTime(a.updatedAt, now)} by ${a.actor}` : showTime(a.updatedAt, now)),
        ),
    );
    this.alertsEmpty.hidden = rows.length > 0;
  }

  renderAnomalies(items) {
    this.anomalyItems = items;
    const now = Date.now();
    if (items.length === 0) return this.anomaliesList.replaceChildren(h('li', { className: 'empty-item' }, 'No anomalies in this range.'));
    this.anomaliesList.replaceChildren(
      ...items.map((a) =>
        h(
          'li',
          { dataset: { anomalyId: a.id } },
          h('span', { className: 'pill sev-info' }, anomalyTypeLabel(a.type)),
          h('span', { className: 'what' }, `${formatNumber(a.value)} vs ${formatNumber(a.expected)} expected`),
          h('span', { className: 'muted' }, `conf ${formatScore(a.confidence)}`),
          h('span', { className: 'when', title: formatIso(a.detectedTimestamp) }, showTime(a.detectedTimestamp, now)),
        ),
      ),
    );
  }

  renderSla(items) {
    if (items.length === 0) return this.slaEl.replaceChildren(h('span', { className: 'muted' }, 'No SLA objective on this series.'));
    this.slaEl.replaceChildren(
      ...items.map((s) =>
        h(
          'div',
          { className: `card stat${s.violated ? ' check-fail' : ''}`, dataset: { sla: s.slaId } },
          h('div', { className: 'label' }, s.name ?? s.slaId),
          h('div', { className: 'big' }, formatPercent(s.compliance, 2)),
          h('div', { className: 'sub' }, `budget left ${formatBudget(s.errorBudgetRemaining)}${s.violated ? ' · violated' : ''}`),
        ),
      ),
    );
  }
}
