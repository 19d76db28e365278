/**
 * Vigil ⇄ Alertmanager API v2, as pure functions:
 * - a Vigil alert → a postable alert (labels from alertLabels, names made legal for
 *   Alertmanager 0.25's label charset; annotations description, summary, dashboard link),
 *   with endsAt = now + 4 × the resend interval while it is open (as Prometheus does, so an
 *   alert whose sender died resolves by itself) and endsAt = the resolve time once resolved;
 * - an Alertmanager silence → a Vigil silence (id `am-<id>`), so silences made in Alertmanager
 *   are honoured by Vigil's notifier and shown on Vigil's alerts.
 */
import type { AlertEvent } from '../../schemas/records.ts';
import { alertLabels, alertmanagerLabels, vigilLabelName } from '../silences/labels.ts';
import type { Matcher } from '../silences/matchers.ts';
import { compileSilence, type Silence } from '../silences/silence.ts';

/** The latest state of one Vigil alert, as the forwarder keeps it. */
export type ForwardedAlert = Pick<AlertEvent, 'alertId' | 'source' | 'metric' | 'ruleId' | 'kind' | 'severity' | 'status' | 'message' | 'openedAt' | 'version' | 'tags'> & {
  updatedAt: number;
};

export function forwardedAlert(e: AlertEvent): ForwardedAlert {
  const { alertId, source, metric, ruleId, kind, severity, status, message, openedAt, version } = e;
  return { alertId, source, metric, ruleId, kind, severity, status, message, openedAt, version, tags: e.tags ?? {}, updatedAt: e.timestamp };
}

/** POST /api/v2/alerts item. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

/** GET /api/v2/silences item (the fields Vigil reads). */
export interface GettableSilence {
  id: string;
  matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual?: boolean }>;
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  updatedAt: string;
  status: { state: 'active' | 'pending' | 'expired' };
}

export { legalLabelName } from '../silences/labels.ts';

export interface MappingOptions {
  /** Base URL of Vigil's dashboard (links in annotations and generatorURL). */
  dashboardUrl: string;
  resendIntervalMs: number;
}

export function postableAlert(alert: ForwardedAlert, now: number, opts: MappingOptions): PostableAlert {
  const labels = alertmanagerLabels(alertLabels(alert));
  const base = opts.dashboardUrl.replace(/\/+$/, '');
  const link = `${base}/#alerts`;
  const endsAt = alert.status === 'resolved' ? alert.updatedAt : now + 4 * opts.resendIntervalMs;
  return {
    labels,
    annotations: {
      summary: `${alert.severity} ${alert.metric} on ${alert.source}`,
      description: alert.message,
      dashboard: link,
      vigil_alert_id: alert.alertId,
      vigil_status: alert.status,
    },
    startsAt: new Date(alert.openedAt).toISOString(),
    endsAt: new Date(Math.max(endsAt, alert.openedAt)).toISOString(),
    generatorURL: link,
  };
}

export const AM_SILENCE_PREFIX = 'am-';

function matcherOf(m: GettableSilence['matchers'][number]): Matcher {
  const equal = m?.isEqual !== false;
  // Whatever Alertmanager sent goes through compileSilence afterwards: keep its types as they are.
  // Alertmanager sees tags as tag_<key> (alertmanagerLabels): map the name back to tag:<key>.
  const name = typeof m?.name === 'string' ? vigilLabelName(m.name) : m?.name;
  return { name, op: m?.isRegex ? (equal ? '=~' : '!~') : equal ? '=' : '!=', value: m?.value };
}

/**
 * The Vigil silence mirroring an Alertmanager one (not yet validated: the caller compiles it and
 * skips what Vigil refuses, e.g. a regex RE2 takes and the safety check does not). `previous`
 * is the mirror already held: its version is bumped only when something changed.
 */
