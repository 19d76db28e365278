// Anomalies tab: minimum confidence and type filters over the latest refinement of each anomaly.
import { $, h, renderKeyed } from '../lib/dom.js';
import { seriesAnchor, meter } from './widgets.js';
import { formatIso, formatNumber, formatScore, formatWithUnit } from '../lib/format.js';
import { showTime } from '../lib/clock.js';
import { selectAnomalies } from '../lib/records.js';
import { ANOMALY_TYPES, anomalyTypeLabel } from '../lib/severity.js';

const PAGE_SIZE = 100;

function toneForScore(v) {
  if (!(v >= 0)) return '';
  if (v >= 0.75) return 'bad';
  if (v >= 0.5) return 'warn';
  return 'good';
}

export class AnomaliesView {
  constructor({ root, state, api, onError, unitOf }) {
    this.state = state;
    this.unitOf = unitOf ?? (() => '');
    this.api = api;
    this.onError = onError;
    this.form = $('#anomaly-filters', root);
    this.out = $('#min-confidence-out', root);
    this.tbody = $('#anomalies-table tbody', root);
    this.empty = $('#anomalies-empty', root);
    this.more = $('#anomalies-more', root);
    this.cursor = null;
    this.loadSeq = 0;
    this.form.addEventListener('input', () => {
      this.out.textContent = this.filter().minConfidence.toFixed(2);
      this.render();
    });
    this.form.addEventListener('change', () => this.reload());
    this.form.addEventListener('submit', (e) => e.preventDefault());
    this.more.addEventListener('click', () => this.load(true));
  }

  filter() {
    const data = new FormData(this.form);
    const min = Number(data.get('minConfidence'));
    return {
      minConfidence: Number.isFinite(min) ? Math.max(0, Math.min(1, min)) : 0,
      types: data.getAll('type').filter((t) => ANOMALY_TYPES.includes(t)),
    };
  }

  reload() {
    this.cursor = null;
    this.render();
    return this.load(false);
  }

  async load(next = false) {
    const f = this.filter();
    const seq = ++this.loadSeq;
    try {
      const page = await this.api.get('anomalies', {
        minConfidence: f.minConfidence > 0 ? f.minConfidence : undefined,
        type: f.types,
        limit: PAGE_SIZE,
        cursor: next ? this.cursor : undefined,
      });
      if (seq !== this.loadSeq && !next) return;
      for (const a of page.items ?? []) this.state.anomalies.upsert(a);
      this.cursor = page.nextCursor ?? null;
      this.state.emit('anomalies');
    } catch (err) {
      this.onError(err, 'anomalies');
    }
  }

  render() {
    const rows = selectAnomalies(this.state.anomalies.values(), this.filter(), 1000);
    const now = Date.now();
    renderKeyed(
      this.tbody,
      rows,
      (a) => a.id,
      (a) => String(a.version),
      (a) =>
        h(
          'tr',
          { dataset: { anomalyId: a.id, version: String(a.version) } },
          h('td', { dataset: { label: 'Detected' }, title: formatIso(a.detectedTimestamp) }, showTime(a.detectedTimestamp, now)),
          h('td', { className: 'series', dataset: { label: 'Series' } }, seriesAnchor(a, a.startTimestamp)),
          h(
            'td',
            { dataset: { label: 'Type' } },
            // One child per cell: the phone layout spreads a cell's children apart.
            h('span', {}, h('span', { className: 'pill sev-info' }, anomalyTypeLabel(a.type)), a.version > 1 ? h('span', { className: 'muted', title: `refined ${a.version - 1}×` }, ` v${a.version}`) : null),
          ),
          h('td', { dataset: { label: 'Confidence' } }, meter(a.confidence, formatScore(a.confidence), '')),
          h('td', { dataset: { label: 'Score' } }, meter(a.score, formatScore(a.score), toneForScore(a.score))),
          h('td', { className: 'num', dataset: { label: 'Value' } }, formatWithUnit(a.value, this.unitOf(a.metric))),
          h('td', { className: 'num', dataset: { label: 'Expected' } }, formatWithUnit(a.expected, this.unitOf(a.metric))),
          h('td', { className: 'num', dataset: { label: 'z' } }, formatNumber(a.zscore)),
          h('td', { className: 'num', dataset: { label: 'Points' } }, formatNumber(a.pointCount)),
        ),
    );
    this.empty.hidden = rows.length > 0;
    this.more.hidden = !this.cursor;
  }
}
