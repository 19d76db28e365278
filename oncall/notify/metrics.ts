/** The notifier's Prometheus metrics, registered on the process registry the runtime serves. */
import { Counter, Histogram, type Registry } from 'prom-client';
import { NOTIFICATION_RESULTS, type NotificationResult } from './records.ts';

export interface NotifierMetrics {
  count(receiver: string, result: NotificationResult): void;
  /** Seconds from a notification falling due to its delivery (HTTP time and retries). */
  latency(receiver: string, seconds: number): void;
}

/**
 * Every result of every receiver is exposed from 0 — the configured receivers at start, others
 * on their first count: Prometheus' increase()/rate() cannot see the first increment of a series
 * whose first sample already holds it, so without this the first dead notification of a receiver
 * after a restart would never fire VigilNotificationsDead (deploy/prometheus/vigil-rules.yml).
 */
export function createNotifierMetrics(registry: Registry, receivers: readonly string[] = []): NotifierMetrics {
  const total = new Counter({
    name: 'vigil_notifications_total',
    help: 'Notifications by receiver and result (sent, failed = an attempt failed and is retried, dead, suppressed, silenced)',
    labelNames: ['receiver', 'result'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'vigil_notification_latency_seconds',
    help: 'From a notification falling due (after group_wait / group_interval / repeat_interval) to the receiver accepting it',
    labelNames: ['receiver'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const known = new Set<string>();
  const expose = (receiver: string) => {
    if (known.has(receiver)) return;
    known.add(receiver);
    for (const result of NOTIFICATION_RESULTS) total.inc({ receiver, result }, 0);
  };
  receivers.forEach(expose);
  return {
    count: (receiver, result) => {
      expose(receiver);
      total.inc({ receiver, result });
    },
    latency: (receiver, seconds) => latency.observe({ receiver }, seconds),
  };
}
