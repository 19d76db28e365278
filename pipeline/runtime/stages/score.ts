/**
 * Stage 2–3 of a metrics batch: scoring on the worker pool and the alert/SLA monitors
 * (processor/score-points.ts), with a bounded recovery from worker faults.
 *
 * A scoring task can fail by a worker thread exiting (Piscina replaces it), by hanging past
 * pipeline.scoreTimeoutMs (the pool terminates and replaces the thread), or by an error. The
 * series windows are SharedArrayBuffers updated in place, so a failed task may have changed
 * some of them: every new attempt runs on state rebuilt from the changelog up to the batch's
 * first offset. After pipeline.scoreAttempts failures the batch is poison: its points are
 * dead-lettered (`scoring-failed`, with the last error) and the partition moves on, on state
 * rebuilt without them — the same state as if they had never arrived.
 */
import type { Logger } from '../../../core/logger.ts';
import { scorePoints, type IncomingPoint, type ProcessedBatch } from '../../processor/score-points.ts';
import type { PartitionState } from '../../state/partition-state.ts';
import type { BatchControl } from '../batch-retry.ts';
import type { OwnedPartitions } from '../partitions.ts';

export type ScoreOutcome = { ok: true; state: PartitionState; processed: ProcessedBatch } | { ok: false; state: PartitionState; error: unknown; attempts: number };

export interface ScoreDeps {
  partitions: OwnedPartitions;
  attempts: number;
  logger: Logger;
  onFailure(partition: number, err: unknown): void;
  /** Pause between attempts (ms); the member keeps heart-beating meanwhile. */
  backoffMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` while heart-beating every second: a scoring attempt may take up to scoreTimeoutMs. */
async function withHeartbeat<T>(payload: BatchControl | undefined, fn: () => Promise<T>): Promise<T> {
  if (!payload) return fn();
  const beat = setInterval(() => void payload.heartbeat().catch(() => undefined), 1000);
  try {
    return await fn();
  } finally {
    clearInterval(beat);
  }
}

export async function scoreWithRecovery(deps: ScoreDeps, state: PartitionState, firstOffset: bigint, incoming: IncomingPoint[], payload?: BatchControl): Promise<ScoreOutcome> {
  const partition = state.partition;
  let current = state;
  let lastError: unknown;
  for (let attempt = 1; attempt <= deps.attempts; attempt++) {
    if (attempt > 1) current = await withHeartbeat(payload, () => deps.partitions.ensureState(partition, firstOffset));
    try {
      const processed = await withHeartbeat(payload, () => scorePoints(deps.partitions.processorContext(current), incoming));
      return { ok: true, state: current, processed };
    } catch (err) {
      lastError = err;
      // The windows may be half-updated: never score on them again.
      deps.partitions.discard(partition);
      deps.onFailure(partition, err);
      deps.logger.warn({ err, partition, attempt, of: deps.attempts, points: incoming.length }, 'scoring failed; retrying on rebuilt state');
      if (attempt < deps.attempts) await withHeartbeat(payload, () => sleep((deps.backoffMs ?? 200) * attempt));
    }
  }
  current = await withHeartbeat(payload, () => deps.partitions.ensureState(partition, firstOffset));
  return { ok: false, state: current, error: lastError, attempts: deps.attempts };
}
