/**
 * The pure half of `npm run bench`: which benches exist and with what arguments, the command
 * line, the JSON record of a run and the summary table. bench/run.ts does the I/O (children,
 * files, clock, load average).
 */
import { VigilError } from '../core/errors.ts';
import { ratioOf, type BenchResult, type BenchTable, type Headline } from './support/result.ts';

export interface BenchSpec {
  script: string;
  /** Arguments of the full-size run (docs/benchmarks.md figures). */
  full: string[];
  /** Arguments under --quick: the same measurement, smaller, so `all --quick` stays under 5 minutes. */
  quick: string[];
  /** Kafka and ClickHouse must be up (npm run stack:up). */
  stack: boolean;
  /** The child is killed after this long. */
  timeoutSeconds: number;
  what: string;
}

export const BENCHES: Record<string, BenchSpec> = {
  throughput: {
    script: 'bench/pipeline-throughput.ts',
    full: ['--series', '2000', '--points', '500'],
    quick: ['--series', '1000', '--points', '100'],
    stack: true,
    timeoutSeconds: 900,
    what: 'pipeline end to end vs a bare kafkajs consumer group',
  },
  latency: {
    script: 'bench/alert-latency.ts',
    full: [],
    quick: ['--seconds', '10', '--spikes', '20'],
    stack: true,
    timeoutSeconds: 300,
    what: 'spike → alert on WebSocket vs one plain Kafka hop',
  },
  fanout: {
    script: 'bench/gateway-fanout.ts',
    full: [],
    quick: ['--subscribers', '1000,5000', '--seconds', '2'],
    stack: false,
    timeoutSeconds: 190,
    what: 'gateway WebSocket fan-out vs the ws server',
  },
  workers: {
    script: 'bench/scoring.ts',
    full: [],
    quick: ['--points', '400000', '--per-point', '5000'],
    stack: false,
    timeoutSeconds: 180,
    what: 'scoring on the worker pool vs in-process',
  },
  memory: {
    script: 'bench/memory.ts',
    full: ['--series', '10000,100000'],
    quick: ['--series', '10000'],
    stack: false,
    timeoutSeconds: 300,
    what: 'state bytes and RSS per series vs the raw window',
  },
  decode: {
    script: 'bench/decode.ts',
    full: [],
    quick: ['--records', '50000', '--rounds', '3'],
    stack: false,
    timeoutSeconds: 120,
    what: 'record decoding vs plain avsc',
  },
  insert: {
    script: 'bench/clickhouse-insert.ts',
    full: [],
    quick: ['--rows', '2000', '--rounds', '2'],
    stack: true,
    timeoutSeconds: 180,
    what: 'points INSERT by format, combined vs one per lane',
  },
  'cluster-insert': {
    script: 'bench/clickhouse-cluster-insert.ts',
    full: [],
    quick: ['--rows', '2000', '--rounds', '2'],
    stack: true,
    timeoutSeconds: 240,
    what: 'points INSERT through a private 2×2 ClickHouse cluster vs the single server',
  },
  dashboard: {
    script: 'bench/dashboard-api.ts',
    full: [],
    quick: ['--hours', '1', '--reps', '10'],
    stack: true,
    timeoutSeconds: 600,
    what: 'dashboard API calls p50/p95 and page load vs SELECT 1',
  },
  producer: {
    script: 'bench/producer.ts',
    full: [],
    quick: ['--points', '100000', '--batches', '5000', '--rounds', '1'],
    stack: true,
    timeoutSeconds: 180,
    what: 'producer SDK vs a plain kafkajs producer, same records',
  },
  cardinality: {
    script: 'bench/cardinality.ts',
    full: [],
    quick: ['--series', '100000', '--max-series', '2000', '--peer-series', '8000'],
    stack: true,
    timeoutSeconds: 1500,
    what: 'RSS of 1 M distinct series at pipeline.maxSeries vs the pipeline without a limit',
  },
  replay: {
    script: 'bench/state-replay.ts',
    full: ['--series', '500', '--points', '1000'],
    quick: ['--series', '100', '--points', '300'],
    stack: true,
    timeoutSeconds: 600,
    what: 'start-up after a state-layout change (full replay) vs a restart from snapshots',
  },
  ingest: {
    script: 'bench/api-ingest.ts',
    full: [],
    quick: ['--points', '10000', '--batches', '100,1000'],
    stack: true,
    timeoutSeconds: 180,
    what: 'HTTP ingest vs the producer SDK',
  },
};

const ALIASES: Record<string, string> = { scoring: 'workers', pipeline: 'throughput', 'alert-latency': 'latency', 'gateway-fanout': 'fanout', 'api-ingest': 'ingest', 'dashboard-api': 'dashboard' };

export interface RunnerArgs {
  names: string[];
  quick: boolean;
  /** Arguments after `--`, passed to the bench (one bench only). */
  extra: string[];
  list: boolean;
}

