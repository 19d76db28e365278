import type { Incident, IncidentStep } from '../../../../schemas/http/incidents.ts';

export function incidentActions(incident: Pick<Incident, 'status' | 'alerts'> | null | undefined): Array<'acknowledge' | 'resolve'>;
export function alertCounts(incident: Pick<Incident, 'alerts'> | null | undefined): { open: number; inhibited: number; resolved: number; total: number };
export function describeCounts(c: { open: number; inhibited: number; resolved: number }): string;
export function describeStep(step: IncidentStep): string;
export function summarizeResults(
  action: 'acknowledge' | 'resolve',
  body: { results?: Array<{ outcome: string; reason: string }> } | null,
): { text: string; error: boolean };
export function sortIncidents<T extends Pick<Incident, 'status' | 'severity' | 'openedAt' | 'incidentId'>>(list: T[]): T[];
export const SEVERITIES: readonly string[];
