/**
 * The local stack: one Apache Kafka (KRaft, broker+controller) and one ClickHouse 18.16, both
 * on loopback, both run from this checkout's files with state under .stack/ (git-ignored).
 *
 *   node --import tsx deploy/stack.ts up | down | status [--json]
 *
 * `up` is idempotent: a service whose pid file names a live process of ours is left alone.
 * A port held by a Vigil stack of ANOTHER checkout (same scripts, other folder) is reused, never
 * stopped; a port held by anything else is an error naming the holder.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync, copyFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_CLICKHOUSE_USERS } from '../core/clickhouse-config.ts';
import { loadConfig, topicNames, type VigilConfig } from '../core/config.ts';
import { VigilError } from '../core/errors.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { assertKafkaJars, clusterProperties, describeKafka, formatKafkaStorage, javaBin, kafkaJvmCommon, kafkaServerJvm, kafkaTemplate, newClusterId, singleNodeProperties } from './kafka-node.ts';
import { ensureTopics } from '../pipeline/kafka/topics.ts';
import { migrate } from '../pipeline/storage/migrate.ts';

export const repoRoot = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
/**
 * The stack's folder and first Kafka port; VIGIL_STACK_DIR / VIGIL_STACK_KAFKA_PORT start a
 * second stack beside the shared one (the cluster test does: its own Kafka, the shared ClickHouse).
 */
export const stackDir = process.env.VIGIL_STACK_DIR ? path.resolve(process.env.VIGIL_STACK_DIR) : path.join(repoRoot, '.stack');

/** VIGIL_STACK_KAFKA_PORT (pure; exported for tests): the first of the Kafka ports, 19092 by default. */
export function kafkaBasePort(value: string | undefined): number {
  if (value === undefined || value === '') return 19092;
  const port = Number(value);
  // Three nodes take six ports from the base.
  if (!/^\d+$/.test(value) || port < 1024 || port > 65_529) {
    throw new VigilError(`VIGIL_STACK_KAFKA_PORT=${JSON.stringify(value)} is not a port from 1024 to 65529`, { action: 'unset it (19092) or give a free port; a 3-broker stack uses it and the next five' });
  }
  return port;
}

/** Local ports (see README "Stack commands and ports"); ClickHouse's are fixed. */
export const stackPorts = {
  kafka: kafkaBasePort(process.env.VIGIL_STACK_KAFKA_PORT),
  kafkaController: kafkaBasePort(process.env.VIGIL_STACK_KAFKA_PORT) + 1,
  clickhouseHttp: 18123,
  clickhouseNative: 19000,
} as const;
export const localBrokers = [`127.0.0.1:${stackPorts.kafka}`];

/** How many Kafka nodes `up --brokers N` can start: one, or a quorum of three. */
export const BROKER_COUNTS = [1, 3] as const;
export type BrokerCount = (typeof BROKER_COUNTS)[number];

/** Node `id` (1-based) of the stack's Kafka: broker and controller ports in pairs from the base (pure). */
export function kafkaNodePorts(id: number, base: number = stackPorts.kafka): { broker: number; controller: number } {
  return { broker: base + 2 * (id - 1), controller: base + 2 * (id - 1) + 1 };
}

/** The bootstrap list of an n-node stack Kafka. */
export function stackBrokers(count: BrokerCount, base: number = stackPorts.kafka): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.0.1:${kafkaNodePorts(i + 1, base).broker}`);
}

/** `--brokers N` / `--brokers=N` of the command line (pure; exported for tests); null when absent. */
export function parseBrokersOption(args: string[]): BrokerCount | null {
  const i = args.findIndex((a) => a === '--brokers' || a.startsWith('--brokers='));
  if (i < 0) return null;
  const raw = args[i]!.includes('=') ? args[i]!.slice('--brokers='.length) : args[i + 1];
  const n = Number(raw);
  if (!BROKER_COUNTS.includes(n as BrokerCount)) {
    throw new VigilError(`--brokers ${raw ?? '(missing)'}: the stack starts 1 Kafka broker or a cluster of 3`, { action: 'use --brokers 1 or --brokers 3' });
  }
  return n as BrokerCount;
}
export const localClickHouseUrl = `http://127.0.0.1:${stackPorts.clickhouseHttp}`;

/** `kafka` (the single broker), `kafka-<n>` (node n of the cluster) or `clickhouse`. */
type ServiceName = string;

