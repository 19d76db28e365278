/**
 * "How fast do I see it": end-to-end latency on the real local stack (npm run stack:up first).
 *
 *   npx tsx bench/alert-latency.ts [--series 100] [--rate 5] [--seconds 30] [--spikes 50] [--partitions 12] [--live-throttle-ms 1000]
 *
 * `vigil pipeline` and `vigil gateway` run as child processes (bin/vigil with VIGIL_* env vars,
 * as deployed; one worker thread) on a fresh topic set and ClickHouse database. This process is
 * the client side: the producer SDK sends a steady background load (series × rate points/s, in
 * 100 ms ticks, timestamps = wall clock at send), injects 10σ spikes into distinct series at
 * known times, and a `ws` subscriber on `alerts,anomalies,live` timestamps what arrives.
 * Latencies are from the `send()` call to the WebSocket message callback (same process, one
 * monotonic clock):
 *  - live: a point → the live snapshot carrying it; and any point → the first snapshot at or
 *    after it (what a dashboard shows, throttled to one snapshot per series per second);
 *  - anomaly / alert: a spike → its anomaly event / the alert it opens.
 * Measured in the same run, on the same broker and load:
 *  - floor: a plain kafkajs producer and consumer (default settings) sending the same records
 *    to a topic of their own: what any Kafka-based pipeline pays for one hop;
 *  - gateway hop: LiveSnapshot records produced straight onto the live topic → WebSocket;
 *  - anomaly on Kafka: a spike → its anomaly record read from the anomalies topic by a plain
 *    consumer (the pipeline's share, without the gateway).
 * `--live-throttle-ms` sets the pipeline's `pipeline.liveThrottleMs` (through a config file:
 * it has no env var) to see what the throttle costs.
 * Bounded: warm-up of 100 points per series, `--seconds` of load plus a 3 s tail; loopback
 * only; the topics, consumer groups and database are deleted afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import kafkajs, { type Consumer, type KafkaMessage, type Producer } from 'kafkajs';
import WebSocket from 'ws';
import { loadConfig, topicNames, type VigilConfig } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { freePort } from '../core/free-port.ts';
import { createKafka } from '../pipeline/kafka/client.ts';
import { deleteTopicsWithPrefix, ensureTopics } from '../pipeline/kafka/topics.ts';
import { createClickHouse } from '../pipeline/storage/clickhouse.ts';
import { migrate } from '../pipeline/storage/migrate.ts';
import { decodeEvent, encodeEvent } from '../pipeline/codec/events.ts';
import { ClickHouseSink } from '../pipeline/storage/writer.ts';
import { emptyOutputs, publishOutputs } from '../pipeline/runtime/outputs.ts';
import { createMetricProducer, type MetricPointInput } from '../pipeline/sdk/producer.ts';
import { profileFor } from '../pipeline/loadgen/profiles.ts';
import { STANDARD_METRICS, seriesId, type LiveSnapshot, type ScoredPoint } from '../schemas/records.ts';
import { ident, sql } from '../api/sql.ts';
import { emitResult, markdownTable, type BenchTable, type Cell } from './support/result.ts';

const { values: args } = parseArgs({
  options: {
    series: { type: 'string', default: '100' },
    rate: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '30' },
    spikes: { type: 'string', default: '50' },
    partitions: { type: 'string', default: '12' },
    'live-throttle-ms': { type: 'string' },
  },
});
const SERIES = Math.min(Math.max(8, Number(args.series) || 100), 2000);
/** Points per second per series; a divisor of the 10 ticks per second. */
const RATE = [1, 2, 5, 10].includes(Number(args.rate)) ? Number(args.rate) : 5;
const SECONDS = Math.min(Math.max(10, Number(args.seconds) || 30), 60);
const SPIKES = Math.min(Math.max(1, Number(args.spikes) || 50), SERIES, 200);
const PARTITIONS = Math.min(Math.max(1, Number(args.partitions) || 12), 48);
const LIVE_THROTTLE_MS = args['live-throttle-ms'] === undefined ? undefined : Math.min(Math.max(0, Number(args['live-throttle-ms']) || 0), 60_000);
const TICK_MS = 100;
const MEASURED_TICKS = SECONDS * (1000 / TICK_MS);
/** Load keeps running this long after the measured window, so throttled points still get a snapshot. */
const TAIL_TICKS = 3 * (1000 / TICK_MS);
const WARMUP_POINTS = 100; // the detector reaches full confidence at 2 × minPoints (60)
const SPIKE_SIGMAS = 10;
/** How often the spikes' points are looked for in ClickHouse (the stored row's resolution). */
const STORED_POLL_MS = 50;

