/**
 * The alert-rule and SLA definition model: validation of user-supplied definitions (API bodies,
 * records of the compacted `vigil.config` topic) and the set of definitions in force.
 *
 * Validation is hand-written so hostile input gets one precise message per problem
 * (`levels[1].value: must be a finite number`) and so nothing a caller sends — `__proto__` keys,
 * 1 MB strings, 1e400 — can reach an object we keep: definitions are rebuilt field by field from
 * a whitelist, and every validator returns a result instead of throwing.
 */
import {
  SEVERITIES,
  severityRank,
  type AnomalyRule,
  type Severity,
  type SlaDefinition,
  type ThresholdLevel,
  type ThresholdRule,
} from '../../schemas/records.ts';
import { DEFAULT_RULES } from './default-rules.ts';
import { DEFAULT_SLAS } from '../sla/default-slas.ts';

/**
 * An anomaly rule as Vigil runs it: `severity` is the floor, and `scoreLevels` raise it by
 * anomaly score (the most severe level whose score bound the finding reaches wins).
 */
export interface AnomalyRuleDefinition extends AnomalyRule {
  scoreLevels: ThresholdLevel[];
}
export type RuleDefinition = ThresholdRule | AnomalyRuleDefinition;

/** Not '.' or '..': the id is a URL path segment (/rules/{id}) and clients remove dot-only segments. */
export const ID_PATTERN = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,64}$/;

export const DEFINITION_LIMITS = {
  /** Thresholds and hysteresis beyond this are typos or attacks, not metrics. */
  maxAbsValue: 1e15,
  /** A breach that must hold more than a day before alerting is not an alert. */
  maxForMs: 86_400_000,
  minWindowMs: 60_000,
  maxWindowMs: 31 * 86_400_000,
  /** Budgets below 0.001 % cannot be measured from per-point counts in a day of data. */
  minObjective: 0.5,
  maxObjective: 0.99999,
  maxNameLength: 256,
  maxDescriptionLength: 2000,
  maxLevels: SEVERITIES.length,
  /** A `vigil.config` value larger than this is rejected before parsing. */
  maxRecordBytes: 65_536,
  maxErrors: 20,
} as const;

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: string[] };

// ---------------------------------------------------------------------------------------------
// Field readers: each records an error and returns undefined when the field is unusable.

class Reader {
  readonly errors: string[] = [];
  constructor(private readonly obj: Record<string, unknown>) {}

  fail(path: string, message: string): undefined {
    if (this.errors.length < DEFINITION_LIMITS.maxErrors) this.errors.push(`${path}: ${message}`);
    return undefined;
  }

  has(field: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, field) && this.obj[field] !== undefined;
  }

  raw(field: string): unknown {
    return this.has(field) ? this.obj[field] : undefined;
  }

  /** Rejects every key outside the whitelist, including `__proto__` and `constructor`. */
  onlyFields(allowed: readonly string[], path = ''): void {
    for (const key of Object.keys(this.obj)) {
      if (!allowed.includes(key)) this.fail(path + describeKey(key), `unknown field (allowed: ${allowed.join(', ')})`);
    }
  }

  id(field = 'id'): string | undefined {
    const v = this.raw(field);
    if (typeof v !== 'string') return this.fail(field, `required string matching ${ID_PATTERN} (got ${typeName(v)})`);
    if (!ID_PATTERN.test(v)) return this.fail(field, `${preview(v)} must match ${ID_PATTERN}`);
    return v;
  }

  name(field: string, opts: { optional?: string; nullable?: boolean } = {}): string | null | undefined {
    if (!this.has(field)) {
      if (opts.nullable) return null;
      if (opts.optional !== undefined) return opts.optional;
      return this.fail(field, 'required');
    }
    const v = this.obj[field];
    if (v === null && opts.nullable) return null;
    if (typeof v !== 'string') return this.fail(field, `must be a string${opts.nullable ? ' or null' : ''} (got ${typeName(v)})`);
    return checkName(this, field, v);
  }

  text(field: string, maxLength: number): string | undefined {
    if (!this.has(field)) return '';
    const v = this.obj[field];
    if (typeof v !== 'string') return this.fail(field, `must be a string (got ${typeName(v)})`);
    if (v.length > maxLength) return this.fail(field, `is ${v.length} characters; the limit is ${maxLength}`);
    return v;
  }

  bool(field: string, dflt: boolean): boolean | undefined {
    if (!this.has(field)) return dflt;
    const v = this.obj[field];
    if (typeof v !== 'boolean') return this.fail(field, `must be true or false (got ${typeName(v)})`);
    return v;
  }

  number(field: string, opts: { min?: number; max?: number; integer?: boolean; dflt?: number; exclusiveMin?: boolean } = {}): number | undefined {
    if (!this.has(field)) {
      if (opts.dflt !== undefined) return opts.dflt;
      return this.fail(field, 'required number');
    }
    return checkNumber(this, field, this.obj[field], opts);
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], dflt?: T): T | undefined {
    if (!this.has(field)) {
      if (dflt !== undefined) return dflt;
      return this.fail(field, `required, one of ${allowed.join(', ')}`);
    }
    const v = this.obj[field];
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      return this.fail(field, `must be one of ${allowed.join(', ')} (got ${typeof v === 'string' ? preview(v) : typeName(v)})`);
    }
    return v as T;
  }
}

