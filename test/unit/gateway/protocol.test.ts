import { describe, expect, it } from 'vitest';
import { parseClientMessage, MAX_CLIENT_MESSAGE_BYTES } from '../../../gateway/protocol.ts';

const text = (s: string) => new TextEncoder().encode(s).buffer as ArrayBuffer;
const parse = (s: string) => parseClientMessage(text(s), false);
const errorCode = (r: ReturnType<typeof parseClientMessage>) => (r.ok ? null : r.error.code);

describe('parseClientMessage', () => {
  it('parses the three message types', () => {
    expect(parse('{"type":"ping"}')).toEqual({ ok: true, message: { type: 'ping' } });
    expect(parse('{"type":"subscribe","channels":["alerts","live"],"source":"api","minSeverity":"high","lastEventId":"abcdef.3"}')).toEqual({
      ok: true,
      message: { type: 'subscribe', channels: ['alerts', 'live'], source: 'api', minSeverity: 'high', lastEventId: 'abcdef.3' },
    });
    expect(parse('{"type":"unsubscribe"}')).toEqual({ ok: true, message: { type: 'unsubscribe' } });
    expect(parse('{"type":"unsubscribe","channels":["live"]}')).toEqual({ ok: true, message: { type: 'unsubscribe', channels: ['live'] } });
  });

  it('accepts a string payload too', () => {
    expect(parseClientMessage('{"type":"ping"}', false).ok).toBe(true);
  });

  it('answers hostile frames with an error code and never throws', () => {
    const cases: Array<[string, string]> = [
      ['', 'bad-json'],
      ['not json', 'bad-json'],
      ['{"type":"ping"', 'bad-json'],
      ['null', 'invalid-message'],
      ['[]', 'invalid-message'],
      ['"ping"', 'invalid-message'],
      ['42', 'invalid-message'],
      ['{}', 'unknown-type'],
      ['{"type":"PING"}', 'unknown-type'],
      ['{"type":"constructor"}', 'unknown-type'],
      ['{"type":"__proto__"}', 'unknown-type'],
      ['{"type":"toString"}', 'unknown-type'],
      ['{"type":["ping"]}', 'unknown-type'],
      ['{"__proto__":{"type":"ping"}}', 'unknown-type'],
      ['{"type":"ping","__proto__":{"polluted":true}}', 'invalid-message'],
      ['{"type":"ping","constructor":{"prototype":{"polluted":true}}}', 'invalid-message'],
      ['{"type":"ping","extra":1}', 'invalid-message'],
      ['{"type":"subscribe"}', 'invalid-message'],
      ['{"type":"subscribe","channels":[]}', 'invalid-message'],
      ['{"type":"subscribe","channels":"alerts"}', 'invalid-message'],
      ['{"type":"subscribe","channels":["metrics"]}', 'invalid-message'],
      ['{"type":"subscribe","channels":["alerts","alerts","alerts","alerts"]}', 'invalid-message'],
      ['{"type":"subscribe","channels":["alerts"],"minSeverity":"urgent"}', 'invalid-message'],
      ['{"type":"subscribe","channels":["alerts"],"minSeverity":4}', 'invalid-message'],
      ['{"type":"subscribe","channels":["alerts"],"source":{"$ne":null}}', 'invalid-message'],
      ['{"type":"subscribe","channels":["alerts"],"source":null}', 'invalid-message'],
      [`{"type":"subscribe","channels":["alerts"],"source":"${'x'.repeat(300)}"}`, 'invalid-message'],
      [`{"type":"subscribe","channels":["alerts"],"lastEventId":"${'x'.repeat(100)}"}`, 'invalid-message'],
      ['{"type":"unsubscribe","channels":[1]}', 'invalid-message'],
    ];
    for (const [frame, code] of cases) {
      const r = parse(frame);
      expect(errorCode(r), frame.slice(0, 80)).toBe(code);
      if (!r.ok) expect(r.error.message.length).toBeGreaterThan(3);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects binary frames, invalid UTF-8 and oversize text', () => {
    expect(errorCode(parseClientMessage(text('{"type":"ping"}'), true))).toBe('binary-not-supported');
    expect(errorCode(parseClientMessage(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), false))).toBe('bad-json');
    expect(errorCode(parse(`{"type":"ping","pad":"${'x'.repeat(MAX_CLIENT_MESSAGE_BYTES)}"}`))).toBe('too-large');
  });

  it('handles deeply nested JSON without a stack overflow escaping', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(() => parseClientMessage(deep, false)).not.toThrow();
    expect(errorCode(parseClientMessage(deep, false))).not.toBeNull();
  });
});
