/**
 * A private, throw-away single-node Kafka (KRaft) for tests that must break a broker or need
 * one the shared stack is not (SASL_SSL): same jars and server.properties template as
 * deploy/stack.ts, but free loopback ports picked at run time, data in a temp dir and a small
 * heap, so the shared broker on 19092 is never touched.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../core/config.ts';
import type { KafkaConfig } from '../../core/kafka-config.ts';
import { VigilError } from '../../core/errors.ts';
import { freePort } from '../../core/free-port.ts';
import { createLogger } from '../../core/logger.ts';
import { createKafka } from '../../pipeline/kafka/client.ts';
import type { TestPki } from './tls.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const libDir = path.join(repoRoot, 'deploy', 'kafka', 'lib');

export interface SecondBroker {
  /** `127.0.0.1:<port>`, for `config.kafka.brokers`. */
  readonly brokers: string[];
  readonly dir: string;
  /** The running java process, or null while stopped. */
  pid(): number | null;
  /** Stops the broker (SIGTERM waits for it to exit; SIGKILL is a crash). */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same ports and data dir; resolves once it answers metadata requests. */
  start(): Promise<void>;
  /** Stops it and deletes its data dir. Safe to call twice. */
  close(): Promise<void>;
}

export interface SecondBrokerOptions {
  heap?: string;
  startTimeoutMs?: number;
  /**
   * Serve clients on a SASL_SSL listener only (SCRAM-SHA-512 over TLS with `pki`'s server
   * certificate), with these SCRAM users created at format time; `clientAuth` also requires a
   * client certificate signed by `pki`'s CA (mutual TLS).
   */
  secure?: { pki: TestPki; users: Array<{ username: string; password: string }>; clientAuth?: boolean };
}

/** Only the broker's own inter-broker login uses it; generated per broker. */
const BROKER_USER = 'vigil-test-broker';

/**
 * server.properties for a SASL_SSL client listener: the template's PLAINTEXT listener is
 * replaced (nothing else listens for clients), the controller stays PLAINTEXT on loopback.
 */
