/**
 * Injectable incidents and their ground truth. Magnitudes are in units of the series' noise
 * standard deviation (σ), so the same incident is equally visible on every metric.
 */
import { VigilError } from '../../core/errors.ts';
import type { AnomalyType } from '../../schemas/records.ts';
import { parseDuration } from './duration.ts';

export const INCIDENT_KINDS = ['spike', 'drop', 'outlier', 'trend_change', 'level_shift', 'variance_change'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

interface IncidentDefault {
  /** σ for spike/drop/outlier/level_shift, σ per point for trend_change, noise factor for variance_change. */
  magnitude: number;
  /** Points the incident lasts; null = persists to the end of the run. */
  points: number | null;
  /** What a detector should call it (schemas/records.ts AnomalyType). */
  expectedType: AnomalyType;
}

export const INCIDENT_DEFAULTS: Readonly<Record<IncidentKind, IncidentDefault>> = {
  spike: { magnitude: 8, points: 3, expectedType: 'spike' },
  drop: { magnitude: 8, points: 3, expectedType: 'drop' },
  outlier: { magnitude: 10, points: 1, expectedType: 'outlier' },
  trend_change: { magnitude: 0.1, points: null, expectedType: 'trend_change' },
  level_shift: { magnitude: 6, points: null, expectedType: 'pattern_change' },
  variance_change: { magnitude: 4, points: null, expectedType: 'pattern_change' },
};

/** Where something happens: a point index per series, or a time after the first point. */
export type At = { index: number } | { afterMs: number };

export interface IncidentSpec {
  kind: IncidentKind;
  at: At;
  /** `source` or `source/metric`; every series when omitted. */
  target?: string;
  magnitude?: number;
  /** Length for spike/drop (ignored by the others). */
  points?: number;
}

export interface GapSpec {
  at: At;
  /** Points left out. */
  points: number;
  target?: string;
}

export interface ResolvedIncident {
  kind: IncidentKind;
  startIndex: number;
  /** Inclusive; the run's last index for persistent incidents. */
  endIndex: number;
  persistent: boolean;
  magnitude: number;
}

export interface GroundTruthIncident extends ResolvedIncident {
  seriesId: string;
  source: string;
  metric: string;
  expectedType: AnomalyType;
  startTimestamp: number;
  endTimestamp: number;
  /** The size of the change in the metric's own unit (σ × magnitude; slope per point for trends). */
  delta: number;
}

export interface GroundTruthGap {
  seriesId: string;
  startIndex: number;
  endIndex: number;
  startTimestamp: number;
  endTimestamp: number;
}

function parseAt(text: string, what: string): At {
  if (/^\d+$/.test(text)) return { index: Number(text) };
  const ms = parseDuration(text);
  if (ms === null) throw new VigilError(`${what}: ${JSON.stringify(text)} is neither a point index nor a duration`, { action: 'use e.g. 300 (the 300th point) or 90s / 5m' });
  return { afterMs: ms };
}

/** "spike:300,drop:5m,level_shift:900:api/cpu_usage" → specs. */
export function parseIncidents(text: string): IncidentSpec[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const [kind, at, target, ...rest] = item.split(':');
      if (!INCIDENT_KINDS.includes(kind as IncidentKind) || at === undefined || rest.length > 0) {
        throw new VigilError(`incident ${JSON.stringify(item)} is not <kind>:<at>[:<source or source/metric>]`, {
          action: `kind is one of ${INCIDENT_KINDS.join(', ')}; at is a point index or a duration like 90s`,
        });
      }
      return { kind: kind as IncidentKind, at: parseAt(at, `incident ${item}`), ...(target ? { target } : {}) };
    });
}

/** "400:50,2m:30:api" → gaps of 50 points at index 400 (every series) and 30 points at 2 min (source api). */
export function parseGaps(text: string): GapSpec[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const [at, points, target, ...rest] = item.split(':');
      if (at === undefined || !/^\d+$/.test(points ?? '') || Number(points) < 1 || rest.length > 0) {
        throw new VigilError(`gap ${JSON.stringify(item)} is not <at>:<points>[:<target>]`, { action: 'use e.g. 400:50 or 2m:30:api' });
      }
      return { at: parseAt(at, `gap ${item}`), points: Number(points), ...(target ? { target } : {}) };
    });
}

export function indexOf(at: At, ratePerSec: number): number {
  return 'index' in at ? at.index : Math.round((at.afterMs * ratePerSec) / 1000);
}

export function matchesTarget(target: string | undefined, source: string, metric: string): boolean {
  return target === undefined || target === source || target === `${source}/${metric}`;
}
