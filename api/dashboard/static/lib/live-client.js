// The gateway WebSocket: connect, keep alive, reconnect with backoff and resume from the
// last event seen. Everything environmental (WebSocket, timers, clock) is injected, so the
// state machine runs unchanged under unit tests.
import { createBackoff, DEFAULT_BACKOFF } from './backoff.js';

export const LIVE_CHANNELS = ['alerts', 'anomalies', 'live'];

/** Ids the gateway issues look like `<gatewayId>.<seq>`; anything else is not sent back. */
const EVENT_ID = /^[A-Za-z0-9._:-]{1,80}$/;

/**
 * The subscription URL. `base` is the gateway URL from /client-config (path included); its
 * existing query is kept. A wildcard bind address (0.0.0.0, ::) is replaced by `pageHost`,
 * the host the page itself was loaded from. The token is not part of it (see socketProtocols).
 */
export function buildSocketUrl(base, { channels = LIVE_CHANNELS, minSeverity, lastEventId, pageHost } = {}) {
  const url = new URL(base);
  if (pageHost && (url.hostname === '0.0.0.0' || url.hostname === '[::]' || url.hostname === '::')) url.hostname = pageHost;
  url.searchParams.set('channels', channels.join(','));
  if (minSeverity) url.searchParams.set('minSeverity', minSeverity);
  if (lastEventId && EVENT_ID.test(lastEventId)) url.searchParams.set('lastEventId', lastEventId);
  return url.toString();
}

/**
 * The WebSocket sub-protocols that carry `token` (browsers cannot set Authorization on a
 * WebSocket, and a query string lands in proxy and access logs): "vigil" and
 * "base64url.bearer.vigil.<base64url of the UTF-8 token, no padding>" (gateway/admission.ts).
 */
export function socketProtocols(token) {
  if (!token) return [];
  let binary = '';
  for (const byte of new TextEncoder().encode(token)) binary += String.fromCharCode(byte);
  const b64url = btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return ['vigil', `base64url.bearer.vigil.${b64url}`];
}

/** Parse one server frame; null for anything that is not a JSON object with a string type. */
export function parseServerFrame(text) {
  if (typeof text !== 'string') return null;
  let frame;
  try {
    frame = JSON.parse(text);
  } catch {
    return null;
  }
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame) || typeof frame.type !== 'string') return null;
  return frame;
}

/**
 * @typedef {'connecting' | 'connected' | 'reconnecting' | 'offline'} LiveStatus
 * @param {object} o
 * @param {() => string | Promise<string>} o.resolveUrl  gateway base URL (may fetch /client-config)
 * @param {(url: string, protocols: string[]) => WebSocket} o.openSocket
 * @param {(channel: string, data: unknown, id: string) => void} o.onEvent
 * @param {(status: LiveStatus, detail: object) => void} [o.onStatus]
 * @param {(frame: object) => void} [o.onGap]  events were missed: reload REST state
 * @param {(frame: object) => void} [o.onServerError]
 */
