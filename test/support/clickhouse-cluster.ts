/**
 * A private, throw-away ClickHouse cluster for tests: one ZooKeeper (zookeeper.ts) and four
 * ClickHouse 18.16 servers forming `vigil_cluster`, two shards of two replicas, all on free
 * loopback ports with their own data folders (private-clickhouse.ts: the stack's config.xml and
 * users.xml plus the cluster elements below). Each server can be stopped and started on its
 * own. The shared stack's server (18123 / 19000) is never touched.
 */
import { LOCAL_CLICKHOUSE_USERS } from '../../core/clickhouse-config.ts';
import { VigilError } from '../../core/errors.ts';
import { freePort } from '../../core/free-port.ts';
import { startPrivateClickHouse, type PrivateClickHouse } from './private-clickhouse.ts';
import { startZooKeeper, type PrivateZooKeeper } from './zookeeper.ts';

export const CLUSTER_NAME = 'vigil_cluster';

export interface ClusterServerPorts {
  http: number;
  tcp: number;
  /** interserver_http_port: where the other replica of the shard fetches parts. */
  interserver: number;
}

export interface ClusterServer extends PrivateClickHouse {
  /** 1-based shard and replica numbers (the {shard} / {replica} macros are 01 / r1 and so on). */
  readonly shard: number;
  readonly replica: number;
  readonly ports: ClusterServerPorts;
}

export interface ClickHouseCluster {
  readonly name: string;
  readonly zookeeper: PrivateZooKeeper;
  /** shard 1 replica 1, shard 1 replica 2, shard 2 replica 1, shard 2 replica 2. */
  readonly servers: ClusterServer[];
  server(shard: number, replica: number): ClusterServer;
  /** Stops every server and ZooKeeper and deletes their folders. Safe to call twice. */
  close(): Promise<void>;
}

export const macroShard = (shard: number) => String(shard).padStart(2, '0');
export const macroReplica = (replica: number) => `r${replica}`;

/**
 * The cluster part of one server's config (pure; exported for tests): its macros, the
 * interserver port its replica fetches from, ZooKeeper, the ON CLUSTER queue and the cluster
 * itself. `shards[s][r]` are the native ports of every server, the same list in each config.
 * internal_replication: a Distributed insert goes to ONE replica per shard and the Replicated
 * table copies it to the other (writing both would store it twice when the block hashes differ).
 */
