/**
 * The `clickhouse` config section: endpoint, database, the writer and reader users with their
 * passwords (inline or from a file), and TLS (an https URL, optionally with the CA that signed
 * the server's certificate). Part of the one config object (core/config.ts); docs/operations.md
 * "ClickHouse users, passwords and TLS".
 */
import { z } from 'zod';
import { pemFile, resolvePassword } from './secrets.ts';

/**
 * The local stack's users (deploy/clickhouse/users.xml holds their SHA-256 digests). Development
 * credentials for a loopback-only server: any other ClickHouse gets its own users and passwords.
 */
export const LOCAL_CLICKHOUSE_USERS = {
  writer: { username: 'vigil_writer', password: 'vigil_writer' },
  reader: { username: 'vigil_reader', password: 'vigil_reader' },
} as const;

export const clickhouseSchema = z
  .object({
    url: z
      .string()
      .url()
      .regex(/^https?:\/\//i, 'must be an http:// or https:// URL')
      .default('http://127.0.0.1:18123'),
    database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'database must be an identifier').default('vigil'),
    /**
     * Name of a cluster in the servers' remote_servers config: the migrations then create
     * replicated `<table>_local` tables ON CLUSTER plus Distributed tables under the usual names,
     * and the writer inserts synchronously through them (pipeline/storage/cluster-ddl.ts,
     * docs/operations.md "ClickHouse cluster"). null: one server, plain tables.
     */
    cluster: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'cluster must be the identifier of a cluster in remote_servers').nullable().default(null),
    /** Read/write user: pipeline, on-call, migrations. */
    username: z.string().min(1).default(LOCAL_CLICKHOUSE_USERS.writer.username),
    password: z.string().optional(),
    /** File holding the writer's password (one line); instead of `password`. */
    passwordFile: z.string().min(1).optional(),
    /** The API reads through a user whose profile is readonly=1 at the server. */
    readerUsername: z.string().min(1).default(LOCAL_CLICKHOUSE_USERS.reader.username),
    readerPassword: z.string().optional(),
    readerPasswordFile: z.string().min(1).optional(),
    /** PEM CA certificate that signed the server's certificate (https URLs); null = the system CAs. */
    ca: pemFile('CERTIFICATE').nullable().default(null),
  })
  .strict()
  .superRefine((ch, ctx) => {
    if (ch.ca !== null && !/^https:/i.test(ch.url)) {
      ctx.addIssue({ code: 'custom', path: ['ca'], message: 'a CA is only used with an https:// url; set clickhouse.url to https://… or drop clickhouse.ca' });
    }
  })
  // The files are read here and not kept: the resolved config parses again as it is.
  .transform(({ passwordFile, readerPasswordFile, ...ch }, ctx) => ({
    ...ch,
    password: resolvePassword({ password: ch.password, passwordFile }, ctx, { password: 'password', passwordFile: 'passwordFile' }, LOCAL_CLICKHOUSE_USERS.writer.password),
    readerPassword: resolvePassword(
      { password: ch.readerPassword, passwordFile: readerPasswordFile },
      ctx,
      { password: 'readerPassword', passwordFile: 'readerPasswordFile' },
      LOCAL_CLICKHOUSE_USERS.reader.password,
    ),
  }));

export type ClickHouseConfig = z.output<typeof clickhouseSchema>;
