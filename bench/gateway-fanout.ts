/**
 * WebSocket fan-out at scale: the gateway's uWebSockets.js server vs. the `ws` library doing the
 * same job, 1k to 20k subscribers.
 *
 *   npx tsx bench/gateway-fanout.ts [--subscribers 1000,10000,20000] [--rates 10,100] [--seconds 3] [--burst 0] [--per-process 4000]
 *
 * For each server and each subscriber count N, in the same run and on the same connections:
 *  - steady, for each rate R: R events/s for `seconds` s, every subscriber matches every event;
 *    delivered messages/s, latency from the time the event was due to the frame's arrival in the
 *    client (CLOCK_MONOTONIC, shared by the processes) p50/p99/max over ~50 sampled
 *    subscribers (falling behind the schedule counts as latency), and the server process's CPU
 *    (% of one core over the phase) and RSS;
 *  - burst (off unless --burst N): N events as fast as the server takes them; delivered msgs/s.
 * Servers: `uws` = gateway/server.ts (GatewayServer: topics, frame building, replay buffer,
 * slow-consumer sweep — everything but Kafka), in this process; `ws` = a ws 8 WebSocketServer
 * that builds the same frame once per event and loops over its clients with the same channel
 * check and back-pressure limit. Subscribers are raw WebSocket clients (a frame counter, no
 * message objects: bench/support/ws-frame-counter.ts) in ceil(N / per-process) child
 * processes, each connecting from its own loopback address (127.x.y.1) so 2 × 20k connections
 * never run out of ephemeral ports; their CPU is reported too (when it is near the cores
 * available, the clients are the limit, not the server). The file-descriptor limit is raised
 * with prlimit when N needs it (root with CAP_SYS_RESOURCE, or a hard limit high enough); where
 * it cannot be, N is capped to what the limit allows and the table's note says so. Bounded: N <= 25,000, rate
 * <= 1000/s, seconds <= 10, burst <= 2000; the run is killed after 175 s. Loopback only.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { createLogger } from '../core/logger.ts';
import { eventFrame } from '../gateway/protocol.ts';
import { loadNativeUws } from '../gateway/native.ts';
import { GatewayServer } from '../gateway/server.ts';
import type { GatewayEvent } from '../gateway/events.ts';
import { emitResult, markdownTable, type BenchTable, type Cell, type Headline } from './support/result.ts';
import { FrameCounter } from './support/ws-frame-counter.ts';

const HOST = '127.0.0.1';
const SAMPLED = 50;
const MAX_BACKPRESSURE = 1024 * 1024;
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Client process: opens n raw subscribers, counts event frames, samples latency.

interface ClientSetup {
  port: number;
  path: string;
  n: number;
  localAddress: string;
  /** Every sampleEvery-th socket keeps payloads and reads sentAtUs. */
  sampleEvery: number;
}
type ToClient = { cmd: 'report' } | { cmd: 'exit' };
interface ClientReport {
  received: number;
  lastAtUs: number;
  latenciesUs: number[];
  closedByServer: number;
  cpuUs: number;
}

const PONG_EMPTY = Buffer.from([0x8a, 0x80, 0, 0, 0, 0]); // masked with a zero key

