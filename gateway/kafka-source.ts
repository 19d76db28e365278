/**
 * Reads the output topics (alerts, anomalies, live) and hands validated events to the server.
 *
 * Every gateway instance must see every event, so each one joins its own consumer group
 * (`vigil-gateway-<host>-<pid>-<random>`): kafkajs 2 cannot assign partitions without a group.
 * A live view has no use for history, so the group starts at the log end: the end offsets are
 * read before joining and the consumer seeks to them as soon as it has joined (kafkajs drops
 * fetched batches of a partition with a pending seek, so nothing is delivered twice). kafkajs's
 * own "latest" would be resolved only after the join and skip records produced meanwhile.
 * (admin.setOffsets would do it too, but it joins and leaves the group once per topic: ~5 s
 * each.) The group is deleted on a clean stop; after a crash the broker expires it
 * (offsets.retention.minutes).
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { VigilError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { CHANNELS, type Channel } from './filters.ts';
import { toGatewayEvent, type GatewayEvent, type RecordDecoder } from './events.ts';

export interface EventSink {
  publish(event: GatewayEvent): void;
  whenWritable(): Promise<void>;
}

export interface KafkaSourceOptions {
  kafka: Kafka;
  topics: Record<Channel, string>;
  decode: RecordDecoder;
  sink: EventSink;
  logger: Logger;
  groupId?: string;
  /** How long start() waits for the group join before failing. */
  joinTimeoutMs?: number;
}

export type KafkaSourceState = 'idle' | 'connecting' | 'running' | 'rebalancing' | 'crashed' | 'stopped';

export function gatewayGroupId(host = os.hostname(), pid = process.pid): string {
  const safeHost = host.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
  return `vigil-gateway-${safeHost}-${pid}-${randomBytes(4).toString('hex')}`;
}

/** Log at most this many bad records individually, then one line per LOG_EVERY. */
const LOG_FIRST = 20;
const LOG_EVERY = 1000;

/**
 * Right after topics are created or a broker restarts, leadership can still be moving
 * (NOT_LEADER_OR_FOLLOWER) for a few seconds past kafkajs's own retries; keep asking while
 * the error says it is retriable.
 */
