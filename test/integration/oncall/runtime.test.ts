/**
 * The on-call process skeleton on the real stack: stages start in table order with working
 * shared clients, close in reverse, a stage that fails to start releases the ones before it,
 * and `./bin/vigil oncall` serves /health and /metrics and exits cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOncall } from '../../../oncall/runtime.ts';
import type { OncallStage } from '../../../oncall/stage.ts';
import { createTestEnv, waitFor, type TestEnv } from '../../support/index.ts';

const vigil = fileURLToPath(new URL('../../../bin/vigil', import.meta.url));

describe('on-call runtime', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv('oncall-runtime', { partitions: 2 });
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('starts stages in order with live Kafka and ClickHouse clients and closes them in reverse', async () => {
    const log: string[] = [];
    const stage = (name: string, healthy = true): OncallStage => ({
      name,
      async start(deps) {
        // The shared clients reach the real servers and the migrations have run.
        const rows = await (await deps.clickhouse.query({ query: 'SELECT count() AS n FROM incident_events', format: 'JSONEachRow' })).json<{ n: string }>();
        const admin = deps.kafka.admin();
        await admin.connect();
        const topics = await admin.listTopics();
        await admin.disconnect();
        log.push(`start ${name} rows=${rows[0].n} topic=${topics.includes(deps.topics.incidents)}`);
        return { close: async () => void log.push(`close ${name}`), health: () => ({ healthy }) };
      },
    });
    const oncall = await startOncall(env.config, env.logger, { stages: [stage('a'), stage('b', false), { ...stage('c'), enabled: () => false }] });
    expect(oncall.stages).toEqual(['a', 'b']);
    const health = oncall.health();
    expect(health).toMatchObject({ healthy: false, status: 'running', stages: { a: { healthy: true }, b: { healthy: false } } });
    await oncall.close();
    expect(log).toEqual(['start a rows=0 topic=true', 'start b rows=0 topic=true', 'close b', 'close a']);
    expect(oncall.health()).toMatchObject({ healthy: false, status: 'stopped' });
  });

  it('a stage that cannot start closes the stages started before it and says which one failed', async () => {
    const closed: string[] = [];
    const ok: OncallStage = { name: 'first', start: async () => ({ close: async () => void closed.push('first') }) };
    const bad: OncallStage = { name: 'broken', start: async () => Promise.reject(new Error('receiver config unreadable')) };
    await expect(startOncall(env.config, env.logger, { stages: [ok, bad], skipSetup: true })).rejects.toThrow(/on-call stage broken could not start/);
    expect(closed).toEqual(['first']);
  });

  it('./bin/vigil oncall serves /health and /metrics and exits 0 on SIGTERM', async () => {
    const child = spawn(vigil, ['oncall'], {
      env: {
        ...process.env,
        VIGIL_TOPIC_PREFIX: env.config.kafka.topicPrefix,
        VIGIL_KAFKA_PARTITIONS: String(env.config.kafka.partitions),
        VIGIL_CLICKHOUSE_DATABASE: env.config.clickhouse.database,
        VIGIL_ONCALL_HTTP_PORT: '0',
        VIGIL_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await waitFor(() => /"url":"(http:\/\/[^"]+)"/.exec(out)?.[1], 60_000, { message: 'metrics server url in the log' });
      const health = await waitFor(async () => {
        const r = await fetch(`${url}/health`);
        return r.status === 200 ? ((await r.json()) as { status: string }) : undefined;
      }, 60_000, { message: '/health 200' });
      expect(health.status).toBe('running');
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('process_cpu_seconds_total');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('stopping on-call process');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