interface ServiceDef {
  name: ServiceName;
  label: string;
  ports: { port: number; role: string }[];
  dir: string;
  pidFile: string;
  stdoutFile: string;
  logHint: string;
  /** Substring of /proc/<pid>/cmdline that only our instance has (its absolute config path). */
  ownMarker: string;
  /** Matches the cmdline of a Vigil stack started from any checkout. */
  anyVigilMarker: RegExp;
  startTimeoutMs: number;
  prepare(): void;
  command(): { cmd: string; args: string[] };
  probe(): Promise<string | null>; // null = not healthy
}

// ------------------------------------------------------------------------------------------
// processes and ports (Linux /proc: no lsof/ss needed)

function cmdlineOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    // A zombie still has /proc/<pid>; its state letter is Z.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

/** The pid in the service's pid file, if that process is alive and really our instance. */
function ownPid(def: ServiceDef): number | null {
  const pid = readPid(def.pidFile);
  if (pid === null) return null;
  const cmd = cmdlineOf(pid);
  if (cmd && isAlive(pid) && cmd.includes(def.ownMarker)) return pid;
  return null;
}

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A = LISTEN
      const localPort = parseInt(cols[1].split(':').pop() ?? '', 16);
      if (localPort === port) inodes.add(cols[9]);
    }
  }
  return inodes;
}

export interface PortHolder {
  pid: number | null;
  cmdline: string | null;
}

/** Who listens on `port` (pid may be null when the process is not visible to us). */
export function portHolder(port: number): PortHolder | null {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (wanted.has(readlinkSync(`/proc/${entry}/fd/${fd}`))) return { pid: Number(entry), cmdline: cmdlineOf(Number(entry)) };
      } catch {
        // fd closed while we looked
      }
    }
  }
  return { pid: null, cmdline: null };
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function describeHolder(port: number, holder: PortHolder | null): string {
  if (!holder || holder.pid === null) return `port ${port} is in use (holder not visible)`;
  const cmd = (holder.cmdline ?? '?').slice(0, 200);
  return `port ${port} is held by pid ${holder.pid}: ${cmd}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ------------------------------------------------------------------------------------------
// the two services


function which(bin: string, extra: string[] = []): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), ...extra].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, bin);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function kafkaDef(): ServiceDef {
  const dir = path.join(stackDir, 'kafka');
  const dataDir = path.join(dir, 'data');
  const propsFile = path.join(dir, 'server.properties');
  return {
    name: 'kafka',
    label: 'Kafka',
    ports: [
      { port: stackPorts.kafka, role: 'Kafka broker' },
      { port: stackPorts.kafkaController, role: 'Kafka KRaft controller' },
    ],
    dir,
    pidFile: path.join(stackDir, 'kafka.pid'),
    stdoutFile: path.join(dir, 'stdout.log'),
    logHint: path.join(dir, 'server.log'),
    ownMarker: propsFile,
    anyVigilMarker: /kafka\.Kafka \S*\/\.stack\/kafka\/server\.properties/,
    startTimeoutMs: 90_000,
    prepare() {
      assertKafkaJars();
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(propsFile, singleNodeProperties(kafkaTemplate(), stackPorts.kafka, stackPorts.kafkaController, dataDir));
      // A KRaft log dir is formatted once with a cluster id.
      if (!existsSync(path.join(dataDir, 'meta.properties'))) formatKafkaStorage({ label: `the stack's Kafka (${dataDir})`, dir, propsFile, clusterId: newClusterId() });
    },
    command() {
      return {
        cmd: javaBin(),
        args: ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:+ExitOnOutOfMemoryError', ...kafkaJvmCommon(dir), 'kafka.Kafka', propsFile],
      };
    },
    async probe() {
      return (await describeKafka(localBrokers))?.brokers.join(',') ?? null;
    },
  };
}

/**
 * Node `id` of the stack's 3-node Kafka (`up --brokers 3`): broker and controller, one of the
 * three voters, its own ports and folder under <stack>/kafka-cluster/, configured as the tests'
 * clusters are (deploy/kafka-node.ts clusterProperties). Its data is kept across down/up.
 */
