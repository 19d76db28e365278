/**
 * A silence: matchers, a time range, who made it and why, and optionally a recurring schedule
 * (a maintenance window, which applies only inside its windows between startsAt and endsAt).
 * Silenced alerts are still recorded and shown; only notifications are held back.
 *
 * Two readers of untrusted input: `validateSilenceRequest` for what an operator sends (the API),
 * `parseSilenceRecord` for records of the config topic (what an instance reads back). Both rebuild
 * the silence field by field from a whitelist and return errors instead of throwing.
 */
import { compileMatcher, matchesAll, MATCHER_LIMITS, type CompiledMatcher, type Matcher } from './matchers.ts';
import { inWindow, validateRecurrence, type Recurrence } from './recurrence.ts';
import { isPlainObject, preview, typeName, unknownFields, type Validation } from './input.ts';
import { deepFreeze } from '../../pipeline/alerts/definitions.ts';

export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: number; // epoch ms
  endsAt: number; // epoch ms; expiring a silence sets it to the time of expiry
  createdBy: string;
  comment: string;
  /** null = one continuous range; else a maintenance window recurring inside the range. */
  schedule: Recurrence | null;
  /** 1 on creation, +1 per update or expiry: the newest version wins everywhere. */
  version: number;
  updatedAt: number;
  updatedBy: string;
}

export type SilenceState = 'pending' | 'active' | 'expired';

/** Not '.' or '..': the id is a URL path segment (/silences/{id}) and clients remove dot-only segments. */
export const SILENCE_ID_PATTERN = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,64}$/;

export const SILENCE_LIMITS = {
  maxCommentLength: 2000,
  maxCreatedByLength: 256,
  /** Longer than this is not a silence but a deleted alert rule. */
  maxDurationMs: 10 * 366 * 86_400_000,
  /** Timestamps outside [2000, 2200) are typos (seconds for milliseconds, or the reverse). */
  minTimestamp: Date.UTC(2000, 0, 1),
  maxTimestamp: Date.UTC(2200, 0, 1),
  /** A topic value larger than this is rejected before parsing. */
  maxRecordBytes: 65_536,
} as const;

/** What an operator asks for: POST /api/v1/silences (with `id`: update that silence). */
export interface SilenceRequest {
  id: string | null;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string | null;
  comment: string;
  schedule: Recurrence | null;
}

const REQUEST_FIELDS = ['id', 'matchers', 'startsAt', 'endsAt', 'createdBy', 'comment', 'schedule'] as const;
const RECORD_FIELDS = ['id', 'matchers', 'startsAt', 'endsAt', 'createdBy', 'comment', 'schedule', 'version', 'updatedAt', 'updatedBy'] as const;

/** Reads and compiles a matcher list: at least one, and not all of them matching an empty label. */
export function readMatchers(input: unknown, path = 'matchers'): Validation<CompiledMatcher[]> {
  if (!Array.isArray(input)) return { ok: false, errors: [`${path}: must be an array of {name, op, value} (got ${typeName(input)})`] };
  if (input.length === 0) return { ok: false, errors: [`${path}: must list at least one matcher (an empty set would silence everything)`] };
  if (input.length > MATCHER_LIMITS.maxMatchers) return { ok: false, errors: [`${path}: has ${input.length} matchers; the limit is ${MATCHER_LIMITS.maxMatchers}`] };
  const errors: string[] = [];
  const matchers: CompiledMatcher[] = [];
  input.forEach((item, i) => {
    const at = `${path}[${i}]`;
    if (!isPlainObject(item)) {
      errors.push(`${at}: must be an object {name, op, value} (got ${typeName(item)})`);
      return;
    }
    const extra = unknownFields(item, ['name', 'op', 'value'], at);
    if (extra.length > 0) {
      errors.push(...extra);
      return;
    }
    const result = compileMatcher(item);
    if (result.ok) matchers.push(result.matcher);
    else errors.push(`${at}: ${result.error}`);
  });
  if (errors.length > 0) return { ok: false, errors };
  // As Alertmanager: a silence whose every matcher also matches a missing label would match
  // every alert — almost always a mistake, and one that hides everything.
  if (matchers.every((m) => m.test(''))) {
    return { ok: false, errors: [`${path}: every matcher also matches an empty label, so this would silence every alert; add a matcher that names something (e.g. source="api")`] };
  }
  return { ok: true, value: matchers };
}

