/**
 * Who may open a gateway WebSocket, on a real gateway (native uWebSockets.js, loopback, real
 * Kafka behind it): the per-address connection limit, the handshake rate (bad tokens included),
 * the Origin rule and the token as a sub-protocol. Each limit gets a gateway of its own so the
 * budgets of one test do not leak into another.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VigilConfig } from '../../core/config.ts';
import { tokenProtocol } from '../../gateway/admission.ts';
import { startGateway, type RunningGateway } from '../../gateway/index.ts';
import { createTestEnv, waitFor, type TestEnv } from '../support/index.ts';

const TOKEN = 'admission-test-token-0123456789';

let env: TestEnv;
const started: RunningGateway[] = [];

async function gatewayWith(overrides: Partial<VigilConfig['gateway']>): Promise<RunningGateway> {
  const g = await startGateway({ ...env.config, gateway: { ...env.config.gateway, ...overrides } }, env.logger, { ensureTopics: started.length === 0 });
  started.push(g);
  return g;
}

type Outcome =
  | { open: true; ws: WebSocket; protocol: string; hello: Record<string, unknown> }
  | { open: false; status: number; headers: Record<string, string | string[] | undefined>; body: { error: { code: string; message: string } } };

/** One upgrade: the open socket (after hello) or the refusal with its status, headers and JSON body. */
function attempt(g: RunningGateway, options: { query?: string; headers?: Record<string, string>; protocols?: string[] } = {}): Promise<Outcome> {
  const ws = new WebSocket(`ws://127.0.0.1:${g.port}/ws${options.query ? `?${options.query}` : ''}`, options.protocols ?? [], { headers: options.headers });
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve({ open: true, ws, protocol: ws.protocol, hello: JSON.parse(data.toString()) }));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        ws.terminate();
        try {
          resolve({ open: false, status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) });
        } catch (err) {
          reject(new Error(`refusal body is not JSON: ${JSON.stringify(text)}`, { cause: err }));
        }
      });
    });
    ws.once('error', (err) => reject(err));
  });
}

function closeAll(outcomes: Outcome[]): Promise<void[]> {
  return Promise.all(
    outcomes.map(
      (o) =>
        new Promise<void>((resolve) => {
          if (!o.open || o.ws.readyState === WebSocket.CLOSED) return resolve();
          o.ws.once('close', () => resolve());
          o.ws.close();
        }),
    ),
  );
}

async function metric(g: RunningGateway, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${g.port}/metrics`)).text();
  const m = new RegExp(`^vigil_gateway_${name} (\\d+)$`, 'm').exec(text);
  if (!m) throw new Error(`no vigil_gateway_${name} in /metrics`);
  return Number(m[1]);
}

beforeAll(async () => {
  env = await createTestEnv('gateway-admission', { partitions: 1, migrations: false, overrides: { gateway: { port: 0, tokens: [TOKEN] } } });
});

afterAll(async () => {
  for (const g of started) await g.close();
  await env?.cleanup();
});

describe('per-address connection limit', () => {
  it('refuses the N+1th connection from one address with 429 and a reason, and admits again after a close', async () => {
    const g = await gatewayWith({ maxConnectionsPerIp: 5, handshakeRate: { perSecond: 1000, burst: 1000 } });
    const open: Outcome[] = [];
    for (let i = 0; i < 5; i++) open.push(await attempt(g, { query: `token=${TOKEN}` }));
    expect(open.every((o) => o.open)).toBe(true);
    const sixth = await attempt(g, { query: `token=${TOKEN}` });
    expect(sixth.open).toBe(false);
    if (sixth.open) return;
    expect(sixth.status).toBe(429);
    expect(sixth.body.error.code).toBe('too-many-connections');
    expect(sixth.body.error.message).toMatch(/already holds 5 connections \(gateway\.maxConnectionsPerIp\)/);
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await metric(g, 'connection_limited_total')).toBe(1);
    // A close frees a place (the count follows uWS's close callback).
    await closeAll(open.slice(0, 1));
    const again = await waitFor(async () => {
      const o = await attempt(g, { query: `token=${TOKEN}` });
      if (o.open) return o;
      return undefined;
    }, 10_000, { message: 'a place after one close' });
    await closeAll([...open.slice(1), again]);
    await waitFor(() => g.server.getStats().connections === 0, 10_000, { message: 'all closed' });
  });
});

describe('handshake rate', () => {
  it('allows the burst, then 429 with Retry-After; bad-token upgrades spend the budget too', async () => {
    const g = await gatewayWith({ handshakeRate: { perSecond: 0.1, burst: 10 } });
    const outcomes: Outcome[] = [];
    // Ten bad tokens: 401 each, and they use up the whole burst (refilling one takes 10 s).
    for (let i = 0; i < 10; i++) outcomes.push(await attempt(g, { query: 'token=wrong-token-0123456789' }));
    expect(outcomes.map((o) => (o.open ? 'open' : o.status))).toEqual(Array(10).fill(401));
    // Now even the right token waits.
    const limited = await attempt(g, { query: `token=${TOKEN}` });
    expect(limited.open).toBe(false);
    if (limited.open) return;
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate-limited');
    expect(limited.body.error.message).toMatch(/more than 0\.1 upgrades\/s \(burst 10\) from 127\.0\.0\.1; retry after \d+ s/);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(10);
    expect(await metric(g, 'rate_limited_total')).toBe(1);
    expect(await metric(g, 'auth_failures_total')).toBe(10);
    // After Retry-After the bucket holds a token again.
    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 200));
    const later = await attempt(g, { query: `token=${TOKEN}` });
    expect(later.open).toBe(true);
    await closeAll([later]);
  });

  it('a burst of 200 upgrades from one address gets exactly `burst` through (no timing margin needed: the rate is tiny)', async () => {
    const g = await gatewayWith({ handshakeRate: { perSecond: 0.01, burst: 25 } });
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => attempt(g, { query: 'token=wrong-token-0123456789' })));
    const statuses = outcomes.map((o) => (o.open ? 101 : o.status));
    expect(statuses.filter((s) => s === 401)).toHaveLength(25);
    expect(statuses.filter((s) => s === 429)).toHaveLength(175);
    expect((await fetch(`http://127.0.0.1:${g.port}/health`)).status).toBe(200);
  });
});

