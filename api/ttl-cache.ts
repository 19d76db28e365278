/**
 * A tiny time-bounded memo for read-only answers every open dashboard asks for at once
 * (/dashboard-stats, /live-metrics): within `ttlMs` one ClickHouse query serves all of them, and
 * concurrent misses of one key share the query in flight. A failed load is not kept. Keys are
 * the route's validated query, so the map holds at most `maxEntries` (oldest dropped first).
 */
export interface TtlCache<T> {
  get(key: string, load: () => Promise<T>): Promise<T>;
  clear(): void;
}

export function createTtlCache<T>(ttlMs: number, now: () => number = Date.now, maxEntries = 64): TtlCache<T> {
  const entries = new Map<string, { at: number; value: Promise<T> }>();
  return {
    get(key, load) {
      if (ttlMs <= 0) return load();
      const t = now();
      const hit = entries.get(key);
      if (hit && t - hit.at < ttlMs) return hit.value;
      const value = load();
      entries.delete(key);
      entries.set(key, { at: t, value });
      // Only a success is remembered: the next caller retries a failure at once.
      value.catch(() => {
        if (entries.get(key)?.value === value) entries.delete(key);
      });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      return value;
    },
    clear: () => entries.clear(),
  };
}
