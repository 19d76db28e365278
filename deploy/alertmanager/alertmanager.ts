/**
 * Starts Debian's `prometheus-alertmanager` (installed by deploy/install-deps.sh) on a free
 * loopback port with this folder's config and a data folder of its own, clustering off. Used by
 * the test setup; `close()` stops it (SIGTERM, SIGKILL after 5 s) and removes the data folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VigilError } from '../../core/errors.ts';
import { freePort } from '../../core/free-port.ts';

export const ALERTMANAGER_BINARY = 'prometheus-alertmanager';
export const ALERTMANAGER_CONFIG = path.join(path.dirname(fileURLToPath(import.meta.url)), 'alertmanager.yml');

export interface RunningAlertmanager {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function waitReady(url: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new VigilError(`Alertmanager exited with code ${child.exitCode}: ${log()}`, { action: 'see its output above' });
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new VigilError(`Alertmanager at ${url} not ready after ${timeoutMs} ms: ${log()}`, { action: 'see its output' });
}

export async function startAlertmanager(options: { configFile?: string; readyTimeoutMs?: number } = {}): Promise<RunningAlertmanager> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-alertmanager-'));
  const args = [
    `--config.file=${options.configFile ?? ALERTMANAGER_CONFIG}`,
    `--storage.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
    '--log.level=warn',
  ];
  let output = '';
  const child = spawn(ALERTMANAGER_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (cause) =>
      reject(new VigilError(`cannot run ${ALERTMANAGER_BINARY}`, { cause, action: "install it with 'bash deploy/install-deps.sh' (Debian package prometheus-alertmanager)" })),
    );
  });
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await spawned;
    await waitReady(url, child, () => output, options.readyTimeoutMs ?? 15_000);
  } catch (err) {
    await close();
    throw err;
  }
  return { url, port, close };
}