/** ISO-8601 text with a zone (`2026-12-06T02:00:00Z`) or epoch milliseconds. */
function readTimestamp(v: unknown, path: string, errors: string[]): number | undefined {
  let ms: number;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) {
      errors.push(`${path}: must be epoch milliseconds (an integer) or ISO-8601 text (got ${typeName(v)})`);
      return undefined;
    }
    ms = v;
  } else if (typeof v === 'string') {
    if (v.length > 40 || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(v)) {
      errors.push(`${path}: ${preview(v)} is not ISO-8601 with a zone (e.g. "2026-12-06T02:00:00Z")`);
      return undefined;
    }
    ms = Date.parse(v);
    if (!Number.isFinite(ms)) {
      errors.push(`${path}: ${preview(v)} is not a real date`);
      return undefined;
    }
  } else {
    errors.push(`${path}: must be ISO-8601 text or epoch milliseconds (got ${typeName(v)})`);
    return undefined;
  }
  if (ms < SILENCE_LIMITS.minTimestamp || ms >= SILENCE_LIMITS.maxTimestamp) {
    // Beyond ±8.64e15 ms a Date is invalid and toISOString throws: show the number itself.
    const shown = Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
    errors.push(`${path}: ${shown} is outside 2000–2200 (seconds given as milliseconds?)`);
    return undefined;
  }
  return ms;
}

function readText(obj: Record<string, unknown>, field: string, max: number, errors: string[], opts: { required?: boolean } = {}): string | undefined {
  const v = obj[field];
  if (v === undefined || v === null) {
    if (opts.required) errors.push(`${field}: required (say why the alerts are silenced)`);
    return opts.required ? undefined : '';
  }
  if (typeof v !== 'string') {
    errors.push(`${field}: must be a string (got ${typeName(v)})`);
    return undefined;
  }
  if (v.length > max) {
    errors.push(`${field}: is ${v.length} characters; the limit is ${max}`);
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(v)) {
    errors.push(`${field}: must not contain control characters`);
    return undefined;
  }
  if (opts.required && v.trim() === '') {
    errors.push(`${field}: must not be empty (say why the alerts are silenced)`);
    return undefined;
  }
  return v;
}

function readId(v: unknown, errors: string[]): string | undefined {
  if (typeof v !== 'string' || !SILENCE_ID_PATTERN.test(v)) {
    errors.push(`id: must match ${SILENCE_ID_PATTERN} (got ${typeof v === 'string' ? preview(v) : typeName(v)})`);
    return undefined;
  }
  return v;
}

interface CommonFields {
  matchers: CompiledMatcher[];
  startsAt: number;
  endsAt: number;
  comment: string;
  schedule: Recurrence | null;
}

function readCommon(obj: Record<string, unknown>, errors: string[], startsAtDefault: number | undefined): Partial<CommonFields> {
  const matchers = readMatchers(obj.matchers);
  if (!matchers.ok) errors.push(...matchers.errors);
  const startsAt = obj.startsAt === undefined && startsAtDefault !== undefined ? startsAtDefault : readTimestamp(obj.startsAt, 'startsAt', errors);
  const endsAt = readTimestamp(obj.endsAt, 'endsAt', errors);
  const comment = readText(obj, 'comment', SILENCE_LIMITS.maxCommentLength, errors, { required: true });
  let schedule: Recurrence | null | undefined = null;
  if (obj.schedule !== undefined && obj.schedule !== null) {
    const r = validateRecurrence(obj.schedule);
    if (r.ok) schedule = r.value;
    else {
      errors.push(...r.errors);
      schedule = undefined;
    }
  }
  if (startsAt !== undefined && endsAt !== undefined && endsAt - startsAt > SILENCE_LIMITS.maxDurationMs) {
    errors.push(`endsAt: a silence may last at most ${SILENCE_LIMITS.maxDurationMs / 86_400_000} days`);
  }
  return { matchers: matchers.ok ? matchers.value : undefined, startsAt, endsAt, comment, schedule: schedule ?? undefined };
}

/**
 * Validates an operator's silence. startsAt defaults to now; endsAt must be after startsAt and
 * after now (a silence that is over before it is made would do nothing).
 */
export function validateSilenceRequest(input: unknown, now: number): Validation<SilenceRequest> {
  try {
    if (!isPlainObject(input)) return { ok: false, errors: [`silence: must be a JSON object (got ${typeName(input)})`] };
    const errors = unknownFields(input, REQUEST_FIELDS, '');
    const id = input.id === undefined || input.id === null ? null : readId(input.id, errors);
    const common = readCommon(input, errors, now);
    const createdBy = input.createdBy === undefined || input.createdBy === null ? null : readText(input, 'createdBy', SILENCE_LIMITS.maxCreatedByLength, errors);
    const { startsAt, endsAt } = common;
    if (startsAt !== undefined && endsAt !== undefined) {
      if (endsAt <= startsAt) errors.push(`endsAt: ${new Date(endsAt).toISOString()} must be after startsAt ${new Date(startsAt).toISOString()}`);
      else if (endsAt <= now) errors.push(`endsAt: ${new Date(endsAt).toISOString()} is already past`);
    }
    if (errors.length > 0) return { ok: false, errors };
    return {
      ok: true,
      value: {
        id: id ?? null,
        matchers: common.matchers!.map(({ name, op, value }) => ({ name, op, value })),
        startsAt: startsAt!,
        endsAt: endsAt!,
        createdBy: createdBy === '' ? null : (createdBy ?? null),
        comment: common.comment!,
        schedule: common.schedule ?? null,
      },
    };
  } catch (cause) {
    return { ok: false, errors: [`silence: could not be read (${(cause as Error)?.message ?? String(cause)})`] };
  }
}

