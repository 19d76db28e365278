/**
 * kafkajs 2.2.4's own sendMessages (the code every producer.send runs) against a scripted
 * cluster: partition 0's leader (node 1) dies mid-send and its leadership moves to node 2, which
 * has already answered this send for partition 1. kafkajs then never sends partition 0's
 * messages and resolves anyway; sendComplete sends them again. Pure: no broker, kafkajs's code.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Message, ProducerBatch, RecordMetadata } from 'kafkajs';
import { MAX_SEND_ROUNDS, sendComplete } from '../../../pipeline/kafka/complete-send.ts';

const require = createRequire(import.meta.url);
type SendMessages = (batch: ProducerBatch) => Promise<RecordMetadata[]>;
const createSendMessages = require('kafkajs/src/producer/sendMessages') as (deps: Record<string, unknown>) => SendMessages;
const createRetry = require('kafkajs/src/retry') as (opts: Record<string, unknown>) => unknown;
const { KafkaJSConnectionError } = require('kafkajs/src/errors') as { KafkaJSConnectionError: new (m: string, o: Record<string, unknown>) => Error };

const TOPIC = 't.metrics';
const silentKafkaLogger = { info() {}, debug() {}, warn() {}, error() {}, namespace() { return silentKafkaLogger; } };

/** Two partitions on nodes 1 and 2; node 1 refuses connections, and the next metadata refresh moves partition 0 to node 2. */
function scriptedCluster() {
  const leaders = new Map([[0, 1], [1, 2]]);
  const written = new Map<number, number>(); // partition -> messages the brokers stored
  const broker = (nodeId: number) => ({
    nodeId,
    async produce({ topicData }: { topicData: Array<{ topic: string; partitions: Array<{ partition: number; messages: unknown[] }> }> }) {
      if (nodeId === 1) throw new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1', { broker: '127.0.0.1:1' });
      return {
        topics: topicData.map((t) => ({
          topicName: t.topic,
          partitions: t.partitions.map((p) => {
            written.set(p.partition, (written.get(p.partition) ?? 0) + p.messages.length);
            return { partition: p.partition, errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: '0' };
          }),
        })),
      };
    },
  });
  const brokers = new Map([[1, broker(1)], [2, broker(2)]]);
  const cluster = {
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() {
      leaders.set(0, 2);
    },
    async addMultipleTargetTopics() {},
    isConnected: () => true,
    removeBroker() {},
    findTopicPartitionMetadata: () => [...leaders].map(([partitionId, leader]) => ({ partitionId, leader })),
    findLeaderForPartitions: (_topic: string, partitions: string[]) => {
      const out: Record<number, number[]> = {};
      for (const p of partitions.map(Number)) (out[leaders.get(p)!] ??= []).push(p);
      return out;
    },
    findBroker: async ({ nodeId }: { nodeId: number | string }) => brokers.get(Number(nodeId))!,
  };
  const eosManager = {
    isTransactional: () => false,
    acquireBrokerLock: async () => {},
    releaseBrokerLock: async () => {},
    getSequence: () => 0,
    updateSequence() {},
    getProducerId: () => -1,
    getProducerEpoch: () => 0,
  };
  // Keys "a…" go to partition 0, "b…" to partition 1; the chosen partition is noted like completeSends does.
  const chosen = new WeakMap<Message, number>();
  const partitioner = ({ message }: { message: Message }) => {
    const p = String(message.key).startsWith('a') ? 0 : 1;
    chosen.set(message, p);
    return p;
  };
  const retrier = createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 });
  const send = createSendMessages({ logger: silentKafkaLogger, cluster, partitioner, eosManager, retrier });
  return { send, written, partitionOf: (m: Message) => chosen.get(m) };
}

const batch = (): ProducerBatch => ({
  acks: -1,
  topicMessages: [{ topic: TOPIC, messages: [...['a1', 'a2', 'a3'].map((key) => ({ key, value: key })), ...['b1', 'b2'].map((key) => ({ key, value: key }))] }],
});

describe('kafkajs 2.2.4 drops a partition whose leader moved to a broker that already answered', () => {
  it('plain kafkajs: send resolves, partition 0 was never written', async () => {
    const { send, written } = scriptedCluster();
    const answer = await send(batch());
    expect(answer.map((r) => r.partition)).toEqual([1]);
    expect(Object.fromEntries(written)).toEqual({ 1: 2 });
  });

  it('sendComplete: the left-out partition is sent again, every message written once', async () => {
    const { send, written, partitionOf } = scriptedCluster();
    const warnings: unknown[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void warnings.push(JSON.parse(l)) });
    const answer = await sendComplete(send, batch(), partitionOf, logger);
    expect(answer.map((r) => r.partition).sort()).toEqual([0, 1]);
    expect(Object.fromEntries(written)).toEqual({ 0: 3, 1: 2 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ missing: [{ topic: TOPIC, partitions: [0], messages: 3 }] });
  });
});

describe('sendComplete', () => {
  const msgs = (keys: string[]) => keys.map((key) => ({ key, value: key }));
  const partitionOf = (m: Message) => Number(String(m.key).split('-')[0]);

  it('sends once when every partition is answered', async () => {
    const sent: ProducerBatch[] = [];
    const send = async (b: ProducerBatch) => {
      sent.push(b);
      return b.topicMessages!.flatMap((t) => [...new Set(t.messages.map(partitionOf))].map((partition) => ({ topicName: t.topic, partition, errorCode: 0 })));
    };
    await sendComplete(send, { acks: -1, topicMessages: [{ topic: 'x', messages: msgs(['0-a', '1-b']) }, { topic: 'y', messages: msgs(['0-c']) }] }, partitionOf);
    expect(sent).toHaveLength(1);
  });

  it('re-sends only what the answer left out, per topic and partition', async () => {
    const sent: string[][] = [];
    let first = true;
    const send = async (b: ProducerBatch) => {
      sent.push(b.topicMessages!.flatMap((t) => t.messages.map((m) => `${t.topic}:${String(m.key)}`)));
      const all = b.topicMessages!.flatMap((t) => [...new Set(t.messages.map(partitionOf))].map((partition) => ({ topicName: t.topic, partition, errorCode: 0 })));
      const answer = first ? all.filter((r) => !(r.topicName === 'y' && r.partition === 2)) : all;
      first = false;
      return answer;
    };
    await sendComplete(send, { acks: -1, topicMessages: [{ topic: 'x', messages: msgs(['2-a', '1-b']) }, { topic: 'y', messages: msgs(['2-c', '1-d', '2-e']) }] }, partitionOf);
    expect(sent).toEqual([['x:2-a', 'x:1-b', 'y:2-c', 'y:1-d', 'y:2-e'], ['y:2-c', 'y:2-e']]);
  });

  it('acks=0 has no answer to check', async () => {
    let calls = 0;
    await sendComplete(async () => (calls++, []), { acks: 0, topicMessages: [{ topic: 'x', messages: msgs(['0-a']) }] }, partitionOf);
    expect(calls).toBe(1);
  });

  it('gives up with the partitions named after MAX_SEND_ROUNDS re-sends still leave them out', async () => {
    let calls = 0;
    const p = sendComplete(async () => (calls++, []), { acks: -1, topicMessages: [{ topic: 'x', messages: msgs(['3-a']) }] }, partitionOf);
    await expect(p).rejects.toThrow(/without partitions \[\{"topic":"x","partitions":\[3\],"messages":1\}\]/);
    expect(calls).toBe(MAX_SEND_ROUNDS + 1);
  });
});