function kafkaNodeDef(id: number, count: BrokerCount): ServiceDef {
  const clusterDir = path.join(stackDir, 'kafka-cluster');
  const dir = path.join(clusterDir, `node-${id}`);
  const dataDir = path.join(dir, 'data');
  const propsFile = path.join(dir, 'server.properties');
  const ports = Array.from({ length: count }, (_, i) => kafkaNodePorts(i + 1));
  const broker = `127.0.0.1:${ports[id - 1]!.broker}`;
  return {
    name: `kafka-${id}`,
    label: `Kafka node ${id}`,
    ports: [
      { port: ports[id - 1]!.broker, role: `Kafka node ${id} broker` },
      { port: ports[id - 1]!.controller, role: `Kafka node ${id} KRaft controller` },
    ],
    dir,
    pidFile: path.join(stackDir, `kafka-${id}.pid`),
    stdoutFile: path.join(dir, 'stdout.log'),
    logHint: path.join(dir, 'server.log'),
    ownMarker: propsFile,
    anyVigilMarker: /kafka\.Kafka \S*\/kafka-cluster\/node-\d+\/server\.properties/,
    startTimeoutMs: 120_000,
    prepare() {
      assertKafkaJars();
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(propsFile, clusterProperties(kafkaTemplate(), id, ports.map((p) => p.broker), ports.map((p) => p.controller), dataDir));
      // Every node is formatted with the same cluster id, kept beside them.
      const idFile = path.join(clusterDir, 'cluster.id');
      if (!existsSync(idFile)) writeFileSync(idFile, newClusterId());
      if (!existsSync(path.join(dataDir, 'meta.properties'))) formatKafkaStorage({ label: `the stack's Kafka node ${id} (${dataDir})`, dir, propsFile, clusterId: readFileSync(idFile, 'utf8').trim() });
    },
    command() {
      // Three JVMs beside ClickHouse on two cores: the small-footprint flags of the test clusters.
      return { cmd: javaBin(), args: [...kafkaServerJvm('512m'), ...kafkaJvmCommon(dir), 'kafka.Kafka', propsFile] };
    },
    async probe() {
      // Healthy once it is registered in a cluster that has an elected controller.
      const d = await describeKafka([broker]);
      return d && d.controller !== null && d.brokers.includes(broker) ? d.brokers.join(',') : null;
    },
  };
}

/** The service definitions of an n-broker stack Kafka. */
function kafkaDefs(count: BrokerCount): ServiceDef[] {
  return count === 1 ? [kafkaDef()] : Array.from({ length: count }, (_, i) => kafkaNodeDef(i + 1, count));
}

/** How many brokers the stack's Kafka runs now (ours or another checkout's on our ports), or null. */
function runningBrokerCount(): BrokerCount | null {
  for (const count of [...BROKER_COUNTS].reverse()) if (kafkaDefs(count).some((d) => findInstance(d) !== null)) return count;
  return null;
}

export interface ClickHousePorts {
  http: number;
  tcp: number;
}

/**
 * Writes a ClickHouse server folder: config.xml from deploy/clickhouse/config.xml (its folders
 * under `dir`, listening on `ports` on loopback), users.xml beside it (the project's users and
 * passwords) and the empty data, tmp, log, user_files and format_schemas folders. `extraXml` goes
 * before `</yandex>` (e.g. an https port). The stack's server and the tests' private servers
 * (test/support/private-clickhouse.ts) are written by this one function. Returns config.xml's path.
 */
export function writeClickHouseConfig(dir: string, ports: ClickHousePorts = { http: stackPorts.clickhouseHttp, tcp: stackPorts.clickhouseNative }, extraXml = ''): string {
  for (const sub of ['data', 'tmp', 'log', 'user_files', 'format_schemas']) mkdirSync(path.join(dir, sub), { recursive: true });
  const template = readFileSync(path.join(repoRoot, 'deploy', 'clickhouse', 'config.xml'), 'utf8');
  const http = `<http_port>${stackPorts.clickhouseHttp}</http_port>`;
  const tcp = `<tcp_port>${stackPorts.clickhouseNative}</tcp_port>`;
  if (!template.includes(http) || !template.includes(tcp) || !template.includes('</yandex>')) {
    throw new VigilError(`deploy/clickhouse/config.xml lacks ${http}, ${tcp} or </yandex>`, { action: 'restore them, or update writeClickHouseConfig in deploy/stack.ts' });
  }
  const xml = template
    .replaceAll('@STACK_DIR@', dir)
    .replace(http, `<http_port>${ports.http}</http_port>`)
    .replace(tcp, `<tcp_port>${ports.tcp}</tcp_port>`)
    .replace('</yandex>', `${extraXml ? `${extraXml}\n` : ''}</yandex>`);
  const configFile = path.join(dir, 'config.xml');
  writeFileSync(configFile, xml);
  // users.xml is found relative to config.xml.
  copyFileSync(path.join(repoRoot, 'deploy', 'clickhouse', 'users.xml'), path.join(dir, 'users.xml'));
  return configFile;
}

