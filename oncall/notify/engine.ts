/**
 * The notifier's state machine, without Kafka: incidents come in through observe(), tick()
 * evaluates every notification group (incident × matching route × receiver) with the pure
 * timers of timers.ts and delivers what is due, recording each step in the notification log.
 *
 * What was delivered is known from the log (restore()), not from memory, so after a restart a
 * group that was notified is not notified again; a notification whose delivery was cut short is
 * resumed under the same id and idempotency key (receivers that keep keys drop the duplicate).
 */
import { stableId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { NotifyConfig, ReceiverConfig } from '../../core/notify-config.ts';
import type { IncidentEvent } from '../../schemas/records.ts';
import { retryDelayMs } from './backoff.ts';
import { contentKey, incidentLabels } from './labels.ts';
import type { NotificationLog } from './log-store.ts';
import type { NotifierMetrics } from './metrics.ts';
import { renderBody, type Notification } from './payloads.ts';
import { FINAL_RESULTS, type NotificationRecord, type NotificationResult } from './records.ts';
import { compileRoutes, matchRoutes, type CompiledRoute, type RouteMatch } from './routing.ts';
import type { AttemptInput, AttemptResult } from './sender.ts';
import { decide, type LastNotification, type NotificationKind } from './timers.ts';

/**
 * The silences seam: ids of the silences that apply to these labels now (empty = none). The
 * silences module's activeSilencesFor() plugs in here.
 */
export type SilenceLookup = (incident: IncidentEvent, now: number) => string[] | Promise<string[]>;

export interface EngineDeps {
  notify: NotifyConfig;
  /** Receiver by name (config overlaid by the API's); default: notify.receivers. */
  receiver?: (name: string) => ReceiverConfig | undefined;
  log: NotificationLog;
  attempt: (input: AttemptInput) => Promise<AttemptResult>;
  metrics: NotifierMetrics;
  logger: Logger;
  silencedBy?: SilenceLookup;
  now?: () => number;
  random?: () => number;
}

interface Tracked {
  incident: IncidentEvent;
  partition: number;
  key: string;
  labels: Record<string, string>;
  matches: RouteMatch[];
  /** Wall-clock time a firing version was first observed: group_wait counts from here. */
  firingSince: number | null;
}

interface Group {
  id: string;
  firstSeenAt: number | null;
  last: LastNotification | null;
  inFlight: boolean;
  /** content key + kind last recorded as silenced (one record per silenced state, not per tick). */
  silenced: string | null;
  /** Incident version last recorded as suppressed. */
  suppressedVersion: number;
  /** Repeats delivered per incident event id (numbers the repeat idempotency keys). */
  repeats: Map<string, number>;
}

const WRITE_ATTEMPTS = 3;

export class NotificationEngine {
  private readonly routes: CompiledRoute | null;
  private readonly receiver: (name: string) => ReceiverConfig | undefined;
  /** Receiver names already warned about as undefined (once each). */
  private readonly missing = new Set<string>();
  private readonly incidents = new Map<string, Tracked>();
  /** Incidents finished (resolved, every group done) → version: older re-deliveries are ignored. */
  private readonly finished = new Map<string, { version: number; at: number }>();
  private readonly groups = new Map<string, Group>();
  /** Notifications not final in the log (cut short by a crash): continued, not restarted. */
  private readonly resume = new Map<string, NotificationRecord>();
  /** Final notifications already folded into group state (restore() runs again on rebalance). */
  private readonly folded = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly stop = new AbortController();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly logger: Logger;

  constructor(private readonly deps: EngineDeps) {
    this.routes = compileRoutes(deps.notify);
    const configured = new Map(deps.notify.receivers.map((r) => [r.name, r]));
    this.receiver = deps.receiver ?? ((name) => configured.get(name));
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.logger = deps.logger.child({ component: 'notifier' });
  }

  /** Loads what the log says was already delivered, silenced, suppressed or left unfinished. */
  restore(records: readonly NotificationRecord[]): void {
    for (const r of [...records].sort((a, b) => a.updatedAt - b.updatedAt)) {
      if (this.folded.has(r.notificationId)) continue;
      const g = this.group(r.groupId);
      if (r.result === 'sent' || r.result === 'dead') {
        if (!g.last || r.updatedAt >= g.last.at) g.last = { at: r.updatedAt, key: r.contentKey, resolved: r.kind === 'resolved' };
        if (r.kind === 'repeat') g.repeats.set(r.incidentEventId, (g.repeats.get(r.incidentEventId) ?? 0) + 1);
      }
      if (r.result === 'silenced') g.silenced = `${r.contentKey}|${r.kind}`;
      if (r.result === 'suppressed') g.suppressedVersion = Math.max(g.suppressedVersion, r.incidentVersion);
      if (FINAL_RESULTS.has(r.result)) {
        this.resume.delete(r.notificationId);
        this.folded.add(r.notificationId);
      } else if (!this.groups.get(r.groupId)?.inFlight) {
        this.resume.set(r.notificationId, r);
      }
    }
  }

  /** The newest version of each incident wins; re-delivered older events change nothing. */
  observe(incident: IncidentEvent, partition: number): void {
    const prev = this.incidents.get(incident.incidentId);
    if (prev && prev.incident.version >= incident.version) return;
    const done = this.finished.get(incident.incidentId);
    if (done && done.version >= incident.version) return;
    const labels = incidentLabels(incident);
    const firingSince = prev?.firingSince ?? (incident.status === 'firing' ? this.now() : null);
    this.incidents.set(incident.incidentId, { incident, partition, key: contentKey(incident), labels, matches: matchRoutes(this.routes, labels), firingSince });
  }

  /** Forgets incidents of partitions this instance no longer owns (their new owner notifies). */
  dropPartitions(keep: (partition: number) => boolean): void {
    for (const [id, t] of this.incidents) if (!keep(t.partition)) this.incidents.delete(id);
  }

  get trackedIncidents(): number {
    return this.incidents.size;
  }

  /** Evaluates every group of the incidents whose partition is live (read up to its end). */
  tick(isLive: (partition: number) => boolean = () => true): void {
    if (this.stop.signal.aborted) return;
    const now = this.now();
    for (const [incidentId, t] of this.incidents) {
      if (!isLive(t.partition)) continue;
      let allDone = true;
      for (const match of t.matches) {
        const receiver = this.receiver(match.receiver);
        if (!receiver) {
          if (!this.missing.has(match.receiver)) {
            this.missing.add(match.receiver);
            this.logger.warn({ routeId: match.routeId, receiver: match.receiver }, 'route names a receiver defined neither in notify.receivers nor through /api/v1/receivers; its incidents are not notified there');
          }
          continue;
        }
        this.missing.delete(match.receiver);
        const g = this.group(stableId(match.routeId, match.receiver, incidentId));
        if (g.inFlight) {
          allDone = false;
          continue;
        }
        if (g.firstSeenAt === null && t.incident.status === 'firing') g.firstSeenAt = t.firingSince ?? now;
        const d = decide({ firstSeenAt: g.firstSeenAt ?? now, last: g.last }, { status: t.incident.status, key: t.key }, { ...match, sendResolved: receiver.sendResolved }, now);
        if (d.action === 'send') {
          allDone = false;
          this.track(this.deliver(g, t, match, receiver, d.kind));
        } else if (d.action === 'idle') {
          allDone = false;
          if (g.last && !g.last.resolved && g.suppressedVersion < t.incident.version) this.track(this.suppress(g, t, match, receiver, 'repeat', 'acknowledged: no repeats until it fires again or resolves'));
        } else if (d.action === 'wait') {
          allDone = false;
        } else if (t.incident.status === 'resolved' && !receiver.sendResolved && g.last && !g.last.resolved && g.suppressedVersion < t.incident.version) {
          this.track(this.suppress(g, t, match, receiver, 'resolved', `receiver ${receiver.name} has sendResolved off`));
          allDone = false;
        }
      }
      if (allDone && t.incident.status === 'resolved') {
        this.incidents.delete(incidentId);
        this.finished.set(incidentId, { version: t.incident.version, at: now });
      }
    }
    for (const [id, f] of this.finished) if (now - f.at > this.deps.notify.stateRetentionMs) this.finished.delete(id);
  }

  /** Stops retry waits and new deliveries; resolves when in-flight attempts have ended. */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled([...this.inflight]);
  }

  /** Resolves when nothing is in flight (tests). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private group(id: string): Group {
    let g = this.groups.get(id);
    if (!g) {
      g = { id, firstSeenAt: null, last: null, inFlight: false, silenced: null, suppressedVersion: 0, repeats: new Map() };
      this.groups.set(id, g);
    }
    return g;
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private record(g: Group, t: Tracked, match: RouteMatch, receiver: ReceiverConfig, fields: Pick<NotificationRecord, 'notificationId' | 'kind' | 'result' | 'attempts' | 'createdAt' | 'version'> & Partial<NotificationRecord>): NotificationRecord {
    const inc = t.incident;
    return {
      groupId: g.id,
      incidentId: inc.incidentId,
      incidentEventId: inc.eventId,
      incidentVersion: inc.version,
      groupKey: inc.groupKey,
      routeId: match.routeId,
      receiver: receiver.name,
      receiverType: receiver.type,
      contentKey: t.key,
      severity: inc.severity,
      incidentStatus: inc.status,
      httpStatus: 0,
      error: '',
      silenceIds: [],
      payload: '',
      updatedAt: this.now(),
      ...fields,
    };
  }

  private async write(rec: NotificationRecord): Promise<void> {
    if (FINAL_RESULTS.has(rec.result)) this.folded.add(rec.notificationId);
    for (let i = 1; ; i++) {
      try {
        await this.deps.log.write([rec]);
        return;
      } catch (err) {
        if (i >= WRITE_ATTEMPTS || this.stop.signal.aborted) {
          // The receiver already has (or will not get) it; without the record a restart may send it again.
          this.logger.error({ err, notificationId: rec.notificationId, result: rec.result, receiver: rec.receiver }, 'cannot record notification in ClickHouse; a restart may repeat it');
          return;
        }
        await this.sleep(200 * i);
      }
    }
  }

  private async suppress(g: Group, t: Tracked, match: RouteMatch, receiver: ReceiverConfig, kind: NotificationKind, why: string): Promise<void> {
    g.suppressedVersion = t.incident.version;
    const now = this.now();
    this.deps.metrics.count(receiver.name, 'suppressed');
    this.logger.info({ incidentId: t.incident.incidentId, receiver: receiver.name, why }, 'notification suppressed');
    await this.write(this.record(g, t, match, receiver, { notificationId: stableId(g.id, t.incident.eventId, 'suppressed'), kind, result: 'suppressed', attempts: 0, createdAt: now, version: 1, error: why }));
  }

  private async deliver(g: Group, t: Tracked, match: RouteMatch, receiver: ReceiverConfig, kind: NotificationKind): Promise<void> {
    g.inFlight = true;
    const inc = t.incident;
    const log = this.logger.child({ incidentId: inc.incidentId, receiver: receiver.name, routeId: match.routeId, kind });
    try {
      const dueAt = this.now();
      const silenceIds = this.deps.silencedBy ? await this.deps.silencedBy(inc, dueAt) : [];
      if (silenceIds.length > 0) {
        const state = `${t.key}|${kind}`;
        if (g.silenced !== state) {
          g.silenced = state;
          this.deps.metrics.count(receiver.name, 'silenced');
          log.info({ silenceIds }, 'notification silenced');
          await this.write(this.record(g, t, match, receiver, { notificationId: stableId(g.id, inc.eventId, kind, 'silenced'), kind, result: 'silenced', attempts: 0, createdAt: dueAt, version: 1, silenceIds }));
        }
        return;
      }
      g.silenced = null;
      const seq = kind === 'repeat' ? (g.repeats.get(inc.eventId) ?? 0) + 1 : 0;
      const idempotencyKey = kind === 'repeat' ? `${inc.eventId}/repeat-${seq}` : inc.eventId;
      const notificationId = stableId(g.id, idempotencyKey);
      const resumed = this.resume.get(notificationId);
      this.resume.delete(notificationId);
      let attempts = resumed?.attempts ?? 0;
      let version = resumed?.version ?? 0;
      const createdAt = resumed?.createdAt ?? dueAt;
      const notification: Notification = { notificationId, idempotencyKey, kind, receiver: receiver.name, routeId: match.routeId, incident: inc };
      const body = renderBody(notification, receiver, { dashboardUrl: this.deps.notify.dashboardUrl });
      const { maxAttempts } = this.deps.notify.retries;
      for (;;) {
        attempts++;
        const res = await this.deps.attempt({ receiver, body, idempotencyKey, timeoutMs: receiver.timeoutMs ?? this.deps.notify.timeoutMs, now: this.now() });
        const at = this.now();
        const common = { notificationId, kind, attempts, createdAt, version: ++version, httpStatus: res.httpStatus, updatedAt: at };
        if (res.outcome === 'delivered') {
          g.last = { at, key: t.key, resolved: kind === 'resolved' };
          if (kind === 'repeat') g.repeats.set(inc.eventId, seq);
          this.deps.metrics.count(receiver.name, 'sent');
          this.deps.metrics.latency(receiver.name, (at - dueAt) / 1000);
          log.info({ notificationId, attempts, httpStatus: res.httpStatus }, 'notification sent');
          await this.write(this.record(g, t, match, receiver, { ...common, result: 'sent' }));
          return;
        }
        const last = res.outcome === 'permanent' || attempts >= maxAttempts;
        const result: NotificationResult = last ? 'dead' : 'failed';
        this.deps.metrics.count(receiver.name, result);
        if (last) {
          // Given up: counts as this state's notification, so the next change or repeat tries again
          // instead of hammering a receiver that is down.
          g.last = { at, key: t.key, resolved: kind === 'resolved' };
          log.warn({ notificationId, attempts, error: res.error }, 'notification dead-lettered after its last attempt');
          await this.write(this.record(g, t, match, receiver, { ...common, result, error: res.error, payload: body }));
          return;
        }
        await this.write(this.record(g, t, match, receiver, { ...common, result, error: res.error }));
        const delay = retryDelayMs(attempts, this.deps.notify.retries, this.random);
        log.warn({ notificationId, attempts, error: res.error, retryInMs: delay }, 'notification attempt failed; retrying');
        await this.sleep(delay);
        if (this.stop.signal.aborted) return; // left 'failed' in the log: resumed after a restart
      }
    } catch (err) {
      log.error({ err }, 'notification delivery crashed; it is retried on the next tick');
    } finally {
      g.inFlight = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stop.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
