import type { Matcher, MatcherOp } from '../../../../oncall/silences/matchers.ts';
import type { Recurrence, Weekday } from '../../../../oncall/silences/recurrence.ts';
export const MATCHER_OPS: MatcherOp[];
export const WEEKDAYS: Weekday[];
export const DURATIONS: Array<[string, number]>;
export function matchersForAlert(alert: { ruleId?: string; source?: string; metric?: string }): Matcher[];
export interface SilenceFormFields {
  matchers?: Array<{ name?: string; op?: string; value?: string }>;
  duration?: string;
  comment?: string;
  recurring?: boolean;
  frequency?: string;
  days?: string[];
  windowStart?: string;
  windowEnd?: string;
  timeZone?: string;
}
export interface SilenceRequestBody {
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  comment: string;
  schedule?: Partial<Recurrence>;
}
export function silenceBody(fields: SilenceFormFields, now: number): { body: SilenceRequestBody; error?: undefined } | { error: string; body?: undefined };
export function describeMatchers(matchers: Matcher[] | undefined): string;
export function describeSchedule(schedule: Recurrence | null | undefined): string;
export function sortSilences<T extends { state: string; startsAt: number }>(items: T[]): T[];
