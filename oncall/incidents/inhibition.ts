/**
 * Inhibition inside one incident, as Alertmanager's inhibit_rules: an unresolved alert that
 * matches every source matcher mutes each other unresolved alert that matches every target
 * matcher and has the same values of the `equal` labels. Muted alerts stay in the incident,
 * marked `inhibited`; they do not count toward its severity. Pure.
 */
import { VigilError } from '../../core/errors.ts';
import type { IncidentAlert } from '../../schemas/records.ts';
import { matchesAll, parseMatcher, type LabelMatcher } from '../notify/matchers.ts';
import { alertLabels } from '../silences/labels.ts';
import type { OncallPolicy } from './grouping.ts';

export interface InhibitRule {
  source: LabelMatcher[];
  target: LabelMatcher[];
  equal: string[];
}

function compileAll(texts: readonly string[], where: string): LabelMatcher[] {
  return texts.map((text) => {
    const parsed = parseMatcher(text);
    if (!parsed.ok) throw new VigilError(`${where}: ${parsed.reason}`, { action: 'fix oncall.inhibitRules (docs/oncall.md)' });
    return parsed.matcher;
  });
}

export function compileInhibitRules(policy: Pick<OncallPolicy, 'inhibitRules'>): InhibitRule[] {
  return policy.inhibitRules.map((r, i) => ({
    source: compileAll(r.sourceMatchers, `oncall.inhibitRules[${i}].sourceMatchers`),
    target: compileAll(r.targetMatchers, `oncall.inhibitRules[${i}].targetMatchers`),
    equal: [...r.equal],
  }));
}

/** Ids of the alerts muted by another alert of the same incident. */
export function inhibitedAlertIds(alerts: readonly IncidentAlert[], rules: readonly InhibitRule[]): Set<string> {
  const open = alerts.filter((a) => a.status !== 'resolved').map((a) => ({ alert: a, labels: alertLabels(a) }));
  const muted = new Set<string>();
  for (const rule of rules) {
    const sources = open.filter((o) => matchesAll(rule.source, o.labels));
    if (sources.length === 0) continue;
    for (const target of open) {
      if (!matchesAll(rule.target, target.labels)) continue;
      // An alert never inhibits itself (Alertmanager's rule too).
      const by = sources.find((s) => s.alert.alertId !== target.alert.alertId && rule.equal.every((l) => (s.labels[l] ?? '') === (target.labels[l] ?? '')));
      if (by) muted.add(target.alert.alertId);
    }
  }
  return muted;
}
