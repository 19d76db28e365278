/**
 * SLA/SLO math: compliance, error budget, burn rate, and the time-bucket rings the SLA
 * monitor keeps its rolling counters in. Pure: no clock, no I/O; the only mutation is of a
 * ring passed in by the caller, and a ring is plain JSON so it snapshots as-is.
 *
 * Definitions (Google SRE workbook, chapter "Alerting on SLOs"):
 *   compliance            = good / total                         (1 when there are no points)
 *   error budget          = 1 - objective                         (the share of bad points allowed)
 *   burn rate             = (bad / total) / (1 - objective)       (1 = spending exactly on budget)
 *   error budget remaining = 1 - (1 - compliance) / (1 - objective)  (1 untouched, 0 spent, < 0 overspent)
 */

/** Share of good points; an empty window counts as fully compliant (nothing was violated). */
export function compliance(good: number, total: number): number {
  if (!(total > 0)) return 1;
  return good / total;
}

/** Share of the error budget still unspent at this compliance. */
export function errorBudgetRemaining(complianceRatio: number, objective: number): number {
  const budget = 1 - objective;
  if (!(budget > 0)) return complianceRatio >= 1 ? 1 : Number.NEGATIVE_INFINITY;
  return 1 - (1 - complianceRatio) / budget;
}

/** How fast the budget burns: the bad share over the budget share. 0 for an empty window. */
export function burnRate(bad: number, total: number, objective: number): number {
  if (!(total > 0)) return 0;
  const budget = 1 - objective;
  if (!(budget > 0)) return bad > 0 ? Number.POSITIVE_INFINITY : 0;
  return bad / total / budget;
}

/** Start of the bucket that holds `timestamp` (buckets are aligned to the epoch). */
export function bucketStart(timestamp: number, bucketMs: number): number {
  return Math.floor(timestamp / bucketMs) * bucketMs;
}

/**
 * A rolling window of count buckets: the last `capacity` buckets of `bucketMs` each, ending with
 * the bucket of the newest time seen (`head`). Sparse — only buckets that received points are
 * stored — and sorted by start. `sumGood`/`sumTotal` are running totals over the retained buckets,
 * so the whole-window figures cost O(1) per point.
 */
export interface CountRing {
  bucketMs: number;
  capacity: number;
  head: number | null; // start of the newest bucket the window ends with
  starts: number[];
  good: number[];
  total: number[];
  sumGood: number;
  sumTotal: number;
}

export function createRing(bucketMs: number, capacity: number): CountRing {
  if (!(bucketMs > 0) || !Number.isInteger(bucketMs)) throw new RangeError(`bucketMs must be a positive integer, got ${bucketMs}`);
  if (!(capacity > 0) || !Number.isInteger(capacity)) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  return { bucketMs, capacity, head: null, starts: [], good: [], total: [], sumGood: 0, sumTotal: 0 };
}

/** Oldest bucket start still inside the window that ends with the bucket `head`. */
export function ringOldestStart(ring: CountRing, head: number): number {
  return head - (ring.capacity - 1) * ring.bucketMs;
}

/** Moves the window end forward to the bucket of `timestamp` (never backwards) and drops expired buckets. */
export function ringAdvance(ring: CountRing, timestamp: number): void {
  const start = bucketStart(timestamp, ring.bucketMs);
  if (ring.head !== null && start <= ring.head) return;
  ring.head = start;
  const oldest = ringOldestStart(ring, start);
  let drop = 0;
  while (drop < ring.starts.length && ring.starts[drop] < oldest) {
    ring.sumGood -= ring.good[drop];
    ring.sumTotal -= ring.total[drop];
    drop++;
  }
  if (drop > 0) {
    ring.starts.splice(0, drop);
    ring.good.splice(0, drop);
    ring.total.splice(0, drop);
  }
}

/**
 * Counts one point at `timestamp`. The window first advances to it; a late point lands in its own
 * (earlier) bucket while that bucket is still inside the window, and is ignored (returns false)
 * once the window has moved past it.
 */
export function ringAdd(ring: CountRing, timestamp: number, isGood: boolean): boolean {
  ringAdvance(ring, timestamp);
  const start = bucketStart(timestamp, ring.bucketMs);
  if (start < ringOldestStart(ring, ring.head as number)) return false;
  // Points arrive mostly in order, so search from the newest bucket backwards.
  let i = ring.starts.length - 1;
  while (i >= 0 && ring.starts[i] > start) i--;
  if (i < 0 || ring.starts[i] !== start) {
    i++;
    ring.starts.splice(i, 0, start);
    ring.good.splice(i, 0, 0);
    ring.total.splice(i, 0, 0);
  }
  if (isGood) {
    ring.good[i] += 1;
    ring.sumGood += 1;
  }
  ring.total[i] += 1;
  ring.sumTotal += 1;
  return true;
}

/**
 * Good/total over the newest `windowMs` of the ring: the buckets whose start is within
 * `windowMs` of the head bucket, i.e. the last ceil(windowMs / bucketMs) buckets including the
 * current, partly filled one. Windows longer than the ring are cut to the ring.
 */
export function ringSum(ring: CountRing, windowMs: number): { good: number; total: number } {
  if (ring.head === null) return { good: 0, total: 0 };
  const buckets = Math.ceil(windowMs / ring.bucketMs);
  if (buckets >= ring.capacity) return { good: ring.sumGood, total: ring.sumTotal };
  const oldest = ring.head - (buckets - 1) * ring.bucketMs;
  let good = 0;
  let total = 0;
  for (let i = ring.starts.length - 1; i >= 0 && ring.starts[i] >= oldest; i--) {
    good += ring.good[i];
    total += ring.total[i];
  }
  return { good, total };
}

/**
 * Bucket width for a compliance window: one minute, widened so the window never needs more than
 * `maxBuckets` buckets (a 30-day window gets 30-minute buckets), which keeps the state bounded.
 */
export function bucketMsForWindow(windowMs: number, maxBuckets = 1440, minBucketMs = 60_000): number {
  const perBucket = Math.ceil(windowMs / maxBuckets);
  return Math.max(minBucketMs, Math.ceil(perBucket / minBucketMs) * minBucketMs);
}
