/**
 * The dashboard's API calls on the demo's kind of data, and the page's cold load in Chromium.
 *
 *   npx tsx bench/dashboard-api.ts [--sources 4] [--hours 4] [--rate 1] [--reps 40]
 *
 * Loads what the demo's load generator makes (`sources` × the eight standard metrics at `rate`
 * points/s over the last `hours`, plus alerts, anomalies and SLA snapshots) into a fresh
 * database of the shared stack (migrations applied, so the per-minute and per-hour rollups fill
 * as the points go in; dropped at the end). Then, against the API in this process (real fastify
 * on loopback, a read key), every call the page makes: health, dashboard-stats, live-metrics,
 * alerts (open, recent, a series'), anomalies, sla, incidents, silences, receivers, series/points
 * at the page's ranges (15 m … 7 d, its steps). Each call is timed `reps` times:
 *
 * - cold: a new TCP connection per request, each call after the API's short cache lifetime, so
 *   no answer comes from the API's cache (ClickHouse's own caches are whatever the shared
 *   server holds — they are not dropped, that would slow the other users of the stack);
 * - warm: back to back on a kept-alive connection, as a page refreshing every 15 s with many
 *   tabs open makes them.
 *
 * Ceilings of the same run: `SELECT 1` over the API's ClickHouse HTTP client (what any query
 * costs at least), and GET /client-config (the API's HTTP path with no query). Page load:
 * Chromium (cold context each time) from navigation start to the page's `vigil:first-data`
 * mark (health, counts, open alerts and live metrics rendered), `reps / 4` times.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { emitResult, markdownTable, type Cell, type Headline } from './support/result.ts';
import { loadConfig } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { startApi } from '../api/index.ts';
import { createClickHouse } from '../pipeline/storage/clickhouse.ts';
import { migrate } from '../pipeline/storage/migrate.ts';
import { deleteTopicsWithPrefix, ensureTopics } from '../pipeline/kafka/topics.ts';
import { alertEventRow, anomalyRow, pointRow, slaSnapshotRow } from '../pipeline/storage/rows.ts';
import { createLoadGenerator } from '../pipeline/loadgen/index.ts';
import type { AlertEvent, AnomalyEvent, SlaSnapshot } from '../schemas/records.ts';
import { launchChromium } from '../test/support/chromium.ts';

const { values } = parseArgs({
  options: {
    sources: { type: 'string', default: '4' },
    hours: { type: 'string', default: '4' },
    rate: { type: 'string', default: '1' },
    reps: { type: 'string', default: '40' },
  },
});
const sources = Math.min(64, Math.max(1, Number(values.sources)));
const hours = Math.min(48, Math.max(0.25, Number(values.hours)));
const rate = Math.min(10, Math.max(0.1, Number(values.rate)));
const reps = Math.min(500, Math.max(5, Number(values.reps)));
const KEY = `bench-key-${randomBytes(8).toString('hex')}`;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const killer = setTimeout(() => {
  process.stderr.write('bench/dashboard-api: 540 s limit reached, aborting\n');
  process.exit(2);
}, 540_000);
killer.unref();

const quantile = (sorted: number[], q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
const ms = (n: number) => Number(n.toFixed(1));

/** GET on loopback with node's http (no fetch pool in the way): `fresh` opens a new connection. */
function get(url: string, agent: http.Agent | false): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent, headers: { 'x-api-key': KEY } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200 && res.statusCode !== 503) reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
        else resolve(performance.now() - t0);
      });
    });
    req.on('error', reject);
  });
}

