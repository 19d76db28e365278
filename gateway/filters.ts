/**
 * Subscriptions and their mapping onto uWebSockets.js topics (pure).
 *
 * uWS v20 dropped MQTT wildcards, so a filter subscribes to an explicit set of topics. Every
 * event is published to exactly three topics — one per scope (all / source / series) at the
 * event's own severity — and a channel filter subscribes to one scope at every severity at or
 * above its minimum. A subscriber therefore holds at most one of an event's topics and gets
 * each matching event exactly once (see `matchesFilter`, which the tests hold equal to this).
 */
import { SEVERITIES, severityRank, type Severity } from '../schemas/records.ts';
import { isWellFormedPercentEncoding } from '../schemas/text.ts';

export const CHANNELS = ['alerts', 'anomalies', 'live'] as const;
export type Channel = (typeof CHANNELS)[number];

export type Scope = { kind: 'all' } | { kind: 'source'; source: string } | { kind: 'series'; series: string };

export interface ChannelFilter {
  scope: Scope;
  /** Ignored for `live`, which has no severity (always 'info' there). */
  minSeverity: Severity;
}

export type Subscriptions = Map<Channel, ChannelFilter>;

/** What routing needs to know about one event. */
export interface EventRouting {
  channel: Channel;
  severity: Severity; // 'info' for live
  source: string;
  series: string; // `${source}/${metric}`
}

