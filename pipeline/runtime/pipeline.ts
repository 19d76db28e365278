/**
 * The pipeline process: consumer group over the metrics and commands topics (co-partitioned),
 * one serial lane per owned partition, scoring on the worker pool, ClickHouse + Kafka outputs,
 * offsets committed only after both are acknowledged, state rebuilt on assignment.
 *
 * Topology (what flows where) lives here; the processing itself is in processor/, the state
 * changelog in state/, the adapters in storage/ and outputs.ts.
 */
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import kafkajs from 'kafkajs';
import { topicNames, type VigilConfig } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import { seriesId, type AlertCommand, type AlertEvent, type CommandResult, type LiveSnapshot, type ScoredPoint } from '../../schemas/records.ts';
import { createKafka } from '../kafka/client.ts';
import { CoPartitionedAssigner } from '../kafka/co-partitioned-assigner.ts';
import { createClickHouse } from '../storage/clickhouse.ts';
import { ClickHouseSink } from '../storage/writer.ts';
import { scorePoints, type IncomingPoint, type ProcessorContext } from '../processor/score-points.ts';
import { PartitionState, type SeriesEntry } from '../state/partition-state.ts';
import { StateStore, type SeriesFactory } from '../state/state-store.ts';
import { SerialQueue } from './serial-queue.ts';
import { retryUntilDone, RetryAbortedError } from './retry.ts';
import { emptyOutputs, outputPublisher, type EventEncoder, type OutputBatch, type PublishOptions } from './outputs.ts';
import { resolveProduceBudget } from '../kafka/topic-limits.ts';
import { kafkaErrorType } from '../kafka/produce-errors.ts';
import { startDefinitionsFollower, type DefinitionsFollower } from './definitions-follower.ts';
import { createScoringPool } from '../../workers/pool.ts';
import { createSeriesState, restoreSeriesState } from '../../workers/series-state.ts';
import { defaultDetectorParams } from '../../workers/detector-params.ts';
import { SeriesMonitor } from '../alerts/series-monitor.ts';
import type { DefinitionSet } from '../alerts/definitions.ts';
import { decodeMetricRecord, toDlqMessage } from '../ingest/decode-record.ts';
import { decodeEvent, encodeEvent } from '../codec/events.ts';
import type { Registry } from 'prom-client';
import { consumerLag, createPipelineMetrics, nextConsumerStatus, type ConsumerEvent, type ConsumerStatus, type PartitionLag } from './pipeline-metrics.ts';

export interface PipelineStats {
  instanceId: string;
  ownedPartitions: number[];
  series: number;
  windowBytes: number;
  points: number;
  dlq: number;
  dlqByReason: Record<string, number>;
  anomalies: number;
  alertEvents: number;
  commands: number;
  batches: number;
  retries: number;
  lastBatchAt: number | null;
  pool: ReturnType<ReturnType<typeof createScoringPool>['stats']>;
}

/** GET /health: `healthy` (HTTP 200) only while the consumer is running in its group. */
export interface PipelineHealth {
  status: ConsumerStatus;
  healthy: boolean;
  instanceId: string;
  groupId: string;
  ownedPartitions: number[];
  series: number;
  lastBatchAt: number | null;
  /** Why the consumer last crashed, if it did. */
  lastError: string | null;
  uptimeSeconds: number;
  pool: PipelineStats['pool'];
}

export interface PipelineHandle {
  readonly instanceId: string;
  stats(): PipelineStats;
  /** Prometheus registry of this instance (scraped by the metrics server, or by tests). */
  readonly registry: Registry;
  health(): PipelineHealth;
  /** Waits until every owned partition's lane is idle (tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface PipelineOptions {
  instanceId?: string;
  snapshotIntervalMs?: number;
  silenceCheckMs?: number;
  /** Test hook: runs after a metrics batch's outputs are written, before its offsets are committed. */
  beforeCommit?: (partition: number, lastOffset: string) => Promise<void>;
}

const encoder: EventEncoder = (kind, record) => encodeEvent(kind, record);

