/**
 * Every Vigil topic, its partition count and configs, and an idempotent `ensureTopics`.
 *
 * Topics keyed by series id (metrics, its DLQ, anomalies, alerts, live) and `commands` get
 * config.kafka.partitions partitions: `commands` MUST match `metrics` (co-partitioned) so a
 * command for a series reaches the pipeline instance that owns that series' partition.
 */
import type { Admin, ITopicConfig } from 'kafkajs';
import { topicNames, type TopicNames, type VigilConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import { createLogger, type Logger } from '../../core/logger.ts';
import { connectAtStart, createKafka } from './client.ts';

export { topicNames, type TopicNames };

export interface TopicSpec {
  name: string;
  partitions: number;
  configs: Record<string, string>;
  /** Partition count must equal the metrics topic's (key → partition must agree). */
  coPartitioned: boolean;
}

const HOUR_MS = 3_600_000;

export function topicSpecs(config: Pick<VigilConfig, 'kafka'>): TopicSpec[] {
  const names = topicNames(config);
  const n = config.kafka.partitions;
  const spec = (name: string, partitions: number, configs: Record<string, string> = {}, coPartitioned = false): TopicSpec => ({
    name,
    partitions,
    configs,
    coPartitioned,
  });
  return [
    spec(names.metrics, n, { 'retention.ms': String(24 * HOUR_MS) }, true),
    spec(names.dlq, n, { 'retention.ms': String(7 * 24 * HOUR_MS) }),
    spec(names.anomalies, n),
    spec(names.alerts, n),
    // Live events are only interesting for a moment; the gateway's replay buffer covers resumes.
    spec(names.live, n, { 'retention.ms': String(HOUR_MS) }),
    spec(names.commands, n, {}, true),
    spec(names.commandResults, n, { 'retention.ms': String(HOUR_MS) }),
    // Keyed by incident group key, not series: one on-call incident processor per partition.
    spec(names.alertsByGroup, n),
    // Incident transitions. Compacted because it is also the processor's changelog (latest
    // incident per group key rebuilds its state); the compaction lag keeps every transition
    // readable for a day for consumers such as the notifier.
    spec(names.incidents, n, { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': String(24 * HOUR_MS), 'segment.ms': String(HOUR_MS) }),
    // Rules and SLA definitions: latest value per key, read whole at start-up.
    spec(names.config, 1, { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(HOUR_MS) }),
    // Silences (key = silence id, newest version per key), read whole by the API and on-call.
    spec(names.silences, 1, { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(HOUR_MS) }),
    spec(names.receivers, 1, { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(HOUR_MS) }),
  ];
}

type LoggerOrOptions = Logger | { logger?: Logger };
function resolveLogger(config: Pick<VigilConfig, 'logLevel'>, arg?: LoggerOrOptions): Logger {
  if (arg && typeof (arg as Logger).info === 'function') return arg as Logger;
  return (arg as { logger?: Logger } | undefined)?.logger ?? createLogger(config.logLevel, { component: 'topics' });
}

async function withAdmin<T>(config: Pick<VigilConfig, 'kafka' | 'logLevel'>, logger: Logger, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createKafka(config, logger, { clientId: `${config.kafka.clientId}-admin` }).admin();
  await connectAtStart(admin, config.kafka);
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

function isAlreadyExists(err: unknown): boolean {
  const e = err as { type?: string; errors?: unknown[]; error?: unknown } | undefined;
  if (e?.type === 'TOPIC_ALREADY_EXISTS') return true;
  // createTopics wraps per-topic errors in a KafkaJSAggregateError.
  return Array.isArray(e?.errors) && e.errors.length > 0 && e.errors.every((x) => (x as { type?: string }).type === 'TOPIC_ALREADY_EXISTS');
}

type TopicMetadata = Awaited<ReturnType<Admin['fetchTopicMetadata']>>['topics'];

const NOT_READY = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION', 'NOT_LEADER_OR_FOLLOWER']);

/**
 * Polls until every partition of `names` has a leader that answers: metadata names a leader AND
 * a ListOffsets succeeds (a KRaft broker publishes the leader in metadata a moment before its
 * replica manager serves the partition, and answers NOT_LEADER in between). Returns the
 * metadata. Use after admin.createTopics({ waitForLeaders: false }) instead of kafkajs's
 * waitForLeaders.
 */
export async function waitForLeaders(admin: Admin, names: string[], timeoutMs: number): Promise<TopicMetadata> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let problem: unknown;
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      const leaderless = topics.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0));
      if (leaderless.length === 0 && topics.length === names.length) {
        for (const name of names) await admin.fetchTopicOffsets(name);
        return topics;
      }
      problem = `no leader yet for ${leaderless.map((t) => t.name).join(', ')}`;
    } catch (err) {
      if (!NOT_READY.has((err as { type?: string }).type ?? '')) throw err;
      problem = err;
    }
    if (Date.now() > deadline) {
      throw new VigilError(`Kafka topics ${names.join(', ')} have no leaders after ${timeoutMs} ms`, {
        cause: problem,
        action: 'check the broker log (.stack/kafka/server.log)',
      });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Creates any missing Vigil topic (safe to race with another process doing the same) and checks
 * that the existing ones have the partition counts the pipeline relies on. Returns the names.
 */
export async function ensureTopics(config: Pick<VigilConfig, 'kafka' | 'logLevel'>, loggerOrOptions?: LoggerOrOptions): Promise<TopicNames> {
  const logger = resolveLogger(config, loggerOrOptions);
  const specs = topicSpecs(config);
  await withAdmin(config, logger, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length > 0) {
      const topics: ITopicConfig[] = missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: config.kafka.replicationFactor,
        configEntries: Object.entries({ 'min.insync.replicas': String(config.kafka.minInsyncReplicas), ...s.configs }).map(([name, value]) => ({ name, value })),
      }));
      try {
        // Not kafkajs's waitForLeaders: it only retries LEADER_NOT_AVAILABLE, while a KRaft
        // broker answers UNKNOWN_TOPIC_OR_PARTITION until the new topic reaches its metadata
        // cache (seen under load). waitForLeaders() below tolerates both.
        await admin.createTopics({ topics, waitForLeaders: false, timeout: 30_000 });
      } catch (err) {
        if (!isAlreadyExists(err)) {
          throw new VigilError(`cannot create Kafka topics ${missing.map((s) => s.name).join(', ')}`, {
            cause: err,
            action: 'check the broker log (.stack/kafka/server.log) and that replicationFactor <= number of brokers',
          });
        }
      }
      logger.info({ topics: missing.map((s) => s.name) }, 'created Kafka topics');
    }
    const metadata = await waitForLeaders(admin, specs.map((s) => s.name), 30_000);
    const counts = new Map(metadata.map((t) => [t.name, t.partitions.length]));
    for (const s of specs.filter((x) => x.coPartitioned)) {
      const actual = counts.get(s.name);
      if (actual !== s.partitions) {
        throw new VigilError(`topic ${s.name} has ${actual} partitions but kafka.partitions is ${s.partitions}`, {
          action: `the co-partitioned topics (metrics, commands) must both have kafka.partitions partitions: set VIGIL_KAFKA_PARTITIONS=${actual} or recreate the topics`,
        });
      }
    }
  });
  return topicNames(config);
}

/** Deletes every topic whose name starts with `prefix` (tests clean up their own prefix). */
export async function deleteTopicsWithPrefix(
  config: Pick<VigilConfig, 'kafka' | 'logLevel'>,
  prefix: string,
  loggerOrOptions?: LoggerOrOptions,
): Promise<string[]> {
  if (prefix.length < 3) throw new VigilError(`refusing to delete topics with the short prefix ${JSON.stringify(prefix)}`);
  const logger = resolveLogger(config, loggerOrOptions);
  return withAdmin(config, logger, async (admin) => {
    const doomed = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
    return doomed;
  });
}