const logger = createLogger('warn', { bench: 'alert-latency' });
const id = randomBytes(3).toString('hex');
const config: VigilConfig = loadConfig({
  overrides: {
    logLevel: 'warn',
    kafka: { topicPrefix: `bench.${id}.`, groupId: `bench.${id}.pipeline`, partitions: PARTITIONS },
    clickhouse: { database: `bench_${id}` },
    pipeline: { workerThreads: 1 },
  },
});
const topics = topicNames(config);
const floorTopic = `${config.kafka.topicPrefix}floor`;
const floorGroup = `bench.${id}.floor`;
const tapGroup = `bench.${id}.tap`;
const vigilBin = fileURLToPath(new URL('../bin/vigil', import.meta.url));

const clock = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- series and the load they send

interface Series {
  key: string;
  source: string;
  metric: string;
  base: number;
  noise: number;
  /** Phase in the tick cycle: due when (tick + phase) % ticksPerPoint === 0. */
  phase: number;
}
const ticksPerPoint = 1000 / TICK_MS / RATE;
const series: Series[] = Array.from({ length: SERIES }, (_, s) => {
  const metric = STANDARD_METRICS[s % STANDARD_METRICS.length];
  const source = `svc-${Math.floor(s / STANDARD_METRICS.length)}`;
  const profile = profileFor(metric);
  return { key: seriesId(source, metric), source, metric, base: profile.base, noise: profile.noise, phase: s % ticksPerPoint };
});

/** Noise with σ = 1 bounded to ±3σ (sum of three uniforms): no accidental anomalies in the background. */
function boundedNoise(): number {
  return (Math.random() + Math.random() + Math.random() - 1.5) * 2;
}
/** Upward spikes stay under every default bound for one point; availability (max 100 %) dips instead. */
function spikeValue(s: Series): number {
  return s.base + (s.metric === 'availability' ? -1 : 1) * SPIKE_SIGMAS * s.noise;
}

function coprimeStep(n: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let step = 7;
  while (gcd(step, n) !== 1) step++;
  return step;
}

// ---------------------------------------------------------------- what was sent, what arrived

interface TickSent {
  tick: number;
  sentAt: number;
}
/** Point timestamp (unique per tick) → when the SDK send of that tick was called. */
const pointTicks = new Map<number, TickSent>();
/** Per series: timestamps of measured points not yet covered by a live snapshot. */
const pendingVisible = new Map<string, number[]>();
const floorSentAt: number[] = [];
const hopSentAt = new Map<number, number>();

interface Spike {
  series: Series;
  dueTick: number;
  ts?: number;
  sentAt?: number;
  anomalyWs?: number;
  alertWs?: number;
  anomalyKafka?: number;
  /** When the spike's point was first readable in ClickHouse's points table. */
  storedAt?: number;
}
const step = coprimeStep(SERIES);
const spikeSpan = MEASURED_TICKS - 40; // none in the first 2 s nor the last 2 s of the window
const spikes: Spike[] = Array.from({ length: SPIKES }, (_, j) => ({
  series: series[(3 + j * step) % SERIES],
  dueTick: 20 + Math.floor((j * spikeSpan) / SPIKES),
}));
const spikeByPoint = new Map<string, Spike>(); // `${series}@${ts}` once sent
const spikedSeries = new Set(spikes.map((k) => k.series.key));

