/**
 * The part of a batch after an offset. A batch's records (and the points decoded and scored from
 * them) are in ascending offset order, so the stale ones are a prefix: parse offsets only until
 * the first fresh one instead of one BigInt per record (two per record on the batch path, each a
 * heap allocation on the main thread).
 */

/** Index of the first item whose offset is above `offset` (items.length when none is). */
export function firstAfterOffset(items: ReadonlyArray<{ offset: string }>, offset: bigint): number {
  let i = 0;
  while (i < items.length && BigInt(items[i].offset) <= offset) i++;
  return i;
}

/** The items whose offset is above `offset`, for items in ascending offset order: `items` itself when all are (no copy). */
export function afterOffset<T extends { offset: string }>(items: T[], offset: bigint): T[] {
  const start = firstAfterOffset(items, offset);
  return start === 0 ? items : items.slice(start);
}
