/**
 * Where browsers reach the gateway: the URL /client-config hands the dashboard and the origin
 * its Content-Security-Policy lets it connect to. One function, so the two never disagree.
 */
import type { VigilConfig } from '../core/config.ts';

/** Path the gateway accepts WebSocket upgrades on. */
export const GATEWAY_PATH = '/ws';

/** A Host header's name part that may go into a URL and a CSP source: a DNS name or an IP literal. */
const SAFE_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$|^\[[0-9A-Fa-f:.]{2,45}\]$/;

/**
 * The gateway URL for a page loaded under `requestHost` (fastify's req.hostname, port included
 * or not). `publicUrl` (api.gatewayPublicUrl, validated ws:// or wss:// at load) wins when set:
 * behind a load balancer or ingress the browser's way to the gateway is not the API's host at
 * gateway.port. Otherwise a gateway bound to every interface is reached under the name the
 * browser used for us; a name that is not a plain host (a hostile Host header) gives null.
 */
export function gatewayUrlFor(gateway: Pick<VigilConfig['gateway'], 'host' | 'port'>, requestHost: string, publicUrl: string | null = null): string | null {
  if (publicUrl !== null) return new URL(publicUrl).href;
  const wildcard = gateway.host === '0.0.0.0' || gateway.host === '::' || gateway.host === '';
  const name = wildcard ? requestHost.replace(/:\d+$/, '') : gateway.host;
  const hostPart = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
  if (!SAFE_HOST.test(hostPart)) return null;
  return `ws://${hostPart}:${gateway.port}${GATEWAY_PATH}`;
}
