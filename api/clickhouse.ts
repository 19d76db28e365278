/**
 * The API's ClickHouse access: the read-only user (readonly=1 at the server, so even a bug in
 * a query cannot write), queries only as `Sql` built by api/sql.ts.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { VigilConfig } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { createClickHouse } from '../pipeline/storage/clickhouse.ts';
import type { ClickHouseReader } from './deps.ts';
import { sql, type Sql } from './sql.ts';
import { DependencyError } from './http-error.ts';

/** Runs `fn`; a failure leaves as a DependencyError, so the error plugin can name ClickHouse in its 503. */
async function fromClickHouse<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof DependencyError ? err : new DependencyError('ClickHouse', err);
  }
}

export function clickHouseReader(client: ClickHouseClient): ClickHouseReader {
  return {
    query: <T>(q: Sql): Promise<T[]> =>
      fromClickHouse(async () => {
        const rs = await client.query({ query: q.text, format: 'JSONEachRow' });
        return rs.json<T>();
      }),
    ping: () =>
      fromClickHouse(async () => {
        const rs = await client.query({ query: sql`SELECT 1 AS ok`.text, format: 'JSONEachRow' });
        const rows = await rs.json<{ ok: number }>();
        if (rows[0]?.ok !== 1) throw new Error('ClickHouse answered SELECT 1 with something else');
      }),
  };
}

export function createReaderClient(config: VigilConfig, logger: Logger): ClickHouseClient {
  return createClickHouse(config, { reader: true, logger, requestTimeoutMs: config.api.queryTimeoutMs });
}