function checkName(r: Reader, path: string, v: string): string | undefined {
  if (v.length === 0) return r.fail(path, 'must not be empty');
  if (v.length > DEFINITION_LIMITS.maxNameLength) return r.fail(path, `is ${v.length} characters; the limit is ${DEFINITION_LIMITS.maxNameLength}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) return r.fail(path, 'must not contain control characters');
  return v;
}

function checkNumber(
  r: Reader,
  path: string,
  v: unknown,
  opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean },
): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return r.fail(path, `must be a finite number (got ${typeName(v)})`);
  const min = opts.min ?? -DEFINITION_LIMITS.maxAbsValue;
  const max = opts.max ?? DEFINITION_LIMITS.maxAbsValue;
  if (opts.integer && !Number.isInteger(v)) return r.fail(path, `must be an integer (got ${v})`);
  if (opts.exclusiveMin ? v <= min : v < min) return r.fail(path, `must be ${opts.exclusiveMin ? '>' : '>='} ${min} (got ${v})`);
  if (v > max) return r.fail(path, `must be <= ${max} (got ${v})`);
  return v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v;
}

function preview(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

function describeKey(key: string): string {
  return key.length > 40 ? `${JSON.stringify(key.slice(0, 40))}…` : JSON.stringify(key);
}

/**
 * Severity levels: 1..5 entries, distinct severities, bounds strictly monotonic so that a more
 * severe level is always further out (`above`: higher, `below`: lower; for anomaly score levels:
 * higher). Returned most severe first.
 */
function readLevels(
  r: Reader,
  field: string,
  direction: 'above' | 'below',
  bounds: { min?: number; max?: number },
  allowEmpty: boolean,
): ThresholdLevel[] | undefined {
  const raw = r.raw(field);
  if (raw === undefined && allowEmpty) return [];
  if (!Array.isArray(raw)) return r.fail(field, `must be an array of {severity, value} (got ${typeName(raw)})`);
  if (raw.length === 0 && !allowEmpty) return r.fail(field, 'must list at least one level');
  if (raw.length > DEFINITION_LIMITS.maxLevels) return r.fail(field, `has ${raw.length} levels; at most ${DEFINITION_LIMITS.maxLevels} (one per severity)`);
  const levels: ThresholdLevel[] = [];
  const seen = new Set<string>();
  let bad = false;
  raw.forEach((item, i) => {
    const path = `${field}[${i}]`;
    if (!isPlainObject(item)) {
      r.fail(path, `must be an object {severity, value} (got ${typeName(item)})`);
      bad = true;
      return;
    }
    const lr = new Reader(item);
    lr.onlyFields(['severity', 'value']);
    const severity = lr.oneOf('severity', SEVERITIES);
    const value = lr.number('value', bounds);
    for (const e of lr.errors) r.fail(path, e);
    if (severity === undefined || value === undefined) {
      bad = true;
      return;
    }
    if (seen.has(severity)) {
      r.fail(path, `severity ${severity} appears more than once`);
      bad = true;
      return;
    }
    seen.add(severity);
    levels.push({ severity, value });
  });
  if (bad) return undefined;
  levels.sort((a, b) => severityRank[a.severity] - severityRank[b.severity]);
  for (let i = 1; i < levels.length; i++) {
    const worse = levels[i - 1];
    const milder = levels[i];
    const ok = direction === 'above' ? worse.value > milder.value : worse.value < milder.value;
    if (!ok) {
      return r.fail(
        field,
        `levels are not monotonic: ${worse.severity} (${worse.value}) must be ${direction === 'above' ? 'above' : 'below'} ${milder.severity} (${milder.value})`,
      );
    }
  }
  return levels;
}

const THRESHOLD_FIELDS = ['id', 'kind', 'metric', 'source', 'direction', 'levels', 'forMs', 'hysteresis', 'enabled', 'description'] as const;
const ANOMALY_FIELDS = ['id', 'kind', 'metric', 'source', 'minScore', 'minConfidence', 'severity', 'scoreLevels', 'enabled', 'description'] as const;
const SLA_FIELDS = ['id', 'name', 'metric', 'source', 'comparator', 'threshold', 'objective', 'windowMs', 'enabled'] as const;

/**
 * Validates an alert rule from untrusted input. Optional fields get defaults: source null (every
 * source), enabled true, description '', forMs 0, hysteresis 0, scoreLevels [].
 */
export function validateRule(input: unknown): Validation<RuleDefinition> {
  try {
    if (!isPlainObject(input)) return { ok: false, errors: [`rule: must be a JSON object (got ${typeName(input)})`] };
    const r = new Reader(input);
    const kind = r.oneOf('kind', ['threshold', 'anomaly'] as const);
    if (kind === undefined) return { ok: false, errors: r.errors };
    r.onlyFields(kind === 'threshold' ? THRESHOLD_FIELDS : ANOMALY_FIELDS);
    const id = r.id();
    const source = r.name('source', { nullable: true });
    const enabled = r.bool('enabled', true);
    const description = r.text('description', DEFINITION_LIMITS.maxDescriptionLength);
    if (kind === 'threshold') {
      const metric = r.name('metric');
      const direction = r.oneOf('direction', ['above', 'below'] as const);
      const levels = direction ? readLevels(r, 'levels', direction, {}, false) : undefined;
      const forMs = r.number('forMs', { min: 0, max: DEFINITION_LIMITS.maxForMs, integer: true, dflt: 0 });
      const hysteresis = r.number('hysteresis', { min: 0, dflt: 0 });
      if (r.errors.length > 0) return { ok: false, errors: r.errors };
      const rule: ThresholdRule = {
        id: id!,
        kind,
        metric: metric!,
        source: source ?? null,
        direction: direction!,
        levels: levels!,
        forMs: forMs!,
        hysteresis: hysteresis!,
        enabled: enabled!,
        description: description!,
      };
      return { ok: true, value: deepFreeze(rule) };
    }
    const metric = r.name('metric', { nullable: true });
    const minScore = r.number('minScore', { min: 0, max: 1 });
    const minConfidence = r.number('minConfidence', { min: 0, max: 1, dflt: 0 });
    const severity = r.oneOf('severity', SEVERITIES);
    const scoreLevels = readLevels(r, 'scoreLevels', 'above', { min: 0, max: 1 }, true);
    if (severity !== undefined && scoreLevels !== undefined) {
      for (const level of scoreLevels) {
        if (severityRank[level.severity] >= severityRank[severity]) {
          r.fail('scoreLevels', `level ${level.severity} must be more severe than the rule's base severity ${severity}`);
        }
      }
    }
    if (r.errors.length > 0) return { ok: false, errors: r.errors };
    const rule: AnomalyRuleDefinition = {
      id: id!,
      kind,
      metric: metric ?? null,
      source: source ?? null,
      minScore: minScore!,
      minConfidence: minConfidence!,
      severity: severity!,
      scoreLevels: scoreLevels!,
      enabled: enabled!,
      description: description!,
    };
    return { ok: true, value: deepFreeze(rule) };
  } catch (cause) {
    return { ok: false, errors: [`rule: could not be read (${(cause as Error)?.message ?? String(cause)})`] };
  }
}

