/**
 * Committed progress per owned partition, and which partitions are stalled: lag on the broker and
 * no commit for `stallAfterMs`. Pure bookkeeping fed by the batch path (assigned, committed,
 * failed); the clock and the lag come from the caller, so the rules are testable without Kafka.
 *
 * A partition that keeps failing (a dependency down, an output the broker refuses) and one
 * that is stuck without failing (a hung task) look the same from here: no commit while records
 * wait. The last failure, if any, is the reason shown.
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
}

export class PartitionProgress {
  private readonly entries = new Map<number, Entry>();

  constructor(private readonly stallAfterMs: number) {}

  assigned(partition: number, now: number): void {
    if (!this.entries.has(partition)) this.entries.set(partition, { progressAt: now, failure: null });
  }

  isOwned(partition: number): boolean {
    return this.entries.has(partition);
  }

  revoked(partition: number): void {
    this.entries.delete(partition);
  }

  /** A batch of the partition was committed: progress, and any earlier failure is over. */
  committed(partition: number, now: number): void {
    this.entries.set(partition, { progressAt: now, failure: null });
  }

  failed(partition: number, what: string, err: unknown, now: number): void {
    const entry = this.entries.get(partition);
    if (!entry) return;
    const message = err instanceof Error ? err.message : String(err);
    entry.failure = { what, message, at: now, attempts: (entry.failure?.what === what ? entry.failure.attempts : 0) + 1 };
  }

  /** The newest unresolved failure over all partitions, as one line for /health. */
  lastError(): string | null {
    let newest: { partition: number; f: PartitionFailure } | undefined;
    for (const [partition, e] of this.entries) {
      if (e.failure && (!newest || e.failure.at > newest.f.at)) newest = { partition, f: e.failure };
    }
    return newest ? describe(newest.partition, newest.f) : null;
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
        reason: e.failure ? describe(partition, e.failure) : `no failure reported: the batch of partition ${partition} has not finished (a hung task or dependency)`,
      });
    }
    return out.sort((a, b) => a.partition - b.partition);
  }
}

function describe(partition: number, f: PartitionFailure): string {
  return `partition ${partition}: ${f.what} failed ${f.attempts} time${f.attempts === 1 ? '' : 's'}, last ${new Date(f.at).toISOString()}: ${f.message}`;
}
