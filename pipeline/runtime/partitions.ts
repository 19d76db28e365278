/**
 * The partitions this instance owns: their state (rebuilt from the ClickHouse changelog when
 * missing or behind the group), their serial lanes (one batch, command or no-data check at a
 * time per partition) and their committed progress (stall detection).
 */
import type { Logger } from '../../core/logger.ts';
import { scorePoints, type ProcessorContext } from '../processor/score-points.ts';
import { PartitionState } from '../state/partition-state.ts';
import type { SeriesFactory, StateStore } from '../state/state-store.ts';
import { PartitionProgress } from './partition-progress.ts';
import { SerialQueue } from './serial-queue.ts';

export interface PartitionsDeps {
  store: StateStore;
  factory: SeriesFactory;
  params: ProcessorContext['params'];
  score: ProcessorContext['score'];
  /** The group's committed offset of a metrics partition (-1n: none). */
  committedOffset(partition: number): Promise<bigint>;
  stallAfterMs: number;
  logger: Logger;
}

export class OwnedPartitions {
  readonly states = new Map<number, PartitionState>();
  readonly lanes = new SerialQueue<number>();
  readonly owned = new Set<number>();
  readonly progress: PartitionProgress;

  constructor(private readonly deps: PartitionsDeps) {
    this.progress = new PartitionProgress(deps.stallAfterMs);
  }

  /** Applies a new assignment: drops what was revoked, rebuilds what was added (now, not on a first batch). */
  assign(assigned: ReadonlySet<number>, now: number): void {
    for (const p of [...this.owned]) {
      if (assigned.has(p)) continue;
      this.owned.delete(p);
      this.progress.revoked(p);
      void this.lanes.run(p, async () => {
        this.states.delete(p);
      });
    }
    for (const p of assigned) {
      if (this.owned.has(p)) continue;
      this.owned.add(p);
      this.progress.assigned(p, now);
      // A partition whose series have all gone silent gets no batch, and its no-data checks and
      // commands need the state too.
      void this.lanes.run(p, () => this.ensureState(p)).catch((err: unknown) => this.deps.logger.warn({ err, partition: p }, 'state rebuild on assignment failed; retried on the next batch'));
    }
  }

  processorContext(state: PartitionState): ProcessorContext {
    return { state, params: this.deps.params, score: this.deps.score, newSeries: this.deps.factory.fresh };
  }

  /**
   * The partition's state, rebuilt when missing or when it does not end right before the
   * consumer's position: past it (another instance committed more while this one was not the
   * owner) or before it (the consumer reads from an older committed offset again, e.g. after a
   * rejoin: a state holding points newer than the position would skip them, unstored).
   * @param position first offset about to be processed, when known: the authority on where the
   *   group really is, unlike a committed offset fetched a moment earlier.
   */
  async ensureState(partition: number, position?: bigint): Promise<PartitionState> {
    const existing = this.states.get(partition);
    if (existing && (position === undefined || position === existing.stateOffset + 1n)) return existing;
    if (existing) {
      const why = position! > existing.stateOffset ? 'state behind the group position: rebuilding' : 'position before the end of the state (offsets read again): rebuilding';
      this.deps.logger.info({ partition, stateOffset: String(existing.stateOffset), position: String(position) }, why);
    }
    const target = position ?? (await this.deps.committedOffset(partition));
    const state = await this.deps.store.rebuild(partition, target, async (s, points) => {
      await scorePoints(this.processorContext(s), points);
    });
    this.states.set(partition, state);
    return state;
  }

  /** The state has moved past what is committed: drop it; the next batch rebuilds it. */
  discard(partition: number): void {
    this.states.delete(partition);
  }

  drainAll(): Promise<void> {
    return Promise.all([...this.owned].map((p) => this.lanes.drain(p))).then(() => undefined);
  }
}
