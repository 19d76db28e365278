/**
 * Every query in docs/sql.md runs against the real ClickHouse on known data and must return
 * what the test computes from that data on its own (test/integration/sql-docs/expected.ts).
 * The data comes in the way the pipeline writes it: points through the rollup views in several
 * inserts, anomaly refinements later, some events re-delivered — so a query that is not exact
 * under duplicates or unmerged rollup parts fails here.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, type ClickHouseClient } from '../../pipeline/storage/clickhouse.ts';
import { createTestEnv, type TestEnv } from '../support/index.ts';
import { buildDataset, time, type Dataset } from './sql-docs/dataset.ts';
import * as expected from './sql-docs/expected.ts';
import { differences } from './sql-docs/compare.ts';
import { loadDataset } from './sql-docs/load.ts';
import { extractSqlQueries, retargetDatabase } from './sql-docs/markdown.ts';

type Row = Record<string, unknown>;

const docPath = fileURLToPath(new URL('../../docs/sql.md', import.meta.url));
const queries = extractSqlQueries(readFileSync(docPath, 'utf8'));

let env: TestEnv;
let ch: ClickHouseClient;
let reader: ClickHouseClient; // analysts query as the read-only user, so the tests do too
let data: Dataset;

beforeAll(async () => {
  env = await createTestEnv('sql-docs', { topics: false });
  ch = createClickHouse(env.config, { logger: env.logger });
  reader = createClickHouse(env.config, { reader: true, logger: env.logger });
  data = buildDataset(Date.now());
  const db = env.config.clickhouse.database;
  // Hold background merges, as on a busy server: duplicates and partial rollup states stay
  // visible, so only queries that are exact without merging pass.
  for (const table of ['points', 'points_1m', 'points_1h', 'anomalies', 'alert_events', 'sla_snapshots']) {
    await ch.command({ query: `SYSTEM STOP MERGES ${db}.${table}` });
  }
  await loadDataset(ch, db, data);
});

afterAll(async () => {
  await reader?.close();
  await ch?.close();
  await env?.cleanup();
});

async function run(sql: string): Promise<Row[]> {
  const rs = await reader.query({ query: retargetDatabase(sql, env.config.clickhouse.database), format: 'JSONEachRow' });
  return rs.json<Row>();
}

function expectRows(actual: Row[], want: Row[]) {
  const context = `\nactual:   ${JSON.stringify(actual)}\nexpected: ${JSON.stringify(want)}`;
  expect(actual.length, `row count${context}`).toBe(want.length);
  const diffs = want.flatMap((w, i) => {
    const keys = [Object.keys(actual[i]).sort().join(','), Object.keys(w).sort().join(',')];
    if (keys[0] !== keys[1]) return [`row ${i}: columns ${keys[0]}, want ${keys[1]}`];
    return Object.entries(w).flatMap(([k, v]) => differences(actual[i][k], v, `row ${i} ${k}`));
  });
  expect(diffs, context).toEqual([]);
}

const pick = (rows: Row[], ...keys: string[]) => rows.map((r) => keys.map((k) => String(r[k])).join(' '));

/** One check per documented query, keyed by its heading. Each compares the whole result. */
const checks: Record<string, (rows: Row[]) => void> = {
  'Worst series by anomaly count': (rows) => {
    expectRows(rows, expected.worstSeries(data));
    // Refinements count once; ties on count go to the higher score; 30-hour-old ones are out.
    expect(pick(rows, 'source', 'metric', 'anomalies')).toEqual(['checkout response_time 3', 'web error_rate 2', 'search response_time 2']);
  },
  'SLA compliance per day': (rows) => {
    const want = expected.slaComplianceByDay(data);
    expectRows(rows, want);
    // Yesterday's 20:00 violation ends compliant but its worst compliance shows it.
    expect(want.some((r) => r.met === 1 && r.worst_compliance < r.target)).toBe(true);
    expect(want.some((r) => r.met === 0)).toBe(true);
  },
  'MTTA and MTTR per severity': (rows) => {
    expectRows(rows, expected.mttaMttrBySeverity(data));
    const bySeverity = Object.fromEntries(rows.map((r) => [r.opening_severity, r]));
    expect(bySeverity.critical).toMatchObject({ mtta_seconds: 120.4, mttr_seconds: 600.2 });
    // First acknowledgement counts, not the one after escalation; a never-acked alert adds to MTTR only.
    expect(bySeverity.high).toMatchObject({ alerts: '2', acknowledged: '1', mtta_seconds: 300.7, resolved: '1', mttr_seconds: 900 });
  },
  'p95 per minute from the minute rollup': (rows) => {
    const want = expected.p95PerMinute(data, 'checkout', 'response_time');
    expectRows(rows, want);
    expect(want.map((r) => r.points)).toEqual([20, 7]);
  },
  'Hourly averages from the hour rollup': (rows) => {
    const want = expected.hourlyAverages(data);
    expectRows(rows, want);
    expect(want.reduce((n, r) => n + r.anomalous, 0)).toBeGreaterThan(0);
  },
  'Currently open alerts': (rows) => {
    expectRows(rows, expected.openAlerts(data));
    expect(pick(rows, 'fingerprint', 'current_severity', 'current_status')).toEqual([
      'search|response_time|rt-high critical acknowledged',
      'search|cpu_usage|cpu-high medium firing',
      'checkout|cpu_usage|cpu-high medium firing',
      'web|error_rate|er-high low firing',
    ]);
  },
  'Anomaly types per metric': (rows) => {
    expectRows(rows, expected.anomalyTypesPerMetric(data));
    // The refined spike counts as a pattern change only.
    expect(pick(rows.filter((r) => r.metric === 'response_time'), 'type', 'anomalies')).toEqual(['outlier 2', 'drop 1', 'pattern_change 1', 'spike 1']);
  },
  'Noisiest rules': (rows) => {
    const want = expected.noisiestRules(data);
    expectRows(rows, want);
    expect(want.reduce((n, r) => n + r.alerts_opened, 0)).toBe(13); // 14 alerts, one 40 days old
  },
  'Error budget remaining per SLA': (rows) => {
    expectRows(rows, expected.errorBudgetRemaining(data));
    expect(pick(rows, 'sla_id', 'source', 'budget_remaining')).toEqual(['err-1pct checkout -0.5', 'rt-p95 checkout 0.2', 'avail web 0.5', 'rt-p95 search 0.8']);
  },
  'Series that went silent': (rows) => {
    const want = expected.silentSeries(data);
    expectRows(
      rows.map(({ silent_minutes: _, ...r }) => r),
      want.map(({ silent_minutes: _, ...r }) => r),
    );
    // now() on the server may have passed one more minute boundary since the data was built.
    rows.forEach((r, i) => expect([want[i].silent_minutes, want[i].silent_minutes + 1], r.source as string).toContain(Number(r.silent_minutes)));
    expect(pick(rows, 'source', 'metric')).toEqual(['batch queue_size', 'checkout response_time', 'web error_rate']);
    expect(Number(rows[2].silent_minutes)).toBeGreaterThanOrEqual(40);
  },
  'Flapping alerts': (rows) => {
    expectRows(rows, expected.flappingAlerts(data));
    expect(pick(rows, 'fingerprint', 'times_opened')).toEqual(['web|error_rate|er-high 3']);
  },
};

