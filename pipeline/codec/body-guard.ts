/**
 * A bounds check of an Avro body against its writer schema, run before avsc reads it.
 *
 * avsc trusts the counts it reads: a map block declaring 2^50 entries in a 20-byte record
 * spins for hours, an array block allocates by the declared count, a `__proto__` map key is
 * silently dropped and invalid UTF-8 becomes U+FFFD. This walk only moves a cursor (no
 * allocation on success), so every count is checked against the bytes that remain first.
 */
import type avro from 'avsc';
import { isWellFormedUtf8 } from '../../schemas/text.ts';

export type BodyProblemKind = 'truncated' | 'invalid' | 'reserved-key' | 'trailing';
export interface BodyProblem {
  kind: BodyProblemKind;
  message: string;
}

interface Cursor {
  buf: Buffer;
  pos: number;
  end: number;
  /** Zero-size collection items left (items whose encoding can take no bytes). */
  freeItems: number;
  problem: BodyProblem | null;
}

type Step = (c: Cursor) => boolean;

/** Cap on items that occupy no bytes (e.g. array<null>), per datum. */
const MAX_ZERO_SIZE_ITEMS = 10_000;

const PROTO_KEY = Buffer.from('__proto__');

function fail(c: Cursor, kind: BodyProblemKind, message: string): false {
  c.problem = { kind, message };
  return false;
}

/** Reads a zig-zag varint of at most `maxBytes`; returns NaN on failure (problem set). */
function readVarint(c: Cursor, maxBytes: number, what: string): number {
  // One-byte varints (lengths and counts under 64) are the common case.
  if (c.pos < c.end) {
    const first = c.buf[c.pos];
    if (first < 0x80) {
      c.pos++;
      return first & 1 ? -((first + 1) >> 1) : first >> 1;
    }
  }
  let value = 0;
  let scale = 1;
  for (let i = 0; i < maxBytes; i++) {
    if (c.pos >= c.end) {
      fail(c, 'truncated', `body ends inside ${what}`);
      return Number.NaN;
    }
    const b = c.buf[c.pos++];
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    scale *= 128;
  }
  fail(c, 'invalid', `${what} is a varint longer than ${maxBytes} bytes`);
  return Number.NaN;
}

function skipBytes(c: Cursor, n: number, what: string): boolean {
  if (n > c.end - c.pos) return fail(c, 'truncated', `${what} needs ${n} bytes, ${c.end - c.pos} left`);
  c.pos += n;
  return true;
}

function lengthPrefixed(c: Cursor, what: string, utf8: boolean): boolean {
  const len = readVarint(c, 10, `${what} length`);
  if (Number.isNaN(len)) return false;
  if (len < 0) return fail(c, 'invalid', `${what} has negative length ${len}`);
  if (len > c.end - c.pos) return fail(c, 'truncated', `${what} declares ${len} bytes, ${c.end - c.pos} left`);
  if (utf8 && len > 0 && !isWellFormedUtf8(c.buf, c.pos, c.pos + len)) return fail(c, 'invalid', `${what} is not valid UTF-8`);
  c.pos += len;
  return true;
}

function typeOf(type: avro.Type): avro.Type {
  // Registered logical types wrap their underlying type; ours read as plain primitives.
  const under = (type as unknown as { underlyingType?: avro.Type }).underlyingType;
  return under ?? type;
}

interface Compiled {
  step: Step;
  minBytes: number;
}

