/**
 * A deterministic storm of alert events for the incident tests, as the pipeline would write
 * them: per series a threshold alert that escalates to critical, an anomaly alert acknowledged
 * by an operator with a comment, both resolved; plus no-data alerts of several series of one
 * source (one cross-series incident). Produced keyed by series id, in three waves.
 */
import type { Producer } from 'kafkajs';
import { eventIdOf, alertIdOf, fingerprintOf } from '../../../pipeline/alerts/ids.ts';
import { encodeEvent } from '../../../pipeline/codec/events.ts';
import { seriesId, type AlertEvent, type AlertKind, type AlertStatus, type IncidentEvent, type Severity } from '../../../schemas/records.ts';
import type { ConsumedMessage } from '../../support/index.ts';
import { decodeEvent } from '../../../pipeline/codec/events.ts';

const T0 = 1_767_000_000_000;

function ev(source: string, metric: string, ruleId: string, kind: AlertKind, openedAt: number, version: number, status: AlertStatus, severity: Severity, at: number, actor = 'pipeline', reason = 'opened'): AlertEvent {
  const fingerprint = fingerprintOf(source, metric, ruleId);
  const alertId = alertIdOf(fingerprint, openedAt);
  return {
    eventId: eventIdOf(alertId, version),
    alertId,
    fingerprint,
    source,
    metric,
    ruleId,
    kind,
    severity,
    status,
    version,
    timestamp: at,
    openedAt,
    value: 10 + version,
    threshold: 5,
    message: `${metric} on ${source}: ${status}`,
    actor,
    reason,
    tags: {},
  };
}

/** Three waves of alert events; within a series, events are in lifecycle order. */
export function alertWaves(sources = 3, nodataMetrics = 4): AlertEvent[][] {
  const waves: AlertEvent[][] = [[], [], []];
  for (let s = 0; s < sources; s++) {
    for (const metric of ['error_rate', 'cpu_usage']) {
      const src = `svc-${s}`;
      const t = T0 + s * 1000;
      const thr = (v: number, st: AlertStatus, sev: Severity, at: number, reason = 'opened') => ev(src, metric, `default.${metric}`, 'threshold', t, v, st, sev, at, 'pipeline', reason);
      const an = (v: number, st: AlertStatus, at: number, actor = 'pipeline', reason = 'opened') => ev(src, metric, 'default.anomaly', 'anomaly', t + 10, v, st, 'low', at, actor, reason);
      waves[0].push(thr(1, 'firing', 'high', t), an(1, 'firing', t + 10));
      waves[1].push(thr(2, 'firing', 'critical', t + 20, 'escalated'), an(2, 'acknowledged', t + 30, 'alice', 'acknowledged: deploy 42 rolled back'));
      waves[2].push(thr(3, 'resolved', 'critical', t + 40, 'auto-resolved'), an(3, 'resolved', t + 50, 'pipeline', 'auto-resolved'));
    }
  }
  for (let m = 0; m < nodataMetrics; m++) {
    const t = T0 + 100_000 + m;
    waves[0].push(ev('batch', `m${m}`, 'nodata', 'nodata', t, 1, 'firing', 'high', t));
    waves[2].push(ev('batch', `m${m}`, 'nodata', 'nodata', t, 2, 'resolved', 'high', t + 60_000, 'pipeline', 'data resumed'));
  }
  return waves;
}

export async function produceAlerts(producer: Producer, topic: string, events: AlertEvent[]): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    messages: events.map((e) => ({ key: seriesId(e.source, e.metric), value: encodeEvent('alert', e), headers: { 'vigil-event-id': e.eventId } })),
  });
}

export function decodeIncidents(messages: ConsumedMessage[]): IncidentEvent[] {
  return messages.map((m) => {
    const d = decodeEvent(m.value!);
    if (d.kind !== 'incident') throw new Error(`not an incident event at ${m.partition}/${m.offset}`);
    return d.record;
  });
}
