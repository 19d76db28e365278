/**
 * The alert and SLA state of ONE series (source, metric). The pipeline instance that owns the
 * series feeds it every scored point in order and applies operator commands to it; it answers
 * with the alert lifecycle events and SLA snapshots to publish. Pure and deterministic: no clock
 * (event time comes with the points, wall time as arguments), no I/O, and `toJSON()` captures
 * every bit of state, so a restored monitor continues exactly where the original was.
 *
 * Lifecycle rules (docs/alerts.md has the operator's version):
 * - One open alert per fingerprint `${source}|${metric}|${ruleId}`. Repeats update it; once
 *   resolved, the next breach opens a new alert (new alertId = hash(fingerprint, openedAt)).
 * - Each transition is one event with version + 1; eventId = hash(alertId, version).
 * - Event time never goes backwards inside a monitor: durations are measured at the newest
 *   timestamp seen (`watermark`), so a late point is judged at that time.
 *
 * Threshold rules
 * - A level is crossed when value > bound (`above`) or value < bound (`below`). The target
 *   severity is the most severe level that is crossed, or — for the current level and milder
 *   ones — not yet cleared, i.e. not yet back past bound ∓ hysteresis.
 * - Up (open, escalate): the target must stay more severe than the current state for `forMs` of
 *   event time (pending); then the most severe target at that point wins. The pending timer
 *   restarts whenever a point is not above the current state (Prometheus `for` semantics), so a
 *   series flickering around a bound with forMs > 0 never fires.
 * - Down (de-escalate, resolve): the target must stay milder for the clear period — `forMs` of
 *   event time AND at least 3 consecutive points — so a value oscillating across a bound (even
 *   with forMs = 0) keeps one alert open instead of opening and resolving it on every swing.
 * - Escalating an acknowledged alert sets it firing again; de-escalating keeps its status.
 *
 * Anomaly rules
 * - A finding with score >= minScore and confidence >= minConfidence opens the alert, or updates
 *   the open one: a more severe score level escalates it (firing again), a new anomaly or a
 *   refinement (new start, version or type) is an 'updated' event; identical repeats emit nothing.
 *   Anomaly alerts never de-escalate while open (the worst finding of the episode stands).
 * - Auto-resolves after 10 consecutive points whose anomaly score is below minScore / 2.
 *
 * SLA burn-rate alerts (ruleId `sla:<slaId>:fast|slow`, see pipeline/sla/sla-tracker.ts)
 * - Open while the burn condition holds at a point; resolve once it has been false for the
 *   short window (5 min fast, 30 min slow) and at least 3 points.
 *
 * No-data alerts (ruleId `nodata`): see checkSilence.
 *
 * Operator resolve while the condition persists: a threshold alert re-opens (as a new alert)
 * after `forMs`; an anomaly alert re-opens only for a different anomaly (new start timestamp);
 * an SLA alert only after its burn condition has cleared once; a no-data alert only after data
 * came back and stopped again.
 */
import {
  severityRank,
  type AlertCommand,
  type AlertEvent,
  type AlertKind,
  type AlertStatus,
  type AnomalyEvent,
  type AnomalyType,
  type CommandResult,
  type ScoredPoint,
  type Severity,
  type SlaDefinition,
  type SlaSnapshot,
  type ThresholdLevel,
  type ThresholdRule,
} from '../../schemas/records.ts';
import { VigilError } from '../../core/errors.ts';
import { anomalySeverity, type AnomalyRuleDefinition, type DefinitionSet, type RuleDefinition } from './definitions.ts';
import { METRIC_UNITS } from './default-rules.ts';
import { alertIdOf, eventIdOf, fingerprintOf } from './ids.ts';
import {
  BURN_WINDOWS,
  cloneSlaState,
  createSlaState,
  recordSlaPoint,
  slaBasis,
  slaFigures,
  takeSnapshot,
  type BurnWindow,
  type SlaTrackerState,
} from '../sla/sla-tracker.ts';

/** The scored point as the monitor needs it. */
export type ObservedPoint = Pick<ScoredPoint, 'timestamp' | 'value' | 'mean' | 'std' | 'zscore' | 'anomalyScore'> & {
  /** The point's tags; an alert opened at this point carries them (absent = {}). */
  tags?: Readonly<Record<string, string>>;
};

