/**
 * The receivers in force: those of the config file (notify.receivers) overlaid by the ones
 * added or changed through the API, which travel on the compacted `<prefix>receivers` topic
 * (key = receiver name, value = the receiver JSON, null = removed) so every on-call and API
 * process sees the same set. Topic records are validated with the config's own schema; an
 * invalid one is logged and ignored. Removing an API receiver that overrides a configured one
 * brings the configured one back.
 */
import type { Kafka, Producer } from 'kafkajs';
import { VigilError } from '../../core/errors.ts';
import { redactValues, type Logger } from '../../core/logger.ts';
import { receiverSecrets } from '../../core/secrets.ts';
import { RECEIVER_NAME, receiverSchema, type ReceiverConfig } from '../../core/notify-config.ts';
import { followCompactedTopic } from '../../pipeline/kafka/compacted-topic.ts';

export const MAX_RECEIVER_RECORD_BYTES = 16_384;

export interface ReceiverEntry {
  receiver: ReceiverConfig;
  source: 'config' | 'api';
}

export type ReceiverRecordParse = { ok: true; name: string; receiver: ReceiverConfig | null } | { ok: false; reason: string };

/** Parses one topic record; never throws. */
export function parseReceiverRecord(key: string, value: Buffer | null): ReceiverRecordParse {
  if (!RECEIVER_NAME.test(key)) return { ok: false, reason: `key ${JSON.stringify(key.slice(0, 80))} is not a receiver name` };
  if (value === null) return { ok: true, name: key, receiver: null };
  if (value.byteLength > MAX_RECEIVER_RECORD_BYTES) return { ok: false, reason: `value is ${value.byteLength} bytes; the limit is ${MAX_RECEIVER_RECORD_BYTES}` };
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, reason: 'value is not JSON' };
  }
  const parsed = receiverSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.') || '(receiver)'}: ${i.message}`).join('; ') };
  if (parsed.data.name !== key) return { ok: false, reason: `name ${parsed.data.name} differs from the key ${key}` };
  return { ok: true, name: key, receiver: parsed.data };
}

/** Config receivers overlaid by API ones. Pure; the store feeds it. */
export class ReceiverDirectory {
  private readonly fromApi = new Map<string, ReceiverConfig>();
  private readonly configured: Map<string, ReceiverConfig>;
  constructor(configured: readonly ReceiverConfig[]) {
    this.configured = new Map(configured.map((r) => [r.name, r]));
  }
  apply(name: string, receiver: ReceiverConfig | null): void {
    if (receiver === null) this.fromApi.delete(name);
    else {
      // Written through the API, so not in configSecrets: the log scrubber learns it here.
      redactValues(receiverSecrets(receiver));
      this.fromApi.set(name, receiver);
    }
  }
  get(name: string): ReceiverEntry | undefined {
    const api = this.fromApi.get(name);
    if (api) return { receiver: api, source: 'api' };
    const cfg = this.configured.get(name);
    return cfg ? { receiver: cfg, source: 'config' } : undefined;
  }
  /** Defined in the config file (an API record may override it, not remove it). */
  isConfigured(name: string): boolean {
    return this.configured.has(name);
  }
  list(): ReceiverEntry[] {
    const names = new Set([...this.configured.keys(), ...this.fromApi.keys()]);
    return [...names].sort().map((n) => this.get(n)!);
  }
}

export interface ReceiverStore {
  readonly ready: boolean;
  get(name: string): ReceiverEntry | undefined;
  isConfigured(name: string): boolean;
  list(): ReceiverEntry[];
  /** Publishes a receiver (or null: removes the API one); resolves once this store holds it. */
  write(name: string, receiver: ReceiverConfig | null): Promise<void>;
}

export interface KafkaReceiverStore extends ReceiverStore {
  whenReady(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiverStore(opts: { kafka: Kafka; producer?: Producer; topic: string; logger: Logger; configured: readonly ReceiverConfig[]; readBackTimeoutMs?: number }): Promise<KafkaReceiverStore> {
  const logger = opts.logger.child({ component: 'receivers', topic: opts.topic });
  const directory = new ReceiverDirectory(opts.configured);
  const view = await followCompactedTopic({
    kafka: opts.kafka,
    producer: opts.producer,
    topic: opts.topic,
    logger,
    groupPrefix: 'vigil-receivers',
    onRecord(key, value, at) {
      const parsed = parseReceiverRecord(key, value);
      if (!parsed.ok) {
        logger.warn({ ...at, reason: parsed.reason }, 'ignored invalid receiver record');
        return;
      }
      directory.apply(parsed.name, parsed.receiver);
    },
  });
  return {
    get ready() {
      return view.ready;
    },
    whenReady: () => view.whenReady(),
    get: (name) => directory.get(name),
    isConfigured: (name) => directory.isConfigured(name),
    list: () => directory.list(),
    async write(name, receiver) {
      if (receiver !== null && receiver.name !== name) throw new VigilError(`receiver name ${receiver.name} differs from ${name}`, { action: 'write it under its own name' });
      const value = receiver === null ? null : Buffer.from(JSON.stringify(receiver), 'utf8');
      const check = parseReceiverRecord(name, value);
      if (!check.ok) throw new VigilError(`refusing to write an invalid receiver: ${check.reason}`, { code: 'invalid-receiver' });
      const written = await view.write(name, value, opts.readBackTimeoutMs ?? 5000);
      if (written.outcome === 'timeout') {
        directory.apply(name, receiver);
        logger.warn({ name, partition: written.partition, offset: written.offset }, 'receiver not read back in time; applied locally');
      }
    },
    close: () => view.close(),
  };
}

/** A receiver store without Kafka (tests, single-process tools): writes apply at once. */
export function memoryReceiverStore(configured: readonly ReceiverConfig[] = []): ReceiverStore {
  const directory = new ReceiverDirectory(configured);
  return {
    ready: true,
    get: (name) => directory.get(name),
    isConfigured: (name) => directory.isConfigured(name),
    list: () => directory.list(),
    async write(name, receiver) {
      const check = parseReceiverRecord(name, receiver === null ? null : Buffer.from(JSON.stringify(receiver), 'utf8'));
      if (!check.ok) throw new VigilError(`refusing to keep an invalid receiver: ${check.reason}`, { code: 'invalid-receiver' });
      directory.apply(name, receiver);
    },
  };
}
