/**
 * A faster encoding of kafkajs 2.2.4's Produce request (versions 3–7, record batch v2, no
 * compression) for the SDK's messages only, byte for byte what kafkajs itself builds.
 *
 * Why: kafkajs builds every record through a zero-filled 512-byte Encoder, a `{...message}`
 * spread, Long arithmetic for a timestamp delta that is always 0 here and an array per varint —
 * ~10 µs of CPU per record, which caps one Node process at ~100k records/s however the SDK
 * batches (docs/benchmarks.md "Producer SDK"). This writes all records of a partition into one
 * buffer in a single pass. Everything else (metadata, partitioning, sequence numbers, the
 * idempotent producer's lock, retries, responses) stays kafkajs's.
 *
 * How: kafkajs looks the request module up with `require('./vN/request')` on every produce
 * call, so replacing the exports of those cached modules wraps each request; the wrapper takes
 * over `encode` only when every message of the request is an SdkMessage (the SDK's own class)
 * and compression is off, and otherwise leaves kafkajs's request untouched. Installed only for
 * the version of kafkajs it was checked against (test/unit/sdk/fast-produce.test.ts compares
 * its bytes with kafkajs's on random batches); any other version keeps kafkajs's encoding.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A message built by the SDK: Buffer key and value, no headers, no timestamp. */
export class SdkMessage {
  constructor(
    readonly key: Buffer,
    readonly value: Buffer,
  ) {}
}

export const FAST_PRODUCE_KAFKAJS_VERSION = '2.2.4';

interface PartitionData {
  partition: number;
  firstSequence?: number;
  messages: unknown[];
}
interface TopicData {
  topic: string;
  partitions: PartitionData[];
}
interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: TopicData[];
}
type KafkaEncoder = { buf: Buffer; offset: number };
type RequestFactory = (args: ProduceArgs) => { encode: () => Promise<KafkaEncoder> };

interface KafkaInternals {
  Encoder: new (size?: number) => KafkaEncoder;
  Long: { fromValue(v: unknown): { getHighBits(): number; getLowBits(): number } };
  crc32C: (buf: Buffer) => number;
}

let internals: KafkaInternals | null = null;
let installed = false;

const sizeOfUVarInt = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);
/** kafkajs's writeVarInt: zigzag, then unsigned varint (values here are >= 0 and < 2^30). */
const zigzag = (v: number): number => (v << 1) ^ (v >> 31);

function writeUVarInt(buf: Buffer, pos: number, v: number): number {
  while ((v & 0xffffff80) !== 0) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v & 0x7f;
  return pos;
}

function writeInt64(buf: Buffer, pos: number, value: unknown, k: KafkaInternals): number {
  const long = k.Long.fromValue(value);
  buf.writeInt32BE(long.getHighBits(), pos);
  buf.writeInt32BE(long.getLowBits(), pos + 4);
  return pos + 8;
}

const RECORD_BATCH_HEADER = 8 + 4 + 4 + 1 + 4; // firstOffset, length, partitionLeaderEpoch, magic, crc
const BATCH_BODY_HEADER = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4; // attributes … firstSequence, record count

