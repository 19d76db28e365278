/**
 * The pipeline's own figures as Prometheus metrics, on a registry per pipeline instance (several
 * instances in one test process must not share counters).
 *
 * Counters are incremented once per committed batch with the batch's totals, so the hot path
 * pays a few additions per batch, never a label lookup per point. Gauges are read at scrape
 * time from the pipeline's own state; consumer lag asks the broker, cached briefly so a busy
 * scraper cannot turn into a stream of admin requests.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Message } from 'kafkajs';
import { ALERT_STATUSES, ANOMALY_TYPES, SEVERITIES, type AlertEvent, type AnomalyEvent, type CommandResult } from '../../schemas/records.ts';
import { DLQ_REASON_CODES } from '../ingest/reasons.ts';
import { DLQ_HEADERS } from '../ingest/dlq.ts';

/** DLQ reason of an undecodable operator command (the commands topic shares the DLQ). */
export const INVALID_COMMAND_REASON = 'invalid-command';
/**
 * DLQ reason of valid points whose batch failed scoring pipeline.scoreAttempts times (worker
 * crash, hang past scoreTimeoutMs, or an error); the detail header says why.
 */
export const SCORING_FAILED_REASON = 'scoring-failed';
/**
 * DLQ reason of a point of a new series on a partition already holding its series limit
 * (pipeline.maxSeries, pipeline/state/series-limit.ts); the detail names the limit and the setting.
 */
export const SERIES_LIMIT_REASON = 'series-limit';
/**
 * DLQ reason of a point at a timestamp its series already holds with another value (the first
 * is kept; SeriesDetector.repeatOf); the detail names both values.
 */
export const DUPLICATE_TIMESTAMP_REASON = 'duplicate-timestamp';
export const COMMAND_RESULTS = ['applied', 'rejected', 'invalid'] as const;
export type CommandResultLabel = (typeof COMMAND_RESULTS)[number];

/** kafkajs consumer lifecycle as seen by /health. Only `running` is healthy. */
export type ConsumerStatus = 'starting' | 'running' | 'restarting' | 'crashed' | 'stopping' | 'stopped';
export type ConsumerEvent = 'join' | 'stop' | 'crash' | 'crash-restart' | 'stop-requested';

/**
 * kafkajs reports a crash as STOP (its own disconnect), then CRASH with `restart`, then a new
 * GROUP_JOIN if it restarted. A STOP we did not ask for is therefore a crash in progress; once
 * we asked to stop, nothing brings the consumer back.
 */
export function nextConsumerStatus(current: ConsumerStatus, event: ConsumerEvent): ConsumerStatus {
  if (current === 'stopped') return 'stopped';
  if (event === 'stop-requested') return 'stopping';
  if (current === 'stopping') return event === 'stop' ? 'stopped' : 'stopping';
  switch (event) {
    case 'join':
      return 'running';
    case 'crash-restart':
      return 'restarting';
    case 'stop':
    case 'crash':
      return 'crashed';
  }
}

export interface PartitionLag {
  partition: number;
  lag: number;
}

/**
 * Records between the group's committed offset and the end of each owned partition. A
 * partition without a commit (-1) lags by everything it still retains.
 */
export function consumerLag(
  ends: ReadonlyArray<{ partition: number; high: string; low: string }>,
  committed: ReadonlyArray<{ partition: number; offset: string }>,
  owned: Iterable<number>,
): PartitionLag[] {
  const ownedSet = new Set(owned);
  const committedBy = new Map(committed.map((c) => [c.partition, BigInt(c.offset)]));
  const out: PartitionLag[] = [];
  for (const end of ends) {
    if (!ownedSet.has(end.partition)) continue;
    const high = BigInt(end.high);
    const c = committedBy.get(end.partition) ?? -1n;
    const from = c < 0n ? BigInt(end.low) : c;
    out.push({ partition: end.partition, lag: Number(high > from ? high - from : 0n) });
  }
  return out.sort((a, b) => a.partition - b.partition);
}

/**
 * One in-flight call shared by concurrent callers, its result reused for `ttlMs`; a failure is
 * not cached (the next call tries again) and a call slower than `timeoutMs` fails.
 */
