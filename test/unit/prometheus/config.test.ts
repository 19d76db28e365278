/** deploy/prometheus/config.ts: the rendered config has Vigil's jobs and refuses what is not a target. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.ts';
import { VIGIL_JOBS, checkTarget, hostPort, localTargets, prometheusConfig, renderPrometheusConfig, rulesFile, shippedConfigFile } from '../../../deploy/prometheus/config.ts';

const base = { scrapeIntervalSec: 1, evaluationIntervalSec: 1, ruleFiles: [rulesFile] };

describe('prometheusConfig', () => {
  it('has one job per Vigil process with its targets, the rule file and the intervals', () => {
    const config = prometheusConfig({ ...base, targets: { 'vigil-pipeline': ['127.0.0.1:4001', '127.0.0.1:4002'], 'vigil-api': ['127.0.0.1:4003'] } });
    expect(config).toEqual({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [rulesFile],
      scrape_configs: [
        { job_name: 'vigil-pipeline', static_configs: [{ targets: ['127.0.0.1:4001', '127.0.0.1:4002'] }] },
        { job_name: 'vigil-api', static_configs: [{ targets: ['127.0.0.1:4003'] }] },
      ],
    });
  });

  it('adds an alerting block only when Alertmanagers are given', () => {
    const config = prometheusConfig({ ...base, targets: { 'vigil-api': ['127.0.0.1:1'] }, alertmanagers: ['127.0.0.1:9093'] });
    expect(config.alerting).toEqual({ alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:9093'] }] }] });
  });

  it('sends a bearer credential from a file on the jobs given one, and only there', () => {
    const config = prometheusConfig({ ...base, targets: { 'vigil-api': ['127.0.0.1:1'], 'vigil-gateway': ['127.0.0.1:2'] }, credentialsFiles: { 'vigil-api': '/etc/prometheus/vigil-api.key' } });
    const jobs = config.scrape_configs as Array<Record<string, unknown>>;
    expect(jobs.find((j) => j.job_name === 'vigil-api')?.authorization).toEqual({ type: 'Bearer', credentials_file: '/etc/prometheus/vigil-api.key' });
    expect(jobs.find((j) => j.job_name === 'vigil-gateway')).not.toHaveProperty('authorization');
  });

  it('renders JSON (valid YAML for Prometheus) that parses back to the same object', () => {
    const opts = { ...base, targets: { 'vigil-gateway': ['[::1]:8090'] } };
    expect(JSON.parse(renderPrometheusConfig(opts))).toEqual(prometheusConfig(opts));
  });

  it.each([
    ['no target at all', { targets: {} }, /no scrape target/],
    ['a relative rule file', { targets: { 'vigil-api': ['127.0.0.1:1'] }, ruleFiles: ['vigil-rules.yml'] }, /absolute/],
    ['a zero interval', { targets: { 'vigil-api': ['127.0.0.1:1'] }, scrapeIntervalSec: 0 }, /scrapeIntervalSec/],
    ['a fractional interval', { targets: { 'vigil-api': ['127.0.0.1:1'] }, evaluationIntervalSec: 1.5 }, /evaluationIntervalSec/],
    ['a relative credentials file', { targets: { 'vigil-api': ['127.0.0.1:1'] }, credentialsFiles: { 'vigil-api': 'key.txt' } }, /credentials file path must be absolute/],
    ['YAML smuggled into a target', { targets: { 'vigil-api': ["127.0.0.1:1']\n  - job_name: evil"] } }, /not a scrape target/],
  ])('refuses %s', (_what, extra, message) => {
    expect(() => prometheusConfig({ ...base, ...extra } as Parameters<typeof prometheusConfig>[0])).toThrow(message);
  });
});

describe('checkTarget', () => {
  it.each(['127.0.0.1:9464', 'localhost:8080', '[::1]:8090', 'vigil-1.example:65535'])('accepts %s', (t) => {
    expect(checkTarget(t)).toBe(t);
  });
  it.each(['', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', 'http://127.0.0.1:1', '127.0.0.1:1/metrics', 'a b:1', '::1:80'])('refuses %j', (t) => {
    expect(() => checkTarget(t)).toThrow(/not a scrape target/);
  });
});

describe('localTargets', () => {
  it('scrapes the ports of vigil.config, IPv6 hosts bracketed', () => {
    const config = loadConfig({ env: {}, overrides: { pipeline: { httpPort: 9999 }, gateway: { host: '::1', port: 8091 } } });
    expect(localTargets(config)).toEqual({
      'vigil-pipeline': ['127.0.0.1:9999'],
      'vigil-gateway': ['[::1]:8091'],
      'vigil-api': ['127.0.0.1:8080'],
      'vigil-oncall': ['127.0.0.1:9465'],
    });
  });
  it('leaves the pipeline and the on-call process out when their endpoint is off (-1)', () => {
    const config = loadConfig({ env: {}, overrides: { pipeline: { httpPort: -1 }, oncall: { httpPort: -1 } } });
    expect(Object.keys(localTargets(config)).sort()).toEqual(['vigil-api', 'vigil-gateway']);
    expect(hostPort('127.0.0.1', 1)).toBe('127.0.0.1:1');
  });
});

describe('the shipped deploy/prometheus/prometheus.yml', () => {
  const text = readFileSync(shippedConfigFile, 'utf8');
  it('has exactly the jobs the generated config has, on the default ports', () => {
    const jobs = [...text.matchAll(/^\s*- job_name:\s*(\S+)\s*$/gm)].map((m) => m[1]);
    expect(jobs).toEqual([...VIGIL_JOBS]);
    const defaults = localTargets(loadConfig({ env: {} }));
    for (const job of VIGIL_JOBS) {
      const block = text.slice(text.indexOf(`job_name: ${job}`)).split('job_name:')[1];
      expect(block).toContain(`targets: ['${defaults[job]![0]}']`);
    }
  });
  it('loads vigil-rules.yml', () => {
    expect(text).toMatch(/^rule_files:\n\s+- vigil-rules\.yml$/m);
  });
});
