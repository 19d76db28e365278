/**
 * Isolated test environments on the shared local stack: each call gets its own topic prefix,
 * consumer group and ClickHouse database, so test files can run in parallel against one
 * broker and one server and clean up after themselves.
 */
import { randomBytes } from 'node:crypto';
import { deepMerge, loadConfig, topicNames, type TopicNames, type VigilConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import { createServiceLogger, type Logger } from '../../core/logger.ts';
import { deleteTopicsWithPrefix, ensureTopics } from '../../pipeline/kafka/topics.ts';
import { createClickHouse, plainIdentifier } from '../../pipeline/storage/clickhouse.ts';
import { migrate } from '../../pipeline/storage/migrate.ts';

export interface TestEnv {
  config: VigilConfig;
  topics: TopicNames;
  logger: Logger;
  /** Drops the database and deletes every topic under the prefix. Safe to call twice. */
  cleanup(): Promise<void>;
}

export interface TestEnvOptions {
  /** Partitions for keyed topics (default 4: plenty for tests, cheap to create and delete). */
  partitions?: number;
  /** Deep-merged over the generated config (same shape as a VIGIL_CONFIG file). */
  overrides?: Record<string, unknown>;
  /** Skip topic creation / migrations (e.g. a test of the migration runner itself). */
  topics?: boolean;
  migrations?: boolean;
  /** Folder of migration files (default schemas/clickhouse). */
  migrationsDir?: string;
}

/** Lowercase letters/digits/underscore only: valid in both a topic name and an identifier. */
function slug(name: string): string {
  const s = name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
  return s || 'test';
}


/**
 * A config for one test file: `t.<name>.<random>.` topic prefix, its own group id and
 * `t_<name>_<random>` database, other settings from VIGIL_* (so tests can point at another
 * stack) — except the log level, which is `warn` unless VIGIL_LOG_LEVEL says otherwise.
 */
export function testConfig(name: string, options: Pick<TestEnvOptions, 'partitions' | 'overrides'> = {}): VigilConfig {
  const id = `${slug(name)}_${randomBytes(4).toString('hex')}`;
  const generated = {
    ...(process.env.VIGIL_LOG_LEVEL ? {} : { logLevel: 'warn' }),
    kafka: {
      topicPrefix: `t.${id.replace(/_/g, '-')}.`,
      groupId: `t.${id}.group`,
      clientId: `t-${id}`,
      partitions: options.partitions ?? 4,
    },
    clickhouse: { database: `t_${id}` },
  };
  return loadConfig({ overrides: deepMerge(generated, options.overrides ?? {}) });
}

export async function createTestEnv(name: string, options: TestEnvOptions = {}): Promise<TestEnv> {
  const config = testConfig(name, options);
  const logger = createServiceLogger(config, { test: name });
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    const errors: unknown[] = [];
    await deleteTopicsWithPrefix(config, config.kafka.topicPrefix, logger).catch((e: unknown) => errors.push(e));
    const ch = createClickHouse(config, { database: null, logger });
    await ch
      .command({ query: `DROP DATABASE IF EXISTS ${plainIdentifier(config.clickhouse.database)}` })
      .catch((e: unknown) => errors.push(e))
      .finally(() => ch.close());
    if (errors.length > 0) throw new VigilError(`test env ${name} cleanup failed`, { cause: errors[0] });
  };
  try {
    if (options.topics !== false) await ensureTopics(config, logger);
    if (options.migrations !== false) await migrate(config, { logger, dir: options.migrationsDir });
  } catch (err) {
    await cleanup().catch(() => {});
    throw new VigilError(`cannot set up test env ${name} (Kafka ${config.kafka.brokers.join(',')}, ClickHouse ${config.clickhouse.url})`, {
      cause: err,
      action: "start the stack with 'npm run stack:up' (npm test does it for you)",
    });
  }
  return { config, topics: topicNames(config), logger, cleanup };
}
