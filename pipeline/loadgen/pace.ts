/** Real-time pacing: hand each item over when the wall clock reaches its scheduled time. */
import { setTimeout as sleepFor } from 'node:timers/promises';

export interface PaceOptions {
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}

export interface PaceResult {
  handled: number;
  aborted: boolean;
  /** Largest lag behind schedule when an item was handed over (ms): shows a sender that cannot keep up. */
  maxLagMs: number;
}

const defaultSleep = (ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, { signal }).then(() => undefined);

/**
 * `dueAt(item)` is the wall-clock time (ms) the item is due. Late items are handled at once
 * (no catching up by skipping): nothing is dropped, the lag is reported.
 */
export async function pace<T>(items: Iterable<T>, dueAt: (item: T) => number, handle: (item: T) => Promise<void>, options: PaceOptions = {}): Promise<PaceResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  let handled = 0;
  let maxLagMs = 0;
  for (const item of items) {
    if (options.signal?.aborted) return { handled, aborted: true, maxLagMs };
    const wait = dueAt(item) - now();
    if (wait > 0) {
      try {
        await sleep(wait, options.signal);
      } catch {
        return { handled, aborted: true, maxLagMs };
      }
    } else {
      maxLagMs = Math.max(maxLagMs, -wait);
    }
    await handle(item);
    handled++;
  }
  return { handled, aborted: false, maxLagMs };
}
