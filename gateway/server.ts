/**
 * The uWebSockets.js app: WebSocket subscribers on /ws, GET /health and GET /metrics.
 *
 * Fan-out goes through uWS topics (see filters.ts). Back-pressure is bounded twice over:
 * uWS `maxBackpressure` is the hard per-socket cap, and the publisher never hands uWS more than
 * a quarter of it per event-loop turn, then sweeps every socket and closes those above half of
 * it with 4008 "too slow". A socket is therefore closed before uWS would ever silently drop a
 * message for it, so a client that resumes from its last event id misses nothing.
 */
import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_listen_socket, us_socket_context_t } from 'uWebSockets.js';
import type { Logger } from '../core/logger.ts';
import { secretMatcher, type SecretMatcher } from '../core/secrets.ts';
import { ConnectionCounter, HandshakeLimiter, checkOrigin, upgradeCredentials, type RateSpec } from './admission.ts';
import {
  buildFilter,
  describeSubscriptions,
  matchesSubscriptions,
  parseSubscriptionQuery,
  topicsForEvent,
  topicsForFilter,
  type Channel,
  type ChannelFilter,
  type EventRouting,
  type Subscriptions,
} from './filters.ts';
import type { GatewayEvent } from './events.ts';
import type { UwsModule } from './native.ts';
import {
  CLOSE_CODES,
  MAX_BAD_MESSAGES,
  MAX_CLIENT_MESSAGE_BYTES,
  UWS_MAX_PAYLOAD_BYTES,
  errorFrame,
  eventFrame,
  helloFrame,
  parseClientMessage,
  pongFrame,
  replayDoneFrame,
  replayGapFrame,
  subscribedFrame,
  type ClientMessage,
} from './protocol.ts';
import { ReplayBuffer, formatEventId, planResume } from './replay-buffer.ts';

export interface GatewayServerOptions {
  uws: UwsModule;
  host: string;
  port: number;
  tokens: string[];
  maxBackpressureBytes: number;
  replayBufferSize: number;
  idleTimeoutSec: number;
  gatewayId: string;
  logger: Logger;
  /** Extra health facts from the event source (Kafka consumer state). */
  sourceHealth?: () => { healthy: boolean; [key: string]: unknown };
  /** Events waiting to be published before `whenWritable` makes the source wait. */
  maxQueuedEvents?: number;
  /** Who may connect (gateway.maxConnectionsPerIp, handshakeRate, allowedOrigins; see admission.ts). */
  admission: { maxConnectionsPerIp: number; handshakeRate: RateSpec; allowedOrigins: readonly string[] };
}

interface BufferedEvent {
  routing: EventRouting;
  frame: string;
}

interface ConnectionState {
  id: number;
  remote: string;
  /** The subscriptions the client asked for (during a replay: the ones to activate after it). */
  subs: Subscriptions;
  /** Set while the socket catches up from the replay buffer; it holds no topics meanwhile. */
  replay: { cursor: number; sent: number } | null;
  badMessages: number;
  open: boolean;
}

interface UserData {
  state: ConnectionState;
  query: ReturnType<typeof parseSubscriptionQuery> & { ok: true };
}

export interface GatewayStats {
  connections: number;
  connectionsTotal: number;
  eventsIn: number;
  eventsPublished: number;
  deliveries: number;
  replayedEvents: number;
  droppedSlowConsumers: number;
  protocolErrors: number;
  authFailures: number;
  /** Upgrades refused with 429: over the handshake rate or the per-address connection limit. */
  rateLimited: number;
  connectionLimited: number;
  /** Upgrades refused with 403 for their Origin. */
  originRefused: number;
  /** Connections closed with 1009 for a frame over MAX_CLIENT_MESSAGE_BYTES. */
  oversizedFrames: number;
  queuedEvents: number;
}

function textOf(buf: ArrayBuffer): string {
  return Buffer.from(buf).toString('utf8');
}

