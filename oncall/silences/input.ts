/** Small readers for untrusted JSON shared by the silence validators. */

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: string[] };

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v;
}

/** A quoted, shortened echo of hostile text for an error message. */
export function preview(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

/** One error per key outside the whitelist (`__proto__` and `constructor` included). */
export function unknownFields(obj: Record<string, unknown>, allowed: readonly string[], path: string): string[] {
  return Object.keys(obj)
    .filter((k) => !allowed.includes(k))
    .map((k) => `${path}${path ? '.' : ''}${preview(k).slice(1, -1)}: unknown field (allowed: ${allowed.join(', ')})`);
}
