/**
 * Reads the shipped systemd units and environment templates (deploy/production/) the way systemd
 * would assemble a service's environment: Environment= lines, then EnvironmentFile= files (which
 * win), with `%d` (the credentials folder) and the install paths mapped to given folders. Used by
 * the tests (test/integration/production-systemd.test.ts) and by the Kubernetes manifests' test,
 * so the two deployments cannot drift apart in what they set.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const productionDir = path.dirname(fileURLToPath(import.meta.url));
export const unitsDir = path.join(productionDir, 'systemd');
export const templatesDir = path.join(productionDir, 'etc', 'vigil');
/** Where the units expect the checkout and the templates on a production host. */
export const INSTALL_ROOT = '/opt/vigil';
export const INSTALL_ETC = '/etc/vigil';
/** The shared drop-in every vigil-*.service gets. */
export const dropInFile = path.join(unitsDir, 'vigil-.service.d', '10-vigil.conf');
/** Value of a template line that must be filled in before the process starts. */
export const PLACEHOLDER = 'REPLACE-ME';

export function serviceUnits(): string[] {
  return readdirSync(unitsDir).filter((f) => /^vigil-.+\.service$/.test(f)).sort();
}

/** The units of long-lived roles (a Deployment each on Kubernetes); the others are Type=oneshot jobs. */
export function roleUnits(): string[] {
  return serviceUnits().filter((u) => setting(u, 'Type') !== 'oneshot');
}

/** Type=oneshot units (started by a timer; a CronJob on Kubernetes). */
export function jobUnits(): string[] {
  return serviceUnits().filter((u) => setting(u, 'Type') === 'oneshot');
}

/** `Key=value` lines of a unit file (comments and section headers dropped), in order. */
export function unitEntries(file: string): { key: string; value: string }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';') && !l.startsWith('['))
    .map((l) => {
      const i = l.indexOf('=');
      return { key: l.slice(0, i), value: l.slice(i + 1) };
    });
}

/** The entries of a service unit with the shared drop-in applied (drop-in first, as systemd merges). */
export function serviceEntries(unit: string): { key: string; value: string }[] {
  return [...unitEntries(dropInFile), ...unitEntries(path.join(unitsDir, unit))];
}

export interface TemplateLine {
  name: string;
  value: string;
  /** Commented out (`#NAME=value`): the value is the built-in default, or empty for none. */
  commented: boolean;
}

/** The variable lines of an environment template, commented ones included. */
export function templateLines(file: string): TemplateLine[] {
  const out: TemplateLine[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(#?)(VIGIL_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out.push({ name: m[2], value: unquote(m[3]), commented: m[1] === '#' });
  }
  return out;
}

/** systemd strips one pair of surrounding quotes from an EnvironmentFile value. */
function unquote(v: string): string {
  return /^'.*'$|^".*"$/.test(v) ? v.slice(1, -1) : v;
}

/** An install path (/etc/vigil/x, /opt/vigil/x) mapped into the checkout. */
export function localPath(p: string, checkoutRoot: string): string {
  if (p.startsWith(`${INSTALL_ETC}/`)) return path.join(templatesDir, p.slice(INSTALL_ETC.length + 1));
  if (p === INSTALL_ROOT || p.startsWith(`${INSTALL_ROOT}/`)) return path.join(checkoutRoot, p.slice(INSTALL_ROOT.length));
  return p;
}

/**
 * The environment systemd would give the unit's process: Environment= then every
 * EnvironmentFile= in order (a file wins over Environment=; a later file over an earlier one),
 * `%d` = `credentialsDir`, and VIGIL_CONFIG's install path mapped to the template.
 */
export function serviceEnvironment(unit: string, credentialsDir: string, checkoutRoot: string): Record<string, string> {
  const entries = serviceEntries(unit);
  const env: Record<string, string> = {};
  for (const { key, value } of entries) {
    if (key !== 'Environment') continue;
    const i = value.indexOf('=');
    env[value.slice(0, i)] = value.slice(i + 1).replaceAll('%d', credentialsDir);
  }
  for (const { key, value } of entries) {
    if (key !== 'EnvironmentFile') continue;
    for (const line of templateLines(localPath(value.replace(/^-/, ''), checkoutRoot))) if (!line.commented) env[line.name] = line.value;
  }
  if (env.VIGIL_CONFIG) env.VIGIL_CONFIG = localPath(env.VIGIL_CONFIG, checkoutRoot);
  return env;
}

/** `LoadCredential=name:source` entries of a unit (drop-in included). */
export function credentials(unit: string): { name: string; source: string }[] {
  return serviceEntries(unit)
    .filter((e) => e.key === 'LoadCredential')
    .map((e) => {
      const i = e.value.indexOf(':');
      return { name: e.value.slice(0, i), source: e.value.slice(i + 1) };
    });
}

/** A systemd time span such as `120`, `90s`, `2min` in seconds. */
export function timeSpanSeconds(span: string): number {
  const m = /^(\d+)\s*(s|sec|min|m)?$/.exec(span.trim());
  if (!m) throw new Error(`unsupported time span ${span}`);
  return Number(m[1]) * (m[2] === 'min' || m[2] === 'm' ? 60 : 1);
}

/** A unit's last setting of `key` (drop-in included), undefined if none. */
export function setting(unit: string, key: string): string | undefined {
  return serviceEntries(unit).filter((e) => e.key === key).at(-1)?.value;
}
