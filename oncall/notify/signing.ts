/**
 * Webhook signatures: HMAC-SHA256 over `<timestamp>.<body>` with the receiver's secret, sent as
 * `X-Vigil-Signature: v1=<hex>` beside `X-Vigil-Timestamp: <epoch ms>`. Signing the timestamp
 * with the body lets a receiver refuse replays: it checks the signature and that the timestamp
 * is recent (verifySignature's maxAgeMs), like Stripe's and Slack's request signing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-vigil-signature';
export const TIMESTAMP_HEADER = 'x-vigil-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export function signature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/** What a receiver runs (exported for receivers written in TypeScript and for the tests). */
export function verifySignature(opts: { secret: string; body: string; timestamp: string | undefined; signature: string | undefined; now: number; maxAgeMs: number }): VerifyResult {
  if (!opts.timestamp || !/^\d{1,16}$/.test(opts.timestamp)) return { ok: false, reason: 'missing or malformed timestamp' };
  const ts = Number(opts.timestamp);
  if (Math.abs(opts.now - ts) > opts.maxAgeMs) return { ok: false, reason: 'timestamp outside the allowed window (replay?)' };
  if (!opts.signature) return { ok: false, reason: 'missing signature' };
  const expected = Buffer.from(signature(opts.secret, ts, opts.body));
  const given = Buffer.from(opts.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}
