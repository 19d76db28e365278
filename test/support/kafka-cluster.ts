/**
 * A private, throw-away three-node Kafka cluster (KRaft, every node broker + controller, all
 * three voters of the quorum) on free loopback ports, data in a temp dir, a small heap per JVM:
 * for tests that lose a broker of a replicated cluster. The shared broker on 19092 is never
 * touched. Each node is configured as the stack's `--brokers 3` nodes are (deploy/kafka-node.ts).
 */
import type { Admin } from 'kafkajs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VigilError } from '../../core/errors.ts';
import { freePort } from '../../core/free-port.ts';
import { assertKafkaJars, clusterProperties, formatKafkaStorage, javaBin, kafkaAnswers, kafkaJvmCommon, kafkaServerJvm, kafkaTemplate, newClusterId } from '../../deploy/kafka-node.ts';
import { serverProcess, type ServerProcess } from './server-process.ts';

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
  const template = kafkaTemplate();
  const clusterId = newClusterId();
  let closed = false;
  const servers: ServerProcess[] = [];
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  };

  const nodes: ClusterNode[] = [];
  try {
    for (const [i, port] of brokerPorts.entries()) {
      const id = i + 1;
      const nodeDir = path.join(dir, `node-${id}`);
      mkdirSync(nodeDir);
      const propsFile = path.join(nodeDir, 'server.properties');
      writeFileSync(propsFile, clusterProperties(template, id, brokerPorts, controllerPorts, path.join(nodeDir, 'data')));
      formatKafkaStorage({ label: `node ${id} of the test Kafka cluster`, dir: nodeDir, propsFile, clusterId });
      const broker = `127.0.0.1:${port}`;
      const server = serverProcess({
        label: `node ${id} of the test Kafka cluster (${broker})`,
        command: javaBin(),
        args: [...kafkaServerJvm(options.heap ?? '384m'), ...kafkaJvmCommon(nodeDir), 'kafka.Kafka', propsFile],
        dir: nodeDir,
        logs: [path.join(nodeDir, 'server.log')],
        ready: () => kafkaAnswers([broker]),
        startTimeoutMs: options.startTimeoutMs ?? 120_000,
        pollMs: 500,
      });
      servers.push(server);
      nodes.push({ nodeId: id, broker, pid: server.pid, stop: async (signal = 'SIGTERM') => void (await server.stop(signal)), start: server.start });
    }
    // Spawned together: one node alone has no quorum to answer with.
    for (const s of servers) s.spawn();
    await Promise.all(servers.map((s) => s.ready()));
  } catch (err) {
    await close();
    throw err;
  }
  return { brokers: nodes.map((n) => n.broker), nodes, dir, close };
}
