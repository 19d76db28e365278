/**
 * Deterministic synthetic metric series with injectable incidents and gaps.
 *
 * Each series draws from its own PRNG seeded by (seed, series id), so a series' values do not
 * change when sources or metrics are added. Index i of every series has the timestamp
 * startMs + i / rate; `ticks()` yields index by index (all series' points of one instant).
 */
import { VigilError } from '../../core/errors.ts';
import { STANDARD_METRICS, type MetricPoint } from '../../schemas/records.ts';
import {
  INCIDENT_DEFAULTS,
  indexOf,
  matchesTarget,
  type GapSpec,
  type GroundTruthGap,
  type GroundTruthIncident,
  type IncidentSpec,
  type ResolvedIncident,
} from './incidents.ts';
import { createPrng, hashSeed } from './prng.ts';
import { profileFor, type MetricProfile } from './profiles.ts';

export interface LoadGenOptions {
  /** Source names, or a count (source-1 … source-N). */
  sources: string[] | number;
  /** Default: the eight standard metrics. */
  metrics?: readonly string[];
  /** Points per second per series. */
  rate: number;
  /** Points per series; or give durationMs. */
  points?: number;
  durationMs?: number;
  seed: number;
  /** Timestamp of index 0 (epoch ms). */
  startMs: number;
  /** Add a daily cycle (low at midnight UTC, high at noon). */
  seasonality?: boolean;
  incidents?: IncidentSpec[];
  gaps?: GapSpec[];
  /** Tags put on every point (plus none of its own). */
  tags?: Record<string, string>;
}

export interface SeriesInfo {
  source: string;
  metric: string;
  seriesId: string;
  profile: MetricProfile;
}

export interface GroundTruth {
  seed: number;
  startMs: number;
  rate: number;
  pointsPerSeries: number;
  incidents: GroundTruthIncident[];
  gaps: GroundTruthGap[];
}

export interface Tick {
  index: number;
  timestamp: number;
  points: MetricPoint[];
}

export interface LoadGenerator {
  readonly series: readonly SeriesInfo[];
  readonly pointsPerSeries: number;
  readonly groundTruth: GroundTruth;
  timestampOf(index: number): number;
  /** Every instant in order; restartable (each call starts again from index 0, same values). */
  ticks(): Generator<Tick>;
  /** Every point, instant by instant. */
  points(): Generator<MetricPoint>;
}

const DAY_MS = 86_400_000;

interface SeriesPlan {
  info: SeriesInfo;
  incidents: ResolvedIncident[];
  gaps: Array<[number, number]>;
}

function fail(message: string, action: string): never {
  throw new VigilError(`load generator: ${message}`, { action });
}

