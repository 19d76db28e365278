/**
 * Committed progress per owned partition, and which partitions are stalled: lag on the broker and
 * no commit for `stallAfterMs`. Pure bookkeeping fed by the batch path (assigned, committed,
 * failed); the clock and the lag come from the caller, so the rules are testable without Kafka.
 *
 * A partition that keeps failing (a dependency down, an output the broker refuses) and one
 * that is stuck without failing (a hung task) look the same from here: no commit while records
 * wait. The reason shown is the partition's own last failure; without one, whether a batch of
 * it is in flight, and the partition that is failing if another is: kafkajs 2.2 fetches the
 * partitions led by one broker together and waits for every batch of a fetch, so one partition
 * retrying its batch holds up its siblings, which then have nothing in flight and nothing failed.
 */
import type { PartitionLag } from './pipeline-metrics.ts';

export interface PartitionFailure {
  /** What was being attempted, e.g. "Kafka produce". */
  what: string;
  message: string;
  at: number;
  /** Consecutive failed attempts since the last commit of this partition. */
  attempts: number;
}

export interface StalledPartition {
  partition: number;
  lag: number;
  /** Since when nothing was committed (assignment or last commit), epoch ms. */
  sinceMs: number;
  stalledForMs: number;
  /** The last failure since then, or a note that nothing failed (a hang). */
  reason: string;
}

interface Entry {
  progressAt: number;
  failure: PartitionFailure | null;
  /** Since when a metrics batch of the partition is being processed (null: none in flight). */
  inFlightSince: number | null;
}

export class PartitionProgress {
  private readonly entries = new Map<number, Entry>();

  constructor(private readonly stallAfterMs: number) {}

  assigned(partition: number, now: number): void {
    if (!this.entries.has(partition)) this.entries.set(partition, { progressAt: now, failure: null, inFlightSince: null });
  }

  isOwned(partition: number): boolean {
    return this.entries.has(partition);
  }

  revoked(partition: number): void {
    this.entries.delete(partition);
  }

  /** A batch of the partition was committed: progress, and any earlier failure is over. */
  committed(partition: number, now: number): void {
    const entry = this.entries.get(partition);
    this.entries.set(partition, { progressAt: now, failure: null, inFlightSince: entry?.inFlightSince ?? null });
  }

  /** A metrics batch of the partition starts (`batchEnded` when it is committed, abandoned or thrown). */
  batchStarted(partition: number, now: number): void {
    const entry = this.entries.get(partition);
    if (entry) entry.inFlightSince = now;
  }

  batchEnded(partition: number): void {
    const entry = this.entries.get(partition);
    if (entry) entry.inFlightSince = null;
  }

  failed(partition: number, what: string, err: unknown, now: number): void {
    const entry = this.entries.get(partition);
    if (!entry) return;
    const message = err instanceof Error ? err.message : String(err);
    entry.failure = { what, message, at: now, attempts: (entry.failure?.what === what ? entry.failure.attempts : 0) + 1 };
  }

  /** The newest unresolved failure over all partitions, as one line for /health. */
  lastError(): string | null {
    const newest = this.newestFailure();
    return newest ? describe(newest.partition, newest.f) : null;
  }

  private newestFailure(): { partition: number; f: PartitionFailure } | undefined {
    let newest: { partition: number; f: PartitionFailure } | undefined;
    for (const [partition, e] of this.entries) {
      if (e.failure && (!newest || e.failure.at > newest.f.at)) newest = { partition, f: e.failure };
    }
    return newest;
  }

  /** Why a partition makes no progress, as far as this instance can tell. */
  private reasonOf(partition: number, e: Entry, now: number): string {
    if (e.failure) return describe(partition, e.failure);
    const failing = this.newestFailure();
    const behind = failing ? `; partition ${failing.partition} is failing: ${describe(failing.partition, failing.f)}` : '';
    if (e.inFlightSince !== null) {
      return `partition ${partition}: its batch has run for ${Math.round((now - e.inFlightSince) / 1000)} s without finishing or failing (a hung task or dependency)${behind}`;
    }
    if (failing) {
      return `partition ${partition}: no batch in flight and none failed: held up behind partition ${failing.partition} (the consumer fetches the partitions of one broker together and waits for every batch of a fetch), which is failing: ${describe(failing.partition, failing.f)}`;
    }
    return `partition ${partition}: no batch in flight and none failed: the consumer has not handed one over (a rebalance or a fetch in progress, or a batch of another topic holding the fetch)`;
  }

  /**
   * Partitions with lag whose last progress is at least stallAfterMs old. A partition seen
   * without lag counts as progressing at `now`: records arriving after a quiet hour are not
   * an hour late.
   */
  stalled(lag: readonly PartitionLag[], now: number): StalledPartition[] {
    const out: StalledPartition[] = [];
    for (const { partition, lag: n } of lag) {
      const e = this.entries.get(partition);
      if (!e) continue;
      if (n <= 0) {
        e.progressAt = now;
        continue;
      }
      const stalledForMs = now - e.progressAt;
      if (stalledForMs < this.stallAfterMs) continue;
      out.push({
        partition,
        lag: n,
        sinceMs: e.progressAt,
        stalledForMs,
        reason: this.reasonOf(partition, e, now),
      });
    }
    return out.sort((a, b) => a.partition - b.partition);
  }
}

function describe(partition: number, f: PartitionFailure): string {
  return `partition ${partition}: ${f.what} failed ${f.attempts} time${f.attempts === 1 ? '' : 's'}, last ${new Date(f.at).toISOString()}: ${f.message}`;
}
