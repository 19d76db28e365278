/**
 * `vigil produce`: synthetic load (seeded, with incidents) or NAB CSV replay, sent through the
 * producer SDK into the metrics topic; prints what was sent per series and exits.
 */
import { writeFileSync } from 'node:fs';
import pino from 'pino';
import { getConfig, topicNames } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import {
  createLoadGenerator,
  mergeByTime,
  pace,
  parseDuration,
  parseGaps,
  parseIncidents,
  readNabCsv,
  type GroundTruth,
  type LoadGenerator,
} from '../../pipeline/loadgen/index.ts';
import { createMetricProducer } from '../../pipeline/sdk/producer.ts';
import { STANDARD_METRICS, type MetricPoint } from '../../schemas/records.ts';
import { UsageError, type Command } from '../command.ts';

export const usage = `usage: vigil produce [synthetic options] | vigil produce --csv <file>... [replay options]

Sends metric points to the metrics topic (<kafka.topicPrefix>metrics, brokers from the config)
through the producer SDK, then prints the points sent per series.

Synthetic load (deterministic for a given --seed and --start):
  --sources <n|a,b,c>   number of sources (source-1..source-n) or their names   (default 5)
  --metrics <all|a,b>   'all' = response_time, error_rate, throughput, cpu_usage, memory_usage,
                        queue_size, accuracy, availability; or a comma list (any name works)
                                                                                 (default all)
  --rate <n>            points per second per series (may be fractional)        (default 1)
  --duration <d>        run length: 500ms, 60s, 5m, 2h, 1d                     (default 60s)
  --points <n>          points per series instead of --duration
  --seed <n>            PRNG seed                                               (default 1)
  --start <t>           timestamp of the first point: ISO-8601 or epoch ms. Default: now in
                        --realtime mode, otherwise now minus the duration (the run ends now)
  --incidents <list>    kind:at[:target],...  kind = spike | drop | outlier | trend_change |
                        level_shift | variance_change; at = point index (300) or offset (90s);
                        target = a source or source/metric (default every series).
                        e.g. spike:300,drop:600,level_shift:900:source-2/cpu_usage
  --gaps <list>         at:points[:target],...  leave points out (e.g. 400:50:source-1)
  --seasonality         add a daily cycle (low at 00:00 UTC, high at 12:00 UTC)
  --realtime            send at the rate, timestamps = wall clock (Ctrl-C stops cleanly);
                        without it points are sent as fast as possible with synthetic times
  --truth <file>        write the ground truth (incidents, gaps, timestamps) as JSON

CSV replay (NAB format: "timestamp,value" header, UTC "YYYY-MM-DD HH:MM:SS" timestamps):
  --csv <file>...       files to replay (--csv a.csv b.csv or --csv a.csv --csv b.csv),
                        merged by time; source = the file's base name
  --metric-name <name>  metric name for CSV values                             (default value)
  --speedup <n>         replay in real time, n times faster than recorded; without it as fast
                        as possible
  --rebase              shift timestamps so the last point is now (keeps spacing)

Both:
  --tag <k=v>           tag every point (repeatable)
  --batch <n>           points per Kafka send in fast mode                     (default 1000)
  --max-points <n>      refuse runs larger than this                          (default 10000000)
  --dry-run             generate and summarise, send nothing (no Kafka needed)
  -h, --help            this help

Exit status: 0 sent (or dry run), 1 Kafka or input failure, 2 bad options.`;

export interface SyntheticPlan {
  mode: 'synthetic';
  sources: string[] | number;
  metrics: string[];
  rate: number;
  points?: number;
  durationMs?: number;
  seed: number;
  startMs?: number;
  incidents: ReturnType<typeof parseIncidents>;
  gaps: ReturnType<typeof parseGaps>;
  seasonality: boolean;
  realtime: boolean;
  truthFile?: string;
}

export interface CsvPlan {
  mode: 'csv';
  files: string[];
  metric: string;
  speedup?: number;
  rebase: boolean;
}

export type ProducePlan = (SyntheticPlan | CsvPlan) & { tags: Record<string, string>; batch: number; maxPoints: number; dryRun: boolean };

type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