async function clientMain(setup: ClientSetup): Promise<void> {
  let received = 0;
  let lastAtUs = 0;
  let closedByServer = 0;
  let latencies: number[] = [];
  const sockets: net.Socket[] = [];
  const upgrade = `GET ${setup.path} HTTP/1.1\r\nHost: ${HOST}:${setup.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  const open = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const sampled = i % setup.sampleEvery === 0;
      const sock = net.connect({ host: HOST, port: setup.port, localAddress: setup.localAddress });
      sock.setNoDelay(true);
      sock.write(upgrade);
      const counter = new FrameCounter(
        {
          frame(opcode, letter, payload) {
            if (opcode === 1 && letter === 0x65) {
              received += 1;
              const t = nowUs();
              lastAtUs = t;
              if (payload) {
                const m = /"sentAtUs":(\d+)/.exec(payload.toString('latin1'));
                if (m) latencies.push(t - Number(m[1]));
              }
            } else if (opcode === 9) sock.write(PONG_EMPTY);
            else if (opcode === 8) {
              closedByServer += 1;
              sock.destroy();
            }
          },
        },
        sampled,
      );
      let headers: Buffer | null = Buffer.alloc(0);
      sock.on('data', (chunk: Buffer) => {
        if (headers === null) return counter.push(chunk);
        headers = Buffer.concat([headers, chunk]);
        const end = headers.indexOf('\r\n\r\n');
        if (end === -1) return;
        if (!headers.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 101')) {
          reject(new Error(`upgrade refused: ${headers.subarray(0, end).toString('latin1').slice(0, 200)}`));
          sock.destroy();
          return;
        }
        const rest = headers.subarray(end + 4);
        headers = null;
        resolve();
        if (rest.length > 0) counter.push(rest);
      });
      sock.once('error', reject);
      sockets.push(sock);
    });
  for (let i = 0; i < setup.n; i += 100) await Promise.all(Array.from({ length: Math.min(100, setup.n - i) }, (_, k) => open(i + k)));
  process.send!({ ready: true });
  process.on('message', (msg: ToClient) => {
    if (msg.cmd === 'report') {
      const cpu = process.cpuUsage();
      const report: ClientReport = { received, lastAtUs, latenciesUs: latencies, closedByServer, cpuUs: cpu.user + cpu.system };
      process.send!(report);
      received = 0;
      latencies = [];
    } else {
      for (const s of sockets) s.destroy();
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
  const wss = new WebSocketServer({ host: HOST, port: 0, perMessageDeflate: false, maxPayload: 16 * 1024, clientTracking: true, backlog: 4096 });
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
      // One buffer per event, as the gateway builds one frame: ws then only frames and writes it.
      const frame = Buffer.from(eventFrame(e.routing.channel, `benchpeer.${seq}`, null, e.data));
      for (const ws of wss.clients) {
        if (!channels.get(ws)?.has(e.routing.channel)) continue;
        if (ws.bufferedAmount > MAX_BACKPRESSURE / 2) {
          dropped += 1;
          ws.close(4008, 'too slow');
          continue;
        }
        ws.send(frame, { binary: false });
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

class ClientHandle {
  private waiting: ((m: unknown) => void) | null = null;
  private lastCpuUs = 0;
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
  /** Frames since the last report; cpuUs is the CPU used since the last report too. */
  async report(): Promise<ClientReport> {
    const p = this.next<ClientReport>(15_000);
    this.child.send({ cmd: 'report' });
    const r = await p;
    const cpuUs = r.cpuUs - this.lastCpuUs;
    this.lastCpuUs = r.cpuUs;
    return { ...r, cpuUs };
  }
}

/** Polls every client until `expected` frames arrived in all or `timeoutMs` passed. */
async function collect(clients: ClientHandle[], expected: number, timeoutMs: number): Promise<ClientReport> {
  const deadline = Date.now() + timeoutMs;
  const total: ClientReport = { received: 0, lastAtUs: 0, latenciesUs: [], closedByServer: 0, cpuUs: 0 };
  for (;;) {
    const reports = await Promise.all(clients.map((c) => c.report()));
    total.closedByServer = 0;
    for (const r of reports) {
      total.received += r.received;
      total.lastAtUs = Math.max(total.lastAtUs, r.lastAtUs);
      for (const l of r.latenciesUs) total.latenciesUs.push(l);
      total.closedByServer += r.closedByServer;
      total.cpuUs += r.cpuUs;
    }
    if (total.received >= expected || Date.now() > deadline) return total;
    await sleep(100);
  }
}

interface Row {
  server: string;
  subscribers: number;
  phase: string;
  expected: number;
  delivered: number;
  msgsPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  serverCpuPct: number;
  serverCpuUsPerMsg: number;
  serverRssMiB: number;
  clientCpuPct: number;
  dropped: number;
}

const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

async function runCase(start: () => Promise<ServerUnderTest>, n: number, caseIndex: number, opts: { rates: number[]; seconds: number; burst: number; perProcess: number }): Promise<Row[]> {
  const server = await start();
  const processes = Math.ceil(n / opts.perProcess);
  const sampleEvery = Math.max(1, Math.floor(n / SAMPLED));
  const clients: ClientHandle[] = [];
  const rows: Row[] = [];
  try {
    for (let k = 0; k < processes; k++) {
      const count = Math.min(opts.perProcess, n - k * opts.perProcess);
      const setup: ClientSetup = { port: server.port, path: server.path, n: count, localAddress: `127.${1 + (caseIndex % 250)}.${1 + k}.1`, sampleEvery };
      const child = fork(fileURLToPath(import.meta.url), ['--client-role'], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, BENCH_CLIENT: JSON.stringify(setup) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      clients.push(new ClientHandle(child));
    }
    const connectStarted = performance.now();
    await Promise.all(clients.map((c) => c.next(90_000))); // ready
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    process.stdout.write(`${server.name}: ${n} subscribers in ${processes} client processes connected in ${connectSeconds.toFixed(1)} s\n`);
    await sleep(300);
    await collect(clients, 0, 0); // reset the clients' counters and CPU baselines

    const phase = async (name: string, expected: number, startUs: number, cpu0: NodeJS.CpuUsage, publishMs: number, timeoutMs: number, latency: boolean) => {
      const got = await collect(clients, expected, timeoutMs);
      const wallUs = Math.max(1, (got.lastAtUs || nowUs()) - startUs);
      const cpu = process.cpuUsage(cpu0);
      const lat = got.latenciesUs.sort((a, b) => a - b);
      rows.push({
        server: server.name,
        subscribers: n,
        phase: name,
        expected,
        delivered: got.received,
        msgsPerSec: Math.round(got.received / (wallUs / 1e6)),
        ...(latency ? { p50Ms: percentile(lat, 50) / 1000, p99Ms: percentile(lat, 99) / 1000, maxMs: (lat.at(-1) ?? Number.NaN) / 1000 } : {}),
        // Over the publishing time or until the last frame arrived, whichever is longer.
        serverCpuPct: ((cpu.user + cpu.system) / Math.max(wallUs, publishMs * 1000)) * 100,
        serverCpuUsPerMsg: (cpu.user + cpu.system) / Math.max(1, got.received),
        serverRssMiB: rssMiB(),
        clientCpuPct: (got.cpuUs / Math.max(wallUs, publishMs * 1000)) * 100,
        dropped: server.dropped(),
      });
    };

    for (const rate of opts.rates) {
      // Steady rate, published in 10 ms ticks.
      const total = Math.round(rate * opts.seconds);
      const cpu0 = process.cpuUsage();
      const startUs = nowUs();
      const t0 = performance.now();
      let sent = 0;
      const giveUpUs = startUs + opts.seconds * 3e6; // a server that cannot keep up stops the phase
      while (sent < total && nowUs() < giveUpUs) {
        const due = Math.min(total, Math.floor(((nowUs() - startUs) / 1e6) * rate) + 1);
        // Checked per event too: one ws publish to 20k clients takes a good part of a second.
        while (sent < due && nowUs() < giveUpUs) {
          server.publish(liveEvent(sent, startUs + (sent * 1e6) / rate));
          sent += 1;
        }
        await sleep(10);
      }
      await phase(`steady ${rate}/s`, total * n, startUs, cpu0, performance.now() - t0, opts.seconds * 2000 + 3000, true);
      await sleep(300);
      await collect(clients, 0, 0);
    }

    if (opts.burst > 0) {
      // Burst: as fast as the server takes them, yielding every 50 events so it can flush.
      const cpu0 = process.cpuUsage();
      const startUs = nowUs();
      const t0 = performance.now();
      for (let i = 0; i < opts.burst; i++) {
        server.publish(liveEvent(i));
        if (i % 50 === 49) await new Promise((r) => setImmediate(r));
      }
      await phase(`burst ${opts.burst}`, opts.burst * n, startUs, cpu0, performance.now() - t0, 8000, false);
    }
  } finally {
    for (const c of clients) c.child.send({ cmd: 'exit' });
    await Promise.all(clients.map((c) => new Promise((r) => (c.child.exitCode !== null ? r(null) : c.child.once('exit', r)))));
    await server.close();
  }
  return rows;
}

/** The soft file-descriptor limit of this process (children inherit it). */
function fdLimit(): number {
  return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
}

/** Descriptors the server process needs beyond one per subscriber (Node, stdio, IPC, listen). */
const FD_HEADROOM = 256;

/**
 * The server holds one descriptor per subscriber: raise the limit with prlimit when N needs it
 * (root with CAP_SYS_RESOURCE, or a hard limit high enough); returns the most subscribers the
 * limit then allows.
 */
function raiseFdLimit(needed: number): number {
  if (fdLimit() < needed) {
    try {
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${needed}:${needed}`], { stdio: 'ignore' });
    } catch {
      // Not permitted (no CAP_SYS_RESOURCE, e.g. in a container): the caller caps N and says so.
    }
  }
  return fdLimit() - FD_HEADROOM;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      subscribers: { type: 'string', default: '1000,10000,20000' },
      rates: { type: 'string', default: '10,100' },
      seconds: { type: 'string', default: '3' },
      burst: { type: 'string', default: '0' },
      'per-process': { type: 'string', default: '4000' },
      'client-role': { type: 'boolean' },
    },
  });
  const clamp = (v: string | undefined, lo: number, hi: number, dflt: number) => Math.min(hi, Math.max(lo, Number(v) || dflt));
  const subscribers = String(values.subscribers).split(',').map((s) => Math.round(clamp(s, 1, 25_000, 1000)));
  const rates = String(values.rates).split(',').map((s) => clamp(s, 1, 1000, 10));
  const seconds = clamp(values.seconds, 1, 10, 3);
  const burst = Number(values.burst) === 0 ? 0 : Math.round(clamp(values.burst, 10, 2000, 100));
  const perProcess = Math.round(clamp(values['per-process'], 100, 10_000, 4000));
  const killer = setTimeout(() => {
    process.stderr.write('gateway-fanout: over 175 s, aborting\n');
    process.exit(2);
  }, 175_000);
  killer.unref();
  const requested = subscribers.slice();
  const maxSubscribers = raiseFdLimit(Math.max(...subscribers) + FD_HEADROOM);
  const notes: string[] = [];
  if (subscribers.some((n) => n > maxSubscribers)) {
    const note = `file-descriptor limit ${maxSubscribers + FD_HEADROOM} (prlimit could not raise it: not permitted here), so at most ${maxSubscribers} subscribers per server process: ${requested.join(',')} requested, ${requested.map((n) => Math.min(n, maxSubscribers)).join(',')} measured`;
    process.stdout.write(`${note}\n`);
    notes.push(note);
    for (let i = 0; i < subscribers.length; i++) subscribers[i] = Math.min(subscribers[i], maxSubscribers);
  }

  const rows: Row[] = [];
  let caseIndex = 0;
  for (const n of subscribers) {
    for (const start of [startUws, startWsPeer]) {
      const caseRows = await runCase(start, n, caseIndex++, { rates, seconds, burst, perProcess });
      // Printed as they come, so a run cut short still shows what it measured.
      for (const r of caseRows) process.stdout.write(`  ${r.phase}: ${r.delivered} / ${r.expected} delivered, ${r.msgsPerSec} msgs/s, p99 ${r.p99Ms?.toFixed(1) ?? '-'} ms, server CPU ${r.serverCpuPct.toFixed(0)} % (${r.serverCpuUsPerMsg.toFixed(2)} µs/msg), clients CPU ${r.clientCpuPct.toFixed(0)} %\n`);
      rows.push(...caseRows);
    }
  }
  const fmt = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : Number(x.toFixed(x >= 100 ? 0 : 1)));
  const table: BenchTable = {
    columns: ['server', 'subscribers', 'phase', 'delivered / expected', 'msgs/s', 'p50 ms', 'p99 ms', 'max ms', 'server CPU %', 'server CPU µs/msg', 'server RSS MiB', 'clients CPU %', 'dropped slow'],
    rows: rows.map((r): Cell[] => [r.server, r.subscribers, r.phase, `${r.delivered} / ${r.expected}`, r.msgsPerSec, fmt(r.p50Ms), fmt(r.p99Ms), fmt(r.maxMs), fmt(r.serverCpuPct), Number(r.serverCpuUsPerMsg.toFixed(2)), fmt(r.serverRssMiB), fmt(r.clientCpuPct), r.dropped]),
  };
  const loadNote = `node ${process.version}, ${os.cpus().length} cpus, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${perProcess} subscribers per client process`;
  process.stdout.write(`\n${markdownTable(table)}\n\n${[...notes, loadNote].join('\n')}\n`);
  // Headlines at the largest subscriber count, gateway vs the ws peer.
  const top = Math.max(...subscribers);
  const find = (server: string, phase: string) => rows.find((r) => r.server.startsWith(server) && r.subscribers === top && r.phase === phase);
  const headlines: Headline[] = [];
  for (const rate of rates) {
    const [u, w] = [find('uws', `steady ${rate}/s`), find('ws', `steady ${rate}/s`)];
    if (!u || !w) continue;
    headlines.push({ figure: `steady ${rate}/s delivered msgs/s, ${top} subscribers`, value: u.msgsPerSec, unit: 'msgs/s', reference: { kind: 'peer', label: 'ws server', value: w.msgsPerSec }, higherIsBetter: true });
    headlines.push({ figure: `steady ${rate}/s server CPU per delivered message, ${top} subscribers`, value: Number(u.serverCpuUsPerMsg.toFixed(2)), unit: 'µs', reference: { kind: 'peer', label: 'ws server', value: Number(w.serverCpuUsPerMsg.toFixed(2)) }, higherIsBetter: false });
    if (u.p99Ms !== undefined && w.p99Ms !== undefined) headlines.push({ figure: `steady ${rate}/s p99, ${top} subscribers`, value: Number(u.p99Ms.toFixed(2)), unit: 'ms', reference: { kind: 'peer', label: 'ws server', value: Number(w.p99Ms.toFixed(2)) }, higherIsBetter: false });
  }
  const [ub, wb] = [find('uws', `burst ${burst}`), find('ws', `burst ${burst}`)];
  if (ub && wb) headlines.push({ figure: `burst msgs/s, ${top} subscribers`, value: ub.msgsPerSec, unit: 'msgs/s', reference: { kind: 'peer', label: 'ws server', value: wb.msgsPerSec }, higherIsBetter: true });
  emitResult({ tables: [table], headlines, notes: [...notes, loadNote] });
}

if (process.argv.includes('--client-role')) {
  await clientMain(JSON.parse(process.env.BENCH_CLIENT ?? '{}') as ClientSetup);
} else {
  await main();
  process.exit(0);
}
