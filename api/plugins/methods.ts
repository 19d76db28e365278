/**
 * 405 Method Not Allowed with an `Allow` header when a path exists but not for the request's
 * method (TRACE, QUERY, PROPFIND, DELETE on a list...), 404 only when no route has the path.
 * Routes register their methods as they are added; catch-all routes (`config.catchAll`) and
 * unmatched requests ask `allowedMethods` which answer applies.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError, notFound } from '../http-error.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route that only answers "no such route": it does not make its path exist. */
    catchAll?: boolean;
  }
}

export interface RouteTable {
  add(url: string, methods: string[]): void;
  /** The methods some route answers for this concrete path (sorted), or [] if none. */
  allowedMethods(path: string): string[];
}

/**
 * `/alerts/:id/acknowledge` → a regex over concrete paths; `*` matches the rest. A parameter
 * longer than the router's maxParamLength matches no route there, so not here either.
 */
export function patternOf(url: string, maxParamLength: number): RegExp {
  const parts = url.split(/(:[A-Za-z0-9_]+|\*)/).map((part) => {
    if (part === '*') return '.*';
    if (part.startsWith(':')) return `[^/]{1,${maxParamLength}}`;
    return part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('')}/?$`);
}

/**
 * `ownPrefix`: a path area (the API) that a wildcard route registered outside it (the
 * dashboard's static `/*`) does not cover, so `/api/v1/nothing` stays a 404.
 */
export function routeTable(ownPrefix: string, maxParamLength: number): RouteTable {
  const routes: Array<{ pattern: RegExp; methods: string[]; outside: boolean }> = [];
  return {
    add(url, methods) {
      routes.push({ pattern: patternOf(url, maxParamLength), methods, outside: url.endsWith('*') && !url.startsWith(ownPrefix) });
    },
    allowedMethods(path) {
      const inside = path.startsWith(ownPrefix);
      const allowed = new Set<string>();
      for (const r of routes) {
        if (r.outside && inside) continue;
        if (r.pattern.test(path)) for (const m of r.methods) allowed.add(m);
      }
      return [...allowed].sort();
    },
  };
}

/** The refusal for a request no route answers: 405 with Allow when the path exists, else 404. */
export function noRouteError(table: RouteTable, req: FastifyRequest, reply: FastifyReply): HttpError {
  const path = req.url.split('?')[0];
  const allowed = table.allowedMethods(path);
  if (allowed.length > 0) {
    reply.header('allow', allowed.join(', '));
    return new HttpError(405, `${req.method.slice(0, 20)} is not allowed on ${path.slice(0, 200)}; allowed: ${allowed.join(', ')}`);
  }
  return notFound(`no route ${req.method.slice(0, 20)} ${path.slice(0, 200)}`);
}

async function methodsPlugin(app: FastifyInstance, opts: { table: RouteTable }) {
  // Before any body handling: a QUERY without a content type is a 405, not a 400.
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config?.catchAll) throw noRouteError(opts.table, req, reply);
  });
  app.addHook('onRoute', (route) => {
    if (route.config?.catchAll) return;
    opts.table.add(route.url, Array.isArray(route.method) ? route.method : [route.method]);
  });
}

export default fp(methodsPlugin, { name: 'vigil-methods', fastify: '5.x' });
