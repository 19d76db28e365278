/**
 * API-key auth. Keys come from config.api.apiKeys (plain or `sha256:<hex>`, core/secrets.ts),
 * each with roles: read (every GET), operate (acknowledge/resolve, rule and SLA writes), ingest
 * (POST /metrics), metrics (GET /metrics, the Prometheus scrape). A route declares the role it
 * needs in its `config.role`; 'public' routes (health, the dashboard's bootstrap client-config,
 * the OpenAPI document, the dashboard and docs pages) need none. No keys configured = auth off
 * (local demo), announced at start.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { API_ROLES, VigilConfig } from '../../core/config.ts';
import { secretMatcher } from '../../core/secrets.ts';
import { HttpError } from '../http-error.ts';

export type Role = (typeof API_ROLES)[number];
export type RouteRole = Role | 'public';

export interface Principal {
  name: string;
  roles: ReadonlySet<Role>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Role a caller needs; API routes without one need 'read', other routes are public. */
    role?: RouteRole;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface KeyRing {
  readonly enabled: boolean;
  lookup(presented: string): Principal | undefined;
}

export function keyRing(apiKeys: VigilConfig['api']['apiKeys']): KeyRing {
  const matcher = secretMatcher(apiKeys.map((k) => ({ secret: k.key, value: { name: k.name, roles: new Set(k.roles) } as Principal })));
  return { enabled: matcher.enabled, lookup: (presented) => matcher.match(presented) };
}

/** The key a request presents: `x-api-key: <key>` or `Authorization: Bearer <key>`. */
export function presentedKey(req: FastifyRequest): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return undefined;
}

/** Name of the caller for logs and command actors: the key's name, or 'anonymous'. */
export const actorOf = (req: FastifyRequest) => req.principal?.name ?? 'anonymous';

async function authPlugin(app: FastifyInstance, opts: { ring: KeyRing; apiPrefix: string }) {
  const { ring } = opts;
  app.decorateRequest('principal', null);
  // preParsing, not onRequest: route-level onRequest hooks (the rate limiter's) run after every
  // app-level onRequest hook, and refused requests must be rate limited too. It still runs
  // before the body is read, so an unauthenticated caller never gets a body parsed.
  app.addHook('preParsing', async (req, reply) => {
    const key = presentedKey(req);
    if (key !== undefined && ring.enabled) req.principal = ring.lookup(key) ?? null;
    const url = req.routeOptions.url;
    // Unmatched URLs fall through to the 404 handler; they reveal nothing.
    if (!ring.enabled || url === undefined) return;
    // API routes need 'read' unless they say otherwise; the dashboard page and docs are public.
    const role = req.routeOptions.config?.role ?? (url.startsWith(opts.apiPrefix) ? 'read' : 'public');
    if (role === 'public') return;
    if (key === undefined) {
      reply.header('www-authenticate', 'Bearer realm="vigil"');
      throw new HttpError(401, 'missing API key: send it in the x-api-key header or as Authorization: Bearer <key>');
    }
    if (!req.principal) {
      reply.header('www-authenticate', 'Bearer realm="vigil", error="invalid_token"');
      throw new HttpError(401, 'unknown API key');
    }
    if (!req.principal.roles.has(role)) {
      throw new HttpError(403, `API key '${req.principal.name}' lacks the '${role}' role needed here`);
    }
  });
}

export default fp(authPlugin, { name: 'vigil-auth', fastify: '5.x' });