export function cachedAsync<T>(fn: () => Promise<T>, opts: { ttlMs: number; timeoutMs: number; now?: () => number }): () => Promise<T> {
  const now = opts.now ?? Date.now;
  let value: { at: number; result: T } | undefined;
  let inFlight: Promise<T> | undefined;
  return () => {
    if (value && now() - value.at < opts.ttlMs) return Promise.resolve(value.result);
    inFlight ??= new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
      fn().then(
        (result) => {
          value = { at: now(), result };
          resolve(result);
        },
        reject,
      ).finally(() => clearTimeout(timer));
    }).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

/** What the gauges read at scrape time. */
export interface GaugeSource {
  snapshot(): {
    ownedPartitions: number[];
    series: number;
    /** Series held per owned partition. */
    seriesByPartition: ReadonlyArray<{ partition: number; series: number }>;
    /** Series each partition may hold (pipeline.maxSeries over the partitions). */
    seriesLimit: number;
    windowBytes: number;
    lastBatchAt: number | null;
    pool: { threads: number; queued: number; utilization: number; waitSeconds?: number; runSeconds?: number };
  };
  consumerStatus(): ConsumerStatus;
  /** Owned partitions found stalled at the last check (see partition-progress.ts). */
  stalledPartitions?(): number[];
  /** Lag of the owned partitions of the metrics topic (asks the broker). */
  consumerLag(): Promise<PartitionLag[]>;
  /** Called when the lag cannot be fetched; the lag gauge is left empty for that scrape. */
  onLagError?(err: unknown): void;
}

export interface MetricsBatchFigures {
  points: number;
  /** Points refused for the partition's series limit (also among `dlq`, reason series-limit). */
  seriesRefused: number;
  /** Copies of points their series already held: dropped (not stored, not dead-lettered). */
  duplicates: number;
  dlq: readonly Message[];
  anomalies: readonly AnomalyEvent[];
  alerts: readonly AlertEvent[];
  /** Decode to commit. */
  seconds: number;
  /** Scoring alone (worker pool round trip included). */
  scoringSeconds: number;
  /** Decode to the batch's Kafka outputs acknowledged: the pipeline's share of an alert's latency. */
  producedSeconds?: number;
  /** The Kafka produce of the batch's outputs alone. */
  produceSeconds?: number;
}

export interface PipelineMetrics {
  readonly registry: Registry;
  metricsBatch(figures: MetricsBatchFigures): void;
  /** A fetch's batches all done: how long that fetch's records held the next fetch back (kafkajs's fetch barrier). */
  fetchRound(seconds: number): void;
  commandsBatch(results: readonly CommandResult[], invalid: number): void;
  alertEvents(events: readonly AlertEvent[]): void;
  retry(what: string): void;
}