/** What the detector reports about the anomaly episode at this point (AnomalyEvent, minus ids). */
export type AnomalyFindingLike = Pick<AnomalyEvent, 'type' | 'version' | 'startTimestamp' | 'confidence' | 'score' | 'zscore' | 'expected' | 'pointCount'>;

export interface ObserveResult {
  alerts: AlertEvent[];
  slaSnapshots: SlaSnapshot[];
}

export const MONITOR_TUNING = {
  /** Consecutive points a threshold or SLA alert must look better before it steps down. */
  clearPoints: 3,
  /** Consecutive normal points before an anomaly alert resolves. */
  anomalyClearPoints: 10,
  /** A point is "normal" for an anomaly rule when its score is below minScore × this. */
  anomalyClearFactor: 0.5,
  nodataSeverity: 'high' as Severity,
  /** Resolved alerts remembered so that commands on them get a precise answer. */
  recentResolvedLimit: 16,
  /** Command results remembered so a re-delivered command gets the same answer. */
  commandResultLimit: 32,
  maxCommentLength: 500,
} as const;

export const NODATA_RULE_ID = 'nodata';
export const STATE_FORMAT = 1;

export const REASONS = {
  opened: 'opened',
  escalated: 'escalated',
  deescalated: 'deescalated',
  updated: 'updated',
  autoResolved: 'auto-resolved',
  dataResumed: 'data resumed',
  ruleDeleted: 'rule deleted',
  ruleDisabled: 'rule disabled',
  ruleNotApplicable: 'rule no longer applies to this series',
  slaDeleted: 'sla deleted',
  slaDisabled: 'sla disabled',
  acknowledged: 'acknowledged',
  resolvedByOperator: 'resolved by operator',
} as const;

interface ThresholdState {
  ruleId: string;
  upSince: number | null;
  downSince: number | null;
  downPoints: number;
}

interface AnomalyState {
  ruleId: string;
  normalPoints: number;
  lastFindingKey: string | null;
  /** Start timestamp of the anomaly an operator resolved: it does not re-open the alert. */
  suppressedStart: number | null;
}

interface BurnAlertState {
  ruleId: string; // sla:<slaId>:<fast|slow>
  clearSince: number | null;
  clearPoints: number;
  /** Set by an operator resolve: stay quiet until the burn condition has been false once. */
  needsClear: boolean;
}

/** Everything a monitor knows, as plain JSON; arrays sorted by key so equal states serialize equally. */
export interface SeriesMonitorState {
  format: number;
  source: string;
  metric: string;
  watermark: number | null;
  lastValue: number | null;
  heardAt: number | null;
  sawPointSinceCheck: boolean;
  nodataSuppressed: boolean;
  /** Tags of the latest point: what an alert opened now carries. Absent in older snapshots ({}). */
  tags?: Record<string, string>;
  open: AlertEvent[];
  recentResolved: AlertEvent[];
  commandResults: CommandResult[];
  thresholds: ThresholdState[];
  anomalies: AnomalyState[];
  burns: BurnAlertState[];
  slas: SlaTrackerState[];
}

const PIPELINE_ACTOR = 'pipeline';

function moreSevere(a: Severity | null, b: Severity | null): boolean {
  if (a === null) return false;
  if (b === null) return true;
  return severityRank[a] < severityRank[b];
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}

function burnRuleId(slaId: string, window: 'fast' | 'slow'): string {
  return `sla:${slaId}:${window}`;
}

function byKey<T>(key: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
}

const NO_TAGS: Readonly<Record<string, string>> = Object.freeze({});

/** Tag objects are never mutated once an event holds them, so copies share them. Events from
 * snapshots written before alerts had tags get {}. */
function copyEvent(e: AlertEvent): AlertEvent {
  return { ...e, tags: e.tags ?? (NO_TAGS as Record<string, string>) };
}

function copyResult(r: CommandResult): CommandResult {
  return { ...r, event: r.event ? copyEvent(r.event) : null };
}

export class SeriesMonitor {
  readonly source: string;
  readonly metric: string;
  private defs: DefinitionSet;
  private rules: RuleDefinition[] = [];
  private slas: SlaDefinition[] = [];
  /** Per applicable SLA: its counter basis and burn-alert rule ids, built once per definition change. */
  private slaPlans: Array<{ sla: SlaDefinition; basis: string; burnRuleIds: string[] }> = [];
  /** ruleId → fingerprint: the hot path looks alerts up by fingerprint on every point. */
  private readonly fingerprints = new Map<string, string>();

