/**
 * A private, throw-away single-node Kafka (KRaft) for tests that must break a broker or need
 * one the shared stack is not (SASL_SSL): the stack's node configuration (deploy/kafka-node.ts)
 * on free loopback ports picked at run time, data in a temp dir and a small heap, so the shared
 * broker on 19092 is never touched.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KafkaConfig } from '../../core/kafka-config.ts';
import { freePort } from '../../core/free-port.ts';
import { assertKafkaJars, formatKafkaStorage, javaBin, kafkaAnswers, kafkaJvmCommon, kafkaServerJvm, kafkaTemplate, newClusterId, singleNodeProperties } from '../../deploy/kafka-node.ts';
import { serverProcess } from './server-process.ts';
import type { TestPki } from './tls.ts';

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

export async function startSecondBroker(options: SecondBrokerOptions = {}): Promise<SecondBroker> {
  assertKafkaJars();
  const brokerPort = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === brokerPort) controllerPort = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-second-kafka-'));
  const propsFile = path.join(dir, 'server.properties');
  let props = singleNodeProperties(kafkaTemplate(), brokerPort, controllerPort, path.join(dir, 'data'));
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
  try {
    formatKafkaStorage({ label: 'the second Kafka', dir, propsFile, clusterId: newClusterId(), extraArgs: scram, timeoutMs: 60_000 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const brokers = [`127.0.0.1:${brokerPort}`];
  const server = serverProcess({
    label: `the second Kafka on ${brokers[0]}`,
    command: javaBin(),
    args: [...kafkaServerJvm(options.heap ?? '384m'), ...kafkaJvmCommon(dir), 'kafka.Kafka', propsFile],
    dir,
    logs: [path.join(dir, 'server.log')],
    ready: () => kafkaAnswers(brokers, security),
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
  });
  try {
    await server.start();
  } catch (err) {
    await server.close();
    throw err;
  }
  return { brokers, dir, pid: server.pid, stop: async (signal) => void (await server.stop(signal)), start: server.start, close: server.close };
}
