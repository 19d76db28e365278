/**
 * Alertmanager-style label matchers for notification routes: `label=value`, `label!=value`,
 * `label=~regex`, `label!~regex` (the value may be double-quoted). Regexes are anchored like
 * Alertmanager's, length-limited and compiled once when the config is read, so a route never
 * compiles or backtracks on user text at send time. A missing label matches as ''.
 */

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  label: string;
  op: MatchOp;
  value: string;
  /** Compiled, anchored pattern for =~ and !~. */
  regex?: RegExp;
}

export const MAX_MATCHER_REGEX_LENGTH = 256;
const MATCHER = /^\s*([A-Za-z_][A-Za-z0-9_.-]{0,127})\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

export type MatcherParse = { ok: true; matcher: LabelMatcher } | { ok: false; reason: string };

/** Parses one matcher string; never throws. */
export function parseMatcher(text: string): MatcherParse {
  if (typeof text !== 'string') return { ok: false, reason: 'a matcher must be a string like severity="critical"' };
  const m = MATCHER.exec(text);
  if (!m) return { ok: false, reason: `${JSON.stringify(text.slice(0, 80))} is not <label><op><value> with op one of =, !=, =~, !~` };
  const [, label, op, rawValue] = m as unknown as [string, string, MatchOp, string];
  let value = rawValue;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    try {
      value = JSON.parse(value) as string;
    } catch {
      return { ok: false, reason: `the quoted value of ${JSON.stringify(text.slice(0, 80))} is not a valid JSON string` };
    }
  }
  if (op === '=~' || op === '!~') {
    if (value.length > MAX_MATCHER_REGEX_LENGTH) return { ok: false, reason: `regex of ${label} is longer than ${MAX_MATCHER_REGEX_LENGTH} characters` };
    try {
      return { ok: true, matcher: { label, op, value, regex: new RegExp(`^(?:${value})$`, 'u') } };
    } catch (err) {
      return { ok: false, reason: `regex of ${label} does not compile: ${(err as Error).message}` };
    }
  }
  return { ok: true, matcher: { label, op, value } };
}

export function matches(matcher: LabelMatcher, labels: Readonly<Record<string, string>>): boolean {
  const actual = Object.prototype.hasOwnProperty.call(labels, matcher.label) ? labels[matcher.label] : '';
  switch (matcher.op) {
    case '=':
      return actual === matcher.value;
    case '!=':
      return actual !== matcher.value;
    case '=~':
      return matcher.regex!.test(actual);
    case '!~':
      return !matcher.regex!.test(actual);
  }
}

/** True when every matcher matches (an empty list matches everything, like a root route). */
export function matchesAll(matchers: readonly LabelMatcher[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((m) => matches(m, labels));
}
