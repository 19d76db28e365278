/**
 * Fault 4 (issue #12): the ClickHouse server process stopped for 30 s under the steady load, then
 * restarted on the same data folder. A PRIVATE clickhouse-server (test/support/private-clickhouse.ts:
 * the stack's config template and users on other loopback ports, data under a temp dir; the
 * shared server on 18123 is never touched), the shared Kafka. Meanwhile consumption pauses, the
 * consumer lag gauge on the pipeline's /metrics grows, /health turns 503 naming the ClickHouse
 * error; afterwards every point is stored once, every anomaly and alert transition of the
 * reference run is seen once, and the pipeline is healthy again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import type { TestEnv } from '../support/index.ts';
import { clickhouseServerBinary, startPrivateClickHouse, type PrivateClickHouse } from '../support/private-clickhouse.ts';
import { faultLoad } from './support/load.ts';
import { conclude, referenceRun, type Reference } from './support/run.ts';
import { STALL_AFTER_MS, describeSamples, privateServerEnv, runClickHouseFault } from './support/clickhouse-fault.ts';

const OUTAGE_MS = 30_000;
const load = faultLoad();
let server: PrivateClickHouse;
let reference: Reference;
let env: TestEnv;
let ch: ClickHouseClient;

if (!clickhouseServerBinary()) throw new Error('clickhouse-server is not installed (/usr/sbin or /usr/bin): run bash deploy/install-deps.sh');

beforeAll(async () => {
  [server, reference] = await Promise.all([startPrivateClickHouse(), referenceRun('f-chstop', load)]);
  ({ env, ch } = await privateServerEnv('f-chstop', server));
});

afterAll(async () => {
  await ch?.close();
  await env?.cleanup().catch(() => undefined);
  await server?.close();
});

describe('fault 4: the ClickHouse server stopped for 30 s under load', () => {
  it('pauses, exports the growing lag, reports the outage, catches up; every point once, every anomaly and transition once', async () => {
    const run = await runClickHouseFault({
      config: env.config,
      topic: env.topics.metrics,
      load,
      ch,
      instanceId: 'f-chstop',
      holdMs: OUTAGE_MS,
      fault: {
        readable: false,
        begin: async () => {
          await server.stop('SIGTERM');
        },
        end: async () => {
          const t0 = Date.now();
          await server.start();
          return Date.now() - t0;
        },
      },
    });
    const during = describeSamples(run.samples);
    // The server must have exited by itself: one still running after 30 s was SIGKILLed.
    const stopped = run.applyMs < 30_000 ? 'SIGTERM' : 'SIGTERM, SIGKILL 30 s later';
    // Lag exported and growing while nothing can be stored.
    const lags = run.samples.map((s) => s.lag).filter((x): x is number => x !== null);
    const maxLag = Math.max(...lags);
    expect(lags.length, `lag scrapes during the outage: ${during}`).toBeGreaterThan(5);
    expect(maxLag, `lag during the outage (before: ${run.lagBefore}): ${during}`).toBeGreaterThan(Math.max(run.lagBefore ?? 0, 1000));
    // /health names ClickHouse from the first failed insert, and turns 503 once the partitions stall.
    const named = run.samples.find((s) => /ClickHouse/.test(s.lastError ?? ''));
    expect(named, `lastError during the outage: ${during}`).toBeDefined();
    const down = run.samples.find((s) => s.status === 503 && s.stalledPartitions > 0 && /ClickHouse/.test(s.lastError ?? ''));
    expect(down, `/health 503 with the stalled partitions during the outage: ${during}`).toBeDefined();
    // Every stalled partition says ClickHouse is why: its own failed insert, or the failing
    // partition it is held up behind (kafkajs fetches a broker's partitions together).
    const reasons = run.samples.flatMap((s) => s.stallReasons);
    expect(reasons.filter((r) => !/ClickHouse/.test(r)), `stall reasons not naming ClickHouse: ${during}`).toEqual([]);
    const heldUp = reasons.filter((r) => /held up behind partition \d+/.test(r)).length;
    await conclude({
      id: 'clickhouse-outage',
      order: 4,
      fault: `the (private) ClickHouse server process stopped (${stopped}), restarted on the same data folder 30 s later; the pipeline left running`,
      duration: `${Math.round(run.heldMs / 1000)} s down (it exited ${(run.applyMs / 1000).toFixed(1)} s after SIGTERM; back ${((run.lifted as number) / 1000).toFixed(1)} s after restart)`,
      notes:
        `lag gauge ${run.lagBefore ?? '?'} → max ${maxLag.toLocaleString('en-US')}; from the exit: lastError names ClickHouse at +${Math.round(named!.at / 1000)} s, ` +
        `/health 503 (partitions stalled, stallAfterMs ${STALL_AFTER_MS / 1000} s) at +${Math.round(down!.at / 1000)} s; ` +
        `all ${reasons.length} stall reasons name ClickHouse (${heldUp} "held up behind partition N", which is failing: …)`,
      load,
      produced: run.sent.produced,
      sentInMs: run.sent.elapsedMs,
      recoveryMs: run.recoveryMs,
      reference,
      ch,
      db: env.config.clickhouse.database,
    });
  });
});