/** The request body kafkajs's produce v3 `encode()` returns, for SDK messages, as one buffer. */
export function encodeProduceBody(args: ProduceArgs, nowMs: () => number, k: KafkaInternals): Buffer {
  const { acks, timeout, topicData } = args;
  const transactionalId = args.transactionalId ?? null;
  const producerId = args.producerId ?? -1;
  const producerEpoch = args.producerEpoch ?? 0;
  // Size first: one allocation for the whole request.
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId)) + 2 + 4 + 4;
  for (const t of topicData) {
    size += 2 + Buffer.byteLength(t.topic) + 4;
    for (const p of t.partitions) {
      size += 4 + 4 + RECORD_BATCH_HEADER + BATCH_BODY_HEADER;
      const messages = p.messages as SdkMessage[];
      for (let i = 0; i < messages.length; i++) {
        const { key, value } = messages[i];
        const body = 3 + sizeOfUVarInt(zigzag(i)) + sizeOfUVarInt(zigzag(key.length)) + key.length + sizeOfUVarInt(zigzag(value.length)) + value.length;
        size += sizeOfUVarInt(zigzag(body)) + body;
      }
    }
  }
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  if (transactionalId === null) pos = buf.writeInt16BE(-1, pos);
  else {
    pos = buf.writeInt16BE(Buffer.byteLength(transactionalId), pos);
    pos += buf.write(transactionalId, pos, 'utf8');
  }
  pos = buf.writeInt16BE(acks, pos);
  pos = buf.writeInt32BE(timeout, pos);
  pos = buf.writeInt32BE(topicData.length, pos);
  for (const t of topicData) {
    pos = buf.writeInt16BE(Buffer.byteLength(t.topic), pos);
    pos += buf.write(t.topic, pos, 'utf8');
    pos = buf.writeInt32BE(t.partitions.length, pos);
    for (const p of t.partitions) {
      const messages = p.messages as SdkMessage[];
      // kafkajs: no message timestamps, so first = max = "now" (read once per partition).
      const now = nowMs();
      pos = buf.writeInt32BE(p.partition, pos);
      const sizeAt = pos;
      pos += 4; // recordBatch.size(), filled in below
      const batchStart = pos;
      pos = writeInt64(buf, pos, 0, k); // firstOffset
      const lengthAt = pos;
      pos += 4; // writeBytes length of the batch
      const batchContentStart = pos;
      pos = buf.writeInt32BE(0, pos); // partitionLeaderEpoch
      pos = buf.writeInt8(2, pos); // magic
      const crcAt = pos;
      pos += 4;
      const bodyStart = pos;
      pos = buf.writeInt16BE(transactionalId === null ? 0 : 16, pos); // attributes: no compression (+ transactional)
      pos = buf.writeInt32BE(messages.length - 1, pos); // lastOffsetDelta
      pos = writeInt64(buf, pos, now, k);
      pos = writeInt64(buf, pos, now, k);
      pos = writeInt64(buf, pos, producerId, k);
      pos = buf.writeInt16BE(producerEpoch, pos);
      pos = buf.writeInt32BE(p.firstSequence ?? 0, pos);
      pos = buf.writeInt32BE(messages.length, pos);
      for (let i = 0; i < messages.length; i++) {
        const { key, value } = messages[i];
        const body = 3 + sizeOfUVarInt(zigzag(i)) + sizeOfUVarInt(zigzag(key.length)) + key.length + sizeOfUVarInt(zigzag(value.length)) + value.length;
        pos = writeUVarInt(buf, pos, zigzag(body));
        buf[pos++] = 0; // attributes
        buf[pos++] = 0; // timestampDelta (varlong 0)
        pos = writeUVarInt(buf, pos, zigzag(i)); // offsetDelta
        pos = writeUVarInt(buf, pos, zigzag(key.length));
        pos += key.copy(buf, pos);
        pos = writeUVarInt(buf, pos, zigzag(value.length));
        pos += value.copy(buf, pos);
        buf[pos++] = 0; // no headers
      }
      buf.writeUInt32BE(k.crc32C(buf.subarray(bodyStart, pos)), crcAt);
      buf.writeInt32BE(pos - batchContentStart, lengthAt);
      buf.writeInt32BE(pos - batchStart, sizeAt);
    }
  }
  if (pos !== size) throw new Error(`fast produce encoding wrote ${pos} of ${size} bytes`);
  return buf;
}

function eligible(args: ProduceArgs): boolean {
  if ((args.compression ?? 0) !== 0) return false;
  for (const t of args.topicData) {
    for (const p of t.partitions) {
      if (p.messages.length === 0) return false;
      for (const m of p.messages) if (!(m instanceof SdkMessage)) return false;
    }
  }
  return true;
}

function loadInternals(): KafkaInternals | null {
  try {
    const version = (require('kafkajs/package.json') as { version: string }).version;
    if (version !== FAST_PRODUCE_KAFKAJS_VERSION) return null;
    return {
      Encoder: require('kafkajs/src/protocol/encoder.js'),
      Long: require('kafkajs/src/utils/long.js'),
      crc32C: require('kafkajs/src/protocol/recordBatch/crc32C/index.js'),
    };
  } catch {
    return null;
  }
}

/** The kafkajs internals the encoder needs, or null when kafkajs is not the checked version. */
export function kafkaInternals(): KafkaInternals | null {
  internals ??= loadInternals();
  return internals;
}

/** Wraps kafkajs's produce request modules v3–v7 (once per process); false when not installed. */
export function installFastProduce(): boolean {
  if (installed) return true;
  const k = kafkaInternals();
  if (!k) return false;
  for (let v = 3; v <= 7; v++) {
    const id = require.resolve(`kafkajs/src/protocol/requests/produce/v${v}/request.js`);
    const original = require(id) as RequestFactory;
    const cached = require.cache[id];
    if (!cached) return false;
    cached.exports = (args: ProduceArgs) => {
      const request = original(args);
      if (!eligible(args)) return request;
      return {
        ...request,
        encode: async () => {
          const encoder = new k.Encoder(0);
          encoder.buf = encodeProduceBody(args, Date.now, k);
          encoder.offset = encoder.buf.length;
          return encoder;
        },
      };
    };
  }
  installed = true;
  return true;
}
