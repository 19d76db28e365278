/**
 * Built-in alert rules: one threshold rule per standard metric, and one anomaly rule for every
 * metric. Documented as a table in docs/alerts.md (keep the two in step). Operators override a
 * rule by writing `rule/<same id>` to vigil.config, or switch it off with `enabled: false`.
 *
 * Levels are listed most severe first. `above` rules breach when value > level, `below` rules
 * when value < level. Hysteresis is in the metric's unit: an alert clears only once the value is
 * back past level - hysteresis (above) / level + hysteresis (below).
 */
import type { ThresholdRule } from '../../schemas/records.ts';
import type { AnomalyRuleDefinition, RuleDefinition } from './definitions.ts';

/** Units of the standard metrics, used in alert messages. */
export const METRIC_UNITS: Record<string, string> = {
  response_time: 'ms',
  error_rate: '%',
  throughput: 'req/s',
  cpu_usage: '%',
  memory_usage: '%',
  queue_size: '',
  accuracy: '%',
  availability: '%',
};

function threshold(
  metric: string,
  direction: 'above' | 'below',
  levels: [critical: number, high: number, medium: number, low: number, info: number],
  forMs: number,
  hysteresis: number,
  description: string,
): ThresholdRule {
  const [critical, high, medium, low, info] = levels;
  return {
    id: `default.${metric}`,
    kind: 'threshold',
    metric,
    source: null,
    direction,
    levels: [
      { severity: 'critical', value: critical },
      { severity: 'high', value: high },
      { severity: 'medium', value: medium },
      { severity: 'low', value: low },
      { severity: 'info', value: info },
    ],
    forMs,
    hysteresis,
    enabled: true,
    description,
  };
}

const MINUTE = 60_000;

export const DEFAULT_THRESHOLD_RULES: readonly ThresholdRule[] = [
  threshold('response_time', 'above', [5000, 2000, 1500, 1000, 750], 1 * MINUTE, 50, 'Response time (ms) above bound'),
  threshold('error_rate', 'above', [10, 5, 2, 1, 0.5], 1 * MINUTE, 0.1, 'Error rate (percent of requests, 0-100) above bound'),
  threshold('throughput', 'below', [0.1, 1, 5, 10, 20], 2 * MINUTE, 1, 'Throughput (req/s) below a floor; tune per service'),
  threshold('cpu_usage', 'above', [95, 90, 85, 80, 70], 5 * MINUTE, 2, 'CPU usage (%) above bound'),
  threshold('memory_usage', 'above', [95, 90, 85, 80, 75], 5 * MINUTE, 2, 'Memory usage (%) above bound'),
  threshold('queue_size', 'above', [50_000, 10_000, 5000, 1000, 500], 2 * MINUTE, 50, 'Queue size (items) above bound'),
  threshold('accuracy', 'below', [80, 85, 90, 95, 97], 5 * MINUTE, 0.5, 'Model accuracy (%) below bound'),
  threshold('availability', 'below', [95, 98, 99, 99.5, 99.9], 1 * MINUTE, 0.02, 'Availability (%) below bound'),
];

/**
 * Anomaly alerts for every metric. A finding opens an alert when score >= 0.7 and confidence
 * >= 0.5; severity rises with the score: >= 0.95 high, >= 0.85 medium, else low. No anomaly
 * default pages as critical: a statistical finding alone is not proof of an outage, and the
 * threshold and SLA rules cover the hard limits.
 */
export const DEFAULT_ANOMALY_RULE: AnomalyRuleDefinition = {
  id: 'default.anomaly',
  kind: 'anomaly',
  metric: null,
  source: null,
  minScore: 0.7,
  minConfidence: 0.5,
  severity: 'low',
  scoreLevels: [
    { severity: 'high', value: 0.95 },
    { severity: 'medium', value: 0.85 },
  ],
  enabled: true,
  description: 'Anomaly detected by the windowed detector (any metric)',
};

export const DEFAULT_RULES: readonly RuleDefinition[] = [...DEFAULT_THRESHOLD_RULES, DEFAULT_ANOMALY_RULE];
