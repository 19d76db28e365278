/**
 * The module every scoring thread runs (Piscina's `filename`): loads the task module the pool was
 * given (score-batch.ts, or a test's faulty wrapper), then flags the task as started and runs it.
 * The flag lets the pool time a task's run only: a thread's start-up (tsx, the module and its
 * imports: seconds on a busy machine, again after every replacement) is not the task's fault.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ScoreTask } from './score-batch.ts';

export interface TimedTask {
  /** URL or absolute path of the task module; its default export takes the task. */
  module: string;
  /** Set to 1 (and notified) when the task starts running. */
  started: Int32Array;
  task: ScoreTask;
}

type TaskModule = { default: (task: ScoreTask) => unknown };
// require, not import(): in a worker thread tsx's hooks reach require (how Piscina loaded this
// file) but not a dynamic import of a .ts file on Node 20.
const requireModule = createRequire(import.meta.url);
const loaded = new Map<string, TaskModule>();

export default function timedTask({ module, started, task }: TimedTask): unknown {
  let mod = loaded.get(module);
  if (!mod) {
    mod = requireModule(module.startsWith('file:') ? fileURLToPath(module) : module) as TaskModule;
    loaded.set(module, mod);
  }
  const run = mod.default;
  Atomics.store(started, 0, 1);
  Atomics.notify(started, 0);
  return run(task);
}
