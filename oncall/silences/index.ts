/**
 * Silences and maintenance windows: pure matchers, the silence model and the set in force.
 * The notifier asks `silences.activeSilencesFor(alertLabels(alert), now)` and records
 * "silenced" instead of sending when the answer is not empty.
 */
export { MATCHER_OPS, MATCHER_LIMITS, compileMatcher, matchesAll, formatMatchers, unsafeRegexReason } from './matchers.ts';
export type { Matcher, MatcherOp, CompiledMatcher } from './matchers.ts';
export { alertLabels, BUILTIN_LABELS, type LabelledAlert } from './labels.ts';
export { WEEKDAYS, validateRecurrence, inWindow, describeRecurrence, type Recurrence, type Weekday } from './recurrence.ts';
export {
  SILENCE_LIMITS,
  SILENCE_ID_PATTERN,
  compileSilence,
  expiredSilence,
  readMatchers,
  silenceFromRequest,
  silenceState,
  validateSilenceRequest,
  type CompiledSilence,
  type Silence,
  type SilenceRequest,
  type SilenceState,
} from './silence.ts';
export { SilenceSet, activeSilencesFor, DEFAULT_EXPIRED_RETENTION_MS } from './silence-set.ts';
export { memorySilenceStore } from './memory-store.ts';
export type { SilenceStore } from './silence-store.ts';
