/**
 * Every process's copy of the silences: the compacted <prefix>silences topic read whole into a
 * SilenceSet (the API lists and writes through it, the notifier asks it before sending), so all
 * instances apply the same silences. Writes go through the topic and resolve once read back.
 */
import type { Kafka, Producer } from 'kafkajs';
import { VigilError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { followCompactedTopic } from '../../pipeline/kafka/compacted-topic.ts';
import { parseSilenceRecord, silenceRecordValue } from './record.ts';
import { compileSilence, type Silence, type SilenceState } from './silence.ts';
import { DEFAULT_EXPIRED_RETENTION_MS, SilenceSet } from './silence-set.ts';

export interface SilenceStore {
  /** True once the topic has been read to its end as of start-up. */
  readonly ready: boolean;
  list(now: number, state?: SilenceState): Silence[];
  get(id: string): Silence | undefined;
  /** The silences muting an alert with these labels at `now` (empty = notify). */
  activeSilencesFor(labels: Readonly<Record<string, string>>, now: number): Silence[];
  /** Publishes a new version of a silence; resolves once this store holds it. */
  write(silence: Silence): Promise<void>;
}

export interface KafkaSilenceStore extends SilenceStore {
  whenReady(): Promise<void>;
  close(): Promise<void>;
}

export async function startSilenceStore(opts: {
  kafka: Kafka;
  /** Needed only to write (the API, the Alertmanager mirror); the notifier reads. */
  producer?: Producer;
  topic: string;
  logger: Logger;
  readBackTimeoutMs?: number;
  /** Expired silences older than this are forgotten (default 5 days). */
  retentionMs?: number;
  now?: () => number;
}): Promise<KafkaSilenceStore> {
  const logger = opts.logger.child({ component: 'silences', topic: opts.topic });
  const now = opts.now ?? Date.now;
  const retentionMs = opts.retentionMs ?? DEFAULT_EXPIRED_RETENTION_MS;
  const set = new SilenceSet();
  const view = await followCompactedTopic({
    kafka: opts.kafka,
    producer: opts.producer,
    topic: opts.topic,
    logger,
    groupPrefix: 'vigil-silences',
    onRecord(key, value, at) {
      const parsed = parseSilenceRecord(key, value);
      if (!parsed.ok) {
        logger.warn({ ...at, key: parsed.key, reason: parsed.reason }, 'ignored invalid silence record');
        return;
      }
      if (parsed.silence === null) set.remove(parsed.id);
      else set.put(parsed.silence);
    },
    onReady: () => logger.info({ silences: set.size }, 'silences loaded'),
  });
  // Long-expired silences leave memory; the topic and ClickHouse keep them.
  const pruner = setInterval(() => set.prune(now(), retentionMs), 60_000);
  pruner.unref();

  return {
    get ready() {
      return view.ready;
    },
    whenReady: () => view.whenReady(),
    list: (at, state) => set.list(at, state),
    get: (id) => set.get(id),
    activeSilencesFor: (labels, at) => set.activeSilencesFor(labels, at),
    async write(silence) {
      const compiled = compileSilence(silence);
      if (!compiled.ok) throw new VigilError(`refusing to write an invalid silence: ${compiled.errors.join('; ')}`, { code: 'invalid-silence' });
      const written = await view.write(silence.id, silenceRecordValue(silence), opts.readBackTimeoutMs ?? 5000);
      if (written.outcome === 'timeout') {
        // Durable (acks = all): hold it now so this instance answers consistently.
        set.put(compiled.value);
        logger.warn({ id: silence.id, partition: written.partition, offset: written.offset }, 'silence not read back in time; applied locally');
      }
    },
    async close() {
      clearInterval(pruner);
      await view.close();
    },
  };
}
