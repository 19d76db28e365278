/**
 * fast-check arbitraries from JSON Schema (draft-07 / 2020-12 as zod writes it, and OpenAPI
 * 3.0 as the API serves it): `valuesOf` generates documents the schema allows, `mutantsOf`
 * the same documents with one thing changed so that most (not all) break the schema — tests
 * classify the result with the real validator rather than trusting the mutation.
 *
 * Covers the keywords Vigil's schemas use: type (also lists), enum, const, pattern,
 * min/maxLength, format uri, minimum/maximum with numeric or boolean (3.0) exclusive bounds,
 * items, min/maxItems, uniqueItems, properties, required, additionalProperties, maxProperties,
 * oneOf/anyOf, allOf (merged), nullable, $ref to #/components/schemas/* or #/$defs/*.
 */
import fc from 'fast-check';

export type Schema = Record<string, unknown>;

export interface SchemaArbOptions {
  /** The document $refs point into (OpenAPI: the whole document; zod: the schema itself). */
  root?: Schema;
  /** Longest generated string when the schema sets no maxLength. */
  maxString?: number;
  /** Most items in a generated array when the schema sets no maxItems. */
  maxItems?: number;
  /** Values for properties of these names, for rules a JSON Schema cannot say (refinements). */
  hints?: Record<string, fc.Arbitrary<unknown>>;
}

function resolve(s: Schema, root: Schema | undefined): Schema {
  let cur = s;
  for (let i = 0; i < 16 && typeof cur.$ref === 'string'; i++) {
    const ref = cur.$ref as string;
    if (!root || !ref.startsWith('#/')) throw new Error(`cannot resolve $ref ${ref}`);
    let node: unknown = root;
    for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (typeof node !== 'object' || node === null) throw new Error(`unresolved $ref ${ref}`);
    cur = node as Schema;
  }
  return cur;
}

function typesOf(s: Schema): string[] {
  if (Array.isArray(s.type)) return s.type as string[];
  if (typeof s.type === 'string') return [s.type];
  if (s.properties || s.required || s.additionalProperties !== undefined) return ['object'];
  if (s.items) return ['array'];
  return ['string', 'number', 'boolean', 'null', 'object', 'array'];
}

function bounds(s: Schema): { min?: number; max?: number; exMin: boolean; exMax: boolean } {
  let min = typeof s.minimum === 'number' ? s.minimum : undefined;
  let max = typeof s.maximum === 'number' ? s.maximum : undefined;
  let exMin = s.exclusiveMinimum === true;
  let exMax = s.exclusiveMaximum === true;
  if (typeof s.exclusiveMinimum === 'number') [min, exMin] = [s.exclusiveMinimum, true];
  if (typeof s.exclusiveMaximum === 'number') [max, exMax] = [s.exclusiveMaximum, true];
  return { min, max, exMin, exMax };
}

const SAFE = Number.MAX_SAFE_INTEGER;

function integerArb(s: Schema): fc.Arbitrary<number> {
  const b = bounds(s);
  let min = b.min === undefined ? -SAFE : Math.ceil(b.min) + (b.exMin && Number.isInteger(b.min) ? 1 : 0);
  let max = b.max === undefined ? SAFE : Math.floor(b.max) - (b.exMax && Number.isInteger(b.max) ? 1 : 0);
  min = Math.max(min, -SAFE);
  max = Math.min(max, SAFE);
  // Small values near the bounds are where off-by-one errors live.
  const edges = [min, max, min + 1, max - 1, 0, 1].filter((v) => v >= min && v <= max);
  const nearMin = Math.max(min, -1000);
  const near = fc.bigInt({ min: BigInt(nearMin), max: BigInt(Math.max(nearMin, Math.min(max, 1000))) }).map(Number);
  const anywhere = fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(Number);
  return fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...edges) }, { weight: 3, arbitrary: near }, { weight: 2, arbitrary: anywhere });
}

function numberArb(s: Schema): fc.Arbitrary<number> {
  if (s.type === 'integer') return integerArb(s);
  const b = bounds(s);
  const arb = fc.double({ noNaN: true, noDefaultInfinity: true, min: b.min ?? -Number.MAX_VALUE, max: b.max ?? Number.MAX_VALUE, minExcluded: b.exMin, maxExcluded: b.exMax });
  return arb.map((v) => (Object.is(v, -0) ? 0 : v)); // JSON has no -0
}

