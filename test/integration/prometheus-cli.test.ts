/**
 * `npm run prometheus` (deploy/prometheus/cli.ts) as a user runs it: a real Prometheus on a free
 * loopback port scraping the ports of vigil.config (here set through VIGIL_* variables), stopped
 * cleanly by SIGTERM; bad options stop it before anything starts.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/index.ts';
import { prometheusClient } from '../../deploy/prometheus/api.ts';

const cli = fileURLToPath(new URL('../../deploy/prometheus/cli.ts', import.meta.url));
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-prometheus-cli-'));
const children: ChildProcessByStdio<null, Readable, Readable>[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const ports = { VIGIL_PIPELINE_HTTP_PORT: '45001', VIGIL_GATEWAY_PORT: '45002', VIGIL_API_PORT: '45003', VIGIL_ONCALL_HTTP_PORT: '45004' };

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    env: { ...process.env, ...ports, VIGIL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exit, out: () => stdout, err: () => stderr };
}

describe('npm run prometheus', () => {
  it('scrapes the four processes at the configured ports and stops on SIGTERM', async () => {
    const p = run(['--data-dir', dataDir, '--scrape-interval', '2']);
    const url = await waitFor(() => /Prometheus (http:\/\/127\.0\.0\.1:\d+) /.exec(p.out())?.[1], 30_000, { message: `the URL on stdout (stderr: ${p.err()})` });
    const targets = await waitFor(async () => {
      const t = await prometheusClient(url).targets();
      return t.length === 4 ? t : false;
    }, 10_000, { message: 'four targets' });
    expect(Object.fromEntries(targets.map((t) => [t.labels.job, t.scrapeUrl]))).toEqual({
      'vigil-pipeline': 'http://127.0.0.1:45001/metrics',
      'vigil-gateway': 'http://127.0.0.1:45002/metrics',
      'vigil-api': 'http://127.0.0.1:45003/metrics',
      'vigil-oncall': 'http://127.0.0.1:45004/metrics',
    });
    expect((await prometheusClient(url).rules()).length).toBeGreaterThan(0);
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    await expect(fetch(`${url}/-/ready`)).rejects.toThrow();
  });

  it('leaves no Prometheus behind when it is killed with SIGKILL', async () => {
    const dir = path.join(dataDir, 'killed');
    const p = run(['--data-dir', dir]);
    const url = await waitFor(() => /Prometheus (http:\/\/127\.0\.0\.1:\d+) /.exec(p.out())?.[1], 30_000, { message: `the URL on stdout (stderr: ${p.err()})` });
    const pid = Number(readFileSync(path.join(dir, 'prometheus.pid'), 'utf8'));
    expect(alive(pid)).toBe(true);
    p.child.kill('SIGKILL');
    await p.exit;
    // The watchdog sees its stdin close and stops Prometheus, which shuts down cleanly.
    await waitFor(() => !alive(pid), 15_000, { message: `prometheus ${pid} gone` });
    await expect(fetch(`${url}/-/ready`)).rejects.toThrow();
    expect(readFileSync(path.join(dir, 'prometheus.log'), 'utf8')).toContain('See you next time!');
  });

  it.each([
    [['--port', 'abc'], /--port takes a whole number/],
    [['--port', '70000'], /--port takes a whole number/],
    [['--scrape-interval', '0'], /--scrape-interval takes a whole number/],
    [['--alertmanager', 'http://x:9093'], /not a scrape target/],
    [['--unknown'], /Unknown option/],
    [['--api-key-file', '/nonexistent/vigil-api.key'], /--api-key-file \/nonexistent\/vigil-api.key does not exist/],
  ])('refuses %j with a clear error', async (args, message) => {
    const p = run(args);
    expect(await p.exit).toBe(1);
    expect(p.err()).toMatch(message);
    expect(p.out()).toBe('');
  });
});
