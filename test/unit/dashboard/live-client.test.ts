import { describe, expect, it } from 'vitest';
import { buildSocketUrl, createLiveClient, parseServerFrame, socketProtocols, type LiveStatus, type SocketLike } from '../../../api/dashboard/static/lib/live-client.js';
import { tokenProtocol, upgradeCredentials } from '../../../gateway/admission.ts';

describe('socketProtocols', () => {
  it('carries the token the way the gateway reads it (same encoding as gateway/admission.ts)', () => {
    for (const token of ['t0k&en=+/?, x', 'gateway-token-éü-€-𝄞-0123456789']) {
      const protocols = socketProtocols(token);
      expect(protocols).toEqual(['vigil', tokenProtocol(token)]);
      expect(upgradeCredentials('', protocols.join(', '), [])).toEqual({ ok: true, token, source: 'protocol', protocol: 'vigil' });
    }
    expect(socketProtocols(null)).toEqual([]);
    expect(socketProtocols('')).toEqual([]);
  });
});

describe('buildSocketUrl', () => {
  it('adds channels, severity and a valid lastEventId, never a token', () => {
    const url = new URL(buildSocketUrl('ws://127.0.0.1:8090/ws', { channels: ['alerts', 'live'], minSeverity: 'high', token: 't0k&en', lastEventId: 'abc123.42' } as never));
    expect(url.pathname).toBe('/ws');
    expect(url.searchParams.get('channels')).toBe('alerts,live');
    expect(url.searchParams.get('minSeverity')).toBe('high');
    expect(url.searchParams.get('token')).toBeNull();
    expect(url.searchParams.get('lastEventId')).toBe('abc123.42');
  });
  it('never forwards a lastEventId that is not an id', () => {
    const url = new URL(buildSocketUrl('ws://h:1/ws', { lastEventId: 'x&channels=live' }));
    expect(url.searchParams.get('lastEventId')).toBeNull();
    expect(url.searchParams.getAll('channels')).toEqual(['alerts,anomalies,live']);
  });
  it('replaces a wildcard bind address with the page host', () => {
    expect(new URL(buildSocketUrl('ws://0.0.0.0:8090/ws', { pageHost: 'vigil.example' })).host).toBe('vigil.example:8090');
    expect(new URL(buildSocketUrl('ws://10.0.0.1:8090/ws', { pageHost: 'vigil.example' })).host).toBe('10.0.0.1:8090');
  });
});

describe('parseServerFrame', () => {
  it('accepts JSON objects with a type and nothing else', () => {
    expect(parseServerFrame('{"type":"pong"}')).toEqual({ type: 'pong' });
    for (const bad of ['', 'nope', '[]', 'null', '{"type":3}', '{}', 42, null]) expect(parseServerFrame(bad)).toBeNull();
  });
});

/** A hand-driven socket and clock: the test decides when frames arrive and time passes. */
class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  sent: string[] = [];
  closed = false;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.closed = true;
  }
  frame(obj: unknown) {
    this.onmessage?.({ data: typeof obj === 'string' ? obj : JSON.stringify(obj) });
  }
  drop(code = 1006) {
    this.onclose?.({ code });
  }
}

