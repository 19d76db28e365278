/**
 * The stop timeouts of the systemd units (deploy/production/systemd) against the code's real
 * shutdown path: each role is started as `bin/vigil <role>` with the environment systemd would
 * give it (templates + credentials; only the stack's addresses, the test's topic prefix and
 * database, and free ports changed), stopped with SIGTERM as systemd does, and must exit 0 well
 * within its unit's TimeoutStopSec. The pipeline is stopped in the middle of a backlog, so it
 * has a batch in flight and 100 series of state to snapshot.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CLICKHOUSE_USERS } from '../../core/clickhouse-config.ts';
import { createClickHouse } from '../../pipeline/storage/clickhouse.ts';
import { PLACEHOLDER, credentials, serviceEnvironment, setting, timeSpanSeconds } from '../../deploy/production/units.ts';
import { createTestEnv, waitFor, type TestEnv } from '../support/index.ts';
import { SCENARIO, STEP_MS, POINTS_PER_SERIES, pointCount, producePoints, scenarioPoints } from './pipeline/scenario.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vigil-stop-'));
let env: TestEnv;
let ch: ClickHouseClient;
const stopSeconds: Record<string, number> = {};

beforeAll(async () => {
  env = await createTestEnv('production-stop');
  ch = createClickHouse(env.config);
}, 120_000);

afterAll(async () => {
  console.log(`SIGTERM -> exit, seconds: ${JSON.stringify(stopSeconds)}`);
  await ch?.close();
  await env?.cleanup().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

/** The unit's environment with the local stack's credentials and this test's Kafka/ClickHouse. */
function roleEnv(unit: string): NodeJS.ProcessEnv {
  const dir = path.join(tmp, unit);
  mkdirSync(dir, { recursive: true });
  const secrets: Record<string, string> = { 'clickhouse-writer': LOCAL_CLICKHOUSE_USERS.writer.password, 'clickhouse-reader': LOCAL_CLICKHOUSE_USERS.reader.password };
  for (const c of credentials(unit)) writeFileSync(path.join(dir, c.name), `${secrets[c.name]}\n`);
  const unitEnv = serviceEnvironment(unit, dir, root);
  for (const [k, v] of Object.entries(unitEnv)) if (v.includes(PLACEHOLDER)) unitEnv[k] = k === 'VIGIL_API_KEYS' ? '[]' : '';
  const c = env.config;
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...unitEnv,
    // vigil.json asks for replication factor 3; the local stack has one broker.
    VIGIL_CONFIG: '',
    VIGIL_LOG_LEVEL: 'info',
    VIGIL_KAFKA_BROKERS: c.kafka.brokers.join(','),
    VIGIL_TOPIC_PREFIX: c.kafka.topicPrefix,
    VIGIL_KAFKA_GROUP_ID: c.kafka.groupId,
    VIGIL_KAFKA_PARTITIONS: String(c.kafka.partitions),
    VIGIL_CLICKHOUSE_URL: c.clickhouse.url,
    VIGIL_CLICKHOUSE_DATABASE: c.clickhouse.database,
    VIGIL_PIPELINE_HTTP_HOST: '127.0.0.1',
    VIGIL_PIPELINE_HTTP_PORT: '0',
    VIGIL_API_HOST: '127.0.0.1',
    VIGIL_API_PORT: '0',
    VIGIL_GATEWAY_HOST: '127.0.0.1',
    VIGIL_GATEWAY_PORT: '0',
    VIGIL_ONCALL_HTTP_HOST: '127.0.0.1',
    VIGIL_ONCALL_HTTP_PORT: '0',
    VIGIL_WORKER_THREADS: '1',
  };
}

interface Role {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(role: string, args: string[] = []): Role {
  const child = spawn(path.join(root, 'bin/vigil'), [role, ...args], { env: roleEnv(`vigil-${role}.service`), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer) => (output = (output + String(d)).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exited };
}

/** SIGTERM as systemd sends it; the seconds until the process exited (0 asserted). */
async function stop(role: string, r: Role): Promise<number> {
  const limit = timeSpanSeconds(setting(`vigil-${role}.service`, 'TimeoutStopSec')!);
  const t0 = Date.now();
  r.child.kill('SIGTERM');
  const killer = setTimeout(() => r.child.kill('SIGKILL'), limit * 1000);
  const how = await r.exited;
  clearTimeout(killer);
  const seconds = (Date.now() - t0) / 1000;
  stopSeconds[role] = Math.round(seconds * 10) / 10;
  expect(how, r.output()).toEqual({ code: 0, signal: null });
  expect(seconds, `${role} stopped in ${seconds} s; its unit allows ${limit} s`).toBeLessThan(limit);
  return seconds;
}

describe('SIGTERM within the unit stop timeouts', () => {
  it('pipeline, stopped in the middle of a backlog', async () => {
    const series = Array.from({ length: 100 }, (_, k) => ({ ...SCENARIO[0], source: `stop-${k}` }));
    const points = scenarioPoints(Date.now() - POINTS_PER_SERIES * STEP_MS - 60_000, 3, series);
    await producePoints(env.config, env.topics.metrics, points, 2000);
    const p = start('pipeline', ['--stats-every', '0']);
    await waitFor(async () => (await pointCount(ch, env.config.clickhouse.database)).raw > 5000, 120_000, { message: '5000 points stored by the pipeline' });
    const stored = (await pointCount(ch, env.config.clickhouse.database)).raw;
    expect(stored).toBeLessThan(points.length);
    await stop('pipeline', p);
    expect(p.output()).toContain('pipeline stopped');
  }, 300_000);

  it('api, gateway and on-call process, once serving', async () => {
    const ready: Record<string, RegExp> = { api: /vigil api listening on/, gateway: /vigil gateway \S+ listening on/, oncall: /on-call process running/ };
    for (const role of Object.keys(ready)) {
      const r = start(role);
      await waitFor(async () => ready[role].test(r.output()), 120_000, { message: `${role} serving` });
      await stop(role, r);
    }
  }, 400_000);
});
