/**
 * The retry policy of the batch path: retry until done (the partition pauses meanwhile), stop when
 * the partition is revoked or the pipeline stops, give up at once when the member has left the
 * group, and report every failed attempt (counter, /health's lastError, stall reason).
 */
import type { EachBatchPayload } from 'kafkajs';
import type { Logger } from '../../core/logger.ts';
import { findKafkaError } from '../kafka/produce-errors.ts';
import { retryUntilDone, type RetryAbortedError } from './retry.ts';

/**
 * kafkajs protocol errors meaning this consumer must rejoin the group before it can commit: it is
 * no longer a member of the current generation, or the broker it commits to and heart-beats is no
 * longer the group coordinator. kafkajs 2.2.4 keeps the coordinator it joined with (its offset
 * manager only reconnects to the same node id), so once the coordinator moved (its broker lost)
 * every commit answers NOT_COORDINATOR until the member rejoins: only a join looks it up again.
 */
const REJOIN_ERRORS: ReadonlySet<string> = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID', 'NOT_COORDINATOR_FOR_GROUP']);
/** The kafkajs error in `err`'s cause chain that only a rejoin of the group cures, if any. */
export const rejoinError = (err: unknown) => findKafkaError(err, REJOIN_ERRORS);
export const lostGroupMembership = (err: unknown) => rejoinError(err) !== undefined;

/**
 * Ends a batch the retry gave up (its partition state already dropped). Revoked or stopping: it
 * returns, and the partition's owner reads the batch again. Membership lost or coordinator moved:
 * it rethrows the kafkajs error out of eachBatch, because that is what makes kafkajs's runner
 * rejoin (find the coordinator, join, sync) with a fresh offset manager that reads every owned
 * partition from its COMMITTED offset. Returning instead leaves kafkajs on its stale coordinator
 * and on its in-memory fetch positions, which a rejoin started elsewhere does not rewind.
 */
export function endAbandonedBatch(err: RetryAbortedError, logger: Logger, partition: number): void {
  const rejoin = rejoinError(err);
  if (rejoin === undefined) {
    logger.info({ partition }, 'partition batch abandoned (revoked or stopping); it will be re-delivered');
    return;
  }
  logger.warn({ partition, kafkaError: rejoin.type, err }, 'partition batch abandoned: the consumer must rejoin its group (membership lost or coordinator moved); every owned partition is read again from its committed offset');
  throw rejoin;
}

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
