/**
 * The scoring worker pool: Piscina threads running score-batch.ts. One task per partition batch;
 * the input typed arrays are transferred (the caller's copies become detached), the series
 * states are SharedArrayBuffers and are shared, and the result arrays come back by transfer.
 *
 * The task module is TypeScript, so every worker thread loads tsx first. That works the same
 * under `node --import tsx` and under vitest (whose own transform does not reach worker threads).
 */
import { Piscina } from 'piscina';
import type { Logger } from '../core/logger.ts';
import { VigilError } from '../core/errors.ts';
import type { ScoreResult, ScoreTask } from './score-batch.ts';
import type { TimedTask } from './timed-task.ts';

export interface ScoringPoolOptions {
  threads: number;
  logger: Logger;
  /**
   * Tasks allowed to wait for a thread before run() rejects. Default unbounded: the pipeline
   * already bounds in-flight work (one batch per partition lane), and Piscina's 'auto'
   * (threads²) would reject a 12-partition instance running 1–2 threads.
   */
  maxQueue?: number;
  /**
   * A task running longer is aborted: Piscina terminates its worker thread (a hung task cannot be
   * stopped otherwise) and starts a new one. Default none. The clock starts when the thread
   * starts the task (timed-task.ts flags it), not while the task waits for a thread nor while a
   * new thread loads its module: a hung task must not time out the tasks queued behind it (under
   * load they are other partitions' healthy batches, and after scoreAttempts they would be
   * dead-lettered with it), nor a replacement thread's start-up its first task.
   */
  taskTimeoutMs?: number;
  /** Task module (default score-batch.ts); tests wrap it to crash or hang a worker on purpose. */
  filename?: string;
}

export interface ScoringPoolStats {
  threads: number;
  queued: number;
  completed: number;
  /** Share of the pool's time spent running tasks since start, [0, 1]. */
  utilization: number;
  /** Seconds tasks spent waiting for a thread, summed since start (a lane's share of a busy pool). */
  waitSeconds: number;
  /** Seconds from hand-over to result, summed since start (the round trip: messaging, run, transfer back). */
  runSeconds: number;
}

export interface ScoringPool {
  run(task: ScoreTask): Promise<ScoreResult>;
  stats(): ScoringPoolStats;
  close(): Promise<void>;
}

export const SCORE_TASK_MODULE = new URL('./score-batch.ts', import.meta.url).href;
const TIMED_TASK_MODULE = new URL('./timed-task.ts', import.meta.url).href;
/** A thread that has not started a handed-over task by then is taken for hung in its start-up. */
const START_LIMIT_MS = 60_000;

// ES2024 (Node 16+); the project's lib is ES2022.
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, index: number, value: number, timeoutMs: number): WaitAsyncResult }).waitAsync;

/**
 * Aborts `ac` `timeoutMs` after the worker flags the task as started (or START_LIMIT_MS after
 * the hand-over if it never does); `done()` stops the clock.
 */
function runClock(started: Int32Array, timeoutMs: number, ac: AbortController): { done(): void } {
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  const wait = waitAsync(started, 0, 0, START_LIMIT_MS);
  const onStart = (outcome: string) => {
    if (finished) return;
    if (outcome === 'timed-out') ac.abort(new Error(`the scoring thread did not start the task within ${START_LIMIT_MS} ms`));
    else timer = setTimeout(() => ac.abort(new Error(`timeout ${timeoutMs} ms`)), timeoutMs);
  };
  if (wait.async) void wait.value.then(onStart);
  else onStart(wait.value);
  return {
    done() {
      finished = true;
      clearTimeout(timer);
      // Wakes the pending waitAsync so it does not outlive the task.
      Atomics.notify(started, 0);
    },
  };
}

/**
 * Buffers that can be moved without collateral damage: a typed array that owns its whole,
 * non-shared ArrayBuffer. A view into a larger buffer (e.g. Node's pooled Buffer slab) would
 * detach its neighbours too, so those are copied instead.
 */
