/**
 * What the pipeline's Prometheus instrumentation costs, on one core.
 *
 *   npx tsx bench/pipeline-metrics.ts [--batches 20000] [--points 500] [--scrapes 200] [--rounds 5]
 *
 * Cases, measured in the same run (interleaved rounds, median reported) so they compare:
 *  - per batch:  `metricsBatch` as the pipeline calls it once per committed batch (totals by
 *                count, a few labelled events) — what the hot path pays
 *  - per point:  the naive peer: one labelled `inc` per point (a label hash per record)
 *  - scrape:     `registry.metrics()` of a pipeline registry (12 owned partitions with lag,
 *                process metrics included) against prom-client's default process metrics
 *                alone in a registry of their own (the floor any exporter pays)
 * Bounded: fixed counts, no I/O (the lag source answers from memory).
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { createPipelineMetrics, type GaugeSource } from '../pipeline/runtime/pipeline-metrics.ts';
import { toDlqMessage } from '../pipeline/ingest/dlq.ts';
import type { AlertEvent, AnomalyEvent } from '../schemas/records.ts';

const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '20000' },
    points: { type: 'string', default: '500' },
    scrapes: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '5' },
  },
});
const clamp = (v: unknown, lo: number, hi: number, dflt: number) => Math.min(Math.max(lo, Number(v) || dflt), hi);
const BATCHES = clamp(args.batches, 100, 200_000, 20_000);
const POINTS = clamp(args.points, 1, 10_000, 500);
const SCRAPES = clamp(args.scrapes, 10, 2000, 200);
const ROUNDS = clamp(args.rounds, 1, 20, 5);

const source: GaugeSource = {
  snapshot: () => ({ ownedPartitions: Array.from({ length: 12 }, (_, i) => i), series: 1000, seriesByPartition: Array.from({ length: 12 }, (_, partition) => ({ partition, series: 84 })), seriesLimit: 8334, windowBytes: 28_312_000, lastBatchAt: Date.now(), pool: { threads: 1, queued: 0, utilization: 0.4 } }),
  consumerStatus: () => 'running',
  consumerLag: async () => Array.from({ length: 12 }, (_, partition) => ({ partition, lag: partition * 10 })),
};
const metrics = createPipelineMetrics(source, { lagCacheMs: 0 });

const anomaly: AnomalyEvent = { id: 'a', source: 's', metric: 'm', type: 'spike', version: 1, startTimestamp: 1, detectedTimestamp: 1, value: 1, expected: 0, zscore: 9, score: 1, confidence: 1, pointCount: 1 };
const alert: AlertEvent = {
  eventId: 'e', alertId: 'a', fingerprint: 's|m|r', source: 's', metric: 'm', ruleId: 'r', kind: 'anomaly', severity: 'high', status: 'firing', version: 1,
  timestamp: 1, openedAt: 1, value: 1, threshold: 0, message: '', actor: 'pipeline', reason: '', tags: {},
};
// A typical batch: many points, the odd dead letter, anomaly and alert transition.
const figures = { points: POINTS, seriesRefused: 0, duplicates: 0, dlq: [toDlqMessage({ key: 'k', value: Buffer.from('x') }, 'invalid-value', 'NaN', { topic: 't', partition: 0, offset: '1' })], anomalies: [anomaly], alerts: [alert, { ...alert, status: 'resolved' as const }], seconds: 0.02, scoringSeconds: 0.005 };

const peerRegistry = new Registry();
const peer = new Counter({ name: 'peer_points_total', help: 'per point', labelNames: ['source', 'result'] as const, registers: [peerRegistry] });

const floor = new Registry();
collectDefaultMetrics({ register: floor });

type Case = { name: string; unit: string; per: number; run: () => Promise<void> | void };
const cases: Case[] = [
  {
    name: 'metricsBatch, once per batch (vigil)',
    unit: 'point',
    per: BATCHES * POINTS,
    run: () => {
      for (let b = 0; b < BATCHES; b++) metrics.metricsBatch(figures);
    },
  },
  {
    name: 'labelled inc per point (peer)',
    unit: 'point',
    per: BATCHES * POINTS,
    run: () => {
      // The same number of points as the vigil case, one labelled increment each.
      for (let b = 0; b < BATCHES / 10; b++) for (let i = 0; i < POINTS * 10; i++) peer.inc({ source: 'svc-a', result: 'ok' });
    },
  },
  {
    name: 'scrape: pipeline registry',
    unit: 'scrape',
    per: SCRAPES,
    run: async () => {
      for (let i = 0; i < SCRAPES; i++) await metrics.registry.metrics();
    },
  },
  {
    name: 'scrape: default process metrics only (floor)',
    unit: 'scrape',
    per: SCRAPES,
    run: async () => {
      for (let i = 0; i < SCRAPES; i++) await floor.metrics();
    },
  },
];

const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const c of cases) {
    const t0 = performance.now();
    await c.run();
    times.get(c.name)!.push(performance.now() - t0);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const scrapeBytes = (await metrics.registry.metrics()).length;
console.log(`Node ${process.version}, ${BATCHES} batches × ${POINTS} points, ${SCRAPES} scrapes, median of ${ROUNDS} rounds`);
console.log('| case | ns per unit | unit |');
console.log('| --- | ---: | --- |');
for (const c of cases) {
  const ms = median(times.get(c.name)!);
  console.log(`| ${c.name} | ${Math.round((ms * 1e6) / c.per).toLocaleString('en-US')} | ${c.unit} |`);
}
const perBatch = (median(times.get(cases[0].name)!) * 1e6) / BATCHES;
const perPointPeer = (median(times.get(cases[1].name)!) * 1e6) / (BATCHES * POINTS);
console.log(`\nper batch of ${POINTS}: vigil ${Math.round(perBatch)} ns, peer ${Math.round(perPointPeer * POINTS).toLocaleString('en-US')} ns (${(perPointPeer * POINTS / perBatch).toFixed(0)}x)`);
console.log(`scrape body: ${scrapeBytes.toLocaleString('en-US')} bytes`);
