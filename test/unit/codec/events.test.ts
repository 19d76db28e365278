import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { createEventCodec, decodeEvent, encodeEvent, type EventKind } from '../../../pipeline/codec/events.ts';
import { frameConfluent, frameSingleObject, readFrame } from '../../../pipeline/codec/framing.ts';
import { AvroRecordReader } from '../../../pipeline/codec/reader.ts';
import {
  committedSchemaDefinitions,
  createSchemaRegistry,
  getSchemaRegistry,
  SCHEMA_TABLE,
  type SchemaDefinition,
} from '../../../schemas/avro/registry.ts';
import type { AlertCommand, AlertEvent, AnomalyEvent, CommandResult, IncidentAlert, IncidentEvent, LiveSnapshot, MetricPoint, SlaSnapshot } from '../../../schemas/records.ts';

const vectors = JSON.parse(readFileSync(new URL('../../fixtures/avro/vectors.json', import.meta.url), 'utf8')) as {
  singleObject: Array<{ name: string; schemaFile: string; record: Record<string, unknown>; bodyHex: string; singleObjectHex: string }>;
};
const KIND_BY_FILE: Record<string, EventKind> = {
  'metric-point.v1.avsc': 'metric',
  'alert-event.v1.avsc': 'alert',
  'alert-event.v2.avsc': 'alert',
  'command-result.v1.avsc': 'commandResult',
  'command-result.v2.avsc': 'commandResult',
  'live-snapshot.v1.avsc': 'live',
};

const evolution = (file: string) => JSON.parse(readFileSync(new URL(`../../fixtures/avro/evolution/${file}`, import.meta.url), 'utf8'));

const alert: AlertEvent = {
  eventId: 'e1', alertId: 'a1', fingerprint: 'api|cpu_usage|r1', source: 'api', metric: 'cpu_usage', ruleId: 'r1',
  kind: 'threshold', severity: 'high', status: 'firing', version: 1, timestamp: 1_700_000_000_000, openedAt: 1_700_000_000_000,
  value: 97.5, threshold: 90, message: 'cpu high', actor: 'pipeline', reason: 'threshold crossed', tags: {},
};

/** What the current reader makes of a record written as an older version: v1 alert events gain tags {}. */
function readAsCurrent(file: string, record: Record<string, unknown>): Record<string, unknown> {
  if (file === 'alert-event.v1.avsc') return { ...record, tags: {} };
  if (file === 'command-result.v1.avsc' && record.event) return { ...record, event: { ...(record.event as object), tags: {} } };
  return record;
}

describe('single-object encoding vs Python avro', () => {
  const registry = getSchemaRegistry();
  it.each(vectors.singleObject.map((v) => [v.name, v] as const))('%s: same bytes both ways', (_name, v) => {
    const kind = KIND_BY_FILE[v.schemaFile];
    const expected = Buffer.from(v.singleObjectHex, 'hex');
    const writer = registry.entries.find((e) => e.file === v.schemaFile)!;
    expect(frameSingleObject(writer.fingerprint, writer.type.toBuffer(v.record)).toString('hex')).toBe(v.singleObjectHex);
    if (writer === createEventCodec(registry).writerOf(kind)) expect(encodeEvent(kind, v.record as never).toString('hex')).toBe(v.singleObjectHex);
    const decoded = decodeEvent(expected);
    expect(decoded.kind).toBe(kind);
    expect(JSON.parse(JSON.stringify(decoded.record))).toEqual(readAsCurrent(v.schemaFile, v.record));
  });
});

