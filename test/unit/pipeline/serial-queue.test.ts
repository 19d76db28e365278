import { describe, expect, it } from 'vitest';
import { SerialQueue } from '../../../pipeline/runtime/serial-queue.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('SerialQueue', () => {
  it('runs tasks of one key one at a time in order, other keys concurrently', async () => {
    const q = new SerialQueue<number>();
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const task = (name: string) => async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running--;
    };
    await Promise.all([q.run(1, task('a')), q.run(1, task('b')), q.run(2, task('c'))]);
    expect(log.indexOf('end a')).toBeLessThan(log.indexOf('start b'));
    expect(maxRunning).toBe(2); // key 2 ran beside key 1
  });

  it('keeps going after a failed task and reports the failure to its caller', async () => {
    const q = new SerialQueue<string>();
    const failed = q.run('p', async () => {
      throw new Error('boom');
    });
    const next = q.run('p', async () => 42);
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe(42);
  });

  it('drain waits for queued work', async () => {
    const q = new SerialQueue<number>();
    let done = false;
    void q.run(0, async () => {
      await tick();
      done = true;
    });
    await q.drain(0);
    expect(done).toBe(true);
  });
});
