/**
 * Label matchers as Alertmanager has them: `name op value` with op one of =, !=, =~, !~.
 * A missing label reads as the empty string, and regexes are anchored (`^(?:re)$`), so a
 * silence written for Alertmanager means the same thing here.
 *
 * Regexes come from operators over HTTP and run against every alert, so they are checked before
 * they are kept: bounded length, no constructs RE2 (Alertmanager's engine) refuses
 * (backreferences, lookaround), and no unbounded repetition of a group that itself repeats or
 * alternates — the shapes (`(a+)+`, `(a|a)*`) that make a backtracking engine take exponential
 * time. Each regex is compiled once, when the matcher is validated.
 */

import { preview } from './input.ts';

export const MATCHER_OPS = ['=', '!=', '=~', '!~'] as const;
export type MatcherOp = (typeof MATCHER_OPS)[number];

/** A matcher as stored and sent over the wire. */
export interface Matcher {
  name: string;
  op: MatcherOp;
  value: string;
}

/** A validated matcher with its regex compiled (for =~ and !~). */
export interface CompiledMatcher extends Matcher {
  readonly test: (labelValue: string) => boolean;
}

export const MATCHER_LIMITS = {
  maxMatchers: 16,
  maxNameLength: 128,
  maxValueLength: 1024,
  maxRegexLength: 256,
} as const;

/**
 * Label names: Prometheus' charset (plus '.' and '-', accepted since before tags had their own
 * namespace), or `tag:<key>` for a series tag, whose key is any text without control characters
 * (what ingest accepts as a tag key).
 */
export const LABEL_NAME_PATTERN = /^(?:[A-Za-z_][A-Za-z0-9_.-]*|tag:[^\u0000-\u001f\u007f-\u009f]+)$/u;

export type MatcherResult = { ok: true; matcher: CompiledMatcher } | { ok: false; error: string };

/**
 * Why a regex is refused, or null when it is acceptable. Walks the pattern once, tracking
 * escapes, character classes and the group stack.
 */
export function unsafeRegexReason(pattern: string): string | null {
  if (pattern.length > MATCHER_LIMITS.maxRegexLength) {
    return `is ${pattern.length} characters; the limit for a regex is ${MATCHER_LIMITS.maxRegexLength}`;
  }
  if (/\\[1-9]|\\k</.test(pattern)) return 'uses a backreference, which Alertmanager (RE2) does not support';
  if (/\(\?<?[=!]/.test(pattern)) return 'uses lookaround, which Alertmanager (RE2) does not support';
  // For each open group: does it contain repetition or alternation?
  const stack: Array<{ repeats: boolean; alternates: boolean }> = [{ repeats: false, alternates: false }];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    const top = stack[stack.length - 1];
    if (c === '(') {
      stack.push({ repeats: false, alternates: false });
    } else if (c === ')') {
      if (stack.length === 1) continue; // unbalanced: the compiler reports it
      const group = stack.pop()!;
      const next = pattern[i + 1];
      const unbounded = next === '*' || next === '+' || (next === '{' && /^\{\d*,\d*\}/.test(pattern.slice(i + 1)));
      if (unbounded && (group.repeats || group.alternates)) {
        return `repeats a group that itself ${group.repeats ? 'repeats' : 'alternates'} ("${pattern.slice(0, i + 2)}…"), which can take exponential time; write it without the nesting`;
      }
      const parent = stack[stack.length - 1];
      parent.repeats ||= group.repeats || unbounded;
      parent.alternates ||= group.alternates;
    } else if (c === '*' || c === '+' || c === '{') {
      top.repeats = true;
    } else if (c === '|') {
      top.alternates = true;
    }
  }
  return null;
}

function compileRegex(value: string): { ok: true; re: RegExp } | { ok: false; error: string } {
  const unsafe = unsafeRegexReason(value);
  if (unsafe) return { ok: false, error: unsafe };
  try {
    return { ok: true, re: new RegExp(`^(?:${value})$`, 'u') };
  } catch (cause) {
    return { ok: false, error: `is not a valid regex: ${(cause as Error).message.replace(/^Invalid regular expression: /, '')}` };
  }
}

/** Validates one matcher from untrusted input (already a plain object) and compiles it. */
export function compileMatcher(input: { name?: unknown; op?: unknown; value?: unknown }): MatcherResult {
  const { name, op, value } = input;
  if (typeof name !== 'string' || !LABEL_NAME_PATTERN.test(name) || name.length > MATCHER_LIMITS.maxNameLength) {
    return { ok: false, error: `name ${typeof name === 'string' ? preview(name) : String(name)} must be a label name matching ${LABEL_NAME_PATTERN} (at most ${MATCHER_LIMITS.maxNameLength} characters)` };
  }
  if (typeof op !== 'string' || !(MATCHER_OPS as readonly string[]).includes(op)) {
    return { ok: false, error: `op must be one of ${MATCHER_OPS.join(' ')} (got ${typeof op === 'string' ? preview(op) : String(op)})` };
  }
  if (typeof value !== 'string') return { ok: false, error: `value must be a string (got ${value === null ? 'null' : typeof value})` };
  if (value.length > MATCHER_LIMITS.maxValueLength) {
    return { ok: false, error: `value is ${value.length} characters; the limit is ${MATCHER_LIMITS.maxValueLength}` };
  }
  const matcherOp = op as MatcherOp;
  if (matcherOp === '=' || matcherOp === '!=') {
    const negate = matcherOp === '!=';
    return { ok: true, matcher: Object.freeze({ name, op: matcherOp, value, test: (v: string) => (v === value) !== negate }) };
  }
  const compiled = compileRegex(value);
  if (!compiled.ok) return { ok: false, error: `value ${preview(value)} ${compiled.error}` };
  const { re } = compiled;
  const negate = matcherOp === '!~';
  return { ok: true, matcher: Object.freeze({ name, op: matcherOp, value, test: (v: string) => re.test(v) !== negate }) };
}

/** Does this labelled thing satisfy every matcher? A missing label is the empty string. */
export function matchesAll(matchers: readonly CompiledMatcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of matchers) {
    const v = Object.prototype.hasOwnProperty.call(labels, m.name) ? labels[m.name] : '';
    if (!m.test(v)) return false;
  }
  return true;
}

/** The wire form of a matcher (drops the compiled test). */
export function plainMatcher(m: Matcher): Matcher {
  return { name: m.name, op: m.op, value: m.value };
}

/** `source="api",severity=~"high|critical"`: for logs, comments and the dashboard. */
export function formatMatchers(matchers: readonly Matcher[]): string {
  return matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(',');
}
