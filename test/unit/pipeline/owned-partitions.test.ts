import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { OwnedPartitions, type PartitionsDeps } from '../../../pipeline/runtime/partitions.ts';
import { PartitionState } from '../../../pipeline/state/partition-state.ts';

/** A store whose rebuild records its target and returns a state that ends right before it, as StateStore.rebuild does. */
function partitionsWithStore(committed = 100n) {
  const rebuilds: Array<{ partition: number; target: bigint }> = [];
  const store = {
    rebuild: async (partition: number, target: bigint) => {
      rebuilds.push({ partition, target });
      const s = new PartitionState(partition);
      s.stateOffset = target - 1n;
      return s;
    },
  };
  const deps = { store, committedOffset: async () => committed, stallAfterMs: 60_000, logger: pino({ level: 'silent' }) } as unknown as PartitionsDeps;
  return { partitions: new OwnedPartitions(deps), rebuilds };
}

describe('OwnedPartitions.ensureState follows the consumer position, in both directions', () => {
  it('keeps the state when the batch starts right after it', async () => {
    const { partitions, rebuilds } = partitionsWithStore();
    const first = await partitions.ensureState(2);
    expect(rebuilds).toEqual([{ partition: 2, target: 100n }]);
    first.stateOffset = 199n; // a batch 100..199 processed and committed
    expect(await partitions.ensureState(2, 200n)).toBe(first);
    expect(rebuilds).toHaveLength(1);
  });

  it('rebuilds when the position is past the state (another owner committed more meanwhile)', async () => {
    const { partitions, rebuilds } = partitionsWithStore();
    await partitions.ensureState(2);
    const s = await partitions.ensureState(2, 250n);
    expect(rebuilds.at(-1)).toEqual({ partition: 2, target: 250n });
    expect(s.stateOffset).toBe(249n);
  });

  it('rebuilds when the position is before the end of the state (offsets read again after a rejoin), so no offset is skipped unstored', async () => {
    const { partitions, rebuilds } = partitionsWithStore();
    const first = await partitions.ensureState(2);
    first.stateOffset = 299n; // the state reflects up to 299, the group re-reads from 200
    const again = await partitions.ensureState(2, 200n);
    expect(again).not.toBe(first);
    expect(rebuilds.at(-1)).toEqual({ partition: 2, target: 200n });
    expect(again.stateOffset).toBe(199n);
    // the same position once more: the rebuilt state is kept
    expect(await partitions.ensureState(2, 200n)).toBe(again);
  });
});
