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
