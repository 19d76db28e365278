// Overview tab: health checks, counts, series table (which charts to show), recent feeds.
import { h, renderKeyed } from '../lib/dom.js';
import { formatAge, formatBudget, formatCount, formatIso, formatNumber, formatPercent, formatScore, formatWithUnit } from '../lib/format.js';
import { showTime } from '../lib/clock.js';
import { recentAlerts, selectAnomalies } from '../lib/records.js';
import { SEVERITIES, anomalyTypeLabel, severityClass, statusClass } from '../lib/severity.js';
import { seriesAnchor } from './widgets.js';

const CHECK_STATES = new Set(['ok', 'warn', 'fail']);

/** Health names the API uses → what an operator calls them; unknown names shown as given. */
const CHECK_LABELS = { kafka: 'Kafka', clickhouse: 'ClickHouse', pipeline: 'Pipeline', consumer: 'Pipeline consumers', workers: 'Worker pool', gateway: 'Gateway', config: 'Config topic', live: 'Live feed (this page)' };

function healthCard(name, check) {
  const state = check && CHECK_STATES.has(check.status) ? check.status : 'unknown';
  const sub = [check?.message, Number.isFinite(check?.latencyMs) ? `${Math.round(check.latencyMs)} ms` : null].filter(Boolean).join(' · ');
  return h(
    'div',
    { className: `card health check-${state}`, dataset: { check: name } },
    h('span', { className: 'label' }, CHECK_LABELS[name] ?? name),
    h('span', { className: 'state' }, state),
    sub ? h('span', { className: 'sub' }, sub) : null,
  );
}

/**
 * The API's checks (`health`, or `error` when the API itself did not answer) and the page's own
 * live-feed check (`live`, from its WebSocket), so a dead gateway shows red here too.
 */
export function renderHealth(container, health, error, live) {
  const liveCard = live ? healthCard('live', live) : null;
  if (error) {
    container.replaceChildren(
      h('div', { className: 'card health check-fail', dataset: { check: 'api' } }, h('span', { className: 'label' }, 'API'), h('span', { className: 'state' }, 'unreachable'), h('span', { className: 'sub' }, error)),
      ...(liveCard ? [liveCard] : []),
    );
    return;
  }
  if (!health || typeof health.checks !== 'object' || health.checks === null) {
    container.replaceChildren(h('div', { className: 'card health' }, h('span', { className: 'label' }, 'Health'), h('span', { className: 'sub' }, 'loading…')), ...(liveCard ? [liveCard] : []));
    return;
  }
  const cards = Object.entries(health.checks).map(([name, check]) => healthCard(name, check));
  if (liveCard) cards.push(liveCard);
  container.replaceChildren(...cards);
}

function statCard(label, big, sub, extra) {
  return h('div', { className: 'card stat' }, h('div', { className: 'label' }, label), h('div', { className: 'big' }, big), sub ? h('div', { className: 'sub' }, sub) : null, extra ?? null);
}

/**
 * Counts. Open alerts come from `open` (openAlertSummary over the page's alert store, the same
 * figure as the Alerts badge; `complete` false = more open alerts than the page loads, a lower
 * bound); the rest from /dashboard-stats.
 */
export function renderStats(container, stats, open, complete = true) {
  const bySeverity = open.bySeverity;
  const chips = h(
    'div',
    { className: 'sev-chips' },
    SEVERITIES.filter((s) => (bySeverity[s] ?? 0) > 0).map((s) => h('span', { className: `pill ${severityClass(s)}`, dataset: { severity: s } }, `${s} ${formatCount(bySeverity[s])}`)),
  );
  const openCard = statCard('Open alerts', `${formatCount(open.open)}${complete ? '' : '+'}`, `${formatCount(open.firing)} firing · ${formatCount(open.acknowledged)} acknowledged`, chips);
  openCard.dataset.stat = 'open-alerts';
  const cards = [openCard];
  if (stats) {
    cards.push(
      statCard('Ingest', `${formatNumber(stats.ingest?.pointsPerSecond)}/s`, `${formatCount(stats.ingest?.series)} series · ${formatCount(stats.ingest?.pointsLastMinute)} pts last min`),
      statCard('Anomalies (1 h)', formatCount(stats.anomalies?.lastHour), `${formatNumber(stats.anomalies?.perMinute)}/min · ${formatPercent(stats.anomalies?.anomalousPointShare, 1)} of points`),
      statCard(
        'SLA',
        `${formatCount(stats.sla?.violated)} / ${formatCount(stats.sla?.objectives)}`,
        `violated · min budget ${formatBudget(stats.sla?.minErrorBudgetRemaining)}`,
      ),
      statCard(
        'Consumer lag',
        stats.consumer?.lag === null || stats.consumer?.lag === undefined ? '—' : formatCount(stats.consumer.lag),
        [stats.consumer?.state, Number.isFinite(stats.consumer?.members) ? `${stats.consumer.members} members` : null, stats.consumer?.error].filter(Boolean).join(' · '),
      ),
    );
  }
  container.replaceChildren(...cards);
}