describe('AlertEvent v1 → v2 (tags)', () => {
  const registry = getSchemaRegistry();
  const v1 = registry.get('io.vigil.AlertEvent', 1)!;
  const v2 = registry.get('io.vigil.AlertEvent', 2)!;
  const { tags: _drop, ...v1Record } = alert;

  it('writes v2, and an alert event with tags round-trips', () => {
    expect(createEventCodec().writerOf('alert')).toBe(v2);
    expect(createEventCodec().writerOf('commandResult').version).toBe(2);
    const tagged = { ...alert, tags: { team: 'payments', 'k8s.ns': 'shop' } };
    expect(decodeEvent(encodeEvent('alert', tagged))).toEqual({ kind: 'alert', record: tagged });
  });

  it('reads v1 records already on the topic (both framings) with tags {}, a fresh object each time', () => {
    const single = decodeEvent(frameSingleObject(v1.fingerprint, v1.type.toBuffer(v1Record)));
    const confluent = decodeEvent(frameConfluent(v1.id, v1.type.toBuffer(v1Record)));
    expect(single).toEqual({ kind: 'alert', record: { ...v1Record, tags: {} } });
    expect(confluent.record).toEqual({ ...v1Record, tags: {} });
    expect((single.record as AlertEvent).tags).not.toBe((confluent.record as AlertEvent).tags);
  });

  it('a v1 reader (an older consumer) reads what v2 writes, without tags', () => {
    const bytes = v2.type.toBuffer({ ...alert, tags: { team: 'payments' } });
    const old = v1.type.createResolver(v2.type);
    expect(v1.type.fromBuffer(bytes, old as never)).toEqual(v1Record);
  });

  it('a command result written as v1 keeps its event, with tags {}', () => {
    const c1 = registry.get('io.vigil.CommandResult', 1)!;
    const result = { commandId: 'c', alertId: 'a1', applied: true, status: 'acknowledged', reason: 'acknowledged', event: v1Record };
    expect(decodeEvent(frameSingleObject(c1.fingerprint, c1.type.toBuffer(result))).record).toEqual({ ...result, event: { ...v1Record, tags: {} } });
  });

  it('an incident event written as v1 reads with alerts[].tags {}; v2 keeps them', () => {
    const i1 = registry.get('io.vigil.IncidentEvent', 1)!;
    const tagged = { ...incident, alerts: [{ ...incidentAlert, tags: { team: 'payments' } }] };
    expect(decodeEvent(encodeEvent('incident', tagged)).record).toEqual(tagged);
    const { tags: _t, ...v1Alert } = incidentAlert;
    const old = { ...incident, alerts: [v1Alert] };
    expect(decodeEvent(frameSingleObject(i1.fingerprint, i1.type.toBuffer(old))).record).toEqual({ ...incident, alerts: [{ ...v1Alert, tags: {} }] });
  });

  it('refuses tags that are not a string map', () => {
    expect(() => encodeEvent('alert', { ...alert, tags: { team: 7 } } as never)).toThrow(/tags.*does not fit/);
    // A producer that leaves tags out gets the schema default, as a v1 record does.
    expect(decodeEvent(encodeEvent('alert', { ...alert, tags: undefined } as never)).record).toEqual({ ...alert, tags: {} });
  });
});

describe('Confluent framing', () => {
  it('decodes a record framed with our static id and rejects unknown ids', () => {
    const registry = getSchemaRegistry();
    const entry = registry.latest('io.vigil.AlertEvent');
    expect(entry.id).toBe(SCHEMA_TABLE.find((r) => r.file === 'alert-event.v2.avsc')!.id);
    const framed = frameConfluent(entry.id, entry.type.toBuffer(alert));
    expect(framed.subarray(0, 5).toString('hex')).toBe(`00${entry.id.toString(16).padStart(8, '0')}`);
    expect(decodeEvent(framed)).toEqual({ kind: 'alert', record: { ...alert } });
    const unknown = frameConfluent(9999, entry.type.toBuffer(alert));
    expect(() => decodeEvent(unknown)).toThrow(/no schema with Confluent id 9999/);
  });
});

