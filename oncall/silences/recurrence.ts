/**
 * Recurring maintenance windows: "every Sunday 02:00–04:00 UTC", "every day 22:30–01:00
 * Europe/Berlin". A window is given in wall-clock time of its time zone, the way people plan
 * maintenance; `days` are the days a window *starts* on, so a window that crosses midnight
 * belongs to the day it began. On a daylight-saving change day the window keeps its wall-clock
 * bounds (a 02:00–04:00 window may last one or three hours), as cron does.
 */
import { isPlainObject, preview, unknownFields, type Validation } from './input.ts';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface Recurrence {
  frequency: 'daily' | 'weekly';
  /** Weekly only: the days a window starts on (at least one). Daily: every day. */
  days: Weekday[];
  /** Wall-clock "HH:MM" (24 h). */
  start: string;
  /** Wall-clock "HH:MM"; earlier than start = the next day. Equal to start is refused. */
  end: string;
  /** IANA zone name or "UTC". */
  timeZone: string;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MAX_ZONE_LENGTH = 64;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat | null {
  const cached = formatters.get(timeZone);
  if (cached) return cached;
  try {
    const f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
    return f;
  } catch {
    return null;
  }
}

function minutesOf(hhmm: string): number {
  const m = TIME.exec(hhmm)!;
  return Number(m[1]) * 60 + Number(m[2]);
}

const FIELDS = ['frequency', 'days', 'start', 'end', 'timeZone'];

/** Validates a recurrence from untrusted input; errors are prefixed with `path`. */
export function validateRecurrence(input: unknown, path = 'schedule'): Validation<Recurrence> {
  if (!isPlainObject(input)) return { ok: false, errors: [`${path}: must be an object {frequency, days, start, end, timeZone}`] };
  const errors = unknownFields(input, FIELDS, path);
  const { frequency, days, start, end } = input;
  const timeZone = input.timeZone ?? 'UTC';
  if (frequency !== 'daily' && frequency !== 'weekly') errors.push(`${path}.frequency: must be "daily" or "weekly"`);
  let dayList: Weekday[] = [];
  if (frequency === 'weekly') {
    if (!Array.isArray(days) || days.length === 0) {
      errors.push(`${path}.days: a weekly window needs at least one of ${WEEKDAYS.join(', ')}`);
    } else if (days.some((d) => typeof d !== 'string' || !(WEEKDAYS as readonly string[]).includes(d))) {
      errors.push(`${path}.days: each day must be one of ${WEEKDAYS.join(', ')}`);
    } else {
      dayList = WEEKDAYS.filter((d) => days.includes(d));
    }
  } else if (frequency === 'daily') {
    // Stored daily windows carry every day (what validation returns), so that reads back too.
    const everyDay = Array.isArray(days) && (days.length === 0 || (days.length === WEEKDAYS.length && WEEKDAYS.every((d) => days.includes(d))));
    if (days !== undefined && !everyDay) errors.push(`${path}.days: a daily window runs every day; leave days out`);
    dayList = [...WEEKDAYS];
  }
  if (typeof start !== 'string' || !TIME.test(start)) errors.push(`${path}.start: must be "HH:MM" (24 h)`);
  if (typeof end !== 'string' || !TIME.test(end)) errors.push(`${path}.end: must be "HH:MM" (24 h)`);
  if (typeof start === 'string' && start === end) errors.push(`${path}.end: must differ from start (a window of zero or 24 hours)`);
  if (typeof timeZone !== 'string' || timeZone.length > MAX_ZONE_LENGTH || !formatterFor(timeZone)) {
    errors.push(`${path}.timeZone: ${typeof timeZone === 'string' ? preview(timeZone) : String(timeZone)} is not a time zone (use "UTC" or an IANA name like "Europe/Berlin")`);
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: Object.freeze({ frequency: frequency as Recurrence['frequency'], days: Object.freeze(dayList) as Weekday[], start: start as string, end: end as string, timeZone: timeZone as string }),
  };
}

/** Wall-clock weekday and minute of the day (with seconds as a fraction) of `now` in a zone. */
export function wallClock(now: number, timeZone: string): { day: Weekday; minute: number } {
  const f = formatterFor(timeZone);
  if (!f) throw new RangeError(`unknown time zone ${timeZone}`);
  let day: Weekday = 'sun';
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of f.formatToParts(new Date(now))) {
    if (part.type === 'weekday') day = part.value.slice(0, 3).toLowerCase() as Weekday;
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
    else if (part.type === 'second') second = Number(part.value);
  }
  return { day, minute: hour * 60 + minute + second / 60 };
}

/** Is `now` inside one of the recurrence's windows? */
export function inWindow(r: Recurrence, now: number): boolean {
  const { day, minute } = wallClock(now, r.timeZone);
  const start = minutesOf(r.start);
  const end = minutesOf(r.end);
  const today = WEEKDAYS.indexOf(day);
  const yesterday = WEEKDAYS[(today + 6) % 7];
  if (end > start) return r.days.includes(day) && minute >= start && minute < end;
  // Crosses midnight: the evening part belongs to today's window, the morning part to yesterday's.
  return (r.days.includes(day) && minute >= start) || (r.days.includes(yesterday) && minute < end);
}

/** "weekly sun 02:00–04:00 UTC": for logs and the dashboard. */
export function describeRecurrence(r: Recurrence): string {
  const days = r.frequency === 'daily' ? 'daily' : `weekly ${r.days.join(',')}`;
  return `${days} ${r.start}–${r.end} ${r.timeZone}`;
}
