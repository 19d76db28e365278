/**
 * Requests per minute per API key (by key name) or, without a valid key, per client IP — so
 * guessing keys is rate limited too.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import { presentedKey, type KeyRing } from './auth.ts';

async function rateLimitPlugin(app: FastifyInstance, opts: { perMinute: number; ring: KeyRing }) {
  await app.register(rateLimit, {
    global: true,
    max: opts.perMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => {
      const key = presentedKey(req);
      const principal = key !== undefined && opts.ring.enabled ? opts.ring.lookup(key) : undefined;
      return principal ? `key:${principal.name}` : `ip:${req.ip}`;
    },
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: ctx.statusCode,
      error: 'Too Many Requests',
      message: `rate limit of ${ctx.max} requests per minute exceeded; retry in ${ctx.after}`,
    }),
  });
}

export default fp(rateLimitPlugin, { name: 'vigil-rate-limit', fastify: '5.x' });
