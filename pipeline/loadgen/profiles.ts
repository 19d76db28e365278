/**
 * Baselines for synthetic series: the eight standard metrics, and a generic one for any other name.
 *
 * A profile is a HEALTHY series: its baseline (daily cycle included) stays at least ~4.5σ inside
 * the mildest default alert bound and the default SLA bounds (pipeline/alerts/default-rules.ts,
 * pipeline/sla/default-slas.ts), so on generated load every default alert is caused by an
 * injected incident. test/integration/detection.test.ts checks the margins.
 */
import { STANDARD_METRICS } from '../../schemas/records.ts';

export interface MetricProfile {
  base: number;
  /** Standard deviation of the Gaussian noise; incident magnitudes are in units of it. */
  noise: number;
  unit: string;
  min: number;
  max: number;
  /** Peak-to-baseline amplitude of the daily cycle (low at 00:00 UTC, high at 12:00 UTC). */
  dailyAmplitude: number;
}

export const STANDARD_PROFILES: Readonly<Record<(typeof STANDARD_METRICS)[number], MetricProfile>> = {
  response_time: { base: 200, noise: 20, unit: 'ms', min: 0, max: Number.POSITIVE_INFINITY, dailyAmplitude: 40 },
  error_rate: { base: 0.2, noise: 0.04, unit: '%', min: 0, max: 100, dailyAmplitude: 0.05 },
  throughput: { base: 1000, noise: 50, unit: 'req/s', min: 0, max: Number.POSITIVE_INFINITY, dailyAmplitude: 300 },
  cpu_usage: { base: 40, noise: 4, unit: '%', min: 0, max: 100, dailyAmplitude: 10 },
  memory_usage: { base: 60, noise: 2, unit: '%', min: 0, max: 100, dailyAmplitude: 3 },
  queue_size: { base: 50, noise: 5, unit: 'items', min: 0, max: Number.POSITIVE_INFINITY, dailyAmplitude: 10 },
  accuracy: { base: 98.5, noise: 0.15, unit: '%', min: 0, max: 100, dailyAmplitude: 0.2 },
  availability: { base: 99.95, noise: 0.01, unit: '%', min: 0, max: 100, dailyAmplitude: 0.005 },
};

export const GENERIC_PROFILE: MetricProfile = { base: 100, noise: 5, unit: '', min: Number.NEGATIVE_INFINITY, max: Number.POSITIVE_INFINITY, dailyAmplitude: 10 };

export function profileFor(metric: string): MetricProfile {
  return (STANDARD_PROFILES as Record<string, MetricProfile>)[metric] ?? GENERIC_PROFILE;
}
