/**
 * Building blocks of the HTTP API's JSON schemas. fastify validates params, query strings and
 * bodies against them at the edge (ajv), serialises responses with them, and @fastify/swagger
 * turns them into the OpenAPI document. Each schema has a TS type beside it that the route
 * handlers use; the unit tests check the two agree on sample documents.
 */
import { SEVERITIES } from '../records.ts';

/** Shared limits: anything longer than these is not a name, it is an attack or a typo. */
export const LIMITS = {
  maxNameLength: 256,
  maxIdLength: 128,
  maxPageSize: 500,
  defaultPageSize: 100,
  maxCursorLength: 1024,
  maxCommentLength: 2000,
  maxBatchPoints: 10_000,
} as const;

/** No C0/C1 control characters (NUL included): names, filters and comments never need them. */
export const NO_CONTROL_CHARS = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';

export const nameString = { type: 'string', minLength: 1, maxLength: LIMITS.maxNameLength, pattern: NO_CONTROL_CHARS } as const;

/** Ids Vigil generates (hex hashes) and ids operators choose for rules/SLAs. */
/** Not '.' or '..': clients remove a path segment of only dots (RFC 3986), so such an id could not be addressed. */
export const ID_PATTERN = '^(?!\\.{1,2}$)[A-Za-z0-9_.:-]+$';
export const idString = { type: 'string', minLength: 1, maxLength: LIMITS.maxIdLength, pattern: ID_PATTERN } as const;

/** Epoch milliseconds (digits) or an ISO-8601 date-time; parsed by parseTime() in the API. */
export const timeString = {
  type: 'string',
  maxLength: 40,
  pattern: '^(\\d{1,15}|\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})?)?)$',
  description: 'epoch milliseconds or ISO-8601 date-time (UTC when no offset is given)',
} as const;

export const severityEnum = { type: 'string', enum: [...SEVERITIES] } as const;

/** Every 4xx/5xx body: a short error name, a human message, the status, and per-field details. */
export const errorResponse = {
  $id: 'ErrorResponse',
  type: 'object',
  required: ['error', 'message', 'statusCode'],
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    statusCode: { type: 'integer' },
    details: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          path: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
} as const;

export interface ErrorDetail {
  path?: string;
  message: string;
}
export interface ErrorResponse {
  error: string;
  message: string;
  statusCode: number;
  details?: ErrorDetail[];
}

/** `$ref` to the shared error schema (registered once with addSchema). */
export const errorRef = { $ref: 'ErrorResponse#' } as const;

/** Error responses every route can give. */
export const commonErrors = {
  400: errorRef,
  401: errorRef,
  403: errorRef,
  429: errorRef,
  500: errorRef,
  503: errorRef,
} as const;

export const pagingQueryProperties = {
  limit: { type: 'integer', minimum: 1, maximum: LIMITS.maxPageSize, default: LIMITS.defaultPageSize },
  cursor: { type: 'string', minLength: 1, maxLength: LIMITS.maxCursorLength, pattern: '^[A-Za-z0-9_-]+$', description: 'opaque: nextCursor of the previous page' },
  order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
} as const;

export const timeRangeProperties = {
  from: timeString,
  to: timeString,
} as const;

export interface PagingQuery {
  limit: number;
  cursor?: string;
  order: 'asc' | 'desc';
}
export interface TimeRangeQuery {
  from?: string;
  to?: string;
}

export const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: idString },
} as const;
export interface IdParams {
  id: string;
}

/** A page of items: `nextCursor` is null on the last page. */
export function pageOf<T extends object>(items: T) {
  return {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items },
      nextCursor: { type: ['string', 'null'] },
    },
  } as const;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
