/**
 * How much one fetch of the metrics consumer may return. kafkajs fetches from a broker, hands
 * every batch of the answer to eachBatch, and fetches again only once all of them are done
 * (consumer/fetcher.js), so each fetch costs a fixed round: the fetch itself, the slowest lane,
 * the combined inserts. Its default `maxBytes` (10 MiB) is smaller than 12 partitions ×
 * `maxBytesPerPartition` (1 MiB): while a backlog is read, a fetch then returns about ten full
 * partitions and the next one the rest, i.e. extra rounds that carry little. Sized here so a
 * fetch can return a full batch of every partition of both topics the instance consumes;
 * bounded so that a thousand-partition topic does not ask for gigabytes in one answer.
 */
import type { VigilConfig } from '../../core/config.ts';

/** kafkajs's own default for a whole fetch. */
const KAFKAJS_MAX_BYTES = 10_485_760;
/** Most one fetch may ask for, whatever the partition count. */
export const MAX_FETCH_BYTES = 64 * 1_048_576;

export interface FetchOptions {
  maxBytesPerPartition: number;
  maxBytes: number;
}

export function fetchOptions(config: Pick<VigilConfig, 'kafka' | 'pipeline'>): FetchOptions {
  const perPartition = config.pipeline.maxBytesPerPartition;
  // Metrics partitions are full while a backlog is read; commands partitions rarely hold much, but count them so a full batch of each still fits.
  const all = perPartition * config.kafka.partitions * 2;
  return { maxBytesPerPartition: perPartition, maxBytes: Math.max(KAFKAJS_MAX_BYTES, Math.min(all, Math.max(MAX_FETCH_BYTES, perPartition))) };
}