describe('encodeEvent validation', () => {
  it('rejects records that do not fit the schema, naming the field', () => {
    expect(() => encodeEvent('alert', { ...alert, version: 'one' } as never)).toThrow(/version: "one" does not fit/);
    expect(() => encodeEvent('alert', { ...alert, timestamp: undefined } as never)).toThrow(/timestamp/);
  });
  it('rejects values outside the enumerations, also inside CommandResult.event', () => {
    expect(() => encodeEvent('alert', { ...alert, severity: 'catastrophic' } as never)).toThrow(/severity: "catastrophic" is not one of critical/);
    const bad: CommandResult = { commandId: 'c', alertId: 'a', applied: true, status: 'acknowledged', reason: '', event: { ...alert, status: 'gone' as never } };
    expect(() => encodeEvent('commandResult', bad)).toThrow(/event\.status/);
    expect(() => encodeEvent('command', { commandId: 'c', type: 'delete' as never, alertId: 'a', source: 's', metric: 'm', actor: 'x', comment: '', issuedAt: 1 })).toThrow(/type: "delete"/);
  });
  it('round-trips every kind', () => {
    const samples: Array<[EventKind, object]> = [
      ['metric', { source: 's', metric: 'm', value: 1.5, timestamp: 1_700_000_000_000, tags: { a: 'b' } }],
      ['anomaly', { id: 'x', source: 's', metric: 'm', type: 'spike', version: 2, startTimestamp: 1, detectedTimestamp: 2, value: 3, expected: 1, zscore: 4.5, score: 0.9, confidence: 0.8, pointCount: 3 }],
      ['alert', alert],
      ['live', { source: 's', metric: 'm', timestamp: 5, value: 1, mean: 1, std: 0, zscore: 0, anomalyScore: 0 }],
      ['sla', { id: 'i', slaId: 'sla', source: 's', metric: 'm', timestamp: 5, windowMs: 86_400_000, objective: 0.95, compliance: 0.97, good: 97, total: 100, errorBudgetRemaining: 0.4, burnRateFast: 0.6, burnRateSlow: 0.5, violated: false }],
      ['command', { commandId: 'c', type: 'resolve', alertId: 'a', source: 's', metric: 'm', actor: 'ops', comment: 'fixed', issuedAt: 7 }],
      ['commandResult', { commandId: 'c', alertId: 'a', applied: true, status: 'resolved', reason: 'ok', event: { ...alert, status: 'resolved' } }],
      ['commandResult', { commandId: 'c', alertId: 'a', applied: false, status: 'unknown', reason: 'no alert', event: null }],
    ];
    for (const [kind, record] of samples) {
      const buf = encodeEvent(kind, record);
      expect(buf.subarray(0, 2).toString('hex')).toBe('c301');
      const decoded = decodeEvent(buf);
      expect(decoded.kind).toBe(kind);
      expect(JSON.parse(JSON.stringify(decoded.record))).toEqual(record);
    }
  });
});

describe('decodeEvent on hostile bytes', () => {
  const good = encodeEvent('alert', alert);
  const cases: Array<[string, Buffer, string]> = [
    ['empty', Buffer.alloc(0), 'bad-framing'],
    ['wrong magic', Buffer.from('7b22736f75726365223a317d', 'hex'), 'bad-framing'],
    ['C3 without 01', Buffer.from([0xc3, 0x02, 1, 2, 3, 4, 5, 6, 7, 8]), 'bad-framing'],
    ['short header', good.subarray(0, 7), 'bad-framing'],
    ['unknown fingerprint', Buffer.concat([Buffer.from('c301ffffffffffffffff', 'hex'), good.subarray(10)]), 'unknown-schema'],
    ['truncated body', good.subarray(0, good.length - 3), 'decode-error'],
    ['trailing bytes', Buffer.concat([good, Buffer.from([0])]), 'decode-error'],
  ];
  it.each(cases.map(([name, , code], i) => [name, code, i] as const))('%s → %s', (_name, code, i) => {
    expect(() => decodeEvent(cases[i][1])).toThrow(expect.objectContaining({ code }));
  });
});

