/** The notifier's Prometheus metrics, registered on the process registry the runtime serves. */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { NotificationResult } from './records.ts';

export interface NotifierMetrics {
  count(receiver: string, result: NotificationResult): void;
  /** Seconds from a notification falling due to its delivery (HTTP time and retries). */
  latency(receiver: string, seconds: number): void;
}

export function createNotifierMetrics(registry: Registry): NotifierMetrics {
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
  return {
    count: (receiver, result) => total.inc({ receiver, result }),
    latency: (receiver, seconds) => latency.observe({ receiver }, seconds),
  };
}