export const USAGE = `usage: npm run bench -- <${Object.keys(BENCHES).join('|')}|all> [--quick] [-- <bench arguments>]
       npm run bench -- --list`;

function usageError(problem: string): VigilError {
  return new VigilError(`bench: ${problem}`, { code: 'BENCH_USAGE', action: USAGE });
}

export function parseRunnerArgs(argv: readonly string[]): RunnerArgs {
  const dash = argv.indexOf('--');
  const own = dash === -1 ? argv : argv.slice(0, dash);
  const extra = dash === -1 ? [] : argv.slice(dash + 1);
  let quick = false;
  let list = false;
  const positional: string[] = [];
  for (const a of own) {
    if (a === '--quick') quick = true;
    else if (a === '--list') list = true;
    else if (a.startsWith('-')) throw usageError(`unknown option ${a}`);
    else positional.push(a);
  }
  if (list) return { names: [], quick, extra, list };
  if (positional.length === 0) throw usageError('name a bench');
  const names: string[] = [];
  for (const p of positional) {
    if (p === 'all') names.push(...Object.keys(BENCHES));
    else {
      const name = ALIASES[p] ?? p;
      if (!Object.hasOwn(BENCHES, name)) throw usageError(`no bench named ${JSON.stringify(p)}`);
      names.push(name);
    }
  }
  const unique = [...new Set(names)];
  if (extra.length > 0 && unique.length !== 1) throw usageError('arguments after -- go to one bench only');
  return { names: unique, quick, extra, list };
}

export function benchArgs(spec: BenchSpec, quick: boolean, extra: readonly string[]): string[] {
  return [...(quick ? spec.quick : spec.full), ...extra];
}

export interface RunInput {
  name: string;
  spec: BenchSpec;
  args: string[];
  quick: boolean;
  commit: string;
  dirty: boolean;
  startedAt: string;
  seconds: number;
  node: string;
  cpus: number;
  loadBefore: number[];
  loadAfter: number[];
  exitCode: number | null;
  signal: string | null;
  result: BenchResult | null;
}

export interface RunRecord {
  bench: string;
  script: string;
  command: string;
  quick: boolean;
  commit: string;
  dirty: boolean;
  startedAt: string;
  seconds: number;
  machine: { node: string; cpus: number };
  loadAverage: { before: number[]; after: number[] };
  ok: boolean;
  exit: { code: number | null; signal: string | null };
  headlines: Array<Headline & { ratio: number }>;
  tables: BenchTable[];
  notes: string[];
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function runRecord(r: RunInput): RunRecord {
  const ok = r.exitCode === 0 && r.result !== null;
  return {
    bench: r.name,
    script: r.spec.script,
    command: ['npx', 'tsx', r.spec.script, ...r.args].join(' '),
    quick: r.quick,
    commit: r.commit,
    dirty: r.dirty,
    startedAt: r.startedAt,
    seconds: round(r.seconds, 1),
    machine: { node: r.node, cpus: r.cpus },
    loadAverage: { before: r.loadBefore.map((l) => round(l)), after: r.loadAfter.map((l) => round(l)) },
    ok,
    exit: { code: r.exitCode, signal: r.signal },
    headlines: (r.result?.headlines ?? []).map((h) => ({ ...h, ratio: round(ratioOf(h), 4) })),
    tables: r.result?.tables ?? [],
    notes: r.result?.notes ?? [],
  };
}

function figure(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : String(round(n, 2));
}

/** One row per headline (a failed bench gets one row saying so), with the 1-minute load average before → after. */
export function summaryTable(records: readonly RunRecord[]): BenchTable {
  const rows: BenchTable['rows'] = [];
  for (const r of records) {
    const load = `${r.loadAverage.before[0] ?? '?'} → ${r.loadAverage.after[0] ?? '?'}`;
    if (!r.ok) {
      rows.push([r.bench, `FAILED (exit ${r.exit.code ?? r.exit.signal})`, '', '', '', load, r.seconds]);
      continue;
    }
    for (const h of r.headlines) {
      // Of a ceiling: the share reached; of a floor or a peer: how many times its figure.
      const ratio = h.reference.kind === 'ceiling' ? `${round(h.ratio * 100, 1)} %` : `${round(h.ratio, 2)}×`;
      rows.push([r.bench, h.figure, `${figure(h.value)} ${h.unit}`, `${h.reference.kind}: ${h.reference.label} ${figure(h.reference.value)} ${h.unit}`, ratio, load, r.seconds]);
    }
  }
  return { columns: ['bench', 'figure', 'vigil', 'same run', 'ratio', 'load 1m before → after', 'seconds'], rows };
}

/** bench/results/<bench>-<UTC stamp>-<commit>.json (file-name safe). */
export function resultFileName(bench: string, startedAt: string, commit: string): string {
  const stamp = startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${bench}-${stamp}-${commit.replace(/[^0-9a-zA-Z]/g, '')}.json`;
}
