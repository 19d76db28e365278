/**
 * Kafka side of a processed batch: anomalies, alert transitions, throttled live snapshots,
 * dead letters and command results, produced in one idempotent `sendBatch` so the batch's
 * offsets are committed only after all of them are acknowledged (acks = all).
 */
import type { Message, Producer, TopicMessages } from 'kafkajs';
import type { TopicNames } from '../../core/config.ts';
import type { AlertEvent, AnomalyEvent, CommandResult, LiveSnapshot } from '../../schemas/records.ts';
import { seriesId } from '../../schemas/records.ts';

export type OutputKind = 'anomaly' | 'alert' | 'live' | 'commandResult';
export type EventEncoder = (kind: OutputKind, record: object) => Buffer;

export interface OutputBatch {
  anomalies: AnomalyEvent[];
  alerts: AlertEvent[];
  live: LiveSnapshot[];
  dlq: Message[];
  commandResults: CommandResult[];
}

export const emptyOutputs = (): OutputBatch => ({ anomalies: [], alerts: [], live: [], dlq: [], commandResults: [] });

export function buildTopicMessages(topics: TopicNames, encode: EventEncoder, out: OutputBatch): TopicMessages[] {
  const msg = (key: string, kind: OutputKind, record: object, id: string): Message => ({
    key,
    value: encode(kind, record),
    headers: { 'vigil-event-id': id, 'vigil-kind': kind },
  });
  const list: TopicMessages[] = [
    { topic: topics.anomalies, messages: out.anomalies.map((a) => msg(seriesId(a.source, a.metric), 'anomaly', a, `${a.id}:${a.version}`)) },
    { topic: topics.alerts, messages: out.alerts.map((e) => msg(seriesId(e.source, e.metric), 'alert', e, e.eventId)) },
    { topic: topics.live, messages: out.live.map((l) => msg(seriesId(l.source, l.metric), 'live', l, `${seriesId(l.source, l.metric)}:${l.timestamp}`)) },
    { topic: topics.dlq, messages: out.dlq },
    { topic: topics.commandResults, messages: out.commandResults.map((r) => msg(r.commandId, 'commandResult', r, r.commandId)) },
  ];
  return list.filter((t) => t.messages.length > 0);
}

export async function publishOutputs(producer: Producer, topics: TopicNames, encode: EventEncoder, out: OutputBatch): Promise<void> {
  const topicMessages = buildTopicMessages(topics, encode, out);
  if (topicMessages.length === 0) return;
  await producer.sendBatch({ topicMessages, acks: -1 });
}
