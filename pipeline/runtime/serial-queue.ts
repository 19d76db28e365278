/**
 * Runs tasks one at a time per key. A partition's metrics batches, its operator commands and
 * its no-data checks all mutate the same series state, so they take turns — the same reason
 * Kafka Streams runs one stream task per partition on one thread.
 */
export class SerialQueue<K> {
  private readonly tails = new Map<K, Promise<unknown>>();

  run<T>(key: K, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(task, task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves when everything queued for key so far has finished. */
  async drain(key: K): Promise<void> {
    await (this.tails.get(key) ?? Promise.resolve());
  }
}
