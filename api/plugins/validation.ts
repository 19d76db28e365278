/**
 * Two ajv instances: query strings and path params are text, so they are coerced to the
 * schema's types (`?limit=10` → 10, `?status=firing` → ['firing']); bodies are JSON and are
 * NOT coerced (`"value": "5"` stays a wrong type) and unknown fields are refused rather than
 * silently dropped (fastify's default ajv removes them).
 */
import AjvModule, { type Options as AjvOptions, type ValidateFunction } from 'ajv';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';

// ajv ships CommonJS with `exports.default`; under NodeNext the default import is the module object.
interface AjvLike {
  compile(schema: object): ValidateFunction;
}
const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (opts: AjvOptions) => AjvLike;

// discriminator: a oneOf keyed by a property (rule kinds) reports errors of the chosen branch only.
const common = { useDefaults: true, removeAdditional: false, allErrors: true, strict: false, messages: true, discriminator: true } as const;

/** What request bodies are validated with (tests check schemas under the same options). */
export const BODY_VALIDATOR_OPTIONS: AjvOptions = { ...common, coerceTypes: false };

export function installValidators(app: FastifyInstance): void {
  const textParts = new Ajv({ ...common, coerceTypes: 'array' });
  const jsonBodies = new Ajv(BODY_VALIDATOR_OPTIONS);
  const compiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? jsonBodies : textParts;
    return ajv.compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
  };
  app.setValidatorCompiler(compiler);
}

/**
 * `?status=firing,acknowledged` and `?status=firing&status=acknowledged` mean the same: split
 * comma lists of the named query parameters before validation.
 */
export function splitCommaLists(query: unknown, names: readonly string[]): void {
  if (typeof query !== 'object' || query === null) return;
  const q = query as Record<string, unknown>;
  for (const name of names) {
    const v = q[name];
    if (typeof v === 'string') q[name] = v.split(',').filter((s) => s.length > 0);
    else if (Array.isArray(v)) q[name] = v.flatMap((s) => (typeof s === 'string' ? s.split(',').filter((x) => x.length > 0) : [s]));
  }
}
