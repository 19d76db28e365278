// Silences in the dashboard: pure helpers (prefill from an alert, the request body from the
// form's fields, display text). No DOM here, so Node unit tests cover them.

export const MATCHER_OPS = ['=', '!=', '=~', '!~'];
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
export const DURATIONS = [
  ['30m', 30 * 60_000],
  ['1h', 60 * 60_000],
  ['2h', 2 * 60 * 60_000],
  ['4h', 4 * 60 * 60_000],
  ['8h', 8 * 60 * 60_000],
  ['1d', 24 * 60 * 60_000],
  ['7d', 7 * 24 * 60 * 60_000],
  ['30d', 30 * 24 * 60 * 60_000],
  ['365d', 365 * 24 * 60 * 60_000],
];

/** The matchers that select exactly this alert's rule on its series (what "Silence" prefills). */
export function matchersForAlert(alert) {
  return [
    { name: 'alertname', op: '=', value: String(alert.ruleId ?? '') },
    { name: 'source', op: '=', value: String(alert.source ?? '') },
    { name: 'metric', op: '=', value: String(alert.metric ?? '') },
  ];
}

/**
 * The POST /silences body from the form's values, or `{error}` for what the browser can tell is
 * missing (the API checks the rest and its 400 message is shown as is).
 */
export function silenceBody(fields, now) {
  const matchers = (fields.matchers ?? [])
    .map((m) => ({ name: String(m.name ?? '').trim(), op: MATCHER_OPS.includes(m.op) ? m.op : '=', value: String(m.value ?? '') }))
    .filter((m) => m.name !== '');
  if (matchers.length === 0) return { error: 'add at least one matcher' };
  const comment = String(fields.comment ?? '').trim();
  if (!comment) return { error: 'say why (comment)' };
  const duration = DURATIONS.find(([label]) => label === fields.duration)?.[1];
  if (!duration) return { error: 'choose how long' };
  const body = { matchers, startsAt: new Date(now).toISOString(), endsAt: new Date(now + duration).toISOString(), comment };
  if (fields.recurring) {
    const days = (fields.days ?? []).filter((d) => WEEKDAYS.includes(d));
    body.schedule = {
      frequency: fields.frequency === 'daily' ? 'daily' : 'weekly',
      start: String(fields.windowStart ?? ''),
      end: String(fields.windowEnd ?? ''),
      timeZone: String(fields.timeZone ?? '').trim() || 'UTC',
    };
    if (body.schedule.frequency === 'weekly') body.schedule.days = days;
  }
  return { body };
}

/** `alertname="cpu", source=~"web-.*"` */
export function describeMatchers(matchers) {
  return (matchers ?? []).map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(', ');
}

/** "weekly sun 02:00–04:00 UTC" or '' */
export function describeSchedule(schedule) {
  if (!schedule) return '';
  const days = schedule.frequency === 'daily' ? 'daily' : `weekly ${(schedule.days ?? []).join(',')}`;
  return `${days} ${schedule.start}–${schedule.end} ${schedule.timeZone}`;
}

/** Active first, then pending, then expired; newest first inside each. */
export function sortSilences(items) {
  const rank = { active: 0, pending: 1, expired: 2 };
  return [...items].sort((a, b) => (rank[a.state] ?? 3) - (rank[b.state] ?? 3) || b.startsAt - a.startsAt);
}
