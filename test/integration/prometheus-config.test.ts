/**
 * deploy/prometheus/ checked by Debian's promtool (2.42): the shipped and the generated config,
 * the alerting rules, and their unit tests — which must also catch a rule that is broken.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderPrometheusConfig, rulesFile, rulesTestFile, shippedConfigFile } from '../../deploy/prometheus/config.ts';
import { promtool } from '../../deploy/prometheus/promtool.ts';

const rulesText = readFileSync(rulesFile, 'utf8');
const testsText = readFileSync(rulesTestFile, 'utf8');
const alertNames = [...rulesText.matchAll(/^\s*- alert: (\S+)$/gm)].map((m) => m[1]);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vigil-promtool-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The rules changed by `edit` and their unit tests, in the temp folder; returns the tests file. */
function mutated(name: string, edit: (rules: string) => string): string {
  const changed = edit(rulesText);
  expect(changed).not.toBe(rulesText);
  writeFileSync(path.join(tmp, `${name}.yml`), changed);
  const testFile = path.join(tmp, `${name}.test.yml`);
  writeFileSync(testFile, testsText.replace('  - vigil-rules.yml', `  - ${name}.yml`));
  return testFile;
}

describe('promtool on deploy/prometheus', () => {
  it('accepts the shipped config and every rule it loads', () => {
    const r = promtool(['check', 'config', shippedConfigFile]);
    expect(r.output).toContain('is valid prometheus config file syntax');
    expect(r.output).toContain(`SUCCESS: ${alertNames.length} rules found`);
    expect(r.ok).toBe(true);
  });

  it('accepts the config the tests and `npm run prometheus` generate', () => {
    const file = path.join(tmp, 'generated.yml');
    // promtool checks that a scrape's credentials file exists.
    const keyFile = path.join(tmp, 'vigil-api.key');
    writeFileSync(keyFile, 'prometheus-scrape-key-0123456789', { mode: 0o600 });
    writeFileSync(file, renderPrometheusConfig({
      targets: { 'vigil-pipeline': ['127.0.0.1:9464'], 'vigil-gateway': ['[::1]:8090'], 'vigil-api': ['127.0.0.1:8080'], 'vigil-oncall': ['127.0.0.1:9465'] },
      scrapeIntervalSec: 1,
      evaluationIntervalSec: 1,
      ruleFiles: [rulesFile],
      alertmanagers: ['127.0.0.1:9093'],
      credentialsFiles: { 'vigil-api': keyFile },
    }));
    const r = promtool(['check', 'config', file]);
    expect(r.output).toContain(`SUCCESS: ${alertNames.length} rules found`);
    expect(r.ok).toBe(true);
  });

  it('passes the rule unit tests, which cover every alert', () => {
    expect(alertNames.length).toBeGreaterThanOrEqual(15);
    const tested = new Set([...testsText.matchAll(/alertname: (\S+)$/gm)].map((m) => m[1]));
    expect(alertNames.filter((a) => !tested.has(a))).toEqual([]);
    const r = promtool(['test', 'rules', rulesTestFile]);
    expect(r.output).toContain('SUCCESS');
    expect(r.ok).toBe(true);
  });

  it('fails the unit tests when a threshold is off', () => {
    const tests = mutated('lag-threshold', (rules) => rules.replace('sum by (job, instance) (vigil_pipeline_consumer_lag) > 1000', 'sum by (job, instance) (vigil_pipeline_consumer_lag) > 100000'));
    const r = promtool(['test', 'rules', tests]);
    expect(r.ok).toBe(false);
    expect(r.output).toContain('alertname: VigilConsumerLagGrowing');
  });

  it('fails the unit tests when a rule matches the wrong notification result', () => {
    const tests = mutated('dead-result', (rules) => rules.replace('vigil_notifications_total{result="dead"}', 'vigil_notifications_total{result="failed"}'));
    const r = promtool(['test', 'rules', tests]);
    expect(r.ok).toBe(false);
    expect(r.output).toContain('alertname: VigilNotificationsDead');
  });

  it('refuses a rule file with a broken expression', () => {
    const file = path.join(tmp, 'broken.yml');
    writeFileSync(file, rulesText.replace('vigil_pipeline_consumer_running == 0', 'vigil_pipeline_consumer_running ==='));
    const r = promtool(['check', 'rules', file]);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/parse error/);
  });
});