export function clusterServerXml(o: { shard: number; replica: number; interserverPort: number; zookeeperPort: number; shards: number[][]; name?: string }): string {
  const user = LOCAL_CLICKHOUSE_USERS.writer;
  const shardsXml = o.shards
    .map(
      (replicas) =>
        `<shard><internal_replication>true</internal_replication>${replicas
          .map((tcp) => `<replica><host>127.0.0.1</host><port>${tcp}</port><user>${user.username}</user><password>${user.password}</password></replica>`)
          .join('')}</shard>`,
    )
    .join('');
  return [
    `<interserver_http_host>127.0.0.1</interserver_http_host>`,
    `<interserver_http_port>${o.interserverPort}</interserver_http_port>`,
    `<macros><shard>${macroShard(o.shard)}</shard><replica>${macroReplica(o.replica)}</replica></macros>`,
    `<zookeeper><node><host>127.0.0.1</host><port>${o.zookeeperPort}</port></node><session_timeout_ms>30000</session_timeout_ms></zookeeper>`,
    `<distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>`,
    `<remote_servers><${o.name ?? CLUSTER_NAME}>${shardsXml}</${o.name ?? CLUSTER_NAME}></remote_servers>`,
  ].join('\n');
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

interface StartOptions {
  shards?: number;
  replicas?: number;
  startTimeoutMs?: number;
}

/**
 * Starts the cluster; once more on fresh ports if a server did not come up as itself (its ports
 * are picked before any server starts, and another test on the machine may take one meanwhile).
 */
export async function startClickHouseCluster(options: StartOptions = {}): Promise<ClickHouseCluster> {
  try {
    return await startOnce(options);
  } catch (err) {
    console.warn(`[clickhouse-cluster] first start failed, retrying on other ports: ${(err as Error).message.slice(0, 300)}`);
    return startOnce(options);
  }
}

/** The {shard} / {replica} macros the server on `httpUrl` answers with: proves the port is ours. */
async function macrosOf(httpUrl: string): Promise<string> {
  const user = LOCAL_CLICKHOUSE_USERS.writer;
  const res = await fetch(`${httpUrl}/?query=${encodeURIComponent("SELECT groupArray(concat(macro, '=', substitution)) FROM (SELECT * FROM system.macros ORDER BY macro) FORMAT TSV")}`, {
    headers: { 'X-ClickHouse-User': user.username, 'X-ClickHouse-Key': user.password },
    signal: AbortSignal.timeout(5000),
  });
  return (await res.text()).trim();
}

/**
 * A first ON CLUSTER query, answered by all four, before the cluster is handed out: the
 * servers' ZooKeeper sessions and ON CLUSTER queues are then running. A server that died
 * meanwhile (seen once in a while on the first ON CLUSTER query of a fresh 18.16 cluster) is
 * named with its log and started again, and the query repeated.
 */
async function warmUp(servers: ClusterServer[]): Promise<void> {
  const user = LOCAL_CLICKHOUSE_USERS.writer;
  const headers = { 'X-ClickHouse-User': user.username, 'X-ClickHouse-Key': user.password };
  // Each server's ZooKeeper session first (a query of system.zookeeper opens it, bounded wait).
  for (const s of servers) {
    const deadline = Date.now() + 60_000;
    const ask = () =>
      fetch(`${s.httpUrl}/`, { method: 'POST', headers, body: "SELECT count() FROM system.zookeeper WHERE path = '/'", signal: AbortSignal.timeout(10_000) }).then(
        (r) => r.ok,
        () => false,
      );
    while (!(await ask())) {
      if (Date.now() > deadline) throw new VigilError(`shard ${s.shard} replica ${s.replica} has no ZooKeeper session after 60 s:\n${s.logTail(20)}`, { action: 'read the log above' });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  for (let attempt = 1; ; attempt++) {
    const answer = await fetch(`${servers[0].httpUrl}/`, {
      method: 'POST',
      headers,
      body: `CREATE DATABASE IF NOT EXISTS vigil_cluster_ready ON CLUSTER ${CLUSTER_NAME}`,
      signal: AbortSignal.timeout(120_000),
    }).then(async (r) => (r.ok ? null : `HTTP ${r.status}: ${(await r.text()).slice(0, 300)}`), (e: unknown) => String(e));
    const dead = servers.filter((s) => s.pid() === null);
    if (answer === null && dead.length === 0) return;
    const what = `${answer ?? 'answered'}; down: ${dead.map((s) => `shard ${s.shard} replica ${s.replica}:\n${s.logTail(20)}`).join('\n') || 'none'}`;
    if (attempt >= 3) throw new VigilError(`the private ClickHouse cluster does not answer ON CLUSTER queries: ${what}`, { action: 'read the logs above' });
    console.warn(`[clickhouse-cluster] warm-up ON CLUSTER query failed (attempt ${attempt}): ${what}`);
    for (const s of dead) await s.start();
  }
}

async function startOnce(options: StartOptions): Promise<ClickHouseCluster> {
  const shardCount = options.shards ?? 2;
  const replicaCount = options.replicas ?? 2;
  const zookeeper = await startZooKeeper();
  const layout: { shard: number; replica: number; ports: ClusterServerPorts }[] = [];
  const free = await distinctPorts(3 * shardCount * replicaCount);
  for (let s = 1; s <= shardCount; s++)
    for (let r = 1; r <= replicaCount; r++) layout.push({ shard: s, replica: r, ports: { http: free.pop()!, tcp: free.pop()!, interserver: free.pop()! } });
  const shards = [...Array(shardCount).keys()].map((i) => layout.filter((l) => l.shard === i + 1).map((l) => l.ports.tcp));
  const servers: ClusterServer[] = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all(servers.map((s) => s.close()));
    await zookeeper.close();
  };
  try {
    // One at a time: four servers starting together on two cores take longer than in turn.
    for (const l of layout) {
      const extraXml = clusterServerXml({ shard: l.shard, replica: l.replica, interserverPort: l.ports.interserver, zookeeperPort: zookeeper.port, shards });
      const ch = await startPrivateClickHouse({ ports: { http: l.ports.http, tcp: l.ports.tcp }, extraXml, startTimeoutMs: options.startTimeoutMs ?? 60_000 });
      servers.push({ ...ch, shard: l.shard, replica: l.replica, ports: l.ports });
      const want = `['replica=${macroReplica(l.replica)}','shard=${macroShard(l.shard)}']`;
      const got = await macrosOf(ch.httpUrl).catch((e: unknown) => String(e));
      if (got !== want) throw new VigilError(`the server answering on ${ch.httpUrl} is not shard ${l.shard} replica ${l.replica} (macros ${got.slice(0, 200)})`, { action: 'another process took the port: start again' });
    }
    await warmUp(servers);
  } catch (err) {
    await close();
    throw err;
  }
  const server = (shard: number, replica: number) => {
    const found = servers.find((s) => s.shard === shard && s.replica === replica);
    if (!found) throw new Error(`no server for shard ${shard} replica ${replica}`);
    return found;
  };
  return { name: CLUSTER_NAME, zookeeper, servers, server, close };
}
