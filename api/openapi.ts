/**
 * The served OpenAPI document is 3.0.3, while the route schemas are JSON Schema draft-07 (what
 * ajv validates with). The two dialects differ in a few keywords, so the document is rewritten
 * once when it is built instead of bending the validation schemas:
 *
 * - numeric `exclusiveMinimum: n` → `minimum: n, exclusiveMinimum: true` (same for maximum);
 * - `type: [T, 'null']` and `anyOf: [S, {type: 'null'}]` → `nullable: true`;
 * - `const: v` → `enum: [v]`.
 *
 * Public routes (role 'public') get `security: []` so they do not inherit the global key
 * requirement.
 */
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import type { FastifySchema } from 'fastify';

type Json = unknown;
type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function isNullSchema(s: unknown): boolean {
  return isObject(s) && s.type === 'null' && Object.keys(s).length === 1;
}

/** One schema object (not recursing): draft-07 keywords → their OpenAPI 3.0 spelling. */
function rewriteSchemaKeywords(input: JsonObject): JsonObject {
  const s: JsonObject = { ...input };
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof s[exclusive] === 'number') {
      s[bound] = s[exclusive];
      s[exclusive] = true;
    }
  }
  if (Array.isArray(s.type)) {
    const types = (s.type as string[]).filter((t) => t !== 'null');
    if (types.length < s.type.length) s.nullable = true;
    if (types.length === 1) s.type = types[0];
    else {
      delete s.type;
      s.anyOf = types.map((t) => ({ type: t }));
    }
  }
  for (const union of ['anyOf', 'oneOf'] as const) {
    const alternatives = s[union];
    if (Array.isArray(alternatives) && alternatives.some(isNullSchema)) {
      const rest = alternatives.filter((a) => !isNullSchema(a));
      delete s[union];
      if (rest.length === 1 && isObject(rest[0])) Object.assign(s, rest[0]);
      else s[union] = rest;
      s.nullable = true;
    }
  }
  if ('const' in s) {
    s.enum = [s.const];
    delete s.const;
  }
  return s;
}

/** Keys whose values are schemas, or maps / lists of schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'schemas', 'definitions']);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf']);
const SCHEMA_VALUES = new Set(['items', 'additionalProperties', 'not', 'schema']);

/** Walks the whole document; only objects in schema positions are rewritten. */
export function toOpenApi30(doc: Json, inSchema = false): Json {
  if (Array.isArray(doc)) return doc.map((d) => toOpenApi30(d, inSchema));
  if (!isObject(doc)) return doc;
  const node = inSchema ? rewriteSchemaKeywords(doc) : doc;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (inSchema && (key === 'enum' || key === 'example' || key === 'default' || key === 'examples')) out[key] = value;
    else if (SCHEMA_MAPS.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toOpenApi30(v, true)]));
    } else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) out[key] = value.map((v) => toOpenApi30(v, true));
    else if (SCHEMA_VALUES.has(key) && isObject(value)) out[key] = toOpenApi30(value, true);
    else out[key] = toOpenApi30(value, false);
  }
  return out;
}

/** @fastify/swagger `transform`: public routes need no key. */
export const documentRoute: SwaggerTransform = ({ schema, url, route }) => {
  const role = (route.config as { role?: string } | undefined)?.role;
  if (role !== 'public' || !isObject(schema)) return { schema, url };
  return { schema: { ...schema, security: [] } as FastifySchema, url };
};

/** @fastify/swagger `transformObject`: the 3.0.3 spelling over everything it generated. */
export const documentObject: SwaggerTransformObject = (documentObject) =>
  toOpenApi30('openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject) as ReturnType<SwaggerTransformObject>;