function stringArb(s: Schema, o: { maxString: number }): fc.Arbitrary<string> {
  const minLength = typeof s.minLength === 'number' ? s.minLength : 0;
  const maxLength = typeof s.maxLength === 'number' ? s.maxLength : Math.max(minLength, o.maxString);
  const fits = (v: string) => v.length >= minLength && v.length <= maxLength;
  if (s.format === 'uri') {
    return fc.tuple(fc.constantFrom('http', 'https'), fc.constantFrom('127.0.0.1', 'localhost', 'example.com'), fc.integer({ min: 1, max: 65535 }), fc.constantFrom('', '/', '/a/b')).map(([p, h, port, path]) => `${p}://${h}:${port}${path}`).filter(fits);
  }
  if (typeof s.pattern === 'string') {
    const pattern = new RegExp(s.pattern, 'u');
    // fc.stringMatching knows no lookarounds: generate without them, keep what the full pattern allows.
    const plain = new RegExp(s.pattern.replace(/\(\?<?[=!][^()]*\)/g, ''), 'u');
    return fc.stringMatching(plain, { maxLength }).filter((v) => fits(v) && pattern.test(v));
  }
  const unit = fc.oneof({ weight: 8, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength, maxLength: Math.min(maxLength, minLength + 24) }) }, { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength, maxLength: Math.min(maxLength, minLength + 24) }) });
  return unit.filter(fits);
}

function merged(s: Schema, root: Schema | undefined): Schema {
  if (!Array.isArray(s.allOf)) return s;
  const out: Schema = { ...s };
  delete out.allOf;
  for (const part of s.allOf as Schema[]) {
    const p = merged(resolve(part, root), root);
    out.properties = { ...(out.properties as object), ...(p.properties as object) };
    out.required = [...((out.required as string[]) ?? []), ...((p.required as string[]) ?? [])];
    for (const [k, v] of Object.entries(p)) if (!(k in out)) out[k] = v;
  }
  return out;
}

/** Documents `schema` allows. */
export function valuesOf(schema: Schema, options: SchemaArbOptions = {}): fc.Arbitrary<unknown> {
  const o = { maxString: options.maxString ?? 40, maxItems: options.maxItems ?? 4 };
  const hints = options.hints ?? {};
  const root = options.root ?? schema;
  const go = (input: Schema, depth: number): fc.Arbitrary<unknown> => {
    const s = merged(resolve(input, root), root);
    const nullable = s.nullable === true || (Array.isArray(s.type) && (s.type as string[]).includes('null'));
    const inner = ((): fc.Arbitrary<unknown> => {
      if ('const' in s) return fc.constant(s.const);
      if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
      for (const union of ['oneOf', 'anyOf'] as const) {
        const branches = s[union];
        if (Array.isArray(branches)) {
          // Sibling keywords (e.g. a shared description or type) stay on each branch.
          const rest: Schema = { ...s };
          delete rest[union];
          delete rest.discriminator;
          return fc.oneof(...(branches as Schema[]).map((b) => go({ ...rest, ...merged(resolve(b, root), root) }, depth)));
        }
      }
      const types = typesOf(s).filter((t) => t !== 'null');
      if (types.length === 0) return fc.constant(null);
      return fc.oneof(...types.map((t) => typed(t, s, depth)));
    })();
    return nullable ? fc.option(inner, { nil: null, freq: 6 }) : inner;
  };
  const typed = (type: string, s: Schema, depth: number): fc.Arbitrary<unknown> => {
    switch (type) {
      case 'string':
        return stringArb(s, o);
      case 'integer':
        return integerArb(s);
      case 'number':
        return numberArb(s);
      case 'boolean':
        return fc.boolean();
      case 'array': {
        // Recursive schemas (a routing tree) end in empty lists past this depth.
        if (depth > 4 && !(typeof s.minItems === 'number' && s.minItems > 0)) return fc.constant([]);
        const item = s.items && typeof s.items === 'object' ? go(s.items as Schema, depth + 1) : fc.jsonValue({ maxDepth: 1 });
        const minLength = typeof s.minItems === 'number' ? s.minItems : 0;
        const maxLength = Math.min(typeof s.maxItems === 'number' ? s.maxItems : minLength + o.maxItems, minLength + o.maxItems);
        return s.uniqueItems ? fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) }) : fc.array(item, { minLength, maxLength });
      }
      case 'object': {
        const required = new Set((s.required ?? []) as string[]);
        const all = (s.properties ?? {}) as Record<string, Schema>;
        // Past this depth only required fields are generated (recursive schemas must end).
        const props = depth > 4 ? Object.fromEntries(Object.entries(all).filter(([k]) => required.has(k))) : all;
        const known = fc.record(
          Object.fromEntries(Object.entries(props).map(([k, v]) => [k, hints[k] ?? go(v, depth + 1)])),
          { requiredKeys: Object.keys(props).filter((k) => required.has(k)) },
        );
        const extra = s.additionalProperties;
        const maxProps = typeof s.maxProperties === 'number' ? s.maxProperties : undefined;
        if (extra && typeof extra === 'object' && depth < 6) {
          const maxKeys = Math.min(3, maxProps ?? 3);
          return fc.tuple(known, fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !(k in props) && k !== '__proto__'), go(extra as Schema, depth + 1), { maxKeys })).map(([a, b]) => ({ ...b, ...a }));
        }
        return known;
      }
      default:
        return fc.constant(null);
    }
  };
  return go(schema, 0);
}

