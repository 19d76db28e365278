/**
 * test/support/server-process.ts: the one helper every private test server runs on. Pure parts
 * (log tail, start error) and the life cycle with a trivial node process standing in for a server.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logTail, serverProcess, startFailure, type ServerProcess } from '../support/server-process.ts';

const dirs: string[] = [];
const procs: ServerProcess[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'vigil-server-process-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A TCP server on `port` that (optionally) ignores SIGTERM: stands in for a JVM. */
function fakeServer(dir: string, port: number, o: { ignoreTerm?: boolean; exitCode?: number } = {}) {
  const script = [
    `console.log('starting on ${port}');`,
    o.exitCode !== undefined ? `console.error('fatal: address in use'); process.exit(${o.exitCode});` : '',
    o.ignoreTerm ? `process.on('SIGTERM', () => console.log('ignoring SIGTERM'));` : '',
    `require('node:net').createServer().listen(${port}, '127.0.0.1');`,
  ].join('\n');
  return serverProcess({
    label: 'the fake server',
    command: process.execPath,
    args: ['-e', script],
    dir,
    logs: [path.join(dir, 'server.log')],
    ready: () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      }),
    startTimeoutMs: 30_000,
    stopGraceMs: 1000,
    pollMs: 50,
  });
}

async function freePort(): Promise<number> {
  const { freePort: f } = await import('../../core/free-port.ts');
  return f();
}

describe('logTail', () => {
  it('quotes the end of each log that has any under its name, or says there was none', () => {
    const dir = tempDir();
    const stdout = path.join(dir, 'stdout.log');
    const server = path.join(dir, 'server.log');
    expect(logTail([stdout, server])).toBe('(no output)');
    writeFileSync(stdout, 'starting\n');
    writeFileSync(server, [...Array.from({ length: 30 }, (_, i) => `line ${i}`), 'ERROR Address already in use', ''].join('\n'));
    expect(logTail([stdout, server], 3)).toBe('stdout.log:\nstarting\nserver.log:\nline 28\nline 29\nERROR Address already in use');
    writeFileSync(stdout, '\n\n');
    expect(logTail([stdout, server], 1)).toBe('server.log:\nERROR Address already in use');
  });
});

describe('startFailure', () => {
  it('says whether it exited (with the code) or was not ready in time, carries the tail and names the log', () => {
    const exited = startFailure('node 2', { exitCode: 1, timeoutMs: 5000 }, 'stdout.log:\nboom', '/d/server.log');
    expect(exited.message).toBe('node 2 exited during start-up (code 1):\nstdout.log:\nboom — read /d/server.log');
    expect(exited.action).toBe('read /d/server.log');
    expect(startFailure('zk', { exitCode: null, timeoutMs: 5000 }, '(no output)', '/d/stdout.log').message).toBe('zk was not ready within 5000 ms:\n(no output) — read /d/stdout.log');
  });
});

describe('serverProcess', () => {
  it('starts, is ready, stops, starts again on the same folder, and close() deletes the folder', async () => {
    const dir = tempDir();
    const p = fakeServer(dir, await freePort());
    procs.push(p);
    await p.start();
    const first = p.pid();
    expect(first).toBeGreaterThan(0);
    await p.stop('SIGTERM');
    expect(p.pid()).toBeNull();
    await p.restart();
    expect(p.pid()).not.toBe(first);
    expect(p.logTail()).toMatch(/^stdout\.log:\nstarting on \d+\nstarting on \d+$/);
    await p.close();
    expect(p.pid()).toBeNull();
    expect(existsSync(dir)).toBe(false);
    await p.close(); // twice is fine
  });

  it('a process that exits during start-up fails the start with its exit code and output', async () => {
    const p = fakeServer(tempDir(), await freePort(), { exitCode: 3 });
    procs.push(p);
    await expect(p.start()).rejects.toThrow(/^the fake server exited during start-up \(code 3\):\nstdout\.log:\nstarting on \d+\nfatal: address in use — read \S+\/server\.log$/);
    expect(p.pid()).toBeNull();
  });

  it('a binary that does not exist fails the start instead of waiting for the timeout', async () => {
    const p = serverProcess({ label: 'nothing', command: '/nonexistent/vigil-server', args: [], dir: tempDir(), ready: async () => false, startTimeoutMs: 60_000, pollMs: 50 });
    procs.push(p);
    await expect(p.start()).rejects.toThrow(/^nothing exited during start-up \(code -1\)/);
  });

  it('a server that is never ready is killed at the deadline and the error says so', async () => {
    const dir = tempDir();
    const p = serverProcess({ label: 'the mute server', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], dir, ready: async () => false, startTimeoutMs: 300, pollMs: 50 });
    procs.push(p);
    await expect(p.start()).rejects.toThrow(/^the mute server was not ready within 300 ms:\n\(no output\) — read \S+\/stdout\.log$/);
    expect(p.pid()).toBeNull();
  });

  it('SIGTERM that is ignored is followed by SIGKILL after the grace period; SIGKILL is immediate', async () => {
    const p = fakeServer(tempDir(), await freePort(), { ignoreTerm: true });
    procs.push(p);
    await p.start();
    await p.stop('SIGTERM');
    expect(p.pid()).toBeNull();
    expect(p.logTail()).toMatch(/ignoring SIGTERM/);
    await p.start();
    await p.stop('SIGKILL');
    expect(p.pid()).toBeNull();
  });
});
