/**
 * Example documents generated from an OpenAPI 3.0 schema: one per `oneOf` branch, either with
 * only the required fields or with every declared field. Values sit inside the declared
 * bounds (midpoints of ranges, the first enum value, the shortest string a pattern allows for
 * the patterns this API uses), so a server that accepts what it documents accepts them all.
 */
type Schema = Record<string, unknown>;
export type ExampleMode = 'required' | 'full';

function resolve(schema: Schema, doc: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.replace(/^#\/components\/schemas\//, '');
  const target = (doc.components as { schemas: Record<string, Schema> }).schemas[name];
  if (!target) throw new Error(`unresolved $ref ${ref}`);
  return resolve(target, doc);
}

function numberIn(s: Schema, integer: boolean): number {
  const min = typeof s.minimum === 'number' ? s.minimum : undefined;
  const max = typeof s.maximum === 'number' ? s.maximum : undefined;
  let v = min !== undefined && max !== undefined ? (min + max) / 2 : min !== undefined ? min + (s.exclusiveMinimum ? 1 : 0) : max !== undefined ? max - 1 : 1;
  if (integer) v = Math.ceil(v);
  return v;
}

function stringFor(s: Schema): string {
  const length = Math.max(1, typeof s.minLength === 'number' ? s.minLength : 1);
  const text = 'a'.repeat(length);
  if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(text)) throw new Error(`no example for pattern ${s.pattern}`);
  return text;
}

/** Every example the schema allows under `mode` (several when it holds a oneOf/anyOf). */
export function examplesOf(input: Schema, doc: Schema, mode: ExampleMode): unknown[] {
  const s = resolve(input, doc);
  // A documented example wins: it covers rules a schema cannot say (one field bounding another).
  if (s.example !== undefined) return [s.example];
  for (const union of ['oneOf', 'anyOf'] as const) {
    const branches = s[union];
    if (Array.isArray(branches)) return branches.flatMap((b) => examplesOf(b as Schema, doc, mode));
  }
  if (Array.isArray(s.enum)) return [s.enum[0]];
  switch (s.type) {
    case 'string':
      return [stringFor(s)];
    case 'integer':
      return [numberIn(s, true)];
    case 'number':
      return [numberIn(s, false)];
    case 'boolean':
      return [true];
    case 'array': {
      const count = Math.max(typeof s.minItems === 'number' ? s.minItems : 0, mode === 'full' ? 1 : 0);
      const item = s.items ? examplesOf(s.items as Schema, doc, mode)[0] : 1;
      return [Array.from({ length: count }, () => item)];
    }
    default: {
      const props = (s.properties ?? {}) as Record<string, Schema>;
      const required = new Set((s.required ?? []) as string[]);
      // A oneOf at object level carries the fields; plain objects without properties stay empty.
      const out: Record<string, unknown> = {};
      for (const [name, prop] of Object.entries(props)) {
        if (mode === 'required' && !required.has(name)) continue;
        out[name] = examplesOf(prop, doc, mode)[0];
      }
      return [out];
    }
  }
}
