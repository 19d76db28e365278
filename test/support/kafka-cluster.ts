/**
 * A private, throw-away three-node Kafka cluster (KRaft, every node broker + controller, all
 * three voters of the quorum) on free loopback ports, data in a temp dir, a small heap per JVM:
 * for tests that lose a broker of a replicated cluster. The shared broker on 19092 is never
 * touched. Same jars and server.properties template as deploy/stack.ts and second-broker.ts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Admin } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VigilError } from '../../core/errors.ts';
import { freePort } from '../../core/free-port.ts';
import { answers, assertKafkaJars, brokerOutputTail, javaBin, kafkaJvmCommon, kafkaServerJvm } from './second-broker.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NONE = { sasl: null, ssl: null } as const;

export interface ClusterNode {
  readonly nodeId: number;
  readonly broker: string;
  pid(): number | null;
  /** SIGKILL is a crash; SIGTERM a clean shutdown. Resolves once the JVM has exited. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same ports and data; resolves once it answers metadata requests. */
  start(): Promise<void>;
}

export interface KafkaCluster {
  /** Every node's `127.0.0.1:<port>`, for `config.kafka.brokers`. */
  readonly brokers: string[];
  readonly nodes: ClusterNode[];
  readonly dir: string;
  /** Kills every node and deletes the data. Safe to call twice. */
  close(): Promise<void>;
}

/** server.properties of node `id` (1-based) from the single-broker template. */
export function clusterProperties(template: string, id: number, brokerPorts: number[], controllerPorts: number[], dataDir: string): string {
  const voters = controllerPorts.map((p, i) => `${i + 1}@127.0.0.1:${p}`).join(',');
  const props = template
    .replaceAll('@DATA_DIR@', dataDir)
    .replace(/^node\.id=.*$/m, `node.id=${id}`)
    .replace(/^controller\.quorum\.voters=.*$/m, `controller.quorum.voters=${voters}`)
    .replaceAll('127.0.0.1:19093', `127.0.0.1:${controllerPorts[id - 1]}`)
    .replaceAll('127.0.0.1:19092', `127.0.0.1:${brokerPorts[id - 1]}`)
    // Internal topics replicated like Vigil's: the group coordinator must survive a lost node.
    .replace(/^offsets\.topic\.replication\.factor=.*$/m, 'offsets.topic.replication.factor=3')
    .replace(/^transaction\.state\.log\.replication\.factor=.*$/m, 'transaction.state.log.replication.factor=3')
    .replace(/^transaction\.state\.log\.min\.isr=.*$/m, 'transaction.state.log.min.isr=2')
    .replace(/^default\.replication\.factor=.*$/m, 'default.replication.factor=3')
    .replace(/^min\.insync\.replicas=.*$/m, 'min.insync.replicas=2');
  if (props.includes(':1909')) throw new VigilError('deploy/kafka/server.properties has ports this helper does not rewrite', { action: 'update test/support/kafka-cluster.ts' });
  return props;
}

/**
 * The `__consumer_offsets` partition holding a group (Kafka's GroupMetadataManager: Java
 * `String.hashCode`, sign bit cleared, modulo the partition count): its leader is the group's
 * coordinator.
 */
export function consumerOffsetsPartition(groupId: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(h, 31) + groupId.charCodeAt(i)) | 0;
  return (h & 0x7fffffff) % partitions;
}

/** Node id of the group coordinator of `groupId` (the group must have been joined once). */
export async function groupCoordinator(admin: Pick<Admin, 'fetchTopicMetadata'>, groupId: string): Promise<number> {
  const [offsets] = (await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] })).topics;
  if (!offsets || offsets.partitions.length === 0) throw new VigilError('__consumer_offsets has no partitions yet', { action: 'ask once a consumer group has joined' });
  const p = consumerOffsetsPartition(groupId, offsets.partitions.length);
  return offsets.partitions.find((x) => x.partitionId === p)!.leader;
}

export async function startKafkaCluster(options: { heap?: string; startTimeoutMs?: number } = {}): Promise<KafkaCluster> {
  assertKafkaJars();
  const ports = new Set<number>();
  while (ports.size < 6) ports.add(await freePort());
  const [b1, b2, b3, c1, c2, c3] = [...ports];
  const brokerPorts = [b1!, b2!, b3!];
  const controllerPorts = [c1!, c2!, c3!];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-kafka-cluster-'));
  const template = readFileSync(path.join(repoRoot, 'deploy', 'kafka', 'server.properties'), 'utf8');
  const clusterId = randomBytes(16).toString('base64url');
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  let closed = false;

  const nodes = brokerPorts.map((port, i) => {
    const id = i + 1;
    const nodeDir = path.join(dir, `node-${id}`);
    mkdirSync(nodeDir);
    const propsFile = path.join(nodeDir, 'server.properties');
    const stdoutFile = path.join(nodeDir, 'stdout.log');
    writeFileSync(propsFile, clusterProperties(template, id, brokerPorts, controllerPorts, path.join(nodeDir, 'data')));
    const jvmCommon = kafkaJvmCommon(nodeDir);
    const format = spawnSync(javaBin(), ['-Xmx256m', ...jvmCommon, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', propsFile], { encoding: 'utf8', timeout: 90_000 });
    if (format.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new VigilError(`formatting node ${id} of the test Kafka cluster failed: ${(format.stderr || format.stdout || String(format.error)).slice(-2000)}`, { action: 'check java -version (17+) and deploy/kafka/lib' });
    }
    const broker = `127.0.0.1:${port}`;
    let child: ChildProcess | null = null;
    let exited: Promise<void> = Promise.resolve();
    let exitCode: number | null = null;
    const tail = () => brokerOutputTail(nodeDir, stdoutFile);
    const node = {
      nodeId: id,
      broker,
      pid: () => child?.pid ?? null,
      /** Spawns the JVM without waiting: the three must start together to form a quorum. */
      spawn() {
        if (child) return;
        const out = openSync(stdoutFile, 'a');
        const proc = spawn(javaBin(), [...kafkaServerJvm(options.heap ?? '384m'), ...jvmCommon, 'kafka.Kafka', propsFile], { cwd: nodeDir, stdio: ['ignore', out, out] });
        closeSync(out);
        child = proc;
        exitCode = null;
        exited = new Promise((resolve) => {
          proc.once('exit', (code, signal) => {
            exitCode = code ?? (signal ? 128 : -1);
            if (child === proc) child = null;
            resolve();
          });
        });
      },
      async ready() {
        const deadline = Date.now() + startTimeoutMs;
        while (!(await answers([broker], NONE))) {
          if (exitCode !== null) throw new VigilError(`node ${id} of the test Kafka cluster exited during start-up (code ${exitCode}):\n${tail()}`, { action: `read ${nodeDir}/server.log` });
          if (Date.now() > deadline) throw new VigilError(`node ${id} of the test Kafka cluster did not answer on ${broker} within ${startTimeoutMs} ms:\n${tail()}`, { action: `read ${nodeDir}/server.log` });
          await sleep(500);
        }
      },
      async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') {
        const proc = child;
        if (!proc) return;
        proc.kill(signal);
        if (!(await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)]))) {
          proc.kill('SIGKILL');
          await exited;
        }
      },
      async start() {
        node.spawn();
        await node.ready();
      },
    };
    return node;
  });

  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const n of nodes) n.spawn();
    await Promise.all(nodes.map((n) => n.ready()));
  } catch (err) {
    await close();
    throw err;
  }
  return { brokers: nodes.map((n) => n.broker), nodes, dir, close };
}
