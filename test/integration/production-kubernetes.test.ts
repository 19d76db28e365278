/**
 * deploy/production/kubernetes/ checked offline: every manifest against the Kubernetes API
 * schemas bundled in PyPI's kubernetes-validate (strict: unknown fields refused; 1.29 and 1.37),
 * and against the systemd deployment of the same roles: same command, same settings (the
 * ConfigMaps hold the templates' values), same stop timeout, and the environment each container
 * would get loads to the same config as its unit's. No cluster is started here.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configEnvVars, loadConfig } from '../../core/config.ts';
import {
  INSTALL_ROOT,
  PLACEHOLDER,
  credentials,
  productionDir,
  serviceEntries,
  serviceEnvironment,
  jobUnits,
  roleUnits,
  setting,
  templateLines,
  templatesDir,
  timeSpanSeconds,
} from '../../deploy/production/units.ts';
import { promtool } from '../../deploy/prometheus/promtool.ts';
import { ensureVenvTool, type VenvTool } from '../support/python-venv.ts';
import { fillPlaceholders } from '../support/production.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const manifestsDir = path.join(productionDir, 'kubernetes');
const manifests = readdirSync(manifestsDir).filter((f) => f.endsWith('.yaml')).sort().map((f) => path.join(manifestsDir, f));
const tool: VenvTool = {
  package: 'kubernetes-validate',
  requirements: path.join(root, 'test', 'fixtures', 'kubernetes-validate', 'requirements.txt'),
  command: 'kubernetes-validate',
  versionArgs: ['--version'],
};
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vigil-k8s-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML
type Doc = Record<string, any>;
let validator: string;
let docs: Doc[];

function validate(files: string[], version: string): { status: number | null; output: string } {
  const r = spawnSync(validator, ['--strict', '-k', version, ...files], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  validator = ensureVenvTool(tool);
  // PyYAML from the same virtualenv: the manifests as JSON, every document of every file.
  const python = path.join(path.dirname(validator), 'python');
  const r = spawnSync(python, ['-c', 'import sys, json, yaml; json.dump([d for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d], sys.stdout)', ...manifests], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  docs = JSON.parse(r.stdout);
}, 660_000);

const unitName = (u: string) => /^vigil-(.+)\.service$/.exec(u)![1];
const roles = roleUnits().map(unitName);
/** One-shot units: a CronJob each. */
const jobs = jobUnits().map(unitName);
const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
const named = (kind: string, name: string) => {
  const d = docs.find((x) => x.kind === kind && x.metadata.name === name);
  expect(d, `${kind} ${name}`).toBeDefined();
  return d!;
};
/** The pod spec of a role's Deployment or a job's CronJob. */
const podSpec = (name: string) =>
  jobs.includes(name) ? named('CronJob', `vigil-${name}`).spec.jobTemplate.spec.template.spec : named('Deployment', `vigil-${name}`).spec.template.spec;
const container = (name: string) => podSpec(name).containers[0];

/** The environment the container would get: envFrom ConfigMaps in order, then env; files mapped to local ones. */
function containerEnvironment(role: string, credentialsDir: string): Record<string, string> {
  const c = container(role);
  const env: Record<string, string> = {};
  for (const from of c.envFrom) Object.assign(env, named('ConfigMap', from.configMapRef.name).data);
  for (const e of c.env ?? []) {
    env[e.name] = e.value ?? named('Secret', e.valueFrom.secretKeyRef.name).stringData[e.valueFrom.secretKeyRef.key];
  }
  for (const [k, v] of Object.entries(env)) {
    if (v.startsWith('/run/secrets/vigil/')) env[k] = path.join(credentialsDir, path.basename(v));
    if (v === '/etc/vigil/vigil.json') env[k] = path.join(templatesDir, 'vigil.json');
  }
  return env;
}