/** One edit to a document: a wrong type, an unknown or dangerous key, a missing key, a boundary crossed. */
export type Mutation = { path: string[]; what: string };

const junkArb = fc.oneof(
  fc.constantFrom<unknown>(null, true, 0, -1, 1e308, '', 'x', [], {}, '\ud800', 'a\u0000b', 'x'.repeat(5000), -0.5, 2 ** 53),
  fc.jsonValue({ maxDepth: 2 }),
);

function paths(value: unknown, prefix: string[] = [], out: string[][] = [], depth = 0): string[][] {
  out.push(prefix);
  if (depth > 6 || typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out, depth + 1);
  return out;
}

function setAt(doc: unknown, path: string[], edit: (parent: Record<string, unknown>, key: string) => void): unknown {
  if (path.length === 0) {
    const box: Record<string, unknown> = { v: doc };
    edit(box, 'v');
    return box.v;
  }
  const copy = structuredClone(doc) as Record<string, unknown>;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>;
  edit(node, path[path.length - 1]);
  return copy;
}

/** Documents of `schema` with one edit each; which edit is returned beside the document. */
export function mutantsOf(schema: Schema, options: SchemaArbOptions = {}): fc.Arbitrary<{ doc: unknown; mutation: Mutation }> {
  return fc.tuple(valuesOf(schema, options), fc.nat(), fc.nat(7), junkArb, fc.constantFrom('__proto__', 'constructor', 'prototype', 'unknownField', '')).map(([valid, pick, how, junk, key]) => {
    const all = paths(valid);
    const path = all[pick % all.length];
    const target = path.reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], valid);
    const isObject = typeof target === 'object' && target !== null && !Array.isArray(target);
    let what: string;
    let doc: unknown;
    if (how <= 1) {
      what = 'replaced by junk';
      doc = setAt(valid, path, (p, k) => {
        p[k] = junk;
      });
    } else if (how === 2 && isObject) {
      what = `added key ${JSON.stringify(key)}`;
      doc = setAt(valid, path, (p, k) => {
        const o = { ...(p[k] as object) } as Record<string, unknown>;
        Object.defineProperty(o, key, { value: junk ?? { polluted: true }, enumerable: true, writable: true, configurable: true });
        p[k] = o;
      });
    } else if (how === 3 && path.length > 0) {
      what = 'removed';
      doc = setAt(valid, path, (p, k) => {
        if (Array.isArray(p)) p.splice(Number(k), 1);
        else delete p[k];
      });
    } else if (typeof target === 'number') {
      what = 'number moved';
      const moved = [target + 1, target - 1, -target, target + 0.5, target * 1e6, Number.MAX_SAFE_INTEGER + 2][how % 6];
      doc = setAt(valid, path, (p, k) => {
        p[k] = moved;
      });
    } else if (typeof target === 'string') {
      what = 'string changed';
      const changed = [target + 'x'.repeat(300), '', `${target}\u0000`, `${target}\ud800`, target.toUpperCase() + '/', ` ${target}`][how % 6];
      doc = setAt(valid, path, (p, k) => {
        p[k] = changed;
      });
    } else if (Array.isArray(target)) {
      what = 'array changed';
      doc = setAt(valid, path, (p, k) => {
        p[k] = how % 2 ? [] : [...(target as unknown[]), ...(target as unknown[]), junk];
      });
    } else {
      what = 'replaced by junk';
      doc = setAt(valid, path, (p, k) => {
        p[k] = junk;
      });
    }
    return { doc, mutation: { path, what } };
  });
}
