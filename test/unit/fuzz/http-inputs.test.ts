/**
 * Hostile HTTP input at scale (issue #12): for every operation in the served OpenAPI document,
 * bodies and query strings generated from the documented schemas (valid ones, one-edit
 * mutants, junk), sent through the real fastify app (inject) with in-memory stand-ins for
 * Kafka and ClickHouse (the live stack is driven by test/integration/schemathesis.test.ts).
 *
 * For every request: never a 5xx; every 4xx is the error envelope with a message; every
 * answer matches the documented response schema of its status. What the document allows is
 * not refused by schema validation (the document and the server agree); what it does not
 * allow is a 400 (or, for an ingest batch, a 202 listing the refused points by index).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import AjvModule, { type ValidateFunction } from 'ajv';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import { loadConfig } from '../../../core/config.ts';
import { buildApi } from '../../../api/server.ts';
import type { ApiDeps, ConfigStore } from '../../../api/deps.ts';
import { DefinitionSet, configKeyOf, parseConfigRecord } from '../../../pipeline/alerts/definitions.ts';
import { memorySilenceStore } from '../../../oncall/silences/index.ts';
import { memoryReceiverStore } from '../../../oncall/notify/receiver-store.ts';
import { ILL_FORMED_TEXT, findIllFormedText } from '../../../schemas/text.ts';
import { mutantsOf, valuesOf, type Schema } from '../../support/json-schema-arbitrary.ts';
import { FUZZ_TEST_TIMEOUT_MS, expectBudgetTried, reportFuzz, runs, tried, type FuzzPath } from '../../support/fuzz.ts';

vi.setConfig({ testTimeout: FUZZ_TEST_TIMEOUT_MS });

const KEY = 'fuzz-all-roles-key-0123456789';
const NOW = Date.UTC(2025, 0, 15, 12);

function fakeDeps(): ApiDeps {
  let defs = DefinitionSet.defaults();
  const config: ConfigStore = {
    ready: true,
    definitions: () => defs,
    async write(kind, id, value) {
      const parsed = parseConfigRecord(configKeyOf(kind, id), value === null ? null : Buffer.from(JSON.stringify(value)));
      if (!parsed.ok) throw new Error(parsed.reason);
      defs = defs.withChange(parsed.change);
    },
  };
  return {
    clickhouse: { query: async () => [], ping: async () => {} },
    metrics: { send: async () => {} },
    commands: { issue: async () => null },
    config,
    silences: memorySilenceStore(),
    receivers: memoryReceiverStore(),
    kafka: { ping: async () => ({ brokers: 1 }), consumerGroup: async (groupId) => ({ groupId, state: 'Stable', members: 1, lag: 0 }) },
    now: () => NOW,
  };
}

// ---------------------------------------------------------------------------------------------
// OpenAPI 3.0 → draft-07, so ajv can judge documents against what the API documents.

const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (o: object) => { compile(s: object): ValidateFunction };
const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });

function toDraft07(input: unknown, doc: Schema, seen: string[] = []): unknown {
  if (Array.isArray(input)) return input.map((v) => toDraft07(v, doc, seen));
  if (typeof input !== 'object' || input === null) return input;
  let s = input as Schema;
  if (typeof s.$ref === 'string') {
    if (seen.includes(s.$ref)) return {};
    const name = s.$ref.replace('#/components/schemas/', '');
    return toDraft07((doc.components as { schemas: Record<string, Schema> }).schemas[name], doc, [...seen, s.$ref]);
  }
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'example' || k === 'enum' || k === 'default') out[k] = v;
    else if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v as Schema).map(([p, ps]) => [p, toDraft07(ps, doc, seen)]));
    else if (k !== 'nullable' && k !== 'discriminator') out[k] = toDraft07(v, doc, seen);
  }
  s = out;
  for (const [ex, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (s[ex] === true) {
      s[ex] = s[bound];
      delete s[bound];
    } else if (s[ex] === false) delete s[ex];
  }
  if ((input as Schema).nullable === true) return { anyOf: [s, { type: 'null' }] };
  return s;
}

// ---------------------------------------------------------------------------------------------

interface Operation {
  [fc.toStringMethod]: () => string;
  method: string;
  path: string;
  /** Path template with `{name}` placeholders. */
  params: Array<{ name: string; schema: Schema }>;
  query: Array<{ name: string; schema: Schema; required: boolean }>;
  body: Schema | null;
  bodyValid: ValidateFunction | null;
  responses: Map<string, ValidateFunction | null>;
}

let app: FastifyInstance;
let doc: Schema;
let operations: Operation[];