describe('kubernetes-validate (offline schemas, strict)', () => {
  it.each(['1.29.0', '1.37.0'])('accepts every manifest for Kubernetes %s', (version) => {
    const r = validate(manifests, version);
    expect(r.output).not.toMatch(/ERROR|WARN/);
    expect(r.output.match(/ passed for resource /g)?.length).toBe(docs.length);
    expect(r.status).toBe(0);
  });

  it('refuses a misspelt field and a wrong type (the check can fail)', () => {
    const text = readFileSync(path.join(manifestsDir, '20-pipeline.yaml'), 'utf8');
    const typo = path.join(tmp, 'typo.yaml');
    writeFileSync(typo, text.replace('periodSeconds: 10', 'periodSecond: 10'));
    const r1 = validate([typo], '1.37.0');
    expect(r1.output).toMatch(/ERROR .*periodSecond/);
    expect(r1.status).not.toBe(0);
    const type = path.join(tmp, 'type.yaml');
    writeFileSync(type, text.replace('replicas: 2', 'replicas: two'));
    const r2 = validate([type], '1.37.0');
    expect(r2.output).toMatch(/ERROR .*replicas: 'two' is not of type 'integer'/);
  });
});

describe('the same deployment as the systemd units', () => {
  it('has a Deployment, Service and PodDisruptionBudget per unit, wired by labels and named ports', () => {
    expect(byKind('Deployment').map((d) => d.metadata.name).sort()).toEqual(roles.map((r) => `vigil-${r}`).sort());
    for (const role of roles) {
      const deployment = named('Deployment', `vigil-${role}`);
      const labels = deployment.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels)) expect(labels[k]).toBe(v);
      const ports = new Set(container(role).ports.map((p: Doc) => p.name));
      const service = named('Service', `vigil-${role}`);
      for (const [k, v] of Object.entries(service.spec.selector)) expect(labels[k], `${role} Service selector`).toBe(v);
      for (const p of service.spec.ports) expect(ports.has(p.targetPort), `${role} Service port ${p.targetPort}`).toBe(true);
      const pdb = named('PodDisruptionBudget', `vigil-${role}`);
      for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels)) expect(labels[k], `${role} PDB selector`).toBe(v);
      for (const probe of ['readinessProbe', 'livenessProbe']) expect(ports.has(container(role)[probe].httpGet.port), `${role} ${probe}`).toBe(true);
    }
    // Resume needs the gateway that issued the event id: sticky by client address.
    expect(named('Service', 'vigil-gateway').spec.sessionAffinity).toBe('ClientIP');
    // Every Service (the scrape ones too) selects one role's pods and names its ports.
    for (const service of byKind('Service')) {
      const role = service.spec.selector['app.kubernetes.io/component'];
      expect(roles, service.metadata.name).toContain(role);
      const ports = new Set(container(role).ports.map((p: Doc) => p.name));
      for (const p of service.spec.ports) expect(ports.has(p.targetPort), `${service.metadata.name} port ${p.targetPort}`).toBe(true);
    }
  });

  it('is scraped by deploy/prometheus/kubernetes.yml: promtool accepts it, same jobs as prometheus.yml, each on a headless Service listing unready pods', () => {
    const shipped = readFileSync(path.join(root, 'deploy/prometheus/prometheus.yml'), 'utf8');
    const text = readFileSync(path.join(root, 'deploy/prometheus/kubernetes.yml'), 'utf8');
    const jobs = (t: string) => [...t.matchAll(/^ {2}- job_name: (\S+)$/gm)].map((m) => m[1]);
    expect(jobs(text)).toEqual(jobs(shipped));
    // promtool checks that the credentials file exists and reads the rules beside the config.
    const dir = path.join(tmp, 'prometheus');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'key'), 'prometheus-scrape-key-0123456789\n');
    writeFileSync(path.join(dir, 'vigil-rules.yml'), readFileSync(path.join(root, 'deploy/prometheus/vigil-rules.yml')));
    writeFileSync(path.join(dir, 'kubernetes.yml'), text.replace('/etc/prometheus/secrets/vigil-api-metrics-key', path.join(dir, 'key')));
    const rules = [...readFileSync(path.join(dir, 'vigil-rules.yml'), 'utf8').matchAll(/^\s*- alert: /gm)].length;
    const r = promtool(['check', 'config', path.join(dir, 'kubernetes.yml')]);
    expect(r.output).toContain(`SUCCESS: ${rules} rules found`);
    expect(r.ok).toBe(true);
    for (const m of text.matchAll(/- names: \['([a-z0-9-]+)\.vigil\.svc\.cluster\.local'\]\n\s+type: A\n\s+port: (\d+)/g)) {
      const service = named('Service', m[1]);
      expect(service.spec.clusterIP, m[1]).toBe('None');
      expect(service.spec.publishNotReadyAddresses, m[1]).toBe(true);
      expect(service.spec.ports.map((p: Doc) => p.port), m[1]).toContain(Number(m[2]));
    }
    expect([...text.matchAll(/- names: /g)].length).toBe(jobs(text).length);
  });

  it('runs the unit command with the unit stop timeout, readiness on /health, and restricted pods', () => {
    const health: Record<string, string> = { pipeline: '/health', api: '/api/v1/health', gateway: '/health', oncall: '/health' };
    expect(byKind('CronJob').map((d) => d.metadata.name)).toEqual(jobs.map((j) => `vigil-${j}`));
    for (const role of [...roles, ...jobs]) {
      const unit = `vigil-${role}.service`;
      const spec = podSpec(role);
      expect(container(role).command.join(' '), role).toBe(setting(unit, 'ExecStart'));
      expect(spec.terminationGracePeriodSeconds, role).toBe(timeSpanSeconds(setting(unit, 'TimeoutStopSec')!));
      if (roles.includes(role)) expect(container(role).readinessProbe.httpGet.path).toBe(health[role]);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(container(role).securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(container(role).resources.requests.cpu).toBeDefined();
      expect(container(role).resources.limits.memory).toBeDefined();
    }
    expect(named('Namespace', 'vigil').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('holds the templates in its ConfigMaps and reads them in the order the units do', () => {
    const active = (file: string) => Object.fromEntries(templateLines(path.join(templatesDir, file)).filter((l) => !l.commented).map((l) => [l.name, l.value]));
    for (const name of ['common', ...roles]) {
      const fromSecret = Object.entries(active(`${name}.env`)).filter(([, v]) => v === PLACEHOLDER).map(([k]) => k);
      const expected = Object.fromEntries(Object.entries(active(`${name}.env`)).filter(([k]) => !fromSecret.includes(k)));
      expect(named('ConfigMap', `vigil-${name}`).data, name).toEqual(expected);
      for (const k of fromSecret) expect(named('Secret', 'vigil-access').stringData[k]).toBe(PLACEHOLDER);
    }
    expect(JSON.parse(named('ConfigMap', 'vigil-config').data['vigil.json'])).toEqual(JSON.parse(readFileSync(path.join(templatesDir, 'vigil.json'), 'utf8')));
    for (const role of [...roles, ...jobs]) {
      const files = serviceEntries(`vigil-${role}.service`).filter((e) => e.key === 'EnvironmentFile').map((e) => path.basename(e.value, '.env'));
      expect(container(role).envFrom.map((f: Doc) => f.configMapRef.name), role).toEqual(files.map((f) => `vigil-${f}`));
      for (const e of container(role).env ?? []) expect(configEnvVars, `${role} env ${e.name}`).toContain(e.name);
    }
  });

  it('gives every container the config its systemd unit gets (the pipeline sizes its pool to the CPU request)', () => {
    for (const role of [...roles, ...jobs]) {
      const unit = `vigil-${role}.service`;
      const dir = path.join(tmp, role);
      mkdirSync(dir, { recursive: true });
      for (const c of credentials(unit)) writeFileSync(path.join(dir, c.name), `secret-of-${c.name}\n`);
      const k8s = containerEnvironment(role, dir);
      // As with the units: the API and the gateway refuse to start open.
      if (role === 'api' || role === 'gateway') expect(() => loadConfig({ env: k8s }), `${role} as shipped`).toThrow(/VIGIL_API_KEYS|gateway\.tokens/);
      else expect(() => loadConfig({ env: k8s }), `${role} as shipped`).not.toThrow();
    }
    for (const role of [...roles, ...jobs]) {
      const unit = `vigil-${role}.service`;
      const dir = path.join(tmp, role);
      const fromUnit = loadConfig({ env: fillPlaceholders(serviceEnvironment(unit, dir, root)) });
      const fromPod = loadConfig({ env: fillPlaceholders(containerEnvironment(role, dir)) });
      if (role === 'pipeline') {
        expect(fromPod.pipeline.workerThreads).toBe(Number(container(role).resources.requests.cpu) - 1);
        fromPod.pipeline.workerThreads = fromUnit.pipeline.workerThreads;
      }
      expect(fromPod, role).toEqual(fromUnit);
      if (role === 'gateway') expect(JSON.stringify(podSpec(role))).not.toContain('clickhouse');
      else expect(fromPod.clickhouse.password).toBe('secret-of-clickhouse-writer');
    }
    expect(INSTALL_ROOT).toBe('/opt/vigil');
  });
});
