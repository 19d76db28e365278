/**
 * Silences (/silences): read from this instance's copy of the silences topic, written to the
 * topic after validateSilenceRequest (the same validation every process applies when reading).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { expiredSilence, silenceFromRequest, silenceState, validateSilenceRequest, type Silence, type SilenceState } from '../../oncall/silences/index.ts';
import { silenceRoutes, type SilenceOut } from '../../schemas/http/silences.ts';
import { HttpError, badRequest, conflict, notFound } from '../http-error.ts';
import { actorOf } from '../plugins/auth.ts';
import type { RouteContext } from './context.ts';
import { detailsFromValidation } from './definitions.ts';

export default async function silenceRoutesPlugin(app: FastifyInstance, ctx: RouteContext) {
  const store = ctx.deps.silences;
  const requireReady = () => {
    if (!store.ready) throw new HttpError(503, 'the silences topic is still being read; retry in a moment');
  };
  const out = (s: Silence, now: number): SilenceOut => ({ ...s, state: silenceState(s, now) });

  app.get('/silences', { schema: silenceRoutes.list }, async (req) => {
    requireReady();
    const { state } = req.query as { state?: SilenceState };
    const now = ctx.now();
    return { items: store.list(now, state).map((s) => out(s, now)) };
  });

  app.get('/silences/:id', { schema: silenceRoutes.get }, async (req) => {
    requireReady();
    const { id } = req.params as { id: string };
    const found = store.get(id);
    if (!found) throw notFound(`no silence with id ${id}`);
    return out(found, ctx.now());
  });

  app.post('/silences', { schema: silenceRoutes.post, config: { role: 'operate' } }, async (req, reply) => {
    requireReady();
    const now = ctx.now();
    const checked = validateSilenceRequest(req.body, now);
    if (!checked.ok) throw badRequest(`invalid silence: ${checked.errors[0]}`, detailsFromValidation(checked.errors));
    const request = checked.value;
    const previous = request.id === null ? undefined : store.get(request.id);
    if (request.id !== null && !previous) throw notFound(`no silence with id ${request.id} to update (leave id out to create one)`);
    if (previous && silenceState(previous, now) === 'expired') {
      throw conflict(`silence ${previous.id} has expired; create a new one (leave id out)`);
    }
    const silence = silenceFromRequest(request, { id: previous?.id ?? randomUUID().replaceAll('-', ''), actor: actorOf(req), now, previous });
    await store.write(silence);
    req.log.info({ id: silence.id, version: silence.version, actor: silence.updatedBy }, previous ? 'silence updated' : 'silence created');
    return reply.code(previous ? 200 : 201).send(out(store.get(silence.id) ?? silence, now));
  });

  app.delete('/silences/:id', { schema: silenceRoutes.expire, config: { role: 'operate' } }, async (req) => {
    requireReady();
    const { id } = req.params as { id: string };
    const now = ctx.now();
    const found = store.get(id);
    if (!found) throw notFound(`no silence with id ${id}`);
    const expired = expiredSilence(found, { actor: actorOf(req), now });
    // Expiring an expired silence changes nothing: answer with it as it is.
    if (!expired) return out(found, now);
    await store.write(expired);
    req.log.info({ id, version: expired.version, actor: expired.updatedBy }, 'silence expired');
    return out(store.get(id) ?? expired, now);
  });
}
