/**
 * Who may open a WebSocket (pure): the handshake rate limiter and the per-address connection
 * count, the Origin rule, and where an upgrade's token comes from (header, sub-protocol, query).
 * server.ts applies these in onUpgrade; nothing here touches a socket.
 */

/** The sub-protocol a client names to speak to the gateway (answered back on success). */
export const GATEWAY_PROTOCOL = 'vigil';
/**
 * A token carried as a sub-protocol, for browsers (they cannot set Authorization on a
 * WebSocket): `base64url.bearer.vigil.<base64url(token), no padding>`, the same shape as
 * Kubernetes' `base64url.bearer.authorization.k8s.io.<token>`. Base64url keeps any token
 * within the characters a Sec-WebSocket-Protocol value may hold.
 */
export const TOKEN_PROTOCOL_PREFIX = 'base64url.bearer.vigil.';

export interface RateSpec {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: how many handshakes an idle address may make at once. */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per remote address. A bucket that has refilled is the same as no bucket, so
 * such entries are swept once the map passes `maxTracked`; an address flood beyond that (many
 * fresh addresses in one refill period) is refused wholesale rather than growing the map.
 */
export class HandshakeLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly spec: RateSpec,
    private readonly maxTracked = 100_000,
  ) {}

  /** Takes one handshake for `key` at `now` (ms): 0 = allowed, else the seconds to wait. */
  take(key: string, now: number): number {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxTracked) this.sweep(now);
      if (this.buckets.size >= this.maxTracked) return Math.max(1, Math.ceil(1 / this.spec.perSecond));
      bucket = { tokens: this.spec.burst, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.spec.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.spec.perSecond);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.spec.perSecond));
  }

  get tracked(): number {
    return this.buckets.size;
  }

  /** Drops the buckets that are full again by `now`. */
  sweep(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.spec.perSecond >= this.spec.burst) this.buckets.delete(key);
    }
  }
}

/** Open connections per remote address; an address at zero holds no entry. */
export class ConnectionCounter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Whether one more connection from `key` stays within the limit. */
  admits(key: string): boolean {
    return (this.counts.get(key) ?? 0) < this.limit;
  }

  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  remove(key: string): void {
    const n = (this.counts.get(key) ?? 0) - 1;
    if (n > 0) this.counts.set(key, n);
    else this.counts.delete(key);
  }

  get tracked(): number {
    return this.counts.size;
  }
}

/** The host name of a Host header value or URL authority (port and IPv6 brackets dropped), lower case. */
function hostName(authority: string): string {
  const a = authority.trim().toLowerCase();
  if (a.startsWith('[')) return a.slice(0, a.indexOf(']') + 1);
  return a.replace(/:\d*$/, '');
}

export type OriginVerdict = { ok: true } | { ok: false; reason: string };

/**
 * The Origin rule. No Origin header: not a browser (browsers always send one on WebSocket
 * upgrades), so it cannot be a cross-site page riding on the user's network position: allowed.
 * `allowed` empty (the default): the page must come from the host name the gateway was reached
 * under (the Host header), any scheme and port, which is how the dashboard (API port) reaches
 * the gateway (gateway port) on the same machine name. Otherwise: exactly one of `allowed`
 * (`*` = any origin).
 */
export function checkOrigin(origin: string, host: string, allowed: readonly string[]): OriginVerdict {
  if (origin === '') return { ok: true };
  if (allowed.includes('*')) return { ok: true };
  if (allowed.length > 0) {
    if (allowed.includes(origin)) return { ok: true };
    return { ok: false, reason: `Origin ${JSON.stringify(origin.slice(0, 200))} is not in gateway.allowedOrigins` };
  }
  let originHost: string;
  try {
    const u = new URL(origin);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ok: false, reason: `Origin ${JSON.stringify(origin.slice(0, 200))} is not an http(s) origin` };
    originHost = u.hostname.toLowerCase();
  } catch {
    return { ok: false, reason: `Origin ${JSON.stringify(origin.slice(0, 200))} is not an origin` };
  }
  if (host !== '' && originHost === hostName(host)) return { ok: true };
  return {
    ok: false,
    reason: `Origin ${JSON.stringify(origin.slice(0, 200))} is not on the gateway's host name; list it in gateway.allowedOrigins to allow it`,
  };
}

export type TokenSource = 'header' | 'protocol' | 'query' | 'none';

export type UpgradeCredentials =
  | { ok: true; token: string | null; source: TokenSource; /** Sub-protocol to answer with ('' = none). */ protocol: string }
  | { ok: false; reason: string };

function decodeBase64url(s: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(s)) return null;
  const text = Buffer.from(s, 'base64url').toString('utf8');
  // A round trip catches bad lengths and bytes that are not UTF-8 (replaced by U+FFFD).
  return Buffer.from(text, 'utf8').toString('base64url') === s ? text : null;
}

/**
 * The token an upgrade presents, from (first wins) `Authorization: Bearer`, the token
 * sub-protocol, or one `?token=`. More than one token sub-protocol, or a token sub-protocol
 * without `vigil` beside it (a browser would then fail the handshake on the answer), is refused.
 */
export function upgradeCredentials(authorization: string, protocolHeader: string, queryTokens: readonly string[]): UpgradeCredentials {
  const offered = protocolHeader
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const speaksVigil = offered.includes(GATEWAY_PROTOCOL);
  const tokenProtocols = offered.filter((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  if (tokenProtocols.length > 1) return { ok: false, reason: 'more than one token sub-protocol offered' };
  let protocolToken: string | null = null;
  if (tokenProtocols.length === 1) {
    if (!speaksVigil) return { ok: false, reason: `a token sub-protocol needs the "${GATEWAY_PROTOCOL}" sub-protocol beside it: Sec-WebSocket-Protocol: ${GATEWAY_PROTOCOL}, ${TOKEN_PROTOCOL_PREFIX}<base64url token>` };
    protocolToken = decodeBase64url(tokenProtocols[0].slice(TOKEN_PROTOCOL_PREFIX.length));
    if (protocolToken === null) return { ok: false, reason: 'the token sub-protocol does not hold base64url (no padding) of a UTF-8 token' };
  }
  const protocol = speaksVigil ? GATEWAY_PROTOCOL : '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] ?? null;
  if (bearer !== null) return { ok: true, token: bearer, source: 'header', protocol };
  if (protocolToken !== null) return { ok: true, token: protocolToken, source: 'protocol', protocol };
  if (queryTokens.length === 1) return { ok: true, token: queryTokens[0], source: 'query', protocol };
  return { ok: true, token: null, source: 'none', protocol };
}

/** The sub-protocol value a client sends to carry `token` (what the dashboard does). */
export function tokenProtocol(token: string): string {
  return TOKEN_PROTOCOL_PREFIX + Buffer.from(token, 'utf8').toString('base64url');
}
