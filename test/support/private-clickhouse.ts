/**
 * A private, throw-away ClickHouse server for tests that need what the shared stack does not
 * serve (an https port with a generated certificate) or must break the server itself (stop it,
 * fill or freeze its disk): the stack's own config.xml and users.xml (deploy/stack.ts
 * writeClickHouseConfig) on free loopback ports, data in a temp dir, stopped and deleted by close().
 */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeClickHouseConfig } from '../../deploy/stack.ts';
import { VigilError } from '../../core/errors.ts';
import { freePort } from '../../core/free-port.ts';
import { serverProcess } from './server-process.ts';

export interface PrivateClickHouse {
  /** http://127.0.0.1:<port> */
  readonly httpUrl: string;
  /** https://127.0.0.1:<port>, served with `tls.cert` / `tls.key`; null without tls. */
  readonly httpsUrl: string | null;
  readonly dir: string;
  /** Its data folder (`<dir>/data`), where the server keeps every table. */
  readonly dataDir: string;
  /** The running server process, or null while stopped. */
  pid(): number | null;
  /** Stops the server (SIGTERM waits for it to exit, SIGKILL after 30 s; SIGKILL is a crash). Resolves with how long it took to exit. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<number>;
  /** Starts it again on the same ports and data folder; resolves once it answers /ping. */
  start(): Promise<void>;
  /** The end of its stdout and error log, for error messages. */
  logTail(lines?: number): string;
  /** Stops it (SIGKILL) and deletes its folder. Safe to call twice. */
  close(): Promise<void>;
}

export interface PrivateClickHouseOptions {
  /** PEM certificate and key for an https port. */
  tls?: { cert: string; key: string };
  startTimeoutMs?: number;
  /** Called with the (empty) data folder before the first start, e.g. to mount a small tmpfs on it. */
  prepareData?: (dataDir: string) => void;
  /** Ports chosen by the caller (a cluster's servers must know each other's before any starts); free ones otherwise. */
  ports?: { http: number; tcp: number };
  /** More config elements, e.g. a cluster server's macros, zookeeper and remote_servers. */
  extraXml?: string;
}

/** The server binary, or null when ClickHouse is not installed (the caller skips, naming it). */
export function clickhouseServerBinary(): string | null {
  for (const bin of ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server']) if (existsSync(bin)) return bin;
  return null;
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function httpsXml(httpsPort: number, tls: { cert: string; key: string }): string {
  // Poco's server context: our certificate and key, no client certificates asked for.
  return [
    `<https_port>${httpsPort}</https_port>`,
    '<openSSL><server>',
    `<certificateFile>${tls.cert}</certificateFile><privateKeyFile>${tls.key}</privateKeyFile>`,
    '<verificationMode>none</verificationMode><loadDefaultCAFile>false</loadDefaultCAFile>',
    '<cacheSessions>true</cacheSessions><disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols><preferServerCiphers>true</preferServerCiphers>',
    '</server></openSSL>',
  ].join('');
}

export async function startPrivateClickHouse(options: PrivateClickHouseOptions = {}): Promise<PrivateClickHouse> {
  const bin = clickhouseServerBinary();
  if (!bin) throw new VigilError('clickhouse-server is not installed', { action: 'run bash deploy/install-deps.sh' });
  const [freeHttp, freeTcp, httpsPort] = await distinctPorts(3);
  const { http: httpPort, tcp: tcpPort } = options.ports ?? { http: freeHttp, tcp: freeTcp };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-private-ch-'));
  const dataDir = path.join(dir, 'data');
  const extraXml = [options.tls ? httpsXml(httpsPort, options.tls) : '', options.extraXml ?? ''].filter(Boolean).join('\n');
  const configFile = writeClickHouseConfig(dir, { http: httpPort, tcp: tcpPort }, extraXml);
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const server = serverProcess({
    label: `the private ClickHouse (${dir})`,
    command: bin,
    args: [`--config-file=${configFile}`],
    dir,
    logs: [path.join(dir, 'log', 'clickhouse-server.err.log')],
    ready: () => fetch(`${httpUrl}/ping`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok),
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
    pollMs: 200,
  });
  try {
    options.prepareData?.(dataDir);
    await server.start();
  } catch (err) {
    await server.close();
    throw err;
  }
  return { httpUrl, httpsUrl: options.tls ? `https://127.0.0.1:${httpsPort}` : null, dir, dataDir, pid: server.pid, stop: server.stop, start: server.start, logTail: server.logTail, close: server.close };
}
