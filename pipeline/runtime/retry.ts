/**
 * Retry until the dependency comes back. While ClickHouse or Kafka is down the partition's
 * batch is simply not finished, so consumption of that partition pauses, nothing is
 * committed and nothing is lost; the consumer keeps heart-beating so it keeps its partitions.
 */
import type { Logger } from '../../core/logger.ts';

export interface RetryOptions {
  what: string;
  logger: Logger;
  /**
   * Called between attempts and, every `beatEveryMs`, while an attempt is in flight (e.g.
   * consumer heartbeat: kafkajs has no background heartbeat, and one ClickHouse request may
   * hang for its whole timeout, as long as the group's session timeout).
   */
  onWait?: () => Promise<void>;
  beatEveryMs?: number;
  /** Errors (of an attempt or of onWait) that retrying cannot cure, e.g. the member left the group. */
  isFatal?: (err: unknown) => boolean;
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
  let fatal: unknown;
  const wait = async () => {
    try {
      await opts.onWait?.();
    } catch (err) {
      if (opts.isFatal?.(err)) fatal ??= err;
    }
  };
  const giveUp = (why: string, cause: unknown) => new RetryAbortedError(`${opts.what}: ${why}`, { cause });
  for (let attempt = 1; ; attempt++) {
    const beat = opts.onWait ? setInterval(() => void wait(), opts.beatEveryMs ?? 1000) : undefined;
    let failure: { err: unknown } | undefined;
    try {
      return await fn();
    } catch (err) {
      failure = { err };
    } finally {
      clearInterval(beat);
    }
    const { err } = failure;
    if (opts.isFatal?.(err)) fatal ??= err;
    if (fatal !== undefined) throw giveUp('cannot succeed by retrying', fatal);
    if (opts.shouldStop?.()) throw giveUp(`stopped after ${attempt} attempts`, err);
    opts.onRetry?.(attempt, err);
    opts.logger.warn({ err, attempt, retryInMs: delay, what: opts.what }, `${opts.what} failed; pausing this partition and retrying`);
    const until = Date.now() + delay;
    while (Date.now() < until) {
      await wait();
      if (fatal !== undefined) throw giveUp('cannot succeed by retrying', fatal);
      if (opts.shouldStop?.()) throw giveUp('stopped while waiting to retry', err);
      await sleep(Math.min(1000, until - Date.now()));
    }
    delay = Math.min(maxDelay, delay * 2);
  }
}
