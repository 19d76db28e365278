/**
 * Hostile WebSocket subscription input at scale (issue #12): generated client frames (valid,
 * mutated, random JSON, random text and bytes) through the pure parser and filter builder the
 * gateway runs on every frame, and generated connection query strings. Never a throw; every
 * refusal is an error frame with a known code and a message; everything accepted is a message
 * the protocol documents (docs/websocket.md).
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { CHANNELS, buildFilter, parseSubscriptionQuery } from '../../../gateway/filters.ts';
import { MAX_CLIENT_MESSAGE_BYTES, errorFrame, parseClientMessage, type ClientMessage } from '../../../gateway/protocol.ts';
import { SEVERITIES } from '../../../schemas/records.ts';
import { isWellFormedText } from '../../../schemas/text.ts';
import { FUZZ_TEST_TIMEOUT_MS, expectBudgetTried, reportFuzz, runs, tried } from '../../support/fuzz.ts';

vi.setConfig({ testTimeout: FUZZ_TEST_TIMEOUT_MS });

afterAll(() => {
  reportFuzz('ws-messages');
});

const FRAME_CODES = new Set(['binary-not-supported', 'bad-json', 'too-large', 'invalid-message', 'invalid-text', 'unknown-type']);
const FILTER_CODES = new Set(['invalid-source', 'invalid-series', 'unknown-channel', 'invalid-severity', 'invalid-query']);

const nameArb = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom('checkout', 'api', 'db', 'web.eu'), fc.nat(99)).map(([w, n]) => `${w}${n}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '/', 'a/', '/b', 'a\u0000', 'x'.repeat(257), 'x'.repeat(600), '\ud800', 'é/é') },
);
const channelsArb = fc.uniqueArray(fc.constantFrom(...CHANNELS), { minLength: 1, maxLength: CHANNELS.length });

/** Messages as a well-behaved client sends them. */
const validMessageArb: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.constant({ type: 'ping' as const }),
  fc
    .record(
      {
        type: fc.constant('subscribe' as const),
        channels: channelsArb,
        source: fc.tuple(fc.constantFrom('checkout', 'api'), fc.nat(9)).map(([w, n]) => `${w}${n}`),
        minSeverity: fc.constantFrom(...SEVERITIES),
        lastEventId: fc.tuple(fc.integer({ min: 0x10000000, max: 0x7fffffff }).map((n) => n.toString(16)), fc.nat()).map(([g, n]) => `${g}-${n}`),
      },
      { requiredKeys: ['type', 'channels'] },
    )
    .chain((m) => fc.option(fc.constantFrom('cpu', 'p99'), { nil: undefined }).map((metric) => (metric !== undefined && m.source !== undefined ? { ...m, series: `${m.source}/${metric}` } : m))),
  fc.record({ type: fc.constant('unsubscribe' as const), channels: channelsArb }, { requiredKeys: ['type'] }),
);

/** A valid message with one thing wrong (or, sometimes, nothing: the property must hold then too). */
const mutatedMessageArb = fc.tuple(validMessageArb, fc.nat(9), fc.jsonValue({ maxDepth: 2 }), nameArb).map(([m, how, junk, name]) => {
  const out: Record<string, unknown> = { ...m };
  switch (how) {
    case 0:
      out.extra = junk;
      break;
    case 1:
      out.channels = junk;
      break;
    case 2:
      out.channels = ['alerts', 'nope'];
      break;
    case 3:
      out.source = name;
      break;
    case 4:
      out.series = name;
      break;
    case 5:
      out.minSeverity = junk;
      break;
    case 6:
      out.type = junk;
      break;
    case 7:
      delete out.type;
      break;
    case 8:
      out.lastEventId = name;
      break;
    default:
      out.__proto__ = { type: 'ping' };
  }
  return out;
});

/** The frame on the wire: JSON text (as a string or UTF-8 bytes), or something else entirely. */
const frameArb: fc.Arbitrary<{ data: string | Uint8Array; binary: boolean }> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.oneof(validMessageArb, mutatedMessageArb), fc.boolean()).map(([m, asBytes]) => ({ data: asBytes ? Buffer.from(JSON.stringify(m)) : JSON.stringify(m), binary: false })) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ data: JSON.stringify(v) ?? 'null', binary: false })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => ({ data: s, binary: false })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => ({ data: b, binary: false })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }).map((b) => ({ data: b, binary: true })) },
  { weight: 1, arbitrary: fc.integer({ min: MAX_CLIENT_MESSAGE_BYTES - 40, max: MAX_CLIENT_MESSAGE_BYTES + 40 }).map((n) => ({ data: JSON.stringify({ type: 'ping', pad: 'x'.repeat(Math.max(0, n - 28)) }), binary: false })) },
  { weight: 1, arbitrary: fc.constantFrom('{"type":"ping"', '{"type":"subscribe","channels":["alerts"],"source":"\\ud800"}', '{"__proto__":{"type":"ping"}}', '{"type":"ping","type":"subscribe"}', '[]', '"ping"', '').map((s) => ({ data: s, binary: false })) },
);

