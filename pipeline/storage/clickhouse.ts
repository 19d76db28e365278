/**
 * The one way to build a @clickhouse/client client for Vigil's ClickHouse.
 *
 * `reader: true` connects as the read-only user (profile readonly=1 at the server). That user
 * may not change ANY setting per query, so reader clients send none: no clickhouse_settings,
 * no response compression (it would send enable_http_compression=1, which readonly=1 refuses).
 */
import { createClient, ClickHouseLogLevel, type ClickHouseClient, type Logger as ClickHouseLogger, type LogParams, type ErrorLogParams, type WarnLogParams } from '@clickhouse/client';
import type { VigilConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import { createLogger, type Logger } from '../../core/logger.ts';

export type { ClickHouseClient };

export interface CreateClickHouseOptions {
  /** Connect as config.clickhouse.readerUsername (read-only at the server). */
  reader?: boolean;
  /**
   * Default database for unqualified table names. Defaults to config.clickhouse.database;
   * pass null for none (e.g. before the database exists).
   */
  database?: string | null;
  logger?: Logger;
  requestTimeoutMs?: number;
}

/** @clickhouse/client wants a logger class with a no-arg constructor: close over our pino child. */
function pinoLoggerClass(logger: Logger): new () => ClickHouseLogger {
  const log = logger.child({ component: 'clickhouse-client' });
  return class implements ClickHouseLogger {
    trace({ module, message, args }: LogParams) {
      log.trace({ module, ...args }, message);
    }
    debug({ module, message, args }: LogParams) {
      log.debug({ module, ...args }, message);
    }
    info({ module, message, args }: LogParams) {
      log.info({ module, ...args }, message);
    }
    warn({ module, message, args, err }: WarnLogParams) {
      log.warn({ module, ...args, err }, message);
    }
    // The client logs every failed request at error level and then rejects the call; the
    // caller decides whether that failure is an error (a refused write by the reader is
    // expected in tests), so the client's own record is debug.
    error({ module, message, args, err }: ErrorLogParams) {
      log.debug({ module, ...args, err }, message);
    }
  };
}

export function createClickHouse(config: Pick<VigilConfig, 'clickhouse' | 'logLevel'>, options: CreateClickHouseOptions = {}): ClickHouseClient {
  const ch = config.clickhouse;
  const logger = options.logger ?? createLogger(config.logLevel, { component: 'clickhouse' });
  const database = options.database === undefined ? ch.database : options.database;
  return createClient({
    url: ch.url,
    username: options.reader ? ch.readerUsername : ch.username,
    password: options.reader ? ch.readerPassword : ch.password,
    ...(database ? { database } : {}),
    request_timeout: options.requestTimeoutMs ?? 30_000,
    compression: { request: false, response: false },
    application: options.reader ? 'vigil-reader' : 'vigil',
    log: {
      LoggerClass: pinoLoggerClass(logger),
      level: logger.isLevelEnabled('debug') ? ClickHouseLogLevel.DEBUG : ClickHouseLogLevel.WARN,
    },
  });
}

/**
 * Returns `name` if it is a plain identifier (letters, digits, underscore), else throws. For
 * database/table names we configured or generated, never request text, which goes through
 * whitelists or escaping instead.
 */
export function plainIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new VigilError(`not a plain identifier: ${JSON.stringify(name)}`, { action: 'use letters, digits and underscores only' });
  }
  return name;
}
