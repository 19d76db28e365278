/**
 * On-call stage: forwards Vigil's alerts to an existing Alertmanager (API v2) and mirrors that
 * Alertmanager's silences into Vigil.
 *
 * - Open alerts (firing or acknowledged) are kept by id, latest version wins. On start they are
 *   rebuilt from ClickHouse (latest state per alert), then the alerts topic is followed with a
 *   group of its own (from the beginning on its first start; versions make replays harmless). Every change is posted at once; every open alert is re-posted each
 *   `resendIntervalMs` with endsAt four intervals ahead, so Alertmanager keeps it firing while
 *   Vigil runs and resolves it by itself if Vigil stops for good.
 * - A resolved alert is posted once more with endsAt = its resolve time (retried on the next
 *   tick until Alertmanager accepts it), then forgotten.
 * - Every `silencePollMs` Alertmanager's silences are read (GET /api/v2/silences) and written to
 *   Vigil's silences topic as `am-<id>`, so the notifier holds back what Alertmanager silences
 *   and the API shows it in `silencedBy`. A mirror whose silence vanished from Alertmanager is
 *   expired.
 */
import { Counter } from 'prom-client';
import type { Producer } from 'kafkajs';
import { clickHouseReader } from '../../api/clickhouse.ts';
import { alertFromRow, latestAlertStates, type AlertStateRow } from '../../api/queries/alerts.ts';
import { tablesIn } from '../../api/queries/tables.ts';
import { sql } from '../../api/sql.ts';
import { decodeEvent } from '../../pipeline/codec/events.ts';
import { javaCompatiblePartitioner } from '../../pipeline/kafka/client.ts';
import { startSilenceStore, type KafkaSilenceStore } from '../silences/silence-store.ts';
import type { OncallDeps, StageHandle } from '../stage.ts';
import { alertmanagerClient, type AlertmanagerClient } from './client.ts';
import { forwardedAlert, planMirror, postableAlert, type ForwardedAlert } from './mapping.ts';

export interface ForwarderOptions {
  now?: () => number;
  client?: AlertmanagerClient;
}