function harness(options: { offlineAfterFailures?: number; staleAfterMs?: number } = {}) {
  let clock = 0;
  let nextHandle = 1;
  const pending = new Map<number, { at: number; fn: () => void; every?: number }>();
  const timers = {
    setTimeout: (fn: () => void, ms: number) => {
      const h = nextHandle++;
      pending.set(h, { at: clock + ms, fn });
      return h;
    },
    clearTimeout: (h: unknown) => void pending.delete(h as number),
    setInterval: (fn: () => void, ms: number) => {
      const h = nextHandle++;
      pending.set(h, { at: clock + ms, fn, every: ms });
      return h;
    },
    clearInterval: (h: unknown) => void pending.delete(h as number),
  };
  async function advance(ms: number) {
    const until = clock + ms;
    for (;;) {
      const due = [...pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      const [h, t] = due;
      clock = t.at;
      if (t.every) t.at += t.every;
      else pending.delete(h);
      t.fn();
      await flush();
    }
    clock = until;
  }
  const sockets: FakeSocket[] = [];
  const events: Array<[string, unknown, string]> = [];
  const statuses: LiveStatus[] = [];
  const gaps: unknown[] = [];
  const client = createLiveClient({
    resolveUrl: async () => 'ws://127.0.0.1:8090/ws',
    openSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    onEvent: (channel, data, id) => events.push([channel, data, id]),
    onStatus: (s) => statuses.push(s),
    onGap: (f) => gaps.push(f),
    backoff: { baseMs: 100, maxMs: 1000, factor: 2, jitter: 0 },
    timers,
    now: () => clock,
    pingIntervalMs: 1000,
    staleAfterMs: options.staleAfterMs ?? 5000,
    offlineAfterFailures: options.offlineAfterFailures ?? 3,
  });
  return { client, sockets, events, statuses, gaps, advance, last: () => sockets[sockets.length - 1] };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('createLiveClient', () => {
  it('connects, reports connected on hello and delivers events', async () => {
    const h = harness();
    h.client.start();
    await flush();
    expect(h.statuses).toEqual(['connecting']);
    expect(new URL(h.last().url).searchParams.get('lastEventId')).toBeNull();
    h.last().frame({ type: 'hello', gatewayId: 'gw0001', lastEventId: 'gw0001.7', serverTime: 1 });
    h.last().frame({ type: 'event', channel: 'alerts', id: 'gw0001.8', severity: 'high', data: { alertId: 'a' } });
    h.last().frame('garbage');
    expect(h.statuses).toEqual(['connecting', 'connected']);
    expect(h.events).toEqual([['alerts', { alertId: 'a' }, 'gw0001.8']]);
    expect(h.client.lastEventId).toBe('gw0001.8');
  });

  it('reconnects with growing backoff and resumes from the last event id', async () => {
    const h = harness();
    h.client.start();
    await flush();
    h.last().frame({ type: 'hello', gatewayId: 'gw0001', lastEventId: 'gw0001.0' });
    h.last().frame({ type: 'event', channel: 'live', id: 'gw0001.3', data: {} });
    h.last().drop();
    expect(h.statuses.at(-1)).toBe('reconnecting');
    await h.advance(99);
    expect(h.sockets).toHaveLength(1);
    await h.advance(1);
    expect(h.sockets).toHaveLength(2);
    expect(new URL(h.last().url).searchParams.get('lastEventId')).toBe('gw0001.3');
    h.last().drop(); // second failure: 200 ms
    await h.advance(199);
    expect(h.sockets).toHaveLength(2);
    await h.advance(1);
    expect(h.sockets).toHaveLength(3);
    h.last().drop(); // third failure: offline, still retrying
    expect(h.statuses.at(-1)).toBe('offline');
    await h.advance(400);
    expect(h.sockets).toHaveLength(4);
    h.last().frame({ type: 'hello', gatewayId: 'gw0001', lastEventId: 'gw0001.9' });
    expect(h.statuses.at(-1)).toBe('connected');
    // a hello does not move a resuming client past events it has not been replayed yet
    expect(h.client.lastEventId).toBe('gw0001.3');
    h.last().frame({ type: 'replayed', count: 6, lastEventId: 'gw0001.9' });
    expect(h.client.lastEventId).toBe('gw0001.9');
    h.last().drop(); // backoff was reset by the hello: 100 ms again
    await h.advance(100);
    expect(h.sockets).toHaveLength(5);
  });

  it('reports a replay gap and continues from the gateway head', async () => {
    const h = harness();
    h.client.start();
    await flush();
    h.last().frame({ type: 'hello', gatewayId: 'new001', lastEventId: 'new001.50' });
    h.last().frame({ type: 'replay-gap', reason: 'unknown-gateway', requested: 'old001.3', oldestEventId: 'new001.1', lastEventId: 'new001.50' });
    expect(h.gaps).toHaveLength(1);
    expect(h.client.lastEventId).toBe('new001.50');
  });

  it('pings while connected and reconnects when the gateway goes silent', async () => {
    const h = harness({ staleAfterMs: 2500 });
    h.client.start();
    await flush();
    const first = h.last();
    first.frame({ type: 'hello', gatewayId: 'gw0001', lastEventId: 'gw0001.0' });
    await h.advance(1000);
    expect(first.sent).toEqual(['{"type":"ping"}']);
    first.frame({ type: 'pong', serverTime: 1 }); // t = 1000
    await h.advance(2000); // t = 3000: 2000 ms since the pong, still alive
    expect(h.sockets).toHaveLength(1);
    await h.advance(1000); // t = 4000: stale
    expect(first.closed).toBe(true);
    expect(h.statuses.at(-1)).toBe('reconnecting');
    // late frames from the abandoned socket change nothing
    first.frame({ type: 'event', channel: 'live', id: 'gw0001.99', data: {} });
    expect(h.events).toHaveLength(0);
    await h.advance(100);
    expect(h.sockets).toHaveLength(2);
  });

  it('stops cleanly: no timers, no reconnects, offline', async () => {
    const h = harness();
    h.client.start();
    await flush();
    h.client.stop();
    expect(h.last().closed).toBe(true);
    expect(h.statuses.at(-1)).toBe('offline');
    await h.advance(60_000);
    expect(h.sockets).toHaveLength(1);
  });

  it('retries at once when asked, skipping the backoff', async () => {
    const h = harness();
    h.client.start();
    await flush();
    h.last().drop();
    h.client.reconnectNow();
    await flush();
    expect(h.sockets).toHaveLength(2);
  });
});
