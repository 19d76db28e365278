import type { AnomalyEvent, LiveSnapshot } from '../../../../schemas/records.ts';
import type { Alert } from '../../../../schemas/http/alerts.ts';
import type { VersionedStore } from './records.js';
import type { SeriesRings } from './ring-buffer.js';

export const CHART_POINTS: number;
export interface DashboardState {
  alerts: VersionedStore<Alert>;
  anomalies: VersionedStore<AnomalyEvent>;
  latest: Map<string, LiveSnapshot>;
  rings: SeriesRings & { maxSeries: number };
  pending: Map<string, { action: string; version: number; since: number }>;
  health: unknown;
  stats: unknown;
  sla: unknown[] | null;
  received: { alerts: number; anomalies: number; live: number; rejected: number; gaps: number };
  on(topic: string, fn: (detail?: unknown) => void): void;
  emit(topic: string, detail?: unknown): void;
}
export function createState(options?: { maxRecords?: number; maxSeries?: number }): DashboardState;
export function seriesKey(record: { source: string; metric: string }): string;
export function recordLatest(state: DashboardState, snapshot: LiveSnapshot): boolean;
export function applyLiveEvent(state: DashboardState, channel: string, data: unknown): 'alerts' | 'anomalies' | 'live' | null;
