import type { Alert } from '../../../../schemas/http/alerts.ts';
import type { SeriesPoints } from '../../../../schemas/http/series.ts';
export const RANGES: Array<[string, number, number]>;
export const DEFAULT_RANGE: string;
export const BAND_K: number;
export const GAP_STEPS: number;
export interface SeriesPageState {
  series: { source: string; metric: string } | null;
  range: string | null;
  from: number | null;
  to: number | null;
}
export function parseSeriesHash(hash: string | null | undefined): SeriesPageState;
export function seriesHash(state: SeriesPageState): string;
export function seriesLink(record: { source: string; metric: string }, range?: string): string;
export function rangeCovering(ts: number, now: number): string;
export function pointsQuery(state: SeriesPageState & { series: { source: string; metric: string } }, now: number): { source: string; metric: string; from: number; to: number; step: number; limit: number };
export function chartColumns(body: Partial<SeriesPoints> | null | undefined): { columns: [number[], Array<number | null>, Array<number | null>, Array<number | null>]; gaps: number; points: number };
export interface AlertSpan {
  alertId: string;
  severity: string;
  status: string;
  start: number;
  end: number;
}
export function alertSpans(alerts: Array<Partial<Alert>> | null | undefined, from: number, to: number, now: number): AlertSpan[];
