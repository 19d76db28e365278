/** Time filters: epoch milliseconds or ISO-8601, always resolved to integer epoch ms (UTC). */
import { badRequest } from './http-error.ts';

const MAX_MS = Date.UTC(9999, 11, 31);
const HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/;

export function parseTime(text: string, field: string): number {
  let ms: number;
  if (/^\d{1,15}$/.test(text)) {
    ms = Number(text);
  } else {
    // A date-time without an offset means UTC here (JS would read it as local time).
    const iso = text.includes('T') && !HAS_OFFSET.test(text) ? `${text}Z` : text;
    ms = Date.parse(iso);
  }
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_MS) {
    throw badRequest(`${field} is not a valid time`, [{ path: field, message: 'expected epoch milliseconds or an ISO-8601 date-time between 1970 and 9999' }]);
  }
  return ms;
}

/** Both ends parsed and ordered; `to` is exclusive. */
export function parseRange(q: { from?: string; to?: string }): { from?: number; to?: number } {
  const from = q.from === undefined ? undefined : parseTime(q.from, 'from');
  const to = q.to === undefined ? undefined : parseTime(q.to, 'to');
  if (from !== undefined && to !== undefined && from > to) {
    throw badRequest('from is after to', [{ path: 'from', message: 'must not be after to' }]);
  }
  return { from, to };
}
