/**
 * The notification engine with a fake clock, an in-memory log and a scripted receiver: what it
 * sends when, what it records, and that a restored log prevents re-sending.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.ts';
import { createLogger } from '../../../core/logger.ts';
import { NotificationEngine, type SilenceLookup } from '../../../oncall/notify/engine.ts';
import type { NotificationLog } from '../../../oncall/notify/log-store.ts';
import type { NotificationRecord } from '../../../oncall/notify/records.ts';
import type { AttemptInput, AttemptResult } from '../../../oncall/notify/sender.ts';
import type { IncidentEvent } from '../../../schemas/records.ts';
import { alert, incident } from './fixtures.ts';

function memoryLog(): NotificationLog & { rows: NotificationRecord[]; latest(): NotificationRecord[] } {
  const rows: NotificationRecord[] = [];
  return {
    rows,
    async write(records) {
      rows.push(...records.map((r) => ({ ...r })));
    },
    async loadSince() {
      return this.latest();
    },
    latest() {
      const byId = new Map<string, NotificationRecord>();
      for (const r of rows) if ((byId.get(r.notificationId)?.version ?? -1) < r.version) byId.set(r.notificationId, r);
      return [...byId.values()];
    },
  };
}

function setup(opts: { answers?: AttemptResult[]; log?: ReturnType<typeof memoryLog>; silencedBy?: SilenceLookup; sendResolved?: boolean } = {}) {
  const config = loadConfig({
    env: {},
    overrides: {
      notify: {
        receivers: [{ type: 'webhook', name: 'hook', url: 'http://127.0.0.1:1/', secret: 's'.repeat(16), sendResolved: opts.sendResolved ?? true }],
        route: { receiver: 'hook' },
        groupWaitMs: 10_000,
        groupIntervalMs: 60_000,
        repeatIntervalMs: 600_000,
        retries: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 20, jitter: 0 },
      },
    },
  });
  let now = 1_000_000;
  const sent: AttemptInput[] = [];
  const answers = [...(opts.answers ?? [])];
  const counts: string[] = [];
  const log = opts.log ?? memoryLog();
  const engine = new NotificationEngine({
    notify: config.notify,
    log,
    logger: createLogger('silent'),
    metrics: { count: (r, result) => counts.push(`${r}:${result}`), latency: () => {} },
    attempt: async (input) => {
      sent.push(input);
      return answers.shift() ?? { outcome: 'delivered', httpStatus: 200 };
    },
    silencedBy: opts.silencedBy,
    now: () => now,
  });
  const step = async (ms: number) => {
    now += ms;
    engine.tick();
    await engine.settled();
  };
  return { engine, sent, log, counts, step, observe: (i: IncidentEvent) => engine.observe(i, 0) };
}

const firing = incident();
const acked = incident({ version: 2, status: 'acknowledged', alerts: [alert({ status: 'acknowledged' })] });
const refired = incident({ version: 3, status: 'firing', alerts: [alert({ status: 'acknowledged' }), alert({ alertId: 'a2', severity: 'critical' })], severity: 'critical' });
const resolved = incident({ version: 4, status: 'resolved', alerts: [alert({ status: 'resolved' }), alert({ alertId: 'a2', status: 'resolved' })] });

describe('NotificationEngine', () => {
  it('waits group_wait, sends once, repeats after repeat_interval; the idempotency key is the incident event id', async () => {
    const t = setup();
    t.observe(firing);
    await t.step(9_000);
    expect(t.sent).toHaveLength(0);
    await t.step(1_000);
    expect(t.sent).toHaveLength(1);
    expect(t.sent[0].idempotencyKey).toBe(firing.eventId);
    expect(JSON.parse(t.sent[0].body).kind).toBe('firing');
    await t.step(599_000);
    expect(t.sent).toHaveLength(1);
    await t.step(1_000);
    expect(t.sent).toHaveLength(2);
    expect(t.sent[1].idempotencyKey).toBe(`${firing.eventId}/repeat-1`);
    expect(t.log.latest().map((r) => [r.kind, r.result])).toEqual([
      ['firing', 'sent'],
      ['repeat', 'sent'],
    ]);
  });

  it('acknowledged: repeats stop (one suppressed record), re-arms when a new alert fires, then resolves', async () => {
    const t = setup();
    t.observe(firing);
    await t.step(10_000);
    t.observe(acked);
    for (let i = 0; i < 5; i++) await t.step(600_000);
    expect(t.sent).toHaveLength(1);
    expect(t.log.latest().filter((r) => r.result === 'suppressed')).toHaveLength(1);
    t.observe(refired);
    await t.step(1_000);
    expect(t.sent).toHaveLength(2);
    expect(JSON.parse(t.sent[1].body)).toMatchObject({ kind: 'update', status: 'firing', idempotencyKey: refired.eventId });
    t.observe(resolved);
    await t.step(59_000);
    expect(t.sent).toHaveLength(2); // group_interval since the update
    await t.step(1_000);
    expect(t.sent).toHaveLength(3);
    expect(JSON.parse(t.sent[2].body)).toMatchObject({ kind: 'resolved', status: 'resolved' });
    await t.step(10_000_000);
    expect(t.sent).toHaveLength(3);
    expect(t.engine.trackedIncidents).toBe(0);
    // a re-delivered older event of the finished incident does not bring it back
    t.observe(firing);
    await t.step(10_000_000);
    expect(t.sent).toHaveLength(3);
  });

  it('retries failures with back-off, records each attempt, and dead-letters after the last with the payload', async () => {
    const t = setup({ answers: [{ outcome: 'retryable', httpStatus: 500, error: 'HTTP 500' }, { outcome: 'retryable', httpStatus: 0, error: 'no answer within 100 ms' }, { outcome: 'retryable', httpStatus: 503, error: 'HTTP 503' }] });
    t.observe(firing);
    await t.step(10_000);
    expect(t.sent).toHaveLength(3);
    expect(new Set(t.sent.map((s) => s.body)).size).toBe(1);
    expect(new Set(t.sent.map((s) => s.idempotencyKey)).size).toBe(1);
    expect(t.log.rows.map((r) => [r.result, r.attempts])).toEqual([
      ['failed', 1],
      ['failed', 2],
      ['dead', 3],
    ]);
    expect(t.log.rows[2].payload).toBe(t.sent[0].body);
    expect(t.log.rows[2].error).toBe('HTTP 503');
    expect(t.counts).toEqual(['hook:failed', 'hook:failed', 'hook:dead']);
  });

  it('a 4xx refusal is dead at once (retrying cannot help)', async () => {
    const t = setup({ answers: [{ outcome: 'permanent', httpStatus: 401, error: 'HTTP 401' }] });
    t.observe(firing);
    await t.step(10_000);
    expect(t.sent).toHaveLength(1);
    expect(t.log.latest()[0]).toMatchObject({ result: 'dead', attempts: 1, httpStatus: 401 });
  });

  it('a restored log prevents re-sending, and an unfinished notification continues its attempts under the same id', async () => {
    const first = setup({ answers: [{ outcome: 'retryable', httpStatus: 500, error: 'HTTP 500' }] });
    first.observe(firing);
    // stop it between attempt 1 and 2: the log says failed after 1 attempt
    first.engine.tick();
    await new Promise((r) => setTimeout(r, 0));
    await first.step(10_000);
    expect(first.sent.length).toBeGreaterThanOrEqual(1);
    const failedOnly = memoryLog();
    failedOnly.rows.push(first.log.rows[0]);
    expect(failedOnly.rows[0]).toMatchObject({ result: 'failed', attempts: 1 });

    const resumed = setup({ log: failedOnly });
    resumed.engine.restore(failedOnly.latest());
    resumed.observe(firing);
    await resumed.step(10_000);
    expect(resumed.sent).toHaveLength(1);
    expect(resumed.sent[0].idempotencyKey).toBe(firing.eventId);
    expect(failedOnly.latest()).toEqual([expect.objectContaining({ notificationId: first.log.rows[0].notificationId, result: 'sent', attempts: 2 })]);

    const again = setup({ log: failedOnly });
    again.engine.restore(failedOnly.latest());
    again.observe(firing);
    await again.step(10_000);
    await again.step(500_000);
    expect(again.sent).toHaveLength(0); // delivered before the restart; repeat not due yet
  });

  it('silenced: recorded once per state with the silence ids, not sent; sent when the silence ends', async () => {
    let silences = ['s1'];
    const t = setup({ silencedBy: () => silences });
    t.observe(firing);
    await t.step(10_000);
    await t.step(10_000);
    expect(t.sent).toHaveLength(0);
    expect(t.log.latest()).toEqual([expect.objectContaining({ result: 'silenced', silenceIds: ['s1'] })]);
    expect(t.counts).toEqual(['hook:silenced']);
    silences = [];
    await t.step(1_000);
    expect(t.sent).toHaveLength(1);
  });

  it('sendResolved off: the resolution is recorded as suppressed, not sent', async () => {
    const t = setup({ sendResolved: false });
    t.observe(firing);
    await t.step(10_000);
    t.observe(incident({ version: 2, status: 'resolved', alerts: [alert({ status: 'resolved' })] }));
    await t.step(100_000);
    expect(t.sent).toHaveLength(1);
    expect(t.log.latest().map((r) => [r.kind, r.result])).toEqual([
      ['firing', 'sent'],
      ['resolved', 'suppressed'],
    ]);
  });

  it('partitions not yet read to their end are not evaluated (no notification of a stale state)', async () => {
    const t = setup();
    t.observe(firing);
    t.engine.tick(() => false);
    await t.step(0);
    t.engine.tick(() => false);
    expect(t.sent).toHaveLength(0);
  });
});
