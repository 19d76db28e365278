/**
 * Points → Kafka messages for the producer SDK: validate every point (the pipeline's checks),
 * key by series id, Avro single-object encode. One buffer per call holds every value (each
 * message's value is a view into it), and a series' key buffer is made once, so a point costs no
 * allocation of its own beyond avsc's write position and the message object — at 200k points/s
 * per-point buffers are most of the garbage collector's work.
 */
import { Partitioners, type ICustomPartitioner } from 'kafkajs';
import { VigilError } from '../../core/errors.ts';
import type { SchemaEntry } from '../../schemas/avro/registry.ts';
import type { MetricPoint } from '../../schemas/records.ts';
import { SINGLE_OBJECT_HEADER_BYTES } from '../codec/framing.ts';
import { type IngestLimits } from '../ingest/checks.ts';
import { validateMetricPoint } from '../ingest/validate.ts';
import { SdkMessage } from './fast-produce.ts';
import type { QueuedMessage } from './send-queue.ts';

/** A point as callers write it: tags may be left out. */
export type MetricPointInput = Omit<MetricPoint, 'tags'> & { tags?: Record<string, string> };

export interface InvalidPoint {
  index: number;
  errors: string[];
}

/** Thrown by send() when points fail validation; `invalid` lists each bad item. */
export class InvalidMetricPointsError extends VigilError {
  readonly invalid: InvalidPoint[];
  constructor(invalid: InvalidPoint[], total: number) {
    const shown = invalid
      .slice(0, 10)
      .map((p) => `[${p.index}] ${p.errors.join('; ')}`)
      .join(' | ');
    const more = invalid.length > 10 ? ` (and ${invalid.length - 10} more)` : '';
    super(`${invalid.length} of ${total} metric points are invalid, none were sent: ${shown}${more}`, {
      code: 'invalid-points',
      action: 'fix or drop the listed points and send again',
    });
    this.name = 'InvalidMetricPointsError';
    this.invalid = invalid;
  }
}

/** Series ids kept with their key buffer; past this many the cache starts over (bounded memory). */
const MAX_CACHED_KEYS = 100_000;
/** First guess of a point's framed size; the buffer grows when a call's points are larger. */
const BYTES_PER_POINT_GUESS = 96;

/** `sdkMessages`: build SdkMessage objects (taken by the fast produce encoding) or plain ones (kafkajs's). */
export function createPointEncoder(writer: SchemaEntry, limits: Omit<IngestLimits, 'nowMs'>, sdkMessages = true): (points: MetricPointInput[]) => QueuedMessage[] {
  const keys = new Map<string, Buffer>();
  const header = Buffer.alloc(SINGLE_OBJECT_HEADER_BYTES);
  header[0] = 0xc3;
  header[1] = 0x01;
  writer.fingerprint.bytes.copy(header, 2);

  function keyOf(source: string, metric: string): Buffer {
    const id = `${source}/${metric}`;
    let key = keys.get(id);
    if (key === undefined) {
      if (keys.size >= MAX_CACHED_KEYS) keys.clear();
      key = Buffer.from(id, 'utf8');
      keys.set(id, key);
    }
    return key;
  }

  return (points) => {
    const checkLimits: IngestLimits = { ...limits, nowMs: Date.now() };
    const invalid: InvalidPoint[] = [];
    const valid: MetricPoint[] = new Array(points.length);
    for (let i = 0; i < points.length; i++) {
      const result = validateMetricPoint(points[i], checkLimits);
      if (result.ok) valid[i] = result.point;
      else invalid.push({ index: i, errors: result.errors });
    }
    if (invalid.length > 0) throw new InvalidMetricPointsError(invalid, points.length);

    let buf = Buffer.allocUnsafe(Math.max(4096, points.length * BYTES_PER_POINT_GUESS));
    const ends = new Uint32Array(points.length);
    let pos = 0;
    for (let i = 0; i < valid.length; i++) {
      for (;;) {
        if (pos + SINGLE_OBJECT_HEADER_BYTES < buf.length) {
          header.copy(buf, pos);
          const end = writer.type.encode(valid[i], buf, pos + SINGLE_OBJECT_HEADER_BYTES);
          // avsc returns a negative count of the bytes missing when the point did not fit.
          if (end >= 0) {
            pos = end;
            break;
          }
        }
        const grown = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(grown, 0, 0, pos);
        buf = grown;
      }
      ends[i] = pos;
    }
    // Views are taken after the last grow: every value points into the final buffer.
    const messages: QueuedMessage[] = new Array(valid.length);
    let start = 0;
    for (let i = 0; i < valid.length; i++) {
      const key = keyOf(valid[i].source, valid[i].metric);
      const value = buf.subarray(start, ends[i]);
      messages[i] = sdkMessages ? new SdkMessage(key, value) : { key, value };
      start = ends[i];
    }
    return messages;
  };
}

/**
 * kafkajs's DefaultPartitioner (murmur2 exactly as the Java client) with the answer kept per key
 * buffer: the SDK hands the same buffer for every point of a series, and kafkajs otherwise hashes
 * the key and filters the partition list for every message. Starts over when the partition count
 * changes or the cache is full.
 */
export const CachingJavaPartitioner: ICustomPartitioner = () => {
  const inner = Partitioners.DefaultPartitioner();
  let cache = new WeakMap<object, number>();
  let cached = 0;
  let partitionCount = -1;
  return (args) => {
    const { key } = args.message;
    if (!Buffer.isBuffer(key) || args.message.partition != null) return inner(args);
    if (args.partitionMetadata.length !== partitionCount || cached >= MAX_CACHED_KEYS) {
      cache = new WeakMap();
      cached = 0;
      partitionCount = args.partitionMetadata.length;
    }
    let partition = cache.get(key);
    if (partition === undefined) {
      partition = inner(args);
      cache.set(key, partition);
      cached += 1;
    }
    return partition;
  };
};
