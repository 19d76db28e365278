/**
 * schemathesis against the live OpenAPI document of a real API on the shared stack (issue #12):
 * every route, each with a key of a role allowed on it, thousands of generated requests (valid
 * and invalid, from the examples, coverage and fuzzing phases). Fails on any 5xx, any status the
 * document does not list, any response that does not match its documented schema or content
 * type. The virtualenv is created by the test (test/support/schemathesis.ts).
 *
 * Bounded for `npm test`: VIGIL_SCHEMATHESIS_EXAMPLES (default 10) examples per operation and
 * phase; counts and time per role are printed and recorded in docs/reliability.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../../api/index.ts';
import { createClickHouse } from '../../pipeline/storage/clickhouse.ts';
import { alertEventRow } from '../../pipeline/storage/rows.ts';
import type { AlertEvent } from '../../schemas/records.ts';
import { createTestEnv, type TestEnv } from '../support/index.ts';
import { ensureSchemathesis, SCHEMATHESIS_VERSION } from '../support/schemathesis.ts';

const KEYS = {
  read: 'st-reader-key-0123456789',
  operate: 'st-operator-key-0123456789',
  ingest: 'st-ingester-key-0123456789',
};
const EXAMPLES = Number(process.env.VIGIL_SCHEMATHESIS_EXAMPLES ?? 10);
const SEED = Number(process.env.VIGIL_SCHEMATHESIS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_headers_conformance', 'response_schema_conformance'];

/** Which operations each role's key is sent to: the ones that role may call. */
const ROLE_FILTERS: Record<keyof typeof KEYS, string[]> = {
  read: ['--include-method', 'GET'],
  operate: ['--exclude-method', 'GET', '--exclude-path', '/api/v1/metrics'],
  ingest: ['--include-path', '/api/v1/metrics'],
};

let env: TestEnv;
let api: RunningApi;
let st: string;
let reportDir: string;

function alert(alertId: string, status: AlertEvent['status'], version: number, at: number): AlertEvent {
  return {
    eventId: `${alertId}-v${version}`,
    alertId,
    fingerprint: `web|cpu_usage|default.cpu_usage|${alertId}`,
    source: 'web',
    metric: 'cpu_usage',
    ruleId: 'default.cpu_usage',
    kind: 'threshold',
    severity: 'high',
    status,
    version,
    timestamp: at,
    openedAt: at,
    value: 95,
    threshold: 90,
    message: 'cpu high',
    actor: 'pipeline',
    reason: 'seed',
    tags: {},
  };
}

beforeAll(async () => {
  st = ensureSchemathesis();
  reportDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-schemathesis-'));
  env = await createTestEnv('schemathesis', {
    overrides: {
      api: {
        port: 0,
        commandWaitMs: 200,
        rateLimitPerMinute: 10_000_000,
        apiKeys: [
          { key: KEYS.read, roles: ['read'], name: 'reader' },
          { key: KEYS.operate, roles: ['read', 'operate'], name: 'operator' },
          { key: KEYS.ingest, roles: ['ingest'], name: 'ingester' },
        ],
      },
    },
  });
  // A few rows so list answers are not only empty pages.
  const ch = createClickHouse(env.config, { logger: env.logger });
  const now = Date.now();
  await ch.insert({ table: 'alert_events', values: [alert('st-alert-1', 'firing', 1, now - 60_000), alert('st-alert-2', 'resolved', 2, now - 30_000)].map(alertEventRow), format: 'JSONEachRow' });
  await ch.close();
  api = await startApi(env.config, env.logger);
}, 900_000);

afterAll(async () => {
  await api?.close();
  await env?.cleanup();
  if (reportDir) rmSync(reportDir, { recursive: true, force: true });
});

/** Runs `st` without blocking this process (the API under test answers from this event loop). */
function runSt(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    // cwd: schemathesis keeps its example database in ./.schemathesis; not in the checkout.
    const child = spawn(st, args, { cwd: reportDir, env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe(`schemathesis ${SCHEMATHESIS_VERSION} against the live API`, () => {
  const totals = { cases: 0, seconds: 0 };

  it.each(Object.keys(KEYS) as Array<keyof typeof KEYS>)(
    'role %s: no 5xx, every status documented, every response matching its schema',
    async (role) => {
      const started = performance.now();
      const { code, out } = await runSt([
        'run',
        `${api.url}/api/v1/openapi.json`,
        '--header',
        `x-api-key: ${KEYS[role]}`,
        ...ROLE_FILTERS[role],
        '--checks',
        CHECKS.join(','),
        '--phases',
        'examples,coverage,fuzzing',
        '--max-examples',
        String(EXAMPLES),
        '--seed',
        String(SEED),
        // One worker: with threads, Python 3.11's ast.parse (hypothesis describing a filter) can
        // fail with "AST constructor recursion depth mismatch", a CPython bug, not the API's.
        '--workers',
        '1',
        '--request-timeout',
        '30',
        '--no-color',
        '--report',
        'junit',
        '--report-dir',
        path.join(reportDir, role),
      ]);
      const seconds = Math.round((performance.now() - started) / 1000);
      const cases = Number(/(\d+) generated/.exec(out)?.[1] ?? 0);
      const operations = /Tested: (\d+)/.exec(out)?.[1];
      totals.cases += cases;
      totals.seconds += seconds;
      console.log(`schemathesis role ${role}: ${operations} operations, ${cases} generated test cases in ${seconds} s (seed ${SEED}; replay with VIGIL_SCHEMATHESIS_SEED=${SEED})`);
      expect(code, out.slice(-6000)).toBe(0);
      expect(cases).toBeGreaterThan(100);
    },
    900_000,
  );

  it('thousands of generated requests over every route', () => {
    console.log(`schemathesis total: ${totals.cases} test cases in ${totals.seconds} s`);
    expect(totals.cases).toBeGreaterThanOrEqual(1000);
  });
});
