/**
 * promtool (shipped with Debian's prometheus) on Vigil's files: config and rule syntax, and the
 * rule unit tests in vigil-rules.test.yml.
 */
import { spawnSync } from 'node:child_process';
import { VigilError } from '../../core/errors.ts';

export interface PromtoolResult {
  ok: boolean;
  /** stdout and stderr together, as promtool prints its findings on both. */
  output: string;
}

export function promtool(args: readonly string[], opts: { binary?: string; cwd?: string; timeoutMs?: number } = {}): PromtoolResult {
  const binary = opts.binary ?? 'promtool';
  const r = spawnSync(binary, args, { encoding: 'utf8', cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000 });
  if (r.error) {
    throw new VigilError(`cannot run ${binary} ${args.join(' ')}: ${r.error.message}`, {
      cause: r.error,
      action: "install Debian's prometheus (it ships promtool) with 'bash deploy/install-deps.sh'",
    });
  }
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}