/** Validates an SLA definition from untrusted input. Defaults: name = id, source null, windowMs 24 h, enabled true. */
export function validateSla(input: unknown): Validation<SlaDefinition> {
  try {
    if (!isPlainObject(input)) return { ok: false, errors: [`sla: must be a JSON object (got ${typeName(input)})`] };
    const r = new Reader(input);
    r.onlyFields(SLA_FIELDS);
    const id = r.id();
    const name = r.name('name', { optional: id ?? '' });
    const metric = r.name('metric');
    const source = r.name('source', { nullable: true });
    const comparator = r.oneOf('comparator', ['lt', 'lte', 'gt', 'gte'] as const);
    const threshold = r.number('threshold');
    const objective = r.number('objective', { min: DEFINITION_LIMITS.minObjective, max: DEFINITION_LIMITS.maxObjective });
    const windowMs = r.number('windowMs', {
      min: DEFINITION_LIMITS.minWindowMs,
      max: DEFINITION_LIMITS.maxWindowMs,
      integer: true,
      dflt: 86_400_000,
    });
    const enabled = r.bool('enabled', true);
    if (r.errors.length > 0) return { ok: false, errors: r.errors };
    const sla: SlaDefinition = {
      id: id!,
      name: name!,
      metric: metric!,
      source: source ?? null,
      comparator: comparator!,
      threshold: threshold!,
      objective: objective!,
      windowMs: windowMs!,
      enabled: enabled!,
    };
    return { ok: true, value: deepFreeze(sla) };
  } catch (cause) {
    return { ok: false, errors: [`sla: could not be read (${(cause as Error)?.message ?? String(cause)})`] };
  }
}

