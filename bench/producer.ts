/**
 * Producer SDK throughput: createMetricProducer (validate, key, Avro single-object encode, send;
 * idempotent, acks = all) against a plain kafkajs producer sending the same records — the same
 * bytes, the same keys, the same partitioner, the same batch sizes, idempotent, acks = all — in
 * the same run; and that same kafkajs producer with completeSends (pipeline/kafka/complete-send.ts,
 * on every Vigil producer), so the check's own cost is measured against the peer.
 *
 *   npx tsx bench/producer.ts [--points 200000] [--batches 5000,20000] [--concurrency 1,8] [--partitions 12] [--rounds 2]
 *
 * For each batch size B and each concurrency C (calls in flight): `points` points sent in calls
 * of B points with C calls in flight, first the peer, then the SDK, `rounds` times interleaved
 * (so load swings hit both). The peer's records are encoded before its clock starts (what kafkajs alone
 * costs to send them); the SDK's clock includes validating and encoding every
 * point. Reported: points/s (first call → last acknowledgement, median of the rounds), process
 * CPU µs per point, and the SDK's share of the peer. A fresh topic on the local Kafka (start it
 * with `npm run stack:up`), deleted afterwards; the topic's end offsets are checked against what
 * was sent. Bounded: points <= 2,000,000, the run is killed after 170 s. Loopback only.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Kafka, Partitioners, logLevel, type Message } from 'kafkajs';
import { emitResult, markdownTable, type BenchTable, type Cell, type Headline } from './support/result.ts';
import { loadConfig } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { completeSends } from '../pipeline/kafka/complete-send.ts';
import { deleteTopicsWithPrefix, ensureTopics } from '../pipeline/kafka/topics.ts';
import { createMetricProducer } from '../pipeline/sdk/producer.ts';
import { frameSingleObject } from '../pipeline/codec/framing.ts';
import { getSchemaRegistry } from '../schemas/avro/registry.ts';
import type { MetricPoint } from '../schemas/records.ts';

const { values } = parseArgs({
  options: {
    points: { type: 'string', default: '200000' },
    batches: { type: 'string', default: '5000,20000' },
    concurrency: { type: 'string', default: '1,8' },
    partitions: { type: 'string', default: '12' },
    series: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '2' },
  },
});
const intList = (s: string, lo: number, hi: number) => s.split(',').map(Number).filter((n) => Number.isInteger(n) && n >= lo && n <= hi);
const totalPoints = Math.min(2_000_000, Math.max(1000, Number(values.points) || 200_000));
const batchSizes = intList(String(values.batches), 1, 100_000);
const concurrencies = intList(String(values.concurrency), 1, 64);
const partitions = Math.min(64, Math.max(1, Number(values.partitions) || 12));
const seriesCount = Math.min(100_000, Math.max(1, Number(values.series) || 1000));
const rounds = Math.min(5, Math.max(1, Number(values.rounds) || 2));

const killer = setTimeout(() => {
  process.stderr.write('bench/producer: 170 s limit reached, aborting\n');
  process.exit(2);
}, 170_000);
killer.unref();

function makePoints(n: number): MetricPoint[] {
  const start = Date.now() - n;
  const out: MetricPoint[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = { source: `svc-${i % seriesCount}`, metric: 'response_time', value: 100 + (i % 97) * 0.5, timestamp: start + i, tags: { region: 'eu' } };
  return out;
}

/** Sends `chunks` with at most `concurrency` calls in flight; wall ms and process CPU µs. */
async function drive<T>(chunks: T[], concurrency: number, call: (chunk: T) => Promise<unknown>): Promise<{ wallMs: number; cpuUs: number }> {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < chunks.length) await call(chunks[next++]);
    }),
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuUs: cpu.user + cpu.system };
}