export function createLoadGenerator(options: LoadGenOptions): LoadGenerator {
  const { rate, seed, startMs } = options;
  if (!(rate > 0) || !Number.isFinite(rate)) fail(`rate must be a positive number, got ${rate}`, 'pass e.g. rate: 10');
  if (!Number.isSafeInteger(seed)) fail(`seed must be an integer, got ${seed}`, 'pass e.g. seed: 1');
  if (!Number.isSafeInteger(startMs)) fail(`startMs must be epoch milliseconds, got ${startMs}`, 'pass e.g. Date.now()');
  const sources =
    typeof options.sources === 'number' ? Array.from({ length: options.sources }, (_, i) => `source-${i + 1}`) : options.sources;
  const metrics = options.metrics ?? STANDARD_METRICS;
  if (sources.length === 0 || metrics.length === 0) fail('needs at least one source and one metric', 'pass sources and metrics');
  const pointsPerSeries = options.points ?? (options.durationMs !== undefined ? Math.ceil((options.durationMs * rate) / 1000) : NaN);
  if (!Number.isSafeInteger(pointsPerSeries) || pointsPerSeries < 1) {
    fail(`points per series must be a positive integer (got ${pointsPerSeries})`, 'pass points or durationMs');
  }
  const timestampOf = (index: number) => startMs + Math.round((index * 1000) / rate);

  const plans: SeriesPlan[] = [];
  for (const source of sources) {
    for (const metric of metrics) plans.push({ info: { source, metric, seriesId: `${source}/${metric}`, profile: profileFor(metric) }, incidents: [], gaps: [] });
  }
  const targets = (target: string | undefined, what: string) => {
    const hit = plans.filter((p) => matchesTarget(target, p.info.source, p.info.metric));
    if (hit.length === 0) fail(`${what} targets ${JSON.stringify(target)}, which is no generated source or series`, 'use a source name or source/metric');
    return hit;
  };

  const truthIncidents: GroundTruthIncident[] = [];
  for (const spec of options.incidents ?? []) {
    const defaults = INCIDENT_DEFAULTS[spec.kind];
    const startIndex = indexOf(spec.at, rate);
    if (startIndex >= pointsPerSeries) {
      fail(`${spec.kind} at index ${startIndex} is past the run's ${pointsPerSeries} points per series`, 'move it earlier or run longer');
    }
    const length = spec.kind === 'outlier' ? 1 : (defaults.points === null ? null : (spec.points ?? defaults.points));
    const endIndex = length === null ? pointsPerSeries - 1 : Math.min(pointsPerSeries - 1, startIndex + length - 1);
    const resolved: ResolvedIncident = { kind: spec.kind, startIndex, endIndex, persistent: length === null, magnitude: spec.magnitude ?? defaults.magnitude };
    for (const plan of targets(spec.target, spec.kind)) {
      plan.incidents.push(resolved);
      truthIncidents.push({
        ...resolved,
        seriesId: plan.info.seriesId,
        source: plan.info.source,
        metric: plan.info.metric,
        expectedType: defaults.expectedType,
        startTimestamp: timestampOf(startIndex),
        endTimestamp: timestampOf(endIndex),
        delta: spec.kind === 'variance_change' ? 0 : resolved.magnitude * plan.info.profile.noise * (spec.kind === 'drop' ? -1 : 1),
      });
    }
  }
  const truthGaps: GroundTruthGap[] = [];
  for (const spec of options.gaps ?? []) {
    const startIndex = indexOf(spec.at, rate);
    const endIndex = Math.min(pointsPerSeries - 1, startIndex + spec.points - 1);
    if (startIndex >= pointsPerSeries) fail(`gap at index ${startIndex} is past the run's ${pointsPerSeries} points`, 'move it earlier');
    for (const plan of targets(spec.target, 'gap')) {
      plan.gaps.push([startIndex, endIndex]);
      truthGaps.push({ seriesId: plan.info.seriesId, startIndex, endIndex, startTimestamp: timestampOf(startIndex), endTimestamp: timestampOf(endIndex) });
    }
  }

  const tags = options.tags ?? {};
  const seasonality = options.seasonality ?? false;

  function* ticks(): Generator<Tick> {
    const prngs = plans.map((p) => createPrng(hashSeed(`${seed}|${p.info.seriesId}`)));
    for (let index = 0; index < pointsPerSeries; index++) {
      const timestamp = timestampOf(index);
      const points: MetricPoint[] = [];
      for (let s = 0; s < plans.length; s++) {
        const { info, incidents, gaps } = plans[s];
        const { profile } = info;
        // Draw noise even inside a gap, so a gap does not shift the values after it.
        const noise = prngs[s].gaussian();
        if (gaps.some(([a, b]) => index >= a && index <= b)) continue;
        let delta = 0;
        let noiseScale = 1;
        for (const inc of incidents) {
          if (index < inc.startIndex || index > inc.endIndex) continue;
          const sigma = profile.noise * inc.magnitude;
          switch (inc.kind) {
            case 'spike':
            case 'outlier':
            case 'level_shift':
              delta += sigma;
              break;
            case 'drop':
              delta -= sigma;
              break;
            case 'trend_change':
              delta += sigma * (index - inc.startIndex + 1);
              break;
            case 'variance_change':
              noiseScale *= inc.magnitude;
              break;
          }
        }
        const daily = seasonality ? -profile.dailyAmplitude * Math.cos((2 * Math.PI * (((timestamp % DAY_MS) + DAY_MS) % DAY_MS)) / DAY_MS) : 0;
        const raw = profile.base + daily + noise * profile.noise * noiseScale + delta;
        const value = Math.round(Math.min(profile.max, Math.max(profile.min, raw)) * 1e6) / 1e6;
        points.push({ source: info.source, metric: info.metric, value, timestamp, tags: { ...tags } });
      }
      yield { index, timestamp, points };
    }
  }

  return {
    series: plans.map((p) => p.info),
    pointsPerSeries,
    groundTruth: { seed, startMs, rate, pointsPerSeries, incidents: truthIncidents, gaps: truthGaps },
    timestampOf,
    ticks,
    *points() {
      for (const tick of ticks()) yield* tick.points;
    },
  };
}
