import type { AlertStatus, AnomalyType, Severity } from '../../../../schemas/records.ts';
export const SEVERITIES: Severity[];
export const ALERT_STATUSES: AlertStatus[];
export const ANOMALY_TYPES: AnomalyType[];
export function isSeverity(v: unknown): v is Severity;
export function isAlertStatus(v: unknown): v is AlertStatus;
export function severityRank(severity: unknown): number;
export function compareSeverity(a: unknown, b: unknown): number;
export function severityAtLeast(severity: unknown, min: Severity): boolean;
export function statusRank(status: unknown): number;
export interface SortableAlert {
  alertId: string;
  status: string;
  severity: string;
  updatedAt?: number;
}
export function compareAlerts(a: SortableAlert, b: SortableAlert): number;
export function severityClass(severity: unknown): string;
export function statusClass(status: unknown): string;
export function allowedActions(status: unknown): Array<'acknowledge' | 'resolve'>;
export function anomalyTypeLabel(type: unknown): string;
