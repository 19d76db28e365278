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
   * stopped otherwise) and starts a new one. Default none.
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
}

export interface ScoringPool {
  run(task: ScoreTask): Promise<ScoreResult>;
  stats(): ScoringPoolStats;
  close(): Promise<void>;
}

export const SCORE_TASK_MODULE = new URL('./score-batch.ts', import.meta.url).href;

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
    filename: options.filename ?? SCORE_TASK_MODULE,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
    maxQueue: options.maxQueue ?? Infinity,
    execArgv: ['--import', 'tsx'],
  });
  let closed = false;
  piscina.on('error', (err: unknown) => logger.error({ err }, 'scoring worker failed'));
  logger.info({ threads, module: options.filename ?? SCORE_TASK_MODULE, taskTimeoutMs: options.taskTimeoutMs }, 'scoring pool started');

  return {
    async run(task: ScoreTask): Promise<ScoreResult> {
      if (closed) throw new VigilError('scoring pool is closed', { action: 'create a new pool; close() is final' });
      try {
        const signal = options.taskTimeoutMs ? AbortSignal.timeout(options.taskTimeoutMs) : undefined;
        return (await piscina.run(task, { transferList: transferListFor(task), signal })) as ScoreResult;
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
      }
    },
    stats(): ScoringPoolStats {
      return { threads, queued: piscina.queueSize, completed: piscina.completed, utilization: piscina.utilization };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await piscina.close();
      logger.info({ completed: piscina.completed }, 'scoring pool closed');
    },
  };
}
