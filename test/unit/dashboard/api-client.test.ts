import { describe, expect, it } from 'vitest';
import { ApiError, buildQuery, createApiClient, pathOf } from '../../../api/dashboard/static/lib/api-client.js';

interface Call {
  url: string;
  init: RequestInit;
}

function fakeFetch(respond: (url: string) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetchImpl = async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return respond(url);
  };
  return { calls, fetchImpl };
}

describe('buildQuery', () => {
  it('skips empty values and comma-joins lists', () => {
    expect(buildQuery({ status: ['firing', 'acknowledged'], severity: [], source: '', metric: undefined, limit: 50 })).toBe('?status=firing%2Cacknowledged&limit=50');
    expect(buildQuery({})).toBe('');
  });
  it('encodes hostile values instead of splicing them', () => {
    const q = buildQuery({ source: "x'&limit=1#; DROP TABLE alerts" });
    expect(new URLSearchParams(q.slice(1)).get('source')).toBe("x'&limit=1#; DROP TABLE alerts");
    expect(new URLSearchParams(q.slice(1)).get('limit')).toBeNull();
  });
});

describe('pathOf', () => {
  it('encodes each segment so an id cannot change the route', () => {
    expect(pathOf('alerts', '../health?x=1', 'acknowledge')).toBe('alerts/..%2Fhealth%3Fx%3D1/acknowledge');
  });
});

describe('createApiClient', () => {
  it('sends the stored key as x-api-key and parses JSON', async () => {
    const { calls, fetchImpl } = fakeFetch(() => new Response(JSON.stringify({ items: [], nextCursor: null }), { status: 200 }));
    const api = createApiClient({ fetchImpl, getApiKey: () => 'k'.repeat(20) });
    expect(await api.get('alerts', { status: ['firing'] })).toEqual({ items: [], nextCursor: null });
    expect(calls[0].url).toBe('/api/v1/alerts?status=firing');
    expect((calls[0].init.headers as Record<string, string>)['x-api-key']).toBe('k'.repeat(20));
  });
  it('sends no key header when none is stored', async () => {
    const { calls, fetchImpl } = fakeFetch(() => new Response('{}', { status: 200 }));
    await createApiClient({ fetchImpl }).get('health');
    expect(calls[0].init.headers).not.toHaveProperty('x-api-key');
  });
  it('turns a 401 into an ApiError with the status and the API message', async () => {
    const { fetchImpl } = fakeFetch(
      () => new Response(JSON.stringify({ error: 'Unauthorized', message: 'missing x-api-key header', statusCode: 401 }), { status: 401 }),
    );
    const err = await createApiClient({ fetchImpl }).get('alerts').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect((err as ApiError).message).toBe('missing x-api-key header');
  });
  it('gives a readable error for non-JSON failures and network errors', async () => {
    const html = fakeFetch(() => new Response('<html>bad gateway</html>', { status: 502 }));
    const e1 = (await createApiClient({ fetchImpl: html.fetchImpl }).get('sla').catch((e: unknown) => e)) as ApiError;
    expect(e1.status).toBe(502);
    expect(e1.message).toBe('request failed with HTTP 502');
    const down = fakeFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    const e2 = (await createApiClient({ fetchImpl: down.fetchImpl }).get('sla').catch((e: unknown) => e)) as ApiError;
    expect(e2.status).toBe(0);
    expect(e2.message).toBe('the API is unreachable');
  });
  it('times out a request that never answers', async () => {
    const fetchImpl = (_url: string, init: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
      });
    const err = (await createApiClient({ fetchImpl, timeoutMs: 20 }).get('health').catch((e: unknown) => e)) as ApiError;
    expect(err.message).toBe('no answer from the API within 20 ms');
  });
  it('posts JSON and returns the status with the body', async () => {
    const { calls, fetchImpl } = fakeFetch(() => new Response(JSON.stringify({ commandId: 'c', status: 'pending', message: 'm' }), { status: 202 }));
    const res = await createApiClient({ fetchImpl }).post('alerts/a1/acknowledge', {});
    expect(res).toEqual({ status: 202, body: { commandId: 'c', status: 'pending', message: 'm' } });
    expect(calls[0].init.method).toBe('POST');
    expect(calls[0].init.body).toBe('{}');
    expect((calls[0].init.headers as Record<string, string>)['content-type']).toBe('application/json');
  });
});