  private watermark: number | null = null;
  private lastValue: number | null = null;
  private heardAt: number | null = null;
  private sawPointSinceCheck = false;
  private nodataSuppressed = false;
  private tags: Readonly<Record<string, string>> = NO_TAGS;
  private readonly open = new Map<string, AlertEvent>(); // fingerprint → latest event
  private recentResolved: AlertEvent[] = [];
  private commandResults: CommandResult[] = [];
  private readonly thresholds = new Map<string, ThresholdState>();
  private readonly anomalies = new Map<string, AnomalyState>();
  private readonly burns = new Map<string, BurnAlertState>();
  private readonly slaStates = new Map<string, SlaTrackerState>();
  /** Set by fromJSON: alerts of rules the new definitions no longer apply are resolved at the next point. */
  private reconcilePending = false;

  constructor(source: string, metric: string, defs: DefinitionSet) {
    this.source = source;
    this.metric = metric;
    this.defs = defs;
    this.selectDefinitions(defs);
  }

  // -------------------------------------------------------------------------------------------
  // Points

  observe(input: ObservedPoint, finding: AnomalyFindingLike | null): ObserveResult {
    const alerts: AlertEvent[] = [];
    const slaSnapshots: SlaSnapshot[] = [];
    // Non-finite input is sent to the DLQ upstream; if one slips through it must not poison state.
    if (!Number.isFinite(input.timestamp) || !Number.isFinite(input.value)) return { alerts, slaSnapshots };
    const now = this.watermark === null ? input.timestamp : Math.max(this.watermark, input.timestamp);
    this.watermark = now;
    this.lastValue = input.value;
    this.tags = input.tags ?? NO_TAGS;
    this.sawPointSinceCheck = true;
    this.nodataSuppressed = false;

    if (this.reconcilePending) {
      this.reconcilePending = false;
      alerts.push(...this.reconcile(now));
    }

    const nodata = this.open.get(this.fp(NODATA_RULE_ID));
    if (nodata) {
      alerts.push(this.resolve(nodata, now, REASONS.dataResumed, PIPELINE_ACTOR, `${this.label()} is reporting again`));
    }

    for (const rule of this.rules) {
      if (rule.kind === 'threshold') this.evaluateThreshold(rule, input.value, now, alerts);
      else this.evaluateAnomaly(rule, input, finding, now, alerts);
    }

    for (const plan of this.slaPlans) {
      const sla = plan.sla;
      let state = this.slaStates.get(sla.id);
      if (!state || state.basis !== plan.basis) {
        state = createSlaState(sla);
        this.slaStates.set(sla.id, state);
      }
      recordSlaPoint(state, sla, input.timestamp, input.value, now);
      const figures = slaFigures(state, sla);
      for (let i = 0; i < figures.burn.length; i++) this.evaluateBurn(sla, BURN_WINDOWS[i], plan.burnRuleIds[i], figures.burn[i], figures.compliance, now, alerts);
      const snapshot = takeSnapshot(state, sla, this.source, this.metric, now, figures);
      if (snapshot) slaSnapshots.push(snapshot);
    }
    return { alerts, slaSnapshots };
  }

  private evaluateThreshold(rule: ThresholdRule, value: number, now: number, out: AlertEvent[]): void {
    const fp = this.fp(rule.id);
    const open = this.open.get(fp) ?? null;
    const current = open ? open.severity : null;
    const target = thresholdTarget(rule, value, current);
    const state = this.thresholdState(rule.id);

    if (moreSevere(target.severity, current)) {
      state.downSince = null;
      state.downPoints = 0;
      if (state.upSince === null) state.upSince = now;
      if (now - state.upSince < rule.forMs) return;
      state.upSince = null;
      const level = target.level as ThresholdLevel;
      const message = this.thresholdMessage(rule, value, level);
      if (!open) {
        out.push(this.openAlert(rule.id, 'threshold', level.severity, now, value, level.value, message));
      } else {
        out.push(this.update(open, { timestamp: now, severity: level.severity, status: 'firing', value, threshold: level.value, message, reason: REASONS.escalated }));
      }
      return;
    }
    if (open && moreSevere(current, target.severity)) {
      state.upSince = null;
      if (state.downSince === null) state.downSince = now;
      state.downPoints += 1;
      if (now - state.downSince < rule.forMs || state.downPoints < MONITOR_TUNING.clearPoints) return;
      state.downSince = null;
      state.downPoints = 0;
      if (target.level === null) {
        out.push(this.resolve(open, now, REASONS.autoResolved, PIPELINE_ACTOR, `${this.label()} is back to normal at ${fmt(value)}${this.unit()}`, value));
      } else {
        const message = this.thresholdMessage(rule, value, target.level);
        out.push(this.update(open, { timestamp: now, severity: target.level.severity, value, threshold: target.level.value, message, reason: REASONS.deescalated }));
      }
      return;
    }
    state.upSince = null;
    state.downSince = null;
    state.downPoints = 0;
  }

