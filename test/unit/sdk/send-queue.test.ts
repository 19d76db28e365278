import { describe, expect, it } from 'vitest';
import { PointsNotDeliveredError, SendQueue, type QueuedMessage } from '../../../pipeline/sdk/send-queue.ts';

const msg = (i: number, valueBytes = 10): QueuedMessage => ({ key: Buffer.from(`k${i % 4}`), value: Buffer.alloc(valueBytes, i % 256) });
const ids = (batch: QueuedMessage[]) => batch.map((m) => m.value[0]);
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** A send whose requests the test acknowledges or fails one by one. */
function manualSend() {
  const requests: Array<{ batch: QueuedMessage[]; ack(): void; fail(e: Error): void }> = [];
  return {
    requests,
    send: (batch: QueuedMessage[]) =>
      new Promise<void>((resolve, reject) => {
        requests.push({ batch, ack: resolve, fail: reject });
      }),
  };
}

describe('SendQueue', () => {
  it('sends the first call at once and everything that queued meanwhile as the next request, in call order', async () => {
    const m = manualSend();
    const q = new SendQueue({ maxBatchPoints: 100, maxBatchBytes: 1 << 20, lingerMs: 0, destination: 't', send: m.send });
    const a = q.enqueue([msg(1)]);
    await tick();
    expect(m.requests).toHaveLength(1);
    const b = q.enqueue([msg(2), msg(3)]);
    const c = q.enqueue([msg(4)]);
    await tick();
    expect(m.requests).toHaveLength(1); // one request at a time
    m.requests[0].ack();
    await a;
    await tick();
    expect(m.requests).toHaveLength(2);
    expect(ids(m.requests[1].batch)).toEqual([2, 3, 4]);
    m.requests[1].ack();
    await Promise.all([b, c]);
    expect(q.pending).toBe(0);
  });

  it('splits by points and by bytes, never sending an empty request', async () => {
    const m = manualSend();
    const q = new SendQueue({ maxBatchPoints: 3, maxBatchBytes: 4096, lingerMs: 0, destination: 't', send: m.send });
    const done = q.enqueue(Array.from({ length: 7 }, (_, i) => msg(i)));
    // One message larger than maxBatchBytes still goes, alone.
    const big = q.enqueue([msg(9, 5000), msg(10)]);
    for (let i = 0; i < 10; i++) {
      await tick();
      m.requests.at(-1)?.ack();
    }
    await Promise.all([done, big]);
    expect(m.requests.map((r) => ids(r.batch))).toEqual([[0, 1, 2], [3, 4, 5], [6], [9], [10]]);
  });

  it('lingerMs holds a request that is not full for more points, and a full one not at all', async () => {
    const m = manualSend();
    const q = new SendQueue({ maxBatchPoints: 4, maxBatchBytes: 1 << 20, lingerMs: 150, destination: 't', send: m.send });
    const a = q.enqueue([msg(1)]);
    await tick(20);
    const b = q.enqueue([msg(2)]);
    await tick(20);
    expect(m.requests).toHaveLength(0);
    await tick(200);
    expect(m.requests.map((r) => ids(r.batch))).toEqual([[1, 2]]);
    m.requests[0].ack();
    await Promise.all([a, b]);
    // Four points fill a request: no wait.
    const c = q.enqueue([msg(3), msg(4)]);
    const d = q.enqueue([msg(5), msg(6)]);
    await tick(10);
    expect(m.requests).toHaveLength(2);
    expect(ids(m.requests[1].batch)).toEqual([3, 4, 5, 6]);
    m.requests[1].ack();
    await Promise.all([c, d]);
  });

  it('a failed request rejects the calls in it with their delivered prefix, drops their queued points, and the others go on', async () => {
    const m = manualSend();
    const q = new SendQueue({ maxBatchPoints: 2, maxBatchBytes: 1 << 20, lingerMs: 0, destination: 'x.metrics', send: m.send });
    const a = q.enqueue([msg(0), msg(1), msg(2), msg(3), msg(4)]); // requests [0,1] [2,3] [4,...]
    const aResult = a.catch((e: unknown) => e);
    await tick();
    m.requests[0].ack();
    await tick();
    const b = q.enqueue([msg(5)]);
    m.requests[1].fail(new Error('NOT_ENOUGH_REPLICAS'));
    const err = (await aResult) as PointsNotDeliveredError;
    expect(err).toBeInstanceOf(PointsNotDeliveredError);
    expect(err).toMatchObject({ delivered: 2, total: 5, code: 'send-failed' });
    expect(err.message).toMatch(/x\.metrics failed: 2 of 5 points of this call were acknowledged/);
    expect((err.cause as Error).message).toBe('NOT_ENOUGH_REPLICAS');
    await tick();
    // a's point 4 is never sent; b is.
    expect(m.requests.map((r) => ids(r.batch))).toEqual([[0, 1], [2, 3], [5]]);
    m.requests[2].ack();
    await b;
    await q.drain();
    expect(q.pending).toBe(0);
  });

  it('drain resolves only after the in-flight request settled', async () => {
    const m = manualSend();
    const q = new SendQueue({ maxBatchPoints: 10, maxBatchBytes: 1 << 20, lingerMs: 0, destination: 't', send: m.send });
    await q.drain();
    const a = q.enqueue([msg(1)]);
    let drained = false;
    const d = q.drain().then(() => (drained = true));
    await tick(20);
    expect(drained).toBe(false);
    m.requests[0].ack();
    await Promise.all([a, d]);
    expect(drained).toBe(true);
  });
});
