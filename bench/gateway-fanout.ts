/**
 * WebSocket fan-out: the gateway's uWebSockets.js server vs. the `ws` library doing the same job.
 *
 *   npx tsx bench/gateway-fanout.ts [--subscribers 200,1000] [--rate 100] [--seconds 4] [--burst 1000]
 *
 * For each server and each subscriber count N, in the same run:
 *  - steady: `rate` events/s for `seconds` s, every subscriber matches every event;
 *    reports delivered messages/s and end-to-end latency (the time the event was due → client
 *    callback, CLOCK_MONOTONIC shared by both processes) p50/p99/max over 50 sampled
 *    subscribers, so falling behind the schedule counts as latency;
 *  - burst: `burst` events published as fast as the server accepts them; reports delivered
 *    messages/s from the first publish to the last frame received.
 * Servers: `uws` = gateway/server.ts (GatewayServer: topics, frame building, replay buffer,
 * slow-consumer sweep — everything but Kafka) and `ws` = a ws 8 WebSocketServer that builds the
 * same frames and loops over its clients with the same channel check and back-pressure limit.
 * Subscribers are `ws` clients in one child process, so they cost both servers the same.
 * Bounded: N <= 2000, rate <= 2000/s, seconds <= 10, burst <= 5000, phases time out, the
 * whole run is killed after 110 s. Loopback only.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { createLogger } from '../core/logger.ts';
import { eventFrame } from '../gateway/protocol.ts';
import { loadNativeUws } from '../gateway/native.ts';
import { GatewayServer } from '../gateway/server.ts';
import type { GatewayEvent } from '../gateway/events.ts';
import { emitResult, markdownTable, type BenchTable, type Headline } from './support/result.ts';

const HOST = '127.0.0.1';
const SAMPLED = 50;
const MAX_BACKPRESSURE = 1024 * 1024;
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

// ---------------------------------------------------------------------------------------------
// Client process: opens N subscribers, counts event frames, samples latency.

interface ClientSetup {
  url: string;
  n: number;
}
type ToClient = { cmd: 'report' } | { cmd: 'exit' };
interface ClientReport {
  received: number;
  lastAtUs: number;
  latenciesUs: number[];
  closedByServer: number;
}

async function clientMain(setup: ClientSetup): Promise<void> {
  let received = 0;
  let lastAtUs = 0;
  let closedByServer = 0;
  let latencies: number[] = [];
  const sockets: WebSocket[] = [];
  const open = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(setup.url, { perMessageDeflate: false, skipUTF8Validation: true });
      ws.binaryType = 'nodebuffer';
      const sampled = i < SAMPLED;
      ws.on('message', (data: Buffer) => {
        // `{"type":"event"` — count without parsing; sampled sockets read the send time.
        if (data[9] !== 0x65) return;
        received += 1;
        const t = nowUs();
        lastAtUs = t;
        if (sampled) {
          const m = /"sentAtUs":(\d+)/.exec(data.toString('latin1'));
          if (m) latencies.push(t - Number(m[1]));
        }
      });
      ws.on('close', () => {
        closedByServer += 1;
      });
      ws.once('open', () => resolve());
      ws.once('error', reject);
      sockets.push(ws);
    });
  for (let i = 0; i < setup.n; i += 50) await Promise.all(Array.from({ length: Math.min(50, setup.n - i) }, (_, k) => open(i + k)));
  process.send!({ ready: true });
  process.on('message', (msg: ToClient) => {
    if (msg.cmd === 'report') {
      const report: ClientReport = { received, lastAtUs, latenciesUs: latencies, closedByServer };
      process.send!(report);
      received = 0;
      latencies = [];
    } else {
      for (const ws of sockets) ws.terminate();
      process.exit(0);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Servers under test.

interface ServerUnderTest {
  name: string;
  port: number;
  path: string;
  publish(event: GatewayEvent): void;
  dropped(): number;
  close(): Promise<void>;
}

async function startUws(): Promise<ServerUnderTest> {
  const server = new GatewayServer({
    uws: loadNativeUws(),
    host: HOST,
    port: 0,
    tokens: [],
    maxBackpressureBytes: MAX_BACKPRESSURE,
    replayBufferSize: 10_000,
    idleTimeoutSec: 120,
    gatewayId: 'benchgateway',
    logger: createLogger('warn'),
    maxQueuedEvents: 1_000_000,
    // The bench opens all its subscribers from one address at once.
    admission: { maxConnectionsPerIp: 1_000_000, handshakeRate: { perSecond: 1_000_000, burst: 1_000_000 }, allowedOrigins: [] },
  });
  const port = await server.listen();
  return {
    name: 'uws (gateway)',
    port,
    path: '/ws?channels=live',
    publish: (e) => server.publish(e),
    dropped: () => server.getStats().droppedSlowConsumers,
    close: () => server.close(),
  };
}

async function startWsPeer(): Promise<ServerUnderTest> {
  const wss = new WebSocketServer({ host: HOST, port: 0, perMessageDeflate: false, maxPayload: 16 * 1024 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const channels = new WeakMap<WebSocket, Set<string>>();
  wss.on('connection', (ws) => channels.set(ws, new Set(['live'])));
  let seq = 0;
  let dropped = 0;
  return {
    name: 'ws (peer)',
    port: (wss.address() as { port: number }).port,
    path: '/',
    publish: (e) => {
      seq += 1;
      const frame = eventFrame(e.routing.channel, `benchpeer.${seq}`, null, e.data);
      for (const ws of wss.clients) {
        if (!channels.get(ws)?.has(e.routing.channel)) continue;
        if (ws.bufferedAmount > MAX_BACKPRESSURE / 2) {
          dropped += 1;
          ws.close(4008, 'too slow');
          continue;
        }
        ws.send(frame);
      }
    },
    dropped: () => dropped,
    close: () => new Promise<void>((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close(() => resolve());
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Driver.

/** `sentAtUs` is when the event was due, so a server that falls behind shows it as latency. */
function liveEvent(i: number, sentAtUs = nowUs()): GatewayEvent {
  return {
    routing: { channel: 'live', severity: 'info', source: 'bench-src', series: 'bench-src/cpu_usage' },
    data: { source: 'bench-src', metric: 'cpu_usage', timestamp: 1_700_000_000_000 + i, value: 50 + (i % 10), mean: 50, std: 3, zscore: 0.5, anomalyScore: 0.01, sentAtUs },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class ClientHandle {
  private waiting: ((m: unknown) => void) | null = null;
  constructor(readonly child: ChildProcess) {
    child.on('message', (m) => {
      const w = this.waiting;
      this.waiting = null;
      w?.(m);
    });
  }
  next<T>(timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('client process did not answer')), timeoutMs);
      this.waiting = (m) => {
        clearTimeout(timer);
        resolve(m as T);
      };
    });
  }
  async report(): Promise<ClientReport> {
    const p = this.next<ClientReport>(10_000);
    this.child.send({ cmd: 'report' });
    return p;
  }
}

