/**
 * The request mix of fault 7 (issue #12): every route family, each request a template with the
 * answers it may get while its dependencies are up, and whether its answer needs ClickHouse
 * (then, while ClickHouse is unavailable, it may instead be a 503 naming ClickHouse). Sent with
 * node:http (fetch refuses TRACE and cannot send a lying or chunked body as it is).
 */
import http from 'node:http';

export const ABUSE_KEYS = {
  read: 'abuse-read-key-0123456789',
  operate: 'abuse-operate-key-0123456789',
  ingest: 'abuse-ingest-key-0123456789',
  metrics: 'abuse-metrics-key-0123456789',
} as const;

/** config.api.apiKeys for the keys above. */
export const ABUSE_API_KEYS = [
  { key: ABUSE_KEYS.read, roles: ['read'], name: 'reader' },
  { key: ABUSE_KEYS.operate, roles: ['read', 'operate'], name: 'operator' },
  { key: ABUSE_KEYS.ingest, roles: ['ingest'], name: 'ingester' },
  { key: ABUSE_KEYS.metrics, roles: ['metrics'], name: 'scraper' },
];

/** The test's api.bodyLimit: oversized bodies are a little over it. */
export const ABUSE_BODY_LIMIT = 256 * 1024;

export type RequestClass =
  | 'valid read'
  | 'valid write'
  | 'invalid JSON'
  | 'wrong types'
  | 'bad enum'
  | 'lone surrogate / bad UTF-8'
  | 'huge query string'
  | 'oversized body'
  | 'wrong content type'
  | 'missing / wrong key or role'
  | 'path traversal'
  | 'SQL-looking filter'
  | 'wrong method';

export interface AbuseRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Sent with Transfer-Encoding: chunked (no Content-Length: the limit must hold while reading). */
  chunked?: boolean;
}

export interface Template {
  name: string;
  cls: RequestClass;
  /** Its normal answer comes from ClickHouse (the handler queries it). */
  needsClickHouse: boolean;
  /** Statuses it may get while every dependency is up. */
  ok: number[];
  make(i: number): AbuseRequest;
}

const json = { 'content-type': 'application/json' };
const key = (k: keyof typeof ABUSE_KEYS) => ({ 'x-api-key': ABUSE_KEYS[k] });
const read = key('read');
const enc = encodeURIComponent;

function get(name: string, path: string | ((i: number) => string), o: { cls?: RequestClass; ch?: boolean; ok?: number[]; headers?: Record<string, string> } = {}): Template {
  return {
    name,
    cls: o.cls ?? 'valid read',
    needsClickHouse: o.ch ?? false,
    ok: o.ok ?? [200],
    make: (i) => ({ method: 'GET', path: typeof path === 'string' ? path : path(i), headers: o.headers ?? read }),
  };
}

function send(name: string, cls: RequestClass, method: string, path: string | ((i: number) => string), body: (i: number) => string | Buffer, o: { ok: number[]; headers?: Record<string, string>; ch?: boolean; chunked?: boolean }): Template {
  return {
    name,
    cls,
    needsClickHouse: o.ch ?? false,
    ok: o.ok,
    make: (i) => ({ method, path: typeof path === 'string' ? path : path(i), headers: { ...json, ...(o.headers ?? {}) }, body: body(i), chunked: o.chunked }),
  };
}

const op = key('operate');
const ingest = key('ingest');
// Writes touch only what the load never uses (metric abuse_only, source abuse-none): the run's
// anomalies and alert transitions must stay those of the reference.
const rule = (severity: string) => JSON.stringify({ kind: 'anomaly', metric: 'abuse_only', minScore: 0.5, severity });
const bigPoints = () => JSON.stringify({ points: [{ source: 'abuse', metric: 'm', value: 1, tags: { pad: 'x'.repeat(ABUSE_BODY_LIMIT) } }] });