const SYNTHETIC_FLAGS = ['sources', 'metrics', 'rate', 'duration', 'points', 'seed', 'start', 'incidents', 'gaps', 'seasonality', 'realtime', 'truth'];
const CSV_FLAGS = ['metric-name', 'speedup', 'rebase'];

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function positiveNumber(values: Values, name: string, fallback: number, integer = false): number {
  const text = str(values, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isSafeInteger(n))) {
    throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(text)}`);
  }
  return n;
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof VigilError) throw new UsageError(err.message);
    throw err;
  }
}

/** Options → a plan; pure (no clock, no I/O), so every flag is unit-tested. */
export function parseProduceArgs(values: Values, positionals: string[]): ProducePlan {
  const tags: Record<string, string> = {};
  for (const tag of (values.tag as string[] | undefined) ?? []) {
    const eq = tag.indexOf('=');
    if (eq <= 0) throw new UsageError(`--tag must be key=value, got ${JSON.stringify(tag)}`);
    tags[tag.slice(0, eq)] = tag.slice(eq + 1);
  }
  const common = {
    tags,
    batch: positiveNumber(values, 'batch', 1000, true),
    maxPoints: positiveNumber(values, 'max-points', 10_000_000, true),
    dryRun: values['dry-run'] === true,
  };
  const csvFlags = (values.csv as string[] | undefined) ?? [];
  if (csvFlags.length === 0 && positionals.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (CSV files go after --csv)`);
  }
  // `--csv a.csv b.csv` and `--csv a.csv --csv b.csv` both work.
  const files = [...csvFlags, ...positionals];
  if (files.length > 0) {
    const clash = SYNTHETIC_FLAGS.find((f) => values[f] !== undefined);
    if (clash) throw new UsageError(`--${clash} is for synthetic load; it cannot be combined with --csv`);
    const metric = str(values, 'metric-name') ?? 'value';
    const speedup = values.speedup === undefined ? undefined : positiveNumber(values, 'speedup', 1);
    return { mode: 'csv', files, metric, speedup, rebase: values.rebase === true, ...common };
  }
  const clash = CSV_FLAGS.find((f) => values[f] !== undefined);
  if (clash) throw new UsageError(`--${clash} only applies to --csv replay`);

  const sourcesText = str(values, 'sources') ?? '5';
  let sources: string[] | number;
  if (/^\d+$/.test(sourcesText)) {
    sources = Number(sourcesText);
    if (sources < 1 || sources > 100_000) throw new UsageError(`--sources must be 1..100000, got ${sourcesText}`);
  } else {
    sources = sourcesText.split(',').map((s) => s.trim()).filter(Boolean);
    if (sources.length === 0) throw new UsageError('--sources is empty');
  }
  const metricsText = str(values, 'metrics') ?? 'all';
  const metrics = metricsText === 'all' ? [...STANDARD_METRICS] : metricsText.split(',').map((s) => s.trim()).filter(Boolean);
  if (metrics.length === 0) throw new UsageError('--metrics is empty');
  if (new Set(metrics).size !== metrics.length) throw new UsageError(`--metrics lists a metric twice: ${metricsText}`);

  let durationMs: number | undefined;
  let points: number | undefined;
  if (values.points !== undefined) {
    if (values.duration !== undefined) throw new UsageError('give --duration or --points, not both');
    points = positiveNumber(values, 'points', 1, true);
  } else {
    const d = parseDuration(str(values, 'duration') ?? '60s');
    if (d === null || d <= 0) throw new UsageError(`--duration must look like 500ms, 60s, 5m, 2h or 1d, got ${JSON.stringify(values.duration)}`);
    durationMs = d;
  }
  const seedText = str(values, 'seed') ?? '1';
  if (!/^-?\d+$/.test(seedText) || !Number.isSafeInteger(Number(seedText))) throw new UsageError(`--seed must be an integer, got ${JSON.stringify(seedText)}`);

  let startMs: number | undefined;
  const startText = str(values, 'start');
  if (startText !== undefined) {
    startMs = /^\d+$/.test(startText) ? Number(startText) : Date.parse(startText);
    if (!Number.isSafeInteger(startMs)) throw new UsageError(`--start must be ISO-8601 or epoch ms, got ${JSON.stringify(startText)}`);
  }
  return {
    mode: 'synthetic',
    sources,
    metrics,
    rate: positiveNumber(values, 'rate', 1),
    points,
    durationMs,
    seed: Number(seedText),
    startMs,
    incidents: wrap(() => parseIncidents(str(values, 'incidents') ?? '')),
    gaps: wrap(() => parseGaps(str(values, 'gaps') ?? '')),
    seasonality: values.seasonality === true,
    realtime: values.realtime === true,
    truthFile: str(values, 'truth'),
    ...common,
  };
}