function clickhouseDef(): ServiceDef {
  const dir = path.join(stackDir, 'clickhouse');
  const configFile = path.join(dir, 'config.xml');
  return {
    name: 'clickhouse',
    label: 'ClickHouse',
    ports: [
      { port: stackPorts.clickhouseHttp, role: 'ClickHouse HTTP' },
      { port: stackPorts.clickhouseNative, role: 'ClickHouse native' },
    ],
    dir,
    pidFile: path.join(stackDir, 'clickhouse.pid'),
    stdoutFile: path.join(dir, 'stdout.log'),
    logHint: path.join(dir, 'log', 'clickhouse-server.err.log'),
    ownMarker: `--config-file=${configFile}`,
    anyVigilMarker: /clickhouse\S* .*--config-file=\S*\/\.stack\/clickhouse\/config\.xml/,
    startTimeoutMs: 60_000,
    prepare() {
      writeClickHouseConfig(dir);
    },
    command() {
      const bin = which('clickhouse-server', ['/usr/sbin', '/usr/bin']);
      if (bin) return { cmd: bin, args: [`--config-file=${configFile}`] };
      const multi = which('clickhouse', ['/usr/bin']);
      if (multi) return { cmd: multi, args: ['server', `--config-file=${configFile}`] };
      throw new VigilError('clickhouse-server is not installed', { action: 'run bash deploy/install-deps.sh' });
    },
    async probe() {
      // /ping needs no user: the server is healthy before `up` has given it our users.xml.
      try {
        const res = await fetch(`${localClickHouseUrl}/ping`, { signal: AbortSignal.timeout(2000) });
        const body = await res.text();
        return res.ok && body.trim() === 'Ok.' ? localClickHouseUrl : null;
      } catch {
        return null;
      }
    },
  };
}


// ------------------------------------------------------------------------------------------
// status

export interface ServiceStatus {
  running: boolean;
  healthy: boolean;
  pid: number | null;
  /** Running from another checkout's .stack (reused, never stopped by this one). */
  external: boolean;
  /** Broker list (Kafka) or HTTP URL (ClickHouse) when healthy. */
  endpoint: string | null;
}

export interface KafkaNodeStatus {
  node: number;
  broker: string;
  running: boolean;
  healthy: boolean;
  pid: number | null;
}

export interface StackStatus {
  /** running: any node runs; healthy: every node is; pid: node 1's; nodes: one entry per node. */
  kafka: { running: boolean; healthy: boolean; pid: number | null; external: boolean; brokers: string[]; nodes: KafkaNodeStatus[] };
  clickhouse: { running: boolean; healthy: boolean; pid: number | null; external: boolean; url: string | null };
}

/** A running instance: ours (pid file) or another checkout's Vigil stack on our ports. */
function findInstance(def: ServiceDef): { pid: number; external: boolean } | null {
  const own = ownPid(def);
  if (own !== null) return { pid: own, external: false };
  const holder = portHolder(def.ports[0].port);
  if (!holder?.pid || !holder.cmdline) return null;
  if (holder.cmdline.includes(def.ownMarker)) {
    // Ours, but its pid file was lost: adopt it again so `down` can stop it.
    writeFileSync(def.pidFile, String(holder.pid));
    return { pid: holder.pid, external: false };
  }
  if (def.anyVigilMarker.test(holder.cmdline)) return { pid: holder.pid, external: true };
  return null;
}

async function serviceStatus(def: ServiceDef): Promise<ServiceStatus> {
  const instance = findInstance(def);
  const endpoint = instance ? await def.probe() : null;
  return { running: instance !== null, healthy: endpoint !== null, pid: instance?.pid ?? null, external: instance?.external ?? false, endpoint };
}

export async function stackStatus(): Promise<StackStatus> {
  const count = runningBrokerCount() ?? 1;
  const kafkaServices = kafkaDefs(count);
  const [clickhouse, ...nodes] = await Promise.all([clickhouseDef(), ...kafkaServices].map(serviceStatus));
  const endpoint = nodes.find((n) => n.endpoint)?.endpoint;
  const brokers = stackBrokers(count);
  return {
    kafka: {
      running: nodes.some((n) => n.running),
      healthy: nodes.every((n) => n.healthy),
      pid: nodes[0]!.pid,
      external: nodes.some((n) => n.external),
      brokers: endpoint ? endpoint.split(',') : [],
      nodes: nodes.map((n, i) => ({ node: i + 1, broker: brokers[i]!, running: n.running, healthy: n.healthy, pid: n.pid })),
    },
    clickhouse: { running: clickhouse.running, healthy: clickhouse.healthy, pid: clickhouse.pid, external: clickhouse.external, url: clickhouse.endpoint },
  };
}

