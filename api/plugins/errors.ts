/**
 * Every error leaves as `{error, message, statusCode, details?}`. Validation failures list each
 * offending field; unexpected failures are logged with their cause and answered without
 * internals (no SQL, no stack).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorDetail, ErrorResponse } from '../../schemas/http/common.ts';
import { DependencyError, HttpError, RETRY_AFTER_SECONDS, dependencyOf, unavailableError } from '../http-error.ts';
import { noRouteError, type RouteTable } from './methods.ts';
import { SqlValueError } from '../sql.ts';

const MAX_DETAILS = 20;

interface AjvError {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

function validationDetails(err: FastifyError): ErrorDetail[] {
  const context = (err as { validationContext?: string }).validationContext ?? '';
  return ((err.validation ?? []) as AjvError[]).slice(0, MAX_DETAILS).map((v) => {
    let path = `${context}${v.instancePath ?? ''}`;
    let message = v.message ?? 'invalid';
    if (v.keyword === 'additionalProperties' && v.params && typeof v.params.additionalProperty === 'string') {
      path = `${path}/${v.params.additionalProperty}`;
      message = 'unknown field';
    } else if (v.keyword === 'required' && v.params && typeof v.params.missingProperty === 'string') {
      path = `${path}/${v.params.missingProperty}`;
      message = 'required';
    } else if (v.keyword === 'enum' && v.params && Array.isArray(v.params.allowedValues)) {
      message = `must be one of ${v.params.allowedValues.join(', ')}`;
    }
    return { path, message };
  });
}

export function errorBody(statusCode: number, message: string, details?: ErrorDetail[]): ErrorResponse {
  return { error: STATUS_CODES[statusCode] ?? 'Error', message, statusCode, ...(details && details.length ? { details } : {}) };
}

/** How long a refused connection may keep sending before it is dropped (its answer is already written). */
const LINGER_MS = 2000;

/**
 * Answers a request Node's HTTP parser refused (headers over the 16 KiB limit, malformed
 * request line, a request not sent in time) with the error envelope, then closes the connection
 * politely. fastify's default handler sends no `Connection: close` and destroys the socket at
 * once: a keep-alive client then sends its next request on that dead socket and gets a reset
 * instead of an answer (fault 7: one lost request per 431), and unread input makes the kernel
 * answer with RST, which can discard the 431 itself. So: say `Connection: close`, half-close
 * after the answer, read and drop what the client still sends, destroy after LINGER_MS.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request line and headers are over the 16 KiB limit (often a very long query string): shorten them, e.g. fewer or shorter filter values']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request was not sent completely in time: send it again']
        : [400, `malformed HTTP request (${String(err.code ?? 'parse error').slice(0, 40)}): send a valid HTTP/1.1 request`];
  if (socket.writable) {
    const body = JSON.stringify(errorBody(status, message));
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    socket.end();
  }
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** ClickHouse answered that a table or database does not exist (codes 60 / 81). */
function missingSchema(err: unknown): 'table' | 'database' | null {
  // The ClickHouse adapter wraps the server's error (DependencyError): look at what it wraps.
  const e = (err instanceof DependencyError ? err.cause : err) as { code?: string; type?: string; message?: string } | null;
  if (!e) return null;
  if (e.code === '60' || e.type === 'UNKNOWN_TABLE' || /Table \S+ doesn't exist/.test(e.message ?? '')) return 'table';
  if (e.code === '81' || e.type === 'UNKNOWN_DATABASE' || /Database \S+ doesn't exist/.test(e.message ?? '')) return 'database';
  return null;
}

async function errorsPlugin(app: FastifyInstance, opts: { routes: RouteTable }) {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) {
      const details = validationDetails(err);
      const first = details[0];
      return reply.code(400).send(errorBody(400, first ? `invalid request: ${first.path} ${first.message}` : 'invalid request', details));
    }
    if (err instanceof HttpError) {
      return reply.code(err.statusCode).send(errorBody(err.statusCode, err.message, err.details));
    }
    if (err instanceof SqlValueError) {
      return reply.code(400).send(errorBody(400, `invalid filter value: ${err.message}`));
    }
    const status = err.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // fastify's own 4xx (body too large, bad JSON, wrong content type, rate limit).
      return reply.code(status).send(errorBody(status, err.message));
    }
    const missing = missingSchema(err);
    if (missing) {
      req.log.error({ err }, 'ClickHouse schema missing');
      return reply.code(503).send(errorBody(503, `ClickHouse ${missing} is missing: run the migrations ('vigil api' does at start unless --no-setup; so does the pipeline)`));
    }
    const unavailable = unavailableError(err);
    if (unavailable) {
      req.log.warn({ err, dependency: dependencyOf(err) }, 'dependency unavailable');
      return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send(errorBody(503, unavailable.message));
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(errorBody(500, 'internal error; see the API log'));
  });

  app.setNotFoundHandler((req, reply) => {
    const err = noRouteError(opts.routes, req, reply);
    reply.code(err.statusCode).send(errorBody(err.statusCode, err.message));
  });
}

export default fp(errorsPlugin, { name: 'vigil-errors', fastify: '5.x' });
