/**
 * vigil.metrics record → validated MetricPoint, or the reason it belongs in the DLQ.
 * Runs on every record: it never throws, and reuses the resolver/guard per writer schema.
 */
import { getSchemaRegistry, type SchemaRegistry } from '../../schemas/avro/registry.ts';
import { type MetricPoint } from '../../schemas/records.ts';
import { AvroRecordReader } from '../codec/reader.ts';
import { firstPointProblem, type IngestLimits } from './checks.ts';
import type { DlqReason } from './reasons.ts';

export { toDlqMessage, DLQ_HEADERS, type DlqOrigin, type OriginalMessage } from './dlq.ts';
export type { DlqReason } from './reasons.ts';
export type { IngestLimits } from './checks.ts';

export type DecodeMetricResult =
  | { ok: true; point: MetricPoint; seriesId: string }
  | { ok: false; reason: DlqReason; detail: string };

export interface MetricMessage {
  key: Buffer | null;
  value: Buffer | null;
}

const METRIC_POINT = 'io.vigil.MetricPoint';

export type MetricDecoder = (message: MetricMessage, limits: IngestLimits) => DecodeMetricResult;

/**
 * A decoder over `registry` (the committed schemas by default).
 *
 * A key that is not `source/metric` goes to the DLQ rather than being accepted: the key
 * decides the partition, and the partition decides which pipeline instance owns a series'
 * window and alerts. A point keyed otherwise lands with an owner that is not the series'
 * owner, so accepting it would split one series' state across instances.
 */
export function createMetricDecoder(registry: SchemaRegistry = getSchemaRegistry()): MetricDecoder {
  const reader = new AvroRecordReader(registry);
  return (message, limits) => {
    try {
      const { key, value } = message;
      if (value === null || value === undefined) return { ok: false, reason: 'tombstone', detail: 'null value' };
      if (key === null || key === undefined || key.length === 0) return { ok: false, reason: 'missing-key', detail: 'null or empty key' };
      const read = reader.read<MetricPoint>(value, METRIC_POINT);
      if (!read.ok) {
        return { ok: false, reason: read.reason === 'reserved-key' ? 'invalid-tags' : read.reason, detail: read.detail };
      }
      const point = read.value;
      const problem = firstPointProblem(point, limits);
      if (problem) return { ok: false, reason: problem.reason, detail: `${problem.field}: ${problem.message}` };
      if (!keyEquals(key, point.source, point.metric)) {
        const id = `${point.source}/${point.metric}`;
        return { ok: false, reason: 'key-mismatch', detail: `key ${JSON.stringify(key.toString('utf8').slice(0, 200))} is not ${JSON.stringify(id)}` };
      }
      return { ok: true, point, seriesId: `${point.source}/${point.metric}` };
    } catch (err) {
      // Nothing above should throw; if something does, the record is still not lost.
      return { ok: false, reason: 'decode-error', detail: `unexpected: ${(err as Error)?.message ?? String(err)}` };
    }
  };
}

/** Whether `key` holds the UTF-8 bytes of `source/metric`, without decoding it on the common (ASCII) path. */
function keyEquals(key: Buffer, source: string, metric: string): boolean {
  const n = source.length;
  if (key.length === n + 1 + metric.length) {
    let ascii = true;
    for (let i = 0; i < n && ascii; i++) {
      const c = source.charCodeAt(i);
      if (c >= 0x80) ascii = false;
      else if (key[i] !== c) return false;
    }
    if (ascii && key[n] !== 0x2f) return false;
    for (let i = 0; i < metric.length && ascii; i++) {
      const c = metric.charCodeAt(i);
      if (c >= 0x80) ascii = false;
      else if (key[n + 1 + i] !== c) return false;
    }
    if (ascii) return true;
  }
  // Equal byte length + equal decoded text = equal bytes (UTF-8 has one encoding per text).
  const id = `${source}/${metric}`;
  return key.length === Buffer.byteLength(id, 'utf8') && key.toString('utf8') === id;
}

let defaultDecoder: MetricDecoder | undefined;

/** Decode and validate one vigil.metrics record with the committed schemas. Never throws. */
export function decodeMetricRecord(message: MetricMessage, limits: IngestLimits): DecodeMetricResult {
  defaultDecoder ??= createMetricDecoder();
  return defaultDecoder(message, limits);
}