let processRegistry: Registry | undefined;
/** Default process metrics are per process: collected once, shared by every pipeline registry. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

const BATCH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const LAG_CACHE_MS = 2000;
const LAG_TIMEOUT_MS = 3000;

export function createPipelineMetrics(source: GaugeSource, opts: { lagCacheMs?: number } = {}): PipelineMetrics {
  const own = new Registry();
  const registers = [own];

  const points = new Counter({ name: 'vigil_pipeline_points_total', help: 'Metric points scored and committed', registers });
  const dlq = new Counter({ name: 'vigil_pipeline_dlq_total', help: 'Records sent to the dead-letter topic, by reason', labelNames: ['reason'] as const, registers });
  const anomalies = new Counter({
    name: 'vigil_pipeline_anomalies_total',
    help: 'Anomaly events published (first reports and refinements), by type',
    labelNames: ['type'] as const,
    registers,
  });
  const alertEvents = new Counter({
    name: 'vigil_pipeline_alert_events_total',
    help: 'Alert lifecycle events published, by status and severity',
    labelNames: ['status', 'severity'] as const,
    registers,
  });
  const commands = new Counter({ name: 'vigil_pipeline_commands_total', help: 'Operator commands handled, by result', labelNames: ['result'] as const, registers });
  const batches = new Counter({ name: 'vigil_pipeline_batches_total', help: 'Metrics batches committed', registers });
  const retries = new Counter({
    name: 'vigil_pipeline_retries_total',
    help: 'Retried ClickHouse/Kafka operations (the partition pauses meanwhile), by operation',
    labelNames: ['what'] as const,
    registers,
  });
  const batchSeconds = new Histogram({ name: 'vigil_pipeline_batch_seconds', help: 'Metrics batch time from decode to offset commit', buckets: BATCH_BUCKETS, registers });
  const scoringSeconds = new Histogram({ name: 'vigil_pipeline_scoring_seconds', help: 'Scoring time of a metrics batch (worker pool round trip)', buckets: BATCH_BUCKETS, registers });
  const producedSeconds = new Histogram({ name: 'vigil_pipeline_outputs_produced_seconds', help: "Metrics batch time from decode until its Kafka outputs (alerts, anomalies, live) are acknowledged", buckets: BATCH_BUCKETS, registers });
  const produceSeconds = new Histogram({ name: 'vigil_pipeline_produce_seconds', help: "Kafka produce of a metrics batch's outputs", buckets: BATCH_BUCKETS, registers });
  const fetchRoundSeconds = new Histogram({
    name: 'vigil_pipeline_fetch_round_seconds',
    help: 'From a fetch answer to the next fetch request: every batch of a fetch must finish before kafkajs fetches again',
    buckets: BATCH_BUCKETS,
    registers,
  });

  const seriesRefused = new Counter({
    name: 'vigil_pipeline_series_refused_total',
    help: 'Points dead-lettered because their series is new and its partition holds its series limit (pipeline.maxSeries)',
    registers,
  });

  const duplicates = new Counter({
    name: 'vigil_pipeline_duplicates_total',
    help: 'Records dropped as copies of a point their series already holds (same timestamp and value): not stored, not scored',
    registers,
  });

  for (const reason of [...DLQ_REASON_CODES, INVALID_COMMAND_REASON, SCORING_FAILED_REASON, SERIES_LIMIT_REASON, DUPLICATE_TIMESTAMP_REASON]) dlq.inc({ reason }, 0);
  for (const type of ANOMALY_TYPES) anomalies.inc({ type }, 0);
  for (const status of ALERT_STATUSES) for (const severity of SEVERITIES) alertEvents.inc({ status, severity }, 0);
  for (const result of COMMAND_RESULTS) commands.inc({ result }, 0);

  const gauge = (name: string, help: string, read: (s: ReturnType<GaugeSource['snapshot']>) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(source.snapshot()));
      },
    });
  gauge('vigil_pipeline_owned_partitions', 'Metrics partitions owned by this instance', (s) => s.ownedPartitions.length);
  new Gauge({
    name: 'vigil_pipeline_series',
    help: 'Series with state in memory, per owned metrics partition (at most vigil_pipeline_series_limit each)',
    labelNames: ['partition'] as const,
    registers,
    collect() {
      this.reset();
      for (const { partition, series } of source.snapshot().seriesByPartition) this.set({ partition: String(partition) }, series);
    },
  });
  gauge('vigil_pipeline_series_limit', 'Series each metrics partition may hold (pipeline.maxSeries over the partitions); points of new series beyond it are dead-lettered', (s) => s.seriesLimit);
  gauge('vigil_pipeline_window_state_bytes', 'Bytes of scoring window state in memory', (s) => s.windowBytes);
  gauge('vigil_pipeline_worker_pool_utilization', 'Share of worker pool time spent scoring since start, 0..1', (s) => s.pool.utilization);
  gauge('vigil_pipeline_worker_pool_wait_seconds', 'Seconds scoring tasks waited for a worker thread, summed since start', (s) => s.pool.waitSeconds ?? 0);
  gauge('vigil_pipeline_worker_pool_task_seconds', 'Seconds from a task handed to a thread to its result, summed since start', (s) => s.pool.runSeconds ?? 0);
  gauge('vigil_pipeline_worker_pool_queued', 'Scoring tasks waiting for a worker thread', (s) => s.pool.queued);
  gauge('vigil_pipeline_worker_threads', 'Worker pool threads', (s) => s.pool.threads);
  gauge('vigil_pipeline_last_batch_timestamp_seconds', 'When the last metrics batch was committed (0 = never)', (s) => (s.lastBatchAt ?? 0) / 1000);
  new Gauge({
    name: 'vigil_pipeline_consumer_running',
    help: '1 while the consumer is in its group and consuming, else 0 (see /health for why)',
    registers,
    collect() {
      this.set(source.consumerStatus() === 'running' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'vigil_pipeline_partition_stalled',
    help: '1 while an owned metrics partition has lag and no committed progress for pipeline.stallAfterMs, else 0 (see /health for the reason)',
    labelNames: ['partition'] as const,
    registers,
    collect() {
      this.reset();
      const stalled = new Set(source.stalledPartitions?.() ?? []);
      for (const p of source.snapshot().ownedPartitions) this.set({ partition: String(p) }, stalled.has(p) ? 1 : 0);
    },
  });
  const lag = cachedAsync(() => source.consumerLag(), { ttlMs: opts.lagCacheMs ?? LAG_CACHE_MS, timeoutMs: LAG_TIMEOUT_MS });
  new Gauge({
    name: 'vigil_pipeline_consumer_lag',
    help: 'Records of the metrics topic not yet committed (end offset - committed), per owned partition',
    labelNames: ['partition'] as const,
    registers,
    async collect() {
      // Revoked partitions must disappear, and a failed fetch must not leave stale figures.
      this.reset();
      try {
        for (const { partition, lag: n } of await lag()) this.set({ partition: String(partition) }, n);
      } catch (err) {
        source.onLagError?.(err);
      }
    },
  });

  // Children bound once per label set: the per-batch loops below do a Map lookup, not a label hash.
  const bound = <L extends string>(counter: Counter<L>) => {
    const children = new Map<string, ReturnType<Counter<L>['labels']>>();
    return (key: string, labels: Partial<Record<L, string>>) => {
      let child = children.get(key);
      if (!child) {
        child = counter.labels(labels);
        children.set(key, child);
      }
      return child;
    };
  };
  const dlqBy = bound(dlq);
  const anomalyBy = bound(anomalies);
  const alertBy = bound(alertEvents);
  const commandBy = bound(commands);
  const retryBy = bound(retries);

  const countAlerts = (events: readonly AlertEvent[]) => {
    for (const e of events) alertBy(`${e.status}|${e.severity}`, { status: e.status, severity: e.severity }).inc();
  };

  return {
    registry: Registry.merge([own, processMetrics()]),
    metricsBatch(f) {
      points.inc(f.points);
      seriesRefused.inc(f.seriesRefused);
      duplicates.inc(f.duplicates);
      batches.inc();
      batchSeconds.observe(f.seconds);
      scoringSeconds.observe(f.scoringSeconds);
      if (f.producedSeconds !== undefined) producedSeconds.observe(f.producedSeconds);
      if (f.produceSeconds !== undefined) produceSeconds.observe(f.produceSeconds);
      for (const m of f.dlq) {
        const reason = dlqReason(m);
        dlqBy(reason, { reason }).inc();
      }
      for (const a of f.anomalies) anomalyBy(a.type, { type: a.type }).inc();
      countAlerts(f.alerts);
    },
    fetchRound(seconds) {
      fetchRoundSeconds.observe(seconds);
    },
    commandsBatch(results, invalid) {
      for (const r of results) {
        const result: CommandResultLabel = r.applied ? 'applied' : 'rejected';
        commandBy(result, { result }).inc();
      }
      if (invalid > 0) {
        commandBy('invalid', { result: 'invalid' }).inc(invalid);
        dlqBy(INVALID_COMMAND_REASON, { reason: INVALID_COMMAND_REASON }).inc(invalid);
      }
    },
    alertEvents: countAlerts,
    retry(what) {
      retryBy(what, { what }).inc();
    },
  };
}

function dlqReason(m: Message): string {
  const h = m.headers?.[DLQ_HEADERS.reason];
  const v = Array.isArray(h) ? h[0] : h;
  return v === undefined ? 'unknown' : String(v);
}
