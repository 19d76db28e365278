// SLA tab: compliance against the objective, error budget left, burn rates, per objective and series.
import { $, h, renderKeyed } from '../lib/dom.js';
import { formatBudget, formatBurnRate, formatCount, formatDuration, formatIso, formatPercent } from '../lib/format.js';
import { showTime } from '../lib/clock.js';
import { seriesAnchor, meter } from './widgets.js';

function budgetTone(remaining) {
  if (!Number.isFinite(remaining)) return '';
  if (remaining <= 0.1) return 'bad';
  if (remaining <= 0.5) return 'warn';
  return 'good';
}

export class SlaView {
  constructor({ root, state, api, onError }) {
    this.state = state;
    this.api = api;
    this.onError = onError;
    this.tbody = $('#sla-table tbody', root);
    this.empty = $('#sla-empty', root);
  }

  async load() {
    try {
      const body = await this.api.get('sla');
      this.state.sla = Array.isArray(body?.items) ? body.items : [];
      this.state.emit('sla');
    } catch (err) {
      this.onError(err, 'SLA');
    }
  }

  render() {
    const rows = [...(this.state.sla ?? [])].sort((a, b) => Number(b.violated) - Number(a.violated) || (a.errorBudgetRemaining ?? 0) - (b.errorBudgetRemaining ?? 0));
    const now = Date.now();
    renderKeyed(
      this.tbody,
      rows,
      (s) => `${s.slaId}|${s.source}|${s.metric}`,
      (s) => `${s.updatedAt}|${s.compliance}|${s.errorBudgetRemaining}`,
      (s) =>
        h(
          'tr',
          { dataset: { slaId: s.slaId, violated: String(Boolean(s.violated)) } },
          h(
            'td',
            { dataset: { label: 'Objective' } },
            h(
              'div',
              {},
              h('div', {}, s.name || s.slaId),
              h('div', { className: 'muted' }, `${formatPercent(s.objective, 1)} target `, h('span', { className: `pill ${s.violated ? 'violated' : 'met'}` }, s.violated ? 'violated' : 'met')),
            ),
          ),
          h('td', { className: 'series', dataset: { label: 'Series' } }, seriesAnchor(s)),
          h('td', { dataset: { label: 'Compliance' }, title: `${formatCount(s.good)} good of ${formatCount(s.total)}` }, meter(s.compliance, formatPercent(s.compliance), s.compliance >= s.objective ? 'good' : 'bad')),
          h('td', { dataset: { label: 'Error budget' } }, meter(s.errorBudgetRemaining, formatBudget(s.errorBudgetRemaining), budgetTone(s.errorBudgetRemaining))),
          h('td', { className: 'num', dataset: { label: 'Burn fast' } }, formatBurnRate(s.burnRateFast)),
          h('td', { className: 'num', dataset: { label: 'Burn slow' } }, formatBurnRate(s.burnRateSlow)),
          h('td', { className: 'num', dataset: { label: 'Violations 24 h' } }, formatCount(s.violations24h)),
          h('td', { dataset: { label: 'Window' } }, formatDuration(s.windowMs)),
          h('td', { dataset: { label: 'Updated' }, title: formatIso(s.updatedAt) }, showTime(s.updatedAt, now)),
        ),
    );
    this.empty.hidden = rows.length > 0 || this.state.sla === null;
  }
}
