/**
 * An error with an HTTP status the API answers with. Route code throws these for expected
 * refusals (404 unknown id, 409 invalid transition, 400 unusable filter); the error plugin turns
 * them into `{error, message, statusCode, details?}`.
 */
import { STATUS_CODES } from 'node:http';
import type { ErrorDetail } from '../schemas/http/common.ts';

export class HttpError extends Error {
  readonly statusCode: number;
  readonly details?: ErrorDetail[];
  constructor(statusCode: number, message: string, details?: ErrorDetail[]) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.details = details;
  }
  get error(): string {
    return STATUS_CODES[this.statusCode] ?? 'Error';
  }
}

export const badRequest = (message: string, details?: ErrorDetail[]) => new HttpError(400, message, details);
export const notFound = (message: string) => new HttpError(404, message);
export const conflict = (message: string, details?: ErrorDetail[]) => new HttpError(409, message, details);

/** The backing services a request can need. */
export type Dependency = 'ClickHouse' | 'Kafka';

/** Seconds a client is told to wait (Retry-After) when a dependency is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * A call to a backing service failed. The ClickHouse adapter (api/clickhouse.ts) wraps its
 * failures in it, because the client's network errors (ECONNREFUSED, a timeout) do not say
 * which service they came from; kafkajs errors name themselves (KafkaJS…). Message = the cause's.
 */
export class DependencyError extends Error {
  readonly dependency: Dependency;
  constructor(dependency: Dependency, cause: unknown) {
    super((cause as Error | null)?.message ?? String(cause), { cause });
    this.name = 'DependencyError';
    this.dependency = dependency;
  }
}

type ErrorLike = { code?: unknown; name?: string; message?: string; cause?: unknown } | null | undefined;

/** The error and its causes, outermost first (bounded: a cause cycle ends it). */
function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let e = err as ErrorLike;
  while (e && typeof e === 'object' && out.length < 8 && !out.includes(e)) {
    out.push(e);
    e = e.cause as ErrorLike;
  }
  return out;
}

const KAFKA_UNAVAILABLE = new Set(['KafkaJSConnectionError', 'KafkaJSNumberOfRetriesExceeded', 'KafkaJSRequestTimeoutError', 'KafkaJSConnectionClosedError', 'KafkaJSBrokerNotFound', 'KafkaJSLockTimeout']);
/** ClickHouse answers that mean "not now" rather than "wrong query": timeout exceeded, too many simultaneous queries, socket timeout, network error. */
const CLICKHOUSE_BUSY: Record<string, string> = { '159': 'did not finish the query in time', '202': 'is overloaded (too many simultaneous queries)', '209': 'did not answer in time', '210': 'had a network error' };

/** What went wrong with the service, in words (no addresses, no internals), or null when the failure is not one of availability. */
export function unavailableReason(err: unknown): string | null {
  for (const e of chain(err)) {
    const code = String(e?.code ?? '');
    if (code === 'ECONNREFUSED') return 'refused the connection';
    if (['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(code) || /socket hang up/i.test(e?.message ?? '')) return 'dropped the connection';
    if (['EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return 'is unreachable';
    if (code === 'ETIMEDOUT' || e?.name === 'KafkaJSRequestTimeoutError' || /timeout|timed out/i.test(e?.message ?? '')) return 'did not answer in time';
    if (KAFKA_UNAVAILABLE.has(e?.name ?? '')) return 'is unreachable';
    if (CLICKHOUSE_BUSY[code]) return CLICKHOUSE_BUSY[code];
  }
  return null;
}

/** Which service the failure came from, when it says. */
export function dependencyOf(err: unknown): Dependency | null {
  for (const e of chain(err)) {
    if (e instanceof DependencyError) return e.dependency;
    if (/^KafkaJS/.test(e?.name ?? '')) return 'Kafka';
  }
  return null;
}

/**
 * The 503 for a request whose dependency is unavailable: a message naming the service, why and
 * what to do; null when the failure is something else (then it is a 500: a bug to look into).
 */
export function unavailableError(err: unknown): HttpError | null {
  const reason = unavailableReason(err);
  if (reason === null) return null;
  const dependency = dependencyOf(err);
  const what = dependency ?? 'a backing service (ClickHouse or Kafka)';
  const check = dependency ? `the ${dependency} server` : 'ClickHouse and Kafka';
  return new HttpError(503, `${what} ${reason}; this request needs it: retry in ${RETRY_AFTER_SECONDS} s, and if it persists check ${check} (GET /api/v1/health shows each dependency)`);
}
