/**
 * Hostile configuration at scale (issue #12): generated config files (valid documents from the
 * config schema itself, one-edit mutants of them, broken JSON, non-objects) and VIGIL_*
 * environment values, through loadConfig exactly as a process reads them. A config is either
 * the one the schema describes, or a VigilError naming the field (or variable, or file) and
 * the action — never another exception, never a key silently taken or dropped.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { VigilError } from '../../../core/errors.ts';
import { configEnvVars, configSchema, loadConfig, type VigilConfig } from '../../../core/config.ts';
import { mutantsOf, valuesOf, type Schema } from '../../support/json-schema-arbitrary.ts';
import { FUZZ_TEST_TIMEOUT_MS, expectBudgetTried, reportFuzz, runs, tried } from '../../support/fuzz.ts';

vi.setConfig({ testTimeout: FUZZ_TEST_TIMEOUT_MS });

const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-fuzz-config-'));
const file = path.join(dir, 'config.json');
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  reportFuzz('config-files');
});

const jsonSchema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Schema;
const httpUrl = fc.tuple(fc.constantFrom('http', 'https'), fc.integer({ min: 1, max: 65535 }), fc.constantFrom('', '/', '/hook')).map(([p, port, path]) => `${p}://127.0.0.1:${port}${path}`);
const matchers = fc.array(fc.tuple(fc.constantFrom('source', 'severity', 'metric'), fc.constantFrom('=', '!=', '=~', '!~'), fc.constantFrom('api', 'critical', 'a.*')).map(([l, op, v]) => `${l}${op}${v}`), { maxLength: 2 });
/** Refinements the JSON Schema cannot say (URLs, matcher syntax), so most generated documents are valid. */
const hints = { url: httpUrl, dashboardUrl: httpUrl, matchers, sourceMatchers: matchers, targetMatchers: matchers };
const options = { maxString: 20, maxItems: 2, hints, root: jsonSchema };
const sections = Object.entries(jsonSchema.properties as Record<string, Schema>);
/** One section per document keeps documents small (a whole config is ~5 ms to generate). */
const docArb = fc.oneof(...sections.map(([name, section]) => valuesOf(section, options).map((v) => ({ [name]: v }))), fc.constant({}));
const mutantArb = fc.oneof(...sections.map(([name, section]) => mutantsOf({ type: 'object', additionalProperties: false, properties: { [name]: section } }, options)));

/** loadConfig's answer: a config, or the VigilError it threw (anything else fails the test). */
function load(options: Parameters<typeof loadConfig>[0]): VigilConfig | VigilError {
  tried('config-files');
  try {
    return loadConfig(options);
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(VigilError);
    const e = err as VigilError;
    expect(e.action?.length ?? 0, e.message).toBeGreaterThan(0);
    return e;
  }
}

function loadFile(text: string): VigilConfig | VigilError {
  writeFileSync(file, text);
  return load({ file, env: {} });
}

describe('config files, generated', () => {
  it('loads every document the schema allows as the schema reads it', () => {
    fc.assert(
      fc.property(docArb, (doc) => {
        const expected = configSchema.safeParse(doc);
        const got = loadFile(JSON.stringify(doc));
        // The generator covers the JSON Schema; zod's own checks (e.g. URL parsing) decide.
        if (!expected.success) {
          expect(got).toBeInstanceOf(VigilError);
          return;
        }
        expect(got).toEqual(expected.data);
      }),
      runs('config-files', 0.3),
    );
  });

  it('refuses a mutated document naming the field, and never takes an unknown or prototype key', () => {
    fc.assert(
      fc.property(mutantArb, ({ doc, mutation }) => {
        const text = JSON.stringify(doc) ?? 'null';
        const got = loadFile(text);
        const reparsed = JSON.parse(text) as unknown;
        const expected = configSchema.safeParse(reparsed);
        if (got instanceof VigilError) {
          if (typeof reparsed === 'object' && reparsed !== null && !Array.isArray(reparsed)) expect(got.message).toMatch(/^invalid configuration: \S/);
          return;
        }
        expect(expected.success, `${mutation.what} at ${mutation.path.join('.')}: loaded, the schema refuses it`).toBe(true);
        if (expected.success) expect(got).toEqual(expected.data);
        expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
        for (const section of Object.values(got)) {
          if (typeof section === 'object' && section !== null && !Array.isArray(section)) expect(Object.getPrototypeOf(section)).toBe(Object.prototype);
        }
      }),
      runs('config-files', 0.35),
    );
  });

  it('refuses broken JSON and non-objects with the file named', () => {
    const textArb = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => JSON.stringify(v)),
      fc.tuple(docArb, fc.nat()).map(([d, at]) => {
        const t = JSON.stringify(d);
        return t.slice(0, at % t.length);
      }),
      fc.string({ unit: 'binary', maxLength: 30 }),
    );
    fc.assert(
      fc.property(textArb, (text) => {
        const got = loadFile(text);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          expect(got).toBeInstanceOf(VigilError);
          expect((got as VigilError).message).toContain(file);
          return;
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          expect(got).toBeInstanceOf(VigilError);
          expect((got as VigilError).message).toContain(file);
        }
      }),
      runs('config-files', 0.1),
    );
  });
});

describe('VIGIL_* environment, generated', () => {
  const valueArb = fc.oneof(
    fc.constantFrom('', ' ', '0', '-1', '1', '12', '65536', '1e3', '0x10', 'NaN', 'Infinity', '3.5', 'true', 'null', '[]', '{}', '[{"key":"0123456789abcdef0123","roles":["read"]}]', '{"__proto__":{"x":1}}', 'a,b,,c', '127.0.0.1:19092', 'http://127.0.0.1:1', 'debug', '\u0000'),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  );
  const envArb = fc.dictionary(fc.constantFrom(...configEnvVars), valueArb, { maxKeys: 4 });

  it('loads or names the variable or field at fault', () => {
    fc.assert(
      fc.property(envArb, (env) => {
        const got = load({ env });
        if (!(got instanceof VigilError)) {
          expect(configSchema.safeParse(got).success).toBe(true);
          return;
        }
        const named = Object.keys(env).some((name) => got.message.includes(name)) || /^invalid configuration: \S/.test(got.message);
        expect(named, got.message).toBe(true);
      }),
      runs('config-files', 0.25),
    );
  });
});

it('tried every input of the budget', () => {
  expectBudgetTried('config-files');
});
