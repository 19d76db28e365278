import pino, { type Logger } from 'pino';
import type { VigilConfig } from './config.ts';
import { configSecrets } from './secrets.ts';

/**
 * Fields that hold secrets wherever they are logged (pino redaction paths, one or two levels
 * deep: pino has no recursive wildcard). Request headers carry presented keys and tokens.
 * URLs are logged with only their origin (a Slack webhook's path is its token).
 */
const SECRET_FIELDS = ['password', 'readerPassword', 'secret', 'bearerToken', 'token', 'tokens', 'apiKey', 'apiKeys', 'authorization', 'credentials'];
const URL_FIELDS = ['url', 'webhookUrl', 'receiverUrl'];
const HEADER_FIELDS = ['authorization', '["x-api-key"]', 'cookie', '["sec-websocket-protocol"]'];

const header = (prefix: string, h: string) => (h.startsWith('[') ? `${prefix}${h}` : `${prefix}.${h}`);

export const REDACT_PATHS = [
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
  ...URL_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
  ...HEADER_FIELDS.flatMap((h) => [header('req.headers', h), header('headers', h), header('*.headers', h)]),
];

export const REDACTED = '[Redacted]';

/** Only the origin of a URL (no userinfo, path or query); anything unparsable is hidden whole. */
export function urlOrigin(value: unknown): unknown {
  if (typeof value !== 'string') return value === undefined || value === null ? value : REDACTED;
  try {
    const u = new URL(value);
    const bare = `${u.protocol}//${u.host}`;
    return u.username || u.password || u.search || u.hash || (u.pathname !== '/' && u.pathname !== '') ? `${bare}/…` : bare;
  } catch {
    return REDACTED;
  }
}

function censor(value: unknown, path: string[]): unknown {
  if (!URL_FIELDS.includes(path[path.length - 1])) return REDACTED;
  // A request path (fastify's req.url) names a route, not a host: kept for the logs' sake.
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') ? value : urlOrigin(value);
}

/**
 * Secret values known to this process (configured keys, tokens, passwords, receiver URLs and
 * secrets — core/secrets.ts configSecrets — and receivers added at run time). Every log line
 * is scrubbed of them as it is written: the guard for a secret that reaches a log under a field
 * name the paths above do not know, deeper than they reach, or inside an error message.
 */
const knownSecrets = new Map<string, string>();
/** Shorter values are not scrubbed: they would blank ordinary words. */
export const MIN_SCRUBBED_LENGTH = 8;

export function redactValues(values: Iterable<string | null | undefined>): void {
  for (const v of values) {
    if (typeof v !== 'string' || v.length < MIN_SCRUBBED_LENGTH) continue;
    knownSecrets.set(v, REDACTED);
    // As it appears inside a JSON string (quotes, backslashes, control characters escaped).
    const escaped = JSON.stringify(v).slice(1, -1);
    if (escaped !== v) knownSecrets.set(escaped, REDACTED);
  }
}

export function scrubLine(line: string): string {
  if (knownSecrets.size === 0) return line;
  let out = line;
  for (const [secret, mask] of knownSecrets) if (out.includes(secret)) out = out.split(secret).join(mask);
  return out;
}

/** Structured logs: one root logger per process, children carry component context. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}, destination?: pino.DestinationStream): Logger {
  const options = {
    level,
    base: { pid: process.pid, ...bindings },
    redact: { paths: REDACT_PATHS, censor },
    hooks: { streamWrite: scrubLine },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The logger of a service process: the config's secrets are scrubbed from every line (configSecrets). */
export function createServiceLogger(config: VigilConfig, bindings: Record<string, unknown> = {}, destination?: pino.DestinationStream): Logger {
  redactValues(configSecrets(config));
  return createLogger(config.logLevel, bindings, destination);
}
export type { Logger };
