/** Builds and publishes IncidentEvent records for on-call tests (as the incident processor does: Avro, key = group key, in a transaction). */
import type { Kafka, Producer } from 'kafkajs';
import { stableId } from '../../core/ids.ts';
import { javaCompatiblePartitioner } from '../../pipeline/kafka/client.ts';
import { encodeEvent } from '../../pipeline/codec/events.ts';
import type { IncidentAlert, IncidentEvent } from '../../schemas/records.ts';

export function testAlert(source: string, over: Partial<IncidentAlert> = {}): IncidentAlert {
  const ruleId = over.ruleId ?? 'error-rate-threshold';
  const metric = over.metric ?? 'error_rate';
  const openedAt = over.openedAt ?? Date.now();
  return {
    alertId: stableId(source, metric, ruleId, openedAt),
    fingerprint: `${source}|${metric}|${ruleId}`,
    source,
    metric,
    ruleId,
    kind: 'threshold',
    severity: 'high',
    status: 'firing',
    inhibited: false,
    value: 0.2,
    threshold: 0.05,
    message: `${metric} 0.2 above 0.05`,
    openedAt,
    updatedAt: openedAt,
    version: 1,
    tags: {},
    ...over,
  };
}

/** Version `version` of the incident of `source`/error_rate holding `alerts`. */
export function testIncident(source: string, version: number, alerts: IncidentAlert[], over: Partial<IncidentEvent> = {}): IncidentEvent {
  const groupLabels = over.groupLabels ?? { source, metric: 'error_rate' };
  const groupKey = Object.keys(groupLabels).sort().map((k) => `${k}=${groupLabels[k]}`).join(',');
  const openedAt = over.openedAt ?? alerts[0].openedAt;
  const incidentId = stableId(groupKey, openedAt);
  const open = alerts.filter((a) => a.status !== 'resolved' && !a.inhibited);
  const rank = ['critical', 'high', 'medium', 'low', 'info'];
  const severity = (open.length ? open : alerts).map((a) => a.severity).sort((a, b) => rank.indexOf(a) - rank.indexOf(b))[0];
  return {
    eventId: stableId(incidentId, version),
    incidentId,
    groupKey,
    groupLabels,
    status: open.length === 0 ? 'resolved' : open.every((a) => a.status === 'acknowledged') ? 'acknowledged' : 'firing',
    severity,
    version,
    timestamp: Date.now(),
    openedAt,
    title: `${source} error_rate`,
    alerts,
    causeId: stableId('cause', incidentId, version),
    causeAlertId: alerts[alerts.length - 1].alertId,
    actor: 'pipeline',
    reason: 'test',
    comment: '',
    ...over,
  };
}

export interface IncidentPublisher {
  publish(...incidents: IncidentEvent[]): Promise<void>;
  close(): Promise<void>;
}

export async function incidentPublisher(kafka: Kafka, topic: string, transactionalId: string): Promise<IncidentPublisher> {
  const producer: Producer = kafka.producer({ createPartitioner: javaCompatiblePartitioner, transactionalId, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    async publish(...incidents) {
      const tx = await producer.transaction();
      try {
        await tx.send({ topic, acks: -1, messages: incidents.map((i) => ({ key: i.groupKey, value: encodeEvent('incident', i) })) });
        await tx.commit();
      } catch (err) {
        await tx.abort().catch(() => {});
        throw err;
      }
    },
    close: () => producer.disconnect(),
  };
}
