/**
 * One HTTP attempt of a notification: POST the rendered body with the receiver's headers
 * (signature + timestamp for webhooks, the idempotency key for all) and a per-attempt timeout.
 * The answer is classified, never thrown: 2xx delivered; 5xx, 408, 429, timeouts and network
 * errors may succeed later (retried); other 4xx will not (the receiver refuses the request).
 */
import type { ReceiverConfig } from '../../core/notify-config.ts';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature } from './signing.ts';

export type AttemptResult =
  | { outcome: 'delivered'; httpStatus: number }
  | { outcome: 'retryable' | 'permanent'; httpStatus: number; error: string };

export interface AttemptInput {
  receiver: ReceiverConfig;
  body: string;
  idempotencyKey: string;
  timeoutMs: number;
  now: number;
}

export function requestHeaders(input: AttemptInput): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'vigil-notifier/1',
    [IDEMPOTENCY_HEADER]: input.idempotencyKey,
  };
  const r = input.receiver;
  if (r.type === 'webhook') {
    headers[TIMESTAMP_HEADER] = String(input.now);
    headers[SIGNATURE_HEADER] = signature(r.secret, input.now, input.body);
  }
  if (r.type === 'alertmanager' && r.bearerToken) headers.authorization = `Bearer ${r.bearerToken}`;
  return headers;
}

export function classifyStatus(status: number): AttemptResult['outcome'] {
  if (status >= 200 && status < 300) return 'delivered';
  if (status >= 500 || status === 408 || status === 429) return 'retryable';
  return 'permanent';
}

export async function attemptDelivery(input: AttemptInput): Promise<AttemptResult> {
  try {
    const res = await fetch(input.receiver.url, {
      method: 'POST',
      headers: requestHeaders(input),
      body: input.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(input.timeoutMs),
    });
    // Drain (bounded by the timeout) so the connection can be reused; the text is only for the error.
    const text = await res.text().catch(() => '');
    const outcome = classifyStatus(res.status);
    if (outcome === 'delivered') return { outcome, httpStatus: res.status };
    return { outcome, httpStatus: res.status, error: `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    const detail = timedOut ? `no answer within ${input.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { outcome: 'retryable', httpStatus: 0, error: detail };
  }
}
