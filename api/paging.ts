/**
 * Keyset paging: a cursor is the (sort key, id) of the last row of the previous page, so pages
 * stay stable while new rows arrive and no OFFSET scan grows with the page number. The cursor
 * is opaque to clients (base64url JSON) and is bound to the sort it was made for.
 */
import { badRequest } from './http-error.ts';
import { LIMITS } from '../schemas/http/common.ts';
import { sql, type Sql } from './sql.ts';

export interface CursorPosition {
  /** Value of the (integer) sort key of the last row returned. */
  key: number;
  /** Tie-breaker: the row's id. */
  id: string;
}

/** The sort a cursor belongs to, e.g. `alerts:severity:desc`. */
export type CursorScope = string;

export function encodeCursor(scope: CursorScope, position: CursorPosition): string {
  return Buffer.from(JSON.stringify({ s: scope, k: position.key, i: position.id }), 'utf8').toString('base64url');
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Parses a client cursor; anything not made by encodeCursor for this scope is a 400. */
export function decodeCursor(scope: CursorScope, cursor: string): CursorPosition {
  const invalid = (why: string) => badRequest(`invalid cursor: ${why}`, [{ path: 'cursor', message: why }]);
  if (cursor.length > LIMITS.maxCursorLength || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid('not a cursor returned by this API');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a cursor returned by this API');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('not a cursor returned by this API');
  const { s, k, i } = parsed as Record<string, unknown>;
  if (s !== scope) throw invalid('it belongs to a different sort order; start again without a cursor');
  if (typeof k !== 'number' || !Number.isSafeInteger(k)) throw invalid('bad position');
  if (typeof i !== 'string' || i.length === 0 || i.length > 256 || CONTROL.test(i)) throw invalid('bad position');
  return { key: k, id: i };
}

/**
 * The condition "after the cursor" for ORDER BY key dir, id dir. Written without tuple
 * comparison so it runs on ClickHouse 18.16.
 */
export function afterCursor(keyExpr: Sql, idExpr: Sql, order: 'asc' | 'desc', position: CursorPosition): Sql {
  return order === 'asc'
    ? sql`${keyExpr} > ${position.key} OR (${keyExpr} = ${position.key} AND ${idExpr} > ${position.id})`
    : sql`${keyExpr} < ${position.key} OR (${keyExpr} = ${position.key} AND ${idExpr} < ${position.id})`;
}

/** Rows come back with one extra to tell whether there is a next page. */
export function pageFrom<R, T>(rows: R[], limit: number, scope: CursorScope, toItem: (r: R) => T, positionOf: (r: R) => CursorPosition) {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(toItem),
    nextCursor: hasMore && last !== undefined ? encodeCursor(scope, positionOf(last)) : null,
  };
}
