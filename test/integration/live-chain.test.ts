/**
 * The whole live path on the real stack: points in through the HTTP API, scored by the real
 * pipeline, published to the output topics and fanned out by the real gateway to a WebSocket
 * subscriber, which must receive the anomaly and the alert of an injected spike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestEnv, waitFor, type TestEnv } from '../support/index.ts';
import { startPipeline, type PipelineHandle } from '../../pipeline/runtime/pipeline.ts';
import { startGateway } from '../../gateway/index.ts';
import { startApi } from '../../api/index.ts';

let env: TestEnv;
let pipeline: PipelineHandle;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let api: Awaited<ReturnType<typeof startApi>>;

beforeAll(async () => {
  env = await createTestEnv('live-chain', { overrides: { api: { port: 0 }, gateway: { port: 0 }, pipeline: { windowSize: 100, workerThreads: 1 } } });
  pipeline = await startPipeline(env.config, env.logger);
  gateway = await startGateway(env.config, env.logger);
  api = await startApi(env.config, env.logger);
}, 120_000);

afterAll(async () => {
  await api?.close();
  await gateway?.close();
  await pipeline?.stop();
  await env?.cleanup();
});

interface Frame {
  type: string;
  channel?: string;
  id?: string;
  data?: Record<string, unknown>;
}

describe('API → pipeline → gateway → WebSocket', () => {
  it('a spike posted to the API reaches a filtered subscriber as an anomaly and an alert', async () => {
    const frames: Frame[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${gateway.port}/ws?channels=alerts,anomalies&source=svc-live`);
    ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await waitFor(() => frames.some((f) => f.type === 'subscribed'), 10_000, { message: 'subscribed frame' });

    const now = Date.now();
    // Two series (svc-other must be filtered out), 200 points each, a 3-point spike at 150.
    const points = Array.from({ length: 400 }, (_, i) => {
      const step = Math.floor(i / 2);
      return {
        source: i % 2 === 0 ? 'svc-live' : 'svc-other',
        metric: 'queue_size',
        value: step >= 150 && step < 153 ? 400 : 50 + ((step * 7) % 5),
        timestamp: now - 300_000 + step * 1000,
        tags: {},
      };
    });
    // Baseline plus the spike for both sources, in one request (batch ingest).
    const res = await fetch(`${api.url}/api/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ points }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: points.length, rejected: 0 });

    const anomaly = await waitFor(() => frames.find((f) => f.type === 'event' && f.channel === 'anomalies'), 60_000, { message: 'anomaly event' });
    expect(anomaly.data).toMatchObject({ source: 'svc-live', metric: 'queue_size' });
    expect(['outlier', 'spike']).toContain(anomaly.data?.type);
    const alert = await waitFor(() => frames.find((f) => f.type === 'event' && f.channel === 'alerts'), 60_000, { message: 'alert event' });
    expect(alert.data).toMatchObject({ source: 'svc-live', metric: 'queue_size', kind: 'anomaly', status: 'firing' });
    expect(frames.filter((f) => f.type === 'event').every((f) => f.data?.source === 'svc-live')).toBe(true);
    ws.close();
  }, 150_000);
});
