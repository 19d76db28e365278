/**
 * Route matchers in Alertmanager's text form (`severity="critical"`, `source=~"db-.*"`,
 * `team!=""`; the value may be unquoted). Parsing is ours; validation, the safe-regex checks
 * and matching are the silences module's (oncall/silences/matchers.ts), so a route and a
 * silence mean the same thing by the same matcher.
 */
import { compileMatcher, matchesAll as silenceMatchesAll, type CompiledMatcher } from '../silences/matchers.ts';

export type LabelMatcher = CompiledMatcher;

/** The name is a label name, or `tag:<key>` whose key holds no space, quote, `=`, `!` or `~` in text form. */
const MATCHER = /^\s*([A-Za-z_][A-Za-z0-9_.-]*|tag:[^\s"=!~]+)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

export type MatcherParse = { ok: true; matcher: LabelMatcher } | { ok: false; reason: string };

/** Parses one matcher string; never throws. */
export function parseMatcher(text: string): MatcherParse {
  if (typeof text !== 'string') return { ok: false, reason: 'a matcher must be a string like severity="critical"' };
  const m = MATCHER.exec(text);
  if (!m) return { ok: false, reason: `${JSON.stringify(text.slice(0, 80))} is not <label><op><value> with op one of =, !=, =~, !~ (a tag is tag:<key>)` };
  const [, name, op, rawValue] = m;
  let value = rawValue;
  if (value.startsWith('"')) {
    try {
      value = JSON.parse(value) as string;
    } catch {
      return { ok: false, reason: `the quoted value of ${JSON.stringify(text.slice(0, 80))} is not a valid JSON string` };
    }
  }
  const compiled = compileMatcher({ name, op, value });
  return compiled.ok ? { ok: true, matcher: compiled.matcher } : { ok: false, reason: `${name}: ${compiled.error}` };
}

export function matches(matcher: LabelMatcher, labels: Readonly<Record<string, string>>): boolean {
  return silenceMatchesAll([matcher], labels);
}

/** True when every matcher matches (an empty list matches everything, like a root route). */
export const matchesAll = silenceMatchesAll;
