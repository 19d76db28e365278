// Reconnect delays: exponential with jitter, so a gateway restart is not met by every
// dashboard reconnecting in the same millisecond.

export const DEFAULT_BACKOFF = { baseMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 };

/**
 * Delay before reconnect attempt `attempt` (0 = first retry). The cap is
 * min(maxMs, baseMs·factor^attempt); jitter takes a random share of up to `jitter` off it, so
 * the result lies in [cap·(1 − jitter), cap]. `random` is injectable for tests.
 */
export function backoffDelay(attempt, options = DEFAULT_BACKOFF, random = Math.random) {
  const { baseMs, maxMs, factor, jitter } = { ...DEFAULT_BACKOFF, ...options };
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  // Clamp the exponent before Math.pow so a long outage cannot overflow to Infinity.
  const exp = Math.min(n, 64);
  const cap = Math.min(maxMs, baseMs * Math.pow(factor, exp));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(cap * (1 - jitter * r));
}

/** A counter over backoffDelay: `next()` for each failure, `reset()` once a connection holds. */
export function createBackoff(options = DEFAULT_BACKOFF, random = Math.random) {
  let attempt = 0;
  return {
    next() {
      const delay = backoffDelay(attempt, options, random);
      attempt += 1;
      return delay;
    },
    reset() {
      attempt = 0;
    },
    get attempts() {
      return attempt;
    },
  };
}
