import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { retryUntilDone, RetryAbortedError } from '../../../pipeline/runtime/retry.ts';

const logger = pino({ level: 'silent' });

describe('retryUntilDone', () => {
  it('retries a failing dependency until it answers, heart-beating while it waits', async () => {
    let calls = 0;
    let beats = 0;
    const result = await retryUntilDone(
      async () => {
        calls++;
        if (calls < 3) throw new Error('ClickHouse down');
        return 'ok';
      },
      { what: 'insert', logger, initialDelayMs: 5, onWait: async () => void beats++ },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(beats).toBeGreaterThanOrEqual(2);
  });

  it('gives up with RetryAbortedError once told to stop, keeping the cause', async () => {
    let stop = false;
    const p = retryUntilDone(
      async () => {
        stop = true;
        throw new Error('still down');
      },
      { what: 'insert', logger, initialDelayMs: 5, shouldStop: () => stop },
    );
    await expect(p).rejects.toBeInstanceOf(RetryAbortedError);
    await expect(p).rejects.toHaveProperty('cause.message', 'still down');
  });
});

describe('retryUntilDone keeps the member alive and knows when to give up', () => {
  it('heart-beats while a slow attempt is still in flight', async () => {
    let beats = 0;
    const result = await retryUntilDone(
      () => new Promise<string>((resolve) => setTimeout(() => resolve('slow but fine'), 60)),
      { what: 'insert', logger, onWait: async () => void beats++, beatEveryMs: 10 },
    );
    expect(result).toBe('slow but fine');
    expect(beats).toBeGreaterThanOrEqual(3);
  });

  it('stops at once on an error retrying cannot cure, from an attempt or from a heartbeat', async () => {
    const lost = Object.assign(new Error('The coordinator is not aware of this member'), { type: 'UNKNOWN_MEMBER_ID' });
    const isFatal = (err: unknown) => (err as { type?: string }).type === 'UNKNOWN_MEMBER_ID';
    let attempts = 0;
    const fromAttempt = retryUntilDone(
      async () => {
        attempts++;
        throw lost;
      },
      { what: 'commit', logger, initialDelayMs: 5, isFatal },
    );
    await expect(fromAttempt).rejects.toBeInstanceOf(RetryAbortedError);
    expect(attempts).toBe(1);

    const fromHeartbeat = retryUntilDone(
      async () => {
        throw new Error('ClickHouse down');
      },
      { what: 'insert', logger, initialDelayMs: 50, isFatal, onWait: async () => { throw lost; } },
    );
    await expect(fromHeartbeat).rejects.toHaveProperty('cause', lost);
  });
});
