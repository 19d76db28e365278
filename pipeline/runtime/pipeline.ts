/**
 * The pipeline process: consumer group over the metrics and commands topics (co-partitioned),
 * one serial lane per owned partition, scoring on the worker pool, ClickHouse + Kafka outputs,
 * offsets committed only after both are acknowledged, state rebuilt on assignment.
 *
 * This module is the topology — what is opened, which handler each topic's batches go to, what
 * the process reports — like a Kafka Streams topology kept apart from its processors. The
 * stages of a metrics batch are in metrics-batch.ts and stages/, operator commands in
 * commands.ts, no-data and definition changes in state-events.ts, owned partitions in
 * partitions.ts, stall detection in partition-progress.ts and stall-monitor.ts.
 */
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import kafkajs from 'kafkajs';
import { topicNames, type VigilConfig } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import { createKafka } from '../kafka/client.ts';
import { CoPartitionedAssigner } from '../kafka/co-partitioned-assigner.ts';
import { checkReplication } from '../kafka/replication.ts';
import { fetchOptions } from '../kafka/fetch-options.ts';
import { resolveProduceBudget } from '../kafka/topic-limits.ts';
import { assertClickHouseLogin, createClickHouse } from '../storage/clickhouse.ts';
import { ClickHouseSink } from '../storage/writer.ts';
import { StateStore } from '../state/state-store.ts';
import { createSeriesFactory } from '../state/series-factory.ts';
import type { EventEncoder, PublishOptions } from './outputs.ts';
import { startDefinitionsFollower, type DefinitionsFollower } from './definitions-follower.ts';
import { createScoringPool } from '../../workers/pool.ts';
import { defaultDetectorParams } from '../../workers/detector-params.ts';
import type { DefinitionSet } from '../alerts/definitions.ts';
import { encodeEvent } from '../codec/events.ts';
import { cachedAsync, consumerLag, createPipelineMetrics, nextConsumerStatus, type ConsumerEvent, type ConsumerStatus, type PartitionLag } from './pipeline-metrics.ts';
import { createBatchRetry } from './batch-retry.ts';
import { emptyCounters, type PipelineHandle, type PipelineHealth, type PipelineOptions, type PipelineStats } from './handle.ts';
import { OwnedPartitions } from './partitions.ts';
import type { PipelineContext } from './context.ts';
import { handleMetricsBatch } from './metrics-batch.ts';
import { handleCommandsBatch } from './commands.ts';
import { checkSilence, emitStateEvents } from './state-events.ts';
import { StallMonitor } from './stall-monitor.ts';
import { SeriesLimitMonitor } from './series-limit-monitor.ts';
import type { PartitionAlertDeps } from './partition-alerts.ts';
import { seriesLimitPerPartition } from '../state/series-limit.ts';

export type { PipelineHandle, PipelineHealth, PipelineOptions, PipelineStats } from './handle.ts';

const encoder: EventEncoder = (kind, record) => encodeEvent(kind, record);

export async function startPipeline(config: VigilConfig, rootLogger: Logger, opts: PipelineOptions = {}): Promise<PipelineHandle> {
  // What startup opened so far, released if a later step fails (e.g. Kafka unreachable): a worker
  // pool or a connected producer left behind would keep a failed `vigil pipeline` alive.
  const opened: Array<() => Promise<unknown>> = [];
  try {
    return await openPipeline(config, rootLogger, opts, opened);
  } catch (err) {
    for (const close of opened.reverse()) await close().catch(() => undefined);
    throw err;
  }
}

