/**
 * api/plugins/security-headers.ts and api/plugins/cors.ts on the real fastify app: headers on
 * every kind of response, the CSP's gateway source, CORS off by default, the allow-list and
 * preflights, hostile Origin and Host headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../core/config.ts';
import { VigilError } from '../../../core/errors.ts';
import { DefinitionSet } from '../../../pipeline/alerts/definitions.ts';
import type { ApiDeps } from '../../../api/deps.ts';
import { buildApi } from '../../../api/server.ts';
import { DOCS_CSP, dashboardCsp } from '../../../api/plugins/security-headers.ts';
import { preflightRefusal } from '../../../api/plugins/cors.ts';
import { memorySilenceStore } from '../../../oncall/silences/index.ts';
import { memoryReceiverStore } from '../../../oncall/notify/receiver-store.ts';

const KEY = 'headers-test-key-0123456789';
const ALLOWED = 'https://ops.example.com';

const deps: ApiDeps = {
  clickhouse: { async query<T>() { return [] as T[]; }, async ping() {} },
  metrics: { async send() {} },
  commands: { async issue() { return null; } },
  config: { ready: true, definitions: () => DefinitionSet.defaults(), async write() {} },
  silences: memorySilenceStore(),
  receivers: memoryReceiverStore(),
  kafka: { async ping() { return { brokers: 1 }; }, async consumerGroup(groupId) { return { groupId, state: 'Stable', members: 1, lag: 0 }; } },
};

function configWith(api: Record<string, unknown>, gateway: Record<string, unknown> = {}) {
  return loadConfig({ env: {}, overrides: { logLevel: 'silent', api: { apiKeys: [{ key: KEY, roles: ['read', 'operate', 'ingest', 'metrics'], name: 'all' }], ...api }, gateway } });
}

let closed: FastifyInstance;
let open: FastifyInstance;
let wildcard: FastifyInstance;
beforeAll(async () => {
  closed = await buildApi(configWith({}), deps);
  open = await buildApi(configWith({ corsOrigins: [ALLOWED, 'http://127.0.0.1:3000'] }), deps);
  wildcard = await buildApi(configWith({}, { host: '0.0.0.0', port: 8091 }), deps);
});
afterAll(async () => {
  await Promise.all([closed.close(), open.close(), wildcard.close()]);
});

const headersOf = (app: FastifyInstance, method: string, url: string, headers: Record<string, string> = {}) =>
  app.inject({ method: method as 'GET', url, headers: { 'x-api-key': KEY, ...headers } });

describe('security headers', () => {
  it.each([
    ['the dashboard page', 'GET', '/', 200],
    ['a dashboard script', 'GET', '/app.js', 200],
    ['an API answer', 'GET', '/api/v1/alerts', 200],
    ['a 401', 'GET', '/api/v1/alerts?nokey', 401],
    ['a 404', 'GET', '/api/v1/nothing-here', 404],
    ['a 405', 'TRACE' as string, '/api/v1/alerts', 405],
    ['a 400', 'GET', '/api/v1/alerts?limit=0', 400],
    ['the metrics', 'GET', '/metrics', 200],
    ['health', 'GET', '/api/v1/health', 200],
  ])('are on %s', async (_what, method, url, status) => {
    const res = url.endsWith('?nokey') ? await closed.inject({ method: 'GET', url }) : await headersOf(closed, method, url);
    expect(res.statusCode).toBe(status);
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'content-security-policy': dashboardCsp('ws://127.0.0.1:8090'),
    });
  });

  it("allow no inline script, no framing and only the gateway's WebSocket beside this origin", () => {
    const csp = dashboardCsp('ws://127.0.0.1:8090');
    const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives).toMatchObject({
      'default-src': "'none'",
      'script-src': "'self'",
      'style-src': "'self'",
      'connect-src': "'self' ws://127.0.0.1:8090",
      'frame-ancestors': "'none'",
      'object-src': "'none'",
      'base-uri': "'none'",
    });
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('give the docs UI inline styles but still no inline script', async () => {
    const res = await closed.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toBe(DOCS_CSP);
    expect(DOCS_CSP).toContain("script-src 'self';");
    expect(DOCS_CSP).toContain("frame-ancestors 'none'");
  });

  it('take the gateway host from a plain Host header when the gateway listens everywhere, and refuse a hostile one', async () => {
    const res = await wildcard.inject({ method: 'GET', url: '/', headers: { host: 'vigil.example:8080' } });
    expect(res.headers['content-security-policy']).toContain("connect-src 'self' ws://vigil.example:8091;");
    const cfg = await wildcard.inject({ method: 'GET', url: '/api/v1/client-config', headers: { host: 'vigil.example:8080', 'x-api-key': KEY } });
    expect(cfg.json().gatewayUrl).toBe('ws://vigil.example:8091/ws');
    for (const host of ["evil; script-src *", 'a b', "x'y", 'vigil.example/path']) {
      const hostile = await wildcard.inject({ method: 'GET', url: '/', headers: { host } });
      expect(hostile.headers['content-security-policy'], host).toBe(dashboardCsp(null));
      expect((await wildcard.inject({ method: 'GET', url: '/api/v1/client-config', headers: { host } })).statusCode, host).toBe(400);
    }
  });

  it('api.gatewayPublicUrl replaces the derived gateway URL in client-config and the CSP, whatever the Host header', async () => {
    const behindLb = await buildApi(configWith({ gatewayPublicUrl: 'wss://ops.example.com/vigil/ws' }, { host: '0.0.0.0', port: 8091 }), deps);
    try {
      for (const host of ['vigil.example:8080', 'a b', "evil; script-src *"]) {
        const cfg = await behindLb.inject({ method: 'GET', url: '/api/v1/client-config', headers: { host, 'x-api-key': KEY } });
        expect(cfg.statusCode, host).toBe(200);
        expect(cfg.json().gatewayUrl).toBe('wss://ops.example.com/vigil/ws');
        const page = await behindLb.inject({ method: 'GET', url: '/', headers: { host } });
        expect(page.headers['content-security-policy']).toBe(dashboardCsp('wss://ops.example.com'));
      }
    } finally {
      await behindLb.close();
    }
  });
});

describe('gateway URL settings', () => {
  const load = (env: Record<string, string>) => loadConfig({ env: { VIGIL_LOG_LEVEL: 'silent', ...env } }).api;

  it('default to null (derived as before), read VIGIL_API_GATEWAY_PUBLIC_URL / _HEALTH_URL, and take empty as unset', () => {
    expect(load({})).toMatchObject({ gatewayPublicUrl: null, gatewayHealthUrl: null });
    expect(load({ VIGIL_API_GATEWAY_PUBLIC_URL: '', VIGIL_API_GATEWAY_HEALTH_URL: '' })).toMatchObject({ gatewayPublicUrl: null, gatewayHealthUrl: null });
    expect(load({ VIGIL_API_GATEWAY_PUBLIC_URL: 'wss://ops.example.com/ws', VIGIL_API_GATEWAY_HEALTH_URL: 'https://vigil-gateway.vigil.svc:8090/health' })).toMatchObject({
      gatewayPublicUrl: 'wss://ops.example.com/ws',
      gatewayHealthUrl: 'https://vigil-gateway.vigil.svc:8090/health',
    });
    expect(load({ VIGIL_API_GATEWAY_PUBLIC_URL: 'ws://10.0.0.5:8090/ws' }).gatewayPublicUrl).toBe('ws://10.0.0.5:8090/ws');
  });

  it('refuse hostile or malformed values with what is wrong and an example', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['VIGIL_API_GATEWAY_PUBLIC_URL', 'javascript:alert(1)', /gatewayPublicUrl: .*must start with ws:\/\/ or wss:\/\/; give a full URL like wss:/],
      ['VIGIL_API_GATEWAY_PUBLIC_URL', 'https://ops.example.com/ws', /must start with ws:\/\/ or wss:\/\//],
      ['VIGIL_API_GATEWAY_PUBLIC_URL', 'ops.example.com/ws', /not an absolute URL .*missing ws:\/\/ or wss:\/\//],
      ['VIGIL_API_GATEWAY_PUBLIC_URL', 'wss:///ws', /has no host after the scheme/],
      ['VIGIL_API_GATEWAY_PUBLIC_URL', ' wss://ops.example.com/ws', /whitespace/],
      ['VIGIL_API_GATEWAY_PUBLIC_URL', 'wss://ops example.com/ws', /whitespace/],
      ['VIGIL_API_GATEWAY_PUBLIC_URL', 'wss://ops.example.com/ws\n', /whitespace or control/],
      ['VIGIL_API_GATEWAY_PUBLIC_URL', "wss://ops.example.com/ws?x=';script-src'", /query or fragment/],
      ['VIGIL_API_GATEWAY_PUBLIC_URL', `wss://ops.example.com/${'a'.repeat(3000)}`, /gatewayPublicUrl/],
      ['VIGIL_API_GATEWAY_HEALTH_URL', 'javascript:alert(1)', /gatewayHealthUrl: .*must start with http:\/\/ or https:\/\//],
      ['VIGIL_API_GATEWAY_HEALTH_URL', 'ws://vigil-gateway:8090/health', /must start with http:\/\/ or https:\/\//],
      ['VIGIL_API_GATEWAY_HEALTH_URL', 'vigil-gateway:8090/health', /gatewayHealthUrl: /],
      ['VIGIL_API_GATEWAY_HEALTH_URL', 'http://vigil-gateway :8090/health', /whitespace/],
    ];
    for (const [name, value, message] of cases) expect(() => load({ [name]: value }), `${name}=${value.slice(0, 60)}`).toThrow(message);
    // A password in the URL is refused without being repeated into the (logged) message.
    let error: unknown;
    try {
      load({ VIGIL_API_GATEWAY_HEALTH_URL: 'http://ops:hunter2@vigil-gateway:8090/health' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VigilError);
    expect((error as Error).message).toMatch(/must not carry a user name or password/);
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe('CORS', () => {
  it('sends no CORS header at all by default, whatever the Origin', async () => {
    for (const origin of [ALLOWED, 'null', 'http://127.0.0.1:8080', '*']) {
      const res = await headersOf(closed, 'GET', '/api/v1/alerts', { origin });
      expect(res.statusCode).toBe(200);
      expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
    const preflight = await closed.inject({ method: 'OPTIONS', url: '/api/v1/alerts', headers: { origin: ALLOWED, 'access-control-request-method': 'GET' } });
    expect(preflight.statusCode).toBe(403);
    expect(preflight.json().message).toMatch(/corsOrigins is empty/);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a listed origin with its own origin (never *), Vary: Origin, and the exposed headers', async () => {
    const res = await headersOf(open, 'GET', '/api/v1/alerts', { origin: ALLOWED });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers.vary).toMatch(/Origin/);
    expect(res.headers['access-control-expose-headers']).toContain('retry-after');
    // Refusals carry it too, so the page can read why.
    const refused = await open.inject({ method: 'GET', url: '/api/v1/alerts', headers: { origin: ALLOWED } });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(ALLOWED);
  });

  it.each([
    ['an unlisted origin', 'https://evil.example'],
    ['a listed origin with a path', `${ALLOWED}/`],
    ['another port', 'https://ops.example.com:8443'],
    ['another scheme', 'http://ops.example.com'],
    ['a suffix trick', 'https://ops.example.com.evil.example'],
    ['the null origin', 'null'],
    ['different case', 'https://OPS.example.com'],
  ])('gives %s nothing', async (_what, origin) => {
    const res = await headersOf(open, 'GET', '/api/v1/alerts', { origin });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers.vary).toMatch(/Origin/);
    const preflight = await open.inject({ method: 'OPTIONS', url: '/api/v1/alerts', headers: { origin, 'access-control-request-method': 'GET' } });
    expect(preflight.statusCode).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a preflight from a listed origin with 204, before auth and the 405 of OPTIONS', async () => {
    const res = await open.inject({
      method: 'OPTIONS',
      url: '/api/v1/alerts/a1/acknowledge',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'Content-Type, X-API-Key' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': ALLOWED,
      'access-control-allow-methods': 'GET, HEAD, POST, PUT, DELETE',
      'access-control-max-age': '600',
      'x-content-type-options': 'nosniff',
    });
    expect(res.headers['access-control-allow-headers']).toContain('x-api-key');
    // A plain OPTIONS (no preflight) is still the 405 it always was.
    expect((await open.inject({ method: 'OPTIONS', url: '/api/v1/alerts', headers: { origin: ALLOWED } })).statusCode).toBe(405);
  });

  it('refuses preflights for methods and headers the API does not take, saying which', async () => {
    const ask = (method: string, headers?: string) =>
      open.inject({ method: 'OPTIONS', url: '/api/v1/alerts', headers: { origin: ALLOWED, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) } });
    const patch = await ask('PATCH');
    expect(patch.statusCode).toBe(403);
    expect(patch.json().message).toMatch(/PATCH is not allowed/);
    const cookie = await ask('GET', 'x-api-key, cookie, x-evil');
    expect(cookie.statusCode).toBe(403);
    expect(cookie.json().message).toMatch(/cookie, x-evil/);
    expect(preflightRefusal('GET', '')).toBeNull();
    expect(preflightRefusal('TRACE', undefined)).toMatch(/TRACE/);
    expect(preflightRefusal('x'.repeat(10_000), undefined)!.length).toBeLessThan(200);
  });

  it('config refuses anything that is not an exact origin', () => {
    for (const bad of ['*', 'https://ops.example.com/', 'https://ops.example.com/path', 'ops.example.com', 'ftp://x.example', 'https://u:p@x.example', 'javascript:alert(1)', '']) {
      expect(() => configWith({ corsOrigins: [bad] }), bad).toThrow(VigilError);
    }
    expect(loadConfig({ env: { VIGIL_API_CORS_ORIGINS: 'https://a.example, http://127.0.0.1:3000' } }).api.corsOrigins).toEqual(['https://a.example', 'http://127.0.0.1:3000']);
  });
});
