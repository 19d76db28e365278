/**
 * Retry delays for notification attempts: exponential (×2 per attempt) from initialDelayMs,
 * capped at maxDelayMs, each drawn from [d·(1−jitter), d] so receivers recovering from an
 * outage are not hit by every instance at the same instant.
 */
export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  jitter: number;
}

/** Delay before attempt `attempt + 1`, after `attempt` (≥ 1) failed. `random` ∈ [0, 1). */
export function retryDelayMs(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxDelayMs, opts.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (1 - opts.jitter * random()));
}