async function retryRetriable<T>(fn: () => Promise<T>, attempts = 20, delayMs = 500): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const retriable = (err as { retriable?: boolean }).retriable === true || (err as { cause?: { retriable?: boolean } }).cause?.retriable === true;
      if (!retriable || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

export class KafkaSource {
  readonly groupId: string;
  private consumer: Consumer | null = null;
  private state: KafkaSourceState = 'idle';
  private readonly channelOfTopic: Map<string, Channel>;
  private readonly log: Logger;
  private decodeErrors = 0;
  private recordsIn = 0;
  private lastRecordAt: number | null = null;
  private lastError: string | null = null;
  private assigned: Record<string, number[]> = {};

  constructor(private readonly options: KafkaSourceOptions) {
    this.groupId = options.groupId ?? gatewayGroupId();
    this.channelOfTopic = new Map(CHANNELS.map((c) => [options.topics[c], c]));
    this.log = options.logger.child({ component: 'gateway-kafka', groupId: this.groupId });
  }

  status(): { healthy: boolean; state: KafkaSourceState; groupId: string; topics: string[]; recordsIn: number; decodeErrors: number; lastRecordAt: number | null; lastError: string | null; assigned: Record<string, number[]> } {
    return {
      healthy: this.state === 'running',
      state: this.state,
      groupId: this.groupId,
      topics: [...this.channelOfTopic.keys()],
      recordsIn: this.recordsIn,
      decodeErrors: this.decodeErrors,
      lastRecordAt: this.lastRecordAt,
      lastError: this.lastError,
      assigned: this.assigned,
    };
  }

  async start(): Promise<void> {
    this.state = 'connecting';
    const topics = [...this.channelOfTopic.keys()];
    const endOffsets = await this.readEndOffsets(topics);
    // A short fetch wait does not add latency (fetches return as soon as data arrives) but
    // bounds how long stop() waits for the in-flight fetch.
    const consumer = this.options.kafka.consumer({ groupId: this.groupId, sessionTimeout: 30_000, heartbeatInterval: 3000, maxWaitTimeInMs: 1000, allowAutoTopicCreation: false });
    this.consumer = consumer;
    const joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new VigilError(`gateway consumer did not join group ${this.groupId} in time`, { action: 'check that Kafka is healthy (npm run stack:status)' })), this.options.joinTimeoutMs ?? 60_000);
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        clearTimeout(timer);
        this.assigned = e.payload.memberAssignment;
        this.state = 'running';
        resolve();
      });
    });
    joined.catch(() => undefined);
    consumer.on(consumer.events.REBALANCING, () => {
      this.state = 'rebalancing';
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.lastError = String(e.payload.error?.message ?? e.payload.error);
      this.state = e.payload.restart ? 'rebalancing' : 'crashed';
      this.log.error({ err: e.payload.error, restart: e.payload.restart }, 'gateway Kafka consumer crashed');
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: false });
      await consumer.run({ eachBatchAutoResolve: true, eachBatch: (payload) => this.onBatch(payload) });
      await joined;
      for (const [topic, partitions] of Object.entries(endOffsets)) {
        for (const { partition, offset } of partitions) consumer.seek({ topic, partition, offset });
      }
    } catch (err) {
      this.state = 'crashed';
      this.lastError = err instanceof Error ? err.message : String(err);
      await consumer.disconnect().catch(() => undefined);
      if (err instanceof VigilError) throw err;
      throw new VigilError(`gateway cannot consume ${topics.join(', ')}`, { cause: err, action: 'check that Kafka is up (npm run stack:status) and the topics exist (vigil stack up creates them)' });
    }
    this.log.info({ topics, assigned: this.assigned }, 'gateway consuming output topics from their end');
  }

  private async readEndOffsets(topics: string[]): Promise<Record<string, Array<{ partition: number; offset: string }>>> {
    const admin: Admin = this.options.kafka.admin();
    try {
      await admin.connect();
      const out: Record<string, Array<{ partition: number; offset: string }>> = {};
      for (const topic of topics) {
        const offsets = await retryRetriable(() => admin.fetchTopicOffsets(topic));
        out[topic] = offsets.map((o) => ({ partition: o.partition, offset: o.high }));
      }
      return out;
    } catch (err) {
      this.state = 'crashed';
      throw new VigilError(`gateway cannot read the output topics ${topics.join(', ')}`, { cause: err, action: 'start Kafka (npm run stack:up) and create the topics (vigil stack up / ensureTopics)' });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const channel = this.channelOfTopic.get(batch.topic);
    if (!channel) return;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) return;
      this.recordsIn += 1;
      this.lastRecordAt = Date.now();
      this.accept(channel, batch.topic, batch.partition, message.offset, message.value);
    }
    // Bounded hand-off: the consumer waits while the publisher is behind.
    await this.options.sink.whenWritable();
    await heartbeat();
  }

  /** Decode, validate and publish one record; bad ones are counted and logged, never thrown. */
  accept(channel: Channel, topic: string, partition: number, offset: string, value: Buffer | null): boolean {
    let reason: string;
    if (value === null) {
      reason = 'record has no value';
    } else {
      try {
        const result = toGatewayEvent(channel, this.options.decode(value));
        if (result.ok) {
          this.options.sink.publish(result.event);
          return true;
        }
        reason = result.reason;
      } catch (err) {
        reason = err instanceof Error ? err.message : String(err);
      }
    }
    this.decodeErrors += 1;
    if (this.decodeErrors <= LOG_FIRST || this.decodeErrors % LOG_EVERY === 0) {
      this.log.warn({ topic, partition, offset, reason: reason.slice(0, 300), decodeErrors: this.decodeErrors }, 'skipping undecodable record on an output topic');
    }
    return false;
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    const consumer = this.consumer;
    this.consumer = null;
    if (!consumer) return;
    await consumer.disconnect().catch((err: unknown) => this.log.warn({ err }, 'error while disconnecting the gateway consumer'));
    // The group was ours alone; remove it rather than leave it for the broker to expire.
    const admin = this.options.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.groupId]);
    } catch (err) {
      this.log.debug({ err }, 'could not delete the gateway consumer group (the broker will expire it)');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
