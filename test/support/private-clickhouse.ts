/**
 * A private, throw-away ClickHouse server for tests that need what the shared stack does not
 * serve (an https port with a generated certificate): the stack's own config.xml and users.xml
 * on free loopback ports, data in a temp dir, stopped and deleted by close().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VigilError } from '../../core/errors.ts';
import { freePort } from '../../core/free-port.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface PrivateClickHouse {
  /** http://127.0.0.1:<port> */
  readonly httpUrl: string;
  /** https://127.0.0.1:<port>, served with `tls.cert` / `tls.key`; null without tls. */
  readonly httpsUrl: string | null;
  readonly dir: string;
  close(): Promise<void>;
}

export interface PrivateClickHouseOptions {
  /** PEM certificate and key for an https port. */
  tls?: { cert: string; key: string };
  startTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

export async function startPrivateClickHouse(options: PrivateClickHouseOptions = {}): Promise<PrivateClickHouse> {
  const bin = clickhouseServerBinary();
  if (!bin) throw new VigilError('clickhouse-server is not installed', { action: 'run bash deploy/install-deps.sh' });
  const [httpPort, tcpPort, httpsPort] = await distinctPorts(3);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-private-ch-'));
  for (const sub of ['data', 'tmp', 'log', 'user_files', 'format_schemas']) mkdirSync(path.join(dir, sub));
  let xml = readFileSync(path.join(repoRoot, 'deploy', 'clickhouse', 'config.xml'), 'utf8')
    .replaceAll('@STACK_DIR@', dir)
    .replace('<http_port>18123</http_port>', `<http_port>${httpPort}</http_port>`)
    .replace('<tcp_port>19000</tcp_port>', `<tcp_port>${tcpPort}</tcp_port>`);
  if (xml.includes('18123') || xml.includes('19000')) throw new VigilError('deploy/clickhouse/config.xml has ports this helper does not rewrite', { action: 'update test/support/private-clickhouse.ts' });
  if (options.tls) {
    // Poco's server context: our certificate and key, no client certificates asked for.
    const https = [
      `<https_port>${httpsPort}</https_port>`,
      '<openSSL><server>',
      `<certificateFile>${options.tls.cert}</certificateFile><privateKeyFile>${options.tls.key}</privateKeyFile>`,
      '<verificationMode>none</verificationMode><loadDefaultCAFile>false</loadDefaultCAFile>',
      '<cacheSessions>true</cacheSessions><disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols><preferServerCiphers>true</preferServerCiphers>',
      '</server></openSSL>',
    ].join('');
    xml = xml.replace('</yandex>', `${https}\n</yandex>`);
  }
  const configFile = path.join(dir, 'config.xml');
  writeFileSync(configFile, xml);
  copyFileSync(path.join(repoRoot, 'deploy', 'clickhouse', 'users.xml'), path.join(dir, 'users.xml'));

  const out = openSync(path.join(dir, 'stdout.log'), 'a');
  const child: ChildProcess = spawn(bin, [`--config-file=${configFile}`], { cwd: dir, stdio: ['ignore', out, out] });
  closeSync(out);
  let exitCode: number | null = null;
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => ((exitCode = code ?? (signal ? 128 : -1)), resolve())));
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const close = async () => {
    if (exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    const ok = await fetch(`${httpUrl}/ping`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ok) break;
    if (exitCode !== null || Date.now() > deadline) {
      const log = (() => {
        try {
          return readFileSync(path.join(dir, 'log', 'clickhouse-server.err.log'), 'utf8').split('\n').slice(-15).join('\n');
        } catch {
          return '(no log)';
        }
      })();
      await close();
      throw new VigilError(`the private ClickHouse did not start (exit ${exitCode ?? 'none'}):\n${log}`, { action: 'read the log above' });
    }
    await sleep(200);
  }
  return { httpUrl, httpsUrl: options.tls ? `https://127.0.0.1:${httpsPort}` : null, dir, close };
}
