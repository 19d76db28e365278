/**
 * Security headers on every response of the API and the dashboard (docs/security.md):
 *
 * - Content-Security-Policy: the dashboard runs only its own files — no inline script or style
 *   element, no eval, no plugins, no framing — and may connect only to this origin and the
 *   gateway's WebSocket URL (the one /client-config gives it). The dashboard keeps the API key
 *   in localStorage, so a script injected into it must not run or phone home. The Swagger UI
 *   under /docs sets inline style attributes, so its policy allows those (still no inline script).
 * - X-Content-Type-Options nosniff, X-Frame-Options DENY (with frame-ancestors 'none' for
 *   browsers that know CSP), Referrer-Policy no-referrer, Cross-Origin-Opener-Policy same-origin.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

const COMMON = ["base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'", "object-src 'none'"];

/** The dashboard's policy; `gatewayOrigin` (ws://host:port) is added to connect-src when known. */
export function dashboardCsp(gatewayOrigin: string | null): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${gatewayOrigin ? ` ${gatewayOrigin}` : ''}`,
    "manifest-src 'self'",
    ...COMMON,
  ].join('; ');
}

export const DOCS_CSP = ["default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "font-src 'self'", "connect-src 'self'", ...COMMON].join('; ');

export const STATIC_SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
} as const;

export interface SecurityHeadersOptions {
  /** The gateway URL a page loaded by this request connects to (null: none derivable). */
  gatewayUrl(req: FastifyRequest): string | null;
  /** Path prefix of the Swagger UI. */
  docsPrefix: string;
}

function originOf(url: string | null): string | null {
  if (url === null) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

async function securityHeadersPlugin(app: FastifyInstance, opts: SecurityHeadersOptions) {
  // onSend runs for every reply, errors and 404s included, after the route set its own headers.
  app.addHook('onSend', async (req, reply, payload) => {
    for (const [name, value] of Object.entries(STATIC_SECURITY_HEADERS)) reply.header(name, value);
    const path = req.url.split('?')[0];
    const docs = path === opts.docsPrefix || path.startsWith(`${opts.docsPrefix}/`);
    reply.header('content-security-policy', docs ? DOCS_CSP : dashboardCsp(originOf(opts.gatewayUrl(req))));
    return payload;
  });
}

export default fp(securityHeadersPlugin, { name: 'vigil-security-headers', fastify: '5.x' });