// ------------------------------------------------------------------------------------------
// up

/** Serialises concurrent `up`/`down` from this checkout (two test runs starting at once). */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(stackDir, { recursive: true });
  const lockFile = path.join(stackDir, 'stack.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readPid(lockFile);
      if (holder === null || !isAlive(holder)) {
        rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new VigilError(`another stack command (pid ${holder}) holds ${lockFile}`, { action: 'wait for it or remove the lock file if that process is gone' });
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

async function waitHealthy(def: ServiceDef, pid: number, exited: () => number | null): Promise<string> {
  const deadline = Date.now() + def.startTimeoutMs;
  for (;;) {
    const endpoint = await def.probe();
    if (endpoint) return endpoint;
    const code = exited();
    if (code !== null || !isAlive(pid)) {
      throw new VigilError(`${def.label} exited during start-up (code ${code ?? '?'}); last log lines:\n${tail(def.stdoutFile)}\n${tail(def.logHint)}`, {
        action: `read ${def.logHint}`,
      });
    }
    if (Date.now() > deadline) {
      throw new VigilError(`${def.label} (pid ${pid}) not healthy after ${def.startTimeoutMs / 1000}s; last log lines:\n${tail(def.logHint)}`, {
        action: `read ${def.logHint}, then 'npm run stack:down' and retry`,
      });
    }
    await sleep(500);
  }
}

interface Launched {
  def: ServiceDef;
  pid: number;
  external: boolean;
  started: boolean;
  /** Resolves with the endpoint once healthy; if not, stops what this call started and throws. */
  healthy(): Promise<string>;
}

/** Starts `def` unless it runs (ours or another checkout's), without waiting for it to be healthy. */
async function launchService(def: ServiceDef, logger: Logger): Promise<Launched> {
  const found = findInstance(def);
  if (found) {
    if (found.external) logger.info({ service: def.name, pid: found.pid }, 'reusing the Vigil stack of another checkout');
    return { def, ...found, started: false, healthy: () => waitHealthy(def, found.pid, () => null) };
  }
  rmSync(def.pidFile, { force: true }); // stale: its process is gone or is not ours
  for (const { port, role } of def.ports) {
    if (!(await canBind(port))) {
      throw new VigilError(`cannot start ${def.label}: ${describeHolder(port, portHolder(port))} (needed for ${role})`, {
        action: `stop that process or free port ${port}`,
      });
    }
  }
  def.prepare();
  const { cmd, args } = def.command();
  mkdirSync(def.dir, { recursive: true });
  const out = openSync(def.stdoutFile, 'a');
  const child = spawn(cmd, args, { cwd: def.dir, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  let exitCode: number | null = null;
  child.on('exit', (code, signal) => {
    exitCode = code ?? (signal ? 128 : -1);
  });
  child.on('error', (err) => {
    exitCode = -1;
    logger.error({ err, service: def.name }, 'spawn failed');
  });
  const pid = child.pid;
  if (!pid) throw new VigilError(`could not spawn ${cmd}`, { action: 'run bash deploy/install-deps.sh' });
  writeFileSync(def.pidFile, String(pid));
  logger.info({ service: def.name, pid }, 'started');
  return {
    def,
    pid,
    external: false,
    started: true,
    async healthy() {
      try {
        const endpoint = await waitHealthy(def, pid, () => exitCode);
        child.unref();
        return endpoint;
      } catch (err) {
        await stopPid(pid, 10_000);
        rmSync(def.pidFile, { force: true });
        throw err;
      }
    },
  };
}

/**
 * Starts the services together and waits until all are healthy (a Kafka quorum answers only
 * once a majority of its nodes runs). If one fails, those this call started are stopped.
 */
async function startServices(defs: ServiceDef[], logger: Logger): Promise<Launched[]> {
  const launched: Launched[] = [];
  const stopStarted = () => Promise.all(launched.filter((l) => l.started).map(async (l) => (await stopPid(l.pid, 10_000), rmSync(l.def.pidFile, { force: true }))));
  try {
    for (const def of defs) launched.push(await launchService(def, logger));
    await Promise.all(launched.map((l) => l.healthy()));
  } catch (err) {
    await stopStarted();
    throw err;
  }
  return launched;
}

/** The folder of the running ClickHouse's config.xml (ours, or another checkout's stack). */
function runningClickHouseDir(): string | null {
  const instance = findInstance(clickhouseDef());
  const cmd = instance ? cmdlineOf(instance.pid) : null;
  const file = cmd?.match(/--config-file=(\S+)/)?.[1];
  return file ? path.dirname(file) : null;
}

/** Whether `user` can run a query on the local server (HTTP basic auth). */
async function canLogIn(user: { username: string; password: string }): Promise<boolean> {
  try {
    const res = await fetch(`${localClickHouseUrl}/?query=${encodeURIComponent('SELECT 1')}`, {
      headers: { authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}` },
      signal: AbortSignal.timeout(2000),
    });
    return res.ok && (await res.text()).trim() === '1';
  } catch {
    return false;
  }
}

/**
 * Gives the running server this checkout's deploy/clickhouse/users.xml. ClickHouse reloads its
 * users file by itself (18.16 checks every ~2 s), so a stack started before a user or password
 * was added picks it up without a restart, including a stack another checkout started.
 */
async function syncClickHouseUsers(logger: Logger): Promise<void> {
  const dir = runningClickHouseDir();
  if (!dir) throw new VigilError('cannot find the running ClickHouse config folder', { action: "run 'npm run stack:status' and read .stack/clickhouse/stdout.log" });
  const wanted = readFileSync(path.join(repoRoot, 'deploy', 'clickhouse', 'users.xml'), 'utf8');
  const target = path.join(dir, 'users.xml');
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // not there yet: written below
  }
  if (current !== wanted) {
    // Rename, so the server never reads a half-written file.
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, wanted);
    renameSync(tmp, target);
    logger.info({ file: target }, 'ClickHouse users updated');
  }
  const deadline = Date.now() + 20_000;
  for (const user of Object.values(LOCAL_CLICKHOUSE_USERS)) {
    while (!(await canLogIn(user))) {
      if (Date.now() > deadline) {
        throw new VigilError(`ClickHouse does not accept the local user ${user.username} 20 s after ${target} was written`, {
          action: `read ${path.join(dir, 'log', 'clickhouse-server.err.log')} (a users.xml syntax error is reported there)`,
        });
      }
      await sleep(250);
    }
  }
}

export interface StackUpResult {
  status: StackStatus;
  started: ServiceName[];
  topics: string[];
  migrations: { applied: number[]; alreadyApplied: number[] };
  config: VigilConfig;
}

/**
 * The config `up` creates topics and runs migrations with: VIGIL_* settings, local endpoints, and
 * the replication the stack's broker count allows (3 brokers: factor 3, min ISR 2).
 */
export function stackConfig(env: NodeJS.ProcessEnv = process.env, brokers: BrokerCount = 1): VigilConfig {
  const base = loadConfig({ env });
  const replication = brokers === 1 ? { replicationFactor: 1, minInsyncReplicas: 1 } : { replicationFactor: 3, minInsyncReplicas: 2 };
  // The local broker's listener is PLAINTEXT and its ClickHouse plain HTTP, whatever VIGIL_* say.
  return {
    ...base,
    kafka: { ...base.kafka, ...replication, brokers: stackBrokers(brokers), sasl: null, ssl: null },
    clickhouse: { ...base.clickhouse, url: localClickHouseUrl, ca: null },
  };
}

function runInstallDeps(logger: Logger): void {
  if (process.env.VIGIL_DEPS_CHECKED === '1') return;
  const res = spawnSync('bash', [path.join(repoRoot, 'deploy', 'install-deps.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0) throw new VigilError('deploy/install-deps.sh failed', { action: 'read its output above' });
  logger.debug('dependencies checked');
}

/** `brokers`: 1 or 3 Kafka nodes; by default what runs already, else 1. */
export async function stackUp(options: { logger?: Logger; installDeps?: boolean; brokers?: BrokerCount } = {}): Promise<StackUpResult> {
  const logger = options.logger ?? createLogger('warn', { component: 'stack' });
  if (options.installDeps !== false) runInstallDeps(logger);
  return withLock(async () => {
    const running = runningBrokerCount();
    const brokers = options.brokers ?? running ?? 1;
    if (running !== null && running !== brokers) {
      throw new VigilError(`the stack's Kafka runs ${running} broker${running === 1 ? '' : 's'} on 127.0.0.1:${stackPorts.kafka}, not ${brokers}`, {
        action: `stop it first (npm run stack:down), or start the other one beside it with VIGIL_STACK_DIR and VIGIL_STACK_KAFKA_PORT`,
      });
    }
    const started: ServiceName[] = [];
    // ClickHouse first: it is up in a second while the JVMs warm.
    for (const defs of [[clickhouseDef()], kafkaDefs(brokers)]) {
      for (const r of await startServices(defs, logger)) if (r.started) started.push(r.def.name);
    }
    await syncClickHouseUsers(logger);
    const config = stackConfig(process.env, brokers);
    const topics = Object.values(await ensureTopics(config, logger));
    const m = await migrate(config, { logger });
    return {
      status: await stackStatus(),
      started,
      topics,
      migrations: { applied: m.applied.map((x) => x.version), alreadyApplied: m.alreadyApplied },
      config,
    };
  });
}

// ------------------------------------------------------------------------------------------
// down

async function stopPid(pid: number, graceMs: number): Promise<'stopped' | 'killed' | 'gone'> {
  if (!isAlive(pid)) return 'gone';
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig); // its process group: we started it detached as a group leader
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(200);
  }
  signal('SIGKILL');
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  return 'killed';
}