export class GatewayServer {
  private readonly app: TemplatedApp;
  private readonly buffer: ReplayBuffer<BufferedEvent>;
  private readonly sockets = new Set<WebSocket<UserData>>();
  private readonly queue: GatewayEvent[] = [];
  private readonly tokens: SecretMatcher<true>;
  private readonly handshakes: HandshakeLimiter;
  private readonly perAddress: ConnectionCounter;
  private readonly log: Logger;
  /** Frame bytes handed to uWS per event-loop turn, and the sweep threshold. */
  private readonly turnBudgetBytes: number;
  private readonly slowThresholdBytes: number;
  private readonly maxQueuedEvents: number;
  private listenSocket: us_listen_socket | null = null;
  private turnTimer: NodeJS.Timeout | null = null;
  private writableWaiters: Array<() => void> = [];
  private nextConnectionId = 1;
  private closed = false;
  private readonly startedAt = Date.now();
  private readonly stats: Omit<GatewayStats, 'connections' | 'queuedEvents'> = {
    connectionsTotal: 0,
    eventsIn: 0,
    eventsPublished: 0,
    deliveries: 0,
    replayedEvents: 0,
    droppedSlowConsumers: 0,
    protocolErrors: 0,
    authFailures: 0,
    rateLimited: 0,
    connectionLimited: 0,
    originRefused: 0,
    oversizedFrames: 0,
  };

