/**
 * CORS for browser apps on other origins (docs/security.md). Only origins listed in
 * `api.corsOrigins` (exact `scheme://host[:port]`) get Access-Control-Allow-Origin; by default
 * the list is empty and no CORS header is ever sent, so browsers keep other sites out. Keys
 * travel in headers, never cookies, so no Allow-Credentials. Preflights (OPTIONS with an Origin
 * and Access-Control-Request-Method) are answered here, before routing, auth and the 405 of
 * the methods plugin: 204 for a listed origin asking for methods and headers the API takes,
 * 403 saying which part is refused otherwise.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../http-error.ts';

export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'] as const;
export const CORS_REQUEST_HEADERS = ['accept', 'authorization', 'content-type', 'x-api-key', 'x-request-id'] as const;
/** Response headers a cross-origin script may read besides the CORS-safelisted ones. */
export const CORS_EXPOSED_HEADERS = ['retry-after', 'x-request-id', 'www-authenticate', 'allow'] as const;
export const CORS_MAX_AGE_SEC = 600;

export interface CorsOptions {
  origins: readonly string[];
}

const isPreflight = (req: FastifyRequest) => req.method === 'OPTIONS' && typeof req.headers['access-control-request-method'] === 'string';

function addVary(reply: FastifyReply): void {
  const current = reply.getHeader('vary');
  const list = typeof current === 'string' ? current.split(',').map((s) => s.trim()).filter(Boolean) : [];
  if (!list.some((v) => v.toLowerCase() === 'origin')) reply.header('vary', [...list, 'Origin'].join(', '));
}

/** Why a preflight is refused, or null when it is fine. Pure. */
export function preflightRefusal(method: string, requestHeaders: string | undefined): string | null {
  if (!(CORS_METHODS as readonly string[]).includes(method)) return `method ${method.slice(0, 20)} is not allowed cross-origin; allowed: ${CORS_METHODS.join(', ')}`;
  const asked = (requestHeaders ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  const refused = asked.filter((h) => !(CORS_REQUEST_HEADERS as readonly string[]).includes(h));
  if (refused.length > 0) return `request header(s) ${refused.slice(0, 5).join(', ').slice(0, 200)} not allowed cross-origin; allowed: ${CORS_REQUEST_HEADERS.join(', ')}`;
  return null;
}

async function corsPlugin(app: FastifyInstance, opts: CorsOptions) {
  const allowed = new Set(opts.origins);
  if (allowed.size === 0) {
    // No CORS at all; a preflight still gets a clear answer instead of a 405.
    app.addHook('onRequest', async (req) => {
      if (isPreflight(req)) throw new HttpError(403, 'cross-origin requests are not allowed: api.corsOrigins is empty');
    });
    return;
  }
  app.addHook('onRequest', async (req, reply) => {
    // Answers differ by Origin, so caches must key on it, for listed and unlisted origins alike.
    addVary(reply);
    const origin = req.headers.origin;
    const listed = typeof origin === 'string' && allowed.has(origin);
    if (!isPreflight(req)) {
      if (listed) {
        reply.header('access-control-allow-origin', origin);
        reply.header('access-control-expose-headers', CORS_EXPOSED_HEADERS.join(', '));
      }
      return;
    }
    if (!listed) throw new HttpError(403, `origin ${JSON.stringify(String(origin ?? '(none)').slice(0, 200))} is not in api.corsOrigins`);
    const refusal = preflightRefusal(String(req.headers['access-control-request-method']), req.headers['access-control-request-headers'] as string | undefined);
    if (refusal) throw new HttpError(403, refusal);
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-methods', CORS_METHODS.join(', '));
    reply.header('access-control-allow-headers', CORS_REQUEST_HEADERS.join(', '));
    reply.header('access-control-max-age', String(CORS_MAX_AGE_SEC));
    return reply.code(204).send();
  });
}

export default fp(corsPlugin, { name: 'vigil-cors', fastify: '5.x' });
