/**
 * deploy/production/: the systemd units checked by systemd-analyze (verify, and the offline
 * security exposure score), and the environment templates checked against the config loader:
 * every variable core/config.ts reads is documented in exactly one template, a commented value
 * is the real default, and the environment systemd would assemble for each unit loads (once the
 * REPLACE-ME placeholders are filled in) and refuses to start before.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { configEnvVars, loadConfig } from '../../core/config.ts';
import {
  INSTALL_ROOT,
  PLACEHOLDER,
  credentials,
  serviceEntries,
  serviceEnvironment,
  jobUnits,
  roleUnits,
  serviceUnits,
  setting,
  templateLines,
  templatesDir,
  timeSpanSeconds,
  unitsDir,
} from '../../deploy/production/units.ts';
import { filledIn, fillPlaceholders } from '../support/production.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vigil-systemd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const templates = readdirSync(templatesDir).filter((f) => f.endsWith('.env')).sort();
const units = serviceUnits();

function run(cmd: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message} — install it with 'bash deploy/install-deps.sh' (Debian package systemd)`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** The units copied to a folder of their own with the install root pointing at this checkout. */
function installedCopy(name: string, edit: (file: string, text: string) => string = (_f, t) => t): string {
  const dir = path.join(tmp, name);
  cpSync(unitsDir, dir, { recursive: true });
  for (const file of [...readdirSync(dir).map((f) => path.join(dir, f)), ...readdirSync(path.join(dir, 'vigil-.service.d')).map((f) => path.join(dir, 'vigil-.service.d', f))]) {
    if (!/\.(service|target|timer|conf)$/.test(file)) continue;
    writeFileSync(file, edit(file, readFileSync(file, 'utf8').replaceAll(INSTALL_ROOT, root.replace(/\/$/, ''))));
  }
  return dir;
}

/** Fake credential files, as systemd would put them in $CREDENTIALS_DIRECTORY. */
function credentialsDir(unit: string): string {
  const dir = path.join(tmp, `cred-${unit}`);
  mkdirSync(dir, { recursive: true });
  for (const c of credentials(unit)) writeFileSync(path.join(dir, c.name), `secret-of-${c.name}\n`);
  return dir;
}

describe('environment templates', () => {
  const lines = templates.flatMap((t) => templateLines(path.join(templatesDir, t)).map((l) => ({ ...l, template: t })));

  it('document every variable the config reads, each in exactly one template, and nothing else', () => {
    const names = lines.map((l) => l.name);
    const expected = [...configEnvVars, 'VIGIL_CONFIG'].sort();
    expect([...new Set(names)].sort()).toEqual(expected);
    const twice = names.filter((n, i) => names.indexOf(n) !== i);
    expect(twice).toEqual([]);
  });

  it('show the built-in default on every commented line that has a value', () => {
    const defaults = loadConfig({ env: {} });
    const withValue = lines.filter((l) => l.commented && l.value !== '');
    expect(withValue.length).toBeGreaterThanOrEqual(20);
    for (const l of withValue) {
      expect({ [l.name]: loadConfig({ env: { [l.name]: l.value } }) }).toEqual({ [l.name]: defaults });
    }
    // The check can fail: a value that is not the default differs.
    expect(loadConfig({ env: { VIGIL_WINDOW_SIZE: '999' } })).not.toEqual(defaults);
  });

  it('has a placeholder only where the operator must decide (open API, open gateway)', () => {
    expect(lines.filter((l) => !l.commented && l.value.includes(PLACEHOLDER)).map((l) => l.name).sort()).toEqual(Object.keys(filledIn).sort());
  });
});

