/**
 * Every error leaves as `{error, message, statusCode, details?}`. Validation failures list each
 * offending field; unexpected failures are logged with their cause and answered without
 * internals (no SQL, no stack).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { STATUS_CODES } from 'node:http';
import type { ErrorDetail, ErrorResponse } from '../../schemas/http/common.ts';
import { HttpError } from '../http-error.ts';
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

/** Network failures of ClickHouse/Kafka clients: the dependency is down, not the request wrong. */
function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string; cause?: unknown } | null;
  if (!e) return false;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'UND_ERR_SOCKET'].includes(e.code ?? '')) return true;
  if (e.name === 'KafkaJSConnectionError' || e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSRequestTimeoutError') return true;
  if (/timeout|socket hang up/i.test(e.message ?? '')) return true;
  return e.cause !== undefined && e.cause !== err ? isUnavailable(e.cause) : false;
}

/** ClickHouse answered that a table or database does not exist (codes 60 / 81). */
function missingSchema(err: unknown): 'table' | 'database' | null {
  const e = err as { code?: string; type?: string; message?: string } | null;
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
    if (isUnavailable(err)) {
      req.log.warn({ err }, 'dependency unavailable');
      return reply.code(503).send(errorBody(503, 'a backing service (ClickHouse or Kafka) is unavailable; retry shortly'));
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