/** Polls the client until `expected` frames arrived or `timeoutMs` passed. */
async function collect(client: ClientHandle, expected: number, timeoutMs: number): Promise<ClientReport> {
  const deadline = Date.now() + timeoutMs;
  const total: ClientReport = { received: 0, lastAtUs: 0, latenciesUs: [], closedByServer: 0 };
  for (;;) {
    const r = await client.report();
    total.received += r.received;
    total.lastAtUs = Math.max(total.lastAtUs, r.lastAtUs);
    total.latenciesUs.push(...r.latenciesUs);
    total.closedByServer = r.closedByServer;
    if (total.received >= expected || Date.now() > deadline) return total;
    await sleep(100);
  }
}

interface Row {
  server: string;
  subscribers: number;
  phase: string;
  events: number;
  expected: number;
  delivered: number;
  msgsPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  dropped: number;
}

async function runCase(start: () => Promise<ServerUnderTest>, n: number, rate: number, seconds: number, burst: number): Promise<Row[]> {
  const server = await start();
  const child = fork(fileURLToPath(import.meta.url), ['--client-role'], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_CLIENT: JSON.stringify({ url: `ws://${HOST}:${server.port}${server.path}`, n } satisfies ClientSetup) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const client = new ClientHandle(child);
  const rows: Row[] = [];
  try {
    await client.next(60_000); // ready
    await sleep(300);

    // Steady rate, published in 10 ms ticks.
    const total = rate * seconds;
    const startUs = nowUs();
    let sent = 0;
    const giveUpUs = startUs + seconds * 3e6; // a server that cannot keep up stops the phase
    while (sent < total && nowUs() < giveUpUs) {
      const due = Math.min(total, Math.floor(((nowUs() - startUs) / 1e6) * rate) + 1);
      while (sent < due) {
        server.publish(liveEvent(sent, startUs + (sent * 1e6) / rate));
        sent += 1;
      }
      await sleep(10);
    }
    const steady = await collect(client, sent * n, 15_000);
    const lat = steady.latenciesUs.sort((a, b) => a - b);
    rows.push({
      server: server.name,
      subscribers: n,
      phase: `steady ${rate}/s`,
      events: sent,
      expected: total * n,
      delivered: steady.received,
      msgsPerSec: Math.round(steady.received / ((steady.lastAtUs - startUs) / 1e6)),
      p50Ms: percentile(lat, 50) / 1000,
      p99Ms: percentile(lat, 99) / 1000,
      maxMs: (lat.at(-1) ?? Number.NaN) / 1000,
      dropped: server.dropped(),
    });

    // Burst: as fast as the server takes them, yielding every 100 events so it can flush.
    await sleep(300);
    const burstStartUs = nowUs();
    for (let i = 0; i < burst; i++) {
      server.publish(liveEvent(sent + i));
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    const b = await collect(client, burst * n, 30_000);
    rows.push({
      server: server.name,
      subscribers: n,
      phase: `burst ${burst}`,
      events: burst,
      expected: burst * n,
      delivered: b.received,
      msgsPerSec: Math.round(b.received / ((b.lastAtUs - burstStartUs) / 1e6)),
      dropped: server.dropped(),
    });
  } finally {
    child.send({ cmd: 'exit' });
    await new Promise((r) => child.once('exit', r));
    await server.close();
  }
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      subscribers: { type: 'string', default: '200,1000' },
      rate: { type: 'string', default: '100' },
      seconds: { type: 'string', default: '4' },
      burst: { type: 'string', default: '1000' },
      'client-role': { type: 'boolean' },
    },
  });
  const clamp = (v: string | undefined, lo: number, hi: number, dflt: number) => Math.min(hi, Math.max(lo, Number(v) || dflt));
  const subscribers = String(values.subscribers).split(',').map((s) => clamp(s, 1, 2000, 200));
  const rate = clamp(values.rate, 1, 2000, 100);
  const seconds = clamp(values.seconds, 1, 10, 5);
  const burst = clamp(values.burst, 10, 5000, 1000);
  const killer = setTimeout(() => {
    process.stderr.write('gateway-fanout: over 110 s, aborting\n');
    process.exit(2);
  }, 110_000);
  killer.unref();

  const rows: Row[] = [];
  for (const n of subscribers) {
    for (const start of [startUws, startWsPeer]) rows.push(...(await runCase(start, n, rate, seconds, burst)));
  }
  const fmt = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : Number(x.toFixed(2)));
  const table: BenchTable = {
    columns: ['server', 'subscribers', 'phase', 'delivered / expected', 'msgs/s', 'p50 ms', 'p99 ms', 'max ms', 'dropped slow'],
    rows: rows.map((r) => [r.server, r.subscribers, r.phase, `${r.delivered} / ${r.expected}`, r.msgsPerSec, fmt(r.p50Ms), fmt(r.p99Ms), fmt(r.maxMs), r.dropped]),
  };
  const loadNote = `node ${process.version}, load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`;
  process.stdout.write(`${markdownTable(table)}\n\n${loadNote}\n`);
  // Headlines at the largest subscriber count: burst msgs/s and steady p99, gateway vs the ws peer.
  const top = Math.max(...subscribers);
  const find = (server: string, phase: string) => rows.find((r) => r.server.startsWith(server) && r.subscribers === top && r.phase.startsWith(phase));
  const headlines: Headline[] = [];
  const [ub, wb, us, ws] = [find('uws', 'burst'), find('ws', 'burst'), find('uws', 'steady'), find('ws', 'steady')];
  if (ub && wb) headlines.push({ figure: `burst msgs/s, ${top} subscribers`, value: ub.msgsPerSec, unit: 'msgs/s', reference: { kind: 'peer', label: 'ws server', value: wb.msgsPerSec }, higherIsBetter: true });
  if (us?.p99Ms !== undefined && ws?.p99Ms !== undefined) headlines.push({ figure: `steady ${rate}/s p99, ${top} subscribers`, value: us.p99Ms, unit: 'ms', reference: { kind: 'peer', label: 'ws server', value: ws.p99Ms }, higherIsBetter: false });
  emitResult({ tables: [table], headlines, notes: [loadNote] });
}

if (process.argv.includes('--client-role')) {
  await clientMain(JSON.parse(process.env.BENCH_CLIENT ?? '{}') as ClientSetup);
} else {
  await main();
}