describe('docs/sql.md', () => {
  it('documents at least ten queries, numbered in order, each with a one-line purpose and a check here', () => {
    expect(queries.length).toBeGreaterThanOrEqual(10);
    expect(queries.map((q) => q.number)).toEqual(queries.map((_, i) => i + 1));
    for (const q of queries) expect(q.description.length, q.title).toBeGreaterThan(20);
    expect(queries.map((q) => q.title).sort()).toEqual(Object.keys(checks).sort());
  });

  it('reads only tables of the vigil database, written as vigil.<table>', () => {
    for (const q of queries) {
      const sources = [...q.sql.matchAll(/\b(?:FROM|JOIN)\s+([^\s(]\S*)/gi)].map((m) => m[1]);
      expect(sources.length, q.title).toBeGreaterThan(0);
      for (const s of sources) expect(s, q.title).toMatch(/^vigil\.[a-z_0-9]+$/);
    }
  });

  it('sees unmerged duplicates and partial rollup states, as the queries must tolerate', async () => {
    const db = env.config.clickhouse.database;
    const count = async (sql: string) => Number((await (await ch.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>())[0].n);
    expect(await count(`SELECT count() AS n FROM ${db}.alert_events`)).toBeGreaterThan(data.alertEvents.length);
    expect(await count(`SELECT count() AS n FROM ${db}.anomalies`)).toBeGreaterThan(data.anomalies.length);
    expect(await count(`SELECT count() AS n FROM ${db}.sla_snapshots`)).toBeGreaterThan(data.slaSnapshots.length);
    const minutes = new Set(data.points.map((p) => `${p.source}/${p.metric}/${Math.floor(p.timestamp / time.MINUTE)}`)).size;
    expect(await count(`SELECT count() AS n FROM ${db}.points_1m`)).toBeGreaterThan(minutes);
  });

  it('seeded data spans the windows the queries use', () => {
    // Guards the dataset itself: without old rows the time filters would go untested.
    expect(data.points.some((p) => p.timestamp < data.nowMs - 7 * time.DAY)).toBe(true);
    expect(data.alertEvents.some((e) => e.openedAt < data.nowMs - 30 * time.DAY)).toBe(true);
    expect(data.anomalies.some((a) => a.startTimestamp < data.nowMs - 7 * time.DAY)).toBe(true);
    expect(data.slaSnapshots.some((s) => s.timestamp < data.nowMs - 7 * time.DAY)).toBe(true);
  });

  for (const q of queries) {
    it(`${q.number}. ${q.title}`, async () => {
      const check = checks[q.title];
      expect(check, `no check for query '${q.title}'`).toBeDefined();
      check(await run(q.sql));
    });
  }
});
