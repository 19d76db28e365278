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
import { readPem } from '../../core/secrets.ts';
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

/**
 * A writer on a cluster (clickhouse.cluster) inserts through Distributed tables. Synchronously:
 * the INSERT returns once every shard's replica has stored its part (the asynchronous default
 * would answer before, from a local queue, and the pipeline would commit Kafka offsets of points
 * no shard has yet). `in_order`: inserts and the re-delivery check (max stored offset of a
 * partition) go to the same replica of a shard, the first one up, so the check reads the
 * replica that took the insert and not one still fetching it.
 */
export const CLUSTER_WRITER_SETTINGS = { insert_distributed_sync: 1, load_balancing: 'in_order' } as const;

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
    // The local server closes idle connections after 3 s (keep_alive_timeout). The client's idle
    // timer fires late on a loaded machine and a request then goes out on a closed socket
    // ("socket hang up"); checking the socket's age when it is taken is not late.
    keep_alive: { enabled: true, idle_socket_ttl: 2000, eagerly_destroy_stale_sockets: true },
    application: options.reader ? 'vigil-reader' : 'vigil',
    ...(ch.cluster && !options.reader ? { clickhouse_settings: CLUSTER_WRITER_SETTINGS } : {}),
    // https URLs use the system CAs unless the config names the CA that signed the server.
    ...(ch.ca ? { tls: { ca_cert: readPem(ch.ca) } } : {}),
    log: {
      LoggerClass: pinoLoggerClass(logger),
      level: logger.isLevelEnabled('debug') ? ClickHouseLogLevel.DEBUG : ClickHouseLogLevel.WARN,
    },
  });
}

/** ClickHouse refused the user or its password (18.16: codes 192 unknown user, 193 wrong password, 194 password required; later servers 516). */
export function isLoginRefused(err: unknown): boolean {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && /Code: (192|193|194|516)\b|Wrong password for user|Password required for user|Unknown user |Authentication failed/.test(message);
}

/** The error for a refused login: who was refused and which config fields to fix. Never the password. */
export function loginRefusedError(config: Pick<VigilConfig, 'clickhouse'>, reader: boolean, cause: unknown): VigilError {
  const ch = config.clickhouse;
  const [user, field] = reader ? [ch.readerUsername, 'readerPassword'] : [ch.username, 'password'];
  return new VigilError(`ClickHouse at ${ch.url} refused user ${user} (wrong password or unknown user)`, {
    cause,
    code: 'clickhouse-login-refused',
    action: `set clickhouse.${field} (or ${field}File) to that user's password in the server's users.xml (the local stack's users: deploy/clickhouse/users.xml)`,
  });
}

/**
 * Fails fast when the server refuses our user: a wrong password is a configuration error that
 * no retry fixes. A server that is down is not refused: that is left to the callers' retries.
 */
export async function assertClickHouseLogin(client: ClickHouseClient, config: Pick<VigilConfig, 'clickhouse'>, reader: boolean): Promise<void> {
  try {
    await client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((rs) => rs.json());
  } catch (err) {
    if (isLoginRefused(err)) throw loginRefusedError(config, reader, err);
  }
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