export function transferListFor(task: ScoreTask): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const arr of [task.series, task.values, task.timestamps]) {
    const buf = arr.buffer;
    if (!(buf instanceof ArrayBuffer)) continue;
    if (arr.byteOffset !== 0 || arr.byteLength !== buf.byteLength) continue;
    if (list.includes(buf)) continue;
    list.push(buf);
  }
  return list;
}

export function createScoringPool(options: ScoringPoolOptions): ScoringPool {
  const threads = Math.max(1, Math.floor(options.threads));
  const logger = options.logger.child({ component: 'scoring-pool' });
  const piscina = new Piscina({
    filename: TIMED_TASK_MODULE,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
    // `node --cpu-prof` reaches a worker thread only through its own execArgv: pass it on, so a
    // profile of the pipeline includes the scoring thread (a .cpuprofile per thread).
    execArgv: ['--import', 'tsx', ...process.execArgv.filter((a) => a.startsWith('--cpu-prof'))],
  });
  const taskModule = options.filename ?? SCORE_TASK_MODULE;
  const maxQueue = options.maxQueue ?? Infinity;
  // At most `threads` tasks are in Piscina at once, so its queue stays empty and a task's
  // timeout covers its run only; the others wait here, in order.
  let running = 0;
  const waiting: Array<() => void> = [];
  const acquire = async () => {
    if (running < threads) {
      running++;
      return;
    }
    if (waiting.length >= maxQueue) {
      throw new VigilError(`scoring pool queue is full (${maxQueue} tasks waiting for ${threads} threads)`, {
        code: 'SCORE_QUEUE_FULL',
        action: 'raise pipeline.workerThreads or lower the partitions this instance consumes at once',
      });
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  // A finished task hands its slot to the next waiting one (running stays the same) or frees it.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  let closed = false;
  let waitSeconds = 0;
  let runSeconds = 0;
  piscina.on('error', (err: unknown) => logger.error({ err }, 'scoring worker failed'));
  logger.info({ threads, module: taskModule, taskTimeoutMs: options.taskTimeoutMs }, 'scoring pool started');

  return {
    async run(task: ScoreTask): Promise<ScoreResult> {
      if (closed) throw new VigilError('scoring pool is closed', { action: 'create a new pool; close() is final' });
      const queuedAt = performance.now();
      await acquire();
      const handedAt = performance.now();
      waitSeconds += (handedAt - queuedAt) / 1000;
      const started = new Int32Array(new SharedArrayBuffer(4));
      const ac = new AbortController();
      const clock = options.taskTimeoutMs ? runClock(started, options.taskTimeoutMs, ac) : undefined;
      try {
        const timed: TimedTask = { module: taskModule, started, task };
        return (await piscina.run(timed, { transferList: transferListFor(task), signal: clock ? ac.signal : undefined })) as ScoreResult;
      } catch (cause) {
        if (cause instanceof VigilError) throw cause;
        if ((cause as Error)?.name === 'AbortError') {
          throw new VigilError(`scoring task did not finish within ${options.taskTimeoutMs} ms: its worker thread was terminated and replaced`, {
            cause,
            code: 'SCORE_TASK_TIMEOUT',
            action: 'the batch is retried a bounded number of times (pipeline.scoreAttempts), then dead-lettered; raise pipeline.scoreTimeoutMs if batches are just slow',
          });
        }
        const err = cause as Error & { code?: string; action?: string };
        // a VigilError thrown in the worker arrives as a plain Error with its message intact
        throw new VigilError(`scoring task failed: ${err?.message ?? String(cause)}`, {
          cause,
          code: err?.code ?? 'SCORE_TASK_FAILED',
          action: 'see the cause; a bad task is rejected before any series state changes',
        });
      } finally {
        runSeconds += (performance.now() - handedAt) / 1000;
        clock?.done();
        release();
      }
    },
    stats(): ScoringPoolStats {
      return { threads, queued: waiting.length + piscina.queueSize, completed: piscina.completed, utilization: piscina.utilization, waitSeconds, runSeconds };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await piscina.close();
      logger.info({ completed: piscina.completed }, 'scoring pool closed');
    },
  };
}
