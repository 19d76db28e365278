/**
 * The only way the API builds SQL. ClickHouse 18.16 has no query parameters, so request
 * values are bound here by strict literal encoding and identifiers come only from code-side
 * whitelists. Nothing else may concatenate text into a query.
 *
 * Usage: sql`SELECT x FROM ${ident(db)}.alert_events WHERE source = ${source} LIMIT ${limit}`.
 * Interpolated strings become quoted literals, numbers are checked finite, arrays become
 * `(a, b)` lists, and `Sql` fragments (other sql`` results, whitelisted identifiers) are
 * inserted as they are. Anything else throws `SqlValueError`, which the API maps to 400.
 */

/** A piece of SQL text that is safe by construction. Only this module creates them. */
export class Sql {
  readonly text: string;
  /** @internal use sql``, ident(), raw constants via sqlConst() */
  constructor(text: string, token: symbol) {
    if (token !== constructToken) throw new Error('Sql fragments are only built by api/sql.ts');
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

const constructToken = Symbol('sql');

/** A value that cannot be bound safely; the message says which rule it broke. */
export class SqlValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlValueError';
  }
}

/** Longest string literal the API binds; request schemas cap inputs far below this. */
export const MAX_STRING_BYTES = 64 * 1024;

// C0 controls (incl. NUL), DEL and C1 controls: no identifier, source or metric name needs
// them, and rejecting them removes every escape-sequence edge case of the server's parser.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A ClickHouse string literal: backslash and single quote escaped, control characters and
 * ill-formed UTF-16 (lone surrogates) rejected, length bounded.
 */
export function quoteString(value: string): string {
  if (typeof value !== 'string') throw new SqlValueError(`expected a string, got ${typeof value}`);
  if (value.length > MAX_STRING_BYTES || Buffer.byteLength(value, 'utf8') > MAX_STRING_BYTES) {
    throw new SqlValueError(`string longer than ${MAX_STRING_BYTES} bytes`);
  }
  if (CONTROL_CHARS.test(value)) throw new SqlValueError('string contains a control character');
  if (!isWellFormedUtf16(value)) throw new SqlValueError('string contains an unpaired surrogate');
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function isWellFormedUtf16(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/** A finite float literal. Negative values are parenthesised so `a - ${n}` cannot form `--`. */
export function quoteNumber(value: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new SqlValueError(`expected a finite number, got ${String(value)}`);
  const text = Object.is(value, -0) ? '0' : String(value);
  return value < 0 ? `(${text})` : text;
}

/** An integer literal (timestamps in ms, limits, offsets): safe integers only, no exponents. */
export function quoteInt(value: number | bigint): string {
  if (typeof value === 'bigint') {
    return value < 0n ? `(${value.toString()})` : value.toString();
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new SqlValueError(`expected a safe integer, got ${String(value)}`);
  return value < 0 ? `(${value})` : String(value);
}

/** Identifiers the server would accept unquoted; anything else is refused, never escaped. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** A database/table/column name that the code (not the request) chose. */
export function ident(name: string): Sql {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) throw new SqlValueError(`not a plain identifier: ${JSON.stringify(String(name).slice(0, 64))}`);
  return new Sql(name, constructToken);
}

/**
 * Pick an identifier/expression from a whitelist by a request-supplied key. Unknown keys throw,
 * so a request can choose between fragments but never write one.
 */
export function pick<K extends string>(whitelist: Readonly<Record<K, Sql>>, key: string, what: string): Sql {
  if (!Object.prototype.hasOwnProperty.call(whitelist, key)) {
    throw new SqlValueError(`unknown ${what} ${JSON.stringify(String(key).slice(0, 64))}; allowed: ${Object.keys(whitelist).join(', ')}`);
  }
  return whitelist[key as K];
}

/** ASC / DESC from a direction the request gave. */
export function direction(dir: string): Sql {
  if (dir === 'asc') return new Sql('ASC', constructToken);
  if (dir === 'desc') return new Sql('DESC', constructToken);
  throw new SqlValueError(`sort direction must be asc or desc, got ${JSON.stringify(String(dir).slice(0, 16))}`);
}

export type SqlValue = Sql | string | number | bigint | boolean | ReadonlyArray<string | number>;

function encodeValue(value: unknown): string {
  if (value instanceof Sql) return value.text;
  if (typeof value === 'string') return quoteString(value);
  if (typeof value === 'number') return Number.isInteger(value) ? quoteInt(value) : quoteNumber(value);
  if (typeof value === 'bigint') return quoteInt(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (Array.isArray(value)) {
    if (value.length === 0) throw new SqlValueError('empty list');
    const items = value.map((v) => {
      if (typeof v === 'string' || typeof v === 'number') return encodeValue(v);
      throw new SqlValueError(`list items must be strings or numbers, got ${typeof v}`);
    });
    return `(${items.join(', ')})`;
  }
  throw new SqlValueError(`cannot bind a value of type ${value === null ? 'null' : typeof value}`);
}

/** Tagged template: static text as written, every interpolation bound by its type. */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): Sql {
  let text = strings[0];
  for (let i = 0; i < values.length; i++) text += encodeValue(values[i]) + strings[i + 1];
  return new Sql(text, constructToken);
}

/** Join fragments with a separator (e.g. conditions with AND). */
export function join(parts: readonly Sql[], separator: ' AND ' | ' OR ' | ', '): Sql {
  for (const p of parts) if (!(p instanceof Sql)) throw new SqlValueError('join() takes Sql fragments only');
  return new Sql(parts.map((p) => p.text).join(separator), constructToken);
}

/** `WHERE a AND b` or nothing; conditions are Sql fragments. */
export function where(conditions: readonly Sql[], keyword: 'WHERE' | 'HAVING' = 'WHERE'): Sql {
  if (conditions.length === 0) return new Sql('', constructToken);
  return new Sql(`${keyword} ${conditions.map((c) => `(${c.text})`).join(' AND ')}`, constructToken);
}

/** An empty fragment, for optional parts. */
export const empty = new Sql('', constructToken);