beforeAll(async () => {
  const config = loadConfig({
    env: {},
    overrides: { logLevel: 'silent', api: { commandWaitMs: 0, rateLimitPerMinute: 100_000_000, apiKeys: [{ key: KEY, roles: ['read', 'operate', 'ingest'], name: 'fuzz' }] } },
  });
  app = await buildApi(config, fakeDeps());
  await app.ready();
  doc = app.swagger() as unknown as Schema;
  operations = [];
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Schema>>)) {
    for (const [method, op] of Object.entries(ops)) {
      const parameters = (op.parameters ?? []) as Array<{ in: string; name: string; schema: Schema; required?: boolean }>;
      const body = ((op.requestBody as Schema | undefined)?.content as Record<string, { schema: Schema }> | undefined)?.['application/json']?.schema ?? null;
      const responses = new Map<string, ValidateFunction | null>();
      for (const [status, r] of Object.entries(op.responses as Record<string, Schema>)) {
        const schema = (r.content as Record<string, { schema: Schema }> | undefined)?.['application/json']?.schema;
        responses.set(status, schema ? ajv.compile(toDraft07(schema, doc) as object) : null);
      }
      operations.push({
        // Counterexamples print the operation by name, not its compiled validators.
        [fc.toStringMethod]: () => `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        params: parameters.filter((p) => p.in === 'path').map((p) => ({ name: p.name, schema: p.schema })),
        query: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema, required: p.required === true })),
        body,
        bodyValid: body ? ajv.compile(toDraft07(body, doc) as object) : null,
        responses,
      });
    }
  }
});

afterAll(async () => {
  await app?.close();
  reportFuzz('http-bodies');
  reportFuzz('http-queries');
});

/** Path parameter values the document allows (they are not what is being fuzzed here). */
function urlArb(op: Operation): fc.Arbitrary<string> {
  if (op.params.length === 0) return fc.constant(op.path);
  return fc.tuple(...op.params.map((p) => valuesOf(p.schema, { root: doc, maxString: 16 }))).map((values) =>
    op.params.reduce((url, p, i) => url.replace(`{${p.name}}`, encodeURIComponent(String(values[i]))), op.path),
  );
}

function send(which: FuzzPath, method: string, url: string, payload?: string, contentType = 'application/json'): Promise<LightMyRequestResponse> {
  tried(which);
  const headers: Record<string, string> = { 'x-api-key': KEY };
  if (payload !== undefined) headers['content-type'] = contentType;
  return app.inject({ method: method as 'GET', url, headers, payload });
}

/** What holds for every answer, whatever was sent. */
function expectWellFormedAnswer(op: Operation, res: LightMyRequestResponse, sent: string): unknown {
  const where = `${op.method} ${op.path} sent ${sent.slice(0, 400)} → ${res.statusCode} ${res.body.slice(0, 400)}`;
  expect(res.statusCode, where).toBeLessThan(500);
  const body = res.body.length > 0 ? (JSON.parse(res.body) as unknown) : undefined;
  if (res.statusCode >= 400) {
    const e = body as { error?: unknown; message?: unknown; statusCode?: unknown };
    expect(typeof e?.message === 'string' && e.message.length > 0, where).toBe(true);
    expect(e.statusCode, where).toBe(res.statusCode);
  }
  const documented = op.responses.has(String(res.statusCode));
  expect(documented || res.statusCode === 415, `undocumented status: ${where}`).toBe(true);
  const validate = op.responses.get(String(res.statusCode));
  if (validate && !validate(body)) expect.fail(`response does not match its schema (${ajvText(validate)}): ${where}`);
  return body;
}

function ajvText(v: ValidateFunction): string {
  return (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ');
}

/** The server's own schema validation refused it (errors plugin: "invalid request: <path> <message>"). */
function schemaRefusal(body: unknown): boolean {
  return typeof (body as { message?: unknown })?.message === 'string' && (body as { message: string }).message.startsWith('invalid request');
}

const junkBodyArb = fc.oneof(
  fc.constantFrom('', '{', '[]', 'null', '"x"', '1', '{"a":', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '\u0000', '{"k":"\\ud800"}', `{"k":"${'x'.repeat(70_000)}"}`, '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

describe('HTTP bodies generated from the OpenAPI document, every operation', () => {
  it('the document has operations with bodies to fuzz', () => {
    expect(operations.filter((o) => o.body).length).toBeGreaterThanOrEqual(9);
  });

  it('accepts what the document allows, refuses the rest with a 400 and a message, never a 5xx', async () => {
    const withBody = operations.filter((o) => o.body);
    // One arbitrary per operation, built once (building one compiles its patterns).
    const arb = fc.oneof(...withBody.map((op) =>
      fc.tuple(
        fc.constant(op),
        urlArb(op),
        fc.oneof(
          { weight: 4, arbitrary: valuesOf(op.body!, { root: doc, maxString: 24 }).map((d) => ({ text: JSON.stringify(d), kind: 'generated' as const })) },
          { weight: 4, arbitrary: mutantsOf(op.body!, { root: doc, maxString: 24 }).map((m) => ({ text: JSON.stringify(m.doc) ?? 'null', kind: 'mutant' as const })) },
          { weight: 1, arbitrary: junkBodyArb.map((text) => ({ text, kind: 'junk' as const })) },
        ),
        fc.constantFrom('application/json', 'application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain'),
      ),
    ));
    const semantic = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(arb, async ([op, url, body, contentType]) => {
        const res = await send('http-bodies', op.method, url, body.text, contentType);
        const answer = expectWellFormedAnswer(op, res, body.text);
        if (contentType === 'text/plain') {
          // fastify reads text/plain as a string, which no JSON body schema allows.
          expect([400, 415]).toContain(res.statusCode);
          return;
        }
        let parsed: unknown;
        let isJson = true;
        try {
          parsed = JSON.parse(body.text);
        } catch {
          isJson = false;
        }
        if (isJson && findIllFormedText(parsed) !== null) {
          // One rule for text on every path (schemas/text.ts), beyond what a JSON Schema can say.
          expect(res.statusCode).toBe(400);
          // fastify refuses prototype keys (__proto__, constructor.prototype) while parsing, first.
          const poisoned = /"__proto__"|"constructor"/.test(body.text);
          if (!poisoned) expect((answer as { message: string }).message).toContain(ILL_FORMED_TEXT);
          return;
        }
        const allowed = isJson && op.bodyValid!(parsed);
        if (!isJson || (!allowed && body.text.length <= 64 * 1024)) {
          const ingestBatch = op.path.endsWith('/metrics') && res.statusCode === 202;
          if (ingestBatch) expect((answer as { rejected: number }).rejected, `${body.text.slice(0, 300)}`).toBeGreaterThan(0);
          else expect([400, 413], `${op.method} ${op.path} accepted a body the document refuses (${ajvText(op.bodyValid!)}): ${body.text.slice(0, 300)} → ${res.statusCode}`).toContain(res.statusCode);
          return;
        }
        if (allowed) {
          expect(schemaRefusal(answer), `${op.method} ${op.path}: the document allows ${body.text.slice(0, 300)}, schema validation refused it: ${res.body.slice(0, 300)}`).toBe(false);
          if (res.statusCode >= 400) {
            const k = `${op.method} ${op.path} ${res.statusCode}`;
            semantic.set(k, (semantic.get(k) ?? 0) + 1);
            if (process.env.VIGIL_FUZZ_VERBOSE) console.log(k, body.text.slice(0, 300), '→', (answer as { message: string }).message.slice(0, 300));
          }
        }
      }),
      runs('http-bodies', 1),
    );
    // Documented bodies that a rule beyond the schema refused (unknown ids, transitions, cross-field rules).
    console.log(`http-bodies: documented bodies refused past schema validation: ${JSON.stringify(Object.fromEntries(semantic))}`);
  });
});

describe('HTTP query strings generated from the OpenAPI document, every GET', () => {
  it('answers valid queries, refuses the rest with a 400 and a message, never a 5xx', async () => {
    const gets = operations.filter((o) => o.method === 'GET' && o.query.length > 0);
    expect(gets.length).toBeGreaterThanOrEqual(8);
    const valueText = (v: unknown) => (Array.isArray(v) ? v.map(String).join(',') : String(v));
    const arb = fc.oneof(...gets.map((op) =>
      fc.tuple(
        fc.constant(op),
        urlArb(op),
        fc.tuple(
          ...op.query.map((q) =>
            fc.oneof(
              { weight: 3, arbitrary: fc.constant(undefined) },
              { weight: 3, arbitrary: valuesOf(q.schema, { root: doc, maxString: 24 }).map(valueText) },
              { weight: 1, arbitrary: fc.constantFrom('', 'x', '-1', '1e309', 'NaN', '9'.repeat(40), "' OR 1=1 --", '\\', '%', '\u0000', 'a'.repeat(3000), '2025-13-45', 'null', '[]') },
              { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
            ),
          ),
        ),
      ),
    ));
    await fc.assert(
      fc.asyncProperty(arb, async ([op, url, values]) => {
        const params = new URLSearchParams();
        op.query.forEach((q, i) => {
          if (values[i] !== undefined) params.append(q.name, values[i]!);
        });
        const qs = params.toString();
        const res = await send('http-queries', 'GET', qs ? `${url}?${qs}` : url);
        expectWellFormedAnswer(op, res, qs);
        expect([200, 400, 404, 414, 431], `${op.path}?${qs} → ${res.statusCode} ${res.body.slice(0, 200)}`).toContain(res.statusCode);
      }),
      runs('http-queries', 1),
    );
  });
});

it('tried every input of the budget', () => {
  expectBudgetTried('http-bodies');
  expectBudgetTried('http-queries');
});
