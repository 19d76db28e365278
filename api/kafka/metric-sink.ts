/**
 * HTTP ingest → the metrics topic through the producer SDK (pipeline/sdk/producer.ts): Avro
 * single-object encoding, key = series id, Java-compatible murmur2 partitioning, idempotent —
 * the same placement and bytes any other Vigil producer gives.
 */
import type { MetricProducer } from '../../pipeline/sdk/producer.ts';
import type { MetricPoint } from '../../schemas/records.ts';
import type { MetricSink } from '../deps.ts';

export function sdkMetricSink(producer: MetricProducer): MetricSink {
  return {
    async send(points: MetricPoint[]) {
      if (points.length === 0) return;
      await producer.send(points);
    },
  };
}
