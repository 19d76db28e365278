import { describe, expect, it } from 'vitest';
import { MAX_STRING_BYTES, Sql, SqlValueError, direction, ident, join, pick, quoteInt, quoteNumber, quoteString, sql, where } from '../../../api/sql.ts';

/**
 * Reads one ClickHouse single-quoted literal from the start of `text` the way the server's
 * lexer does (backslash escapes, '' as a quote) and returns its value and where it ended.
 * If an injection escaped the literal, `rest` is non-empty.
 */
function readClickHouseLiteral(text: string): { value: string; rest: string } {
  if (text[0] !== "'") throw new Error('not a literal');
  let out = '';
  let i = 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') {
      const n = text[i + 1];
      const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', a: '\x07', v: '\v' };
      out += map[n] ?? n;
      i += 2;
    } else if (c === "'") {
      if (text[i + 1] === "'") {
        out += "'";
        i += 2;
      } else {
        return { value: out, rest: text.slice(i + 1) };
      }
    } else {
      out += c;
      i++;
    }
  }
  throw new Error('unterminated literal');
}

const HOSTILE = [
  "' OR 1=1 --",
  "x' OR '1'='1",
  "\\'",
  "\\\\'",
  "\\",
  "'; DROP TABLE vigil.alert_events; --",
  "'' OR ''='",
  'a\\\' OR 1=1 --',
  '\u2019 OR 1=1 --', // right single quotation mark
  '\u02bc OR 1=1', // modifier letter apostrophe
  '\uff07 OR 1=1', // fullwidth apostrophe
  '`; SELECT 1`',
  '"; SELECT 1; "',
  '/* comment */ 1',
  '%27%20OR%201%3D1',
  'Ω≈ç√∫ 🚀 中文',
  "source' UNION ALL SELECT name FROM system.tables --",
];

describe('quoteString', () => {
  it.each(HOSTILE)('keeps %j inside one literal and decodes back to it', (hostile) => {
    const literal = quoteString(hostile);
    const { value, rest } = readClickHouseLiteral(literal);
    expect(value).toBe(hostile);
    expect(rest).toBe('');
  });

  it('escapes backslash before quote so an escaped quote cannot be un-escaped', () => {
    expect(quoteString("\\'")).toBe("'\\\\\\''");
    expect(quoteString("it's")).toBe("'it\\'s'");
  });

  it.each(['\0', 'a\0b', '\n', 'x\ry', '\t', '\x1b[31m', '\x7f', '\u0085', '\u009f'])('rejects control characters (%j)', (s) => {
    expect(() => quoteString(s)).toThrow(SqlValueError);
  });

  it('rejects unpaired surrogates but keeps valid pairs', () => {
    expect(() => quoteString('a\ud800b')).toThrow(/surrogate/);
    expect(() => quoteString('\udc00')).toThrow(/surrogate/);
    expect(quoteString('😀')).toBe("'😀'");
  });

  it('rejects strings over the limit (1 MB) and accepts one at the limit', () => {
    expect(() => quoteString('a'.repeat(1024 * 1024))).toThrow(/longer than/);
    expect(() => quoteString("'".repeat(1024 * 1024))).toThrow(/longer than/);
    // multi-byte characters count in bytes, not UTF-16 units
    expect(() => quoteString('é'.repeat(MAX_STRING_BYTES / 2 + 1))).toThrow(/longer than/);
    const atLimit = 'a'.repeat(MAX_STRING_BYTES);
    expect(readClickHouseLiteral(quoteString(atLimit)).value).toBe(atLimit);
  });

  it('refuses non-strings', () => {
    expect(() => quoteString(1 as unknown as string)).toThrow(SqlValueError);
    expect(() => quoteString(null as unknown as string)).toThrow(SqlValueError);
  });
});

describe('numbers', () => {
  it('binds finite numbers and parenthesises negatives', () => {
    expect(quoteNumber(1.5)).toBe('1.5');
    expect(quoteNumber(-2.25)).toBe('(-2.25)');
    expect(quoteNumber(-0)).toBe('0');
    expect(quoteNumber(1e-7)).toBe('1e-7');
  });
  it.each([NaN, Infinity, -Infinity, '1' as unknown as number, '1; DROP' as unknown as number])('refuses %j', (n) => {
    expect(() => quoteNumber(n)).toThrow(SqlValueError);
  });
  it('binds only safe integers as integers', () => {
    expect(quoteInt(1700000000000)).toBe('1700000000000');
    expect(quoteInt(-5)).toBe('(-5)');
    expect(quoteInt(18446744073709551615n)).toBe('18446744073709551615');
    expect(() => quoteInt(1.5)).toThrow(SqlValueError);
    expect(() => quoteInt(2 ** 60)).toThrow(SqlValueError);
    expect(() => quoteInt(NaN)).toThrow(SqlValueError);
  });
});