function chunked<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main() {
  const id = randomBytes(4).toString('hex');
  const config = loadConfig({ overrides: { logLevel: 'warn', kafka: { topicPrefix: `bench.producer.${id}.`, groupId: `bench.producer.${id}`, partitions } } });
  const logger = createLogger('warn', { bench: 'producer' });
  await ensureTopics(config, logger);
  const topic = `${config.kafka.topicPrefix}metrics`;

  const points = makePoints(totalPoints);
  const writer = getSchemaRegistry().latest('io.vigil.MetricPoint');
  // The same bytes the SDK sends (test/unit/sdk/producer.test.ts decodes them back).
  const messages: Message[] = points.map((p) => ({ key: `${p.source}/${p.metric}`, value: frameSingleObject(writer.fingerprint, writer.type.toBuffer(p)) }));

  // The peer is kafkajs alone (not newKafkaClient, whose producers complete their sends); the
  // same producer with completeSends shows what that check costs every Vigil producer.
  const kafkaOptions = { brokers: config.kafka.brokers, clientId: `bench-producer-${id}`, logLevel: logLevel.NOTHING };
  const kafka = new Kafka(kafkaOptions);
  const producerOptions = { idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner };
  const plain = kafka.producer(producerOptions);
  const completed = completeSends(new Kafka(kafkaOptions)).producer(producerOptions);
  await plain.connect();
  await completed.connect();
  const sdks = new Map<number, ReturnType<typeof createMetricProducer>>();
  for (const b of batchSizes) {
    const sdk = createMetricProducer({ config, maxBatchPoints: b });
    await sdk.connect();
    sdks.set(b, sdk);
  }
  // Warm-up: metadata, producer ids, JIT.
  await plain.send({ topic, messages: messages.slice(0, 2000), acks: -1 });
  await completed.send({ topic, messages: messages.slice(0, 2000), acks: -1 });
  for (const sdk of sdks.values()) await sdk.send(points.slice(0, 2000));
  let sentTotal = 2000 * (2 + sdks.size);

  type Key = string;
  const samples = new Map<Key, { rate: number[]; cpu: number[] }>();
  const add = (key: Key, n: number, r: { wallMs: number; cpuUs: number }) => {
    const s = samples.get(key) ?? { rate: [], cpu: [] };
    s.rate.push((n / r.wallMs) * 1000);
    s.cpu.push(r.cpuUs / n);
    samples.set(key, s);
  };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const b of batchSizes) {
        const messageChunks = chunked(messages, b);
        const pointChunks = chunked(points, b);
        const sdk = sdks.get(b)!;
        for (const c of concurrencies) {
          add(`peer ${b} ${c}`, totalPoints, await drive(messageChunks, c, (chunk) => plain.send({ topic, messages: chunk, acks: -1 })));
          add(`completed ${b} ${c}`, totalPoints, await drive(messageChunks, c, (chunk) => completed.send({ topic, messages: chunk, acks: -1 })));
          add(`sdk ${b} ${c}`, totalPoints, await drive(pointChunks, c, (chunk) => sdk.send(chunk)));
          sentTotal += 3 * totalPoints;
        }
      }
    }
    // Everything acknowledged is on the topic, exactly once.
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const onTopic = offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
    if (onTopic !== sentTotal) throw new Error(`the topic holds ${onTopic} records, ${sentTotal} were acknowledged`);
  } finally {
    await plain.disconnect();
    await completed.disconnect();
    for (const sdk of sdks.values()) await sdk.close();
    await deleteTopicsWithPrefix(config, config.kafka.topicPrefix, logger).catch(() => {});
  }

  const rows: Cell[][] = [];
  const headlines: Headline[] = [];
  for (const b of batchSizes) {
    for (const c of concurrencies) {
      const peer = samples.get(`peer ${b} ${c}`)!;
      const sdk = samples.get(`sdk ${b} ${c}`)!;
      const done = samples.get(`completed ${b} ${c}`)!;
      const [pr, sr, dr] = [Math.round(median(peer.rate)), Math.round(median(sdk.rate)), Math.round(median(done.rate))];
      rows.push(['kafkajs plain, pre-encoded (peer)', b, c, pr, Number(median(peer.cpu).toFixed(2)), '']);
      rows.push(['kafkajs + completeSends, pre-encoded', b, c, dr, Number(median(done.cpu).toFixed(2)), `${((dr / pr) * 100).toFixed(1)} %`]);
      rows.push(['vigil SDK (validate + encode + send)', b, c, sr, Number(median(sdk.cpu).toFixed(2)), `${((sr / pr) * 100).toFixed(1)} %`]);
      headlines.push({ figure: `SDK points/s, ${b} per call, ${c} in flight`, value: sr, unit: 'points/s', reference: { kind: 'peer', label: 'plain kafkajs producer', value: pr }, higherIsBetter: true });
    }
  }
  const table: BenchTable = { columns: ['producer (idempotent, acks=all)', 'points per call', 'calls in flight', 'points/s', 'CPU µs/point', 'of peer'], rows };
  const note = `node ${process.version}, ${totalPoints} points per case, ${seriesCount} series over ${partitions} partitions, median of ${rounds} rounds, load average after ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${sentTotal} records on the topic, as acknowledged`;
  process.stdout.write(`${markdownTable(table)}\n\n${note}\n`);
  emitResult({ tables: [table], headlines, notes: [note] });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench/producer failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