export interface StackDownResult {
  stopped: { service: ServiceName; pid: number; how: string }[];
  /** Running from another checkout: left alone. */
  leftExternal: { service: ServiceName; pid: number }[];
}

export async function stackDown(options: { logger?: Logger } = {}): Promise<StackDownResult> {
  const logger = options.logger ?? createLogger('warn', { component: 'stack' });
  return withLock(async () => {
    const result: StackDownResult = { stopped: [], leftExternal: [] };
    // Both at once: Kafka's controlled shutdown takes a few seconds, and ClickHouse 18.16 waits
    // up to ~15 s for busy keep-alive HTTP clients before it exits cleanly.
    // Every Kafka this folder may have started (one broker, or the nodes of the cluster).
    await Promise.all(
      [...BROKER_COUNTS.flatMap((n) => kafkaDefs(n)), clickhouseDef()].map(async (def) => {
        const pid = ownPid(def);
        if (pid !== null) {
          const how = await stopPid(pid, def.name.startsWith('kafka') ? 30_000 : 20_000);
          logger.info({ service: def.name, pid, how }, 'stopped');
          result.stopped.push({ service: def.name, pid, how });
        } else {
          const other = findInstance(def);
          if (other?.external) result.leftExternal.push({ service: def.name, pid: other.pid });
        }
        rmSync(def.pidFile, { force: true });
      }),
    );
    return result;
  });
}

