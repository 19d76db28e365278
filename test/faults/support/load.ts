/**
 * The fault suite's steady load: the seeded load generator's 32 series (4 sources × the eight
 * standard metrics) with known injected incidents, paced in real time at a few thousand
 * points/s. Every run of the suite sends the same points in the same order, so one
 * uninterrupted run (the reference) says which anomalies and alert transitions each fault run
 * must show exactly once.
 */
import kafkajs from 'kafkajs';
import type { VigilConfig } from '../../../core/config.ts';
import { createLogger } from '../../../core/logger.ts';
import { createKafka } from '../../../pipeline/kafka/client.ts';
import { encodeEvent } from '../../../pipeline/codec/events.ts';
import { createLoadGenerator, type IncidentSpec } from '../../../pipeline/loadgen/index.ts';
import { seriesId, type MetricPoint } from '../../../schemas/records.ts';

export const SOURCES = 4;
/** Event time: one point per 5 s per series, as in test/integration/detection.test.ts, so a 15-point breach outlasts a 1-minute `for`. */
export const EVENT_RATE = 0.2;
export const WINDOW = 200;
/** Wall-clock pace: instants (one point of every series) per second. 80 × 32 series = 2,560 points/s. */
export const TICKS_PER_SECOND = 80;

/** Incidents spread over the run so every fault window has some before, during and after it. */
const INCIDENTS: IncidentSpec[] = [
  { kind: 'spike', at: { index: 300 }, target: 'source-1/response_time', magnitude: 7 },
  { kind: 'drop', at: { index: 450 }, target: 'source-1/throughput', magnitude: 13 },
  { kind: 'spike', at: { index: 600 }, target: 'source-2/queue_size', magnitude: 25 },
  // 1200 ms for 15 points (75 s of event time): the response_time low threshold alert fires, then resolves
  { kind: 'spike', at: { index: 800 }, target: 'source-3/response_time', magnitude: 50, points: 15 },
  { kind: 'drop', at: { index: 1000 }, target: 'source-2/accuracy', magnitude: 7 },
  { kind: 'spike', at: { index: 1200 }, target: 'source-3/error_rate', magnitude: 13 },
  // 99.85 % for 15 points: the availability info threshold alert fires, then resolves
  { kind: 'drop', at: { index: 1400 }, target: 'source-3/availability', magnitude: 10, points: 15 },
  { kind: 'spike', at: { index: 1650 }, target: 'source-4/response_time', magnitude: 50, points: 15 },
  { kind: 'spike', at: { index: 1900 }, target: 'source-4/queue_size', magnitude: 25 },
  { kind: 'drop', at: { index: 2100 }, target: 'source-4/throughput', magnitude: 13 },
];

export interface FaultLoad {
  /** Every point in production order, grouped by instant. */
  ticks: MetricPoint[][];
  points: MetricPoint[];
  series: number;
  incidents: number;
  /** e.g. "2,560 pts/s for 30 s (32 series, 10 incidents)"; with `elapsedMs`, the rate achieved too. */
  describe(elapsedMs?: number): string;
}

/** Same seed and start ⇒ same points; `mark` replaces the value of one point (worker-fault markers). */
export function faultLoad(options: { pointsPerSeries?: number; seed?: number; mark?: Array<{ index: number; series: string; value: number }> } = {}): FaultLoad {
  const pointsPerSeries = options.pointsPerSeries ?? 2400;
  const stepMs = 1000 / EVENT_RATE;
  // In the past (hours before now), whole seconds: the same in the reference and the fault run of one file.
  const startMs = Math.floor((Date.now() - pointsPerSeries * stepMs - 3_600_000) / 60_000) * 60_000;
  const gen = createLoadGenerator({ sources: SOURCES, rate: EVENT_RATE, points: pointsPerSeries, seed: options.seed ?? 12, startMs, incidents: INCIDENTS, tags: { env: 'faults' } });
  const ticks: MetricPoint[][] = [];
  for (const t of gen.ticks()) ticks.push(t.points);
  for (const m of options.mark ?? []) {
    const p = ticks[m.index].find((x) => seriesId(x.source, x.metric) === m.series);
    if (!p) throw new Error(`no point of ${m.series} at index ${m.index}`);
    p.value = m.value;
  }
  const points = ticks.flat();
  const seconds = Math.round(ticks.length / TICKS_PER_SECOND);
  const rate = Math.round((points.length / ticks.length) * TICKS_PER_SECOND);
  return {
    ticks,
    points,
    series: gen.series.length,
    incidents: gen.groundTruth.incidents.length,
    describe: (elapsedMs) =>
      `${points.length.toLocaleString('en-US')} points, ${rate.toLocaleString('en-US')}/s for ${seconds} s planned` +
      (elapsedMs ? `, sent in ${Math.round(elapsedMs / 1000)} s` : '') +
      ` (${gen.series.length} series, ${gen.groundTruth.incidents.length} incidents)`,
  };
}

export interface PacedLoad {
  /** Points acknowledged by the broker so far. */
  produced(): number;
  /** Resolves when every point is acknowledged (it retries through a broker outage). */
  readonly done: Promise<{ produced: number; maxLagMs: number; failedSends: number; elapsedMs: number }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends the load's ticks at TICKS_PER_SECOND (several ticks per request every 50 ms), one
 * idempotent producer, acks=all. A refused send is sent again as it was (same producer, so the
 * broker drops a copy it already has) until `deadlineMs`; late ticks are sent at once, never
 * skipped: the schedule slips and the slip is reported.
 */
export function startPacedLoad(config: VigilConfig, topic: string, load: FaultLoad, options: { deadlineMs?: number } = {}): PacedLoad {
  let produced = 0;
  const done = (async () => {
    const kafka = createKafka(config, createLogger('error'));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    const t0 = Date.now();
    const deadline = t0 + (options.deadlineMs ?? 300_000);
    const perRequest = Math.max(1, Math.round(TICKS_PER_SECOND / 20));
    let maxLagMs = 0;
    let failedSends = 0;
    try {
      for (let i = 0; i < load.ticks.length; i += perRequest) {
        const due = t0 + (i * 1000) / TICKS_PER_SECOND;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
        else maxLagMs = Math.max(maxLagMs, -wait);
        const pts = load.ticks.slice(i, i + perRequest).flat();
        const messages = pts.map((p) => ({ key: seriesId(p.source, p.metric), value: encodeEvent('metric', p) }));
        for (;;) {
          try {
            await producer.send({ topic, acks: -1, messages });
            break;
          } catch (err) {
            failedSends++;
            if (Date.now() > deadline) throw new Error(`load: ${produced} of ${load.points.length} points sent before the deadline`, { cause: err });
            await sleep(500);
          }
        }
        produced += pts.length;
      }
      return { produced, maxLagMs, failedSends, elapsedMs: Date.now() - t0 };
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  })();
  return { produced: () => produced, done };
}
