export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  factor: number;
  jitter: number;
}
export const DEFAULT_BACKOFF: BackoffOptions;
export function backoffDelay(attempt: number, options?: Partial<BackoffOptions>, random?: () => number): number;
export interface Backoff {
  next(): number;
  reset(): void;
  readonly attempts: number;
}
export function createBackoff(options?: Partial<BackoffOptions>, random?: () => number): Backoff;
