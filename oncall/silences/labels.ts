/**
 * The label set of a Vigil alert, the thing silences, routes, inhibition and grouping match.
 * Flat like Alertmanager's: `alertname` (the rule id, so Alertmanager's UI and its silences work as
 * usual), `source`, `metric`, `severity`, `kind`, then one `tag:<key>` label per series tag. The
 * `tag:` prefix keeps tags in their own namespace: a tag called `severity` is `tag:severity` and
 * can never make a critical alert look like info, and every tag key stays reachable.
 */
import type { AlertKind, Severity } from '../../schemas/records.ts';

export const BUILTIN_LABELS = ['alertname', 'source', 'metric', 'severity', 'kind'] as const;

/** The label name of a tag: `tag:<key>`, the one naming used in groupBy, matchers and equal. */
export const TAG_LABEL_PREFIX = 'tag:';
export const tagLabel = (key: string): string => `${TAG_LABEL_PREFIX}${key}`;

export interface LabelledAlert {
  source: string;
  metric: string;
  severity: Severity;
  ruleId: string;
  kind: AlertKind;
  tags?: Readonly<Record<string, string>>;
}

/** `tag:<key>` labels of a tag map (non-string values, impossible from validated input, skipped). */
export function tagLabels(tags: Readonly<Record<string, string>> | undefined, into: Record<string, string> = Object.create(null)): Record<string, string> {
  for (const [k, v] of Object.entries(tags ?? {})) if (typeof v === 'string') into[tagLabel(k)] = v;
  return into;
}

export function alertLabels(alert: LabelledAlert): Record<string, string> {
  const labels = tagLabels(alert.tags);
  labels.alertname = alert.ruleId;
  labels.source = alert.source;
  labels.metric = alert.metric;
  labels.severity = alert.severity;
  labels.kind = alert.kind;
  return labels;
}

/** Alertmanager 0.25 validates label names against Prometheus' classic charset. */
export function legalLabelName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

/**
 * A Vigil label set as Alertmanager label names: `tag:<key>` becomes `tag_<key>` with every
 * character outside `[A-Za-z0-9_]` turned into `_`; other names get the same character rule.
 * A tag can never override `alertname`, `source`, `metric`, `severity` or `kind`: those carry
 * no `_`, a tag label always starts with `tag_`, and the plain labels are placed first anyway.
 * Two tags that clean to the same name (`a.b`, `a-b`): the first in key order wins, so the
 * result is the same every time. Empty values are left out (Alertmanager treats them as absent).
 */
export function alertmanagerLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  const names = Object.keys(labels);
  const plain = names.filter((n) => !n.startsWith(TAG_LABEL_PREFIX)).sort();
  const tags = names.filter((n) => n.startsWith(TAG_LABEL_PREFIX)).sort();
  for (const name of [...plain, ...tags]) {
    const value = labels[name];
    if (value === '') continue;
    const legal = name.startsWith(TAG_LABEL_PREFIX) ? `tag_${name.slice(TAG_LABEL_PREFIX.length).replace(/[^A-Za-z0-9_]/g, '_')}` : legalLabelName(name);
    if (!Object.hasOwn(out, legal)) out[legal] = value;
  }
  return out;
}

/** An Alertmanager matcher name back to Vigil's: `tag_<key>` is `tag:<key>` (exact when the key needed no cleaning). */
export function vigilLabelName(alertmanagerName: string): string {
  return alertmanagerName.startsWith('tag_') && alertmanagerName.length > 4 ? tagLabel(alertmanagerName.slice(4)) : alertmanagerName;
}