  private evaluateAnomaly(rule: AnomalyRuleDefinition, input: ObservedPoint, finding: AnomalyFindingLike | null, now: number, out: AlertEvent[]): void {
    const fp = this.fp(rule.id);
    const open = this.open.get(fp) ?? null;
    const state = this.anomalyState(rule.id);
    const passes =
      finding !== null &&
      Number.isFinite(finding.score) &&
      Number.isFinite(finding.confidence) &&
      finding.score >= rule.minScore &&
      finding.confidence >= rule.minConfidence;

    if (passes) {
      state.normalPoints = 0;
      const key = `${finding.startTimestamp}:${finding.version}:${finding.type}`;
      const severity = anomalySeverity(rule, finding.score);
      const message = this.anomalyMessage(input, finding);
      if (!open) {
        if (state.suppressedStart === finding.startTimestamp) return;
        state.suppressedStart = null;
        state.lastFindingKey = key;
        out.push(this.openAlert(rule.id, 'anomaly', severity, now, input.value, rule.minScore, message));
        return;
      }
      if (moreSevere(severity, open.severity)) {
        out.push(this.update(open, { timestamp: now, severity, status: 'firing', value: input.value, message, reason: REASONS.escalated }));
      } else if (key !== state.lastFindingKey) {
        out.push(this.update(open, { timestamp: now, value: input.value, message, reason: REASONS.updated }));
      }
      state.lastFindingKey = key;
      return;
    }
    if (!open) return;
    const normal = Number.isFinite(input.anomalyScore) && input.anomalyScore < rule.minScore * MONITOR_TUNING.anomalyClearFactor;
    state.normalPoints = normal ? state.normalPoints + 1 : 0;
    if (state.normalPoints < MONITOR_TUNING.anomalyClearPoints) return;
    state.normalPoints = 0;
    state.lastFindingKey = null;
    out.push(
      this.resolve(open, now, REASONS.autoResolved, PIPELINE_ACTOR, `${this.label()} has been normal for ${MONITOR_TUNING.anomalyClearPoints} points`, input.value),
    );
  }

