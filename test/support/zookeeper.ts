/**
 * A private, throw-away standalone ZooKeeper (Debian's `zookeeper` package, 3.8) on a free
 * loopback port with its own zoo.cfg and dataDir in a temp folder and a small heap: what a
 * replicated ClickHouse needs for its replication log, block hashes and ON CLUSTER queue.
 * Nothing on the machine's own ZooKeeper (if any) is touched.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { VigilError } from '../../core/errors.ts';
import { freePort } from '../../core/free-port.ts';
import { javaBin } from '../../deploy/kafka-node.ts';
import { serverProcess } from './server-process.ts';

/** The jar's manifest names every dependency under /usr/share/java. */
export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';

export interface PrivateZooKeeper {
  readonly port: number;
  readonly dir: string;
  pid(): number | null;
  /** SIGKILL is a crash. Resolves once the JVM has exited. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port and data; resolves once it answers `ruok`. */
  start(): Promise<void>;
  /** Kills it and deletes its folder. Safe to call twice. */
  close(): Promise<void>;
}

/** zoo.cfg of a standalone server (pure; exported for tests). */
export function zooCfg(port: number, dataDir: string): string {
  return [
    'tickTime=2000',
    `dataDir=${dataDir}`,
    `clientPort=${port}`,
    'clientPortAddress=127.0.0.1',
    // No admin web server (it would take 8080) and no connection cap (four ClickHouse servers
    // keep one session each, tests open more).
    'admin.enableServer=false',
    'maxClientCnxns=0',
    '4lw.commands.whitelist=ruok,mntr,stat',
    // Keep only recent snapshots: a test writes thousands of block hashes.
    'autopurge.snapRetainCount=3',
    'autopurge.purgeInterval=1',
    '',
  ].join('\n');
}

/** Sends a four-letter word and resolves with the answer ('' when nothing answers). */
export function fourLetterWord(port: number, word: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = () => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, done);
    socket.once('connect', () => socket.write(word));
    socket.on('data', (d) => (answer += d.toString('utf8')));
    socket.once('end', done);
    socket.once('error', done);
  });
}

export async function startZooKeeper(options: { heap?: string; startTimeoutMs?: number } = {}): Promise<PrivateZooKeeper> {
  if (!existsSync(ZOOKEEPER_JAR)) throw new VigilError(`ZooKeeper is not installed (${ZOOKEEPER_JAR} is missing)`, { action: 'run bash deploy/install-deps.sh (it installs Debian zookeeper)' });
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-zookeeper-'));
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  const cfg = path.join(dir, 'zoo.cfg');
  writeFileSync(cfg, zooCfg(port, dataDir));
  const server = serverProcess({
    label: `the private ZooKeeper on 127.0.0.1:${port}`,
    command: javaBin(),
    args: [`-Xmx${options.heap ?? '128m'}`, '-XX:+UseSerialGC', '-Dzookeeper.admin.enableServer=false', '-cp', ZOOKEEPER_JAR, 'org.apache.zookeeper.server.ZooKeeperServerMain', cfg],
    dir,
    ready: async () => (await fourLetterWord(port, 'ruok')) === 'imok',
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
    stopGraceMs: 20_000,
  });
  try {
    await server.start();
  } catch (err) {
    await server.close();
    throw err;
  }
  return { port, dir, pid: server.pid, stop: async (signal) => void (await server.stop(signal)), start: server.start, close: server.close };
}