async function seed(ch: ReturnType<typeof createClickHouse>, now: number): Promise<{ points: number; series: string[] }> {
  const startMs = now - hours * HOUR;
  const gen = createLoadGenerator({ sources, rate, durationMs: hours * HOUR, seed: 7, startMs, seasonality: true });
  let batch: ReturnType<typeof pointRow>[] = [];
  let points = 0;
  for (const p of gen.points()) {
    batch.push(pointRow({ ...p, tags: p.tags ?? {}, partition: 0, offset: String(points), mean: p.value, std: 1, zscore: 0, anomalyScore: 0.05 }, p.timestamp));
    points += 1;
    if (batch.length === 100_000) {
      await ch.insert({ table: 'points', values: batch, format: 'JSONEachRow' });
      batch = [];
    }
  }
  if (batch.length) await ch.insert({ table: 'points', values: batch, format: 'JSONEachRow' });
  const series = gen.series.map((s) => s.seriesId);
  const alerts: AlertEvent[] = [];
  const anomalies: AnomalyEvent[] = [];
  const slas: SlaSnapshot[] = [];
  gen.series.forEach((s, i) => {
    const openedAt = now - ((i * 7) % (hours * 60)) * MIN;
    for (let v = 1; v <= 3; v++) {
      alerts.push({
        eventId: `ev-${i}-${v}`, alertId: `al-${i}`, fingerprint: `${s.seriesId}|r`, source: s.source, metric: s.metric, ruleId: 'r', kind: 'threshold', severity: (['critical', 'high', 'medium', 'low', 'info'] as const)[i % 5],
        status: v === 1 ? 'firing' : v === 2 ? 'acknowledged' : 'resolved', version: v, timestamp: openedAt + v * MIN, openedAt, value: 95, threshold: 90, message: `${s.metric} 95 above 90`, actor: 'pipeline', reason: 'opened', tags: {},
      });
    }
    anomalies.push({ id: `an-${i}`, source: s.source, metric: s.metric, type: 'spike', version: 1, startTimestamp: openedAt, detectedTimestamp: openedAt + 5000, value: 95, expected: 50, zscore: 8, score: 0.9, confidence: 0.8, pointCount: 4 });
    for (let k = 0; k < 12; k++) {
      slas.push({ id: `sla-${i}-${k}`, slaId: 'availability', source: s.source, metric: s.metric, timestamp: now - k * 5 * MIN, windowMs: HOUR, objective: 0.95, compliance: 0.97, good: 970, total: 1000, errorBudgetRemaining: 0.4, burnRateFast: 0.6, burnRateSlow: 0.5, violated: false });
    }
  });
  await ch.insert({ table: 'alert_events', values: alerts.map(alertEventRow), format: 'JSONEachRow' });
  await ch.insert({ table: 'anomalies', values: anomalies.map(anomalyRow), format: 'JSONEachRow' });
  await ch.insert({ table: 'sla_snapshots', values: slas.map(slaSnapshotRow), format: 'JSONEachRow' });
  return { points, series };
}

/** Query strings as the page builds them (lib/api-client.js repeats array keys). */
function qs(q: Record<string, string | number | string[] | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) u.append(k, String(x));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

