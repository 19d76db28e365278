/**
 * A Python command-line tool from PyPI in a virtualenv the tests create and keep under the
 * git-ignored `.cache/` of the checkout: every package pinned by a frozen requirements file
 * under test/fixtures/, so a rerun reuses the virtualenv and a new pin rebuilds it.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VigilError } from '../../core/errors.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface VenvTool {
  /** The package whose version the requirements pin (`<package>==<version>` line). */
  package: string;
  /** Frozen requirements file. */
  requirements: string;
  /** The command inside the virtualenv's bin/. */
  command: string;
  /** Arguments that make the command print its version. */
  versionArgs: string[];
}

function run(cmd: string, args: string[], timeoutMs: number): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' } });
  return { status: r.error ? null : r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** The version the requirements pin for `tool.package`. */
export function pinnedVersion(tool: Pick<VenvTool, 'package' | 'requirements'>): string {
  const m = new RegExp(`^${tool.package.replace(/[-.]/g, '[-_.]')}==(\\S+)$`, 'im').exec(readFileSync(tool.requirements, 'utf8'));
  if (!m) throw new VigilError(`${tool.requirements} pins no ${tool.package}`, { action: `add a ${tool.package}==<version> line` });
  return m[1];
}

/** The virtualenv's folder, keyed by the requirements' content. */
export function venvDir(tool: Pick<VenvTool, 'package' | 'requirements'>): string {
  const digest = createHash('sha256').update(readFileSync(tool.requirements)).digest('hex').slice(0, 12);
  return path.join(ROOT, '.cache', `${tool.package}-${digest}`);
}

/** Path of the tool's command, creating the virtualenv first when it is missing or stale. */
export function ensureVenvTool(tool: VenvTool): string {
  const version = pinnedVersion(tool);
  const venv = venvDir(tool);
  const bin = path.join(venv, 'bin', tool.command);
  const marker = path.join(venv, '.installed');
  if (existsSync(marker) && existsSync(bin)) return bin;
  rmSync(venv, { recursive: true, force: true });
  const python = run('python3', ['-m', 'venv', venv], 120_000);
  if (python.status !== 0) {
    throw new VigilError(`cannot create a Python virtualenv at ${venv}: ${python.out.slice(-500)}`, { action: 'install python3 and python3-venv (deploy/install-deps.sh does)' });
  }
  const pip = run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--no-input', '-r', tool.requirements], 600_000);
  if (pip.status !== 0) {
    throw new VigilError(`pip could not install ${tool.package} ${version}: ${pip.out.slice(-800)}`, { action: 'check access to PyPI (pip config / proxy), then rerun' });
  }
  const said = run(bin, tool.versionArgs, 60_000);
  if (!said.out.includes(version)) throw new VigilError(`${bin} ${tool.versionArgs.join(' ')} says ${said.out.trim()}, expected ${version}`, { action: `delete ${venv} and rerun` });
  writeFileSync(marker, `${version}\n`);
  return bin;
}
