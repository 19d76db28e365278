/**
 * Fault 3 (issue #12): the Kafka broker stopped for 20 s under the steady load, then restarted.
 * A PRIVATE single-node broker (test/support/second-broker.ts; the shared one on 19092 is never
 * touched), the shared ClickHouse. Pipeline, API and gateway run in this process against it and
 * must recover by themselves; meanwhile the pipeline's /health and the API's /health answer 503
 * with the reason. At the end every point is stored once, every anomaly and alert transition of
 * the reference run is seen once, the gateway streams live events again, and all three are healthy.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../../core/logger.ts';
import { startApi, type RunningApi } from '../../api/index.ts';
import { startGateway, type RunningGateway } from '../../gateway/index.ts';
import { startPipeline, type PipelineHandle } from '../../pipeline/runtime/pipeline.ts';
import { startMetricsServer, type MetricsServer } from '../../pipeline/runtime/metrics-server.ts';
import { startSecondBroker, waitFor } from '../support/index.ts';
import { faultLoad, startPacedLoad } from './support/load.ts';
import { catchUpMs, conclude, getJson, privateKafkaFault } from './support/run.ts';
import { waitForCommitted } from '../integration/pipeline/scenario.ts';

const OUTAGE_MS = 20_000;
const load = faultLoad();
const f = privateKafkaFault('f-broker', load, () => startSecondBroker({ heap: '384m' }), { api: { port: 0 }, gateway: { port: 0 } });

describe('fault 3: the Kafka broker stopped for 20 s under load', () => {
  it('pipeline, API and gateway report the outage, recover by themselves; every point once, every anomaly and transition once', async () => {
    const logger = createLogger('error');
    let pipeline: PipelineHandle | undefined;
    let http: MetricsServer | undefined;
    let api: RunningApi | undefined;
    let gateway: RunningGateway | undefined;
    let ws: WebSocket | undefined;
    try {
      http = await startMetricsServer({ host: '127.0.0.1', port: 0, logger });
      pipeline = await startPipeline(f.env.config, logger, { instanceId: 'f-broker' });
      http.attach(pipeline);
      api = await startApi(f.env.config, logger);
      gateway = await startGateway(f.env.config, logger, { ensureTopics: false });
      const liveAt: number[] = [];
      ws = new WebSocket(`ws://127.0.0.1:${gateway.port}/ws?channels=live`);
      ws.on('message', () => liveAt.push(Date.now()));
      await new Promise((resolve, reject) => ws!.once('open', resolve).once('error', reject));
      await waitFor(() => pipeline!.health().healthy, 60_000, { message: 'pipeline healthy before the fault' });

      const paced = startPacedLoad(f.env.config, f.env.topics.metrics, load);
      await waitFor(() => paced.produced() >= load.points.length / 3, 120_000, { message: 'a third of the load sent' });
      const stoppedAt = Date.now();
      await f.kafka.stop('SIGTERM');
      type Sample = { at: number; status: number; body: Record<string, unknown> };
      const pipelineHealth: Sample[] = [];
      const apiHealth: Sample[] = [];
      while (Date.now() - stoppedAt < OUTAGE_MS) {
        const at = Date.now() - stoppedAt;
        const [p, a] = await Promise.all([getJson(`${http.url}/health`).catch(() => null), getJson(`${api.url}/api/v1/health`).catch(() => null)]);
        if (p) pipelineHealth.push({ at, ...p });
        if (a) apiHealth.push({ at, ...a });
        await new Promise((r) => setTimeout(r, 1000));
      }
      const downMs = Date.now() - stoppedAt;
      await f.kafka.start();
      const restartedAt = Date.now();
      const recoveryMs = await catchUpMs(f.env.config, f.env.topics.metrics, 180_000, restartedAt);
      const sent = await paced.done;
      await waitForCommitted(f.env.config, f.env.topics.metrics, 180_000);

      // Reported meanwhile, with the reason.
      // The broker check itself, not only a consumer crash kafkajs may or may not report.
      const pipelineDown = pipelineHealth.find((h) => h.status === 503 && (h.body.kafka as { reachable?: boolean } | undefined)?.reachable === false);
      expect(pipelineDown, `pipeline /health during the outage: ${JSON.stringify(pipelineHealth.map((h) => [h.at, h.status, h.body.lastError]))}`).toBeDefined();
      expect(String(pipelineDown!.body.lastError)).toMatch(/^Kafka broker unreachable for \d+ s \(cannot read consumer lag from the broker: /);
      const apiDown = apiHealth.find((h) => h.status === 503);
      expect(apiDown, `API /health during the outage: ${JSON.stringify(apiHealth.map((h) => h.status))}`).toBeDefined();
      expect((apiDown!.body.checks as Record<string, { status: string }>).kafka.status).toBe('fail');
      const apiDownAt = apiHealth.find((h) => h.status === 503)!.at;

      // Recovered by themselves: healthy again, and the gateway streams live events again.
      await waitFor(async () => (await getJson(`${http!.url}/health`)).status === 200, 60_000, { message: 'pipeline /health 200 again' });
      await waitFor(async () => (await getJson(`${api!.url}/api/v1/health`)).status === 200, 60_000, { message: 'API /health 200 again' });
      await waitFor(async () => (await getJson(`http://127.0.0.1:${gateway!.port}/health`)).body.status === 'ok', 60_000, { message: 'gateway /health ok again' });
      await waitFor(() => liveAt.some((t) => t > restartedAt), 60_000, { message: 'live events through the gateway after the restart' });
      await conclude({
        id: 'broker-outage',
        order: 3,
        fault: 'the (private) Kafka broker stopped (SIGTERM), restarted 20 s later; pipeline, API and gateway left running',
        duration: `${Math.round(downMs / 1000)} s down`,
        notes:
          `pipeline /health 503 (kafka unreachable) from +${Math.round(pipelineDown!.at / 1000)} s, API /health 503 (kafka fail) from +${Math.round(apiDownAt / 1000)} s; ` +
          `gateway live again; ${sent.failedSends} refused sends re-sent`,
        load,
        produced: sent.produced,
        sentInMs: sent.elapsedMs,
        recoveryMs,
        reference: f.reference,
        ch: f.ch,
        db: f.env.config.clickhouse.database,
      });
    } finally {
      ws?.close();
      await gateway?.close().catch(() => undefined);
      await api?.close().catch(() => undefined);
      await pipeline?.stop().catch(() => undefined);
      await http?.close().catch(() => undefined);
    }
  });
});
