/** Last stage of a batch: commit the offset after everything it produced was acknowledged, then resolve it. */
import type { EachBatchPayload } from 'kafkajs';
import type { BatchRetry } from '../batch-retry.ts';

export async function commitBatch(retry: BatchRetry, what: string, payload: EachBatchPayload, lastOffset: string): Promise<void> {
  const { topic, partition } = payload.batch;
  const offset = String(BigInt(lastOffset) + 1n);
  await retry(what, () => payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset }] }] }), payload);
  payload.resolveOffset(lastOffset);
}
