/**
 * schemathesis (PyPI) in a virtualenv the test creates and keeps under the git-ignored
 * `.cache/` of the checkout: every package pinned by test/fixtures/schemathesis/requirements.txt
 * (schemathesis 4.32.5 and what it needs, frozen), so a rerun reuses it and a new pin rebuilds it.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VigilError } from '../../core/errors.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCHEMATHESIS_REQUIREMENTS = path.join(ROOT, 'test', 'fixtures', 'schemathesis', 'requirements.txt');
export const SCHEMATHESIS_VERSION = /^schemathesis==(\S+)$/m.exec(readFileSync(SCHEMATHESIS_REQUIREMENTS, 'utf8'))![1];

function run(cmd: string, args: string[], timeoutMs: number): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' } });
  return { status: r.error ? null : r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Path of the `st` command, creating the virtualenv first when it is missing or stale. */
export function ensureSchemathesis(): string {
  const requirements = readFileSync(SCHEMATHESIS_REQUIREMENTS);
  const digest = createHash('sha256').update(requirements).digest('hex').slice(0, 12);
  const venv = path.join(ROOT, '.cache', `schemathesis-${digest}`);
  const st = path.join(venv, 'bin', 'st');
  const marker = path.join(venv, '.installed');
  if (existsSync(marker) && existsSync(st)) return st;
  rmSync(venv, { recursive: true, force: true });
  const python = run('python3', ['-m', 'venv', venv], 120_000);
  if (python.status !== 0) {
    throw new VigilError(`cannot create a Python virtualenv at ${venv}: ${python.out.slice(-500)}`, { action: 'install python3 and python3-venv (deploy/install-deps.sh does)' });
  }
  const pip = run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--no-input', '-r', SCHEMATHESIS_REQUIREMENTS], 600_000);
  if (pip.status !== 0) {
    throw new VigilError(`pip could not install schemathesis ${SCHEMATHESIS_VERSION}: ${pip.out.slice(-800)}`, { action: 'check access to PyPI (pip config / proxy), then rerun' });
  }
  const version = run(st, ['--version'], 60_000);
  if (!version.out.includes(SCHEMATHESIS_VERSION)) throw new VigilError(`${st} --version says ${version.out.trim()}, expected ${SCHEMATHESIS_VERSION}`, { action: `delete ${venv} and rerun` });
  writeFileSync(marker, `${SCHEMATHESIS_VERSION}\n`);
  return st;
}
