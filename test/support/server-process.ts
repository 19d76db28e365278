/**
 * One private server process for tests (a Kafka node, ZooKeeper, a ClickHouse server): spawned
 * in its own folder with stdout and stderr appended to `<dir>/stdout.log`, ready once a check
 * passes, stopped (SIGTERM, SIGKILL after a grace period) and started again on the same folder.
 * A start that fails (the process exits, or the check does not pass in time) throws with the end
 * of its logs: the folder is usually deleted right after, so the error must carry the cause.
 * zookeeper.ts, private-clickhouse.ts, second-broker.ts and kafka-cluster.ts all run on this.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { VigilError } from '../../core/errors.ts';

export interface ServerProcessOptions {
  /** Named in errors, e.g. `node 2 of the test Kafka cluster`. */
  label: string;
  command: string;
  args: string[];
  /** Its folder: working directory, stdout.log, deleted by close(). */
  dir: string;
  /** Further log files whose ends an error quotes after stdout.log's (e.g. Kafka's server.log). */
  logs?: string[];
  /** Whether the server answers (false, or a rejection, until it does). */
  ready(): Promise<boolean>;
  startTimeoutMs: number;
  /** Pause between two readiness checks. */
  pollMs?: number;
  /** How long a SIGTERM may take before SIGKILL follows. */
  stopGraceMs?: number;
}

export interface ServerProcess {
  readonly dir: string;
  /** The running process, or null while stopped. */
  pid(): number | null;
  /** Spawns it without waiting (servers that must start together, as a Kafka quorum). No-op while running. */
  spawn(): void;
  /** Resolves once the check passes; throws (after SIGKILL) if it exits or the time is up. */
  ready(): Promise<void>;
  /** spawn() then ready(). */
  start(): Promise<void>;
  /** SIGTERM waits up to the grace period, then SIGKILL; SIGKILL is a crash. Resolves with how long it took to exit. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<number>;
  /** Clean stop, then start on the same folder. */
  restart(): Promise<void>;
  /** The end of its logs, for error messages. */
  logTail(lines?: number): string;
  /** SIGKILL and delete the folder. Safe to call twice. */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The last `lines` lines of each file that has any, each under its file name; `(no output)` if none has. */
export function logTail(files: string[], lines = 15): string {
  const parts = files.flatMap((file) => {
    let text = '';
    try {
      text = readFileSync(file, 'utf8').trimEnd();
    } catch {
      return [];
    }
    return text ? [`${path.basename(file)}:\n${text.split('\n').slice(-lines).join('\n')}`] : [];
  });
  return parts.join('\n') || '(no output)';
}

/** The error of a start that failed (pure; exported for tests). */
export function startFailure(label: string, why: { exitCode: number | null; timeoutMs: number }, tail: string, logFile: string): VigilError {
  const what = why.exitCode !== null ? `exited during start-up (code ${why.exitCode})` : `was not ready within ${why.timeoutMs} ms`;
  return new VigilError(`${label} ${what}:\n${tail}`, { action: `read ${logFile}` });
}

export function serverProcess(o: ServerProcessOptions): ServerProcess {
  const stdoutFile = path.join(o.dir, 'stdout.log');
  const logFiles = [stdoutFile, ...(o.logs ?? [])];
  const graceMs = o.stopGraceMs ?? 30_000;
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let exitCode: number | null = null;
  let closed = false;

  const tail = (lines = 15) => logTail(logFiles, lines);

  function spawnIt(): void {
    if (child) return;
    const out = openSync(stdoutFile, 'a');
    const proc = spawn(o.command, o.args, { cwd: o.dir, stdio: ['ignore', out, out] });
    closeSync(out);
    child = proc;
    exitCode = null;
    exited = new Promise((resolve) => {
      // 'error' (e.g. no such binary) comes instead of 'exit'.
      proc.once('error', () => {
        exitCode = -1;
        if (child === proc) child = null;
        resolve();
      });
      proc.once('exit', (code, signal) => {
        exitCode = code ?? (signal ? 128 : -1);
        if (child === proc) child = null;
        resolve();
      });
    });
  }

  async function stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<number> {
    const proc = child;
    const t0 = Date.now();
    if (!proc) return 0;
    proc.kill(signal);
    if (!(await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]))) {
      proc.kill('SIGKILL');
      await exited;
    }
    return Date.now() - t0;
  }

  async function ready(): Promise<void> {
    const deadline = Date.now() + o.startTimeoutMs;
    for (;;) {
      if (await o.ready().catch(() => false)) return;
      if (exitCode !== null || Date.now() > deadline) {
        const code = exitCode;
        await stop('SIGKILL');
        throw startFailure(o.label, { exitCode: code, timeoutMs: o.startTimeoutMs }, tail(), logFiles[logFiles.length - 1]!);
      }
      await sleep(o.pollMs ?? 300);
    }
  }

  async function start(): Promise<void> {
    spawnIt();
    await ready();
  }

  return {
    dir: o.dir,
    pid: () => child?.pid ?? null,
    spawn: spawnIt,
    ready,
    start,
    stop,
    async restart() {
      await stop('SIGTERM');
      await start();
    },
    logTail: tail,
    async close() {
      if (closed) return;
      closed = true;
      await stop('SIGKILL');
      rmSync(o.dir, { recursive: true, force: true });
    },
  };
}
