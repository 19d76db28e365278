import type { DashboardState } from './state.js';
import type { RingPoint } from './ring-buffer.js';

export interface SeriesRef {
  source: string;
  metric: string;
}
export const HISTORY_STEP_SEC: number;
export const HISTORY_RETRY_MS: number;
export function historyQuery(series: SeriesRef, points?: number): { source: string; metric: string; step: number; limit: number };
export function historyPoints(body: unknown, series: SeriesRef): RingPoint[];
export function applyHistory(state: DashboardState, series: SeriesRef, body: unknown): number;
export interface HistoryLoaderOptions {
  fetchHistory: (query: ReturnType<typeof historyQuery>) => Promise<unknown>;
  apply: (id: string, series: SeriesRef, body: unknown) => void;
  onError?: (err: unknown, id: string) => void;
  now?: () => number;
}
export interface HistoryLoader {
  want(ids: string[], seriesOf: (id: string) => SeriesRef | undefined | null): Promise<void[]>;
  refresh(ids: string[], seriesOf: (id: string) => SeriesRef | undefined | null): Promise<void[]>;
  has(id: string): boolean;
}
export function createHistoryLoader(options: HistoryLoaderOptions): HistoryLoader;
