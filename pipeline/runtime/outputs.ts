/**
 * Kafka side of a processed batch: anomalies, alert transitions, throttled live snapshots,
 * dead letters and command results, produced with the idempotent producer (acks = all) so the
 * batch's offsets are committed only after all of them are acknowledged.
 *
 * They go out in `sendBatch` requests of at most `maxBytes`: kafkajs puts every message of one
 * topic-partition of a request into one record batch, and the broker refuses a record batch
 * over max.message.bytes — a flood of small bad records, each fine alone, would otherwise
 * build a DLQ record batch that fails on every retry.
 */
import type { Message, Producer, TopicMessages } from 'kafkajs';
import type { TopicNames } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { toDlqReference, DLQ_HEADERS } from '../ingest/dlq.ts';
import { isUnproducible } from '../kafka/produce-errors.ts';
import { recordBytes } from '../kafka/record-size.ts';
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

/**
 * Splits messages into requests of at most `maxBytes` (by `recordBytes`), keeping their order
 * within a topic; a message larger than `maxBytes` on its own gets a request of its own.
 */
export function chunkTopicMessages(list: readonly TopicMessages[], maxBytes: number): TopicMessages[][] {
  const chunks: TopicMessages[][] = [];
  let current: TopicMessages[] = [];
  let size = 0;
  const add = (topic: string, message: Message) => {
    const last = current.at(-1);
    if (last?.topic === topic) last.messages.push(message);
    else current.push({ topic, messages: [message] });
  };
  for (const { topic, messages } of list) {
    for (const message of messages) {
      const bytes = recordBytes(message);
      if (size > 0 && size + bytes > maxBytes) {
        chunks.push(current);
        current = [];
        size = 0;
      }
      add(topic, message);
      size += bytes;
    }
  }
  if (size > 0) chunks.push(current);
  return chunks;
}

export interface PublishOptions {
  /** Largest request (and so record batch) to send; see chunkTopicMessages. */
  maxBytes: number;
  logger?: Logger;
  /** Called with each dead letter replaced by a reference because the broker refused it. */
  onReference?: (letter: Message) => void;
}

/** The error when a record that is not a dead letter is refused as it is: a topic config problem. */
export const UNPRODUCIBLE_CODE = 'unproducible-output';

/**
 * A resumable publish of one batch's outputs: each call sends the requests not yet acknowledged,
 * so a retry after a failure does not send the acknowledged ones again. A request the broker
 * refuses for its content (MESSAGE_TOO_LARGE, INVALID_RECORD, …) is never sent again as it
 * was: its dead letters are replaced by references (`toDlqReference`), then it is split, and a
 * single refused event is reported as UNPRODUCIBLE_CODE with the action to take.
 */
export function outputPublisher(producer: Producer, topics: TopicNames, encode: EventEncoder, out: OutputBatch, opts: PublishOptions): () => Promise<void> {
  const pending = chunkTopicMessages(buildTopicMessages(topics, encode, out), opts.maxBytes);
  return async () => {
    while (pending.length > 0) {
      const chunk = pending[0];
      try {
        await producer.sendBatch({ topicMessages: chunk, acks: -1 });
        pending.shift();
        continue;
      } catch (err) {
        if (!isUnproducible(err)) throw err;
        pending.splice(0, 1, ...refusedChunkReplacement(chunk, topics.dlq, err, opts));
      }
    }
  };
}

const isReference = (m: Message) => String(m.headers?.[DLQ_HEADERS.truncated] ?? '').split(',').includes('reference');

function refusedChunkReplacement(chunk: TopicMessages[], dlqTopic: string, err: unknown, opts: PublishOptions): TopicMessages[][] {
  const letters = chunk.find((t) => t.topic === dlqTopic)?.messages ?? [];
  if (letters.some((m) => !isReference(m))) {
    opts.logger?.warn({ err, deadLetters: letters.length }, 'the broker refused dead letters as they are: producing references to the original records instead');
    return [
      chunk.map((t) => {
        if (t.topic !== dlqTopic) return t;
        return {
          topic: t.topic,
          messages: t.messages.map((m) => {
            if (isReference(m)) return m;
            opts.onReference?.(m);
            return toDlqReference(m);
          }),
        };
      }),
    ];
  }
  const flat = chunk.flatMap((t) => t.messages.map((m) => ({ topic: t.topic, m })));
  if (flat.length > 1) {
    const half = Math.ceil(flat.length / 2);
    const regroup = (part: typeof flat) => chunkTopicMessages(part.map(({ topic, m }) => ({ topic, messages: [m] })), Number.MAX_SAFE_INTEGER)[0];
    return [regroup(flat.slice(0, half)), regroup(flat.slice(half))];
  }
  throw new VigilError(`the broker refuses a ${flat[0].topic} record of ${recordBytes(flat[0].m)} bytes as it is`, {
    cause: err,
    code: UNPRODUCIBLE_CODE,
    action: `raise max.message.bytes of topic ${flat[0].topic} (and the broker's message.max.bytes), or lower pipeline.maxProduceBytes; the partition stays paused until then`,
  });
}

/** Sends every output of `out` (no resume across calls), by default in requests of ≤ 1,000,000 bytes. */
export async function publishOutputs(producer: Producer, topics: TopicNames, encode: EventEncoder, out: OutputBatch, opts: PublishOptions = { maxBytes: 1_000_000 }): Promise<void> {
  await outputPublisher(producer, topics, encode, out, opts)();
}
