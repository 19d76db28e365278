/**
 * The one rule for text every Vigil input path applies: strings must be well-formed Unicode.
 *
 * A JavaScript string can hold a lone surrogate ("\ud800" in JSON is legal syntax); written as
 * UTF-8 it becomes bytes no decoder accepts, so the pipeline dead-letters the record
 * (`decode-error`). The API, the producer SDK and the gateway therefore refuse such text up
 * front with this rule, and the Avro decoder refuses the bytes with `isWellFormedUtf8`.
 */
import { isUtf8 } from 'node:buffer';

/** Said by every refusal, so a caller sees the same explanation on every path. */
export const ILL_FORMED_TEXT = 'contains a lone UTF-16 surrogate (not valid Unicode, cannot be encoded as UTF-8)';

// ES2024 String.prototype.isWellFormed exists on Node 20; the ES2022 lib does not declare it.
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

/** True when `s` has no unpaired surrogate, i.e. it encodes to UTF-8 and back unchanged. */
export function isWellFormedText(s: string): boolean {
  if (nativeIsWellFormed) return nativeIsWellFormed.call(s);
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

/** True when the bytes are valid UTF-8 (no overlongs, no encoded surrogates, no truncation). */
export function isWellFormedUtf8(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  // ASCII is checked in place (most names and tags); anything else goes to Node's validator.
  for (let i = start; i < end; i++) {
    if (bytes[i] >= 0x80) return isUtf8(bytes.subarray(start, end));
  }
  return true;
}

/**
 * True when a URL's percent-encoding decodes to valid UTF-8. URL parsers (URLSearchParams,
 * fastify's querystring) turn bad sequences such as `%ED%A0%80` into U+FFFD silently.
 */
export function isWellFormedPercentEncoding(urlPart: string): boolean {
  try {
    decodeURIComponent(urlPart.replace(/\+/g, ' '));
    return true;
  } catch {
    return false;
  }
}

/** Nesting beyond this is not walked further (JSON bodies are bounded by the body limit). */
const MAX_DEPTH = 64;

/**
 * The path (`a/b/0`) of the first string, or object key, in a JSON value that breaks the rule,
 * or null when every string is well-formed.
 */
export function findIllFormedText(value: unknown, path = '', depth = 0): string | null {
  if (typeof value === 'string') return isWellFormedText(value) ? null : path || '(value)';
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findIllFormedText(value[i], `${path}/${i}`, depth + 1);
      if (found !== null) return found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    const at = `${path}/${isWellFormedText(key) ? key.slice(0, 64) : '(key)'}`;
    if (!isWellFormedText(key)) return at;
    const found = findIllFormedText((value as Record<string, unknown>)[key], at, depth + 1);
    if (found !== null) return found;
  }
  return null;
}
