/** `vigil produce` end to end on the real local Kafka: the CLI's points are on the topic, decodable, as generated. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMetricRecord } from '../../pipeline/ingest/decode-record.ts';
import { createLoadGenerator, parseIncidents } from '../../pipeline/loadgen/index.ts';
import { consumeN, createTestEnv, type TestEnv } from '../support/index.ts';

const run = promisify(execFile);
const vigil = fileURLToPath(new URL('../../bin/vigil', import.meta.url));

describe('vigil produce on Kafka', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv('produce-cli', { partitions: 4, migrations: false });
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('sends the seeded synthetic load, incidents included, and prints the summary', async () => {
    const args = ['produce', '--sources', '2', '--metrics', 'cpu_usage,error_rate', '--rate', '20', '--duration', '1s', '--seed', '3', '--start', '1700000000000', '--incidents', 'spike:5'];
    const { stdout } = await run(vigil, args, {
      env: { ...process.env, VIGIL_TOPIC_PREFIX: env.config.kafka.topicPrefix, VIGIL_KAFKA_BROKERS: env.config.kafka.brokers.join(','), VIGIL_LOG_LEVEL: 'warn' },
      timeout: 60_000,
    });
    expect(stdout).toMatch(new RegExp(`^sent 80 points to ${env.topics.metrics.replace(/\./g, '\\.')}`));
    expect(stdout).toContain('source-2/error_rate  20');
    expect(stdout).toContain('spike at point 5');

    const messages = await consumeN(env.config, env.topics.metrics, 80, 30_000);
    const limits = { maxTagCount: 32, maxTagBytes: 2048, maxFutureSkewMs: 86_400_000, nowMs: Date.now() };
    const got = messages.map((m) => {
      const decoded = decodeMetricRecord(m, limits);
      if (!decoded.ok) throw new Error(`${decoded.reason}: ${decoded.detail}`);
      return { ...decoded.point, tags: { ...decoded.point.tags } };
    });
    const expected = [
      ...createLoadGenerator({
        sources: 2, metrics: ['cpu_usage', 'error_rate'], rate: 20, durationMs: 1000, seed: 3, startMs: 1_700_000_000_000, incidents: parseIncidents('spike:5'),
      }).points(),
    ];
    const order = (p: { source: string; metric: string; timestamp: number }) => `${p.source}/${p.metric}@${p.timestamp}`;
    expect(got.sort((a, b) => order(a).localeCompare(order(b)))).toEqual(expected.sort((a, b) => order(a).localeCompare(order(b))));
  });
});
