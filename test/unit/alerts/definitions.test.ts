import { describe, expect, it } from 'vitest';
import { STANDARD_METRICS, SEVERITIES, type ThresholdRule } from '../../../schemas/records.ts';
import {
  DefinitionSet,
  defaultConfigRecords,
  parseConfigRecord,
  validateRule,
  validateSla,
  type ConfigRecordResult,
} from '../../../pipeline/alerts/definitions.ts';
import { DEFAULT_RULES, DEFAULT_THRESHOLD_RULES } from '../../../pipeline/alerts/default-rules.ts';
import { DEFAULT_SLAS } from '../../../pipeline/sla/default-slas.ts';

const goodThreshold = {
  id: 'api.latency',
  kind: 'threshold',
  metric: 'response_time',
  source: 'api',
  direction: 'above',
  levels: [
    { severity: 'high', value: 2000 },
    { severity: 'critical', value: 5000 },
  ],
  forMs: 60_000,
  hysteresis: 50,
};

const goodSla = { id: 'api.latency', name: 'API latency', metric: 'response_time', comparator: 'lt', threshold: 500, objective: 0.99 };

function errorsOf(input: unknown): string[] {
  const v = validateRule(input);
  if (v.ok) throw new Error(`expected rejection of ${JSON.stringify(input).slice(0, 200)}`);
  return v.errors;
}

function rejected(result: ConfigRecordResult): string {
  if (result.ok) throw new Error('expected a rejection');
  return result.reason;
}

describe('default definitions', () => {
  it('cover the eight standard metrics with all five severities, and all pass validation', () => {
    expect(DEFAULT_THRESHOLD_RULES.map((r) => r.metric).sort()).toEqual([...STANDARD_METRICS].sort());
    for (const rule of DEFAULT_THRESHOLD_RULES) {
      expect(rule.levels.map((l) => l.severity)).toEqual([...SEVERITIES]);
      expect(rule.forMs).toBeGreaterThan(0);
      expect(rule.hysteresis).toBeGreaterThan(0);
    }
    for (const rule of DEFAULT_RULES) {
      const v = validateRule(JSON.parse(JSON.stringify(rule)));
      expect(v.ok ? [] : v.errors).toEqual([]);
    }
    for (const sla of DEFAULT_SLAS) {
      const v = validateSla(JSON.parse(JSON.stringify(sla)));
      expect(v.ok ? [] : v.errors).toEqual([]);
    }
  });

  it('map response_time, error_rate and availability to the documented SLAs', () => {
    const byMetric = Object.fromEntries(DEFAULT_SLAS.map((s) => [s.metric, s]));
    expect(byMetric.response_time).toMatchObject({ comparator: 'lt', threshold: 2000, objective: 0.95 });
    expect(byMetric.error_rate).toMatchObject({ comparator: 'lt', threshold: 1, objective: 0.99 });
    expect(byMetric.availability).toMatchObject({ comparator: 'gte', threshold: 99.9, objective: 0.99 });
  });

  it('seed records round-trip through parseConfigRecord', () => {
    const records = defaultConfigRecords();
    expect(records.length).toBe(DEFAULT_RULES.length + DEFAULT_SLAS.length);
    for (const r of records) {
      const parsed = parseConfigRecord(r.key, Buffer.from(JSON.stringify(r.value)));
      expect(parsed.ok ? '' : parsed.reason).toBe('');
      if (parsed.ok) {
        const value = parsed.change.kind === 'rule' ? parsed.change.rule : parsed.change.sla;
        expect(value).toEqual(r.value);
      }
    }
  });
});