export const TEMPLATES: Template[] = [
  get('GET /alerts', '/api/v1/alerts?limit=20', { ch: true }),
  get('GET /alerts filtered', '/api/v1/alerts?status=firing&severity=high&sort=opened_at', { ch: true }),
  get('GET /anomalies', '/api/v1/anomalies?limit=50', { ch: true }),
  get('GET /incidents', '/api/v1/incidents', { ch: true }),
  get('GET /sla', '/api/v1/sla', { ch: true }),
  get('GET /live-metrics', '/api/v1/live-metrics', { ch: true }),
  get('GET /dashboard-stats', '/api/v1/dashboard-stats', { ch: true }),
  get('GET /series/points', (i) => `/api/v1/series/points?source=source-${(i % 4) + 1}&metric=response_time`, { ch: true }),
  get('GET /notifications', '/api/v1/notifications', { ch: true }),
  get('GET /alerts/:id unknown', (i) => `/api/v1/alerts/nope-${i}`, { ch: true, ok: [404] }),
  get('GET /rules', '/api/v1/rules'),
  get('GET /rules/:id', '/api/v1/rules/default.cpu_usage'),
  get('GET /sla/definitions', '/api/v1/sla/definitions'),
  get('GET /silences', '/api/v1/silences'),
  get('GET /receivers', '/api/v1/receivers'),
  get('GET /client-config', '/api/v1/client-config', { headers: {} }),
  get('GET /openapi.json', '/api/v1/openapi.json', { headers: {} }),
  get('GET /metrics (metrics key)', '/metrics', { headers: key('metrics') }),
  // The health of every dependency: 200 normally; while one is down 503 saying which (checked apart).
  get('GET /health', '/api/v1/health', { headers: {} }),

  send('PUT /rules/:id', 'valid write', 'PUT', (i) => `/api/v1/rules/abuse.r${i % 8}`, () => rule('low'), { ok: [200, 201], headers: op }),
  send('PUT /sla/definitions/:id', 'valid write', 'PUT', (i) => `/api/v1/sla/definitions/abuse.s${i % 4}`, () => JSON.stringify({ metric: 'abuse_only', comparator: 'lt', threshold: 1, objective: 0.9 }), { ok: [200, 201], headers: op }),
  send('POST /silences', 'valid write', 'POST', '/api/v1/silences', (i) => JSON.stringify({ matchers: [{ name: 'source', op: '=', value: 'abuse-none' }], endsAt: new Date(Date.now() + 3_600_000).toISOString(), comment: `abuse ${i}` }), { ok: [201], headers: op }),
  { name: 'DELETE /rules/:id', cls: 'valid write', needsClickHouse: false, ok: [200, 404], make: (i) => ({ method: 'DELETE', path: `/api/v1/rules/abuse.r${(i + 3) % 8}`, headers: op }) },
  send('POST /alerts/:id/acknowledge unknown', 'valid write', 'POST', (i) => `/api/v1/alerts/nope-${i}/acknowledge`, () => '{}', { ok: [404], headers: op, ch: true }),

  send('POST /metrics cut JSON', 'invalid JSON', 'POST', '/api/v1/metrics', () => '{"source":', { ok: [400], headers: ingest }),
  send('PUT /rules/:id bare word', 'invalid JSON', 'PUT', '/api/v1/rules/abuse.x', () => '{"kind": anomaly}', { ok: [400], headers: op }),
  send('POST /silences trailing comma', 'invalid JSON', 'POST', '/api/v1/silences', () => '{"matchers":[],}', { ok: [400], headers: op }),

  send('POST /metrics wrong types', 'wrong types', 'POST', '/api/v1/metrics', () => JSON.stringify({ source: 1, metric: [], value: 'x' }), { ok: [400], headers: ingest }),
  send('POST /metrics points not an array', 'wrong types', 'POST', '/api/v1/metrics', () => JSON.stringify({ points: { a: 1 } }), { ok: [400], headers: ingest }),
  send('PUT /sla/definitions/:id wrong types', 'wrong types', 'PUT', '/api/v1/sla/definitions/abuse.t', () => JSON.stringify({ metric: 5, comparator: 'lt', threshold: 'high', objective: true }), { ok: [400], headers: op }),
  get('GET /alerts?limit=abc', '/api/v1/alerts?limit=abc', { cls: 'wrong types', ok: [400] }),
  get('GET /series/points?from=yesterday', '/api/v1/series/points?source=a&metric=b&from=yesterday', { cls: 'wrong types', ok: [400] }),

  get('GET /alerts?status=nope', '/api/v1/alerts?status=nope', { cls: 'bad enum', ok: [400] }),
  get('GET /anomalies?type=bogus', '/api/v1/anomalies?type=bogus', { cls: 'bad enum', ok: [400] }),
  send('PUT /rules/:id severity urgent', 'bad enum', 'PUT', '/api/v1/rules/abuse.e', () => rule('urgent'), { ok: [400], headers: op }),

  send('POST /metrics lone surrogate', 'lone surrogate / bad UTF-8', 'POST', '/api/v1/metrics', () => '{"source":"\\ud800","metric":"m","value":1}', { ok: [400], headers: ingest }),
  send('POST /metrics invalid UTF-8', 'lone surrogate / bad UTF-8', 'POST', '/api/v1/metrics', () => Buffer.from('{"source":"\xc3(","metric":"m","value":1}', 'latin1'), { ok: [400], headers: ingest }),
  get('GET /alerts?source=<encoded surrogate>', '/api/v1/alerts?source=%ED%A0%80', { cls: 'lone surrogate / bad UTF-8', ok: [400] }),

  get('GET /alerts?source=<8 kB>', `/api/v1/alerts?source=${'a'.repeat(8000)}`, { cls: 'huge query string', ok: [400] }),
  get('GET /anomalies?metric=<40 kB>', `/api/v1/anomalies?metric=${'b'.repeat(40_000)}`, { cls: 'huge query string', ok: [431] }),

  send('POST /metrics over bodyLimit', 'oversized body', 'POST', '/api/v1/metrics', bigPoints, { ok: [413], headers: ingest }),
  send('POST /metrics over bodyLimit, chunked', 'oversized body', 'POST', '/api/v1/metrics', bigPoints, { ok: [413], headers: ingest, chunked: true }),

  send('POST /metrics text/plain', 'wrong content type', 'POST', '/api/v1/metrics', () => 'source=a&metric=b&value=1', { ok: [400, 415], headers: { ...ingest, 'content-type': 'text/plain' } }),
  send('POST /metrics application/xml', 'wrong content type', 'POST', '/api/v1/metrics', () => '<point/>', { ok: [415], headers: { ...ingest, 'content-type': 'application/xml' } }),
  { name: 'PUT /rules/:id no content type', cls: 'wrong content type', needsClickHouse: false, ok: [415], make: () => ({ method: 'PUT', path: '/api/v1/rules/abuse.c', headers: op, body: rule('low') }) },

  get('GET /alerts no key', '/api/v1/alerts', { cls: 'missing / wrong key or role', ok: [401], headers: {} }),
  get('GET /alerts wrong key', '/api/v1/alerts', { cls: 'missing / wrong key or role', ok: [401], headers: { authorization: 'Bearer not-a-key-0123456789' } }),
  get('GET /alerts ingest key', '/api/v1/alerts', { cls: 'missing / wrong key or role', ok: [403], headers: ingest }),
  get('GET /metrics read key', '/metrics', { cls: 'missing / wrong key or role', ok: [403] }),
  send('POST /metrics read key', 'missing / wrong key or role', 'POST', '/api/v1/metrics', () => JSON.stringify({ source: 'a', metric: 'b', value: 1 }), { ok: [403], headers: read }),
  send('PUT /rules/:id read key', 'missing / wrong key or role', 'PUT', '/api/v1/rules/abuse.k', () => rule('low'), { ok: [403], headers: read }),

  get('GET /alerts/<../../etc/passwd>', `/api/v1/alerts/${enc('../../etc/passwd')}`, { cls: 'path traversal', ok: [400] }),
  get('GET /rules/%2e%2e', '/api/v1/rules/%2e%2e', { cls: 'path traversal', ok: [400] }),
  get('GET /api/v1/../../etc/passwd', '/api/v1/../../etc/passwd', { cls: 'path traversal', ok: [404] }),
  get('GET /..%2f..%2fetc%2fpasswd', '/..%2f..%2fetc%2fpasswd', { cls: 'path traversal', ok: [403, 404, 405], headers: {} }),
  get('GET /notifications/<..\\..\\win.ini>', `/api/v1/notifications/${enc('..\\..\\win.ini')}`, { cls: 'path traversal', ok: [400, 404], ch: true }),

  get("GET /alerts?source=' OR 1=1 --", `/api/v1/alerts?source=${enc("' OR 1=1 --")}`, { cls: 'SQL-looking filter', ch: true }),
  get('GET /anomalies?metric=x\'); DROP TABLE points; --', `/api/v1/anomalies?metric=${enc("x'); DROP TABLE points; --")}`, { cls: 'SQL-looking filter', ch: true }),
  get('GET /series/points?source=a\' OR \'1\'=\'1', `/api/v1/series/points?source=${enc("a' OR '1'='1")}&metric=${enc('b\\')}`, { cls: 'SQL-looking filter', ch: true }),

  { name: 'TRACE /alerts', cls: 'wrong method', needsClickHouse: false, ok: [405], make: () => ({ method: 'TRACE', path: '/api/v1/alerts', headers: read }) },
  { name: 'DELETE /alerts', cls: 'wrong method', needsClickHouse: false, ok: [405], make: () => ({ method: 'DELETE', path: '/api/v1/alerts', headers: op }) },
];