describe('each unit as systemd would run it', () => {
  it('runs a bin/vigil command, and every long-lived command has a unit', () => {
    const help = spawnSync(path.join(root, 'bin/vigil'), ['--help'], { encoding: 'utf8', timeout: 60_000 }).stdout;
    const commands = [...help.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1]);
    expect(commands).toContain('pipeline');
    // One-shot tools: they exit when their job is done.
    const oneShot = ['stack', 'produce', 'nab', 'detect', 'retention'];
    const longLived = commands.filter((c) => !oneShot.includes(c)).sort();
    const name = (u: string) => /^vigil-(.+)\.service$/.exec(u)![1];
    expect(roleUnits().map(name).sort()).toEqual(longLived);
    // Jobs are one-shot commands started by a timer of the same name.
    expect(jobUnits().map(name)).toEqual(['retention']);
    for (const job of jobUnits()) expect(existsSync(path.join(unitsDir, job.replace(/\.service$/, '.timer'))), job).toBe(true);
    for (const unit of units) expect(setting(unit, 'ExecStart')).toMatch(new RegExp(`^${INSTALL_ROOT}/bin/vigil ${/^vigil-(.+)\.service$/.exec(unit)![1]}( |$)`));
  });

  it('loads the config from the templates and credentials once the placeholders are filled in, and refuses before', () => {
    for (const unit of units) {
      const creds = credentialsDir(unit);
      const env = serviceEnvironment(unit, creds, root);
      const placeholders = Object.keys(env).filter((k) => env[k].includes(PLACEHOLDER));
      // The API and the gateway would be open to anyone without keys / tokens: they refuse as shipped.
      const mustRefuse = unit === 'vigil-api.service' || unit === 'vigil-gateway.service';
      expect(placeholders.length > 0, unit).toBe(mustRefuse);
      if (mustRefuse) expect(() => loadConfig({ env }), unit).toThrow(unit === 'vigil-api.service' ? /VIGIL_API_KEYS is not valid JSON/ : /gateway\.tokens\.0: gateway tokens must be at least 16 characters/);
      const config = loadConfig({ env: fillPlaceholders(env) });
      // The writer's password is the credential, not the local stack's default; the gateway,
      // which never talks to ClickHouse, gets no ClickHouse credential at all.
      if (unit === 'vigil-gateway.service') expect(credentials(unit)).toEqual([]);
      else expect(config.clickhouse.password).toBe('secret-of-clickhouse-writer');
      expect(config.kafka.brokers.length).toBe(3);
      expect(config.kafka.replicationFactor).toBe(3);
      if (unit === 'vigil-api.service') {
        expect(config.clickhouse.readerPassword).toBe('secret-of-clickhouse-reader');
        expect(config.api.host).toBe('0.0.0.0');
        expect(config.api.apiKeys.length).toBe(1);
        expect(config.gateway.tokens.length).toBe(1);
      }
      if (unit === 'vigil-pipeline.service') expect(config.pipeline.httpHost).toBe('0.0.0.0');
      if (unit === 'vigil-oncall.service') expect(config.oncall.httpHost).toBe('0.0.0.0');
      if (unit === 'vigil-gateway.service') expect(config.gateway.host).toBe('0.0.0.0');
      // Every %d path names a credential the unit loads.
      const names = new Set(credentials(unit).map((c) => c.name));
      for (const e of serviceEntries(unit).filter((x) => x.key === 'Environment' && x.value.includes('%d/'))) {
        expect(names.has(/%d\/(\S+)/.exec(e.value)![1]), e.value).toBe(true);
      }
    }
  });

  it('sets a stop timeout, a restart policy and a descriptor limit sized for the role', () => {
    for (const unit of units) {
      expect(timeSpanSeconds(setting(unit, 'TimeoutStopSec')!), unit).toBeGreaterThanOrEqual(30);
      expect(setting(unit, 'Restart')).toBe('on-failure');
      expect(setting(unit, 'KillMode')).toBe('mixed');
      expect(setting(unit, 'DynamicUser')).toBe('yes');
    }
    expect(Number(setting('vigil-gateway.service', 'LimitNOFILE'))).toBeGreaterThanOrEqual(65536);
  });
});

describe('systemd-analyze', () => {
  it('verify accepts every unit, the drop-in and the target, with no warning', () => {
    const dir = installedCopy('ok');
    const timers = readdirSync(dir).filter((f) => f.endsWith('.timer'));
    expect(timers).toEqual(['vigil-retention.timer']);
    const r = run('systemd-analyze', ['verify', ...units.map((u) => path.join(dir, u)), ...timers.map((t) => path.join(dir, t)), path.join(dir, 'vigil.target')]);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('verify reports a misspelt setting in the drop-in and a missing executable (the check can fail)', () => {
    const typo = installedCopy('typo', (f, t) => (f.endsWith('10-vigil.conf') ? t.replace('NoNewPrivileges=yes', 'NoNewPrivilege=yes') : t));
    expect(run('systemd-analyze', ['verify', path.join(typo, 'vigil-api.service')]).output).toContain("Unknown key 'NoNewPrivilege'");
    const missing = installedCopy('missing', (f, t) => t.replace('/bin/vigil api', '/bin/vigil-missing api'));
    const r = run('systemd-analyze', ['verify', path.join(missing, 'vigil-api.service')]);
    expect(r.output).toContain('is not executable');
    expect(r.status).not.toBe(0);
  });

  it('rates every unit at exposure 2.0 or lower ("OK"), and the same units without the hardening far higher', () => {
    const dir = installedCopy('security');
    for (const unit of units) {
      const r = run('systemd-analyze', ['security', '--offline=yes', '--threshold=20', path.join(dir, unit)]);
      expect(r.output).toMatch(/Overall exposure level for \S+: [0-2]\.\d OK/);
      expect(r.status, r.output.split('\n').filter((l) => l.includes('Overall')).join('')).toBe(0);
    }
    const bare = installedCopy('bare', (f, t) => (f.endsWith('10-vigil.conf') ? t.replace(/^# Hardening\.[\s\S]*$/m, '') : t));
    const r = run('systemd-analyze', ['security', '--offline=yes', '--threshold=20', path.join(bare, 'vigil-gateway.service')]);
    expect(r.output).toMatch(/Overall exposure level for \S+: ([3-9]|10)\.\d/);
    expect(r.status).not.toBe(0);
  });
});