  constructor(private readonly options: GatewayServerOptions) {
    this.log = options.logger.child({ component: 'gateway', gatewayId: options.gatewayId });
    this.buffer = new ReplayBuffer<BufferedEvent>(options.replayBufferSize);
    this.tokens = secretMatcher(options.tokens.map((secret) => ({ secret, value: true as const })));
    this.turnBudgetBytes = Math.max(1024, Math.floor(options.maxBackpressureBytes / 4));
    this.slowThresholdBytes = Math.floor(options.maxBackpressureBytes / 2);
    this.maxQueuedEvents = options.maxQueuedEvents ?? 10_000;
    this.handshakes = new HandshakeLimiter(options.admission.handshakeRate);
    this.perAddress = new ConnectionCounter(options.admission.maxConnectionsPerIp);
    this.app = options.uws.App();
    this.app
      .ws<UserData>('/ws', {
        // uWS drops a socket whose frame passes maxPayloadLength without a close frame (1006), so
        // it gets a far larger limit and we close over-long messages ourselves with 1009.
        maxPayloadLength: UWS_MAX_PAYLOAD_BYTES,
        maxBackpressure: options.maxBackpressureBytes,
        // We close slow sockets ourselves with a code the client can act on (4008).
        closeOnBackpressureLimit: 0,
        idleTimeout: options.idleTimeoutSec,
        sendPingsAutomatically: true,
        compression: options.uws.DISABLED,
        upgrade: (res, req, context) => this.onUpgrade(res, req, context),
        open: (ws) => this.onOpen(ws),
        message: (ws, message, isBinary) => this.onMessage(ws, message, isBinary),
        drain: (ws) => this.onDrain(ws),
        close: (ws, code) => this.onClose(ws, code),
      })
      .get('/health', (res) => this.onHealth(res))
      .get('/metrics', (res) => this.onMetrics(res))
      .any('/*', (res) => {
        this.json(res, '404 Not Found', { error: { code: 'not-found', message: 'routes: /ws (WebSocket), GET /health, GET /metrics' } });
      });
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(this.options.host, this.options.port, (socket) => {
        if (!socket) {
          reject(new Error(`cannot listen on ${this.options.host}:${this.options.port}`));
          return;
        }
        this.listenSocket = socket;
        resolve(this.options.uws.us_socket_local_port(socket));
      });
    });
  }

  get gatewayId(): string {
    return this.options.gatewayId;
  }

  get lastEventId(): string {
    return formatEventId(this.options.gatewayId, this.buffer.latestSeq);
  }

  getStats(): GatewayStats {
    return { ...this.stats, connections: this.sockets.size, queuedEvents: this.queue.length };
  }

  /** Queue one event for fan-out. Pair with `whenWritable` to bound the queue. */
  publish(event: GatewayEvent): void {
    if (this.closed) return;
    this.stats.eventsIn += 1;
    this.queue.push(event);
    if (this.turnTimer === null) this.publishTurn();
  }

  /** Resolves once the publish queue has room (the source awaits this between batches). */
  whenWritable(): Promise<void> {
    if (this.queue.length < this.maxQueuedEvents || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.turnTimer) clearTimeout(this.turnTimer);
    this.turnTimer = null;
    if (this.listenSocket) this.options.uws.us_listen_socket_close(this.listenSocket);
    this.listenSocket = null;
    for (const ws of [...this.sockets]) ws.end(CLOSE_CODES.goingAway, 'gateway shutting down');
    this.sockets.clear();
    for (const wake of this.writableWaiters.splice(0)) wake();
  }

  // Publishing

  private publishTurn(): void {
    let bytes = 0;
    let published = 0;
    while (this.queue.length > 0 && bytes < this.turnBudgetBytes) {
      const event = this.queue.shift()!;
      bytes += this.publishNow(event);
      published += 1;
    }
    if (this.writableWaiters.length > 0 && this.queue.length < this.maxQueuedEvents / 2) {
      for (const wake of this.writableWaiters.splice(0)) wake();
    }
    if (published > 0 || this.queue.length > 0) {
      // A timer callback runs after the loop turn in which uWS drains topic messages into the
      // sockets, so the sweep sees their real buffered amounts.
      this.turnTimer = setTimeout(() => {
        this.turnTimer = null;
        this.sweepSlowSockets();
        if (this.queue.length > 0) this.publishTurn();
      }, 0);
    }
  }

  private publishNow(event: GatewayEvent): number {
    const seq = this.buffer.latestSeq + 1;
    const id = formatEventId(this.options.gatewayId, seq);
    const severity = event.routing.channel === 'live' ? null : event.routing.severity;
    const frame = eventFrame(event.routing.channel, id, severity, event.data);
    this.buffer.append({ routing: event.routing, frame });
    for (const topic of topicsForEvent(event.routing)) {
      const subscribers = this.app.numSubscribers(topic);
      if (subscribers === 0) continue;
      this.stats.deliveries += subscribers;
      this.app.publish(topic, frame, false, false);
    }
    this.stats.eventsPublished += 1;
    return frame.length;
  }

  private sweepSlowSockets(): void {
    for (const ws of this.sockets) {
      const buffered = ws.getBufferedAmount();
      if (buffered > this.slowThresholdBytes) this.dropSlow(ws, buffered);
    }
  }

  private dropSlow(ws: WebSocket<UserData>, buffered: number): void {
    const { state } = ws.getUserData();
    this.stats.droppedSlowConsumers += 1;
    this.log.warn({ connection: state.id, remote: state.remote, bufferedBytes: buffered, limitBytes: this.slowThresholdBytes }, 'closing slow subscriber (4008 too slow)');
    ws.end(CLOSE_CODES.tooSlow, 'too slow');
  }

  // Connections

  private tokenAccepted(token: string | null): boolean {
    if (!this.tokens.enabled) return true;
    return token !== null && this.tokens.match(token) === true;
  }

  private onUpgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
    // req is only valid synchronously: read everything first.
    const key = req.getHeader('sec-websocket-key');
    const protocolHeader = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    const authorization = req.getHeader('authorization');
    const origin = req.getHeader('origin');
    const host = req.getHeader('host');
    const rawQuery = req.getQuery() ?? '';
    const remote = textOf(res.getRemoteAddressAsText());

    // Throttling first: every attempt costs a handshake, so guessing tokens is as slow as connecting.
    const retryAfter = this.handshakes.take(remote, Date.now());
    if (retryAfter > 0) {
      this.stats.rateLimited += 1;
      this.refuse(res, '429 Too Many Requests', 'rate-limited', `more than ${this.options.admission.handshakeRate.perSecond} upgrades/s (burst ${this.options.admission.handshakeRate.burst}) from ${remote}; retry after ${retryAfter} s`, retryAfter);
      return;
    }
    if (!this.perAddress.admits(remote)) {
      this.stats.connectionLimited += 1;
      this.refuse(res, '429 Too Many Requests', 'too-many-connections', `${remote} already holds ${this.options.admission.maxConnectionsPerIp} connections (gateway.maxConnectionsPerIp); close one or share a connection`, 1);
      return;
    }
    const originVerdict = checkOrigin(origin, host, this.options.admission.allowedOrigins);
    if (!originVerdict.ok) {
      this.stats.originRefused += 1;
      this.log.info({ remote, origin: origin.slice(0, 200) }, 'rejected WebSocket upgrade: Origin not allowed');
      this.refuse(res, '403 Forbidden', 'origin-not-allowed', originVerdict.reason);
      return;
    }
    // Auth comes before the subscription query (401 before any 400).
    const credentials = upgradeCredentials(authorization, protocolHeader, new URLSearchParams(rawQuery).getAll('token'));
    if (!credentials.ok) {
      this.stats.protocolErrors += 1;
      this.refuse(res, '400 Bad Request', 'invalid-protocol', credentials.reason);
      return;
    }
    if (!this.tokenAccepted(credentials.token)) {
      this.stats.authFailures += 1;
      this.log.info({ remote, tokenGiven: credentials.token !== null, tokenSource: credentials.source }, 'rejected WebSocket upgrade: bad or missing token');
      res.cork(() => {
        res
          .writeStatus('401 Unauthorized')
          .writeHeader('WWW-Authenticate', 'Bearer realm="vigil-gateway"')
          .writeHeader('Content-Type', 'application/json')
          .end(JSON.stringify({ error: { code: 'unauthorized', message: 'pass a gateway token as Authorization: Bearer, the sub-protocol base64url.bearer.vigil.<base64url token> beside "vigil", or ?token=' } }), true);
      });
      return;
    }
    const query = parseSubscriptionQuery(rawQuery);
    if (!query.ok) {
      this.stats.protocolErrors += 1;
      this.json(res, '400 Bad Request', { error: { code: query.code, message: query.message } }, true);
      return;
    }
    const state: ConnectionState = { id: this.nextConnectionId++, remote, subs: new Map(), replay: null, badMessages: 0, open: false };
    res.upgrade<UserData>({ state, query }, key, credentials.protocol, extensions, context);
  }

  /** A refused upgrade: JSON reason, connection closed (a refused client gets no keep-alive). */
  private refuse(res: HttpResponse, status: string, code: string, message: string, retryAfterSec?: number): void {
    res.cork(() => {
      res.writeStatus(status).writeHeader('Content-Type', 'application/json').writeHeader('Cache-Control', 'no-store');
      if (retryAfterSec !== undefined) res.writeHeader('Retry-After', String(retryAfterSec));
      res.end(JSON.stringify({ error: { code, message } }), true);
    });
  }

  private onOpen(ws: WebSocket<UserData>): void {
    const { state, query } = ws.getUserData();
    if (this.closed) {
      ws.end(CLOSE_CODES.goingAway, 'gateway shutting down');
      return;
    }
    state.open = true;
    this.sockets.add(ws);
    this.perAddress.add(state.remote);
    this.stats.connectionsTotal += 1;
    this.log.debug({ connection: state.id, remote: state.remote }, 'subscriber connected');
    ws.cork(() => {
      ws.send(helloFrame(this.options.gatewayId, this.lastEventId, Date.now()), false);
      const { fields, filter, lastEventId } = query.value;
      if (fields.channels.length > 0) {
        const next = new Map(state.subs);
        for (const c of fields.channels) next.set(c, filter);
        this.applySubscriptions(ws, next, lastEventId);
      }
    });
  }

  private onClose(ws: WebSocket<UserData>, code: number): void {
    const { state } = ws.getUserData();
    // onOpen's early end (shutting down) closes a socket that was never counted.
    if (this.sockets.delete(ws)) this.perAddress.remove(state.remote);
    state.open = false;
    state.replay = null;
    this.log.debug({ connection: state.id, code }, 'subscriber disconnected');
  }

  private onMessage(ws: WebSocket<UserData>, message: ArrayBuffer, isBinary: boolean): void {
    const { state } = ws.getUserData();
    if (message.byteLength > MAX_CLIENT_MESSAGE_BYTES) {
      this.stats.protocolErrors += 1;
      this.stats.oversizedFrames += 1;
      this.log.info({ connection: state.id, remote: state.remote, bytes: message.byteLength }, 'closing subscriber after an oversized message (1009)');
      ws.end(CLOSE_CODES.messageTooBig, `message too large: ${message.byteLength} bytes, limit ${MAX_CLIENT_MESSAGE_BYTES}`);
      return;
    }
    const parsed = parseClientMessage(message, isBinary);
    if (!parsed.ok) {
      this.stats.protocolErrors += 1;
      state.badMessages += 1;
      if (state.badMessages >= MAX_BAD_MESSAGES) {
        this.log.info({ connection: state.id, remote: state.remote, lastError: parsed.error.code }, 'closing subscriber after repeated malformed messages');
        ws.end(CLOSE_CODES.policyViolation, 'too many malformed messages');
        return;
      }
      ws.send(errorFrame(parsed.error), false);
      return;
    }
    this.handle(ws, state, parsed.message);
  }

  private handle(ws: WebSocket<UserData>, state: ConnectionState, msg: ClientMessage): void {
    switch (msg.type) {
      case 'ping':
        ws.send(pongFrame(Date.now()), false);
        return;
      case 'subscribe': {
        const filter = buildFilter(msg);
        if (!filter.ok) {
          this.stats.protocolErrors += 1;
          this.sendError(ws, filter.code, filter.message);
          return;
        }
        if (msg.lastEventId !== undefined && state.replay) {
          this.sendError(ws, 'replay-in-progress', 'wait for the "replayed" frame before resuming again');
          return;
        }
        const next = new Map(state.subs);
        for (const c of msg.channels) next.set(c, filter.value);
        ws.cork(() => this.applySubscriptions(ws, next, msg.lastEventId ?? null));
        return;
      }
      case 'unsubscribe': {
        const next = new Map(state.subs);
        for (const c of msg.channels ?? [...next.keys()]) next.delete(c);
        ws.cork(() => this.applySubscriptions(ws, next, null));
        return;
      }
    }
  }

  /** Move the socket to `next` subscriptions, replaying from `lastEventId` when given. */
  private applySubscriptions(ws: WebSocket<UserData>, next: Subscriptions, lastEventId: string | null): void {
    const { state } = ws.getUserData();
    state.subs = next;
    ws.send(subscribedFrame(describeSubscriptions(next)), false);
    if (lastEventId !== null) {
      const plan = planResume(lastEventId, this.options.gatewayId, this.buffer);
      if (plan.kind === 'replay') {
        // Drop live topics: the replay catches up through the buffer, then re-subscribes
        // synchronously at its head, so nothing is missed or sent twice.
        for (const t of ws.getTopics()) ws.unsubscribe(t);
        state.replay = { cursor: plan.afterSeq, sent: 0 };
        this.continueReplay(ws);
        return;
      }
      if (plan.kind === 'invalid') {
        this.stats.protocolErrors += 1;
        this.sendError(ws, 'bad-last-event-id', `lastEventId ${JSON.stringify(plan.requested)} is not an event id of this gateway's format`);
      } else {
        ws.send(
          replayGapFrame({
            reason: plan.reason,
            requested: plan.requested,
            oldestEventId: formatEventId(this.options.gatewayId, this.buffer.oldestSeq - 1),
            lastEventId: this.lastEventId,
          }),
          false,
        );
      }
    }
    if (!state.replay) this.syncTopics(ws, next);
  }

  private syncTopics(ws: WebSocket<UserData>, subs: Subscriptions): void {
    const wanted = new Set<string>();
    for (const [channel, filter] of subs as Map<Channel, ChannelFilter>) for (const t of topicsForFilter(channel, filter)) wanted.add(t);
    for (const t of ws.getTopics()) if (!wanted.has(t)) ws.unsubscribe(t);
    for (const t of wanted) if (!ws.isSubscribed(t)) ws.subscribe(t);
  }

  /** Send buffered events after the cursor while the socket keeps up; resumes from `drain`. */
  private continueReplay(ws: WebSocket<UserData>): void {
    const { state } = ws.getUserData();
    const replay = state.replay;
    if (!replay || !state.open) return;
    const pause = this.slowThresholdBytes / 2;
    while (replay.cursor < this.buffer.latestSeq) {
      if (ws.getBufferedAmount() > pause) return; // drain() calls us again
      const seq = replay.cursor + 1;
      const entry = this.buffer.get(seq);
      if (entry === undefined) {
        // The ring overtook a replay that was too slow: tell the client, then go live.
        ws.send(
          replayGapFrame({
            reason: 'evicted',
            requested: formatEventId(this.options.gatewayId, replay.cursor),
            oldestEventId: formatEventId(this.options.gatewayId, this.buffer.oldestSeq - 1),
            lastEventId: this.lastEventId,
          }),
          false,
        );
        break;
      }
      replay.cursor = seq;
      if (matchesSubscriptions(entry.routing, state.subs)) {
        ws.send(entry.frame, false);
        replay.sent += 1;
        this.stats.replayedEvents += 1;
      }
    }
    state.replay = null;
    ws.send(replayDoneFrame(replay.sent, this.lastEventId), false);
    this.syncTopics(ws, state.subs);
  }

  private onDrain(ws: WebSocket<UserData>): void {
    if (ws.getUserData().state.replay) ws.cork(() => this.continueReplay(ws));
  }

  private sendError(ws: WebSocket<UserData>, code: string, message: string): void {
    ws.send(errorFrame({ code, message }), false);
  }

  // HTTP

  private json(res: HttpResponse, status: string, body: unknown, closeConnection = false): void {
    res.cork(() => {
      res.writeStatus(status).writeHeader('Content-Type', 'application/json').writeHeader('Cache-Control', 'no-store').end(JSON.stringify(body), closeConnection);
    });
  }

  healthReport(): { status: 'ok' | 'degraded'; body: Record<string, unknown> } {
    const source = this.options.sourceHealth?.() ?? { healthy: true };
    const { healthy, ...kafka } = source;
    return {
      status: healthy && !this.closed ? 'ok' : 'degraded',
      body: {
        status: healthy && !this.closed ? 'ok' : 'degraded',
        gatewayId: this.options.gatewayId,
        native: true,
        uptimeMs: Date.now() - this.startedAt,
        ...this.getStats(),
        lastEventId: this.lastEventId,
        replayBuffer: { capacity: this.buffer.capacity, size: this.buffer.size, oldestSeq: this.buffer.oldestSeq, latestSeq: this.buffer.latestSeq },
        limits: {
          maxBackpressureBytes: this.options.maxBackpressureBytes,
          slowThresholdBytes: this.slowThresholdBytes,
          maxClientMessageBytes: MAX_CLIENT_MESSAGE_BYTES,
          maxConnectionsPerIp: this.options.admission.maxConnectionsPerIp,
          handshakeRate: this.options.admission.handshakeRate,
        },
        kafka,
      },
    };
  }

  private onHealth(res: HttpResponse): void {
    const report = this.healthReport();
    this.json(res, report.status === 'ok' ? '200 OK' : '503 Service Unavailable', report.body);
  }

  private onMetrics(res: HttpResponse): void {
    const s = this.getStats();
    const healthy = this.healthReport().status === 'ok' ? 1 : 0;
    const lines: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, value: number) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
    };
    metric('vigil_gateway_connections', 'gauge', 'Open WebSocket connections.', s.connections);
    metric('vigil_gateway_connections_total', 'counter', 'WebSocket connections accepted.', s.connectionsTotal);
    metric('vigil_gateway_events_in_total', 'counter', 'Events received from Kafka.', s.eventsIn);
    metric('vigil_gateway_events_published_total', 'counter', 'Events published to subscribers.', s.eventsPublished);
    metric('vigil_gateway_deliveries_total', 'counter', 'Event frames handed to subscriber sockets.', s.deliveries);
    metric('vigil_gateway_replayed_events_total', 'counter', 'Events sent from the replay buffer.', s.replayedEvents);
    metric('vigil_gateway_slow_consumers_dropped_total', 'counter', 'Subscribers closed with 4008 (too slow).', s.droppedSlowConsumers);
    metric('vigil_gateway_protocol_errors_total', 'counter', 'Malformed client messages and upgrade queries.', s.protocolErrors);
    metric('vigil_gateway_auth_failures_total', 'counter', 'Upgrades rejected with 401.', s.authFailures);
    metric('vigil_gateway_rate_limited_total', 'counter', 'Upgrades rejected with 429: over gateway.handshakeRate for their address.', s.rateLimited);
    metric('vigil_gateway_connection_limited_total', 'counter', 'Upgrades rejected with 429: their address held gateway.maxConnectionsPerIp connections.', s.connectionLimited);
    metric('vigil_gateway_origin_refused_total', 'counter', 'Upgrades rejected with 403 for their Origin header.', s.originRefused);
    metric('vigil_gateway_oversized_frames_total', 'counter', 'Connections closed with 1009 (message over the size limit).', s.oversizedFrames);
    metric('vigil_gateway_queued_events', 'gauge', 'Events waiting to be published.', s.queuedEvents);
    metric('vigil_gateway_healthy', 'gauge', '1 when the gateway and its Kafka consumer are healthy.', healthy);
    const extra = this.options.sourceHealth?.();
    if (extra && typeof extra.decodeErrors === 'number') metric('vigil_gateway_decode_errors_total', 'counter', 'Kafka records that could not be decoded or validated.', extra.decodeErrors);
    res.cork(() => {
      res.writeStatus('200 OK').writeHeader('Content-Type', 'text/plain; version=0.0.4').end(`${lines.join('\n')}\n`);
    });
  }
}
