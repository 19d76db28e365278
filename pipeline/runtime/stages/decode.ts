/** Stage 1 of a metrics batch: records → points to score, and dead letters with their reasons. */
import type { Message } from 'kafkajs';
import type { VigilConfig } from '../../../core/config.ts';
import type { Logger } from '../../../core/logger.ts';
import { decodeMetricRecord, toDlqMessage } from '../../ingest/decode-record.ts';
import type { IncomingPoint } from '../../processor/score-points.ts';
import { firstAfterOffset } from './after-offset.ts';

export interface DecodedBatch {
  incoming: IncomingPoint[];
  dlq: Message[];
  dlqReasons: string[];
}

export interface DecodeOptions {
  topic: string;
  partition: number;
  /** Offsets up to this one are already reflected in the partition's state (re-fetch after a rebuild). */
  stateOffset: bigint;
  limits: Pick<VigilConfig['pipeline'], 'maxTagCount' | 'maxTagBytes' | 'maxFutureSkewMs'>;
  maxProduceBytes: number;
  nowMs: number;
  logger: Logger;
}

export function decodeBatch(messages: ReadonlyArray<{ key: Buffer | null; value: Buffer | null; offset: string; headers?: Message['headers']; timestamp?: string }>, opts: DecodeOptions): DecodedBatch {
  const out: DecodedBatch = { incoming: [], dlq: [], dlqReasons: [] };
  const limits = { ...opts.limits, nowMs: opts.nowMs };
  for (let i = firstAfterOffset(messages, opts.stateOffset); i < messages.length; i++) {
    const message = messages[i];
    const decoded = decodeMetricRecord(message, limits);
    if (decoded.ok) {
      out.incoming.push({ point: decoded.point, seriesId: decoded.seriesId, offset: message.offset });
    } else {
      const origin = { topic: opts.topic, partition: opts.partition, offset: message.offset };
      out.dlq.push(toDlqMessage(message, decoded.reason, decoded.detail, origin, { maxBytes: opts.maxProduceBytes }));
      out.dlqReasons.push(decoded.reason);
      opts.logger.debug({ partition: opts.partition, offset: message.offset, reason: decoded.reason, detail: decoded.detail }, 'record sent to DLQ');
    }
  }
  return out;
}