/** Freezes an object and everything in it (definitions and silences are shared, never changed). */
export function deepFreeze<T>(obj: T): T {
  if (typeof obj === 'object' && obj !== null && !Object.isFrozen(obj)) {
    Object.freeze(obj);
    for (const v of Object.values(obj)) deepFreeze(v);
  }
  return obj;
}

// ---------------------------------------------------------------------------------------------
// vigil.config records

export type ConfigChange =
  | { kind: 'rule'; id: string; rule: RuleDefinition | null }
  | { kind: 'sla'; id: string; sla: SlaDefinition | null };

export type ConfigRecordResult = { ok: true; change: ConfigChange } | { ok: false; key: string; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads one record of the compacted `vigil.config` topic: key `rule/<id>` or `sla/<id>`, value
 * JSON, null = tombstone (drop the override; a default with that id comes back — see
 * DefinitionSet). Never throws: anything unusable comes back as a rejection with its reason, for
 * the caller to log and count.
 */
export function parseConfigRecord(key: string, value: Buffer | Uint8Array | null | undefined): ConfigRecordResult {
  const keyText = typeof key === 'string' ? key : String(key);
  const reject = (reason: string): ConfigRecordResult => ({ ok: false, key: keyText.length > 200 ? `${keyText.slice(0, 200)}…` : keyText, reason });
  try {
    if (typeof key !== 'string') return reject(`key must be a string (got ${typeName(key)})`);
    const m = /^(rule|sla)\/(.*)$/s.exec(key);
    if (!m) return reject('key must be "rule/<id>" or "sla/<id>"');
    const kind = m[1] as 'rule' | 'sla';
    const id = m[2];
    if (!ID_PATTERN.test(id)) return reject(`id ${preview(id)} in the key must match ${ID_PATTERN}`);
    if (value === null || value === undefined) {
      return { ok: true, change: kind === 'rule' ? { kind, id, rule: null } : { kind, id, sla: null } };
    }
    if (!(value instanceof Uint8Array)) return reject(`value must be bytes or null (got ${typeName(value)})`);
    if (value.byteLength > DEFINITION_LIMITS.maxRecordBytes) {
      return reject(`value is ${value.byteLength} bytes; the limit is ${DEFINITION_LIMITS.maxRecordBytes}`);
    }
    let text: string;
    try {
      text = utf8.decode(value);
    } catch {
      return reject('value is not valid UTF-8');
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (cause) {
      return reject(`value is not valid JSON: ${(cause as Error).message}`);
    }
    if (!isPlainObject(body)) return reject(`value must be a JSON object (got ${typeName(body)})`);
    if (Object.prototype.hasOwnProperty.call(body, 'id')) {
      if (body.id !== id) return reject(`value id ${typeof body.id === 'string' ? preview(body.id) : typeName(body.id)} differs from the key id ${preview(id)}`);
    } else {
      body = { ...body, id };
    }
    if (kind === 'rule') {
      const v = validateRule(body);
      return v.ok ? { ok: true, change: { kind, id, rule: v.value } } : reject(v.errors.join('; '));
    }
    const v = validateSla(body);
    return v.ok ? { ok: true, change: { kind, id, sla: v.value } } : reject(v.errors.join('; '));
  } catch (cause) {
    return reject(`unreadable record: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** The topic key a definition is stored under. */
export function configKeyOf(kind: 'rule' | 'sla', id: string): string {
  return `${kind}/${id}`;
}

// ---------------------------------------------------------------------------------------------
// The definitions in force

/** JSON with object keys sorted, so equal definitions compare equal whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function appliesTo(def: { source: string | null; metric: string | null }, source: string, metric: string): boolean {
  return (def.source === null || def.source === source) && (def.metric === null || def.metric === metric);
}

function byId<T extends { id: string }>(a: T, b: T): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The rules and SLAs in force: built-in defaults overlaid by `vigil.config` records.
 *
 * `apply` changes the set in place (the config follower feeds it record by record);
 * `withChange` gives a changed copy. The definitions inside are frozen, so a monitor may keep the
 * ones it selected; monitors re-select on `SeriesMonitor.setDefinitions`.
 *
 * A tombstone removes the override, so a default with that id comes back. Defaults are switched
 * off by writing them with `enabled: false`, not by deleting them: compaction eventually drops
 * tombstones, and an instance that reads the topic later would resurrect a deleted default
 * while older instances had it removed.
 */
export class DefinitionSet {
  private readonly defaultRules: Map<string, RuleDefinition>;
  private readonly defaultSlas: Map<string, SlaDefinition>;
  private readonly ruleOverrides = new Map<string, RuleDefinition>();
  private readonly slaOverrides = new Map<string, SlaDefinition>();
  /** Counts applied changes: lets a holder tell whether the set moved since it last looked. */
  private changes = 0;

  /** Without arguments: the built-in rules and SLAs (default-rules.ts, ../sla/default-slas.ts). */
  constructor(base: { rules?: readonly RuleDefinition[]; slas?: readonly SlaDefinition[] } = {}) {
    this.defaultRules = new Map((base.rules ?? DEFAULT_RULES).map((r) => [r.id, deepFreeze(r)]));
    this.defaultSlas = new Map((base.slas ?? DEFAULT_SLAS).map((s) => [s.id, deepFreeze(s)]));
  }

  static defaults(): DefinitionSet {
    return new DefinitionSet();
  }

  /** A set with exactly these base definitions (tests, or a deployment without defaults). */
  static of(rules: readonly RuleDefinition[], slas: readonly SlaDefinition[]): DefinitionSet {
    return new DefinitionSet({ rules, slas });
  }

  /** Applies one config change in place. */
  apply(change: ConfigChange): void {
    if (change.kind === 'rule') {
      if (change.rule === null) this.ruleOverrides.delete(change.id);
      else this.ruleOverrides.set(change.id, deepFreeze(change.rule));
    } else if (change.sla === null) {
      this.slaOverrides.delete(change.id);
    } else {
      this.slaOverrides.set(change.id, deepFreeze(change.sla));
    }
    this.changes++;
  }

  clone(): DefinitionSet {
    const copy = new DefinitionSet({ rules: [...this.defaultRules.values()], slas: [...this.defaultSlas.values()] });
    for (const [id, r] of this.ruleOverrides) copy.ruleOverrides.set(id, r);
    for (const [id, s] of this.slaOverrides) copy.slaOverrides.set(id, s);
    copy.changes = this.changes;
    return copy;
  }

  /** A copy with one change applied; this set is untouched. */
  withChange(change: ConfigChange): DefinitionSet {
    const copy = this.clone();
    copy.apply(change);
    return copy;
  }

  withChanges(changes: Iterable<ConfigChange>): DefinitionSet {
    const copy = this.clone();
    for (const c of changes) copy.apply(c);
    return copy;
  }

  get revision(): number {
    return this.changes;
  }

  /** Every rule in force (enabled or not), by id. */
  rules(): RuleDefinition[] {
    const ids = new Set([...this.defaultRules.keys(), ...this.ruleOverrides.keys()]);
    return [...ids].map((id) => this.rule(id)!).sort(byId);
  }

  slas(): SlaDefinition[] {
    const ids = new Set([...this.defaultSlas.keys(), ...this.slaOverrides.keys()]);
    return [...ids].map((id) => this.sla(id)!).sort(byId);
  }

  rule(id: string): RuleDefinition | undefined {
    return this.ruleOverrides.get(id) ?? this.defaultRules.get(id);
  }

  sla(id: string): SlaDefinition | undefined {
    return this.slaOverrides.get(id) ?? this.defaultSlas.get(id);
  }

  /**
   * True when the id is a built-in and what is in force is the built-in itself: no config record,
   * or one equal to the default (the pipeline seeds an empty config topic with the defaults).
   */
  isDefault(kind: 'rule' | 'sla', id: string): boolean {
    const base = kind === 'rule' ? this.defaultRules.get(id) : this.defaultSlas.get(id);
    if (!base) return false;
    const override = kind === 'rule' ? this.ruleOverrides.get(id) : this.slaOverrides.get(id);
    return override === undefined || canonicalJson(override) === canonicalJson(base);
  }

  /** Enabled rules that apply to the series, sorted by id (the order the monitor evaluates them in). */
  rulesFor(source: string, metric: string): RuleDefinition[] {
    return this.rules().filter((r) => r.enabled && appliesTo(r, source, metric));
  }

  /** Enabled SLAs that apply to the series, sorted by id. */
  slasFor(source: string, metric: string): SlaDefinition[] {
    return this.slas().filter((s) => s.enabled && appliesTo(s, source, metric));
  }

  /** Counts for logs and health output. */
  summary(): { rules: number; enabledRules: number; slas: number; enabledSlas: number; overrides: number; revision: number } {
    const rules = this.rules();
    const slas = this.slas();
    return {
      rules: rules.length,
      enabledRules: rules.filter((r) => r.enabled).length,
      slas: slas.length,
      enabledSlas: slas.filter((s) => s.enabled).length,
      overrides: this.ruleOverrides.size + this.slaOverrides.size,
      revision: this.changes,
    };
  }
}

/**
 * The built-in definitions as `vigil.config` records (key + JSON-able value), for seeding an
 * empty config topic so operators can see and edit them.
 */
export function defaultConfigRecords(): Array<{ key: string; value: RuleDefinition | SlaDefinition }> {
  return [
    ...DEFAULT_RULES.map((r) => ({ key: configKeyOf('rule', r.id), value: r })),
    ...DEFAULT_SLAS.map((s) => ({ key: configKeyOf('sla', s.id), value: s })),
  ];
}

/** Severity of an anomaly finding under a rule: the most severe score level reached, else the base. */
export function anomalySeverity(rule: AnomalyRuleDefinition, score: number): Severity {
  for (const level of rule.scoreLevels ?? []) if (score >= level.value) return level.severity;
  return rule.severity;
}