function compile(input: avro.Type, memo: Map<avro.Type, Compiled>): Compiled {
  const type = typeOf(input);
  const known = memo.get(type);
  if (known) return known;
  const t = type as unknown as {
    typeName: string;
    fields?: Array<{ name: string; type: avro.Type }>;
    itemsType?: avro.Type;
    valuesType?: avro.Type;
    types?: avro.Type[];
    symbols?: string[];
    size?: number;
    name?: string;
  };
  // avsc names unions 'union:wrapped' / 'union:unwrapped'.
  switch (t.typeName.startsWith('union') ? 'union' : t.typeName) {
    case 'null':
      return { step: () => true, minBytes: 0 };
    case 'boolean':
      return {
        step: (c) => {
          if (c.pos >= c.end) return fail(c, 'truncated', 'body ends inside a boolean');
          const b = c.buf[c.pos++];
          return b <= 1 || fail(c, 'invalid', `boolean byte ${b} is neither 0 nor 1`);
        },
        minBytes: 1,
      };
    case 'int':
      return { step: (c) => !Number.isNaN(readVarint(c, 5, 'an int')), minBytes: 1 };
    case 'long':
      return { step: (c) => !Number.isNaN(readVarint(c, 10, 'a long')), minBytes: 1 };
    case 'float':
      return { step: (c) => skipBytes(c, 4, 'a float'), minBytes: 4 };
    case 'double':
      return { step: (c) => skipBytes(c, 8, 'a double'), minBytes: 8 };
    case 'bytes':
      return { step: (c) => lengthPrefixed(c, 'bytes', false), minBytes: 1 };
    case 'string':
      return { step: (c) => lengthPrefixed(c, 'a string', true), minBytes: 1 };
    case 'fixed': {
      const size = t.size ?? 0;
      return { step: (c) => skipBytes(c, size, `fixed ${t.name}`), minBytes: size };
    }
    case 'enum': {
      const count = t.symbols?.length ?? 0;
      return {
        step: (c) => {
          const index = readVarint(c, 5, 'an enum index');
          if (Number.isNaN(index)) return false;
          return (index >= 0 && index < count) || fail(c, 'invalid', `enum ${t.name} index ${index} out of range 0..${count - 1}`);
        },
        minBytes: 1,
      };
    }
    case 'union': {
      const placeholder: Compiled = { step: () => true, minBytes: 1 };
      memo.set(type, placeholder);
      const branches = (t.types ?? []).map((b) => compile(b, memo));
      placeholder.minBytes = 1 + Math.min(...branches.map((b) => b.minBytes));
      placeholder.step = (c) => {
        const index = readVarint(c, 10, 'a union index');
        if (Number.isNaN(index)) return false;
        if (index < 0 || index >= branches.length) return fail(c, 'invalid', `union index ${index} out of range 0..${branches.length - 1}`);
        return branches[index].step(c);
      };
      return placeholder;
    }
    case 'array':
    case 'map': {
      const isMap = t.typeName === 'map';
      const placeholder: Compiled = { step: () => true, minBytes: 1 };
      memo.set(type, placeholder);
      const item = compile((isMap ? t.valuesType : t.itemsType) as avro.Type, memo);
      // A map entry is a key (at least its length byte) plus a value.
      const itemMin = item.minBytes + (isMap ? 1 : 0);
      const what = isMap ? 'map' : 'array';
      placeholder.step = (c) => {
        for (;;) {
          let count = readVarint(c, 10, `a ${what} block count`);
          if (Number.isNaN(count)) return false;
          if (count === 0) return true;
          if (count < 0) {
            count = -count;
            const blockBytes = readVarint(c, 10, `a ${what} block size`);
            if (Number.isNaN(blockBytes)) return false;
            if (blockBytes < 0 || blockBytes > c.end - c.pos) {
              return fail(c, 'truncated', `${what} block declares ${blockBytes} bytes, ${c.end - c.pos} left`);
            }
          }
          if (itemMin > 0) {
            if (count * itemMin > c.end - c.pos) {
              return fail(c, 'truncated', `${what} block declares ${count} items, only ${c.end - c.pos} bytes left`);
            }
          } else {
            c.freeItems -= count;
            if (c.freeItems < 0) return fail(c, 'invalid', `${what} declares more than ${MAX_ZERO_SIZE_ITEMS} zero-size items`);
          }
          for (let i = 0; i < count; i++) {
            if (isMap) {
              const keyStart = c.pos;
              if (!lengthPrefixed(c, 'a map key', true)) return false;
              // The length byte of a 9-byte key is 18 (zig-zag), then the 9 bytes.
              if (c.pos - keyStart === 10 && c.buf[keyStart] === 18 && c.buf.compare(PROTO_KEY, 0, 9, keyStart + 1, c.pos) === 0) {
                return fail(c, 'reserved-key', 'map key __proto__ is not allowed');
              }
            }
            if (!item.step(c)) return false;
          }
        }
      };
      return placeholder;
    }
    case 'record':
    case 'error': {
      const placeholder: Compiled = { step: () => true, minBytes: 0 };
      memo.set(type, placeholder);
      const fields = (t.fields ?? []).map((f) => compile(f.type, memo));
      placeholder.minBytes = fields.reduce((sum, f) => sum + f.minBytes, 0);
      placeholder.step = (c) => {
        for (let i = 0; i < fields.length; i++) if (!fields[i].step(c)) return false;
        return true;
      };
      return placeholder;
    }
    default:
      throw new TypeError(`body guard: unsupported Avro type ${t.typeName}`);
  }
}

export type BodyGuard = (buf: Buffer, start: number) => BodyProblem | null;

/** Compile a guard for bodies written with `writerType`; the body must end exactly at buf.length. */
export function compileBodyGuard(writerType: avro.Type): BodyGuard {
  const root = compile(writerType, new Map());
  const cursor: Cursor = { buf: Buffer.alloc(0), pos: 0, end: 0, freeItems: 0, problem: null };
  return (buf, start) => {
    cursor.buf = buf;
    cursor.pos = start;
    cursor.end = buf.length;
    cursor.freeItems = MAX_ZERO_SIZE_ITEMS;
    cursor.problem = null;
    const ok = root.step(cursor);
    const problem = ok
      ? cursor.pos === cursor.end
        ? null
        : { kind: 'trailing' as const, message: `${cursor.end - cursor.pos} bytes after the end of the record` }
      : cursor.problem;
    cursor.buf = EMPTY; // do not keep the caller's buffer alive
    return problem;
  };
}

const EMPTY = Buffer.alloc(0);