// ------------------------------------------------------------------------------------------
// CLI (shared by deploy/stack.sh and `vigil stack`)

function formatStatus(s: StackStatus): string {
  const line = (label: string, x: { running: boolean; healthy: boolean; pid: number | null; external: boolean }, where: string) => {
    const state = !x.running ? 'stopped' : x.healthy ? 'healthy' : 'running, NOT healthy';
    const owner = x.external ? ' (another checkout)' : '';
    return `${label.padEnd(11)} ${state.padEnd(20)} ${x.pid ? `pid ${x.pid}${owner}` : ''}${where ? `  ${where}` : ''}`;
  };
  const kafka =
    s.kafka.nodes.length === 1
      ? [line('Kafka', s.kafka, s.kafka.brokers.join(','))]
      : s.kafka.nodes.map((n) => line(`Kafka ${n.node}`, { ...n, external: s.kafka.external }, n.broker));
  return [...kafka, line('ClickHouse', s.clickhouse, s.clickhouse.url ?? '')].join('\n');
}

function kafkaLine(count: BrokerCount): string {
  const rel = (...p: string[]) => path.relative(process.cwd(), path.join(stackDir, ...p));
  if (count === 1) return `Kafka       bootstrap ${localBrokers.join(',')} (KRaft controller 127.0.0.1:${stackPorts.kafkaController}); log ${rel('kafka', 'server.log')}`;
  const nodes = Array.from({ length: count }, (_, i) => kafkaNodePorts(i + 1));
  return `Kafka       ${count} KRaft nodes, each broker + controller, all voters: ${nodes.map((p, i) => `node ${i + 1} 127.0.0.1:${p.broker} (controller ${p.controller})`).join(', ')}; logs ${rel('kafka-cluster', 'node-N', 'server.log')}`;
}

