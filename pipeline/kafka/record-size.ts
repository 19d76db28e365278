/** Sizes of Kafka records as the broker counts them against max.message.bytes. */
import type { IHeaders, Message } from 'kafkajs';

/** Per record and per header framing in a v2 record batch (varints), rounded up. */
const RECORD_OVERHEAD = 32;
const HEADER_OVERHEAD = 10;

export const byteLength = (v: Buffer | string | null | undefined): number => (v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length);

/** Bytes of `headers` (names, values, framing); `include` picks which names count. */
export function headerBytes(headers: IHeaders | undefined, include?: (name: string) => boolean): number {
  let n = 0;
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (include && !include(name)) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) n += Buffer.byteLength(name) + byteLength(v as Buffer | string | undefined) + HEADER_OVERHEAD;
  }
  return n;
}

/** An upper bound of what `message` takes in an uncompressed v2 record batch. */
export function recordBytes(message: Message): number {
  return RECORD_OVERHEAD + byteLength(message.key) + byteLength(message.value) + headerBytes(message.headers);
}
