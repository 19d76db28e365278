/**
 * The two framings Vigil accepts on input: Avro single-object encoding (`C3 01` + 8-byte
 * little-endian CRC-64-AVRO fingerprint + body) and Confluent Schema Registry framing
 * (`00` + 4-byte big-endian schema id + body). We produce single-object encoding.
 */
import type { SchemaEntry, SchemaRegistry } from '../../schemas/avro/registry.ts';
import type { Fingerprint } from './fingerprint.ts';

export const SINGLE_OBJECT_HEADER_BYTES = 10;
export const CONFLUENT_HEADER_BYTES = 5;

export type Framing = 'single-object' | 'confluent';

export type FrameResult =
  | { ok: true; framing: Framing; entry: SchemaEntry; bodyOffset: number }
  | { ok: false; reason: 'bad-framing' | 'unknown-schema'; detail: string };

/** Identify the framing and the writer schema of `buf` without reading the body. */
export function readFrame(buf: Buffer, registry: SchemaRegistry): FrameResult {
  if (buf.length === 0) return { ok: false, reason: 'bad-framing', detail: 'empty value' };
  const magic = buf[0];
  if (magic === 0xc3) {
    if (buf.length < 2 || buf[1] !== 0x01) {
      return { ok: false, reason: 'bad-framing', detail: `single-object marker must be C3 01, got C3 ${buf.length < 2 ? '(end)' : hex2(buf[1])}` };
    }
    if (buf.length < SINGLE_OBJECT_HEADER_BYTES) {
      return { ok: false, reason: 'bad-framing', detail: `single-object header needs ${SINGLE_OBJECT_HEADER_BYTES} bytes, got ${buf.length}` };
    }
    const lo = buf.readUInt32LE(2);
    const hi = buf.readUInt32LE(6);
    const entry = registry.byFingerprint(lo, hi);
    if (!entry) {
      return { ok: false, reason: 'unknown-schema', detail: `no schema with CRC-64-AVRO fingerprint ${buf.toString('hex', 2, 10)}` };
    }
    return { ok: true, framing: 'single-object', entry, bodyOffset: SINGLE_OBJECT_HEADER_BYTES };
  }
  if (magic === 0x00) {
    if (buf.length < CONFLUENT_HEADER_BYTES) {
      return { ok: false, reason: 'bad-framing', detail: `Confluent header needs ${CONFLUENT_HEADER_BYTES} bytes, got ${buf.length}` };
    }
    const id = buf.readUInt32BE(1);
    const entry = registry.byId(id);
    if (!entry) return { ok: false, reason: 'unknown-schema', detail: `no schema with Confluent id ${id}` };
    return { ok: true, framing: 'confluent', entry, bodyOffset: CONFLUENT_HEADER_BYTES };
  }
  return { ok: false, reason: 'bad-framing', detail: `unknown magic byte ${hex2(magic)} (expected C3 01 single-object or 00 Confluent)` };
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0').toUpperCase();
}

export function frameSingleObject(fingerprint: Fingerprint, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(SINGLE_OBJECT_HEADER_BYTES + body.length);
  out[0] = 0xc3;
  out[1] = 0x01;
  fingerprint.bytes.copy(out, 2);
  body.copy(out, SINGLE_OBJECT_HEADER_BYTES);
  return out;
}

export function frameConfluent(id: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(CONFLUENT_HEADER_BYTES + body.length);
  out[0] = 0x00;
  out.writeUInt32BE(id, 1);
  body.copy(out, CONFLUENT_HEADER_BYTES);
  return out;
}
