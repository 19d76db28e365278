/**
 * Retry until the dependency comes back. While ClickHouse or Kafka is down the partition's
 * batch is simply not finished, so consumption of that partition pauses, nothing is
 * committed and nothing is lost; the consumer keeps heart-beating so it keeps its partitions.
 */
import type { Logger } from '../../core/logger.ts';

export interface RetryOptions {
  what: string;
  logger: Logger;
  /** Called between attempts (e.g. consumer heartbeat). */
  onWait?: () => Promise<void>;
  /** Stop retrying (e.g. partition revoked, shutting down): the error is rethrown. */
  shouldStop?: () => boolean;
  initialDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (attempt: number, err: unknown) => void;
}

export class RetryAbortedError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function retryUntilDone<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  let delay = opts.initialDelayMs ?? 200;
  const maxDelay = opts.maxDelayMs ?? 5000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (opts.shouldStop?.()) throw new RetryAbortedError(`${opts.what}: stopped after ${attempt} attempts`, { cause: err });
      opts.onRetry?.(attempt, err);
      opts.logger.warn({ err, attempt, retryInMs: delay, what: opts.what }, `${opts.what} failed; pausing this partition and retrying`);
      const until = Date.now() + delay;
      while (Date.now() < until) {
        if (opts.shouldStop?.()) throw new RetryAbortedError(`${opts.what}: stopped while waiting to retry`, { cause: err });
        await opts.onWait?.().catch(() => undefined);
        await sleep(Math.min(1000, until - Date.now()));
      }
      delay = Math.min(maxDelay, delay * 2);
    }
  }
}