const samples = {
  floor: [] as number[],
  hop: [] as number[],
  liveAge: [] as number[],
  liveVisible: [] as number[],
};
const unexpected = { anomalies: 0, alerts: 0, warmupAnomalies: 0 };
let phase: 'warmup' | 'live' = 'warmup';

function onWsEvent(channel: string, data: Record<string, unknown>, at: number): void {
  const key = `${String(data.source)}/${String(data.metric)}`;
  if (channel === 'live') {
    const ts = Number(data.timestamp);
    if (data.source === 'bench-hop') {
      const sent = hopSentAt.get(ts);
      if (sent !== undefined) samples.hop.push(at - sent);
      return;
    }
    const sent = pointTicks.get(ts);
    if (sent && sent.tick < MEASURED_TICKS) samples.liveAge.push(at - sent.sentAt);
    const pending = pendingVisible.get(key);
    while (pending && pending.length > 0 && pending[0] <= ts) samples.liveVisible.push(at - pointTicks.get(pending.shift()!)!.sentAt);
  } else if (channel === 'anomalies') {
    const spike = spikeByPoint.get(`${key}@${Number(data.startTimestamp)}`);
    if (spike) spike.anomalyWs ??= at;
    else if (phase === 'warmup') unexpected.warmupAnomalies++;
    else if (!spikedSeries.has(key)) unexpected.anomalies++;
  } else if (channel === 'alerts') {
    const spike = data.ruleId === 'default.anomaly' ? spikeByPoint.get(`${key}@${Number(data.timestamp)}`) : undefined;
    if (spike) spike.alertWs ??= at;
    // The spikes' own alerts resolve ~10 points later (and may be refined): not false alarms.
    else if (phase === 'live' && !(data.ruleId === 'default.anomaly' && spikedSeries.has(key))) unexpected.alerts++;
  }
}

// ---------------------------------------------------------------- child processes

interface Child {
  name: string;
  proc: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

function spawnVigil(name: string, argv: string[], env: Record<string, string>): Child {
  const proc = spawn(vigilBin, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) output.push(line);
    if (output.length > 40) output.splice(0, output.length - 40);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { name, proc, output, exited };
}

async function stopChild(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const done = await Promise.race([child.exited.then(() => true), sleep(20_000).then(() => false)]);
  if (!done) {
    child.proc.kill('SIGKILL');
    await child.exited;
  }
}

async function waitForOutput(child: Child, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const line of child.output) {
      const m = line.match(pattern);
      if (m) return m;
    }
    if (child.proc.exitCode !== null) throw new Error(`${child.name} exited (${child.proc.exitCode}):\n${child.output.join('\n')}`);
    if (Date.now() > deadline) throw new Error(`${child.name} did not start in ${timeoutMs} ms:\n${child.output.join('\n')}`);
    await sleep(100);
  }
}

/** Sums of the pipeline's batch histograms and pool counters from its /metrics (absent if the endpoint is off). */
async function pipelineBatchFigures(port: number) {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
    const read = (name: string) => Number(text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm'))?.[1] ?? NaN);
    const figures = {
      batches: read('vigil_pipeline_batch_seconds_count'),
      batchSeconds: read('vigil_pipeline_batch_seconds_sum'),
      scoringSeconds: read('vigil_pipeline_scoring_seconds_sum'),
      producedSeconds: read('vigil_pipeline_outputs_produced_seconds_sum'),
      produceSeconds: read('vigil_pipeline_produce_seconds_sum'),
      poolWaitSeconds: read('vigil_pipeline_worker_pool_wait_seconds'),
      poolTaskSeconds: read('vigil_pipeline_worker_pool_task_seconds'),
      fetchRounds: read('vigil_pipeline_fetch_round_seconds_count'),
      fetchRoundSeconds: read('vigil_pipeline_fetch_round_seconds_sum'),
    };
    return Number.isFinite(figures.batches) ? figures : null;
  } catch {
    return null;
  }
}
type BatchFigures = NonNullable<Awaited<ReturnType<typeof pipelineBatchFigures>>>;

