/**
 * Receivers (/receivers): read from this instance's receiver store (config file overlaid by the
 * receivers topic), written to the topic after validation with the config's receiver schema.
 * Secrets, bearer tokens and Slack webhook paths are never sent back.
 */
import type { FastifyInstance } from 'fastify';
import { receiverSchema, type ReceiverConfig } from '../../core/notify-config.ts';
import type { ReceiverEntry } from '../../oncall/notify/receiver-store.ts';
import { receiverRoutes, type ReceiverOut } from '../../schemas/http/receivers.ts';
import { HttpError, badRequest, conflict, notFound } from '../http-error.ts';
import type { RouteContext } from './context.ts';

/** A receiver as the API shows it. Pure. */
export function redactReceiver(entry: ReceiverEntry): ReceiverOut {
  const r = entry.receiver;
  const base = { name: r.name, type: r.type, sendResolved: r.sendResolved, source: entry.source, ...(r.timeoutMs !== undefined ? { timeoutMs: r.timeoutMs } : {}) };
  switch (r.type) {
    case 'webhook':
      return { ...base, url: r.url, hasSecret: r.secret.length > 0 };
    case 'slack':
      return { ...base, url: `${new URL(r.url).origin}/…`, ...(r.channel ? { channel: r.channel } : {}), ...(r.username ? { username: r.username } : {}) };
    case 'alertmanager':
      return { ...base, url: r.url, hasBearerToken: Boolean(r.bearerToken) };
  }
}

/** The PUT body merged with what it may leave out (kept from the current receiver of the same type). */
export function receiverFromBody(name: string, body: Record<string, unknown>, current: ReceiverConfig | undefined): { ok: true; receiver: ReceiverConfig } | { ok: false; errors: string[] } {
  if ('name' in body && body.name !== name) return { ok: false, errors: ['name: the name is taken from the path; leave it out or make it equal'] };
  const merged: Record<string, unknown> = { ...body, name };
  if (current && current.type === body.type) {
    if (current.type === 'webhook' && merged.secret === undefined) merged.secret = current.secret;
    if (current.type === 'slack' && merged.url === undefined) merged.url = current.url;
    if (current.type === 'alertmanager' && merged.bearerToken === undefined && current.bearerToken) merged.bearerToken = current.bearerToken;
  }
  const parsed = receiverSchema.safeParse(merged);
  if (!parsed.success) return { ok: false, errors: parsed.error.issues.map((i) => `${i.path.join('.') || '(receiver)'}: ${i.message}`) };
  return { ok: true, receiver: parsed.data };
}

export default async function receiverRoutesPlugin(app: FastifyInstance, ctx: RouteContext) {
  const store = () => {
    const s = ctx.deps.receivers;
    if (!s) throw new HttpError(503, 'receivers are not available on this instance');
    if (!s.ready) throw new HttpError(503, 'the receivers topic is still being read; retry in a moment');
    return s;
  };

  app.get('/receivers', { schema: receiverRoutes.list }, async () => ({ items: store().list().map(redactReceiver) }));

  app.get('/receivers/:name', { schema: receiverRoutes.get }, async (req) => {
    const { name } = req.params as { name: string };
    const found = store().get(name);
    if (!found) throw notFound(`no receiver named ${name}`);
    return redactReceiver(found);
  });

  app.put('/receivers/:name', { schema: receiverRoutes.put, config: { role: 'operate' } }, async (req, reply) => {
    const s = store();
    const { name } = req.params as { name: string };
    const current = s.get(name);
    const built = receiverFromBody(name, req.body as Record<string, unknown>, current?.receiver);
    if (!built.ok) throw badRequest(`invalid receiver: ${built.errors[0]}`, built.errors.map((e) => ({ path: `body/${e.split(':')[0]}`, message: e.slice(e.indexOf(':') + 2) })));
    await s.write(name, built.receiver);
    req.log.info({ receiver: name, type: built.receiver.type, replaced: Boolean(current) }, 'receiver written');
    return reply.code(current ? 200 : 201).send(redactReceiver(s.get(name) ?? { receiver: built.receiver, source: 'api' }));
  });

  app.delete('/receivers/:name', { schema: receiverRoutes.delete, config: { role: 'operate' } }, async (req) => {
    const s = store();
    const { name } = req.params as { name: string };
    const found = s.get(name);
    if (!found) throw notFound(`no receiver named ${name}`);
    if (found.source === 'config') throw conflict(`receiver ${name} is defined in the config file (notify.receivers); change it there`);
    await s.write(name, null);
    return { name, removed: true };
  });
}