function securedProperties(props: string, brokerPort: number, secure: NonNullable<SecondBrokerOptions['secure']>, brokerPassword: string, dir: string): string {
  const storePassword = randomBytes(12).toString('hex');
  const keystore = secure.pki.pkcs12(storePassword);
  const rewritten = props
    .replace(/^listeners=.*$/m, `listeners=SASL_SSL://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:@CONTROLLER_PORT@`)
    .replace(/^advertised\.listeners=.*$/m, `advertised.listeners=SASL_SSL://127.0.0.1:${brokerPort}`)
    .replace(/^listener\.security\.protocol\.map=.*$/m, 'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT')
    .replace(/^inter\.broker\.listener\.name=.*$/m, 'inter.broker.listener.name=SASL_SSL');
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${BROKER_USER}" password="${brokerPassword}";`;
  return [
    rewritten,
    '# test/support/second-broker.ts: SASL_SSL with SCRAM-SHA-512',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas}`,
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${keystore}`,
    `ssl.keystore.password=${storePassword}`,
    `ssl.key.password=${storePassword}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${secure.pki.caCert}`,
    // On a SASL_SSL listener the unprefixed ssl.client.auth is ignored (KIP-684): prefix it.
    `listener.name.sasl_ssl.ssl.client.auth=${secure.clientAuth ? 'required' : 'none'}`,
    // The broker connects to itself by IP: its certificate names 127.0.0.1.
    'ssl.endpoint.identification.algorithm=https',
    `# data: ${dir}`,
    '',
  ].join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function javaBin(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

export async function answers(brokers: string[], security: Pick<KafkaConfig, 'sasl' | 'ssl'>): Promise<boolean> {
  const config = { kafka: { ...loadConfig({ env: {} }).kafka, brokers, clientId: 'vigil-second-broker-probe', ...security } };
  const admin = createKafka(config, createLogger('silent'), { retries: 0, connectionTimeoutMs: 1000 }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * What a test broker said before it died: the end of its stdout and of its server.log (log4j
 * writes there, and the folder is deleted when the start fails, so the error must carry it).
 */
export function brokerOutputTail(dir: string, stdoutFile: string, lines = 15): string {
  const last = (file: string) => {
    try {
      return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const out = last(stdoutFile);
  const log = last(path.join(dir, 'server.log'));
  return [out && `stdout:\n${out}`, log && `server.log:\n${log}`].filter(Boolean).join('\n') || '(no output)';
}

/** JVM arguments every test broker shares: its log dir, the repo's log4j2 config, the jars. */
export function kafkaJvmCommon(dir: string): string[] {
  return [`-Dkafka.logs.dir=${dir}`, `-Dlog4j2.configurationFile=${path.join(repoRoot, 'deploy', 'kafka', 'log4j2.xml')}`, '-Djava.awt.headless=true', '-cp', `${libDir}/*`];
}

/** The broker JVM flags for a shared 2-core machine: small heap, serial GC, C1 only. */
export function kafkaServerJvm(heap: string): string[] {
  return ['-Xms128m', `-Xmx${heap}`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:+ExitOnOutOfMemoryError'];
}

export function assertKafkaJars(): void {
  if (!existsSync(path.join(libDir, '.pom.sha256'))) {
    throw new VigilError(`Kafka jars are missing in ${libDir}`, { action: 'run bash deploy/install-deps.sh' });
  }
}

export async function startSecondBroker(options: SecondBrokerOptions = {}): Promise<SecondBroker> {
  assertKafkaJars();
  const brokerPort = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === brokerPort) controllerPort = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-second-kafka-'));
  const dataDir = path.join(dir, 'data');
  const propsFile = path.join(dir, 'server.properties');
  const stdoutFile = path.join(dir, 'stdout.log');
  let props = readFileSync(path.join(repoRoot, 'deploy', 'kafka', 'server.properties'), 'utf8')
    .replaceAll('@DATA_DIR@', dataDir)
    .replaceAll('127.0.0.1:19093', `127.0.0.1:${controllerPort}`)
    .replaceAll('127.0.0.1:19092', `127.0.0.1:${brokerPort}`);
  if (props.includes(':1909')) throw new VigilError('deploy/kafka/server.properties has ports this helper does not rewrite', { action: 'update test/support/second-broker.ts' });
  const secure = options.secure;
  const brokerPassword = randomBytes(12).toString('hex');
  if (secure) props = securedProperties(props, brokerPort, secure, brokerPassword, dir).replaceAll('@CONTROLLER_PORT@', String(controllerPort));
  writeFileSync(propsFile, props);
  // SCRAM credentials go into the metadata log at format time (KIP-900): no admin round trip.
  const scram = secure
    ? [{ username: BROKER_USER, password: brokerPassword }, ...secure.users].flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u.username},password=${u.password}]`])
    : [];
  const security: Pick<KafkaConfig, 'sasl' | 'ssl'> = secure
    ? {
        sasl: { mechanism: 'scram-sha-512', username: BROKER_USER, password: brokerPassword },
        ssl: { ca: secure.pki.caCert, cert: secure.pki.clientCert, key: secure.pki.clientKey, rejectUnauthorized: true },
      }
    : { sasl: null, ssl: null };
  // base64url may start with '-': the `=` form keeps argparse from reading it as an option.
  const clusterId = randomBytes(16).toString('base64url');
  const jvmCommon = kafkaJvmCommon(dir);
  const format = spawnSync(javaBin(), ['-Xmx256m', ...jvmCommon, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', propsFile, ...scram], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (format.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new VigilError(`formatting the second Kafka's storage failed: ${(format.stderr || format.stdout || String(format.error)).slice(-2000)}`, {
      action: 'check java -version (17+) and deploy/kafka/lib',
    });
  }

  const brokers = [`127.0.0.1:${brokerPort}`];
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let closed = false;

  const tail = () => brokerOutputTail(dir, stdoutFile);

  async function start(): Promise<void> {
    if (child) return;
    const out = openSync(stdoutFile, 'a');
    const proc = spawn(
      javaBin(),
      [...kafkaServerJvm(options.heap ?? '384m'), ...jvmCommon, 'kafka.Kafka', propsFile],
      { cwd: dir, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    child = proc;
    let exitCode: number | null = null;
    exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        exitCode = code ?? (signal ? 128 : -1);
        if (child === proc) child = null;
        resolve();
      });
    });
    const deadline = Date.now() + startTimeoutMs;
    while (!(await answers(brokers, security))) {
      if (exitCode !== null) throw new VigilError(`the second Kafka exited during start-up (code ${exitCode}):\n${tail()}`, { action: `read ${dir}/server.log` });
      if (Date.now() > deadline) {
        await stop('SIGKILL');
        throw new VigilError(`the second Kafka did not answer on ${brokers[0]} within ${startTimeoutMs} ms:\n${tail()}`, { action: `read ${dir}/server.log` });
      }
      await sleep(300);
    }
  }

  async function stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const proc = child;
    if (!proc) return;
    proc.kill(signal);
    const gone = await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)]);
    if (!gone) {
      proc.kill('SIGKILL');
      await exited;
    }
  }

  try {
    await start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    brokers,
    dir,
    pid: () => child?.pid ?? null,
    stop,
    start,
    async close() {
      if (closed) return;
      closed = true;
      await stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
