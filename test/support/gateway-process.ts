/**
 * A gateway in a child process of its own (test/faults/support/gateway-child.ts): for reading
 * its RSS alone, running several side by side, or killing one with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { VigilConfig } from '../../core/config.ts';
import { waitFor } from './wait.ts';

export interface GatewayProcess {
  proc: ChildProcess;
  port: number;
  /** Every JSON line the child printed, and `{exit, stderr}` once it exits. */
  lines: Array<Record<string, unknown>>;
  /** Asks for a clean stop; SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export async function spawnGateway(config: VigilConfig, options: { exposeGc?: boolean } = {}): Promise<GatewayProcess> {
  const script = fileURLToPath(new URL('../faults/support/gateway-child.ts', import.meta.url));
  const proc = spawn(process.execPath, [...(options.exposeGc ? ['--expose-gc'] : []), '--import', 'tsx', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, VIGIL_TEST_GATEWAY_CONFIG: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
  proc.on('exit', (code, signal) => lines.push({ exit: signal ?? code, stderr }));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a stray log line
    }
  });
  const exited = () => proc.exitCode !== null || proc.signalCode !== null;
  const stop = async () => {
    if (exited()) return;
    proc.stdin!.write('stop\n');
    await Promise.race([new Promise((r) => proc.once('exit', r)), new Promise((r) => setTimeout(r, 10_000))]);
    if (!exited()) proc.kill('SIGKILL');
  };
  const started = await waitFor(() => lines.find((l) => 'port' in l || 'exit' in l), 120_000, { message: 'the gateway child listening' });
  if (!('port' in started)) throw new Error(`gateway child exited: ${JSON.stringify(started)}`);
  return { proc, port: started.port as number, lines, stop };
}
