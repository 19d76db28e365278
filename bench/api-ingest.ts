/**
 * HTTP ingest: POST /api/v1/metrics through the API vs. the producer SDK sending the same
 * points straight to Kafka (the peer: what the HTTP path adds on top of it).
 *
 *   npx tsx bench/api-ingest.ts [--points 20000] [--batches 1,100,1000] [--concurrency 8]
 *
 * For each batch size B, both paths send `points` points in batches of B with `concurrency`
 * requests/sends in flight (the B = 1 case sends at most 2000 points: one request per point).
 * Reports points/s (wall clock, first send → last acknowledgement) and per-call latency
 * p50/p99. The API runs in this process (real fastify on a loopback port, auth on, the SDK
 * producer underneath: acks = all, idempotent); the points land in a throw-away topic prefix
 * on the local Kafka (start it with `npm run stack:up`), deleted afterwards. Bounded: points
 * <= 100 000, the run is killed after 120 s.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { emitResult, markdownTable, type BenchTable, type Cell, type Headline } from './support/result.ts';
import { loadConfig } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { deleteTopicsWithPrefix, ensureTopics } from '../pipeline/kafka/topics.ts';
import { createMetricProducer } from '../pipeline/sdk/producer.ts';
import { startApi } from '../api/index.ts';
import type { MetricPoint } from '../schemas/records.ts';

const { values } = parseArgs({
  options: {
    points: { type: 'string', default: '20000' },
    batches: { type: 'string', default: '1,100,1000' },
    concurrency: { type: 'string', default: '8' },
  },
});
const totalPoints = Math.min(100_000, Math.max(100, Number(values.points)));
const batchSizes = String(values.batches).split(',').map(Number).filter((n) => Number.isInteger(n) && n >= 1 && n <= 10_000);
const concurrency = Math.min(64, Math.max(1, Number(values.concurrency)));
const KEY = `bench-key-${randomBytes(8).toString('hex')}`;

const killer = setTimeout(() => {
  process.stderr.write('bench/api-ingest: 120 s limit reached, aborting\n');
  process.exit(2);
}, 120_000);
killer.unref();

function points(n: number, start: number): MetricPoint[] {
  const out: MetricPoint[] = new Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = { source: `svc-${i % 50}`, metric: 'response_time', value: 100 + (i % 97), timestamp: start + i, tags: { region: 'eu' } };
  }
  return out;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Runs `calls` with at most `concurrency` in flight; returns wall ms and per-call ms. */
async function drive(calls: Array<() => Promise<void>>): Promise<{ wallMs: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls.length) {
        const call = calls[next++];
        const t0 = performance.now();
        await call();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { wallMs: performance.now() - started, latencies: latencies.sort((a, b) => a - b) };
}

async function main() {
  const id = randomBytes(4).toString('hex');
  const config = loadConfig({
    overrides: {
      logLevel: 'warn',
      kafka: { topicPrefix: `bench.api.${id}.`, groupId: `bench.api.${id}`, partitions: 4 },
      api: { port: 0, rateLimitPerMinute: 10_000_000, bodyLimit: 8 * 1024 * 1024, apiKeys: [{ key: KEY, roles: ['ingest'], name: 'bench' }] },
    },
  });
  const logger = createLogger('warn', { bench: 'api-ingest' });
  await ensureTopics(config, logger);
  const api = await startApi(config, logger);
  const sdk = createMetricProducer({ config });
  await sdk.connect();
  const rows: Cell[][] = [];
  const headlines: Headline[] = [];
  try {
    for (const batch of batchSizes) {
      const n = batch === 1 ? Math.min(totalPoints, 2000) : totalPoints;
      const data = points(n, Date.now() - n);
      const chunks: MetricPoint[][] = [];
      for (let i = 0; i < n; i += batch) chunks.push(data.slice(i, i + batch));

      const http = await drive(
        chunks.map((chunk) => async () => {
          const res = await fetch(`${api.url}/api/v1/metrics`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': KEY },
            body: JSON.stringify(batch === 1 ? chunk[0] : { points: chunk }),
          });
          const body = (await res.json()) as { accepted?: number };
          if (res.status !== 202 || body.accepted !== chunk.length) throw new Error(`HTTP ${res.status}: ${JSON.stringify(body).slice(0, 200)}`);
        }),
      );
      const direct = await drive(
        chunks.map((chunk) => async () => {
          await sdk.send(chunk);
        }),
      );
      for (const [name, r] of [
        ['HTTP POST /api/v1/metrics', http],
        ['SDK direct (peer)', direct],
      ] as const) {
        rows.push([name, batch, n, Math.round((n / r.wallMs) * 1000), Number(quantile(r.latencies, 0.5).toFixed(2)), Number(quantile(r.latencies, 0.99).toFixed(2))]);
      }
      headlines.push({ figure: `HTTP ingest points/s, batch ${batch}`, value: Math.round((n / http.wallMs) * 1000), unit: 'points/s', reference: { kind: 'peer', label: 'SDK direct', value: Math.round((n / direct.wallMs) * 1000) }, higherIsBetter: true });
    }
  } finally {
    await sdk.close();
    await api.close();
    await deleteTopicsWithPrefix(config, config.kafka.topicPrefix, logger).catch(() => {});
  }
  process.stdout.write(`Node ${process.version}, concurrency ${concurrency}, ${new Date().toISOString()}\n\n`);
  const table: BenchTable = { columns: ['path', 'batch', 'points', 'points/s', 'p50 ms/call', 'p99 ms/call'], rows };
  process.stdout.write(`${markdownTable(table)}\n`);
  emitResult({ tables: [table], headlines });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench/api-ingest failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