/** A silence with its matchers compiled, as a SilenceSet keeps it. */
export interface CompiledSilence {
  silence: Silence;
  matchers: CompiledMatcher[];
}

/** Validates a full silence (a config-topic record) and compiles it. */
export function compileSilence(input: unknown): Validation<CompiledSilence> {
  try {
    if (!isPlainObject(input)) return { ok: false, errors: [`silence: must be a JSON object (got ${typeName(input)})`] };
    const errors = unknownFields(input, RECORD_FIELDS, '');
    const id = readId(input.id, errors);
    const common = readCommon(input, errors, undefined);
    const createdBy = readText(input, 'createdBy', SILENCE_LIMITS.maxCreatedByLength, errors);
    const updatedBy = readText(input, 'updatedBy', SILENCE_LIMITS.maxCreatedByLength, errors);
    const updatedAt = readTimestamp(input.updatedAt, 'updatedAt', errors);
    const version = input.version;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > 1e9) {
      errors.push(`version: must be an integer >= 1 (got ${typeName(version)})`);
    }
    if (common.startsAt !== undefined && common.endsAt !== undefined && common.endsAt < common.startsAt) {
      errors.push('endsAt: must not be before startsAt');
    }
    if (errors.length > 0) return { ok: false, errors };
    const silence: Silence = {
      id: id!,
      matchers: common.matchers!.map(({ name, op, value }) => ({ name, op, value })),
      startsAt: common.startsAt!,
      endsAt: common.endsAt!,
      createdBy: createdBy!,
      comment: common.comment!,
      schedule: common.schedule ?? null,
      version: version as number,
      updatedAt: updatedAt!,
      updatedBy: updatedBy!,
    };
    return { ok: true, value: { silence: deepFreeze(silence), matchers: common.matchers! } };
  } catch (cause) {
    return { ok: false, errors: [`silence: could not be read (${(cause as Error)?.message ?? String(cause)})`] };
  }
}

/** Expired from endsAt on; pending before startsAt and, for a maintenance window, between windows. */
export function silenceState(s: Pick<Silence, 'startsAt' | 'endsAt' | 'schedule'>, now: number): SilenceState {
  if (now >= s.endsAt) return 'expired';
  if (now < s.startsAt) return 'pending';
  if (s.schedule && !inWindow(s.schedule, now)) return 'pending';
  return 'active';
}

/** Does this silence mute an alert with these labels at `now`? */
export function silences(c: CompiledSilence, labels: Readonly<Record<string, string>>, now: number): boolean {
  const s = c.silence;
  // Cheapest first: the range, then the matchers, and the wall-clock window (Intl) last.
  if (now < s.startsAt || now >= s.endsAt) return false;
  if (!matchesAll(c.matchers, labels)) return false;
  return !s.schedule || inWindow(s.schedule, now);
}

/** The new silence an operator's request makes (or the next version of an existing one). */
export function silenceFromRequest(req: SilenceRequest, ctx: { id: string; actor: string; now: number; previous?: Silence }): Silence {
  return {
    id: ctx.id,
    matchers: req.matchers,
    startsAt: req.startsAt,
    endsAt: req.endsAt,
    createdBy: req.createdBy ?? ctx.previous?.createdBy ?? ctx.actor,
    comment: req.comment,
    schedule: req.schedule,
    version: (ctx.previous?.version ?? 0) + 1,
    updatedAt: ctx.now,
    updatedBy: ctx.actor,
  };
}

/**
 * The silence expired at `now`: endsAt = now (and startsAt too when it had not started yet, so
 * the range stays valid). Expiring an expired silence changes nothing (returns null).
 */
export function expiredSilence(s: Silence, ctx: { actor: string; now: number }): Silence | null {
  if (ctx.now >= s.endsAt) return null;
  return { ...s, startsAt: Math.min(s.startsAt, ctx.now), endsAt: ctx.now, version: s.version + 1, updatedAt: ctx.now, updatedBy: ctx.actor };
}
