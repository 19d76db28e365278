/**
 * Records of the <prefix>silences topic: key = silence id, value = the silence as JSON (every
 * version; compaction keeps the newest). Parsing never throws: an unusable record comes back
 * with its reason, for the reader to log and skip.
 */
import { compileSilence, SILENCE_ID_PATTERN, SILENCE_LIMITS, type CompiledSilence, type Silence } from './silence.ts';
import { preview } from './input.ts';

export type SilenceRecordResult = { ok: true; id: string; silence: CompiledSilence | null } | { ok: false; key: string; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseSilenceRecord(key: string, value: Uint8Array | null | undefined): SilenceRecordResult {
  const shownKey = key.length > 80 ? `${key.slice(0, 80)}…` : key;
  const reject = (reason: string): SilenceRecordResult => ({ ok: false, key: shownKey, reason });
  if (!SILENCE_ID_PATTERN.test(key)) return reject(`key ${preview(key)} must be a silence id matching ${SILENCE_ID_PATTERN}`);
  if (value === null || value === undefined) return { ok: true, id: key, silence: null };
  if (value.byteLength > SILENCE_LIMITS.maxRecordBytes) return reject(`value is ${value.byteLength} bytes; the limit is ${SILENCE_LIMITS.maxRecordBytes}`);
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(value));
  } catch (cause) {
    return reject(`value is not UTF-8 JSON: ${(cause as Error).message}`);
  }
  const compiled = compileSilence(body);
  if (!compiled.ok) return reject(compiled.errors.join('; '));
  if (compiled.value.silence.id !== key) return reject(`value id ${preview(compiled.value.silence.id)} differs from the key`);
  return { ok: true, id: key, silence: compiled.value };
}

export function silenceRecordValue(silence: Silence): Buffer {
  return Buffer.from(JSON.stringify(silence), 'utf8');
}