/**
 * Polls ClickHouse for the spikes' points (they are the measured points a query can name:
 * one series, one timestamp each) and notes when each is readable. The interval bounds the
 * resolution; the query names the bench's own values through the API's binding.
 */
function watchStoredSpikes(pending: () => Spike[], intervalMs: number): { stop(): Promise<void> } {
  const ch = createClickHouse(config);
  let running = true;
  const loop = (async () => {
    while (running) {
      const due = pending().filter((k) => k.sentAt !== undefined && k.storedAt === undefined);
      if (due.length > 0) {
        const query = sql`SELECT source, metric, timestamp_ms FROM ${ident(config.clickhouse.database)}.points PREWHERE timestamp_ms IN ${due.map((k) => k.ts!)} WHERE source IN ${[...new Set(due.map((k) => k.series.source))]}`;
        try {
          const rows = (await (await ch.query({ query: query.text, format: 'JSONEachRow' })).json()) as Array<{ source: string; metric: string; timestamp_ms: string }>;
          const at = clock();
          for (const r of rows) {
            const spike = spikeByPoint.get(`${seriesId(r.source, r.metric)}@${Number(r.timestamp_ms)}`);
            if (spike) spike.storedAt ??= at;
          }
        } catch {
          // a slow or failed poll only delays the next one
        }
      }
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await ch.close();
    },
  };
}

// ---------------------------------------------------------------- Kafka helpers

async function waitCommitted(groupId: string, topic: string, timeoutMs: number): Promise<void> {
  const admin = createKafka(config, logger).admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const ends = await admin.fetchTopicOffsets(topic);
      const [c] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const behind = ends.some((e) => e.high !== '0' && BigInt(c?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1') < BigInt(e.high));
      if (!behind) return;
      if (Date.now() > deadline) throw new Error(`group ${groupId} did not commit ${topic} in ${timeoutMs} ms`);
      await sleep(200);
    }
  } finally {
    await admin.disconnect();
  }
}

/** A plain consumer (kafkajs defaults) that has joined its group before this resolves. */
async function plainConsumer(groupId: string, topic: string, onBatch: (messages: KafkaMessage[], at: number) => void): Promise<Consumer> {
  const consumer = createKafka(config, logger, { clientId: `bench-${id}-consumer` }).consumer({ groupId });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachBatch: async ({ batch }) => onBatch(batch.messages, clock()) });
  await joined;
  return consumer;
}

/**
 * The three round trips a pipeline batch makes one after the other (ClickHouse insert of its
 * points, the produce of its outputs, the offset commit), timed alone with a batch of the
 * run's mean size, to attribute the batch time. Uses the pipeline's own sink and publisher.
 * Probe records carry timestamp 1 and source `bench-probe`, so the run's matching ignores them.
 */
async function roundTrips(pointsPerBatch: number, committer: Consumer, producer: Producer, reps = 15) {
  const clickhouse = createClickHouse(config);
  const sink = new ClickHouseSink(clickhouse, config.clickhouse.database);
  const out = { clickhouse: [] as number[], clickhouse8: [] as number[], produce: [] as number[], commit: [] as number[] };
  try {
    for (let r = 0; r < reps; r++) {
      const points: ScoredPoint[] = Array.from({ length: pointsPerBatch }, (_, i) => ({
        source: 'bench-probe', metric: `m${i}`, value: i, timestamp: 1 + r, tags: {}, partition: 0, offset: String(r * pointsPerBatch + i), mean: 0, std: 1, zscore: 0, anomalyScore: 0,
      }));
      let t = clock();
      await sink.writePoints(points);
      out.clickhouse.push(clock() - t);
      t = clock();
      await publishOutputs(producer, topics, (kind, record) => encodeEvent(kind, record), { ...emptyOutputs(), live: points.map(({ source, metric, value, mean, std, zscore, anomalyScore }) => ({ source, metric, timestamp: 1, value, mean, std, zscore, anomalyScore })) });
      out.produce.push(clock() - t);
      t = clock();
      await committer.commitOffsets([{ topic: floorTopic, partition: 0, offset: '0' }]);
      out.commit.push(clock() - t);
      // As the pipeline's lanes do (partitionsConsumedConcurrently 8): eight inserts at once.
      t = clock();
      await Promise.all(
        Array.from({ length: 8 }, (_, lane) =>
          sink.writePoints(points.map((p) => ({ ...p, partition: 1 + lane }))).then(() => out.clickhouse8.push(clock() - t)),
        ),
      );
    }
  } finally {
    await clickhouse.close();
  }
  return out;
}

