/**
 * No re-send after kill -9: the on-call process running the notifier stage (startOncall, as in
 * `./bin/vigil oncall`, via test/support/notifier-main.ts) is SIGKILLed after delivering,
 * and again between two attempts of a notification; each restarted process recovers what was
 * delivered from ClickHouse and the incidents topic, sends nothing twice, and finishes the
 * interrupted notification under the same id and idempotency key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepMerge } from '../../../core/config.ts';
import { createKafka } from '../../../pipeline/kafka/client.ts';
import { createClickHouse, type ClickHouseClient } from '../../../pipeline/storage/clickhouse.ts';
import { createTestEnv, incidentPublisher, startHttpReceiver, testAlert, testIncident, waitFor, type HttpReceiver, type IncidentPublisher, type TestEnv } from '../../support/index.ts';

const main = fileURLToPath(new URL('../../support/notifier-main.ts', import.meta.url));

let env: TestEnv;
let receiver: HttpReceiver;
let publisher: IncidentPublisher;
let ch: ClickHouseClient;
let dir: string;
let configFile: string;
const children = new Set<ChildProcess>();

interface Oncall {
  child: ChildProcess;
  healthUrl: string;
  output: () => string;
}

async function startProcess(): Promise<Oncall> {
  const child = spawn(process.execPath, ['--import', 'tsx', main], { env: { ...process.env, VIGIL_CONFIG: configFile, VIGIL_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await waitFor(() => /"url":"(http:\/\/[^"]+)"/.exec(out)?.[1], 60_000, { message: 'on-call metrics url' });
  // live = the notifier owns partitions and has replayed them
  await waitFor(() => /incidents partitions assigned/.test(out) && out.includes('on-call process running'), 60_000, { message: `notifier assigned:\n${out.slice(-2000)}` });
  return { child, healthUrl: `${url}/health`, output: () => out };
}

async function kill9(p: Oncall): Promise<void> {
  const exited = new Promise((resolve) => p.child.once('exit', resolve));
  p.child.kill('SIGKILL');
  await exited;
}

const hookRequests = (eventId: string) => receiver.on('/hook').filter((r) => r.headers['idempotency-key'] === eventId);

async function finalRow(incidentId: string) {
  const rs = await ch.query({ query: `SELECT notification_id, result, attempts FROM notifications FINAL WHERE incident_id = '${incidentId.replace(/[^0-9a-f]/g, '')}'`, format: 'JSONEachRow' });
  return rs.json<{ notification_id: string; result: string; attempts: number }>();
}

beforeAll(async () => {
  receiver = await startHttpReceiver();
  env = await createTestEnv('notify-restart', { partitions: 2 });
  const notify = {
    receivers: [{ type: 'webhook', name: 'hook', url: `${receiver.url}/hook`, secret: 'restart-test-webhook-secret', timeoutMs: 1000 }],
    route: { receiver: 'hook' },
    groupWaitMs: 300,
    groupIntervalMs: 1000,
    repeatIntervalMs: 3_600_000,
    tickMs: 50,
    // a long pause between attempts leaves time to kill the process in it
    retries: { maxAttempts: 4, initialDelayMs: 4000, maxDelayMs: 4000, jitter: 0 },
  };
  dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-notify-restart-'));
  configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(deepMerge(env.config as unknown as Record<string, unknown>, { notify, oncall: { ...env.config.oncall, httpPort: 0 } })));
  const kafka = createKafka(env.config, env.logger, { clientId: 'notify-restart-it' });
  publisher = await incidentPublisher(kafka, env.topics.incidents, `${env.config.kafka.topicPrefix}test-incidents`);
  ch = createClickHouse(env.config, { logger: env.logger });
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await publisher?.close();
  await ch?.close();
  await receiver?.close();
  await env?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('notifier survives kill -9', () => {
  it('a delivered notification is not sent again, and one cut between attempts is finished once', async () => {
    const first = await startProcess();
    const delivered = testIncident('svc-k1', 1, [testAlert('svc-k1')]);
    await publisher.publish(delivered);
    await waitFor(async () => (await finalRow(delivered.incidentId)).some((r) => r.result === 'sent'), 30_000, { message: 'first notification recorded as sent' });
    expect(hookRequests(delivered.eventId)).toHaveLength(1);

    // second incident: attempt 1 fails, the process dies during the 4 s back-off
    receiver.script('/hook', [500]);
    const interrupted = testIncident('svc-k2', 1, [testAlert('svc-k2')]);
    await publisher.publish(interrupted);
    await waitFor(async () => (await finalRow(interrupted.incidentId)).some((r) => r.result === 'failed'), 30_000, { message: 'failed attempt recorded' });
    await kill9(first);
    expect(hookRequests(interrupted.eventId)).toHaveLength(1);

    const second = await startProcess();
    const done = await waitFor(async () => (await finalRow(interrupted.incidentId)).find((r) => r.result === 'sent'), 30_000, { message: `interrupted notification finished:\n${second.output().slice(-1500)}` });
    expect(done.attempts).toBe(2);
    const attempts = hookRequests(interrupted.eventId);
    expect(attempts.map((r) => r.answer)).toEqual([500, 200]);
    expect(new Set(attempts.map((r) => r.body)).size).toBe(1);
    // well past group_wait and group_interval: the delivered one was not re-sent
    await new Promise((r) => setTimeout(r, 3000));
    expect(hookRequests(delivered.eventId)).toHaveLength(1);

    // and once more, killed with nothing in flight: a third process sends nothing at all
    await kill9(second);
    const before = receiver.requests.length;
    const third = await startProcess();
    await new Promise((r) => setTimeout(r, 3000));
    expect(receiver.requests.length).toBe(before);
    const health = (await (await fetch(third.healthUrl)).json()) as { stages: { notify: { incidents: number } } };
    expect(health.stages.notify.incidents).toBe(2);
    await kill9(third);
    expect(await finalRow(delivered.incidentId)).toEqual([expect.objectContaining({ result: 'sent', attempts: 1 })]);
  });
});
