/**
 * Runs Debian's `prometheus` (2.42, installed by deploy/install-deps.sh) as a child process on
 * loopback, with a config rendered by config.ts and a data folder of its own, until close().
 * Used by the integration test (free port, temp folder, 1 s scrapes) and by `npm run prometheus`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VigilError } from '../../core/errors.ts';
import { freePort } from '../../core/free-port.ts';
import type { Logger } from '../../core/logger.ts';
import { prometheusClient, type PrometheusClient } from './api.ts';
import { hostPort, renderPrometheusConfig, rulesFile, type PrometheusConfigOptions } from './config.ts';

export interface StartPrometheusOptions extends Omit<PrometheusConfigOptions, 'ruleFiles'> {
  logger: Logger;
  /** Default: Vigil's rules (deploy/prometheus/vigil-rules.yml). */
  ruleFiles?: readonly string[];
  /** Listen address; loopback unless the caller says otherwise. */
  host?: string;
  /** 0 = a free port (default). */
  port?: number;
  /** Folder for the config, the TSDB and the log; default a new temp folder, deleted on close. */
  dir?: string;
  binary?: string;
  startTimeoutMs?: number;
  /** Key (role `metrics`) for the API's /metrics: written to a 0600 file in `dir` that the vigil-api job reads. */
  apiKey?: string;
}

export interface PrometheusProcess {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly configFile: string;
  /** Prometheus' own process id. */
  readonly pid: number;
  readonly api: PrometheusClient;
  /** The last lines Prometheus logged (for failure messages). */
  logTail(lines?: number): string;
  /** SIGTERM, then SIGKILL after 10 s; deletes a temp folder. Safe to call twice. */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs Prometheus ($0 "$@") under sh, which sends it SIGTERM when its stdin — a pipe from this
 * process — reaches end of file: on close(), and also when this process dies without closing
 * (a test worker killed with SIGKILL), so no Prometheus outlives the process that started it.
 * Prometheus' own pid goes to $VIGIL_PROMETHEUS_PID_FILE for the SIGKILL fallback.
 */
const WATCHDOG = [
  'exec 3<&0',
  '"$0" "$@" </dev/null &',
  'p=$!',
  'echo "$p" > "$VIGIL_PROMETHEUS_PID_FILE"',
  '{ cat <&3 >/dev/null; kill -TERM "$p" 2>/dev/null; } &',
  'exec 3<&-',
  'wait "$p"',
].join('\n');

function readFileSyncSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
/** Free-port picking races with other binders; a taken port is retried this many times. */
const BIND_ATTEMPTS = 3;

export function prometheusVersion(binary = 'prometheus'): string {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) {
    throw new VigilError(`cannot run ${binary}: ${r.error?.message ?? (r.stderr || r.stdout).slice(0, 300)}`, {
      cause: r.error,
      action: "install Debian's prometheus with 'bash deploy/install-deps.sh'",
    });
  }
  return (r.stdout || r.stderr).split('\n')[0];
}

export async function startPrometheus(opts: StartPrometheusOptions): Promise<PrometheusProcess> {
  const binary = opts.binary ?? 'prometheus';
  prometheusVersion(binary);
  const host = opts.host ?? '127.0.0.1';
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'vigil-prometheus-'));
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const configFile = path.join(dir, 'prometheus.json');
  const credentialsFiles = { ...opts.credentialsFiles };
  if (opts.apiKey !== undefined) {
    credentialsFiles['vigil-api'] = path.join(dir, 'vigil-api.key');
    writeFileSync(credentialsFiles['vigil-api'], opts.apiKey, { mode: 0o600 });
  }
  writeFileSync(configFile, renderPrometheusConfig({ ...opts, credentialsFiles, ruleFiles: opts.ruleFiles ?? [rulesFile] }));
  const logFile = path.join(dir, 'prometheus.log');
  const logger = opts.logger.child({ component: 'prometheus' });

  const logTail = (lines = 20) => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };

  for (let attempt = 1; ; attempt++) {
    const port = opts.port || (await freePort(host));
    const started = await launch(port);
    if (started.kind === 'ready') return started.process;
    const taken = /address already in use/i.test(started.log);
    if (taken && !opts.port && attempt < BIND_ATTEMPTS) {
      logger.warn({ port, attempt }, 'port taken before Prometheus bound it, trying another');
      continue;
    }
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw new VigilError(`Prometheus did not become ready on ${hostPort(host, port)}: ${started.reason}\n${started.log}`, {
      action: taken ? 'give a free port' : `read ${logFile} (kept only when dir is given) and check the config with 'promtool check config'`,
    });
  }

  async function launch(port: number): Promise<{ kind: 'ready'; process: PrometheusProcess } | { kind: 'failed'; reason: string; log: string }> {
    const listen = hostPort(host, port);
    const out = openSync(logFile, 'a');
    const pidFile = path.join(dir, 'prometheus.pid');
    rmSync(pidFile, { force: true });
    let child: ChildProcess;
    try {
      child = spawn(
        'sh',
        [
          '-c',
          WATCHDOG,
          binary,
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${path.join(dir, 'data')}`,
          `--web.listen-address=${listen}`,
          '--storage.tsdb.retention.time=2d',
          '--log.level=info',
        ],
        { stdio: ['pipe', out, out], env: { ...process.env, VIGIL_PROMETHEUS_PID_FILE: pidFile } },
      );
    } finally {
      closeSync(out);
    }
    const prometheusPid = (): number | null => {
      const n = Number(readFileSyncSafe(pidFile).trim());
      return Number.isInteger(n) && n > 0 ? n : null;
    };
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const exit = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exited = { code, signal };
        resolve();
      });
      child.once('error', (err) => {
        exited = { code: null, signal: null };
        logger.error({ err }, 'prometheus failed to start');
        resolve();
      });
    });
    const url = `http://${listen}`;
    const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
    let ready = false;
    while (!ready && !exited && Date.now() < deadline) {
      try {
        ready = (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok;
      } catch {
        // not listening yet
      }
      if (!ready) await sleep(100);
    }
    if (exited) return { kind: 'failed', reason: `it exited (${JSON.stringify(exited)})`, log: logTail() };
    if (!ready) {
      const pid = prometheusPid();
      if (pid) killQuietly(pid);
      child.kill('SIGKILL');
      await exit;
      return { kind: 'failed', reason: `not ready within ${opts.startTimeoutMs ?? 30_000} ms`, log: logTail() };
    }
    logger.info({ url, dir, prometheusPid: prometheusPid() }, 'prometheus ready');

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        if (!exited) {
          // End of stdin is the watchdog's signal: it sends Prometheus SIGTERM.
          child.stdin?.end();
          let timer: NodeJS.Timeout | undefined;
          const killed = await Promise.race([exit.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 10_000)))]);
          clearTimeout(timer);
          if (killed) {
            const pid = prometheusPid();
            logger.warn({ prometheusPid: pid }, 'prometheus ignored SIGTERM for 10 s, killing it');
            if (pid) killQuietly(pid);
            child.kill('SIGKILL');
            await exit;
          }
        }
        if (ownDir) rmSync(dir, { recursive: true, force: true });
      })());
    return {
      kind: 'ready',
      process: { url, port, dir, configFile, pid: prometheusPid() ?? child.pid!, api: prometheusClient(url), logTail, close },
    };
  }
}