describe('validateRule', () => {
  it('accepts a threshold rule, fills defaults and orders levels most severe first', () => {
    const v = validateRule(goodThreshold);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.value).toEqual({
      ...goodThreshold,
      levels: [
        { severity: 'critical', value: 5000 },
        { severity: 'high', value: 2000 },
      ],
      enabled: true,
      description: '',
    });
    expect(Object.isFrozen(v.value)).toBe(true);
  });

  it('accepts an anomaly rule with score levels and defaults', () => {
    const v = validateRule({ id: 'a', kind: 'anomaly', minScore: 0.8, severity: 'low', scoreLevels: [{ severity: 'high', value: 0.95 }] });
    expect(v.ok && v.value).toMatchObject({ metric: null, source: null, minConfidence: 0, scoreLevels: [{ severity: 'high', value: 0.95 }] });
  });

  it.each([
    ['NaN threshold', { ...goodThreshold, levels: [{ severity: 'high', value: NaN }] }, 'levels[0]: value: must be a finite number (got NaN)'],
    ['Infinity threshold', { ...goodThreshold, levels: [{ severity: 'high', value: Infinity }] }, 'must be a finite number (got Infinity)'],
    ['string threshold', { ...goodThreshold, levels: [{ severity: 'high', value: '2000' }] }, 'must be a finite number (got string)'],
    ['giant threshold', { ...goodThreshold, levels: [{ severity: 'high', value: 1e300 }] }, 'must be <= 1000000000000000'],
    ['unknown severity', { ...goodThreshold, levels: [{ severity: 'urgent', value: 1 }] }, 'severity: must be one of critical, high, medium, low, info (got "urgent")'],
    ['empty levels', { ...goodThreshold, levels: [] }, 'levels: must list at least one level'],
    ['levels not an array', { ...goodThreshold, levels: { high: 1 } }, 'levels: must be an array'],
    ['duplicate severity', { ...goodThreshold, levels: [{ severity: 'high', value: 1 }, { severity: 'high', value: 2 }] }, 'severity high appears more than once'],
    [
      'non-monotonic above',
      { ...goodThreshold, levels: [{ severity: 'critical', value: 100 }, { severity: 'high', value: 200 }] },
      'levels are not monotonic: critical (100) must be above high (200)',
    ],
    [
      'non-monotonic below',
      { ...goodThreshold, direction: 'below', levels: [{ severity: 'critical', value: 100 }, { severity: 'high', value: 50 }] },
      'levels are not monotonic: critical (100) must be below high (50)',
    ],
    ['equal bounds', { ...goodThreshold, levels: [{ severity: 'critical', value: 100 }, { severity: 'high', value: 100 }] }, 'not monotonic'],
    ['absurd forMs', { ...goodThreshold, forMs: 365 * 86_400_000 }, 'forMs: must be <= 86400000'],
    ['negative forMs', { ...goodThreshold, forMs: -1 }, 'forMs: must be >= 0'],
    ['fractional forMs', { ...goodThreshold, forMs: 1.5 }, 'forMs: must be an integer'],
    ['negative hysteresis', { ...goodThreshold, hysteresis: -5 }, 'hysteresis: must be >= 0'],
    ['id with a slash', { ...goodThreshold, id: 'a/b' }, 'id: "a/b" must match'],
    ['id with spaces', { ...goodThreshold, id: 'drop table' }, 'must match'],
    ['empty id', { ...goodThreshold, id: '' }, 'id: "" must match'],
    // Found by test/unit/fuzz/http-inputs.test.ts: clients drop dot-only path segments, so /rules/.. is unreachable.
    ['id "."', { ...goodThreshold, id: '.' }, 'id: "." must match'],
    ['id ".."', { ...goodThreshold, id: '..' }, 'id: ".." must match'],
    ['65-character id', { ...goodThreshold, id: 'x'.repeat(65) }, 'must match'],
    ['numeric id', { ...goodThreshold, id: 42 }, 'id: required string'],
    ['unknown kind', { ...goodThreshold, kind: 'magic' }, 'kind: must be one of threshold, anomaly'],
    ['missing direction', { ...goodThreshold, direction: undefined }, 'direction: required'],
    ['enabled as string', { ...goodThreshold, enabled: 'yes' }, 'enabled: must be true or false'],
    ['metric with control chars', { ...goodThreshold, metric: 'a\u0000b' }, 'metric: must not contain control characters'],
    ['empty metric', { ...goodThreshold, metric: '' }, 'metric: must not be empty'],
    ['1 MB description', { ...goodThreshold, description: 'x'.repeat(1_048_576) }, 'description: is 1048576 characters; the limit is 2000'],
    ['1 MB metric', { ...goodThreshold, metric: 'x'.repeat(1_048_576) }, 'metric: is 1048576 characters; the limit is 256'],
    ['extra field', { ...goodThreshold, severity: 'high' }, '"severity": unknown field'],
    ['anomaly minScore > 1', { id: 'a', kind: 'anomaly', minScore: 1.5, severity: 'low' }, 'minScore: must be <= 1'],
    ['anomaly without severity', { id: 'a', kind: 'anomaly', minScore: 0.5 }, 'severity: required'],
    [
      'anomaly score level milder than base',
      { id: 'a', kind: 'anomaly', minScore: 0.5, severity: 'high', scoreLevels: [{ severity: 'low', value: 0.9 }] },
      "level low must be more severe than the rule's base severity high",
    ],
    ['not an object', [goodThreshold], 'rule: must be a JSON object (got array)'],
    ['null', null, 'rule: must be a JSON object (got null)'],
    ['string', 'rule', 'rule: must be a JSON object (got string)'],
  ])('rejects %s with a clear reason', (_name, input, expected) => {
    const errors = errorsOf(input);
    expect(errors.join('\n')).toContain(expected);
  });

  it('rejects __proto__ and constructor keys instead of letting them through', () => {
    const hostile = JSON.parse(`{"id":"x","kind":"threshold","metric":"m","direction":"above","levels":[{"severity":"high","value":1}],"__proto__":{"enabled":false,"polluted":true}}`);
    expect(errorsOf(hostile).join()).toContain('"__proto__": unknown field');
    const levelProto = JSON.parse(`{"id":"x","kind":"threshold","metric":"m","direction":"above","levels":[{"severity":"high","value":1,"__proto__":{"x":1}}]}`);
    expect(errorsOf(levelProto).join()).toContain('levels[0]: "__proto__": unknown field');
    expect(errorsOf({ ...goodThreshold, constructor: 'x' }).join()).toContain('"constructor": unknown field');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('lists several problems at once, capped', () => {
    const errors = errorsOf({ id: 'bad id', kind: 'threshold', metric: 5, direction: 'sideways', forMs: NaN });
    expect(errors.length).toBeGreaterThanOrEqual(4);
    const many: Record<string, unknown> = { ...goodThreshold };
    for (let i = 0; i < 100; i++) many[`junk${i}`] = i;
    expect(errorsOf(many).length).toBe(20);
  });

  it('never throws, even on objects with throwing getters or odd prototypes', () => {
    const trap = { kind: 'threshold', get id(): string { throw new Error('boom'); } };
    expect(() => validateRule(trap)).not.toThrow();
    expect(errorsOf(trap).join()).toContain('boom');
    expect(errorsOf(new Date()).join()).toContain('must be a JSON object');
    expect(errorsOf(Object.create({ kind: 'threshold' })).join()).toContain('must be a JSON object');
  });
});

describe('validateSla', () => {
  it('accepts an SLA with defaults', () => {
    const v = validateSla(goodSla);
    expect(v.ok && v.value).toEqual({ ...goodSla, source: null, windowMs: 86_400_000, enabled: true });
  });

  it.each([
    ['objective of 1', { ...goodSla, objective: 1 }, 'objective: must be <= 0.99999'],
    ['objective of 95 (percent)', { ...goodSla, objective: 95 }, 'objective: must be <= 0.99999'],
    ['objective too low', { ...goodSla, objective: 0.1 }, 'objective: must be >= 0.5'],
    ['unknown comparator', { ...goodSla, comparator: '<' }, 'comparator: must be one of lt, lte, gt, gte (got "<")'],
    ['window too short', { ...goodSla, windowMs: 1000 }, 'windowMs: must be >= 60000'],
    ['window too long', { ...goodSla, windowMs: 400 * 86_400_000 }, 'windowMs: must be <='],
    ['NaN threshold', { ...goodSla, threshold: NaN }, 'threshold: must be a finite number'],
    ['missing metric', { ...goodSla, metric: undefined }, 'metric: required'],
    ['bad id', { ...goodSla, id: '../../etc' }, 'id: "../../etc" must match'],
    ['1 MB name', { ...goodSla, name: 'n'.repeat(1_048_576) }, 'name: is 1048576 characters'],
  ])('rejects %s', (_name, input, expected) => {
    const v = validateSla(input);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.errors.join('\n')).toContain(expected);
  });
});

