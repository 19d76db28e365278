/**
 * What each documented query must return for the seeded data, computed in plain TypeScript from
 * the records (not from ClickHouse), following the definitions docs/sql.md states: latest
 * version wins, MTTA = first acknowledgement − opening, p95 by linear interpolation (what
 * ClickHouse's `quantiles` computes exactly below 8192 values), UTC days, and so on.
 */
import { SEVERITIES, severityRank, type AlertEvent, type AnomalyEvent, type ScoredPoint } from '../../../schemas/records.ts';
import { time, type Dataset } from './dataset.ts';

const { MINUTE, HOUR, DAY } = time;

/** ClickHouse's text form of a DateTime on a UTC server. */
export function dateTimeText(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

export function dateText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;
const startOfUtcDay = (ms: number) => floorTo(ms, DAY);
const seconds = (ms: number) => Math.floor(ms / 1000) * 1000; // DateTime columns drop the ms
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k);
    if (list) list.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

const byVersion = <T extends { version: number }>(rows: T[]) => [...rows].sort((a, b) => a.version - b.version);
const latest = <T extends { version: number }>(rows: T[]) => byVersion(rows).at(-1)!;
const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

/** Linear interpolation between closest ranks (numpy's default). */
export function interpolatedQuantile(values: number[], level: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = level * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function latestAnomalies(anomalies: AnomalyEvent[]): AnomalyEvent[] {
  return [...groupBy(anomalies, (a) => a.id).values()].map(latest);
}

function alertsById(events: AlertEvent[]): AlertEvent[][] {
  return [...groupBy(events, (e) => e.alertId).values()].map(byVersion);
}

// 1
export function worstSeries(d: Dataset) {
  const recent = d.anomalies.filter((a) => seconds(a.startTimestamp) >= d.nowMs - DAY);
  return [...groupBy(recent, (a) => `${a.source}\u0000${a.metric}`).values()]
    .map((rows) => ({
      source: rows[0].source,
      metric: rows[0].metric,
      anomalies: new Set(rows.map((a) => a.id)).size,
      max_score: round(Math.max(...rows.map((a) => a.score)), 3),
    }))
    .sort((a, b) => b.anomalies - a.anomalies || b.max_score - a.max_score || compare(a.source, b.source) || compare(a.metric, b.metric))
    .slice(0, 10);
}

// 2
export function slaComplianceByDay(d: Dataset) {
  const from = startOfUtcDay(d.nowMs) - 6 * DAY;
  const inRange = d.slaSnapshots.filter((s) => seconds(s.timestamp) >= from);
  return [...groupBy(inRange, (s) => [dateText(s.timestamp), s.slaId, s.source, s.metric].join('\u0000')).values()]
    .map((rows) => {
      const last = rows.reduce((a, b) => (b.timestamp > a.timestamp ? b : a));
      return {
        day: dateText(last.timestamp),
        sla_id: last.slaId,
        source: last.source,
        metric: last.metric,
        target: last.objective,
        end_of_day_compliance: last.compliance,
        worst_compliance: Math.min(...rows.map((s) => s.compliance)),
        met: last.compliance >= last.objective ? 1 : 0,
      };
    })
    .sort((a, b) => compare(a.day, b.day) || compare(a.sla_id, b.sla_id) || compare(a.source, b.source) || compare(a.metric, b.metric));
}

// 3
export function mttaMttrBySeverity(d: Dataset) {
  const alerts = alertsById(d.alertEvents).filter((ev) => seconds(ev[0].openedAt) >= d.nowMs - 30 * DAY);
  const perAlert = alerts.map((ev) => {
    const opened = ev[0].openedAt;
    const ack = ev.find((e) => e.status === 'acknowledged');
    const resolved = ev.find((e) => e.status === 'resolved');
    return {
      severity: ev[0].severity,
      ackSeconds: ack ? (ack.timestamp - opened) / 1000 : null,
      resolveSeconds: resolved ? (resolved.timestamp - opened) / 1000 : null,
    };
  });
  return SEVERITIES.filter((sev) => perAlert.some((a) => a.severity === sev)).map((sev) => {
    const rows = perAlert.filter((a) => a.severity === sev);
    const acks = rows.flatMap((a) => (a.ackSeconds === null ? [] : [a.ackSeconds]));
    const resolves = rows.flatMap((a) => (a.resolveSeconds === null ? [] : [a.resolveSeconds]));
    return {
      opening_severity: sev,
      alerts: rows.length,
      acknowledged: acks.length,
      // avgIf over no rows is nan, which JSON output writes as null.
      mtta_seconds: acks.length ? round(mean(acks), 1) : null,
      resolved: resolves.length,
      mttr_seconds: resolves.length ? round(mean(resolves), 1) : null,
    };
  });
}

// 4
export function p95PerMinute(d: Dataset, source: string, metric: string) {
  const points = d.points.filter((p) => p.source === source && p.metric === metric && floorTo(p.timestamp, MINUTE) >= d.nowMs - 3 * HOUR);
  return [...groupBy(points, (p) => String(floorTo(p.timestamp, MINUTE))).entries()]
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([minute, rows]) => {
      const v = rows.map((p) => p.value);
      const q = [0.5, 0.95, 0.99].map((level) => interpolatedQuantile(v, level));
      return { minute: dateTimeText(Number(minute)), points: rows.length, q, p50: q[0], p95: q[1], p99: q[2] };
    });
}

