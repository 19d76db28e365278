/** Which partitions retention drops (pure), the policy parser with hostile input, and the table list held to the migrations. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RETENTION_TABLES, defaultPolicy, dropStatement, monthsBefore, parsePolicy, partitionsToDrop, type PartitionInfo } from '../../../pipeline/storage/retention.ts';

const schemaDir = fileURLToPath(new URL('../../../schemas/clickhouse', import.meta.url));
const part = (table: string, partition: string): PartitionInfo => ({ table, partition, rows: 1, bytes: 1 });

describe('monthsBefore', () => {
  it('counts months back across year boundaries', () => {
    expect(monthsBefore(new Date('2026-12-07T00:00:00Z'), 3)).toBe(202609);
    expect(monthsBefore(new Date('2026-01-31T23:59:59Z'), 1)).toBe(202512);
    expect(monthsBefore(new Date('2026-01-01T00:00:00Z'), 13)).toBe(202412);
    expect(monthsBefore(new Date('2026-03-15T00:00:00Z'), 0)).toBe(202603);
  });

  it('is the month index minus n for any date and n', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }), fc.integer({ min: 0, max: 1200 }), (t, n) => {
        const d = new Date(t);
        const got = monthsBefore(d, n);
        const index = Math.floor(got / 100) * 12 + (got % 100) - 1;
        expect(index).toBe(d.getUTCFullYear() * 12 + d.getUTCMonth() - n);
        expect(got % 100).toBeGreaterThanOrEqual(1);
        expect(got % 100).toBeLessThanOrEqual(12);
      }),
    );
  });
});

describe('partitionsToDrop', () => {
  const now = new Date('2026-12-07T10:00:00Z');
  it('keeps the current month and the n before it, drops older, per table', () => {
    const parts = ['202607', '202608', '202609', '202612'].flatMap((m) => [part('points', m), part('alert_events', m)]);
    const drop = partitionsToDrop(parts, { ...defaultPolicy(), points: 3 }, now);
    expect(drop.map((p) => `${p.table}/${p.partition}`)).toEqual(['points/202607', 'points/202608']);
  });

  it('never drops an unpartitioned table, a table it does not know, or a partition that is not YYYYMM', () => {
    const parts = [part('series_state', 'tuple()'), part('silences', 'tuple()'), part('schema_migrations', '200001'), part('points', 'tuple()'), part('points', '2026'), part('points', '20260101')];
    expect(partitionsToDrop(parts, defaultPolicy(), now)).toEqual([]);
  });
});

describe('parsePolicy', () => {
  it('overrides the defaults', () => {
    expect(parsePolicy('points=6, alert_events=24')).toEqual({ ...defaultPolicy(), points: 6, alert_events: 24 });
    expect(parsePolicy('')).toEqual(defaultPolicy());
  });

  it.each([
    ['points', /is not <table>=<months>/],
    ['points=', /is not <table>=<months>/],
    ['=3', /is not <table>=<months>/],
    ['points=-1', /is not <table>=<months>/],
    ['points=1e3', /is not <table>=<months>/],
    ['points=3.5', /is not <table>=<months>/],
    ['points=0', /months must be 1\.\.1200/],
    ['points=1201', /months must be 1\.\.1200/],
    ['points=99999', /is not <table>=<months>/],
    ['series_state=3', /no time-partitioned table "series_state"/],
    ['__proto__=3', /no time-partitioned table "__proto__"/],
    ['constructor=3', /no time-partitioned table "constructor"/],
    ["points=3'; DROP TABLE points --", /is not <table>=<months>/],
    ['Points=3', /is not <table>=<months>/],
  ])('refuses %j', (spec, message) => {
    expect(() => parsePolicy(spec)).toThrow(message);
  });

  it('refuses anything that is not a list of known table=1..1200, and accepts those', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        let policy;
        try {
          policy = parsePolicy(s);
        } catch {
          return;
        }
        for (const [t, n] of Object.entries(policy)) {
          expect(Object.hasOwn(RETENTION_TABLES, t)).toBe(true);
          expect(Number.isInteger(n) && n >= 1 && n <= 1200).toBe(true);
        }
      }),
    );
  });
});

describe('dropStatement', () => {
  it('builds the ALTER from code-side names and a checked value only', () => {
    expect(dropStatement('vigil', part('points', '202608'))).toBe('ALTER TABLE vigil.points DROP PARTITION 202608');
    expect(() => dropStatement('vigil', part('points', 'tuple()'))).toThrow(/refusing to drop/);
    expect(() => dropStatement('vigil', part('points', '202608; DROP'))).toThrow(/refusing to drop/);
    expect(() => dropStatement('vigil', part('silences', '202608'))).toThrow(/refusing to drop/);
    expect(() => dropStatement('vigil; DROP', part('points', '202608'))).toThrow(/not a plain identifier/);
    // On a cluster: the local table, on every shard.
    expect(dropStatement('vigil', part('points', '202608'), 'vigil_cluster')).toBe('ALTER TABLE vigil.points_local ON CLUSTER vigil_cluster DROP PARTITION 202608');
    expect(() => dropStatement('vigil', part('points', '202608'), 'c; DROP')).toThrow(/not a plain identifier/);
    expect(() => dropStatement('vigil', part('points', '202608; DROP'), 'vigil_cluster')).toThrow(/refusing to drop/);
  });
});

describe('the table list', () => {
  it('is every table the migrations partition by month, with its partition column', () => {
    const found: Record<string, string> = {};
    for (const file of readdirSync(schemaDir).filter((f) => f.endsWith('.sql'))) {
      const text = readFileSync(path.join(schemaDir, file), 'utf8');
      for (const m of text.matchAll(/CREATE TABLE IF NOT EXISTS \{db\}\.(\w+) \(([\s\S]*?)\) ENGINE = [^\n]*\n(?:PARTITION BY (\S+)\n)?/g)) {
        if (m[3] === undefined) continue;
        const key = /^toYYYYMM\((\w+)\)$/.exec(m[3]);
        expect(key, `${file} ${m[1]}: PARTITION BY ${m[3]} is not toYYYYMM(column); retention needs to know it`).not.toBeNull();
        found[m[1]] = key![1];
      }
    }
    expect(found).toEqual(Object.fromEntries(Object.entries(RETENTION_TABLES).map(([t, s]) => [t, s.partitionColumn])));
  });
});