/** The fields a subscription request may carry, before validation. */
export interface SubscriptionFields {
  channels: Channel[];
  source?: string;
  series?: string;
  minSeverity?: Severity;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

const MAX_NAME_LENGTH = 256;
// Control characters are never part of a source or metric name; rejecting them keeps logs clean.
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Anomalies have a score in [0, 1], not a severity; this maps one onto the other for filters. */
export function anomalySeverity(score: number): Severity {
  if (!(score >= 0.25)) return 'info'; // also NaN
  if (score >= 0.9) return 'critical';
  if (score >= 0.75) return 'high';
  if (score >= 0.5) return 'medium';
  return 'low';
}

export function severitiesAtOrAbove(min: Severity): Severity[] {
  return SEVERITIES.filter((s) => severityRank[s] <= severityRank[min]);
}

function scopeSegment(scope: Scope): string {
  // encodeURIComponent keeps the mapping injective and '/'-free inside one segment.
  switch (scope.kind) {
    case 'all':
      return 'all';
    case 'source':
      return `src/${encodeURIComponent(scope.source)}`;
    case 'series':
      return `ser/${encodeURIComponent(scope.series)}`;
  }
}

function topic(channel: Channel, severity: Severity, scope: Scope): string {
  return `${channel}/${channel === 'live' ? '-' : severity}/${scopeSegment(scope)}`;
}

export function topicsForEvent(e: EventRouting): string[] {
  return [
    topic(e.channel, e.severity, { kind: 'all' }),
    topic(e.channel, e.severity, { kind: 'source', source: e.source }),
    topic(e.channel, e.severity, { kind: 'series', series: e.series }),
  ];
}

export function topicsForFilter(channel: Channel, filter: ChannelFilter): string[] {
  if (channel === 'live') return [topic(channel, 'info', filter.scope)];
  return severitiesAtOrAbove(filter.minSeverity).map((s) => topic(channel, s, filter.scope));
}

/** The same decision as the topic intersection, for replaying buffered events. */
export function matchesFilter(e: EventRouting, filter: ChannelFilter): boolean {
  if (e.channel !== 'live' && severityRank[e.severity] > severityRank[filter.minSeverity]) return false;
  switch (filter.scope.kind) {
    case 'all':
      return true;
    case 'source':
      return filter.scope.source === e.source;
    case 'series':
      return filter.scope.series === e.series;
  }
}

export function matchesSubscriptions(e: EventRouting, subs: Subscriptions): boolean {
  const f = subs.get(e.channel);
  return f !== undefined && matchesFilter(e, f);
}

function checkName(what: string, value: string): string | null {
  if (value.length === 0) return `${what} must not be empty`;
  if (value.length > MAX_NAME_LENGTH) return `${what} is longer than ${MAX_NAME_LENGTH} characters`;
  if (CONTROL_CHARS.test(value)) return `${what} contains control characters`;
  return null;
}

export function parseChannelList(items: string[]): Parsed<Channel[]> {
  const out: Channel[] = [];
  for (const raw of items) {
    const name = raw.trim();
    if (name === '') continue;
    if (!(CHANNELS as readonly string[]).includes(name)) {
      return { ok: false, code: 'unknown-channel', message: `unknown channel ${JSON.stringify(name.slice(0, 64))}; channels are ${CHANNELS.join(', ')}` };
    }
    if (!out.includes(name as Channel)) out.push(name as Channel);
  }
  return { ok: true, value: out };
}

export function parseSeverity(value: string): Parsed<Severity> {
  if ((SEVERITIES as readonly string[]).includes(value)) return { ok: true, value: value as Severity };
  return { ok: false, code: 'invalid-severity', message: `minSeverity must be one of ${SEVERITIES.join(', ')}` };
}

/** Validated fields → one filter applied to every listed channel. */
export function buildFilter(fields: Omit<SubscriptionFields, 'channels'>): Parsed<ChannelFilter> {
  const { source, series } = fields;
  if (source !== undefined) {
    const problem = checkName('source', source);
    if (problem) return { ok: false, code: 'invalid-source', message: problem };
  }
  let scope: Scope = source !== undefined ? { kind: 'source', source } : { kind: 'all' };
  if (series !== undefined) {
    const problem = checkName('series', series);
    if (problem) return { ok: false, code: 'invalid-series', message: problem };
    const slash = series.indexOf('/');
    if (slash <= 0 || slash === series.length - 1) {
      return { ok: false, code: 'invalid-series', message: 'series must be "<source>/<metric>"' };
    }
    if (source !== undefined && !series.startsWith(`${source}/`)) {
      return { ok: false, code: 'invalid-series', message: 'series does not belong to the given source' };
    }
    scope = { kind: 'series', series };
  }
  return { ok: true, value: { scope, minSeverity: fields.minSeverity ?? 'info' } };
}

export interface QuerySubscription {
  fields: SubscriptionFields;
  filter: ChannelFilter;
  token: string | null;
  lastEventId: string | null;
}

/** `?channels=alerts,anomalies&source=..&series=..&minSeverity=..&token=..&lastEventId=..`. */
export function parseSubscriptionQuery(query: string): Parsed<QuerySubscription> {
  if (!isWellFormedPercentEncoding(query)) return { ok: false, code: 'invalid-query', message: 'the query string is not valid percent-encoded UTF-8' };
  const params = new URLSearchParams(query);
  const single = (name: string): Parsed<string | undefined> => {
    const all = params.getAll(name);
    if (all.length > 1) return { ok: false, code: 'invalid-query', message: `${name} given more than once` };
    return { ok: true, value: all[0] };
  };
  const channels = parseChannelList(params.getAll('channels').flatMap((v) => v.split(',')));
  if (!channels.ok) return channels;
  const source = single('source');
  if (!source.ok) return source;
  const series = single('series');
  if (!series.ok) return series;
  const minSev = single('minSeverity');
  if (!minSev.ok) return minSev;
  const token = single('token');
  if (!token.ok) return token;
  const lastEventId = single('lastEventId');
  if (!lastEventId.ok) return lastEventId;
  let minSeverity: Severity | undefined;
  if (minSev.value !== undefined) {
    const s = parseSeverity(minSev.value);
    if (!s.ok) return s;
    minSeverity = s.value;
  }
  if (channels.value.length === 0 && (source.value !== undefined || series.value !== undefined || minSeverity !== undefined || lastEventId.value !== undefined)) {
    return { ok: false, code: 'invalid-query', message: 'source, series, minSeverity and lastEventId need channels=...' };
  }
  const fields: SubscriptionFields = { channels: channels.value, source: source.value, series: series.value, minSeverity };
  const filter = buildFilter(fields);
  if (!filter.ok) return filter;
  return { ok: true, value: { fields, filter: filter.value, token: token.value ?? null, lastEventId: lastEventId.value ?? null } };
}

export interface FilterDescription {
  source?: string;
  series?: string;
  minSeverity?: Severity;
}

/** The `subscribed` frame's view of a connection's subscriptions. */
export function describeSubscriptions(subs: Subscriptions): { channels: Channel[]; filters: Partial<Record<Channel, FilterDescription>> } {
  const channels = CHANNELS.filter((c) => subs.has(c));
  const filters: Partial<Record<Channel, FilterDescription>> = {};
  for (const c of channels) {
    const f = subs.get(c)!;
    const d: FilterDescription = {};
    if (f.scope.kind === 'source') d.source = f.scope.source;
    if (f.scope.kind === 'series') d.series = f.scope.series;
    if (c !== 'live') d.minSeverity = f.minSeverity;
    filters[c] = d;
  }
  return { channels, filters };
}