describe('Origin', () => {
  it('default: the page must be on the host name the gateway is reached under; no Origin (non-browser) passes', async () => {
    const g = await gatewayWith({ handshakeRate: { perSecond: 1000, burst: 1000 } });
    const sameHost = await attempt(g, { query: `token=${TOKEN}`, headers: { Origin: 'http://127.0.0.1:8080' } });
    const noOrigin = await attempt(g, { query: `token=${TOKEN}` });
    expect(sameHost.open && noOrigin.open).toBe(true);
    const foreign = await attempt(g, { query: `token=${TOKEN}`, headers: { Origin: 'https://evil.example' } });
    expect(foreign.open).toBe(false);
    if (foreign.open) return;
    expect(foreign.status).toBe(403);
    expect(foreign.body.error).toEqual({ code: 'origin-not-allowed', message: `Origin "https://evil.example" is not on the gateway's host name; list it in gateway.allowedOrigins to allow it` });
    // The Origin is checked before the token: a foreign page learns nothing about tokens.
    const foreignNoToken = await attempt(g, { headers: { Origin: 'http://localhost.evil.example' } });
    expect(foreignNoToken.open === false && foreignNoToken.status).toBe(403);
    expect(await metric(g, 'origin_refused_total')).toBe(2);
    await closeAll([sameHost, noOrigin]);
  });

  it('a configured list is exact', async () => {
    const g = await gatewayWith({ allowedOrigins: ['https://ops.example.com'], handshakeRate: { perSecond: 1000, burst: 1000 } });
    const listed = await attempt(g, { query: `token=${TOKEN}`, headers: { Origin: 'https://ops.example.com' } });
    expect(listed.open).toBe(true);
    const sameHost = await attempt(g, { query: `token=${TOKEN}`, headers: { Origin: 'http://127.0.0.1:8080' } });
    expect(sameHost.open === false && sameHost.status).toBe(403);
    await closeAll([listed]);
  });
});

describe('token as a sub-protocol', () => {
  it('accepts `vigil, base64url.bearer.vigil.<token>` and answers `vigil`; refuses a wrong or malformed one', async () => {
    const g = await gatewayWith({ handshakeRate: { perSecond: 1000, burst: 1000 } });
    const ok = await attempt(g, { query: 'channels=alerts', protocols: ['vigil', tokenProtocol(TOKEN)] });
    expect(ok.open).toBe(true);
    if (!ok.open) return;
    expect(ok.protocol).toBe('vigil');
    expect(ok.hello).toMatchObject({ type: 'hello', gatewayId: g.gatewayId });
    const wrong = await attempt(g, { protocols: ['vigil', tokenProtocol('wrong-token-0123456789')] });
    expect(wrong.open === false && wrong.status).toBe(401);
    const withoutVigil = await attempt(g, { protocols: [tokenProtocol(TOKEN)] });
    expect(withoutVigil.open).toBe(false);
    if (withoutVigil.open) return;
    expect(withoutVigil.status).toBe(400);
    expect(withoutVigil.body.error.code).toBe('invalid-protocol');
    expect(withoutVigil.body.error.message).toMatch(/needs the "vigil" sub-protocol beside it/);
    const notBase64 = await attempt(g, { protocols: ['vigil', 'base64url.bearer.vigil._w'] });
    expect(notBase64.open === false && notBase64.status).toBe(400);
    // A plain client that names only "vigil" with the token in the header is answered "vigil" too.
    const header = await attempt(g, { protocols: ['vigil'], headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(header.open && header.protocol).toBe('vigil');
    await closeAll([ok, header]);
  });
});
