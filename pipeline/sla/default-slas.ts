/**
 * Built-in SLAs. Every SLA is point-based: a point is good when `value <comparator> threshold`,
 * and compliance is good / total over a rolling window (24 h here). The objective is the share
 * of good points promised, so the error budget is 1 - objective of the points.
 *
 * - response time: a point is good when response_time < 2000 ms; 95 % of points must be good.
 * - error rate: error_rate is a percentage (0-100) per point; a point is good when it is under
 *   1 (%); 99 % of points must be good. ("Error rate under 1 %", held for 99 % of the measured
 *   intervals — a per-point reading, since points carry rates, not request counts.)
 * - availability: availability is a percentage (0-100) per point; a point is good when it is at
 *   least 99.9 (%); 99 % of points must be good — the service met its 99.9 % availability in 99 %
 *   of the measured intervals.
 *
 * Documented in docs/alerts.md (keep both in step). Override with `sla/<same id>` in vigil.config
 * or switch off with `enabled: false`.
 */
import type { SlaDefinition } from '../../schemas/records.ts';

export const DEFAULT_SLA_WINDOW_MS = 24 * 3_600_000;

export const DEFAULT_SLAS: readonly SlaDefinition[] = [
  {
    id: 'default.response_time',
    name: 'Response time under 2 s for 95 % of points',
    metric: 'response_time',
    source: null,
    comparator: 'lt',
    threshold: 2000,
    objective: 0.95,
    windowMs: DEFAULT_SLA_WINDOW_MS,
    enabled: true,
  },
  {
    id: 'default.error_rate',
    name: 'Error rate under 1 % for 99 % of points',
    metric: 'error_rate',
    source: null,
    comparator: 'lt',
    threshold: 1,
    objective: 0.99,
    windowMs: DEFAULT_SLA_WINDOW_MS,
    enabled: true,
  },
  {
    id: 'default.availability',
    name: 'Availability at least 99.9 % for 99 % of points',
    metric: 'availability',
    source: null,
    comparator: 'gte',
    threshold: 99.9,
    objective: 0.99,
    windowMs: DEFAULT_SLA_WINDOW_MS,
    enabled: true,
  },
];