// ---------------------------------------------------------------- the run

function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function row(label: string, values: number[], expected?: number): Cell[] {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (v: number) => (Number.isFinite(v) ? Number(v.toFixed(1)) : '–');
  const count = expected === undefined ? sorted.length : `${sorted.length}/${expected}`;
  return [label, count, f(percentile(sorted, 0.5)), f(percentile(sorted, 0.95)), f(percentile(sorted, 0.99)), f(sorted[sorted.length - 1] ?? NaN)];
}

const pct = (values: number[], q: number) => percentile([...values].sort((a, b) => a - b), q);

async function main() {
  const loadBefore = os.loadavg();
  const children: Child[] = [];
  const consumers: Consumer[] = [];
  const producers: Producer[] = [];
  const sdk = createMetricProducer({ config, clientId: `bench-${id}-sdk` });
  let ws: WebSocket | undefined;
  const metricsPort = await freePort();
  await ensureTopics(config, logger);
  const kafka = createKafka(config, logger, { clientId: `bench-${id}` });
  try {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: floorTopic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
    await migrate(config, { logger });

    const childConfigFile = path.join(os.tmpdir(), `vigil-bench-${id}.json`);
    if (LIVE_THROTTLE_MS !== undefined) writeFileSync(childConfigFile, JSON.stringify({ pipeline: { liveThrottleMs: LIVE_THROTTLE_MS } }));
    const childEnv: Record<string, string> = {
      ...(LIVE_THROTTLE_MS !== undefined ? { VIGIL_CONFIG: childConfigFile } : {}),
      VIGIL_LOG_LEVEL: 'warn',
      VIGIL_KAFKA_BROKERS: config.kafka.brokers.join(','),
      VIGIL_TOPIC_PREFIX: config.kafka.topicPrefix,
      VIGIL_KAFKA_PARTITIONS: String(PARTITIONS),
      VIGIL_KAFKA_GROUP_ID: config.kafka.groupId,
      VIGIL_CLICKHOUSE_URL: config.clickhouse.url,
      VIGIL_CLICKHOUSE_DATABASE: config.clickhouse.database,
      VIGIL_WORKER_THREADS: '1',
      VIGIL_PIPELINE_HTTP_PORT: String(metricsPort),
      VIGIL_GATEWAY_HOST: '127.0.0.1',
      VIGIL_GATEWAY_PORT: '0',
    };
    const pipeline = spawnVigil('pipeline', ['pipeline', '--stats-every', '0'], childEnv);
    children.push(pipeline);
    const gateway = spawnVigil('gateway', ['gateway', '--port', '0'], childEnv);
    children.push(gateway);
    const [, gatewayPort] = await waitForOutput(gateway, /listening on ws:\/\/[^:]+:(\d+)\/ws/, 60_000);

    ws = new WebSocket(`ws://127.0.0.1:${gatewayPort}/ws?channels=alerts,anomalies,live`);
    const socket = ws;
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.on('message', (raw) => {
      const at = clock();
      const msg = JSON.parse(raw.toString()) as { type: string; channel?: string; data?: Record<string, unknown> };
      if (msg.type === 'event' && msg.channel && msg.data) onWsEvent(msg.channel, msg.data, at);
    });

    // Peers: the floor consumer on its own topic; the tap on the pipeline's anomalies topic.
    consumers.push(
      await plainConsumer(floorGroup, floorTopic, (messages, at) => {
        for (const m of messages) {
          const tick = Number(m.headers?.tick?.toString());
          if (tick < MEASURED_TICKS) samples.floor.push(at - floorSentAt[tick]);
        }
      }),
    );
    consumers.push(
      await plainConsumer(tapGroup, topics.anomalies, (messages, at) => {
        for (const m of messages) {
          if (!m.value) continue;
          const { kind, record } = decodeEvent(m.value);
          if (kind !== 'anomaly') continue;
          const spike = spikeByPoint.get(`${seriesId(record.source, record.metric)}@${Number(record.startTimestamp)}`);
          if (spike && spike.anomalyKafka === undefined) spike.anomalyKafka = at;
        }
      }),
    );
    const floorProducer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    // Like the pipeline's output producer: idempotent, one request in flight.
    const hopProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    producers.push(floorProducer, hopProducer);
    await Promise.all([sdk.connect(), floorProducer.connect(), hopProducer.connect()]);

    // Warm-up: a baseline for every series, then wait until the pipeline has committed it all.
    const warmStart = Date.now() - (WARMUP_POINTS + 100) * 1000;
    const warm: MetricPointInput[] = [];
    for (let i = 0; i < WARMUP_POINTS; i++) {
      for (const s of series) warm.push({ source: s.source, metric: s.metric, value: s.base + s.noise * boundedNoise(), timestamp: warmStart + i * 1000 });
    }
    const tw = clock();
    await sdk.send(warm);
    await waitCommitted(config.kafka.groupId, topics.metrics, 90_000);
    const warmupSeconds = (clock() - tw) / 1000;
    await sleep(500);

    // Measured load: one SDK send per 100 ms tick (the points of the series due in it).
    phase = 'live';
    const stored = watchStoredSpikes(() => spikes, STORED_POLL_MS);
    const before = await pipelineBatchFigures(metricsPort);
    const beforeAt = clock();
    let pointsSent = 0;
    const failures: unknown[] = [];
    const inFlight = new Set<Promise<unknown>>();
    const track = (p: Promise<unknown>) => {
      const tracked = p.catch((err) => failures.push(err)).finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    };
    let lastTs = 0;
    const t0 = clock();
    for (let tick = 0; tick < MEASURED_TICKS + TAIL_TICKS; tick++) {
      const wait = t0 + tick * TICK_MS - clock();
      if (wait > 0) await sleep(wait);
      if (failures.length > 0) throw failures[0];
      const ts = Math.max(Date.now(), lastTs + 1);
      lastTs = ts;
      const measured = tick < MEASURED_TICKS;
      const points: MetricPointInput[] = [];
      for (const s of series) {
        if ((tick + s.phase) % ticksPerPoint !== 0) continue;
        let value = s.base + s.noise * boundedNoise();
        const spike = spikes.find((k) => k.series === s && k.ts === undefined && k.dueTick <= tick);
        if (spike && measured) {
          value = spikeValue(s);
          spike.ts = ts;
          spikeByPoint.set(`${s.key}@${ts}`, spike);
        }
        points.push({ source: s.source, metric: s.metric, value, timestamp: ts });
        if (measured) {
          let pending = pendingVisible.get(s.key);
          if (!pending) pendingVisible.set(s.key, (pending = []));
          pending.push(ts);
        }
      }
      const sentAt = clock();
      pointTicks.set(ts, { tick, sentAt });
      for (const spike of spikes) if (spike.ts === ts) spike.sentAt = sentAt;
      pointsSent += points.length;
      track(sdk.send(points));
      // The floor: the same records, keys and partitions, to a topic nothing else reads.
      const floorMessages = points.map((p) => ({
        key: seriesId(p.source, p.metric),
        value: encodeEvent('metric', { ...p, tags: {} }),
        headers: { tick: String(tick) },
      }));
      floorSentAt[tick] = clock();
      track(floorProducer.send({ topic: floorTopic, acks: -1, messages: floorMessages }));
      // The gateway hop: one LiveSnapshot per tick straight onto the live topic.
      const hop: LiveSnapshot = { source: 'bench-hop', metric: `hop${tick % PARTITIONS}`, timestamp: ts, value: 0, mean: 0, std: 1, zscore: 0, anomalyScore: 0 };
      if (measured) hopSentAt.set(ts, clock());
      track(hopProducer.send({ topic: topics.live, acks: -1, messages: [{ key: seriesId(hop.source, hop.metric), value: encodeEvent('live', hop) }] }));
    }
    await Promise.all(inFlight);
    if (failures.length > 0) throw failures[0];
    // Let the last events arrive (bounded).
    const drainUntil = clock() + 5000;
    while (clock() < drainUntil && spikes.some((k) => k.alertWs === undefined || k.anomalyWs === undefined || k.storedAt === undefined)) await sleep(100);
    await sleep(1000);
    await stored.stop();
    const after = await pipelineBatchFigures(metricsPort);
    const loadAfter = os.loadavg();
    const scrapeSeconds = (clock() - beforeAt) / 1000;
    const batchCount = before && after ? after.batches - before.batches : 0;
    const pointsPerBatch = batchCount > 0 ? Math.max(1, Math.round(pointsSent / batchCount)) : Math.max(1, Math.round((SERIES * RATE) / PARTITIONS / 10));
    const probe = await roundTrips(pointsPerBatch, consumers[0], hopProducer);
    for (const child of children) {
      if (child.proc.exitCode !== null || child.proc.signalCode !== null) throw new Error(`${child.name} exited during the run:\n${child.output.join('\n')}`);
    }

    const sent = spikes.filter((k) => k.sentAt !== undefined);
    const lat = (pick: (k: Spike) => number | undefined) => sent.flatMap((k) => (pick(k) === undefined ? [] : [pick(k)! - k.sentAt!]));
    const notVisible = [...pendingVisible.values()].reduce((n, p) => n + p.length, 0);
    const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');

    console.log(
      `alert latency (run ${id}): ${SERIES} series × ${RATE} points/s = ${SERIES * RATE} points/s for ${SECONDS} s (+3 s tail), ${sent.length} spikes of ${SPIKE_SIGMAS}σ, ${PARTITIONS} partitions, ` +
        `live throttle ${LIVE_THROTTLE_MS ?? config.pipeline.liveThrottleMs} ms; ` +
        `vigil pipeline (1 worker thread) and gateway as child processes (bin/vigil); Node ${process.version}`,
    );
    console.log(`load average (1/5/15 min) before ${la(loadBefore)}, after ${la(loadAfter)}; ${os.cpus().length} cores; warm-up ${SERIES * WARMUP_POINTS} points processed in ${warmupSeconds.toFixed(1)} s`);
    console.log('');
    const table: BenchTable = {
      columns: ['path (send() → arrival)', 'events', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      rows: [
        row('floor: plain kafkajs producer → consumer, same records and load', samples.floor),
        row('gateway hop: record on the live topic → WebSocket', samples.hop),
        row('live: point → the snapshot carrying it on WebSocket', samples.liveAge),
        row('live: any point → first snapshot at or after it (throttled)', samples.liveVisible),
        row('anomaly: spike → anomaly record on Kafka (plain consumer)', lat((k) => k.anomalyKafka), sent.length),
        row('anomaly: spike → anomaly event on WebSocket', lat((k) => k.anomalyWs), sent.length),
        row('alert: spike → alert event on WebSocket', lat((k) => k.alertWs), sent.length),
        row(`stored: spike → its point readable in ClickHouse (polled every ${STORED_POLL_MS} ms)`, lat((k) => k.storedAt), sent.length),
      ],
    };
    console.log(markdownTable(table));
    console.log('');
    const notes: string[] = [];
    if (before && after) {
      const batches = Math.max(1, batchCount);
      const perBatch = (pick: (f: BatchFigures) => number) => (((pick(after) - pick(before)) / batches) * 1000).toFixed(1);
      const rounds = after.fetchRounds - before.fetchRounds;
      notes.push(
        `pipeline during the load: ${batchCount} metrics batches (${(batchCount / scrapeSeconds).toFixed(1)}/s over ${scrapeSeconds.toFixed(0)} s, ${pointsPerBatch} points/batch), ` +
          `mean batch decode → commit ${perBatch((f) => f.batchSeconds)} ms, of which scoring ${perBatch((f) => f.scoringSeconds)} ms ` +
          `(waiting for the worker thread ${perBatch((f) => f.poolWaitSeconds)} ms, worker round trip ${perBatch((f) => f.poolTaskSeconds)} ms); ` +
          `decode → outputs acknowledged on Kafka ${perBatch((f) => f.producedSeconds)} ms (the produce itself ${perBatch((f) => f.produceSeconds)} ms); ` +
          `${rounds} fetches, mean fetch answer → next fetch ${rounds > 0 ? (((after.fetchRoundSeconds - before.fetchRoundSeconds) / rounds) * 1000).toFixed(1) : '–'} ms`,
      );
    } else {
      notes.push('pipeline batch figures: n/a (no /metrics endpoint on the pipeline)');
    }
    const med = (l: number[]) => percentile([...l].sort((a, b) => a - b), 0.5).toFixed(1);
    notes.push(
      `one batch's round trips alone (${pointsPerBatch} points, median of ${probe.clickhouse.length}): ClickHouse insert ${med(probe.clickhouse)} ms (8 at once: ${med(probe.clickhouse8)} ms each), ` +
        `output produce (idempotent, acks=all) ${med(probe.produce)} ms, offset commit ${med(probe.commit)} ms`,
    );
    notes.push(
      `unexpected: ${unexpected.anomalies} anomalies and ${unexpected.alerts} alert events on series without a spike (${unexpected.warmupAnomalies} anomalies during warm-up); ` +
        `${notVisible} measured points never covered by a live snapshot`,
    );
    for (const n of notes) console.log(n);
    const alerts = lat((k) => k.alertWs);
    const floor = { kind: 'floor' as const, label: 'plain kafkajs hop' };
    emitResult({
      tables: [table],
      headlines: [
        { figure: 'spike → alert on WebSocket p50', value: pct(alerts, 0.5), unit: 'ms', reference: { ...floor, label: `${floor.label} p50`, value: pct(samples.floor, 0.5) }, higherIsBetter: false },
        { figure: 'spike → alert on WebSocket p99', value: pct(alerts, 0.99), unit: 'ms', reference: { ...floor, label: `${floor.label} p99`, value: pct(samples.floor, 0.99) }, higherIsBetter: false },
        {
          figure: 'spike → point readable in ClickHouse p99',
          value: pct(lat((k) => k.storedAt), 0.99),
          unit: 'ms',
          reference: { kind: 'floor', label: "one batch's ClickHouse insert alone, median", value: pct(probe.clickhouse, 0.5) },
          higherIsBetter: false,
        },
      ],
      notes,
    });
  } finally {
    ws?.close();
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
    await sdk.close().catch(() => undefined);
    await Promise.all(children.map((c) => stopChild(c)));
    const admin = kafka.admin();
    await admin.connect().catch(() => undefined);
    await admin.deleteGroups([config.kafka.groupId, floorGroup, tapGroup]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    rmSync(path.join(os.tmpdir(), `vigil-bench-${id}.json`), { force: true });
    await deleteTopicsWithPrefix(config, config.kafka.topicPrefix, logger).catch(() => undefined);
    // Thousands of small parts (one per batch insert) make the drop slow on a busy 18.16.
    const dropStarted = clock();
    const ch = createClickHouse(config, { database: null, requestTimeoutMs: 180_000, logger: createLogger('error', { bench: 'alert-latency' }) });
    await ch.command({ query: `DROP DATABASE IF EXISTS bench_${id}` }).finally(() => ch.close());
    console.error(`cleanup: topics, groups and database bench_${id} deleted (drop took ${((clock() - dropStarted) / 1000).toFixed(1)} s)`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