export interface Answer {
  /** -1: no HTTP answer (connection reset or closed before the status line). */
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  error?: string;
}

/** One request on `agent`; resolves with the answer or, without one, status -1 and the error. */
export function sendRequest(agent: http.Agent, base: URL, r: AbuseRequest, timeoutMs = 60_000): Promise<Answer> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...(r.headers ?? {}) };
    if (r.body !== undefined && !r.chunked) headers['content-length'] = Buffer.byteLength(r.body);
    if (r.chunked) headers['transfer-encoding'] = 'chunked';
    const req = http.request({ agent, host: base.hostname, port: base.port, method: r.method, path: r.path, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? -1, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => resolve({ status: res.statusCode ?? -1, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ status: -1, headers: {}, body: '', error: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim() }));
    if (r.body !== undefined) {
      if (r.chunked) {
        // Several chunks, so the server sees the body grow past the limit while reading it.
        const b = Buffer.from(r.body);
        for (let o = 0; o < b.length; o += 64 * 1024) req.write(b.subarray(o, o + 64 * 1024));
      } else req.write(r.body);
    }
    req.end();
  });
}

/** Why a 4xx/5xx answer is not the error envelope with a clear message, or null when it is. */
export function envelopeProblem(a: Answer): string | null {
  let body: { error?: unknown; message?: unknown; statusCode?: unknown };
  try {
    body = JSON.parse(a.body) as typeof body;
  } catch {
    return `not JSON: ${a.body.slice(0, 120)}`;
  }
  if (typeof body.message !== 'string' || body.message.length < 8) return `no clear message: ${a.body.slice(0, 120)}`;
  if (body.statusCode !== a.status) return `statusCode ${String(body.statusCode)} in a ${a.status} answer`;
  if (typeof body.error !== 'string') return 'no error field';
  return null;
}
