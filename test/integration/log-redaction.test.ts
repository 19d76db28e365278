/**
 * No secret reaches a log line. A full run on the real stack — pipeline, API, gateway and the
 * on-call process (notifications to webhook and Slack-style receivers) — logs at debug level
 * through the service logger (core/logger.ts createServiceLogger); the run uses every secret:
 * keys (plain and digest-configured), gateway tokens by query string and header, a receiver
 * written through the API, and wrong keys and tokens. Then every line is grepped for every one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createServiceLogger, type Logger } from '../../core/logger.ts';
import { digestForm } from '../../core/secrets.ts';
import { startApi } from '../../api/index.ts';
import { startGateway } from '../../gateway/index.ts';
import { startOncall } from '../../oncall/runtime.ts';
import { startPipeline, type PipelineHandle } from '../../pipeline/runtime/pipeline.ts';
import { createKafka } from '../../pipeline/kafka/client.ts';
import { createTestEnv, incidentPublisher, startHttpReceiver, testAlert, testIncident, waitFor, type HttpReceiver, type TestEnv } from '../support/index.ts';

const SECRETS = {
  ingestKey: 'redaction-ingest-key-0123456789',
  operatorKey: 'redaction-operator-key-0123456789', // configured as its digest
  scrapeKey: 'redaction-scrape-key-0123456789',
  gatewayToken: 'redaction-gateway-token-0123456789',
  hashedToken: 'redaction-hashed-token-0123456789', // configured as its digest
  webhookSecret: 'redaction-webhook-hmac-secret-01',
  slackPath: '/services/TREDACT/BREDACT/redactionSlackToken01',
  apiReceiverSecret: 'redaction-api-receiver-secret-01', // written through PUT /receivers
  wrongKey: 'redaction-wrong-key-presented-01',
  wrongToken: 'redaction-wrong-token-presented-1',
};

let env: TestEnv;
let receiver: HttpReceiver;
let pipeline: PipelineHandle;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let api: Awaited<ReturnType<typeof startApi>>;
let oncall: Awaited<ReturnType<typeof startOncall>>;
const lines: string[] = [];

beforeAll(async () => {
  receiver = await startHttpReceiver();
  env = await createTestEnv('log-redaction', {
    overrides: {
      api: {
        port: 0,
        apiKeys: [
          { key: SECRETS.ingestKey, roles: ['ingest'], name: 'loader' },
          { key: digestForm(SECRETS.operatorKey), roles: ['read', 'operate'], name: 'operator' },
          { key: SECRETS.scrapeKey, roles: ['metrics'], name: 'prometheus' },
        ],
      },
      gateway: { port: 0, tokens: [SECRETS.gatewayToken, digestForm(SECRETS.hashedToken)] },
      pipeline: { windowSize: 100, workerThreads: 1 },
      notify: {
        receivers: [
          { type: 'webhook', name: 'hook', url: `${receiver.url}/hook`, secret: SECRETS.webhookSecret, timeoutMs: 1000 },
          { type: 'slack', name: 'chat', url: `${receiver.url}${SECRETS.slackPath}`, timeoutMs: 1000 },
        ],
        route: { receiver: 'hook', routes: [{ matchers: ['source="svc-chat"'], receiver: 'chat' }] },
        groupWaitMs: 200,
        groupIntervalMs: 1000,
        tickMs: 50,
      },
    },
  });
  // Debug for the processes under test only (the test env's own logger stays at warn).
  const logger: Logger = createServiceLogger({ ...env.config, logLevel: 'debug' }, { test: 'log-redaction' }, { write: (s: string) => void lines.push(s) });
  // What an operator chasing a problem might add: the whole effective config in one line.
  logger.info({ config: env.config }, 'effective config');
  pipeline = await startPipeline(env.config, logger);
  [gateway, api, oncall] = await Promise.all([startGateway(env.config, logger), startApi(env.config, logger), startOncall(env.config, logger, { skipSetup: true })]);
}, 120_000);

afterAll(async () => {
  await oncall?.close();
  await api?.close();
  await gateway?.close();
  await pipeline?.stop();
  await env?.cleanup();
  await receiver?.close();
});

const call = (path: string, key: string | null, init: RequestInit = {}) =>
  fetch(`${api.url}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}), ...(init.headers as Record<string, string>) } });

async function openSocket(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; frames: Array<{ type: string; channel?: string }> } | number> {
  const ws = new WebSocket(url, { headers });
  const frames: Array<{ type: string; channel?: string }> = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d))));
  return new Promise((resolve) => {
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(0));
  });
}

describe('logs of a full run', () => {
  it('hold none of the secrets configured, presented or written through the API', async () => {
    const ws = `ws://127.0.0.1:${gateway.port}/ws?channels=alerts,anomalies&source=svc-redact`;
    const byQuery = await openSocket(`${ws}&token=${SECRETS.gatewayToken}`);
    const byHeader = await openSocket(ws, { authorization: `Bearer ${SECRETS.hashedToken}` });
    expect(typeof byQuery).toBe('object');
    expect(typeof byHeader).toBe('object');
    expect(await openSocket(`${ws}&token=${SECRETS.wrongToken}`)).toBe(401);
    expect(await openSocket(ws, { authorization: `Bearer ${SECRETS.wrongToken}` })).toBe(401);

    expect((await call('/api/v1/alerts', SECRETS.wrongKey)).status).toBe(401);
    expect((await call('/api/v1/alerts', null, { headers: { authorization: `Bearer ${SECRETS.wrongKey}` } })).status).toBe(401);
    expect((await call('/api/v1/alerts', digestForm(SECRETS.operatorKey))).status).toBe(401);
    expect((await call('/metrics', null, { headers: { authorization: `Bearer ${SECRETS.scrapeKey}` } })).status).toBe(200);
    const put = await call('/api/v1/receivers/ops-api', SECRETS.operatorKey, {
      method: 'PUT',
      body: JSON.stringify({ type: 'webhook', url: `${receiver.url}/api-hook`, secret: SECRETS.apiReceiverSecret }),
    });
    expect(put.status).toBe(201);

    const now = Date.now();
    const points = Array.from({ length: 200 }, (_, step) => ({
      source: 'svc-redact',
      metric: 'queue_size',
      value: step >= 150 && step < 153 ? 400 : 50 + ((step * 7) % 5),
      timestamp: now - 300_000 + step * 1000,
    }));
    expect((await call('/api/v1/metrics', SECRETS.ingestKey, { method: 'POST', body: JSON.stringify({ points }) })).status).toBe(202);

    // The flow ran end to end: the alert reached both subscribers and both receivers.
    for (const s of [byQuery, byHeader]) {
      if (typeof s === 'number') throw new Error('socket not open');
      await waitFor(() => s.frames.some((f) => f.type === 'event' && f.channel === 'alerts'), 60_000, { message: 'alert event on the socket' });
      s.ws.close();
    }
    // Incidents straight onto the incidents topic, one per receiver (the notifier's input).
    const publisher = await incidentPublisher(createKafka(env.config, env.logger), env.topics.incidents, `${env.config.kafka.topicPrefix}redaction-incidents`);
    try {
      await publisher.publish(testIncident('svc-hook', 1, [testAlert('svc-hook')]), testIncident('svc-chat', 1, [testAlert('svc-chat')]));
    } finally {
      await publisher.close();
    }
    await waitFor(() => receiver.on('/hook').length > 0 && receiver.on(SECRETS.slackPath).length > 0, 60_000, { message: 'notifications at both receivers' });
    const signed = receiver.on('/hook')[0];
    expect(signed.headers['x-vigil-signature']).toBeTruthy();

    // Logs are real and plentiful: JSON, from every component, with request lines.
    await new Promise((r) => setTimeout(r, 500));
    expect(lines.length).toBeGreaterThan(50);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const text = lines.join('');
    for (const msg of ['API listening', 'gateway listening', 'rejected WebSocket upgrade: bad or missing token', 'incoming request']) expect(text).toContain(msg);
    expect(parsed.some((p) => (p.req as { url?: string } | undefined)?.url === '/api/v1/metrics')).toBe(true);

    const leaks = Object.entries(SECRETS).flatMap(([name, secret]) => lines.filter((l) => l.includes(secret)).map((l) => `${name}: ${l.slice(0, 300)}`));
    expect(leaks).toEqual([]);
  }, 150_000);
});
