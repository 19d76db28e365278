/**
 * The retry policy of the batch path: retry until done (the partition pauses meanwhile), stop when
 * the partition is revoked or the pipeline stops, give up at once when the member has left the
 * group, and report every failed attempt (counter, /health's lastError, stall reason).
 */
import type { EachBatchPayload } from 'kafkajs';
import type { Logger } from '../../core/logger.ts';
import { kafkaErrorType } from '../kafka/produce-errors.ts';
import { retryUntilDone } from './retry.ts';

/** kafkajs protocol errors meaning this consumer is no longer a member of the current generation. */
const MEMBERSHIP_ERRORS: ReadonlySet<string> = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID']);
export const lostGroupMembership = (err: unknown) => kafkaErrorType(err, MEMBERSHIP_ERRORS) !== undefined;

/** The parts of an eachBatch payload the retry needs (a lane without a batch passes a partition only). */
export type BatchControl = Pick<EachBatchPayload, 'heartbeat' | 'isRunning' | 'isStale'> & { batch: { partition: number } };

export type BatchRetry = <T>(what: string, fn: () => Promise<T>, payload?: BatchControl, partition?: number) => Promise<T>;

export interface BatchRetryDeps {
  logger: Logger;
  stopping(): boolean;
  owns(partition: number): boolean;
  onRetry(what: string, partition: number | undefined, err: unknown): void;
}

export function createBatchRetry(deps: BatchRetryDeps): BatchRetry {
  return (what, fn, payload, partition = payload?.batch.partition) =>
    retryUntilDone(fn, {
      what,
      logger: partition === undefined ? deps.logger : deps.logger.child({ partition }),
      onWait: payload ? () => payload.heartbeat() : undefined,
      // A revoked partition must not keep writing: its new owner has taken over.
      shouldStop: () => deps.stopping() || (payload ? !payload.isRunning() || payload.isStale() || !deps.owns(payload.batch.partition) : false),
      // The member has left the group (session expired, rebalance): retrying cannot cure that, and
      // kafkajs only rejoins once eachBatch returns. Abandon the batch; it is re-delivered.
      isFatal: lostGroupMembership,
      onRetry: (_attempt, err) => deps.onRetry(what, partition, err),
    });
}
