/**
 * How one Kafka (KRaft) node of this checkout is configured and launched: its server.properties
 * from deploy/kafka/server.properties (the single stack broker, or node N of a 3-node quorum),
 * the JVM arguments, the storage format. The stack (deploy/stack.ts) and the tests' private
 * brokers (test/support/second-broker.ts, kafka-cluster.ts) all use these, so a cluster the
 * stack starts is the one the tests break.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../core/config.ts';
import { VigilError } from '../core/errors.ts';
import type { KafkaConfig } from '../core/kafka-config.ts';
import { createLogger } from '../core/logger.ts';
import { createKafka } from '../pipeline/kafka/client.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
export const kafkaLibDir = path.join(repoRoot, 'deploy', 'kafka', 'lib');

/** The single-node template's broker and controller ports, rewritten for any other node. */
export const TEMPLATE_PORTS = { broker: 19092, controller: 19093 } as const;

export function kafkaTemplate(): string {
  return readFileSync(path.join(repoRoot, 'deploy', 'kafka', 'server.properties'), 'utf8');
}

export function javaBin(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

export function assertKafkaJars(): void {
  if (!existsSync(path.join(kafkaLibDir, '.pom.sha256'))) {
    throw new VigilError(`Kafka jars are missing in ${kafkaLibDir}`, { action: 'run bash deploy/install-deps.sh' });
  }
}

/** JVM arguments every node shares: its log dir (server.log), the repo's log4j2 config, the jars. */
export function kafkaJvmCommon(dir: string): string[] {
  return [`-Dkafka.logs.dir=${dir}`, `-Dlog4j2.configurationFile=${path.join(repoRoot, 'deploy', 'kafka', 'log4j2.xml')}`, '-Djava.awt.headless=true', '-cp', `${kafkaLibDir}/*`];
}

/** Broker JVM flags for several nodes on a shared 2-core machine: small heap, serial GC, C1 only. */
export function kafkaServerJvm(heap: string): string[] {
  return ['-Xms128m', `-Xmx${heap}`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:+ExitOnOutOfMemoryError'];
}

/** The template's loopback ports must be the two the functions below rewrite. */
function assertTemplatePorts(template: string, who: string): void {
  const known: number[] = [TEMPLATE_PORTS.broker, TEMPLATE_PORTS.controller];
  const other = [...template.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1])).filter((p) => !known.includes(p));
  if (other.length > 0) throw new VigilError(`deploy/kafka/server.properties has ports this code does not rewrite (${other.join(', ')})`, { action: `update ${who} in deploy/kafka-node.ts` });
}

/** server.properties of a single node (broker + its own controller) on other ports. */
export function singleNodeProperties(template: string, brokerPort: number, controllerPort: number, dataDir: string): string {
  assertTemplatePorts(template, 'singleNodeProperties');
  return template
    .replaceAll('@DATA_DIR@', dataDir)
    .replaceAll(`127.0.0.1:${TEMPLATE_PORTS.controller}`, `127.0.0.1:${controllerPort}`)
    .replaceAll(`127.0.0.1:${TEMPLATE_PORTS.broker}`, `127.0.0.1:${brokerPort}`);
}

/**
 * server.properties of node `id` (1-based) of a cluster where every node is broker and
 * controller and all are voters of the quorum; internal topics and defaults replicated 3 (fewer
 * nodes: all of them) with min ISR one less, like Vigil's topics.
 */
export function clusterProperties(template: string, id: number, brokerPorts: number[], controllerPorts: number[], dataDir: string): string {
  const voters = controllerPorts.map((p, i) => `${i + 1}@127.0.0.1:${p}`).join(',');
  const replication = Math.min(3, brokerPorts.length);
  const minIsr = Math.max(1, replication - 1);
  // Ports first: the voters set next may name the template's own controller port (the stack's node 1).
  return singleNodeProperties(template, brokerPorts[id - 1]!, controllerPorts[id - 1]!, dataDir)
    .replace(/^node\.id=.*$/m, `node.id=${id}`)
    .replace(/^controller\.quorum\.voters=.*$/m, `controller.quorum.voters=${voters}`)
    // Internal topics replicated like Vigil's: the group coordinator must survive a lost node.
    .replace(/^offsets\.topic\.replication\.factor=.*$/m, `offsets.topic.replication.factor=${replication}`)
    .replace(/^transaction\.state\.log\.replication\.factor=.*$/m, `transaction.state.log.replication.factor=${replication}`)
    .replace(/^transaction\.state\.log\.min\.isr=.*$/m, `transaction.state.log.min.isr=${minIsr}`)
    .replace(/^default\.replication\.factor=.*$/m, `default.replication.factor=${replication}`)
    .replace(/^min\.insync\.replicas=.*$/m, `min.insync.replicas=${minIsr}`);
}

/** A new KRaft cluster id: 16 random bytes, base64url. */
export function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Formats a node's log dir with `clusterId` (the same id on every node of a cluster).
 * `--cluster-id=<id>`: a base64url id may start with '-', which argparse would read as an option.
 */
export function formatKafkaStorage(o: { label: string; dir: string; propsFile: string; clusterId: string; extraArgs?: string[]; timeoutMs?: number }): void {
  const res = spawnSync(javaBin(), ['-Xmx256m', ...kafkaJvmCommon(o.dir), 'kafka.tools.StorageTool', 'format', `--cluster-id=${o.clusterId}`, '-c', o.propsFile, ...(o.extraArgs ?? [])], {
    encoding: 'utf8',
    timeout: o.timeoutMs ?? 90_000,
  });
  if (res.status !== 0) {
    throw new VigilError(`formatting the storage of ${o.label} failed: ${(res.stderr || res.stdout || String(res.error)).slice(-2000)}`, {
      action: 'check that Java 17+ is installed (java -version) and the jars in deploy/kafka/lib (bash deploy/install-deps.sh)',
    });
  }
}

/**
 * What the cluster behind `brokers` says of itself (one metadata round trip, no retries), or null
 * when nothing answers: the readiness check of the stack and of the tests' brokers.
 */
export async function describeKafka(brokers: string[], security: Pick<KafkaConfig, 'sasl' | 'ssl'> = { sasl: null, ssl: null }): Promise<{ brokers: string[]; controller: number | null } | null> {
  const config = { kafka: { ...loadConfig({ env: {} }).kafka, brokers, clientId: 'vigil-kafka-probe', ...security } };
  const admin = createKafka(config, createLogger('silent'), { retries: 0, connectionTimeoutMs: 1000 }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return { brokers: cluster.brokers.map((b) => `${b.host}:${b.port}`), controller: cluster.controller };
  } catch {
    return null;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Whether a broker answers metadata requests with a quorum behind it (a controller elected). */
export async function kafkaAnswers(brokers: string[], security?: Pick<KafkaConfig, 'sasl' | 'ssl'>): Promise<boolean> {
  const d = await describeKafka(brokers, security);
  return d !== null && d.brokers.length > 0 && d.controller !== null;
}