async function main() {
  const id = randomBytes(4).toString('hex');
  const config = loadConfig({
    overrides: {
      logLevel: 'warn',
      kafka: { topicPrefix: `bench.dash.${id}.`, groupId: `bench.dash.${id}` },
      clickhouse: { database: `bench_dash_${id}` },
      api: { port: 0, rateLimitPerMinute: 10_000_000, apiKeys: [{ key: KEY, roles: ['read'], name: 'bench' }] },
    },
  });
  const logger = createLogger('warn', { bench: 'dashboard-api' });
  await migrate(config, { logger });
  await ensureTopics(config, logger);
  const ch = createClickHouse(config, { logger });
  const notes: string[] = [];
  try {
    const now = Date.now();
    const t0 = performance.now();
    const { points, series } = await seed(ch, now);
    const progress = (what: string) => process.stderr.write(`bench/dashboard-api: ${what} at ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    progress('data loaded');
    notes.push(`data: ${series.length} series × ${hours} h at ${rate}/s = ${points.toLocaleString('en-US')} points (+ rollups), loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const api = await startApi(config, logger);
    const base = `${api.url}/api/v1/`;
    const [source, metric] = [series[0].slice(0, series[0].indexOf('/')), series[0].slice(series[0].indexOf('/') + 1)];
    const range = (span: number, step: number) => qs({ source, metric, from: now - span, to: now, step, limit: 5000 });
    const calls: Array<[string, string]> = [
      ['health', 'health'],
      ['dashboard-stats', 'dashboard-stats'],
      ['live-metrics (900 s)', `live-metrics${qs({ windowSec: 900 })}`],
      ['alerts open (Alerts tab, badge)', `alerts${qs({ status: ['firing', 'acknowledged'], sort: 'updated', limit: 100 })}`],
      ['alerts recent (Overview)', `alerts${qs({ sort: 'updated', limit: 8 })}`],
      ['alerts of a series', `alerts${qs({ source, metric, from: now - 31 * DAY, sort: 'opened_at', limit: 200 })}`],
      ['anomalies', `anomalies${qs({ minConfidence: 0.5, limit: 100 })}`],
      ['sla', 'sla'],
      ['incidents', `incidents${qs({ status: ['firing', 'acknowledged'], sort: 'updated', limit: 100 })}`],
      ['silences', 'silences'],
      ['receivers', 'receivers'],
      ['series/points 15m step 2', `series/points${range(15 * MIN, 2)}`],
      ['series/points 1h step 10', `series/points${range(HOUR, 10)}`],
      ['series/points 6h step 60', `series/points${range(6 * HOUR, 60)}`],
      ['series/points 24h step 300', `series/points${range(DAY, 300)}`],
      ['series/points 7d step 1800', `series/points${range(7 * DAY, 1800)}`],
    ];
    const rows: Cell[][] = [];
    const headlines: Headline[] = [];
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const timed = async (fn: () => Promise<unknown>) => {
      const s = performance.now();
      await fn();
      return performance.now() - s;
    };
    const probes: Array<[string, (cold: boolean) => Promise<number>]> = [
      ['ceiling: SELECT 1 (ClickHouse HTTP client)', () => timed(() => ch.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((r) => r.json()))],
      ['ceiling: GET /client-config (no query)', (cold) => get(`${base}client-config`, cold ? false : keepAlive)],
      ...calls.map(([label, path]): [string, (cold: boolean) => Promise<number>] => [label, (cold) => get(`${base}${path}`, cold ? false : keepAlive)]),
    ];
    const cold = probes.map(() => [] as number[]);
    const warm = probes.map(() => [] as number[]);
    // Cold: rounds over every call, each round starting past the API's cache lifetime
    // (api.cacheTtlMs) after the previous one, so no cold call is a cache hit.
    for (let i = 0; i < reps; i++) {
      const started = performance.now();
      for (const [k, [, once]] of probes.entries()) cold[k].push(await once(true));
      const wait = config.api.cacheTtlMs + 50 - (performance.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    for (const [k, [, once]] of probes.entries()) {
      await once(false);
      for (let i = 0; i < reps; i++) warm[k].push(await once(false));
    }
    keepAlive.destroy();
    const stats = probes.map(([label], k) => {
      const c = cold[k].sort((x, y) => x - y);
      const w = warm[k].sort((x, y) => x - y);
      rows.push([label, ms(quantile(c, 0.5)), ms(quantile(c, 0.95)), ms(quantile(w, 0.5)), ms(quantile(w, 0.95))]);
      return { label, coldP95: quantile(c, 0.95) };
    });
    const [select1, apiFloor] = stats;
    for (const row of stats.slice(2)) {
      headlines.push({ figure: `${row.label} p95 cold`, value: ms(row.coldP95), unit: 'ms', reference: { kind: 'floor', label: 'SELECT 1 p95', value: ms(select1.coldP95) }, higherIsBetter: false });
    }

    progress('API calls measured');
    // Page load: a fresh context (no cache, no storage) per load; the key set before any script.
    const browser = await launchChromium();
    const loads: number[] = [];
    try {
      for (let i = 0; i < Math.max(3, Math.round(reps / 4)); i++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        await page.addInitScript((key) => localStorage.setItem('vigil.apiKey', key), KEY);
        await page.goto(`${api.url}/`, { waitUntil: 'domcontentloaded' });
        await page.waitForFunction(() => performance.getEntriesByName('vigil:first-data').length > 0, undefined, { timeout: 20_000 });
        loads.push(await page.evaluate(() => performance.getEntriesByName('vigil:first-data')[0].startTime));
        await context.close();
      }
    } finally {
      await browser.close();
    }
    loads.sort((a, b) => a - b);
    rows.push(['page load: navigation start → vigil:first-data (Chromium, cold context)', ms(quantile(loads, 0.5)), ms(quantile(loads, 0.95)), '', '']);
    headlines.push({ figure: 'page load to first data p95', value: ms(quantile(loads, 0.95)), unit: 'ms', reference: { kind: 'floor', label: 'GET /client-config p95 cold', value: ms(apiFloor.coldP95) }, higherIsBetter: false });
    await api.close();

    const table = { title: `dashboard API on loopback, ${reps} calls each (ms)`, columns: ['call', 'cold p50', 'cold p95', 'warm p50', 'warm p95'], rows };
    process.stdout.write(`${markdownTable(table)}\n\n${notes.join('\n')}\n`);
    emitResult({ tables: [table], headlines, notes });
  } finally {
    await ch.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` }).catch(() => undefined);
    await deleteTopicsWithPrefix(config, config.kafka.topicPrefix, logger).catch(() => undefined);
    await ch.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench/dashboard-api: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  },
);
