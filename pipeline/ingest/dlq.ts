/**
 * Dead letters: the original record, byte for byte, plus headers that say why and where
 * from, so it can be inspected and replayed into vigil.metrics once fixed.
 */
import type { IHeaders, Message } from 'kafkajs';

export interface DlqOrigin {
  topic: string;
  partition: number;
  offset: string;
}

/** The parts of a consumed kafkajs message that a dead letter keeps. */
export interface OriginalMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: IHeaders;
  timestamp?: string;
}

export const DLQ_HEADERS = {
  reason: 'vigil-dlq-reason',
  detail: 'vigil-dlq-detail',
  topic: 'vigil-source-topic',
  partition: 'vigil-source-partition',
  offset: 'vigil-source-offset',
  timestamp: 'vigil-source-timestamp',
} as const;

const MAX_DETAIL_CHARS = 1000;

/**
 * Key and value are passed through unchanged. The original timestamp goes into a header
 * rather than onto the dead letter: time-based retention of the DLQ topic would otherwise
 * delete old records as soon as they arrive.
 */
export function toDlqMessage(original: OriginalMessage, reason: string, detail: string, origin: DlqOrigin): Message {
  // A null prototype keeps a header literally named __proto__ as an ordinary entry.
  const headers: IHeaders = Object.create(null);
  if (original.headers) {
    for (const [name, value] of Object.entries(original.headers)) {
      if (value !== undefined) headers[name] = value;
    }
  }
  headers[DLQ_HEADERS.reason] = reason;
  headers[DLQ_HEADERS.detail] = detail.length > MAX_DETAIL_CHARS ? `${detail.slice(0, MAX_DETAIL_CHARS)}…` : detail;
  headers[DLQ_HEADERS.topic] = origin.topic;
  headers[DLQ_HEADERS.partition] = String(origin.partition);
  headers[DLQ_HEADERS.offset] = origin.offset;
  if (original.timestamp !== undefined) headers[DLQ_HEADERS.timestamp] = original.timestamp;
  return { key: original.key ?? null, value: original.value, headers };
}