export async function startAlertmanagerForwarder(deps: OncallDeps, options: ForwarderOptions = {}): Promise<StageHandle> {
  const { config, logger } = deps;
  const am = config.alertmanager;
  if (!am.url) throw new Error('startAlertmanagerForwarder needs alertmanager.url');
  const now = options.now ?? Date.now;
  const client = options.client ?? alertmanagerClient(am.url, am.timeoutMs);
  const mapping = { dashboardUrl: config.notify.dashboardUrl, resendIntervalMs: am.resendIntervalMs };
  const posts = new Counter({ name: 'vigil_alertmanager_posts_total', help: 'POST /api/v2/alerts requests by result', labelNames: ['result'], registers: [deps.registry] });
  const mirrored = new Counter({ name: 'vigil_alertmanager_silences_mirrored_total', help: 'Alertmanager silences written to Vigil, by result', labelNames: ['result'], registers: [deps.registry] });

  const open = new Map<string, ForwardedAlert>();
  /** Resolved alerts Alertmanager has not yet been told about. */
  const ending = new Map<string, ForwardedAlert>();
  let lastError: string | null = null;
  let lastPostAt = 0;
  let closed = false;
  const startedAt = now();

  // Latest state of every alert still open, as stored: the starting point before the topic.
  const reader = clickHouseReader(deps.clickhouse, config.api.queryTimeoutMs);
  const rows = await reader.query<AlertStateRow>(
    sql`SELECT * FROM (${latestAlertStates(tablesIn(config.clickhouse.database), [])}) WHERE a_status != 'resolved'`,
  );
  for (const row of rows) {
    const a = alertFromRow(row);
    open.set(a.alertId, { ...a });
  }

  const apply = (a: ForwardedAlert): boolean => {
    const held = open.get(a.alertId) ?? ending.get(a.alertId);
    if (held && held.version >= a.version) return false;
    // Replaying the topic: an alert resolved long ago is resolved in Alertmanager already (its
    // endsAt passed), so only recent ends are worth telling.
    if (!held && a.status === 'resolved' && now() - a.updatedAt > 4 * am.resendIntervalMs) return false;
    if (a.status === 'resolved') {
      open.delete(a.alertId);
      ending.set(a.alertId, a);
    } else {
      open.set(a.alertId, a);
    }
    return true;
  };

  let posting: Promise<void> | null = null;
  const postAll = async (): Promise<void> => {
    const t = now();
    const batch = [...open.values(), ...ending.values()];
    const endingNow = [...ending.keys()];
    try {
      await client.postAlerts(batch.map((a) => postableAlert(a, t, mapping)));
      for (const id of endingNow) if (ending.get(id)) ending.delete(id);
      posts.inc({ result: 'ok' });
      lastPostAt = t;
      lastError = null;
    } catch (err) {
      posts.inc({ result: 'failed' });
      lastError = (err as Error).message;
      logger.warn({ err, alerts: batch.length }, 'posting alerts to Alertmanager failed; retried on the next resend');
    }
  };
  /** One post at a time; a change during a post triggers one more. */
  let again = false;
  const flush = (): Promise<void> => {
    if (posting) {
      again = true;
      return posting;
    }
    posting = (async () => {
      do {
        again = false;
        await postAll();
      } while (again && !closed);
    })().finally(() => (posting = null));
    return posting;
  };

  const producer: Producer = deps.kafka.producer({ createPartitioner: javaCompatiblePartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  let silences: KafkaSilenceStore | null = null;
  const consumer = deps.kafka.consumer({ groupId: `${config.kafka.groupId}-alertmanager`, allowAutoTopicCreation: false, maxWaitTimeInMs: 200, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const timers: NodeJS.Timeout[] = [];
  const close = async () => {
    closed = true;
    for (const t of timers) clearInterval(t);
    await consumer.disconnect().catch(() => undefined);
    await posting?.catch(() => undefined);
    await silences?.close().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  };

  try {
    silences = await startSilenceStore({ kafka: deps.kafka, producer, topic: deps.topics.silences, logger });
    await silences.whenReady();
    await consumer.connect();
    // From the beginning on the group's first start, so no event between the ClickHouse read and
    // the group's first fetch is missed; afterwards from the committed offsets.
    await consumer.subscribe({ topic: deps.topics.alerts, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        if (!message.value) return;
        let decoded;
        try {
          decoded = decodeEvent(message.value);
        } catch (err) {
          logger.warn({ err, partition, offset: message.offset }, 'undecodable record on the alerts topic skipped');
          return;
        }
        if (decoded.kind !== 'alert') return;
        if (apply(forwardedAlert(decoded.record))) void flush();
      },
    });
  } catch (err) {
    await close();
    throw err;
  }

  const mirrorSilences = async () => {
    const store = silences!;
    let answer: unknown;
    try {
      answer = await client.silences();
    } catch (err) {
      mirrored.inc({ result: 'failed' });
      logger.warn({ err }, 'reading Alertmanager silences failed; retried on the next poll');
      return;
    }
    const plan = planMirror(answer, store.list(now()), now());
    for (const r of plan.refused) {
      mirrored.inc({ result: 'refused' });
      logger.warn({ id: r.id, reasons: r.reasons }, 'Alertmanager silence not mirrored: Vigil refuses it');
    }
    for (const s of plan.writes) {
      await store.write(s).then(
        () => mirrored.inc({ result: 'written' }),
        (err: unknown) => logger.warn({ err, id: s.id }, 'writing mirrored silence failed; retried on the next poll'),
      );
    }
  };

  timers.push(setInterval(() => void flush(), am.resendIntervalMs));
  if (am.silencePollMs > 0) {
    timers.push(setInterval(() => void mirrorSilences(), am.silencePollMs));
    void mirrorSilences();
  }
  void flush();
  logger.info({ url: am.url, openAlerts: open.size }, 'forwarding alerts to Alertmanager');

  return {
    close,
    // Unhealthy once Alertmanager would have resolved Vigil's alerts by itself (no post accepted
    // for four resend intervals); a single failed post is only reported.
    health: () => ({ healthy: lastError === null || now() - Math.max(lastPostAt, startedAt) < 4 * am.resendIntervalMs, url: am.url, openAlerts: open.size, pendingEnds: ending.size, lastPostAt, lastError }),
  };
}
