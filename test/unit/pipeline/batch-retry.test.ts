import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { createBatchRetry, endAbandonedBatch, lostGroupMembership, rejoinError } from '../../../pipeline/runtime/batch-retry.ts';
import { RetryAbortedError } from '../../../pipeline/runtime/retry.ts';

const logger = pino({ level: 'silent' });
// kafkajs's own protocol errors and its runner's rejoin test: the classification must match what
// kafkajs really throws and what really makes it rejoin (a kafkajs upgrade that renames either fails here).
const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode(code: number): Error & { type: string } };
const { isRebalancing } = require('kafkajs/src/errors') as { isRebalancing(e: unknown): boolean };
const protocolError = createErrorFromCode;
const NOT_COORDINATOR = 16;
const UNKNOWN_MEMBER_ID = 25;
const ILLEGAL_GENERATION = 22;
const REBALANCE_IN_PROGRESS = 27;
const REQUEST_TIMED_OUT = 7;
const COORDINATOR_LOAD_IN_PROGRESS = 14;

describe('rejoin errors: what only a new join of the group cures', () => {
  it('NOT_COORDINATOR (the coordinator moved with a lost broker) and the lost-membership errors, direct or as a cause', () => {
    for (const code of [NOT_COORDINATOR, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS]) {
      const err = protocolError(code);
      expect(lostGroupMembership(err), err.type).toBe(true);
      const wrapped = new RetryAbortedError('offset commit: cannot succeed by retrying', { cause: new Error('commit failed', { cause: err }) });
      expect(rejoinError(wrapped), err.type).toBe(err);
    }
  });

  it('transient errors are retried in place, not rejoined', () => {
    for (const err of [protocolError(REQUEST_TIMED_OUT), protocolError(COORDINATOR_LOAD_IN_PROGRESS), new Error('connect ECONNREFUSED 127.0.0.1:1'), 'not an error', null, undefined]) {
      expect(lostGroupMembership(err), String((err as { type?: string } | null)?.type ?? err)).toBe(false);
    }
  });

  it('what endAbandonedBatch rethrows is what makes kafkajs 2.2.4 rejoin (isRebalancing or UNKNOWN_MEMBER_ID in its runner)', () => {
    for (const code of [NOT_COORDINATOR, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS]) {
      const cause = protocolError(code);
      let thrown: unknown;
      try {
        endAbandonedBatch(new RetryAbortedError('offset commit: cannot succeed by retrying', { cause }), logger, 3);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, cause.type).toBe(cause);
      expect(isRebalancing(thrown) || (thrown as { type: string }).type === 'UNKNOWN_MEMBER_ID', cause.type).toBe(true);
    }
  });

  it('a batch abandoned because its partition was revoked or the pipeline stops ends quietly (re-delivered to the owner)', () => {
    expect(endAbandonedBatch(new RetryAbortedError('insert: stopped after 2 attempts', { cause: new Error('ClickHouse down') }), logger, 1)).toBeUndefined();
  });
});

describe('createBatchRetry on a stale coordinator', () => {
  const deps = { logger, stopping: () => false, owns: () => true, onRetry: () => undefined };
  const payload = (heartbeat: () => Promise<void>) => ({ batch: { partition: 0 }, heartbeat, isRunning: () => true, isStale: () => false });

  it('gives up after one commit answered NOT_COORDINATOR, instead of retrying it forever', async () => {
    let attempts = 0;
    const retry = createBatchRetry(deps);
    const p = retry('offset commit', async () => {
      attempts++;
      throw protocolError(NOT_COORDINATOR);
    }, payload(async () => undefined));
    await expect(p).rejects.toBeInstanceOf(RetryAbortedError);
    expect(attempts).toBe(1);
    expect(rejoinError(await p.catch((e: unknown) => e))?.type).toBe('NOT_COORDINATOR_FOR_GROUP');
  });

  it('gives up when a heartbeat answers NOT_COORDINATOR while ClickHouse is retried', async () => {
    const retry = createBatchRetry(deps);
    let attempts = 0;
    const p = retry('ClickHouse insert', async () => {
      attempts++;
      throw new Error('ClickHouse down');
    }, payload(async () => {
      throw protocolError(NOT_COORDINATOR);
    }));
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryAbortedError);
    expect(rejoinError(err)?.type).toBe('NOT_COORDINATOR_FOR_GROUP');
    expect(attempts).toBeLessThanOrEqual(2);
  });
});
