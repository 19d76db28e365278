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

/**
 * Runs `fn` with an abort signal firing after `timeoutMs`; a failure leaves as a DependencyError,
 * so the error plugin can name ClickHouse in its 503. The client's own request timeout starts
 * once a socket is free: with every pooled socket held by a hung server a request first waits
 * for one, so only a deadline over both keeps the answer within api.queryTimeoutMs.
 */
async function fromClickHouse<T>(timeoutMs: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await fn(signal);
  } catch (err) {
    if (err instanceof DependencyError) throw err;
    const cause = signal.aborted ? Object.assign(new Error(`no answer within ${timeoutMs} ms (api.queryTimeoutMs)`, { cause: err }), { code: 'ETIMEDOUT' }) : err;
    throw new DependencyError('ClickHouse', cause);
  }
}

export function clickHouseReader(client: ClickHouseClient, timeoutMs: number): ClickHouseReader {
  return {
    query: <T>(q: Sql): Promise<T[]> =>
      fromClickHouse(timeoutMs, async (abort_signal) => {
        const rs = await client.query({ query: q.text, format: 'JSONEachRow', abort_signal });
        return rs.json<T>();
      }),
    ping: () =>
      fromClickHouse(timeoutMs, async (abort_signal) => {
        const rs = await client.query({ query: sql`SELECT 1 AS ok`.text, format: 'JSONEachRow', abort_signal });
        const rows = await rs.json<{ ok: number }>();
        if (rows[0]?.ok !== 1) throw new Error('ClickHouse answered SELECT 1 with something else');
      }),
  };
}

export function createReaderClient(config: VigilConfig, logger: Logger): ClickHouseClient {
  return createClickHouse(config, { reader: true, logger, requestTimeoutMs: config.api.queryTimeoutMs });
}
