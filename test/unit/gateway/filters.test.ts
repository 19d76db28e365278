import { describe, expect, it } from 'vitest';
import { SEVERITIES, type Severity } from '../../../schemas/records.ts';
import {
  CHANNELS,
  anomalySeverity,
  buildFilter,
  describeSubscriptions,
  matchesFilter,
  parseSubscriptionQuery,
  severitiesAtOrAbove,
  topicsForEvent,
  topicsForFilter,
  type Channel,
  type ChannelFilter,
  type EventRouting,
} from '../../../gateway/filters.ts';

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Names chosen to collide if encoding were sloppy: '/' inside names, prefixes of each other.
const SOURCES = ['api-1', 'api-1/x', 'api', 'src/ser', 'all', 'a%2Fb', 'a/b'];
const METRICS = ['cpu_usage', 'x/cpu_usage', 'cpu', 'all'];

describe('topics vs. matchesFilter', () => {
  it('an event reaches a filter through exactly one topic iff it matches, else none (5000 random pairs)', () => {
    const rnd = mulberry32(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    let matched = 0;
    for (let i = 0; i < 5000; i++) {
      const source = pick(SOURCES);
      const event: EventRouting = { channel: pick(CHANNELS), severity: pick(SEVERITIES), source, series: `${source}/${pick(METRICS)}` };
      const fSource = pick(SOURCES);
      const scopeKind = pick(['all', 'source', 'series'] as const);
      const filter: ChannelFilter = {
        scope: scopeKind === 'all' ? { kind: 'all' } : scopeKind === 'source' ? { kind: 'source', source: fSource } : { kind: 'series', series: `${fSource}/${pick(METRICS)}` },
        minSeverity: pick(SEVERITIES),
      };
      const channel: Channel = rnd() < 0.7 ? event.channel : pick(CHANNELS);
      const eventTopics = new Set(topicsForEvent(event));
      const shared = topicsForFilter(channel, filter).filter((t) => eventTopics.has(t));
      const expected = channel === event.channel && matchesFilter(event, filter);
      expect(shared.length, JSON.stringify({ event, channel, filter })).toBe(expected ? 1 : 0);
      if (expected) matched += 1;
    }
    expect(matched).toBeGreaterThan(200); // the generator really exercises the matching side
  });

  it('publishes each event to three distinct topics', () => {
    const topics = topicsForEvent({ channel: 'alerts', severity: 'high', source: 'api-1', series: 'api-1/cpu_usage' });
    expect(new Set(topics).size).toBe(3);
    expect(topics).toEqual(['alerts/high/all', 'alerts/high/src/api-1', 'alerts/high/ser/api-1%2Fcpu_usage']);
  });

  it('minimum severity subscribes to that severity and every more severe one', () => {
    expect(severitiesAtOrAbove('critical')).toEqual(['critical']);
    expect(severitiesAtOrAbove('medium')).toEqual(['critical', 'high', 'medium']);
    expect(severitiesAtOrAbove('info')).toEqual([...SEVERITIES]);
    expect(topicsForFilter('alerts', { scope: { kind: 'source', source: 'db' }, minSeverity: 'high' })).toEqual(['alerts/critical/src/db', 'alerts/high/src/db']);
    // live has no severity: one topic whatever the minimum
    expect(topicsForFilter('live', { scope: { kind: 'all' }, minSeverity: 'critical' })).toEqual(['live/-/all']);
  });

  it('matches filters', () => {
    const e: EventRouting = { channel: 'alerts', severity: 'medium', source: 'api-1', series: 'api-1/cpu_usage' };
    expect(matchesFilter(e, { scope: { kind: 'all' }, minSeverity: 'medium' })).toBe(true);
    expect(matchesFilter(e, { scope: { kind: 'all' }, minSeverity: 'high' })).toBe(false);
    expect(matchesFilter(e, { scope: { kind: 'source', source: 'api-1' }, minSeverity: 'info' })).toBe(true);
    expect(matchesFilter(e, { scope: { kind: 'source', source: 'api' }, minSeverity: 'info' })).toBe(false);
    expect(matchesFilter(e, { scope: { kind: 'series', series: 'api-1/cpu_usage' }, minSeverity: 'low' })).toBe(true);
    expect(matchesFilter(e, { scope: { kind: 'series', series: 'api-1/cpu' }, minSeverity: 'low' })).toBe(false);
    expect(matchesFilter({ ...e, channel: 'live', severity: 'info' }, { scope: { kind: 'all' }, minSeverity: 'critical' })).toBe(true);
  });
});

describe('anomalySeverity', () => {
  it('maps score bands', () => {
    const cases: Array<[number, Severity]> = [
      [1, 'critical'],
      [0.9, 'critical'],
      [0.89, 'high'],
      [0.75, 'high'],
      [0.6, 'medium'],
      [0.5, 'medium'],
      [0.3, 'low'],
      [0.25, 'low'],
      [0.1, 'info'],
      [0, 'info'],
      [Number.NaN, 'info'],
      [-1, 'info'],
    ];
    for (const [score, severity] of cases) expect(anomalySeverity(score), String(score)).toBe(severity);
  });
});

describe('parseSubscriptionQuery', () => {
  it('parses the documented example', () => {
    const r = parseSubscriptionQuery('channels=alerts,anomalies&source=api-1&series=api-1/cpu_usage&minSeverity=high&token=abc&lastEventId=abcdef.7');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.fields.channels).toEqual(['alerts', 'anomalies']);
    expect(r.value.filter).toEqual({ scope: { kind: 'series', series: 'api-1/cpu_usage' }, minSeverity: 'high' });
    expect(r.value.token).toBe('abc');
    expect(r.value.lastEventId).toBe('abcdef.7');
  });

  it('accepts repeated channels params, spaces and duplicates; defaults to everything at info', () => {
    const r = parseSubscriptionQuery('channels=live&channels=alerts,%20live,');
    expect(r.ok && r.value.fields.channels).toEqual(['live', 'alerts']);
    expect(r.ok && r.value.filter).toEqual({ scope: { kind: 'all' }, minSeverity: 'info' });
    const none = parseSubscriptionQuery('');
    expect(none.ok && none.value.fields.channels).toEqual([]);
    const encoded = parseSubscriptionQuery('channels=live&source=a%2Fb%20c');
    expect(encoded.ok && encoded.value.filter.scope).toEqual({ kind: 'source', source: 'a/b c' });
  });

  it('rejects hostile or inconsistent queries with a code', () => {
    const bad: Array<[string, string]> = [
      ['channels=alerts,metrics', 'unknown-channel'],
      ['channels=__proto__', 'unknown-channel'],
      ['channels=alerts&minSeverity=urgent', 'invalid-severity'],
      ['channels=alerts&minSeverity=', 'invalid-severity'],
      ['channels=alerts&source=a&source=b', 'invalid-query'],
      ['channels=alerts&token=a&token=b', 'invalid-query'],
      ['source=api-1', 'invalid-query'],
      ['lastEventId=abcdef.1', 'invalid-query'],
      ['channels=alerts&source=', 'invalid-source'],
      [`channels=alerts&source=${'x'.repeat(300)}`, 'invalid-source'],
      ['channels=alerts&source=a%00b', 'invalid-source'],
      ['channels=alerts&series=nocolon', 'invalid-series'],
      ['channels=alerts&series=/cpu', 'invalid-series'],
      ['channels=alerts&series=api/', 'invalid-series'],
      ['channels=alerts&source=db&series=api/cpu', 'invalid-series'],
      ['channels=alerts&series=a%0Ab/c', 'invalid-series'],
    ];
    for (const [query, code] of bad) {
      const r = parseSubscriptionQuery(query);
      expect(r.ok, query).toBe(false);
      if (!r.ok) {
        expect(r.code, query).toBe(code);
        expect(r.message.length).toBeGreaterThan(5);
      }
    }
  });

  it('survives malformed percent-encoding and huge queries without throwing', () => {
    expect(() => parseSubscriptionQuery('channels=%E0%A4%A&source=%')).not.toThrow();
    const huge = parseSubscriptionQuery(`channels=${'alerts,'.repeat(10_000)}`);
    expect(huge.ok && huge.value.fields.channels).toEqual(['alerts']);
  });
});

describe('buildFilter / describeSubscriptions', () => {
  it('series narrows a matching source', () => {
    expect(buildFilter({ source: 'api', series: 'api/cpu' })).toEqual({ ok: true, value: { scope: { kind: 'series', series: 'api/cpu' }, minSeverity: 'info' } });
  });

  it('describes per-channel filters, without minSeverity for live', () => {
    const subs = new Map<Channel, ChannelFilter>([
      ['live', { scope: { kind: 'source', source: 'api' }, minSeverity: 'info' }],
      ['alerts', { scope: { kind: 'all' }, minSeverity: 'high' }],
    ]);
    expect(describeSubscriptions(subs)).toEqual({ channels: ['alerts', 'live'], filters: { alerts: { minSeverity: 'high' }, live: { source: 'api' } } });
  });
});
