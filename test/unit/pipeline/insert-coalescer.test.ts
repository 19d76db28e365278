import { describe, expect, it } from 'vitest';
import { InsertCoalescer } from '../../../pipeline/storage/insert-coalescer.ts';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('InsertCoalescer (group commit per table)', () => {
  it('sends the first write at once and the writes that arrive meanwhile as one insert', async () => {
    const sends: string[][] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    const c = new InsertCoalescer<string>({
      maxRows: 100,
      send: (chunks) => {
        sends.push(chunks);
        const g = deferred();
        gates.push(g);
        return g.promise;
      },
    });
    const a = c.write('a', 1);
    expect(sends).toEqual([['a']]); // no timer: out before anything else runs
    const b = c.write('b', 1);
    const d = c.write('d', 1);
    gates[0].resolve();
    await a;
    await Promise.resolve();
    expect(sends).toEqual([['a'], ['b', 'd']]);
    gates[1].resolve();
    await Promise.all([b, d]);
    expect(c.stats).toEqual({ inserts: 2, chunks: 3 });
  });

  it('a failed combined insert fails every caller in it, and the next ones go on', async () => {
    let n = 0;
    const gate = deferred();
    const c = new InsertCoalescer<string>({
      maxRows: 100,
      send: async (chunks) => {
        n++;
        if (n === 1) return gate.promise;
        if (chunks.includes('bad')) throw new Error('refused');
      },
    });
    const first = c.write('a', 1);
    const x = c.write('bad', 1);
    const y = c.write('ok', 1);
    gate.resolve();
    await first;
    await expect(x).rejects.toThrow('refused');
    await expect(y).rejects.toThrow('refused');
    await expect(c.write('later', 1)).resolves.toBeUndefined();
  });

  it('never splits a chunk, and caps a combined insert at maxRows', async () => {
    const sends: number[][] = [];
    const gate = deferred();
    let first = true;
    const c = new InsertCoalescer<number>({
      maxRows: 10,
      send: async (chunks) => {
        sends.push(chunks);
        if (first) {
          first = false;
          await gate.promise;
        }
      },
    });
    const all = [c.write(1, 1), c.write(6, 6), c.write(4, 4), c.write(50, 50), c.write(2, 2)];
    gate.resolve();
    await Promise.all(all);
    expect(sends).toEqual([[1], [6, 4], [50], [2]]);
  });

  it('an empty write sends nothing', async () => {
    let sent = 0;
    const c = new InsertCoalescer<string>({ maxRows: 10, send: async () => void sent++ });
    await c.write('', 0);
    expect(sent).toBe(0);
  });
});
