/**
 * schemathesis (PyPI) in a virtualenv of its own under `.cache/` (test/support/python-venv.ts):
 * every package pinned by test/fixtures/schemathesis/requirements.txt (schemathesis 4.32.5 and
 * what it needs, frozen).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureVenvTool, pinnedVersion, type VenvTool } from './python-venv.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCHEMATHESIS_REQUIREMENTS = path.join(ROOT, 'test', 'fixtures', 'schemathesis', 'requirements.txt');
const tool: VenvTool = { package: 'schemathesis', requirements: SCHEMATHESIS_REQUIREMENTS, command: 'st', versionArgs: ['--version'] };
export const SCHEMATHESIS_VERSION = pinnedVersion(tool);

/** Path of the `st` command, creating the virtualenv first when it is missing or stale. */
export function ensureSchemathesis(): string {
  return ensureVenvTool(tool);
}