async function openPipeline(config: VigilConfig, rootLogger: Logger, opts: PipelineOptions, opened: Array<() => Promise<unknown>>): Promise<PipelineHandle> {
  const instanceId = opts.instanceId ?? `pipeline-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const logger = rootLogger.child({ component: 'pipeline', instanceId });
  const topics = topicNames(config);
  const params = defaultDetectorParams(config.pipeline);
  const stallAfterMs = config.pipeline.stallAfterMs;

  const kafka: Kafka = createKafka(config, logger);
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  opened.push(() => producer.disconnect());
  const clickhouse: ClickHouseClient = createClickHouse(config);
  opened.push(() => clickhouse.close());
  await assertClickHouseLogin(clickhouse, config, false);
  const sink = new ClickHouseSink(clickhouse, config.clickhouse.database, { combinePoints: config.clickhouse.cluster === null });
  // Concurrency is already bounded by partitionsConsumedConcurrently: let every lane queue a task.
  const pool = createScoringPool({ threads: config.pipeline.workerThreads, logger, maxQueue: Math.max(1024, config.kafka.partitions), taskTimeoutMs: config.pipeline.scoreTimeoutMs, filename: opts.scoringModule });
  opened.push(() => pool.close());

  let stopping = false;
  const startedAt = Date.now();
  let consumerStatus: ConsumerStatus = 'starting';
  let lastConsumerError: string | null = null;
  const consumerEvent = (event: ConsumerEvent) => {
    consumerStatus = nextConsumerStatus(consumerStatus, event);
  };

  let definitions: DefinitionSet | undefined;
  const defs = () => definitions ?? follower.definitions;
  const factory = createSeriesFactory(config.pipeline, params, defs);
  const store = new StateStore(sink, factory, logger);

  const admin = kafka.admin();
  await admin.connect();
  opened.push(() => admin.disconnect());
  const maxProduceBytes = await resolveProduceBudget(admin, [topics.dlq, topics.anomalies, topics.alerts, topics.live, topics.commandResults], config.pipeline.maxProduceBytes, logger);
  const publish: PublishOptions = {
    maxBytes: maxProduceBytes,
    logger,
    onReference: (letter) => logger.warn({ headers: Object.keys(letter.headers ?? {}) }, 'dead letter replaced by a reference to its original record'),
  };

  const partitions = new OwnedPartitions({
    store,
    factory,
    params,
    score: (task) => pool.run(task),
    committedOffset: async (partition) => {
      const [entry] = await admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [topics.metrics] });
      const p = entry?.partitions.find((x) => x.partition === partition);
      return p ? BigInt(p.offset) : -1n;
    },
    stallAfterMs,
    logger,
  });

  async function ownedLag(): Promise<PartitionLag[]> {
    if (stopping) return [];
    if (partitions.owned.size === 0) {
      // Nothing to measure, but the broker check still needs an answer from the broker.
      await admin.describeCluster();
      return [];
    }
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topics.metrics),
      admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [topics.metrics] }),
    ]);
    return consumerLag(ends, committed?.partitions ?? [], partitions.owned);
  }
  // Shared by the scrape and the stall checks, so neither multiplies admin requests.
  const lag = cachedAsync(ownedLag, { ttlMs: 1000, timeoutMs: 3000 });

  // The pipeline's own alerts go out beside the lanes (partition-alerts.ts).
  const alertDelivery: PartitionAlertDeps = { producer, topics, encoder, publish, sink, logger };
  const seriesLimit = seriesLimitPerPartition(config.pipeline.maxSeries, config.kafka.partitions);
  const seriesLimitMonitor = new SeriesLimitMonitor({
    groupId: config.kafka.groupId,
    topic: topics.metrics,
    limit: seriesLimit,
    maxSeries: config.pipeline.maxSeries,
    partitions: config.kafka.partitions,
    clearAfterMs: config.pipeline.seriesLimitClearMs,
    isOwned: (p) => partitions.owned.has(p),
    ...alertDelivery,
  });

  const counters = emptyCounters();
  let stallMonitor: StallMonitor | undefined;
  const metrics = createPipelineMetrics({
    snapshot: () => currentStats(),
    consumerStatus: () => consumerStatus,
    consumerLag: lag,
    stalledPartitions: () => (stallMonitor?.stalled() ?? []).map((s) => s.partition),
    onLagError: (err) => logger.warn({ err }, 'consumer lag unavailable for this scrape'),
  });

  const retry = createBatchRetry({
    logger,
    stopping: () => stopping,
    owns: (p) => partitions.owned.has(p),
    onRetry: (what, partition, err) => {
      counters.retries++;
      metrics.retry(what);
      if (partition !== undefined) partitions.progress.failed(partition, what, err, Date.now());
    },
  });

  const ctx: PipelineContext = {
    config,
    logger,
    topics,
    store,
    partitions,
    counters,
    metrics,
    retry,
    maxProduceBytes,
    scoring: {
      partitions,
      attempts: config.pipeline.scoreAttempts,
      logger,
      onFailure: (partition, err) => {
        counters.retries++;
        metrics.retry('scoring');
        partitions.progress.failed(partition, 'scoring', err, Date.now());
      },
    },
    seriesLimit,
    seriesLimitMonitor,
    snapshotIntervalMs: opts.snapshotIntervalMs ?? config.pipeline.snapshotIntervalMs,
    beforeCommit: opts.beforeCommit,
    sink,
    producer,
    encoder,
    publish,
  };

  const follower: DefinitionsFollower = await startDefinitionsFollower({
    kafka,
    producer,
    topic: topics.config,
    logger,
    onChange: (next) => {
      definitions = next;
      for (const [p, state] of partitions.states) {
        void partitions.lanes.run(p, () => emitStateEvents(ctx, p, state, (entry) => entry.monitor.setDefinitions(next)));
      }
    },
  });
  opened.push(() => follower.stop());

  const stallCheckMs = opts.stallCheckMs ?? Math.min(5000, Math.max(250, Math.floor(stallAfterMs / 4)));
  stallMonitor = new StallMonitor({
    progress: partitions.progress,
    brokerGraceMs: Math.min(stallAfterMs, 2 * stallCheckMs),
    lag,
    stallAfterMs,
    topic: topics.metrics,
    groupId: config.kafka.groupId,
    ...alertDelivery,
  });

  const consumer: Consumer = kafka.consumer({
    groupId: config.kafka.groupId,
    partitionAssigners: [CoPartitionedAssigner],
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    ...fetchOptions(config),
    allowAutoTopicCreation: false,
    // A failed batch is re-fetched after a restart and its partition state rebuilt; never give up.
    retry: { retries: 10, restartOnFailure: async () => !stopping },
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = new Set(payload.memberAssignment[topics.metrics] ?? []);
    partitions.assign(assigned, Date.now());
    consumerEvent('join');
    logger.info({ partitions: [...assigned].sort((a, b) => a - b) }, 'partitions assigned');
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
    lastConsumerError = payload.error?.message ?? String(payload.error);
    consumerEvent(payload.restart ? 'crash-restart' : 'crash');
  });
  consumer.on(consumer.events.STOP, () => consumerEvent('stop'));
  // The fetch barrier's cost, measured: from a fetch's answer to the next request for more.
  let fetchAnsweredAt: number | undefined;
  consumer.on(consumer.events.FETCH, () => {
    fetchAnsweredAt = performance.now();
  });
  consumer.on(consumer.events.FETCH_START, () => {
    if (fetchAnsweredAt !== undefined) metrics.fetchRound((performance.now() - fetchAnsweredAt) / 1000);
    fetchAnsweredAt = undefined;
  });
  opened.push(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.metrics, topics.commands], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    // Every batch of a fetch at once (metrics + commands partitions): kafkajs fetches again only
    // when all of them are done, so a cap below that left the last batches of a fetch running
    // alone after the others (the insert coalescer and the 1024-task pool queue absorb the rest).
    partitionsConsumedConcurrently: config.kafka.partitions * 2,
    eachBatch: async (payload) => {
      const { topic, partition } = payload.batch;
      if (topic === topics.metrics) await partitions.lanes.run(partition, () => handleMetricsBatch(ctx, payload));
      else if (topic === topics.commands) await partitions.lanes.run(partition, () => handleCommandsBatch(ctx, payload));
    },
  });

  const silenceTimer = setInterval(() => {
    void checkSilence(ctx).catch((err) => logger.error({ err }, 'no-data check failed'));
  }, opts.silenceCheckMs ?? Math.min(10_000, Math.max(1000, Math.floor(config.pipeline.noDataMs / 4))));
  silenceTimer.unref();
  let stallCheck: Promise<void> | undefined;
  // Latest replication check of the topics this pipeline reads and writes; an error here is the broker check's to report.
  let replicationDegraded: string | null = null;
  const replicatedTopics = [topics.metrics, topics.commands, topics.anomalies, topics.alerts, topics.live];
  const stallTimer = setInterval(() => {
    stallCheck ??= Promise.all([
      checkReplication(admin, replicatedTopics).then((d) => {
        if (d !== replicationDegraded) logger.warn({ degraded: d }, d ? 'Kafka cluster degraded' : 'Kafka cluster replication restored');
        replicationDegraded = d;
      }, () => undefined),
      stallMonitor.check().catch((err) => logger.error({ err }, 'stall check failed')),
      seriesLimitMonitor.check().catch((err) => logger.error({ err }, 'series limit check failed')),
    ]).then(() => undefined).finally(() => {
      stallCheck = undefined;
    });
  }, stallCheckMs);
  stallTimer.unref();

  logger.info({ groupId: config.kafka.groupId, topics: [topics.metrics, topics.commands], threads: config.pipeline.workerThreads, maxProduceBytes, stallAfterMs, seriesLimit }, 'pipeline started');

  function currentStats(): PipelineStats {
    let series = 0;
    let windowBytes = 0;
    const seriesByPartition: PipelineStats['seriesByPartition'] = [];
    for (const [partition, s] of partitions.states) {
      series += s.series.size;
      windowBytes += s.windowBytes();
      seriesByPartition.push({ partition, series: s.series.size });
    }
    seriesByPartition.sort((a, b) => a.partition - b.partition);
    return {
      instanceId,
      ownedPartitions: [...partitions.owned].sort((a, b) => a - b),
      series,
      seriesByPartition,
      seriesLimit,
      windowBytes,
      ...counters,
      dlqByReason: { ...counters.dlqByReason },
      pool: pool.stats(),
    };
  }

  return {
    instanceId,
    stats: currentStats,
    registry: metrics.registry,
    health(): PipelineHealth {
      const s = currentStats();
      const stalledPartitions = stallMonitor.stalled();
      const brokerDown = stallMonitor.brokerDown();
      return {
        status: consumerStatus,
        healthy: consumerStatus === 'running' && stalledPartitions.length === 0 && brokerDown === null,
        instanceId,
        groupId: config.kafka.groupId,
        ownedPartitions: s.ownedPartitions,
        series: s.series,
        lastBatchAt: s.lastBatchAt,
        lastError: brokerDown ?? partitions.progress.lastError() ?? stallMonitor.problem() ?? lastConsumerError,
        kafka: brokerDown !== null ? { reachable: false, reason: brokerDown } : replicationDegraded !== null ? { reachable: true, degraded: replicationDegraded } : { reachable: true },
        stalledPartitions,
        seriesLimit: { perPartition: seriesLimit, refusingPartitions: seriesLimitMonitor.refusing() },
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        pool: s.pool,
      };
    },
    idle: () => partitions.drainAll(),
    async stop() {
      stopping = true;
      consumerEvent('stop-requested');
      clearInterval(silenceTimer);
      clearInterval(stallTimer);
      await consumer.disconnect().catch(() => undefined);
      await Promise.all([...partitions.states.keys()].map((p) => partitions.lanes.drain(p)));
      await stallCheck;
      // Snapshot what is committed so the next owner replays less.
      for (const state of partitions.states.values()) await store.snapshot(state).catch(() => undefined);
      await follower.stop().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await pool.close();
      await clickhouse.close();
      consumerEvent('stop');
      logger.info('pipeline stopped');
    },
  };
}
