/**
 * The `incidents` on-call stage: repartition lane, incident lane (with the changelog it rebuilds
 * from) and the ClickHouse sink. Consumer groups and transactional ids derive from the topic
 * prefix, so environments sharing a broker never meet.
 */
import { Counter } from 'prom-client';
import { endOffsets } from '../../pipeline/kafka/offsets.ts';
import { startIncidentChangelog } from './changelog.ts';
import { compileInhibitRules } from './inhibition.ts';
import { startIncidentSink } from './sink.ts';
import { incidentTask, repartitionTask } from './tasks.ts';
import { startTransactionalLane } from './transactional-lane.ts';
import type { OncallDeps, StageHandle } from '../stage.ts';

/** How long a task waits for the changelog to reach the end of its partition before giving up (and retrying). */
const REBUILD_TIMEOUT_MS = 60_000;

export function incidentGroupIds(prefix: string) {
  return {
    repartition: `${prefix}oncall.repartition`,
    incidents: `${prefix}oncall.incidents`,
    sink: `${prefix}oncall.incident-sink`,
    changelogPrefix: `${prefix}oncall.incident-changelog.`,
  };
}

export async function startIncidents(deps: OncallDeps): Promise<StageHandle> {
  const { config, topics, kafka, logger, registry } = deps;
  const policy = config.oncall;
  const rules = { policy, inhibitRules: compileInhibitRules(policy) };
  const ids = incidentGroupIds(config.kafka.topicPrefix);

  const skipped = new Counter({ name: 'vigil_oncall_alerts_skipped_total', help: 'Alert events that opened no incident, by reason', labelNames: ['reason'] as const, registers: [registry] });
  const incidentEvents = new Counter({ name: 'vigil_oncall_incident_events_total', help: 'Incident transitions committed, by status', labelNames: ['status'] as const, registers: [registry] });
  const stored = new Counter({ name: 'vigil_oncall_incident_rows_stored_total', help: 'Incident events written to ClickHouse (re-deliveries included)', registers: [registry] });
  const counter = { skipped: (reason: 'undecodable' | 'no-incident', n = 1) => skipped.inc({ reason }, n) };

  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((err: unknown) => logger.warn({ err }, 'incident stage part did not close cleanly'));
  };
  try {
    const changelog = await startIncidentChangelog({ kafka, topic: topics.incidents, groupPrefix: ids.changelogPrefix, logger });
    closers.push(() => changelog.close());
    const sink = await startIncidentSink({ kafka, clickhouse: deps.clickhouse, topic: topics.incidents, groupId: ids.sink, logger, onStored: (n) => stored.inc(n) });
    closers.push(() => sink.close());
    const processor = await startTransactionalLane({
      kafka,
      logger,
      groupId: ids.incidents,
      inputTopic: topics.alertsByGroup,
      outputTopic: topics.incidents,
      transactionalIdPrefix: ids.incidents,
      beforeCommit: deps.beforeCommit,
      async createTask(partition) {
        // The producer of this partition has fenced earlier owners: the changelog's end is final.
        const end = (await endOffsets(kafka, topics.incidents)).get(partition) ?? 0n;
        await changelog.caughtUp(partition, end, REBUILD_TIMEOUT_MS);
        const state = changelog.latest(partition);
        logger.info({ partition, groups: state.size, changelogEnd: end.toString() }, 'incident task rebuilt from the changelog');
        return incidentTask(partition, state, rules, logger, counter, (events) => {
          for (const e of events) incidentEvents.inc({ status: e.status });
        });
      },
    });
    closers.push(() => processor.close());
    const repartition = await startTransactionalLane({
      kafka,
      logger,
      groupId: ids.repartition,
      inputTopic: topics.alerts,
      outputTopic: topics.alertsByGroup,
      transactionalIdPrefix: ids.repartition,
      beforeCommit: deps.beforeCommit,
      createTask: async () => repartitionTask(policy, logger, counter),
    });
    closers.push(() => repartition.close());
    return {
      close: closeAll,
      health: () => ({
        healthy: processor.running() && repartition.running(),
        repartitionPartitions: repartition.owned(),
        incidentPartitions: processor.owned(),
        lastError: processor.lastError() ?? repartition.lastError() ?? sink.lastError(),
      }),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