/**
 * The series table (rows from lib/overview.js seriesRows): latest value per series and a
 * checkbox pinning it to the Overview charts. Pinned rows lead, even before any value came.
 * Value and mean carry the metric's unit (`unitOf`, from client-config; z and score have none).
 */
export function renderSeriesTable(tbody, rows, onToggle, now, unitOf = () => '') {
  renderKeyed(
    tbody,
    rows,
    (r) => r.id,
    (r) => `${r.snapshot?.timestamp ?? ''}|${r.pinned}|${unitOf(r.metric)}|${Math.floor(now / 5000)}`,
    (r) => {
      const s = r.snapshot;
      const box = h('input', { type: 'checkbox', checked: r.pinned, 'aria-label': `pin ${r.id}`, on: { change: (e) => onToggle({ source: r.source, metric: r.metric }, e.target.checked) } });
      return h(
        'tr',
        { className: r.pinned ? 'pinned' : null, dataset: { series: r.id, pinned: String(r.pinned) } },
        h('td', { dataset: { label: 'Pin' } }, box),
        h('td', { className: 'series', dataset: { label: 'Series' } }, seriesAnchor(r)),
        h('td', { className: 'num', dataset: { label: 'Value' } }, formatWithUnit(s?.value, unitOf(r.metric))),
        h('td', { className: 'num', dataset: { label: 'Mean' } }, formatWithUnit(s?.mean, unitOf(r.metric))),
        h('td', { className: 'num', dataset: { label: 'z' } }, formatNumber(s?.zscore)),
        h('td', { className: 'num', dataset: { label: 'Score' } }, formatScore(s?.anomalyScore)),
        h('td', { dataset: { label: 'Updated' }, title: s ? formatIso(s.timestamp) : 'no value in the last 15 min' }, s ? formatAge(s.timestamp, now) : 'no data yet'),
      );
    },
  );
}

function emptyItem(text) {
  return h('li', { className: 'empty-item' }, text);
}

export function renderRecentAlerts(list, alerts, now) {
  const rows = recentAlerts(alerts, 8);
  if (rows.length === 0) return list.replaceChildren(emptyItem('No alerts yet.'));
  renderKeyed(
    list,
    rows,
    (a) => a.alertId,
    (a) => `${a.version}|${Math.floor(now / 10_000)}`,
    (a) =>
      h(
        'li',
        { dataset: { alertId: a.alertId } },
        h('span', { className: `pill ${severityClass(a.severity)}` }, a.severity),
        h('span', { className: 'what', title: a.message }, seriesAnchor(a, a.openedAt), ` — ${a.message}`),
        h('span', { className: `pill ${statusClass(a.status)}` }, a.status),
        h('span', { className: 'when', title: formatIso(a.updatedAt) }, showTime(a.updatedAt, now)),
      ),
  );
}

export function renderRecentAnomalies(list, anomalies, now, unitOf = () => '') {
  const rows = selectAnomalies(anomalies, {}, 8);
  if (rows.length === 0) return list.replaceChildren(emptyItem('No anomalies yet.'));
  renderKeyed(
    list,
    rows,
    (a) => a.id,
    (a) => `${a.version}|${Math.floor(now / 10_000)}`,
    (a) =>
      h(
        'li',
        { dataset: { anomalyId: a.id } },
        h('span', { className: 'pill sev-info' }, anomalyTypeLabel(a.type)),
        h('span', { className: 'what' }, seriesAnchor(a, a.startTimestamp), ` — ${formatWithUnit(a.value, unitOf(a.metric))} vs ${formatWithUnit(a.expected, unitOf(a.metric))} expected`),
        h('span', { className: 'muted' }, `conf ${formatScore(a.confidence)}`),
        h('span', { className: 'when' }, showTime(a.detectedTimestamp, now)),
      ),
  );
}
