import type { AlertEvent, AlertStatus, AnomalyEvent, AnomalyType, Severity } from '../../../../schemas/records.ts';
import type { Alert } from '../../../../schemas/http/alerts.ts';

export class VersionedStore<T extends { version: number }> {
  constructor(keyOf: (record: T) => string, maxSize?: number);
  readonly maxSize: number;
  upsert(record: T): boolean;
  get(id: string): T | undefined;
  readonly keyOf: (record: T) => string;
  readonly changes: number;
  changeOf(id: string): number;
  delete(id: string): boolean;
  readonly size: number;
  values(): T[];
  clear(): void;
}
export function alertFromEvent(event: AlertEvent): Alert;
export function isAlertLike(r: unknown): boolean;
export function isAnomalyLike(r: unknown): boolean;
export function isLiveSnapshotLike(r: unknown): boolean;
export interface AlertFilter {
  statuses?: AlertStatus[];
  severities?: Severity[];
  source?: string;
  metric?: string;
}
export function matchesAlertFilter(alert: Alert, filter?: AlertFilter): boolean;
export function selectAlerts(alerts: Alert[], filter?: AlertFilter, limit?: number): Alert[];
export function recentAlerts(alerts: Alert[], limit?: number): Alert[];
export interface AnomalyFilter {
  minConfidence?: number;
  types?: AnomalyType[];
  source?: string;
}
export function matchesAnomalyFilter(anomaly: AnomalyEvent, filter?: AnomalyFilter): boolean;
export function selectAnomalies(anomalies: AnomalyEvent[], filter?: AnomalyFilter, limit?: number): AnomalyEvent[];
export interface OpenAlertSummary {
  open: number;
  firing: number;
  acknowledged: number;
  bySeverity: Record<Severity, number>;
}
export function openAlertSummary(alerts: Array<Pick<Alert, 'status' | 'severity'>>): OpenAlertSummary;
export function staleOpenIds<T extends { version: number; status: string }>(store: VersionedStore<T>, listedIds: Iterable<string>, changesAtStart: number): string[];