describe('writer → reader resolution across versions', () => {
  const v0: SchemaDefinition = { schema: evolution('metric-point.v0.avsc'), version: 0, id: 100 };
  const v2: SchemaDefinition = { schema: evolution('metric-point.v2.avsc'), version: 2, id: 102, writerOnly: true };
  const registry = createSchemaRegistry([...committedSchemaDefinitions(), v0, v2]);
  const reader = new AvroRecordReader(registry);
  const point = { source: 'api', metric: 'cpu_usage', value: 12.25, timestamp: 1_700_000_000_000 };

  it('keeps v1 as the reader while v2 is writer-only', () => {
    expect(registry.latest('io.vigil.MetricPoint').version).toBe(1);
  });

  it('reads an older writer without tags: the default {} is filled in, fresh per record', () => {
    const w = registry.get('io.vigil.MetricPoint', 0)!;
    const buf = frameSingleObject(w.fingerprint, w.type.toBuffer(point));
    const first = reader.read<MetricPoint>(buf, 'io.vigil.MetricPoint');
    expect(first).toMatchObject({ ok: true, value: { ...point, tags: {} } });
    if (first.ok) {
      expect(first.writer.version).toBe(0);
      expect(first.reader.version).toBe(1);
      first.value.tags.mutated = 'yes';
    }
    const second = reader.read<MetricPoint>(buf, 'io.vigil.MetricPoint');
    expect(second.ok && second.value.tags).toEqual({});
    // The same record by Confluent id.
    expect(reader.read(frameConfluent(100, w.type.toBuffer(point)), 'io.vigil.MetricPoint')).toMatchObject({ ok: true, framing: 'confluent' });
  });

  it('reads a newer writer with an extra field: the field is skipped', () => {
    const w = registry.get('io.vigil.MetricPoint', 2)!;
    const buf = frameSingleObject(w.fingerprint, w.type.toBuffer({ ...point, tags: { k: 'v' }, unit: 'ms' }));
    const result = reader.read<MetricPoint>(buf, 'io.vigil.MetricPoint');
    expect(result.ok && result.value).toEqual({ ...point, tags: { k: 'v' } });
  });

  it('a v2 reader reads v1 records with the new field defaulted', () => {
    const upgraded = createSchemaRegistry([...committedSchemaDefinitions(), { ...v2, writerOnly: false }]);
    const v1 = upgraded.get('io.vigil.MetricPoint', 1)!;
    const result = new AvroRecordReader(upgraded).read(frameSingleObject(v1.fingerprint, v1.type.toBuffer({ ...point, tags: {} })));
    expect(result.ok && result.value).toEqual({ ...point, tags: {}, unit: null });
  });

  it('an incompatible writer is reported, not thrown', () => {
    const alertEntry = registry.latest('io.vigil.AlertEvent');
    const buf = frameSingleObject(alertEntry.fingerprint, alertEntry.type.toBuffer(alert));
    expect(reader.read(buf, 'io.vigil.MetricPoint')).toMatchObject({ ok: false, reason: 'incompatible-schema' });
    const renamed = createSchemaRegistry([
      ...committedSchemaDefinitions(),
      { schema: { ...evolution('metric-point.v0.avsc'), fields: [{ name: 'source', type: 'int' }] }, version: 9, id: 109, writerOnly: true },
    ]);
    const w = renamed.get('io.vigil.MetricPoint', 9)!;
    expect(new AvroRecordReader(renamed).read(frameSingleObject(w.fingerprint, w.type.toBuffer({ source: 3 })), 'io.vigil.MetricPoint')).toMatchObject({
      ok: false,
      reason: 'incompatible-schema',
    });
  });

  it("accepts the fingerprint Python's avro library stamps for the same schema", () => {
    const entry = getSchemaRegistry().latest('io.vigil.MetricPoint');
    expect(entry.aliasFingerprints).toHaveLength(1);
    const vector = JSON.parse(readFileSync(new URL('../../fixtures/avro/vectors.json', import.meta.url), 'utf8')).fingerprints['metric-point.v1.avsc'];
    expect(entry.aliasFingerprints[0].hex).toBe(vector.pythonLibrary.fingerprintHex);
    const buf = frameSingleObject(entry.aliasFingerprints[0], entry.type.toBuffer({ ...point, tags: {} }));
    expect(readFrame(buf, getSchemaRegistry())).toMatchObject({ ok: true, entry: { name: 'io.vigil.MetricPoint' } });
  });
});

describe('schema registry', () => {
  it('pins published fingerprints: an edited v1 fails to load', () => {
    const defs = committedSchemaDefinitions();
    const edited = defs.map((d) =>
      d.file === 'metric-point.v1.avsc' ? { ...d, schema: { ...d.schema, fields: [...(d.schema.fields as object[]), { name: 'x', type: 'int', default: 0 }] } } : d,
    );
    expect(() => createSchemaRegistry(edited)).toThrow(/published schema metric-point\.v1\.avsc changed.*add the change as a new version/);
  });
  it('rejects duplicate ids, versions and fingerprints', () => {
    const defs = committedSchemaDefinitions();
    expect(() => createSchemaRegistry([...defs, { ...defs[0], id: 77 }])).toThrow(/two schemas are io\.vigil\.MetricPoint v1/);
    expect(() => createSchemaRegistry([...defs, { ...defs[0], version: 5, id: 1 }])).toThrow(/share id 1/);
    expect(() => createSchemaRegistry([...defs, { ...defs[0], version: 5, id: 77 }])).toThrow(/same fingerprint/);
  });
  it('lists every committed schema with a fingerprint and an avsc type', () => {
    const registry = getSchemaRegistry();
    expect(registry.entries.map((e) => `${e.name} v${e.version}`).sort()).toEqual(
      ['AlertCommand v1', 'AlertEvent v1', 'AlertEvent v2', 'AnomalyEvent v1', 'CommandResult v1', 'CommandResult v2', 'IncidentEvent v1', 'IncidentEvent v2', 'LiveSnapshot v1', 'MetricPoint v1', 'SlaSnapshot v1'].map((n) => `io.vigil.${n}`),
    );
    for (const entry of registry.entries) {
      expect(registry.byFingerprint(entry.fingerprint.lo, entry.fingerprint.hi)).toBe(entry);
      expect(registry.byId(entry.id)).toBe(entry);
      expect(avro.Type.isType(entry.type)).toBe(true);
    }
  });
  it('an independent codec instance over the same registry agrees', () => {
    const codec = createEventCodec(getSchemaRegistry());
    expect(codec.decodeEvent(encodeEvent('alert', alert))).toEqual({ kind: 'alert', record: { ...alert } });
  });
});

