/**
 * The Prometheus configuration for Vigil, as data: the same jobs and rule file as the shipped
 * deploy/prometheus/prometheus.yml, with targets and intervals chosen by the caller (the tests
 * scrape processes on free ports every second; `npm run prometheus` scrapes vigil.config's ports).
 *
 * Rendered as JSON, which Prometheus reads as YAML (JSON is a subset of YAML 1.2), so no YAML
 * emitter is needed and nothing a caller passes can change the structure.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VigilConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';

export const prometheusDir = path.dirname(fileURLToPath(import.meta.url));
export const shippedConfigFile = path.join(prometheusDir, 'prometheus.yml');
export const rulesFile = path.join(prometheusDir, 'vigil-rules.yml');
export const rulesTestFile = path.join(prometheusDir, 'vigil-rules.test.yml');

/** Job names are the `job` label of every Vigil series and of VigilTargetDown (`vigil-.+`). */
export const VIGIL_JOBS = ['vigil-pipeline', 'vigil-gateway', 'vigil-api', 'vigil-oncall'] as const;
export type VigilJob = (typeof VIGIL_JOBS)[number];

export interface PrometheusConfigOptions {
  /** host:port of each process per job; a job with no target is left out. */
  targets: Partial<Record<VigilJob, readonly string[]>>;
  scrapeIntervalSec: number;
  evaluationIntervalSec: number;
  /** Absolute paths: Prometheus resolves relative ones against the config file's folder. */
  ruleFiles: readonly string[];
  /** host:port of Alertmanagers to send Vigil's own alerts to (none = no alerting block). */
  alertmanagers?: readonly string[];
  /**
   * Absolute path of a file holding the bearer credential a job's scrapes send — the API's
   * /metrics needs a key with the `metrics` role once api.apiKeys is set. A file, not the key,
   * so the rendered config holds no secret.
   */
  credentialsFiles?: Partial<Record<VigilJob, string>>;
}

/** host:port with a loopback or DNS-ish host and a port; anything else is refused before Prometheus sees it. */
const TARGET = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function checkTarget(target: string): string {
  const m = TARGET.exec(target);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new VigilError(`not a scrape target: ${JSON.stringify(target)}`, { action: 'give host:port, e.g. 127.0.0.1:9464' });
  }
  return target;
}

function checkInterval(name: string, sec: number): number {
  if (!Number.isInteger(sec) || sec < 1 || sec > 3600) {
    throw new VigilError(`${name} must be a whole number of seconds between 1 and 3600, got ${sec}`, { action: `fix ${name}` });
  }
  return sec;
}

export function prometheusConfig(opts: PrometheusConfigOptions): Record<string, unknown> {
  const scrape = checkInterval('scrapeIntervalSec', opts.scrapeIntervalSec);
  const evaluation = checkInterval('evaluationIntervalSec', opts.evaluationIntervalSec);
  for (const file of opts.ruleFiles) {
    if (!path.isAbsolute(file)) throw new VigilError(`rule file path must be absolute: ${file}`, { action: 'resolve it first (path.resolve)' });
  }
  for (const file of Object.values(opts.credentialsFiles ?? {})) {
    if (!path.isAbsolute(file)) throw new VigilError(`credentials file path must be absolute: ${file}`, { action: 'resolve it first (path.resolve)' });
  }
  const jobs = VIGIL_JOBS.filter((job) => (opts.targets[job]?.length ?? 0) > 0).map((job) => {
    const credentials = opts.credentialsFiles?.[job];
    return {
      job_name: job,
      ...(credentials ? { authorization: { type: 'Bearer', credentials_file: credentials } } : {}),
      static_configs: [{ targets: opts.targets[job]!.map(checkTarget) }],
    };
  });
  if (jobs.length === 0) throw new VigilError('no scrape target given', { action: 'give at least one of ' + VIGIL_JOBS.join(', ') });
  const config: Record<string, unknown> = {
    global: {
      scrape_interval: `${scrape}s`,
      // A scrape may not outlast its interval (Prometheus refuses such a config).
      scrape_timeout: `${scrape}s`,
      evaluation_interval: `${evaluation}s`,
    },
    rule_files: [...opts.ruleFiles],
    scrape_configs: jobs,
  };
  if (opts.alertmanagers?.length) {
    config.alerting = { alertmanagers: [{ static_configs: [{ targets: opts.alertmanagers.map(checkTarget) }] }] };
  }
  return config;
}

export function renderPrometheusConfig(opts: PrometheusConfigOptions): string {
  return `${JSON.stringify(prometheusConfig(opts), null, 2)}\n`;
}

/** host:port for a listen address as Prometheus needs it (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The processes of one Vigil host as vigil.config places them (an HTTP port of -1 = no endpoint). */
export function localTargets(config: Pick<VigilConfig, 'pipeline' | 'gateway' | 'api' | 'oncall'>): Partial<Record<VigilJob, string[]>> {
  const { pipeline, gateway, api, oncall } = config;
  return {
    ...(pipeline.httpPort > 0 ? { 'vigil-pipeline': [hostPort(pipeline.httpHost, pipeline.httpPort)] } : {}),
    'vigil-gateway': [hostPort(gateway.host, gateway.port)],
    'vigil-api': [hostPort(api.host, api.port)],
    ...(oncall.httpPort > 0 ? { 'vigil-oncall': [hostPort(oncall.httpHost, oncall.httpPort)] } : {}),
  };
}