export function createLiveClient(o) {
  const {
    resolveUrl,
    openSocket,
    onEvent,
    onStatus = () => {},
    onGap = () => {},
    onServerError = () => {},
    channels = LIVE_CHANNELS,
    minSeverity,
    getToken = () => null,
    pageHost,
    backoff = DEFAULT_BACKOFF,
    random = Math.random,
    // Wrapped: browsers throw "Illegal invocation" when these run with another `this`.
    timers = {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h),
      setInterval: (fn, ms) => setInterval(fn, ms),
      clearInterval: (h) => clearInterval(h),
    },
    now = () => Date.now(),
    pingIntervalMs = 25_000,
    // No frame at all (pong included) for this long: the connection is dead but not closed.
    staleAfterMs = 60_000,
    // After this many failed attempts in a row the indicator says offline (retries go on).
    offlineAfterFailures = 4,
  } = o;

  const delays = createBackoff(backoff, random);
  let socket = null;
  let status = null;
  let stopped = true;
  let failures = 0;
  let lastEventId = null;
  let gatewayId = null;
  let lastFrameAt = 0;
  let retryTimer = null;
  let pingTimer = null;
  let generation = 0; // frames from an abandoned socket are ignored

  function setStatus(next, detail = {}) {
    if (next === status && !detail.force) return;
    status = next;
    onStatus(next, { failures, lastEventId, ...detail });
  }

  function rememberId(id) {
    if (typeof id === 'string' && EVENT_ID.test(id)) lastEventId = id;
  }

  function handleFrame(frame) {
    lastFrameAt = now();
    switch (frame.type) {
      case 'hello':
        gatewayId = typeof frame.gatewayId === 'string' ? frame.gatewayId : null;
        // A fresh subscriber is positioned at the gateway's head; resuming keeps our own id
        // until replayed events move it forward.
        if (!lastEventId) rememberId(frame.lastEventId);
        failures = 0;
        delays.reset();
        setStatus('connected', { gatewayId });
        break;
      case 'event':
        rememberId(frame.id);
        if (status !== 'connected') setStatus('connected', { gatewayId });
        if (typeof frame.channel === 'string' && frame.data !== undefined) onEvent(frame.channel, frame.data, frame.id);
        break;
      case 'replayed':
        rememberId(frame.lastEventId);
        break;
      case 'replay-gap':
        // Our position is unknown to this gateway: continue from its head, refetch the rest.
        rememberId(frame.lastEventId);
        onGap(frame);
        break;
      case 'error':
        onServerError(frame);
        break;
      default:
        break; // pong, subscribed, and frame types added later
    }
  }

  function clearTimers() {
    if (retryTimer !== null) timers.clearTimeout(retryTimer);
    if (pingTimer !== null) timers.clearInterval(pingTimer);
    retryTimer = null;
    pingTimer = null;
  }

  function detach(ws) {
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close();
    } catch {
      // already closed
    }
  }

  function scheduleReconnect(reason) {
    clearTimers();
    detach(socket);
    socket = null;
    if (stopped) return;
    failures += 1;
    const delay = delays.next();
    setStatus(failures >= offlineAfterFailures ? 'offline' : 'reconnecting', { reason, retryInMs: delay, force: true });
    retryTimer = timers.setTimeout(() => {
      retryTimer = null;
      void connect();
    }, delay);
  }

  async function connect() {
    if (stopped) return;
    const mine = ++generation;
    let url;
    let protocols;
    try {
      const base = await resolveUrl();
      if (stopped || mine !== generation) return;
      url = buildSocketUrl(base, { channels, minSeverity, lastEventId, pageHost });
      protocols = socketProtocols(getToken());
    } catch (cause) {
      if (mine === generation) scheduleReconnect(`no gateway address: ${cause && cause.message ? cause.message : cause}`);
      return;
    }
    let ws;
    try {
      ws = openSocket(url, protocols);
    } catch (cause) {
      scheduleReconnect(`cannot open socket: ${cause && cause.message ? cause.message : cause}`);
      return;
    }
    socket = ws;
    lastFrameAt = now();
    ws.onmessage = (message) => {
      if (mine !== generation) return;
      const frame = parseServerFrame(typeof message.data === 'string' ? message.data : null);
      if (frame) handleFrame(frame);
    };
    ws.onclose = (event) => {
      if (mine !== generation) return;
      scheduleReconnect(`closed${event && event.code ? ` (${event.code})` : ''}`);
    };
    ws.onerror = () => {
      // A close event always follows; reconnecting happens there.
    };
    pingTimer = timers.setInterval(() => {
      if (mine !== generation || !socket) return;
      if (now() - lastFrameAt > staleAfterMs) {
        generation++;
        scheduleReconnect('no frames from the gateway');
        return;
      }
      try {
        socket.send(JSON.stringify({ type: 'ping' }));
      } catch {
        // the close handler takes it from here
      }
    }, pingIntervalMs);
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      failures = 0;
      delays.reset();
      setStatus(lastEventId ? 'reconnecting' : 'connecting');
      void connect();
    },
    stop() {
      stopped = true;
      generation++;
      clearTimers();
      detach(socket);
      socket = null;
      setStatus('offline', { reason: 'stopped' });
    },
    /** Skip the remaining backoff (the browser came back online, the user clicked retry). */
    reconnectNow() {
      if (stopped) return;
      if (status === 'connected') return;
      generation++;
      clearTimers();
      detach(socket);
      socket = null;
      delays.reset();
      setStatus('reconnecting', { reason: 'retry requested', force: true });
      void connect();
    },
    get status() {
      return status;
    },
    get lastEventId() {
      return lastEventId;
    },
    get gatewayId() {
      return gatewayId;
    },
  };
}