/** Where points go: the SDK in a real run, a counter in a dry run or a test. */
export type SendPoints = (points: MetricPoint[]) => Promise<void>;

export interface ProduceSummary {
  sent: number;
  perSeries: Map<string, number>;
  elapsedMs: number;
  interrupted: boolean;
  firstTimestamp: number | null;
  lastTimestamp: number | null;
  maxLagMs: number;
  groundTruth?: GroundTruth;
}

export interface RunDeps {
  send: SendPoints;
  now?: () => number;
  signal?: AbortSignal;
}

function buildGenerator(plan: SyntheticPlan & { tags: Record<string, string> }, nowMs: number): LoadGenerator {
  const probe = createLoadGenerator({ sources: plan.sources, metrics: plan.metrics, rate: plan.rate, points: plan.points, durationMs: plan.durationMs, seed: plan.seed, startMs: 0 });
  // Fast mode ends at now by default, so the whole run passes the pipeline's future-skew check.
  const spanMs = probe.timestampOf(probe.pointsPerSeries - 1);
  const startMs = plan.startMs ?? (plan.realtime ? nowMs : nowMs - spanMs);
  return createLoadGenerator({
    sources: plan.sources,
    metrics: plan.metrics,
    rate: plan.rate,
    points: plan.points,
    durationMs: plan.durationMs,
    seed: plan.seed,
    startMs,
    seasonality: plan.seasonality,
    incidents: plan.incidents,
    gaps: plan.gaps,
    tags: plan.tags,
  });
}

/** Runs a plan against `deps.send`; resolves with what was sent (also when interrupted). */
export async function runProduce(plan: ProducePlan, deps: RunDeps): Promise<ProduceSummary> {
  const now = deps.now ?? Date.now;
  const started = now();
  const summary: ProduceSummary = { sent: 0, perSeries: new Map(), elapsedMs: 0, interrupted: false, firstTimestamp: null, lastTimestamp: null, maxLagMs: 0 };
  const record = async (points: MetricPoint[]) => {
    if (points.length === 0) return;
    await deps.send(points);
    summary.sent += points.length;
    for (const p of points) {
      const id = `${p.source}/${p.metric}`;
      summary.perSeries.set(id, (summary.perSeries.get(id) ?? 0) + 1);
      if (summary.firstTimestamp === null || p.timestamp < summary.firstTimestamp) summary.firstTimestamp = p.timestamp;
      if (summary.lastTimestamp === null || p.timestamp > summary.lastTimestamp) summary.lastTimestamp = p.timestamp;
    }
  };
  const sendInBatches = async (points: Iterable<MetricPoint>) => {
    let batch: MetricPoint[] = [];
    for (const p of points) {
      batch.push(p);
      if (batch.length >= plan.batch) {
        if (deps.signal?.aborted) break;
        await record(batch);
        batch = [];
      }
    }
    if (!deps.signal?.aborted) await record(batch);
    summary.interrupted = deps.signal?.aborted ?? false;
  };

  if (plan.mode === 'synthetic') {
    const generator = buildGenerator(plan, started);
    const total = generator.pointsPerSeries * generator.series.length;
    if (total > plan.maxPoints) {
      throw new VigilError(`this run would send ${total} points, more than --max-points ${plan.maxPoints}`, { action: 'lower --rate/--duration/--sources or raise --max-points' });
    }
    summary.groundTruth = generator.groundTruth;
    if (plan.truthFile) writeFileSync(plan.truthFile, `${JSON.stringify(generator.groundTruth, null, 2)}\n`);
    if (plan.realtime) {
      const result = await pace(generator.ticks(), (tick) => tick.timestamp, (tick) => record(tick.points), { now, signal: deps.signal });
      summary.interrupted = result.aborted;
      summary.maxLagMs = result.maxLagMs;
    } else {
      await sendInBatches(generator.points());
    }
  } else {
    const series = plan.files.map((file) => readNabCsv(file, { metric: plan.metric, tags: plan.tags }));
    const total = series.reduce((n, s) => n + s.points.length, 0);
    if (total > plan.maxPoints) throw new VigilError(`the CSV files hold ${total} points, more than --max-points ${plan.maxPoints}`, { action: 'raise --max-points' });
    let points = mergeByTime(series);
    if (plan.rebase) points = mergeByTime(series, started - points[points.length - 1].timestamp);
    if (plan.speedup !== undefined) {
      const speedup = plan.speedup;
      const first = points[0].timestamp;
      const result = await pace(points, (p) => started + (p.timestamp - first) / speedup, (p) => record([p]), { now, signal: deps.signal });
      summary.interrupted = result.aborted;
      summary.maxLagMs = result.maxLagMs;
    } else {
      await sendInBatches(points);
    }
  }
  summary.elapsedMs = now() - started;
  return summary;
}