function expectDocumented(message: ClientMessage): void {
  expect(['ping', 'subscribe', 'unsubscribe']).toContain(message.type);
  const text = JSON.stringify(message);
  expect(isWellFormedText(text)).toBe(true);
  if (message.type === 'ping') expect(Object.keys(message)).toEqual(['type']);
  if (message.type !== 'ping' && message.channels !== undefined) {
    expect(message.channels.length).toBeGreaterThan(0);
    for (const c of message.channels) expect(CHANNELS).toContain(c);
  }
  if (message.type === 'subscribe') {
    if (message.minSeverity !== undefined) expect(SEVERITIES).toContain(message.minSeverity);
    for (const k of Object.keys(message)) expect(['type', 'channels', 'source', 'series', 'minSeverity', 'lastEventId']).toContain(k);
  }
}

describe('WebSocket client frames, generated', () => {
  it('accepts every valid message as sent', () => {
    fc.assert(
      fc.property(validMessageArb, fc.boolean(), (m, asBytes) => {
        tried('ws-messages');
        const text = JSON.stringify(m);
        const parsed = parseClientMessage(asBytes ? Buffer.from(text) : text, false);
        expect(parsed).toEqual({ ok: true, message: m });
        if (parsed.ok && parsed.message.type === 'subscribe') expect(buildFilter(parsed.message).ok).toBe(true);
      }),
      runs('ws-messages', 0.2),
    );
  });

  it('never throws, and refuses with a known code and a message, or accepts a documented message', () => {
    fc.assert(
      fc.property(frameArb, ({ data, binary }) => {
        tried('ws-messages');
        const parsed = parseClientMessage(data, binary);
        if (!parsed.ok) {
          expect(FRAME_CODES.has(parsed.error.code), parsed.error.code).toBe(true);
          expect(parsed.error.message.length).toBeGreaterThan(0);
          expect(JSON.parse(errorFrame(parsed.error))).toMatchObject({ type: 'error', code: parsed.error.code });
          return;
        }
        expectDocumented(parsed.message);
        if (parsed.message.type === 'subscribe') {
          const filter = buildFilter(parsed.message);
          if (!filter.ok) {
            expect(FILTER_CODES.has(filter.code), filter.code).toBe(true);
            expect(filter.message.length).toBeGreaterThan(0);
          }
        }
      }),
      runs('ws-messages', 0.55),
    );
  });
});

describe('WebSocket connection query strings, generated', () => {
  const paramArb = fc.oneof(
    fc.tuple(fc.constant('channels'), fc.oneof(channelsArb.map((c) => c.join(',')), fc.constantFrom('', ',', 'alerts,,live', 'bogus'))),
    fc.tuple(fc.constantFrom('source', 'series', 'minSeverity', 'token', 'lastEventId', 'other'), fc.oneof(nameArb, fc.constantFrom(...SEVERITIES))),
  );
  const encodedArb = fc.oneof(
    { weight: 4, arbitrary: fc.array(paramArb, { maxLength: 5 }).map((ps) => ps.map(([k, v]) => `${k}=${encodeURIComponentLoose(v)}`).join('&')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }).map((b) => `channels=alerts&source=${Array.from(b, (x) => `%${x.toString(16).padStart(2, '0')}`).join('')}`) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  );

  it('never throws, and refuses with a known code and a message', () => {
    fc.assert(
      fc.property(encodedArb, (query) => {
        tried('ws-messages');
        const parsed = parseSubscriptionQuery(query);
        if (!parsed.ok) {
          expect(FILTER_CODES.has(parsed.code), parsed.code).toBe(true);
          expect(parsed.message.length).toBeGreaterThan(0);
          return;
        }
        for (const c of parsed.value.fields.channels) expect(CHANNELS).toContain(c);
        for (const v of [parsed.value.fields.source, parsed.value.fields.series]) if (v !== undefined) expect(isWellFormedText(v)).toBe(true);
      }),
      runs('ws-messages', 0.25),
    );
  });
});

/** encodeURIComponent, except a lone surrogate is sent as the raw (invalid) UTF-8 a hostile client could send. */
function encodeURIComponentLoose(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return Array.from(Buffer.from(s, 'utf8'), (b) => `%${b.toString(16).padStart(2, '0')}`).join('') + '%ed%a0%80';
  }
}

it('tried every input of the budget', () => {
  expectBudgetTried('ws-messages');
});
