import { describe, expect, it } from 'vitest';
import { afterCursor, decodeCursor, encodeCursor, pageFrom } from '../../../api/paging.ts';
import { HttpError } from '../../../api/http-error.ts';
import { parseRange, parseTime } from '../../../api/time.ts';
import { sql } from '../../../api/sql.ts';
import { listAlertsQuery } from '../../../api/queries/alerts.ts';
import { listAnomaliesQuery } from '../../../api/queries/anomalies.ts';
import { tablesIn } from '../../../api/queries/tables.ts';

function status(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof HttpError ? err.statusCode : -1;
  }
  return undefined;
}

describe('cursors', () => {
  it('round-trips a position within its scope', () => {
    const c = encodeCursor('alerts:opened_at:desc', { key: 1700000000000, id: "a'b" });
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('alerts:opened_at:desc', c)).toEqual({ key: 1700000000000, id: "a'b" });
  });

  it('refuses a cursor from another sort order', () => {
    const c = encodeCursor('alerts:opened_at:desc', { key: 1, id: 'x' });
    expect(status(() => decodeCursor('alerts:severity:desc', c))).toBe(400);
  });

  const forged = (obj: unknown) => Buffer.from(JSON.stringify(obj)).toString('base64url');
  it.each([
    ['not base64', "' OR 1=1 --"],
    ['garbage', 'AAAA'],
    ['json array', forged([1, 2])],
    ['float key', forged({ s: 'x', k: 1.5, i: 'a' })],
    ['string key', forged({ s: 'x', k: "1 OR 1=1", i: 'a' })],
    ['huge key', forged({ s: 'x', k: 2 ** 63, i: 'a' })],
    ['control char id', forged({ s: 'x', k: 1, i: 'a\0b' })],
    ['empty id', forged({ s: 'x', k: 1, i: '' })],
    ['object id', forged({ s: 'x', k: 1, i: { a: 1 } })],
    ['too long', 'A'.repeat(5000)],
  ])('rejects %s with 400', (_name, cursor) => {
    expect(status(() => decodeCursor('x', cursor))).toBe(400);
  });

  it('builds a keyset condition for both directions', () => {
    expect(afterCursor(sql`k`, sql`id`, 'desc', { key: 5, id: "o'k" }).text).toBe("k < 5 OR (k = 5 AND id < 'o\\'k')");
    expect(afterCursor(sql`k`, sql`id`, 'asc', { key: 5, id: 'z' }).text).toBe("k > 5 OR (k = 5 AND id > 'z')");
  });

  it('pageFrom() trims the look-ahead row and makes a cursor from the last kept row', () => {
    const rows = [1, 2, 3].map((n) => ({ k: n, id: `r${n}` }));
    const page = pageFrom(rows, 2, 's', (r) => r.id, (r) => ({ key: r.k, id: r.id }));
    expect(page.items).toEqual(['r1', 'r2']);
    expect(decodeCursor('s', page.nextCursor!)).toEqual({ key: 2, id: 'r2' });
    expect(pageFrom(rows, 3, 's', (r) => r.id, (r) => ({ key: r.k, id: r.id })).nextCursor).toBeNull();
  });
});

describe('time filters', () => {
  it('accepts epoch ms and ISO dates (UTC when no offset)', () => {
    expect(parseTime('1700000000000', 'from')).toBe(1700000000000);
    expect(parseTime('2024-01-02', 'from')).toBe(Date.UTC(2024, 0, 2));
    expect(parseTime('2024-01-02T03:04:05', 'from')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
    expect(parseTime('2024-01-02T03:04:05.678+01:00', 'from')).toBe(Date.UTC(2024, 0, 2, 2, 4, 5, 678));
  });
  it.each(['2024-13-45', 'yesterday', '', '2024-01-02T25:00:00Z', "0' OR 1=1"])('rejects %j', (t) => {
    expect(status(() => parseTime(t, 'from'))).toBe(400);
  });
  it('rejects from after to', () => {
    expect(status(() => parseRange({ from: '2000', to: '1000' }))).toBe(400);
    expect(parseRange({ from: '1000', to: '2000' })).toEqual({ from: 1000, to: 2000 });
  });
});

describe('query builders bind every filter', () => {
  const tables = tablesIn('vigil_test');
  const hostile = "x' OR 1=1 --";

  it('alerts: filters go to literals, sort/order only from whitelists', () => {
    const q = listAlertsQuery(tables, { source: hostile, metric: hostile, rule: hostile, status: ['firing'], severity: ['critical', 'high'], from: 1, to: 2 }, 'severity', 'asc', 10, { key: 3, id: hostile }).text;
    expect(q).toContain("source = 'x\\' OR 1=1 --'");
    expect(q).toContain("a_status IN ('firing')");
    expect(q).toContain("a_severity IN ('critical', 'high')");
    expect(q).toContain('FROM vigil_test.alert_events');
    expect(q).toContain('LIMIT 11');
    expect(q).not.toContain("' OR 1=1 --'\n");
    expect(() => listAlertsQuery(tables, {}, 'toString' as never, 'asc', 10)).toThrow(/unknown sort/);
    expect(() => listAlertsQuery(tables, {}, 'updated', 'sideways' as never, 10)).toThrow(/direction/);
  });

  it('anomalies: float thresholds must be finite', () => {
    expect(listAnomaliesQuery(tables, { minScore: 0.5, type: ['spike'] }, 'score', 'desc', 5).text).toContain('n_score >= 0.5');
    expect(() => listAnomaliesQuery(tables, { minScore: NaN }, 'score', 'desc', 5)).toThrow(/finite/);
  });

  it('refuses a database name that is not an identifier', () => {
    expect(() => tablesIn('vigil; DROP DATABASE x')).toThrow(/identifier/);
  });
});