describe('identifiers and whitelists', () => {
  it('accepts plain identifiers only', () => {
    expect(ident('vigil_test_1').text).toBe('vigil_test_1');
    for (const bad of ['', '1abc', 'a-b', 'a.b', 'a b', 'a`b', "a'b", 'a;DROP', 'x'.repeat(200), 'ä']) {
      expect(() => ident(bad)).toThrow(SqlValueError);
    }
  });

  it('pick() only returns whitelisted fragments', () => {
    const sorts = { opened_at: sql`opened_at_ms`, severity: sql`sev` };
    expect(pick(sorts, 'opened_at', 'sort').text).toBe('opened_at_ms');
    for (const bad of ['toString', '__proto__', 'constructor', 'opened_at; DROP TABLE x', 'hasOwnProperty']) {
      expect(() => pick(sorts, bad, 'sort')).toThrow(/unknown sort/);
    }
  });

  it('direction() maps asc/desc and nothing else', () => {
    expect(direction('asc').text).toBe('ASC');
    expect(direction('desc').text).toBe('DESC');
    expect(() => direction('desc; DROP TABLE x')).toThrow(SqlValueError);
    expect(() => direction('DESC')).toThrow(SqlValueError);
  });

  it('Sql fragments cannot be forged from outside the module', () => {
    expect(() => new Sql('DROP TABLE x', Symbol('sql'))).toThrow(/only built by/);
  });
});

describe('sql`` template', () => {
  it('binds each interpolation by its type', () => {
    const q = sql`SELECT * FROM ${ident('db')}.t WHERE s = ${"a'b"} AND v > ${-1.5} AND n < ${10} AND b = ${true} AND x IN ${['p', 'q']} AND y IN ${[1, 2]}`;
    expect(q.text).toBe("SELECT * FROM db.t WHERE s = 'a\\'b' AND v > (-1.5) AND n < 10 AND b = 1 AND x IN ('p', 'q') AND y IN (1, 2)");
  });

  it('nests fragments without re-quoting them', () => {
    const inner = sql`source = ${'x'}`;
    expect(sql`SELECT 1 WHERE ${inner}`.text).toBe("SELECT 1 WHERE source = 'x'");
  });

  it('refuses values it cannot bind', () => {
    expect(() => sql`${null as unknown as string}`).toThrow(/cannot bind/);
    expect(() => sql`${undefined as unknown as string}`).toThrow(/cannot bind/);
    expect(() => sql`${{ toString: () => "' OR 1=1" } as unknown as string}`).toThrow(/cannot bind/);
    expect(() => sql`${[] as string[]}`).toThrow(/empty list/);
    expect(() => sql`${[{}] as unknown as string[]}`).toThrow(/list items/);
    expect(() => sql`${['ok', 'bad\0']}`).toThrow(/control/);
    expect(() => sql`${NaN}`).toThrow(SqlValueError);
  });

  it('where() and join() combine fragments', () => {
    expect(where([]).text).toBe('');
    expect(where([sql`a = ${1}`, sql`b = ${'x'}`]).text).toBe("WHERE (a = 1) AND (b = 'x')");
    expect(where([sql`n > ${2}`], 'HAVING').text).toBe('HAVING (n > 2)');
    expect(join([sql`a`, sql`b`], ', ').text).toBe('a, b');
    expect(() => join(['a' as unknown as Sql], ', ')).toThrow(SqlValueError);
  });

  it.each(HOSTILE)('a hostile filter value %j stays one literal in a full query', (hostile) => {
    const q = sql`SELECT count() FROM t WHERE source = ${hostile} AND metric = ${'m'}`.text;
    const start = q.indexOf("= '") + 2;
    const { value, rest } = readClickHouseLiteral(q.slice(start));
    expect(value).toBe(hostile);
    expect(rest).toBe(" AND metric = 'm'");
  });
});
