/**
 * The `kafka` config section: brokers, client and group ids, topic layout, and how to reach a
 * secured broker: SASL/SCRAM (user + password or password file) and TLS (CA, optional client
 * certificate and key, all PEM files). Part of the one config object (core/config.ts);
 * pipeline/kafka/client.ts turns it into kafkajs options; docs/operations.md "Kafka SASL and TLS".
 */
import { z } from 'zod';
import { pemFile, resolvePassword } from './secrets.ts';

export const kafkaSaslSchema = z
  .object({
    /** SCRAM only: the password never crosses the wire (PLAIN would send it, even if TLS made that safe). */
    mechanism: z.enum(['scram-sha-512', 'scram-sha-256']).default('scram-sha-512'),
    username: z.string().min(1),
    password: z.string().min(1).optional(),
    /** File holding the password (one line); instead of `password`. */
    passwordFile: z.string().min(1).optional(),
  })
  .strict()
  .transform((sasl, ctx) => {
    if (sasl.password === undefined && sasl.passwordFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'SASL needs kafka.sasl.password or kafka.sasl.passwordFile' });
    }
    // The file is read here and not kept: the resolved config parses again as it is.
    const { passwordFile: _file, ...rest } = sasl;
    return { ...rest, password: resolvePassword(sasl, ctx, { password: 'password', passwordFile: 'passwordFile' }, '') };
  });

export const kafkaSslSchema = z
  .object({
    /** PEM CA certificate(s) the broker's certificate must chain to; null = the system CAs. */
    ca: pemFile('CERTIFICATE').nullable().default(null),
    /** Client certificate and its key, for brokers with ssl.client.auth=required (mutual TLS). */
    cert: pemFile('CERTIFICATE').nullable().default(null),
    key: pemFile('PRIVATE KEY').nullable().default(null),
    /** false accepts any broker certificate: a test against a throw-away broker, never production. */
    rejectUnauthorized: z.boolean().default(true),
  })
  .strict()
  .superRefine((ssl, ctx) => {
    if ((ssl.cert === null) !== (ssl.key === null)) {
      ctx.addIssue({ code: 'custom', path: [ssl.cert === null ? 'cert' : 'key'], message: 'a client certificate needs its key: set both kafka.ssl.cert and kafka.ssl.key, or neither' });
    }
  });

export const kafkaSchema = z
  .object({
    brokers: z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'broker must be host:port')).min(1).default(['127.0.0.1:19092']),
    clientId: z.string().min(1).default('vigil'),
    /** Prefix for every topic name: lets tests and parallel environments share one broker. */
    topicPrefix: z.string().regex(/^[A-Za-z0-9._-]*$/).default('vigil.'),
    partitions: z.number().int().min(1).max(1000).default(12),
    /** Replicas of every Vigil topic; 3 on a three-broker cluster. Must not exceed the brokers. */
    replicationFactor: z.number().int().min(1).max(10).default(1),
    /**
     * min.insync.replicas of every Vigil topic: with acks=all (every Vigil producer) a write
     * needs this many replicas in sync, so 2 of 3 survives one broker lost without losing an
     * acknowledged point. At most replicationFactor.
     */
    minInsyncReplicas: z.number().int().min(1).max(10).default(1),
    groupId: z.string().min(1).default('vigil-pipeline'),
    /** SASL authentication; null = none (the local stack's PLAINTEXT listener). */
    sasl: kafkaSaslSchema.nullable().default(null),
    /** TLS to the brokers ({} = TLS with the system CAs); null = plaintext. */
    ssl: kafkaSslSchema.nullable().default(null),
  })
  .strict()
  .superRefine((kafka, ctx) => {
    if (kafka.minInsyncReplicas > kafka.replicationFactor) {
      ctx.addIssue({
        code: 'custom',
        path: ['minInsyncReplicas'],
        message: `minInsyncReplicas ${kafka.minInsyncReplicas} exceeds replicationFactor ${kafka.replicationFactor}: no write could ever be acknowledged; lower it or raise kafka.replicationFactor`,
      });
    }
  });

export type KafkaConfig = z.output<typeof kafkaSchema>;
export type KafkaSaslConfig = NonNullable<KafkaConfig['sasl']>;
export type KafkaSslConfig = NonNullable<KafkaConfig['ssl']>;
