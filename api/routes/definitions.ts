/**
 * Rules (/rules) and SLA definitions (/sla/definitions): read from the API's view of the config
 * topic, written to the topic (validated with the pipeline's own validators first).
 */
import type { FastifyInstance } from 'fastify';
import { validateRule, validateSla, type DefinitionSet } from '../../pipeline/alerts/definitions.ts';
import type { ErrorDetail } from '../../schemas/http/common.ts';
import { ruleRoutes, slaDefinitionRoutes, type DeletedDefinition } from '../../schemas/http/definitions.ts';
import type { DefinitionKind } from '../deps.ts';
import { HttpError, badRequest, conflict, notFound } from '../http-error.ts';
import type { RouteContext } from './context.ts';

/** "levels[1].value: must be finite" → {path, message}. */
export function detailsFromValidation(errors: string[]): ErrorDetail[] {
  return errors.map((e) => {
    const i = e.indexOf(': ');
    return i > 0 ? { path: `body/${e.slice(0, i)}`, message: e.slice(i + 2) } : { message: e };
  });
}

interface Access<T> {
  noun: string;
  all(defs: DefinitionSet): T[];
  one(defs: DefinitionSet, id: string): T | undefined;
  validate(input: unknown): { ok: true; value: T } | { ok: false; errors: string[] };
}

const ACCESS: Record<DefinitionKind, Access<object>> = {
  rule: { noun: 'rule', all: (d) => d.rules(), one: (d, id) => d.rule(id), validate: validateRule },
  sla: { noun: 'SLA definition', all: (d) => d.slas(), one: (d, id) => d.sla(id), validate: validateSla },
};

function registerDefinitionRoutes(app: FastifyInstance, ctx: RouteContext, kind: DefinitionKind, base: string) {
  const access = ACCESS[kind];
  const schemas = kind === 'rule' ? ruleRoutes : slaDefinitionRoutes;
  const store = ctx.deps.config;
  const requireReady = () => {
    if (!store.ready) throw new HttpError(503, 'the config topic is still being read; retry in a moment');
  };
  const withFlag = (defs: DefinitionSet, d: object & { id?: string }) => ({ ...d, isDefault: defs.isDefault(kind, String(d.id)) });

  app.get(base, { schema: schemas.list }, async () => {
    requireReady();
    const defs = store.definitions();
    return { items: access.all(defs).map((d) => withFlag(defs, d)) };
  });

  app.get(`${base}/:id`, { schema: schemas.get }, async (req) => {
    requireReady();
    const { id } = req.params as { id: string };
    const defs = store.definitions();
    const found = access.one(defs, id);
    if (!found) throw notFound(`no ${access.noun} with id ${id}`);
    return withFlag(defs, found);
  });

  app.put(`${base}/:id`, { schema: schemas.put, config: { role: 'operate' } }, async (req, reply) => {
    requireReady();
    const { id } = req.params as { id: string };
    const body = req.body as Record<string, unknown>;
    if (body.id !== undefined && body.id !== id) {
      throw badRequest(`body id ${JSON.stringify(body.id)} differs from the id in the path`, [{ path: 'body/id', message: 'must equal the path id or be left out' }]);
    }
    const checked = access.validate({ ...body, id });
    if (!checked.ok) throw badRequest(`invalid ${access.noun}: ${checked.errors[0]}`, detailsFromValidation(checked.errors));
    const existed = access.one(store.definitions(), id) !== undefined;
    await store.write(kind, id, checked.value);
    ctx.metrics.configWrites.inc({ kind, op: 'put' });
    req.log.info({ kind, id, actor: req.principal?.name ?? 'anonymous' }, 'definition written');
    const defs = store.definitions();
    return reply.code(existed ? 200 : 201).send(withFlag(defs, access.one(defs, id) ?? checked.value));
  });

  app.delete(`${base}/:id`, { schema: schemas.delete, config: { role: 'operate' } }, async (req): Promise<DeletedDefinition> => {
    requireReady();
    const { id } = req.params as { id: string };
    const defs = store.definitions();
    if (!access.one(defs, id)) throw notFound(`no ${access.noun} with id ${id}`);
    if (defs.isDefault(kind, id)) {
      throw conflict(`${access.noun} ${id} is a built-in default; switch it off with PUT {"enabled": false} instead`);
    }
    await store.write(kind, id, null);
    ctx.metrics.configWrites.inc({ kind, op: 'delete' });
    req.log.info({ kind, id, actor: req.principal?.name ?? 'anonymous' }, 'definition deleted');
    return { id, deleted: true, revertedToDefault: access.one(store.definitions(), id) !== undefined };
  });
}

export default async function definitionRoutes(app: FastifyInstance, ctx: RouteContext) {
  registerDefinitionRoutes(app, ctx, 'rule', '/rules');
  registerDefinitionRoutes(app, ctx, 'sla', '/sla/definitions');
}