/** kafkajs protocol errors meaning this consumer is no longer a member of the current generation. */
const MEMBERSHIP_ERRORS: ReadonlySet<string> = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID']);
const lostGroupMembership = (err: unknown) => kafkaErrorType(err, MEMBERSHIP_ERRORS) !== undefined;

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
  const snapshotIntervalMs = opts.snapshotIntervalMs ?? config.pipeline.snapshotIntervalMs;

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
  const sink = new ClickHouseSink(clickhouse, config.clickhouse.database);
  // Concurrency is already bounded by partitionsConsumedConcurrently: let every lane queue a task.
  const pool = createScoringPool({ threads: config.pipeline.workerThreads, logger, maxQueue: 1024 });
  opened.push(() => pool.close());

  const states = new Map<number, PartitionState>();
  const lanes = new SerialQueue<number>();
  const owned = new Set<number>();
  const stats = {
    points: 0,
    dlq: 0,
    dlqByReason: {} as Record<string, number>,
    anomalies: 0,
    alertEvents: 0,
    commands: 0,
    batches: 0,
    retries: 0,
    lastBatchAt: null as number | null,
  };
  let stopping = false;
  const startedAt = Date.now();
  let consumerStatus: ConsumerStatus = 'starting';
  let lastConsumerError: string | null = null;
  const consumerEvent = (event: ConsumerEvent) => {
    consumerStatus = nextConsumerStatus(consumerStatus, event);
  };
  const metrics = createPipelineMetrics({
    snapshot: () => currentStats(),
    consumerStatus: () => consumerStatus,
    consumerLag: () => ownedLag(),
    onLagError: (err) => logger.warn({ err }, 'consumer lag unavailable for this scrape'),
  });

  let definitions: DefinitionSet | undefined;
  const follower: DefinitionsFollower = await startDefinitionsFollower({
    kafka,
    producer,
    topic: topics.config,
    logger,
    onChange: (defs) => {
      definitions = defs;
      for (const [p, state] of states) {
        void lanes.run(p, () => emitStateEvents(p, state, (entry) => entry.monitor.setDefinitions(defs)));
      }
    },
  });
  opened.push(() => follower.stop());
  const defs = () => definitions ?? follower.definitions;

  const factory: SeriesFactory = {
    fresh: (id, source, metric): SeriesEntry => ({
      id,
      source,
      metric,
      window: createSeriesState(params),
      monitor: new SeriesMonitor(source, metric, defs()),
      dirty: true,
      lastLiveAt: 0,
    }),
    restore: (row): SeriesEntry => ({
      id: row.series_id,
      source: row.source,
      metric: row.metric,
      window: restoreSeriesState(Buffer.from(row.window_state, 'base64'), params),
      monitor: SeriesMonitor.fromJSON(JSON.parse(row.monitor_state), row.source, row.metric, defs()),
      dirty: false,
      lastLiveAt: 0,
    }),
  };
  const store = new StateStore(sink, factory, logger);

  const ctxFor = (state: PartitionState): ProcessorContext => ({
    state,
    params,
    score: (task) => pool.run(task),
    newSeries: factory.fresh,
  });

  const admin = kafka.admin();
  await admin.connect();
  opened.push(() => admin.disconnect());
  const maxProduceBytes = await resolveProduceBudget(
    admin,
    [topics.dlq, topics.anomalies, topics.alerts, topics.live, topics.commandResults],
    config.pipeline.maxProduceBytes,
    logger,
  );
  const publishOpts: PublishOptions = {
    maxBytes: maxProduceBytes,
    logger,
    onReference: (letter) => logger.warn({ headers: Object.keys(letter.headers ?? {}) }, 'dead letter replaced by a reference to its original record'),
  };
  async function committedOffset(partition: number): Promise<bigint> {
    const [entry] = await admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [topics.metrics] });
    const p = entry?.partitions.find((x) => x.partition === partition);
    return p ? BigInt(p.offset) : -1n;
  }

  async function ownedLag(): Promise<PartitionLag[]> {
    if (stopping || owned.size === 0) return [];
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topics.metrics),
      admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [topics.metrics] }),
    ]);
    return consumerLag(ends, committed?.partitions ?? [], owned);
  }

  /**
   * The partition's state, rebuilt when missing or when the consumer's position is past what the
   * state reflects (another instance committed more while this one was not the owner).
   * @param position first offset about to be processed, when known: the authority on where the
   *   group really is, unlike a committed offset fetched a moment earlier.
   */
  async function ensureState(partition: number, position?: bigint): Promise<PartitionState> {
    const existing = states.get(partition);
    if (existing && (position === undefined || position <= existing.stateOffset + 1n)) return existing;
    if (existing) logger.info({ partition, stateOffset: String(existing.stateOffset), position: String(position) }, 'state behind the group position: rebuilding');
    const target = position ?? (await committedOffset(partition));
    const state = await store.rebuild(partition, target, async (s, points) => {
      await scorePoints(ctxFor(s), points);
    });
    states.set(partition, state);
    return state;
  }

  type BatchControl = Pick<EachBatchPayload, 'heartbeat' | 'isRunning' | 'isStale'> & { batch: { partition: number } };
  const retry = <T>(what: string, fn: () => Promise<T>, payload?: BatchControl) =>
    retryUntilDone(fn, {
      what,
      logger,
      onWait: payload ? () => payload.heartbeat() : undefined,
      // A revoked partition must not keep writing: its new owner has taken over.
      shouldStop: () =>
        stopping || (payload ? !payload.isRunning() || payload.isStale() || !owned.has(payload.batch.partition) : false),
      // The member has left the group (session expired, rebalance): retrying cannot cure that, and
      // kafkajs only rejoins once eachBatch returns. Abandon the batch; it is re-delivered.
      isFatal: lostGroupMembership,
      onRetry: () => {
        stats.retries++;
        metrics.retry(what);
      },
    });

  /** At most one snapshot per series per liveThrottleMs of wall time: live views are for humans. */
  function liveSnapshots(batch: Map<SeriesEntry, ScoredPoint>): LiveSnapshot[] {
    const now = Date.now();
    const out: LiveSnapshot[] = [];
    for (const [entry, p] of batch) {
      if (now - entry.lastLiveAt < config.pipeline.liveThrottleMs) continue;
      entry.lastLiveAt = now;
      out.push({ source: p.source, metric: p.metric, timestamp: p.timestamp, value: p.value, mean: p.mean, std: p.std, zscore: p.zscore, anomalyScore: p.anomalyScore });
    }
    return out;
  }

  async function maybeSnapshot(state: PartitionState, force: boolean, payload?: BatchControl) {
    if (!force && Date.now() - state.lastSnapshotAt < snapshotIntervalMs) return;
    await retry('state snapshot insert', () => store.snapshot(state), payload);
  }

  async function handleMetrics(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const partition = batch.partition;
    if (batch.messages.length === 0) return;
    const state = await ensureState(partition, BigInt(batch.messages[0].offset));
    const batchStartedAt = performance.now();
    const incoming: IncomingPoint[] = [];
    const outputs: OutputBatch = emptyOutputs();
    const nowMs = Date.now();
    const dlqReasons: string[] = [];
    for (const message of batch.messages) {
      if (BigInt(message.offset) <= state.stateOffset) continue; // already reflected (re-fetch after rebuild)
      const decoded = decodeMetricRecord(message, {
        maxTagCount: config.pipeline.maxTagCount,
        maxTagBytes: config.pipeline.maxTagBytes,
        maxFutureSkewMs: config.pipeline.maxFutureSkewMs,
        nowMs,
      });
      if (decoded.ok) {
        incoming.push({ point: decoded.point, seriesId: decoded.seriesId, offset: message.offset });
      } else {
        outputs.dlq.push(toDlqMessage(message, decoded.reason, decoded.detail, { topic: batch.topic, partition, offset: message.offset }, { maxBytes: maxProduceBytes }));
        dlqReasons.push(decoded.reason);
        logger.debug({ partition, offset: message.offset, reason: decoded.reason, detail: decoded.detail }, 'record sent to DLQ');
      }
    }
    const lastOffset = batch.messages[batch.messages.length - 1].offset;
    try {
      const scoringStartedAt = performance.now();
      const processed = await scorePoints(ctxFor(state), incoming);
      const scoringSeconds = (performance.now() - scoringStartedAt) / 1000;
      outputs.anomalies = processed.anomalies;
      outputs.alerts = processed.alerts;
      outputs.live = liveSnapshots(processed.lastBySeries);
      // A failed points INSERT may have been applied anyway (its answer lost): before another
      // attempt, ask ClickHouse where the partition's stored prefix ends.
      let fresh = processed.scored.filter((p) => BigInt(p.offset) > state.maxInsertedOffset);
      const lastFresh = fresh.at(-1);
      let pointsAttempted = false;
      const insertPoints = async () => {
        if (pointsAttempted) {
          const stored = await sink.maxInsertedOffset(partition);
          fresh = fresh.filter((p) => BigInt(p.offset) > stored);
        }
        pointsAttempted = true;
        await sink.writePoints(fresh);
      };
      // All three must be acknowledged before the commit, but none depends on another: running
      // them together takes the ClickHouse inserts out of the alert latency (a subscriber may
      // then see an event a moment before the API can read its row).
      await Promise.all([
        retry('ClickHouse insert (points)', insertPoints, payload).then(() => {
          if (lastFresh) state.maxInsertedOffset = BigInt(lastFresh.offset);
        }),
        retry('ClickHouse insert', () => sink.writeDerived({ anomalies: processed.anomalies, alerts: processed.alerts, sla: processed.sla }), payload),
        retry('Kafka produce', outputPublisher(producer, topics, encoder, outputs, publishOpts), payload),
      ]);
      await opts.beforeCommit?.(partition, lastOffset);
      await retry('offset commit', () => payload.commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition, offset: String(BigInt(lastOffset) + 1n) }] }] }), payload);
      if (BigInt(lastOffset) > state.stateOffset) state.stateOffset = BigInt(lastOffset);
      payload.resolveOffset(lastOffset);
      stats.points += incoming.length;
      stats.dlq += outputs.dlq.length;
      // Counted once the batch is committed, like every other figure: a re-delivered batch
      // does not count its dead letters twice.
      for (const reason of dlqReasons) stats.dlqByReason[reason] = (stats.dlqByReason[reason] ?? 0) + 1;
      stats.anomalies += processed.anomalies.length;
      stats.alertEvents += processed.alerts.length;
      stats.batches++;
      stats.lastBatchAt = Date.now();
      metrics.metricsBatch({
        points: incoming.length,
        dlq: outputs.dlq,
        anomalies: processed.anomalies,
        alerts: processed.alerts,
        seconds: (performance.now() - batchStartedAt) / 1000,
        scoringSeconds,
      });
      await maybeSnapshot(state, false, payload);
    } catch (err) {
      // The state has moved past what is committed: drop it; the next batch rebuilds it.
      states.delete(partition);
      if (err instanceof RetryAbortedError) {
        logger.info({ partition }, 'partition batch abandoned (revoked or stopping); it will be re-delivered');
        return;
      }
      throw err;
    }
  }

  async function handleCommands(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const partition = batch.partition;
    const state = await ensureState(partition);
    const outputs = emptyOutputs();
    const events: AlertEvent[] = [];
    const now = Date.now();
    for (const message of batch.messages) {
      const decoded = message.value ? safeDecodeCommand(message.value) : null;
      if (!decoded) {
        outputs.dlq.push(toDlqMessage(message, 'invalid-command', 'not a decodable AlertCommand', { topic: batch.topic, partition, offset: message.offset }, { maxBytes: maxProduceBytes }));
        continue;
      }
      const entry = state.series.get(seriesId(decoded.source, decoded.metric));
      let result: CommandResult;
      if (!entry) {
        result = { commandId: decoded.commandId, alertId: decoded.alertId, applied: false, status: 'unknown', reason: `series ${seriesId(decoded.source, decoded.metric)} has no state on its owner`, event: null };
      } else {
        result = entry.monitor.applyCommand(decoded, now);
        if (result.applied) entry.dirty = true;
      }
      if (result.event) events.push(result.event);
      outputs.commandResults.push(result);
      stats.commands++;
      logger.info({ partition, commandId: decoded.commandId, type: decoded.type, alertId: decoded.alertId, applied: result.applied, reason: result.reason }, 'operator command');
    }
    outputs.alerts = events;
    try {
      await retry('ClickHouse insert (commands)', () => sink.writeDerived({ anomalies: [], alerts: events, sla: [] }), payload);
      await retry('Kafka produce (commands)', outputPublisher(producer, topics, encoder, outputs, publishOpts), payload);
      if (events.length > 0) await maybeSnapshot(state, true, payload);
      const lastOffset = batch.messages[batch.messages.length - 1].offset;
      await retry('offset commit (commands)', () => payload.commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition, offset: String(BigInt(lastOffset) + 1n) }] }] }), payload);
      payload.resolveOffset(lastOffset);
      stats.alertEvents += events.length;
      metrics.commandsBatch(outputs.commandResults, outputs.dlq.length);
      metrics.alertEvents(events);
    } catch (err) {
      states.delete(partition);
      if (err instanceof RetryAbortedError) return;
      throw err;
    }
  }

  function safeDecodeCommand(value: Buffer): AlertCommand | null {
    try {
      const { kind, record } = decodeEvent(value);
      return kind === 'command' ? (record as AlertCommand) : null;
    } catch {
      return null;
    }
  }

  /**
   * Applies a state change that is not driven by points (no-data checks, definition changes) to
   * every series of a partition, writes and publishes the resulting alert events, then snapshots
   * at once: replaying points after a restart would not reproduce these transitions.
   */
  async function emitStateEvents(partition: number, state: PartitionState, change: (entry: SeriesEntry) => AlertEvent[]): Promise<void> {
    if (states.get(partition) !== state) return;
    const events: AlertEvent[] = [];
    for (const entry of state.series.values()) {
      const fired = change(entry);
      if (fired.length > 0) {
        entry.dirty = true;
        events.push(...fired);
      }
    }
    if (events.length === 0) return;
    try {
      await retry('ClickHouse insert (state events)', () => sink.writeDerived({ anomalies: [], alerts: events, sla: [] }));
      await retry('Kafka produce (state events)', outputPublisher(producer, topics, encoder, { ...emptyOutputs(), alerts: events }, publishOpts));
      await maybeSnapshot(state, true);
      stats.alertEvents += events.length;
      metrics.alertEvents(events);
    } catch (err) {
      states.delete(partition);
      if (!(err instanceof RetryAbortedError)) logger.error({ err, partition }, 'state event emission failed');
    }
  }

  async function checkSilence(): Promise<void> {
    const now = Date.now();
    for (const [partition, state] of states) {
      await lanes.run(partition, () =>
        emitStateEvents(partition, state, (entry) => {
          // Wall clock: the monitor measures silence from the first check that saw data, so a
          // series already silent when its partition moved here still alerts after noDataMs.
          return entry.monitor.checkSilence(now, config.pipeline.noDataMs);
        }),
      );
    }
  }

  const consumer: Consumer = kafka.consumer({
    groupId: config.kafka.groupId,
    partitionAssigners: [CoPartitionedAssigner],
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: config.pipeline.maxBytesPerPartition,
    allowAutoTopicCreation: false,
    // A failed batch is re-fetched after a restart and its partition state rebuilt; never give up.
    retry: { retries: 10, restartOnFailure: async () => !stopping },
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = new Set(payload.memberAssignment[topics.metrics] ?? []);
    for (const p of [...owned]) {
      if (assigned.has(p)) continue;
      owned.delete(p);
      void lanes.run(p, async () => {
        states.delete(p);
      });
    }
    for (const p of assigned) {
      if (owned.has(p)) continue;
      owned.add(p);
      // Rebuild now rather than on the partition's first batch: a partition whose series have all
      // gone silent gets no batch, and its no-data checks and commands need the state too.
      void lanes.run(p, () => ensureState(p)).catch((err: unknown) => logger.warn({ err, partition: p }, 'state rebuild on assignment failed; retried on the next batch'));
    }
    consumerEvent('join');
    logger.info({ partitions: [...assigned].sort((a, b) => a - b) }, 'partitions assigned');
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
    lastConsumerError = payload.error?.message ?? String(payload.error);
    consumerEvent(payload.restart ? 'crash-restart' : 'crash');
  });
  consumer.on(consumer.events.STOP, () => consumerEvent('stop'));
  opened.push(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.metrics, topics.commands], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: Math.min(config.kafka.partitions * 2, 8),
    eachBatch: async (payload) => {
      const { topic, partition } = payload.batch;
      if (topic === topics.metrics) await lanes.run(partition, () => handleMetrics(payload));
      else if (topic === topics.commands) await lanes.run(partition, () => handleCommands(payload));
    },
  });

  const silenceTimer = setInterval(() => {
    void checkSilence().catch((err) => logger.error({ err }, 'no-data check failed'));
  }, opts.silenceCheckMs ?? Math.min(10_000, Math.max(1000, Math.floor(config.pipeline.noDataMs / 4))));
  silenceTimer.unref();

  logger.info({ groupId: config.kafka.groupId, topics: [topics.metrics, topics.commands], threads: config.pipeline.workerThreads }, 'pipeline started');

  function currentStats(): PipelineStats {
    let series = 0;
    let windowBytes = 0;
    for (const s of states.values()) {
      series += s.series.size;
      windowBytes += s.windowBytes();
    }
    return { instanceId, ownedPartitions: [...owned].sort((a, b) => a - b), series, windowBytes, ...stats, dlqByReason: { ...stats.dlqByReason }, pool: pool.stats() };
  }

  return {
    instanceId,
    stats: currentStats,
    registry: metrics.registry,
    health(): PipelineHealth {
      const s = currentStats();
      return {
        status: consumerStatus,
        healthy: consumerStatus === 'running',
        instanceId,
        groupId: config.kafka.groupId,
        ownedPartitions: s.ownedPartitions,
        series: s.series,
        lastBatchAt: s.lastBatchAt,
        lastError: lastConsumerError,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        pool: s.pool,
      };
    },
    async idle() {
      await Promise.all([...owned].map((p) => lanes.drain(p)));
    },
    async stop() {
      stopping = true;
      consumerEvent('stop-requested');
      clearInterval(silenceTimer);
      await consumer.disconnect().catch(() => undefined);
      await Promise.all([...states.keys()].map((p) => lanes.drain(p)));
      // Snapshot what is committed so the next owner replays less.
      for (const state of states.values()) await store.snapshot(state).catch(() => undefined);
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