export function mirroredSilence(am: GettableSilence, ctx: { now: number; previous?: Silence }): Silence | null {
  const startsAt = Date.parse(am.startsAt);
  let endsAt = Date.parse(am.endsAt);
  if (!Number.isFinite(startsAt) || !Number.isFinite(endsAt)) return null;
  if (am.status?.state === 'expired') endsAt = Math.min(endsAt, ctx.now);
  const next: Silence = {
    id: `${AM_SILENCE_PREFIX}${am.id}`.slice(0, 64),
    matchers: am.matchers.map(matcherOf),
    startsAt: Math.min(startsAt, endsAt),
    endsAt,
    createdBy: `alertmanager:${am.createdBy}`.slice(0, 256),
    comment: (am.comment || 'silenced in Alertmanager').slice(0, 2000),
    schedule: null,
    version: 1,
    updatedAt: Number.isFinite(Date.parse(am.updatedAt)) ? Date.parse(am.updatedAt) : ctx.now,
    updatedBy: 'alertmanager',
  };
  const prev = ctx.previous;
  if (!prev) return next;
  const same =
    JSON.stringify(prev.matchers) === JSON.stringify(next.matchers) &&
    prev.startsAt === next.startsAt &&
    prev.endsAt === next.endsAt &&
    prev.comment === next.comment &&
    prev.createdBy === next.createdBy;
  return same ? null : { ...next, version: prev.version + 1 };
}

/** A held mirror whose Alertmanager silence is gone (deleted, or garbage-collected): expire it. */
export function vanishedMirror(prev: Silence, now: number): Silence | null {
  if (now >= prev.endsAt) return null;
  return { ...prev, startsAt: Math.min(prev.startsAt, now), endsAt: now, version: prev.version + 1, updatedAt: now, updatedBy: 'alertmanager' };
}

export interface MirrorPlan {
  /** New versions to write to Vigil's silences topic. */
  writes: Silence[];
  /** Alertmanager silences Vigil will not mirror, with why. */
  refused: Array<{ id: string; reasons: string[] }>;
}

/**
 * What to write so Vigil's mirrors match Alertmanager's answer to GET /api/v2/silences (an
 * untrusted JSON value): new or changed silences, and an expiry for every held mirror whose
 * silence Alertmanager no longer lists. Entries Vigil cannot use are refused, never thrown.
 */
export function planMirror(answer: unknown, held: readonly Silence[], now: number): MirrorPlan {
  const plan: MirrorPlan = { writes: [], refused: [] };
  if (!Array.isArray(answer)) {
    plan.refused.push({ id: '(answer)', reasons: ['Alertmanager did not answer a JSON array'] });
    return plan; // nothing is expired on an unusable answer
  }
  const byId = new Map(held.map((s) => [s.id, s]));
  const seen = new Set<string>();
  for (const item of answer) {
    const amId = item && typeof item === 'object' && typeof (item as { id?: unknown }).id === 'string' ? (item as { id: string }).id : null;
    if (!amId || !/^[A-Za-z0-9_.-]{1,61}$/.test(amId)) {
      plan.refused.push({ id: String(amId ?? '(no id)').slice(0, 80), reasons: ['id must be up to 61 letters, digits, . _ -'] });
      continue;
    }
    const id = `${AM_SILENCE_PREFIX}${amId}`;
    seen.add(id);
    const s = item as GettableSilence;
    if (!Array.isArray(s.matchers) || typeof s.startsAt !== 'string' || typeof s.endsAt !== 'string') {
      plan.refused.push({ id, reasons: ['matchers, startsAt and endsAt are required'] });
      continue;
    }
    const next = mirroredSilence({ ...s, createdBy: String(s.createdBy ?? ''), comment: String(s.comment ?? ''), updatedAt: String(s.updatedAt ?? '') }, { now, previous: byId.get(id) });
    if (!next) continue;
    const check = compileSilence(next);
    if (check.ok) plan.writes.push(next);
    else plan.refused.push({ id, reasons: check.errors });
  }
  for (const prev of held) {
    if (!prev.id.startsWith(AM_SILENCE_PREFIX) || seen.has(prev.id)) continue;
    const gone = vanishedMirror(prev, now);
    if (gone) plan.writes.push(gone);
  }
  return plan;
}
