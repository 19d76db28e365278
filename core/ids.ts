import { createHash } from 'node:crypto';

/** Deterministic id from its parts: the same inputs give the same id in every run and
 * every instance, which is what lets consumers and ClickHouse drop re-delivered events.
 * Parts are NUL-separated so ('a|b', 'c') ≠ ('a', 'b|c'). */
export function stableId(...parts: Array<string | number>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(String(p)).update('\u0000');
  return h.digest('hex').slice(0, 32);
}