// 5
export function hourlyAverages(d: Dataset) {
  const recent = d.points.filter((p) => floorTo(p.timestamp, HOUR) >= d.nowMs - DAY);
  return [...groupBy(recent, (p) => [p.source, p.metric, floorTo(p.timestamp, HOUR)].join('\u0000')).values()]
    .map((rows: ScoredPoint[]) => {
      const v = rows.map((p) => p.value);
      return {
        source: rows[0].source,
        metric: rows[0].metric,
        hour: dateTimeText(floorTo(rows[0].timestamp, HOUR)),
        points: rows.length,
        avg_value: mean(v),
        min_value: Math.min(...v),
        max_value: Math.max(...v),
        anomalous: rows.filter((p) => p.anomalyScore >= 0.5).length,
      };
    })
    .sort((a, b) => compare(a.source, b.source) || compare(a.metric, b.metric) || compare(a.hour, b.hour));
}

// 6
export function openAlerts(d: Dataset) {
  return alertsById(d.alertEvents)
    .filter((ev) => ev.at(-1)!.status !== 'resolved')
    .map((ev) => ({
      alert_id: ev[0].alertId,
      fingerprint: ev[0].fingerprint,
      current_severity: ev.at(-1)!.severity,
      current_status: ev.at(-1)!.status,
      first_opened: dateTimeText(ev[0].openedAt),
      last_change: dateTimeText(Math.max(...ev.map((e) => e.timestamp))),
    }))
    .sort(
      (a, b) =>
        severityRank[a.current_severity] - severityRank[b.current_severity] ||
        compare(a.first_opened, b.first_opened) ||
        compare(a.alert_id, b.alert_id),
    );
}

// 7
export function anomalyTypesPerMetric(d: Dataset) {
  const recent = latestAnomalies(d.anomalies).filter((a) => seconds(a.startTimestamp) >= d.nowMs - 7 * DAY);
  return [...groupBy(recent, (a) => `${a.metric}\u0000${a.type}`).values()]
    .map((rows) => ({
      metric: rows[0].metric,
      type: rows[0].type,
      anomalies: rows.length,
      avg_confidence: round(mean(rows.map((a) => a.confidence)), 3),
    }))
    .sort((a, b) => compare(a.metric, b.metric) || b.anomalies - a.anomalies || compare(a.type, b.type));
}

// 8
export function noisiestRules(d: Dataset) {
  const from = startOfUtcDay(d.nowMs) - 6 * DAY;
  const opened = alertsById(d.alertEvents)
    .map((ev) => ev[0])
    .filter((e) => seconds(e.openedAt) >= from);
  return [...groupBy(opened, (e) => `${dateText(e.openedAt)}\u0000${e.ruleId}`).values()]
    .map((rows) => ({
      day: dateText(rows[0].openedAt),
      rule_id: rows[0].ruleId,
      alerts_opened: rows.length,
      series: new Set(rows.map((e) => e.fingerprint)).size,
    }))
    .sort((a, b) => compare(b.day, a.day) || b.alerts_opened - a.alerts_opened || compare(a.rule_id, b.rule_id));
}

// 9
export function errorBudgetRemaining(d: Dataset) {
  return [...groupBy(d.slaSnapshots, (s) => [s.slaId, s.source, s.metric].join('\u0000')).values()]
    .map((rows) => {
      const last = rows.reduce((a, b) => (b.timestamp > a.timestamp ? b : a));
      return {
        sla_id: last.slaId,
        source: last.source,
        metric: last.metric,
        budget_remaining: last.errorBudgetRemaining,
        latest_compliance: last.compliance,
        target: last.objective,
        fast_burn: last.burnRateFast,
        slow_burn: last.burnRateSlow,
        is_violated: last.violated ? 1 : 0,
        as_of: dateTimeText(last.timestamp),
      };
    })
    .sort((a, b) => a.budget_remaining - b.budget_remaining || compare(a.sla_id, b.sla_id) || compare(a.source, b.source) || compare(a.metric, b.metric));
}

// 10
export function silentSeries(d: Dataset) {
  const recent = d.points.filter((p) => seconds(p.timestamp) >= d.nowMs - 7 * DAY);
  return [...groupBy(recent, (p) => `${p.source}\u0000${p.metric}`).values()]
    .map((rows) => ({ source: rows[0].source, metric: rows[0].metric, lastMs: seconds(Math.max(...rows.map((p) => p.timestamp))) }))
    .filter((s) => s.lastMs < d.nowMs - 15 * MINUTE)
    .sort((a, b) => a.lastMs - b.lastMs || compare(a.source, b.source) || compare(a.metric, b.metric))
    .map((s) => ({
      source: s.source,
      metric: s.metric,
      last_point: dateTimeText(s.lastMs),
      // dateDiff('minute') counts minute boundaries crossed between the two times.
      silent_minutes: Math.floor(d.nowMs / MINUTE) - Math.floor(s.lastMs / MINUTE),
    }));
}

// 11
export function flappingAlerts(d: Dataset) {
  const opened = alertsById(d.alertEvents)
    .map((ev) => ev[0])
    .filter((e) => seconds(e.openedAt) >= d.nowMs - DAY);
  return [...groupBy(opened, (e) => e.fingerprint).values()]
    .filter((rows) => rows.length >= 3)
    .map((rows) => ({
      fingerprint: rows[0].fingerprint,
      times_opened: rows.length,
      first_opened: dateTimeText(Math.min(...rows.map((e) => e.openedAt))),
      last_opened: dateTimeText(Math.max(...rows.map((e) => e.openedAt))),
    }))
    .sort((a, b) => b.times_opened - a.times_opened || compare(a.fingerprint, b.fingerprint));
}
