/**
 * Output-topic records → gateway events (pure apart from the injected decoder).
 *
 * Decoding is one injected function: the Kafka source hands it raw values and gets a
 * `{kind, record}` back (the contract of pipeline/codec `decodeEvent`, the default). Everything after that — kind vs.
 * topic, the fields routing needs, severity — is checked here so a bad record is counted and
 * skipped, never published half-formed.
 */
import { SEVERITIES, seriesId, type Severity } from '../schemas/records.ts';
import { anomalySeverity, type Channel, type EventRouting } from './filters.ts';

export type DecodedRecord = { kind: string; record: unknown };
export type RecordDecoder = (value: Buffer) => DecodedRecord;

/** The codec's kind for each channel's topic. */
export const KIND_OF_CHANNEL: Record<Channel, string> = { alerts: 'alert', anomalies: 'anomaly', live: 'live' };

export interface GatewayEvent {
  routing: EventRouting;
  /** The record as sent to clients (schemas/records.ts shape). */
  data: Record<string, unknown>;
}

export type ToEventResult = { ok: true; event: GatewayEvent } | { ok: false; reason: string };

function plainRecord(record: unknown): Record<string, unknown> | null {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    // Avro timestamp-millis may surface as Date; the wire contract is epoch milliseconds.
    out[k] = v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : v;
  }
  return out;
}

/** Validate a decoded record against the channel it arrived on and derive its routing. */
export function toGatewayEvent(channel: Channel, decoded: DecodedRecord): ToEventResult {
  const expectedKind = KIND_OF_CHANNEL[channel];
  if (decoded.kind !== expectedKind) return { ok: false, reason: `a ${decoded.kind} record on the ${channel} topic (expected ${expectedKind})` };
  const data = plainRecord(decoded.record);
  if (!data) return { ok: false, reason: 'record is not an object' };
  const { source, metric } = data;
  if (typeof source !== 'string' || source === '') return { ok: false, reason: 'record has no source' };
  if (typeof metric !== 'string' || metric === '') return { ok: false, reason: 'record has no metric' };
  let severity: Severity = 'info';
  if (channel === 'alerts') {
    if (typeof data.severity !== 'string' || !(SEVERITIES as readonly string[]).includes(data.severity)) {
      return { ok: false, reason: `alert has unknown severity ${JSON.stringify(data.severity)}` };
    }
    severity = data.severity as Severity;
  } else if (channel === 'anomalies') {
    if (typeof data.score !== 'number' || !Number.isFinite(data.score)) return { ok: false, reason: 'anomaly has no numeric score' };
    severity = anomalySeverity(data.score);
  }
  return { ok: true, event: { routing: { channel, severity, source, series: seriesId(source, metric) }, data } };
}
