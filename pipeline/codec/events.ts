/**
 * Avro events on Vigil's topics: `encodeEvent` writes single-object encoding with the
 * current schema of the kind; `decodeEvent` accepts single-object or Confluent framing from
 * any registered version and returns the record read with the current schema.
 *
 * Enumerated fields (severity, status, alert kind, anomaly type, command type) are Avro
 * strings, not enums: a reader of an Avro enum fails on a symbol it does not know, so adding
 * a severity would break every older consumer. The producer side validates them here;
 * consumers should tolerate values they do not know.
 */
import { VigilError } from '../../core/errors.ts';
import { getSchemaRegistry, type SchemaEntry, type SchemaRegistry } from '../../schemas/avro/registry.ts';
import {
  ALERT_STATUSES,
  ANOMALY_TYPES,
  SEVERITIES,
  type AlertCommand,
  type AlertEvent,
  type AnomalyEvent,
  type CommandResult,
  type IncidentEvent,
  type LiveSnapshot,
  type MetricPoint,
  type SlaSnapshot,
} from '../../schemas/records.ts';
import { frameSingleObject } from './framing.ts';
import { AvroRecordReader } from './reader.ts';

export interface EventRecords {
  metric: MetricPoint;
  anomaly: AnomalyEvent;
  alert: AlertEvent;
  live: LiveSnapshot;
  sla: SlaSnapshot;
  command: AlertCommand;
  commandResult: CommandResult;
  incident: IncidentEvent;
}
export type EventKind = keyof EventRecords;
export type DecodedEvent = { [K in EventKind]: { kind: K; record: EventRecords[K] } }[EventKind];

/** Kind → full Avro record name. */
export const EVENT_SCHEMA_NAMES: Readonly<Record<EventKind, string>> = {
  metric: 'io.vigil.MetricPoint',
  anomaly: 'io.vigil.AnomalyEvent',
  alert: 'io.vigil.AlertEvent',
  live: 'io.vigil.LiveSnapshot',
  sla: 'io.vigil.SlaSnapshot',
  command: 'io.vigil.AlertCommand',
  commandResult: 'io.vigil.CommandResult',
  incident: 'io.vigil.IncidentEvent',
};
const KIND_BY_NAME = new Map(Object.entries(EVENT_SCHEMA_NAMES).map(([kind, name]) => [name, kind as EventKind]));

const ALERT_KINDS = ['threshold', 'anomaly', 'sla', 'nodata'] as const;
const COMMAND_TYPES = ['acknowledge', 'resolve'] as const;
const RESULT_STATUSES = [...ALERT_STATUSES, 'unknown'] as const;

/** The string fields with a closed set of values, per kind (nested records by path). */
const ENUMERATED: Partial<Record<EventKind, Array<[string[], readonly string[]]>>> = {
  anomaly: [[['type'], ANOMALY_TYPES]],
  alert: [
    [['kind'], ALERT_KINDS],
    [['severity'], SEVERITIES],
    [['status'], ALERT_STATUSES],
  ],
  command: [[['type'], COMMAND_TYPES]],
  commandResult: [
    [['status'], RESULT_STATUSES],
    [['event', 'kind'], ALERT_KINDS],
    [['event', 'severity'], SEVERITIES],
    [['event', 'status'], ALERT_STATUSES],
  ],
  incident: [
    [['status'], ALERT_STATUSES],
    [['severity'], SEVERITIES],
  ],
};

function enumerationErrors(kind: EventKind, record: object): string[] {
  const errors: string[] = [];
  for (const [path, allowed] of ENUMERATED[kind] ?? []) {
    let value: unknown = record;
    for (const key of path) value = value === null || value === undefined ? undefined : (value as Record<string, unknown>)[key];
    if (value === undefined && path.length > 1) continue; // e.g. CommandResult.event = null
    if (typeof value !== 'string' || !allowed.includes(value)) {
      errors.push(`${path.join('.')}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
    }
  }
  return errors;
}

export interface EventCodec {
  encodeEvent<K extends EventKind>(kind: K, record: EventRecords[K]): Buffer;
  encodeEvent(kind: EventKind, record: object): Buffer;
  decodeEvent(buf: Buffer): DecodedEvent;
  /** The schema entry events of `kind` are written with. */
  writerOf(kind: EventKind): SchemaEntry;
}

export function createEventCodec(registry: SchemaRegistry = getSchemaRegistry()): EventCodec {
  const reader = new AvroRecordReader(registry);
  const writers = new Map<EventKind, SchemaEntry>();
  const writerOf = (kind: EventKind): SchemaEntry => {
    let entry = writers.get(kind);
    if (!entry) {
      const name = EVENT_SCHEMA_NAMES[kind];
      if (!name) throw new VigilError(`unknown event kind ${JSON.stringify(kind)}`, { code: 'unknown-kind', action: `use one of ${Object.keys(EVENT_SCHEMA_NAMES).join(', ')}` });
      entry = registry.latest(name);
      writers.set(kind, entry);
    }
    return entry;
  };

  function encodeEvent(kind: EventKind, record: object): Buffer {
    const writer = writerOf(kind);
    const problems: string[] = [];
    writer.type.isValid(record, { errorHook: (path: string[], value: unknown) => problems.push(`${path.join('.') || '(record)'}: ${describe(value)} does not fit the schema`) });
    problems.push(...enumerationErrors(kind, record));
    if (problems.length > 0) {
      throw new VigilError(`cannot encode ${kind} event: ${problems.join('; ')}`, {
        code: 'invalid-event',
        action: `produce a record matching ${writer.name} v${writer.version} (schemas/records.ts)`,
      });
    }
    return frameSingleObject(writer.fingerprint, writer.type.toBuffer(record));
  }

  function decodeEvent(buf: Buffer): DecodedEvent {
    const result = reader.read<object>(buf);
    if (!result.ok) {
      throw new VigilError(`cannot decode event: ${result.detail}`, { code: result.reason, action: 'check what produced this record; it is not a Vigil event' });
    }
    const kind = KIND_BY_NAME.get(result.reader.name);
    if (!kind) {
      throw new VigilError(`cannot decode event: ${result.reader.name} is not an event kind`, { code: 'unknown-kind', action: 'map the schema to a kind in EVENT_SCHEMA_NAMES' });
    }
    return { kind, record: result.value } as DecodedEvent;
  }

  return { encodeEvent, decodeEvent, writerOf };
}

function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

let defaultCodec: EventCodec | undefined;
const codec = (): EventCodec => (defaultCodec ??= createEventCodec());

/** Single-object-encode `record` as the current schema of `kind`; throws VigilError (code invalid-event) when it does not fit. */
export function encodeEvent<K extends EventKind>(kind: K, record: EventRecords[K]): Buffer;
export function encodeEvent(kind: EventKind, record: object): Buffer;
export function encodeEvent(kind: EventKind, record: object): Buffer {
  return codec().encodeEvent(kind, record);
}

/** Decode any registered event (either framing); throws VigilError whose code is the failure reason. */
export function decodeEvent(buf: Buffer): DecodedEvent {
  return codec().decodeEvent(buf);
}