describe('parseConfigRecord', () => {
  const body = (o: unknown) => Buffer.from(JSON.stringify(o));

  it('reads rule and SLA records, filling the id from the key', () => {
    const { id: _id, ...noId } = goodThreshold;
    const r = parseConfigRecord('rule/api.latency', body(noId));
    expect(r.ok && r.change.kind === 'rule' && r.change.rule?.id).toBe('api.latency');
    const s = parseConfigRecord('sla/api.latency', body(goodSla));
    expect(s.ok && s.change.kind === 'sla' && s.change.sla?.objective).toBe(0.99);
  });

  it('turns a null value into a delete', () => {
    expect(parseConfigRecord('rule/x', null)).toEqual({ ok: true, change: { kind: 'rule', id: 'x', rule: null } });
    expect(parseConfigRecord('sla/y', null)).toEqual({ ok: true, change: { kind: 'sla', id: 'y', sla: null } });
  });

  it.each([
    ['no prefix', 'x', body(goodThreshold), 'key must be "rule/<id>" or "sla/<id>"'],
    ['unknown prefix', 'alert/x', body(goodThreshold), 'key must be'],
    ['empty key', '', null, 'key must be'],
    ['bad id in key', 'rule/a b', body(goodThreshold), 'id "a b" in the key must match'],
    ['nested path in key', 'rule/a/b', null, 'id "a/b" in the key must match'],
    ['key/body id mismatch', 'rule/other', body(goodThreshold), 'value id "api.latency" differs from the key id "other"'],
    ['bad JSON', 'rule/x', Buffer.from('{"id": "x",'), 'value is not valid JSON'],
    ['JSON array', 'rule/x', body([1, 2]), 'value must be a JSON object (got array)'],
    ['JSON string', 'rule/x', body('rule'), 'value must be a JSON object (got string)'],
    ['JSON null literal', 'rule/x', Buffer.from('null'), 'value must be a JSON object (got null)'],
    ['invalid UTF-8', 'rule/x', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'value is not valid UTF-8'],
    ['1 MB value', 'rule/x', Buffer.alloc(1_048_576, 0x20), 'value is 1048576 bytes; the limit is 65536'],
    ['wrong types', 'rule/api.latency', body({ ...goodThreshold, forMs: '60s', levels: 'high' }), 'forMs: must be a finite number (got string)'],
    ['rule body under an sla key', 'sla/api.latency', body(goodThreshold), 'unknown field'],
    ['giant number', 'rule/api.latency', Buffer.from(JSON.stringify(goodThreshold).replace('60000', '1e400')), 'forMs: must be a finite number (got Infinity)'],
    ['__proto__ body', 'rule/x', Buffer.from('{"__proto__":{"kind":"threshold"},"kind":"anomaly","minScore":0.5,"severity":"low"}'), '"__proto__": unknown field'],
  ])('rejects %s with a reason, never throwing', (_name, key, value, expected) => {
    let result: ConfigRecordResult | undefined;
    expect(() => (result = parseConfigRecord(key, value))).not.toThrow();
    expect(rejected(result!)).toContain(expected);
  });

  it('survives a 1 MB key and deeply nested JSON', () => {
    const huge = parseConfigRecord(`rule/${'x'.repeat(1_048_576)}`, null);
    expect(rejected(huge)).toContain('in the key must match');
    expect(huge.ok ? 0 : huge.key.length).toBeLessThanOrEqual(201);
    const depth = 30_000;
    const nested = Buffer.from(`{"id":"x","kind":"threshold","description":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    expect(nested.byteLength).toBeLessThan(65_536);
    expect(rejected(parseConfigRecord('rule/x', nested))).toMatch(/description: must be a string \(got array\)|not valid JSON/);
  });

  it('survives a non-string key and a non-buffer value from a careless caller', () => {
    expect(rejected(parseConfigRecord(undefined as unknown as string, null))).toContain('key must be a string');
    expect(rejected(parseConfigRecord('rule/x', 'text' as unknown as Buffer))).toContain('value must be bytes or null');
  });
});

describe('DefinitionSet', () => {
  const rule = (over: Record<string, unknown>) => {
    const v = validateRule({ ...goodThreshold, ...over });
    if (!v.ok) throw new Error(v.errors.join());
    return v.value;
  };

  it('selects enabled rules and SLAs by metric and source, sorted by id', () => {
    const defs = new DefinitionSet();
    expect(defs.rulesFor('api', 'response_time').map((r) => r.id)).toEqual(['default.anomaly', 'default.response_time']);
    expect(defs.rulesFor('api', 'my_custom_metric').map((r) => r.id)).toEqual(['default.anomaly']);
    expect(defs.slasFor('api', 'availability').map((s) => s.id)).toEqual(['default.availability']);
    expect(defs.slasFor('api', 'cpu_usage')).toEqual([]);

    defs.apply({ kind: 'rule', id: 'api.latency', rule: rule({}) });
    expect(defs.rulesFor('api', 'response_time').map((r) => r.id)).toEqual(['api.latency', 'default.anomaly', 'default.response_time']);
    expect(defs.rulesFor('web', 'response_time').map((r) => r.id)).toEqual(['default.anomaly', 'default.response_time']);
  });

  it('overrides a default by id, disables it with enabled:false, and a tombstone brings the default back', () => {
    const defs = new DefinitionSet();
    const override = rule({ id: 'default.response_time', source: null, levels: [{ severity: 'low', value: 100 }] });
    defs.apply({ kind: 'rule', id: override.id, rule: override });
    expect(defs.rule('default.response_time')).toMatchObject({ levels: [{ severity: 'low', value: 100 }] });
    expect(defs.isDefault('rule', 'default.response_time')).toBe(false);

    defs.apply({ kind: 'rule', id: override.id, rule: { ...override, enabled: false } });
    expect(defs.rulesFor('api', 'response_time').map((r) => r.id)).toEqual(['default.anomaly']);

    defs.apply({ kind: 'rule', id: override.id, rule: null });
    expect((defs.rule('default.response_time') as ThresholdRule).levels).toHaveLength(5);
    expect(defs.isDefault('rule', 'default.response_time')).toBe(true);
    expect(defs.summary()).toMatchObject({ rules: 9, slas: 3, overrides: 0, revision: 3 });
  });

  it('a seeded copy of a default still counts as the default', () => {
    const defs = new DefinitionSet();
    for (const r of defaultConfigRecords()) {
      const parsed = parseConfigRecord(r.key, Buffer.from(JSON.stringify(r.value)));
      if (parsed.ok) defs.apply(parsed.change);
    }
    expect(defs.summary().overrides).toBe(12);
    expect(defs.isDefault('rule', 'default.cpu_usage')).toBe(true);
    expect(defs.isDefault('sla', 'default.error_rate')).toBe(true);
    const cpu = defs.rule('default.cpu_usage') as ThresholdRule;
    defs.apply({ kind: 'rule', id: cpu.id, rule: { ...cpu, forMs: 1000 } });
    expect(defs.isDefault('rule', 'default.cpu_usage')).toBe(false);
    expect(defs.isDefault('rule', 'no-such-rule')).toBe(false);
  });

  it('withChange leaves the original untouched', () => {
    const base = new DefinitionSet();
    const next = base.withChange({ kind: 'sla', id: 'default.availability', sla: null });
    const more = next.withChange({ kind: 'rule', id: 'x', rule: rule({ id: 'x' }) });
    expect(base.rule('x')).toBeUndefined();
    expect(more.rule('x')?.id).toBe('x');
    expect(DefinitionSet.of([], []).rules()).toEqual([]);
  });
});
