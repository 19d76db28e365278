/**
 * Dead letters: the original record, byte for byte, plus headers that say why and where
 * from, so it can be inspected and replayed into vigil.metrics once fixed.
 *
 * A dead letter must also fit the DLQ topic: a record accepted on the metrics topic just under
 * max.message.bytes no longer fits once the reason headers are added, and a produce the
 * broker refuses as too large fails the same way on every retry. So a copy larger than the
 * budget is cut down (the record's own headers, then the key, then the value, each replaced
 * by its size and SHA-256), and `toDlqReference` reduces one to where the original is.
 */
import { createHash } from 'node:crypto';
import type { IHeaders, Message } from 'kafkajs';
import { byteLength as bytesOf, headerBytes, recordBytes } from '../kafka/record-size.ts';

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
  /** What was cut to fit: a comma list of `headers`, `key`, `value`, or `reference` (no payload). */
  truncated: 'vigil-dlq-truncated',
  originalValueBytes: 'vigil-original-value-bytes',
  originalValueSha256: 'vigil-original-value-sha256',
  originalKeyBytes: 'vigil-original-key-bytes',
  originalKeySha256: 'vigil-original-key-sha256',
  /** Names of the record's own headers when they were dropped (comma list, shortened). */
  originalHeaders: 'vigil-original-headers',
  originalHeaderBytes: 'vigil-original-header-bytes',
} as const;

const MAX_DETAIL_CHARS = 1000;
/** A key longer than this is cut when the copy must shrink: it only picks the DLQ partition. */
const MAX_KEY_BYTES = 1024;
/** The record's own headers are dropped (names kept) when the copy must shrink and they hold more. */
const MAX_HEADER_BYTES = 16_384;

export interface DlqOptions {
  /** Largest dead letter (key + value + headers) to produce; larger copies are cut down. */
  maxBytes?: number;
}

/**
 * Key and value are passed through unchanged. The original timestamp goes into a header
 * rather than onto the dead letter: time-based retention of the DLQ topic would otherwise
 * delete old records as soon as they arrive.
 */
export function toDlqMessage(original: OriginalMessage, reason: string, detail: string, origin: DlqOrigin, opts: DlqOptions = {}): Message {
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
  const letter: Message = { key: original.key ?? null, value: original.value, headers };
  return opts.maxBytes !== undefined && recordBytes(letter) > opts.maxBytes ? shrink(letter, opts.maxBytes) : letter;
}

const asBuffer = (v: Buffer | string): Buffer => (typeof v === 'string' ? Buffer.from(v) : v);
const sha256 = (v: Buffer | string) => createHash('sha256').update(v).digest('hex');
const isVigilHeader = (name: string) => name.startsWith('vigil-dlq-') || name.startsWith('vigil-source-') || name.startsWith('vigil-original-');

function addTruncated(headers: IHeaders, what: string) {
  const prev = headers[DLQ_HEADERS.truncated];
  headers[DLQ_HEADERS.truncated] = prev ? `${String(prev)},${what}` : what;
}

/** Cuts a dead letter to `maxBytes`: own headers first, then the key, then the value (a prefix is kept). */
function shrink(letter: Message, maxBytes: number): Message {
  const headers: IHeaders = Object.create(null);
  Object.assign(headers, letter.headers);
  let key = letter.key ?? null;
  let value = letter.value ?? null;
  const ownBytes = headerBytes(headers, (n) => !isVigilHeader(n));
  if (ownBytes > MAX_HEADER_BYTES) {
    const names = Object.keys(headers).filter((n) => !isVigilHeader(n));
    for (const n of names) delete headers[n];
    const list = names.join(',');
    headers[DLQ_HEADERS.originalHeaders] = list.length > MAX_DETAIL_CHARS ? `${list.slice(0, MAX_DETAIL_CHARS)}…` : list;
    headers[DLQ_HEADERS.originalHeaderBytes] = String(ownBytes);
    addTruncated(headers, 'headers');
  }
  if (key !== null && bytesOf(key) > MAX_KEY_BYTES) {
    const k = asBuffer(key);
    headers[DLQ_HEADERS.originalKeyBytes] = String(k.length);
    headers[DLQ_HEADERS.originalKeySha256] = sha256(k);
    key = k.subarray(0, MAX_KEY_BYTES);
    addTruncated(headers, 'key');
  }
  if (value !== null && recordBytes({ key, value, headers }) > maxBytes) {
    const v = asBuffer(value);
    headers[DLQ_HEADERS.originalValueBytes] = String(v.length);
    headers[DLQ_HEADERS.originalValueSha256] = sha256(v);
    addTruncated(headers, 'value');
    const room = maxBytes - recordBytes({ key, value: null, headers });
    value = v.subarray(0, Math.max(0, room));
  }
  return { ...letter, key, value, headers };
}

/**
 * The smallest dead letter: no payload, the key cut to 1 KiB, only Vigil's own headers, plus the
 * original sizes and digests. The fallback when the broker still refuses a dead letter
 * (MESSAGE_TOO_LARGE, INVALID_RECORD, …): the original stays findable by topic/partition/offset.
 */
export function toDlqReference(letter: Message): Message {
  const headers: IHeaders = Object.create(null);
  let ownBytes = 0;
  for (const [name, value] of Object.entries(letter.headers ?? {})) {
    if (isVigilHeader(name)) headers[name] = value;
    else ownBytes += headerBytes({ [name]: value });
  }
  if (ownBytes > 0 && headers[DLQ_HEADERS.originalHeaderBytes] === undefined) headers[DLQ_HEADERS.originalHeaderBytes] = String(ownBytes);
  const key = letter.key ?? null;
  if (key !== null && bytesOf(key) > MAX_KEY_BYTES && headers[DLQ_HEADERS.originalKeyBytes] === undefined) {
    headers[DLQ_HEADERS.originalKeyBytes] = String(bytesOf(key));
    headers[DLQ_HEADERS.originalKeySha256] = sha256(key);
  }
  const value = letter.value ?? null;
  if (value !== null && headers[DLQ_HEADERS.originalValueBytes] === undefined) {
    headers[DLQ_HEADERS.originalValueBytes] = String(bytesOf(value));
    headers[DLQ_HEADERS.originalValueSha256] = sha256(value);
  }
  const truncated = String(headers[DLQ_HEADERS.truncated] ?? '').split(',').filter((w) => w && w !== 'reference');
  headers[DLQ_HEADERS.truncated] = [...truncated, 'reference'].join(',');
  return { ...letter, key: key === null ? null : asBuffer(key).subarray(0, MAX_KEY_BYTES), value: Buffer.alloc(0), headers };
}