function formatUp(r: StackUpResult): string {
  const c = r.config;
  return [
    formatStatus(r.status),
    '',
    kafkaLine(c.kafka.brokers.length as BrokerCount),
    `ClickHouse  HTTP ${localClickHouseUrl}, native 127.0.0.1:${stackPorts.clickhouseNative}; users: ${c.clickhouse.username} (read/write), ${c.clickhouse.readerUsername} (read-only)`,
    `Topics      ${r.topics.join(', ')} (${c.kafka.partitions} partitions for keyed topics; replication factor ${c.kafka.replicationFactor}, min.insync.replicas ${c.kafka.minInsyncReplicas})`,
    `Database    ${c.clickhouse.database} (migrations applied now: ${r.migrations.applied.join(', ') || 'none'}; before: ${r.migrations.alreadyApplied.join(', ') || 'none'})`,
    `Started     ${r.started.join(', ') || 'nothing (already running)'}`,
    '',
    `export VIGIL_KAFKA_BROKERS=${c.kafka.brokers.join(',')}${c.kafka.replicationFactor > 1 ? ` VIGIL_KAFKA_REPLICATION_FACTOR=${c.kafka.replicationFactor} VIGIL_KAFKA_MIN_INSYNC_REPLICAS=${c.kafka.minInsyncReplicas}` : ''} VIGIL_CLICKHOUSE_URL=${localClickHouseUrl} VIGIL_TOPIC_PREFIX=${c.kafka.topicPrefix} VIGIL_CLICKHOUSE_DATABASE=${c.clickhouse.database}`,
  ].join('\n');
}

export const stackUsage = `usage: vigil stack <up [--brokers 1|3]|down|status> [--json]

  up       start Kafka (127.0.0.1:${stackPorts.kafka}) and ClickHouse (HTTP 127.0.0.1:${stackPorts.clickhouseHttp}) if not
           running, wait until healthy, create topics, run migrations, print settings
           --brokers 3: a 3-node KRaft cluster (brokers ${stackBrokers(3).map((b) => b.split(':')[1]).join(', ')}), topics replicated 3, min ISR 2
           VIGIL_STACK_DIR / VIGIL_STACK_KAFKA_PORT: another folder / first Kafka port (a second stack)
  down     stop both (SIGTERM, then SIGKILL after a grace period)
  status   show whether each is running and healthy; exit code 0 only when both are healthy
  --json   machine-readable output`;

/** Runs one stack command; returns the process exit code. */
export async function runStackCommand(action: string | undefined, json: boolean, brokers: BrokerCount | null = null): Promise<number> {
  const logger = createLogger(process.env.VIGIL_LOG_LEVEL ?? 'warn', { component: 'stack' });
  const print = (value: unknown, text: string) => process.stdout.write(`${json ? JSON.stringify(value, null, 2) : text}\n`);
  try {
    switch (action) {
      case 'up': {
        const r = await stackUp({ logger, brokers: brokers ?? undefined });
        print({ ...r.status, started: r.started, topics: r.topics, migrations: r.migrations }, formatUp(r));
        return 0;
      }
      case 'down': {
        const r = await stackDown({ logger });
        const text = [
          ...r.stopped.map((s) => `stopped ${s.service} (pid ${s.pid}${s.how === 'killed' ? ', needed SIGKILL' : ''})`),
          ...r.leftExternal.map((s) => `left ${s.service} (pid ${s.pid}) running: it belongs to another checkout`),
        ];
        print(r, text.join('\n') || 'nothing was running');
        return 0;
      }
      case 'status': {
        const s = await stackStatus();
        print(s, formatStatus(s));
        return s.kafka.healthy && s.clickhouse.healthy ? 0 : 3;
      }
      default:
        process.stderr.write(`${stackUsage}\n`);
        return 2;
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (json) process.stdout.write(`${JSON.stringify({ error: message })}\n`);
    process.stderr.write(`vigil stack ${action}: ${message}\n`);
    return 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  let brokers: BrokerCount | null = null;
  try {
    brokers = parseBrokersOption(args);
  } catch (err) {
    process.stderr.write(`vigil stack: ${(err as Error).message}\n${stackUsage}\n`);
    process.exit(2);
  }
  const action = args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '--brokers');
  runStackCommand(action, json, brokers).then((code) => {
    process.exitCode = code;
  });
}