  private evaluateBurn(
    sla: SlaDefinition,
    window: BurnWindow,
    ruleId: string,
    burn: { name: 'fast' | 'slow'; longRate: number; shortRate: number; burning: boolean },
    complianceNow: number,
    now: number,
    out: AlertEvent[],
  ): void {
    const open = this.open.get(this.fp(ruleId)) ?? null;
    let state = this.burns.get(ruleId);
    if (!state) {
      state = { ruleId, clearSince: null, clearPoints: 0, needsClear: false };
      this.burns.set(ruleId, state);
    }
    if (burn.burning) {
      state.clearSince = null;
      state.clearPoints = 0;
      if (open || state.needsClear) return;
      const message =
        `${sla.name}: ${burn.name} error-budget burn on ${this.label()} — ` +
        `${fmt(burn.longRate)}× over ${window.longMs / 60_000} min and ${fmt(burn.shortRate)}× over ${window.shortMs / 60_000} min ` +
        `(alert above ${window.factor}×; compliance ${fmt(complianceNow * 100)} %, objective ${fmt(sla.objective * 100)} %)`;
      out.push(this.openAlert(ruleId, 'sla', window.severity, now, burn.longRate, window.factor, message));
      return;
    }
    state.needsClear = false;
    if (!open) {
      state.clearSince = null;
      state.clearPoints = 0;
      return;
    }
    if (state.clearSince === null) state.clearSince = now;
    state.clearPoints += 1;
    if (now - state.clearSince < window.shortMs || state.clearPoints < MONITOR_TUNING.clearPoints) return;
    state.clearSince = null;
    state.clearPoints = 0;
    out.push(
      this.resolve(open, now, REASONS.autoResolved, PIPELINE_ACTOR, `${sla.name}: ${burn.name} burn on ${this.label()} has stopped (${fmt(burn.longRate)}× over ${window.longMs / 60_000} min)`, burn.longRate),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Silence

  /**
   * No-data check, called periodically with the caller's wall clock. Silence is measured in that
   * clock from the first check that saw data, never against point timestamps, so producer clock
   * skew cannot fake or hide silence; the cost is up to one check interval of delay. Opens a
   * no-data alert once nothing arrived for `noDataMs`; the next point resolves it (observe).
   */
  checkSilence(nowMs: number, noDataMs: number): AlertEvent[] {
    if (!Number.isFinite(nowMs) || !(noDataMs > 0)) {
      throw new VigilError(`checkSilence(${nowMs}, ${noDataMs}): invalid arguments`, { action: 'pass a finite wall-clock time and a positive noDataMs' });
    }
    if (this.sawPointSinceCheck || this.heardAt === null) {
      this.heardAt = nowMs;
      this.sawPointSinceCheck = false;
      return [];
    }
    const silentMs = nowMs - this.heardAt;
    const fp = this.fp(NODATA_RULE_ID);
    if (silentMs < noDataMs || this.open.has(fp) || this.nodataSuppressed) return [];
    const message = `no data from ${this.label()} for ${Math.round(silentMs / 1000)} s (limit ${Math.round(noDataMs / 1000)} s)`;
    return [this.openAlert(NODATA_RULE_ID, 'nodata', MONITOR_TUNING.nodataSeverity, nowMs, silentMs, noDataMs, message)];
  }

  // -------------------------------------------------------------------------------------------
  // Operator commands

  applyCommand(cmd: AlertCommand, nowMs: number): CommandResult {
    const commandId = typeof cmd?.commandId === 'string' ? cmd.commandId : '';
    const alertId = typeof cmd?.alertId === 'string' ? cmd.alertId : '';
    const reject = (reason: string, status: AlertStatus | 'unknown' = 'unknown'): CommandResult => ({ commandId, alertId, applied: false, status, reason, event: null });

    if (!commandId) return reject('command has no commandId');
    const seen = this.commandResults.find((r) => r.commandId === commandId);
    if (seen) return copyResult(seen);
    const result = this.decideCommand(cmd, alertId, nowMs, reject);
    this.commandResults.push(copyResult(result));
    if (this.commandResults.length > MONITOR_TUNING.commandResultLimit) this.commandResults.shift();
    return result;
  }

  private decideCommand(cmd: AlertCommand, alertId: string, nowMs: number, reject: (reason: string, status?: AlertStatus | 'unknown') => CommandResult): CommandResult {
    if (cmd.type !== 'acknowledge' && cmd.type !== 'resolve') return reject(`unknown command type ${JSON.stringify(String(cmd.type)).slice(0, 40)}; expected acknowledge or resolve`);
    if (!alertId) return reject('command has no alertId');
    if (cmd.source !== this.source || cmd.metric !== this.metric) {
      return reject(`command for series ${String(cmd.source)}/${String(cmd.metric)} reached the monitor of ${this.source}/${this.metric}`);
    }
    if (!Number.isFinite(nowMs)) return reject('command time is not a finite number');
    const actor = typeof cmd.actor === 'string' && cmd.actor.length > 0 ? cmd.actor.slice(0, 200) : 'operator';
    const comment = typeof cmd.comment === 'string' ? cmd.comment.slice(0, MONITOR_TUNING.maxCommentLength) : '';

    let open: AlertEvent | undefined;
    for (const e of this.open.values()) if (e.alertId === alertId) open = e;
    if (!open) {
      const resolved = this.recentResolved.find((e) => e.alertId === alertId);
      if (resolved) {
        return reject(
          cmd.type === 'acknowledge' ? 'alert is already resolved; it cannot be acknowledged' : 'alert is already resolved; nothing to do',
          'resolved',
        );
      }
      return reject(`unknown alert ${alertId.slice(0, 64)} for series ${this.source}/${this.metric} (never opened here, or resolved long ago)`);
    }
    const withComment = (reason: string) => (comment ? `${reason}: ${comment}` : reason);
    if (cmd.type === 'acknowledge') {
      if (open.status === 'acknowledged') return reject('alert is already acknowledged', 'acknowledged');
      const event = this.update(open, { timestamp: nowMs, status: 'acknowledged', actor, reason: withComment(REASONS.acknowledged) });
      return { commandId: cmd.commandId, alertId, applied: true, status: 'acknowledged', reason: REASONS.acknowledged, event };
    }
    const event = this.resolve(open, nowMs, withComment(REASONS.resolvedByOperator), actor, open.message);
    this.afterOperatorResolve(open);
    return { commandId: cmd.commandId, alertId, applied: true, status: 'resolved', reason: REASONS.resolvedByOperator, event };
  }

  /** What keeps an operator-resolved alert from re-opening on the very next point (see header). */
  private afterOperatorResolve(alert: AlertEvent): void {
    if (alert.kind === 'threshold') {
      const s = this.thresholds.get(alert.ruleId);
      if (s) {
        s.upSince = null;
        s.downSince = null;
        s.downPoints = 0;
      }
    } else if (alert.kind === 'anomaly') {
      const s = this.anomalies.get(alert.ruleId);
      if (s) {
        const start = s.lastFindingKey === null ? NaN : Number(s.lastFindingKey.split(':')[0]);
        s.suppressedStart = Number.isFinite(start) ? start : null;
        s.normalPoints = 0;
      }
    } else if (alert.kind === 'sla') {
      const s = this.burns.get(alert.ruleId);
      if (s) {
        s.needsClear = true;
        s.clearSince = null;
        s.clearPoints = 0;
      }
    } else if (alert.kind === 'nodata') {
      this.nodataSuppressed = true;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Definitions

  /**
   * Switches to new definitions. Open alerts of rules and SLAs that no longer apply to this series
   * (deleted, disabled, or re-scoped) resolve now, with the reason; their state is dropped. Rules
   * that stay keep their pending timers and open alerts; an SLA whose comparator, threshold or
   * window changed restarts its counters. `nowMs` stamps the resolve events (default: the newest
   * event time seen).
   */
  setDefinitions(defs: DefinitionSet, nowMs?: number): AlertEvent[] {
    this.defs = defs;
    this.selectDefinitions(defs);
    this.reconcilePending = false;
    const at = nowMs !== undefined && Number.isFinite(nowMs) ? nowMs : (this.watermark ?? 0);
    return this.reconcile(at);
  }

  private selectDefinitions(defs: DefinitionSet): void {
    this.rules = defs.rulesFor(this.source, this.metric);
    this.slas = defs.slasFor(this.source, this.metric);
    this.slaPlans = this.slas.map((sla) => ({ sla, basis: slaBasis(sla), burnRuleIds: BURN_WINDOWS.map((w) => burnRuleId(sla.id, w.name)) }));
    this.fingerprints.clear();
  }

  private reconcile(at: number): AlertEvent[] {
    const out: AlertEvent[] = [];
    const ruleIds = new Map(this.rules.map((r) => [r.id, r.kind]));
    const slaIds = new Set(this.slas.map((s) => s.id));
    for (const alert of [...this.open.values()].sort(byKey((e) => e.fingerprint))) {
      let reason: string | null = null;
      if (alert.kind === 'threshold' || alert.kind === 'anomaly') {
        if (ruleIds.get(alert.ruleId) !== alert.kind) {
          const def = this.defs.rule(alert.ruleId);
          reason = !def ? REASONS.ruleDeleted : !def.enabled ? REASONS.ruleDisabled : REASONS.ruleNotApplicable;
        }
      } else if (alert.kind === 'sla') {
        const slaId = alert.ruleId.replace(/^sla:/, '').replace(/:(fast|slow)$/, '');
        if (!slaIds.has(slaId)) {
          const def = this.defs.sla(slaId);
          reason = !def ? REASONS.slaDeleted : !def.enabled ? REASONS.slaDisabled : REASONS.ruleNotApplicable;
        }
      }
      if (reason) out.push(this.resolve(alert, at, reason, PIPELINE_ACTOR, alert.message));
    }
    for (const id of [...this.thresholds.keys()]) if (ruleIds.get(id) !== 'threshold') this.thresholds.delete(id);
    for (const id of [...this.anomalies.keys()]) if (ruleIds.get(id) !== 'anomaly') this.anomalies.delete(id);
    for (const id of [...this.slaStates.keys()]) if (!slaIds.has(id)) this.slaStates.delete(id);
    for (const [ruleId] of [...this.burns]) {
      const slaId = ruleId.replace(/^sla:/, '').replace(/:(fast|slow)$/, '');
      if (!slaIds.has(slaId)) this.burns.delete(ruleId);
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Reading and snapshots

  /** The latest event of each open (firing or acknowledged) alert, by fingerprint. */
  openAlerts(): AlertEvent[] {
    return [...this.open.values()].sort(byKey((e) => e.fingerprint)).map(copyEvent);
  }

  toJSON(): SeriesMonitorState {
    return {
      format: STATE_FORMAT,
      source: this.source,
      metric: this.metric,
      watermark: this.watermark,
      lastValue: this.lastValue,
      heardAt: this.heardAt,
      sawPointSinceCheck: this.sawPointSinceCheck,
      nodataSuppressed: this.nodataSuppressed,
      tags: { ...this.tags },
      open: this.openAlerts(),
      recentResolved: this.recentResolved.map(copyEvent),
      commandResults: this.commandResults.map(copyResult),
      thresholds: [...this.thresholds.values()].sort(byKey((s) => s.ruleId)).map((s) => ({ ...s })),
      anomalies: [...this.anomalies.values()].sort(byKey((s) => s.ruleId)).map((s) => ({ ...s })),
      burns: [...this.burns.values()].sort(byKey((s) => s.ruleId)).map((s) => ({ ...s })),
      slas: [...this.slaStates.values()].sort(byKey((s) => s.slaId)).map(cloneSlaState),
    };
  }

  /**
   * Restores a monitor from toJSON() output (after a JSON round trip). Alerts of rules that `defs`
   * no longer applies resolve at the next point. Throws VigilError on a snapshot that is not one.
   */
  static fromJSON(state: SeriesMonitorState, source: string, metric: string, defs: DefinitionSet): SeriesMonitor {
    const problem = checkState(state, source, metric);
    if (problem) {
      throw new VigilError(`series monitor snapshot for ${source}/${metric} is unusable: ${problem}`, {
        action: 'drop the snapshot; the series state is rebuilt by replaying its points',
        code: 'BAD_MONITOR_STATE',
      });
    }
    const m = new SeriesMonitor(source, metric, defs);
    m.watermark = state.watermark;
    m.lastValue = state.lastValue;
    m.heardAt = state.heardAt;
    m.sawPointSinceCheck = state.sawPointSinceCheck;
    m.nodataSuppressed = state.nodataSuppressed;
    m.tags = state.tags && typeof state.tags === 'object' ? { ...state.tags } : NO_TAGS;
    for (const e of state.open) m.open.set(e.fingerprint, copyEvent(e));
    m.recentResolved = state.recentResolved.map(copyEvent);
    m.commandResults = state.commandResults.map(copyResult);
    for (const s of state.thresholds) m.thresholds.set(s.ruleId, { ...s });
    for (const s of state.anomalies) m.anomalies.set(s.ruleId, { ...s });
    for (const s of state.burns) m.burns.set(s.ruleId, { ...s });
    for (const s of state.slas) m.slaStates.set(s.slaId, cloneSlaState(s));
    m.reconcilePending = true;
    return m;
  }

  // -------------------------------------------------------------------------------------------
  // Alert transitions: the only places events are made

  private openAlert(ruleId: string, kind: AlertKind, severity: Severity, at: number, value: number, threshold: number, message: string): AlertEvent {
    const fingerprint = this.fp(ruleId);
    const alertId = alertIdOf(fingerprint, at);
    const event: AlertEvent = {
      eventId: eventIdOf(alertId, 1),
      alertId,
      fingerprint,
      source: this.source,
      metric: this.metric,
      ruleId,
      kind,
      severity,
      status: 'firing',
      version: 1,
      timestamp: at,
      openedAt: at,
      value,
      threshold,
      message,
      actor: PIPELINE_ACTOR,
      reason: REASONS.opened,
      tags: this.tags as Record<string, string>,
    };
    this.open.set(fingerprint, event);
    return copyEvent(event);
  }

  private update(
    prev: AlertEvent,
    change: { timestamp: number; reason: string; severity?: Severity; status?: AlertStatus; value?: number; threshold?: number; message?: string; actor?: string },
  ): AlertEvent {
    const version = prev.version + 1;
    const event: AlertEvent = {
      ...prev,
      eventId: eventIdOf(prev.alertId, version),
      version,
      // An alert's events never go back in time, whichever clock stamped them.
      timestamp: Math.max(change.timestamp, prev.timestamp),
      severity: change.severity ?? prev.severity,
      status: change.status ?? prev.status,
      value: change.value ?? prev.value,
      threshold: change.threshold ?? prev.threshold,
      message: change.message ?? prev.message,
      actor: change.actor ?? PIPELINE_ACTOR,
      reason: change.reason,
    };
    if (event.status === 'resolved') {
      this.open.delete(prev.fingerprint);
      this.recentResolved.push(copyEvent(event));
      if (this.recentResolved.length > MONITOR_TUNING.recentResolvedLimit) this.recentResolved.shift();
    } else {
      this.open.set(prev.fingerprint, event);
    }
    return copyEvent(event);
  }

  private resolve(prev: AlertEvent, at: number, reason: string, actor: string, message: string, value?: number): AlertEvent {
    return this.update(prev, { timestamp: at, status: 'resolved', reason, actor, message, value });
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  private fp(ruleId: string): string {
    let fp = this.fingerprints.get(ruleId);
    if (fp === undefined) {
      fp = fingerprintOf(this.source, this.metric, ruleId);
      this.fingerprints.set(ruleId, fp);
    }
    return fp;
  }

  private label(): string {
    return `${this.metric} on ${this.source}`;
  }

  private unit(): string {
    const u = METRIC_UNITS[this.metric];
    if (!u) return '';
    return u === '%' ? ' %' : ` ${u}`;
  }

  private thresholdMessage(rule: ThresholdRule, value: number, level: ThresholdLevel): string {
    return `${this.label()} is ${fmt(value)}${this.unit()}, ${rule.direction} the ${level.severity} bound ${fmt(level.value)}${this.unit()}`;
  }

  private anomalyMessage(input: ObservedPoint, f: AnomalyFindingLike): string {
    return (
      `${f.type.replace('_', ' ')} on ${this.label()}: ${fmt(input.value)}${this.unit()} vs expected ${fmt(f.expected)}${this.unit()} ` +
      `(score ${fmt(f.score)}, confidence ${fmt(f.confidence)}, z ${fmt(f.zscore)}, ${f.pointCount} point${f.pointCount === 1 ? '' : 's'})`
    );
  }

  private thresholdState(ruleId: string): ThresholdState {
    let s = this.thresholds.get(ruleId);
    if (!s) {
      s = { ruleId, upSince: null, downSince: null, downPoints: 0 };
      this.thresholds.set(ruleId, s);
    }
    return s;
  }

  private anomalyState(ruleId: string): AnomalyState {
    let s = this.anomalies.get(ruleId);
    if (!s) {
      s = { ruleId, normalPoints: 0, lastFindingKey: null, suppressedStart: null };
      this.anomalies.set(ruleId, s);
    }
    return s;
  }
}

/**
 * The severity a value calls for under a threshold rule, given the current one: the most severe
 * level that is crossed, or — for the current level and milder ones — not yet cleared past
 * bound ∓ hysteresis. That asymmetry is the hysteresis: stepping up needs a real crossing,
 * stepping down needs the margin.
 */
export function thresholdTarget(rule: ThresholdRule, value: number, current: Severity | null): { severity: Severity | null; level: ThresholdLevel | null } {
  const above = rule.direction === 'above';
  for (const level of rule.levels) {
    const crossed = above ? value > level.value : value < level.value;
    if (crossed) return { severity: level.severity, level };
    const heldByCurrent = current !== null && severityRank[level.severity] >= severityRank[current];
    if (heldByCurrent) {
      const cleared = above ? value <= level.value - rule.hysteresis : value >= level.value + rule.hysteresis;
      if (!cleared) return { severity: level.severity, level };
    }
  }
  return { severity: null, level: null };
}

function checkState(state: SeriesMonitorState, source: string, metric: string): string | null {
  if (typeof state !== 'object' || state === null) return 'not an object';
  if (state.format !== STATE_FORMAT) return `format ${String(state.format)}, expected ${STATE_FORMAT}`;
  if (state.source !== source || state.metric !== metric) return `it belongs to ${String(state.source)}/${String(state.metric)}`;
  for (const key of ['open', 'recentResolved', 'commandResults', 'thresholds', 'anomalies', 'burns', 'slas'] as const) {
    if (!Array.isArray(state[key])) return `${key} is not an array`;
  }
  return null;
}