const incidentAlert: IncidentAlert = {
  alertId: 'a1', fingerprint: 's|m|r', source: 's', metric: 'm', ruleId: 'r', kind: 'threshold', severity: 'high', status: 'firing',
  inhibited: false, value: 3, threshold: 2, message: 'm above 2', openedAt: 1_700_000_000_000, updatedAt: 1_700_000_000_000, version: 1, tags: { team: 'payments' },
};
const incident: IncidentEvent = {
  eventId: 'e', incidentId: 'i', groupKey: 'metric=m,source=s', groupLabels: { source: 's', metric: 'm' }, status: 'firing', severity: 'high',
  version: 1, timestamp: 1_700_000_000_000, openedAt: 1_700_000_000_000, title: 's/m', alerts: [incidentAlert], causeId: 'ae', causeAlertId: 'a1',
  actor: 'pipeline', reason: 'opened', comment: '',
};

describe('schemas match schemas/records.ts', () => {
  // Object literals typed as the interfaces: the compiler rejects a missing or an extra field,
  // so the key lists below are the interfaces' own.
  const samples: Record<EventKind, object> = {
    metric: { source: 's', metric: 'm', value: 1, timestamp: 1, tags: {} } satisfies MetricPoint,
    anomaly: { id: 'i', source: 's', metric: 'm', type: 'drop', version: 1, startTimestamp: 1, detectedTimestamp: 2, value: 1, expected: 2, zscore: -3, score: 0.5, confidence: 0.5, pointCount: 1 } satisfies AnomalyEvent,
    alert: { ...alert } satisfies AlertEvent,
    live: { source: 's', metric: 'm', timestamp: 1, value: 1, mean: 1, std: 0, zscore: 0, anomalyScore: 0 } satisfies LiveSnapshot,
    sla: { id: 'i', slaId: 'x', source: 's', metric: 'm', timestamp: 1, windowMs: 1, objective: 0.9, compliance: 1, good: 1, total: 1, errorBudgetRemaining: 1, burnRateFast: 0, burnRateSlow: 0, violated: false } satisfies SlaSnapshot,
    command: { commandId: 'c', type: 'acknowledge', alertId: 'a', source: 's', metric: 'm', actor: 'x', comment: '', issuedAt: 1 } satisfies AlertCommand,
    commandResult: { commandId: 'c', alertId: 'a', applied: false, status: 'unknown', reason: '', event: null } satisfies CommandResult,
    incident: incident satisfies IncidentEvent,
  };
  it('incident: the Avro IncidentAlert fields are exactly the interface fields', () => {
    const entry = createEventCodec().writerOf('incident');
    const alerts = (entry.schema.fields as Array<{ name: string; type: { items?: { fields: Array<{ name: string }> } } }>).find((f) => f.name === 'alerts')!;
    expect(alerts.type.items!.fields.map((f) => f.name).sort()).toEqual(Object.keys(incident.alerts[0]).sort());
  });
  it('incident: round-trips, and a severity or status outside the lists is refused', () => {
    expect(decodeEvent(encodeEvent('incident', incident))).toEqual({ kind: 'incident', record: incident });
    expect(() => encodeEvent('incident', { ...incident, severity: 'urgent' } as unknown as IncidentEvent)).toThrow(/severity: "urgent" is not one of/);
    expect(() => encodeEvent('incident', { ...incident, status: 'open' } as unknown as IncidentEvent)).toThrow(/status: "open" is not one of/);
    expect(() => encodeEvent('incident', { ...incident, groupLabels: { source: 3 } } as unknown as IncidentEvent)).toThrow(/groupLabels.source: 3 does not fit/);
  });
  it.each(Object.entries(samples))('%s: the Avro fields are exactly the interface fields', (kind, sample) => {
    const entry = createEventCodec().writerOf(kind as EventKind);
    const fields = (entry.schema.fields as Array<{ name: string }>).map((f) => f.name);
    expect([...fields].sort()).toEqual(Object.keys(sample).sort());
  });
});