export function formatSummary(summary: ProduceSummary, topic: string, dryRun: boolean): string {
  const seconds = summary.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(summary.sent / seconds) : summary.sent;
  const lines = [
    `${dryRun ? 'dry run: would send' : 'sent'} ${summary.sent} points ${dryRun ? 'to' : 'to'} ${topic} in ${seconds < 10 ? seconds.toFixed(2) : seconds.toFixed(1)} s (${rate} points/s)${summary.interrupted ? ' — interrupted' : ''}`,
  ];
  if (summary.firstTimestamp !== null) lines.push(`event time ${new Date(summary.firstTimestamp).toISOString()} … ${new Date(summary.lastTimestamp!).toISOString()}`);
  if (summary.maxLagMs > 1000) lines.push(`warning: fell up to ${(summary.maxLagMs / 1000).toFixed(1)} s behind the schedule (Kafka slower than the rate)`);
  const entries = [...summary.perSeries.entries()];
  const width = Math.max(6, ...entries.map(([id]) => id.length));
  lines.push(`${'series'.padEnd(width)}  points`);
  for (const [id, n] of entries.slice(0, 50)) lines.push(`${id.padEnd(width)}  ${n}`);
  if (entries.length > 50) lines.push(`… and ${entries.length - 50} more series (${entries.length} in all)`);
  const incidents = summary.groundTruth?.incidents ?? [];
  if (incidents.length > 0) {
    const groups = new Map<string, number>();
    for (const inc of incidents) {
      const key = `${inc.kind} at point ${inc.startIndex} (${new Date(inc.startTimestamp).toISOString()})`;
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
    lines.push('incidents:');
    for (const [key, n] of groups) lines.push(`  ${key} on ${n} series`);
  }
  return `${lines.join('\n')}\n`;
}

export const command: Command = {
  name: 'produce',
  summary: 'send synthetic metric load (seeded, with incidents) or NAB CSV replays to Kafka',
  usage,
  options: {
    sources: { type: 'string' },
    metrics: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    points: { type: 'string' },
    seed: { type: 'string' },
    start: { type: 'string' },
    incidents: { type: 'string' },
    gaps: { type: 'string' },
    seasonality: { type: 'boolean' },
    realtime: { type: 'boolean' },
    truth: { type: 'string' },
    csv: { type: 'string', multiple: true },
    'metric-name': { type: 'string' },
    speedup: { type: 'string' },
    rebase: { type: 'boolean' },
    tag: { type: 'string', multiple: true },
    batch: { type: 'string' },
    'max-points': { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  async run(values, positionals) {
    const plan = parseProduceArgs(values, positionals);
    const config = getConfig();
    const topic = topicNames(config).metrics;
    // Logs to stderr: stdout carries the summary.
    const logger = pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, base: { pid: process.pid, component: 'produce' } }, pino.destination(2));
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const producer = plan.dryRun ? null : createMetricProducer({ config, logger, clientId: `${config.kafka.clientId}-produce` });
    try {
      if (producer) await producer.connect();
      const summary = await runProduce(plan, {
        send: producer ? async (points) => void (await producer.send(points)) : async () => {},
        signal: controller.signal,
      });
      process.stdout.write(formatSummary(summary, topic, plan.dryRun));
      return summary.interrupted ? 130 : 0;
    } catch (err) {
      if (err instanceof VigilError) {
        process.stderr.write(`vigil produce: ${err.message}\n`);
        if (err.cause instanceof Error) process.stderr.write(`  cause: ${err.cause.message}\n`);
        return 1;
      }
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await producer?.close().catch(() => {});
    }
  },
};
