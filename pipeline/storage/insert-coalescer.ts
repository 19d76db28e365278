/**
 * Group commit for one table's INSERTs. The pipeline runs a lane per owned partition at once,
 * each inserting its own batch: a dozen small INSERTs that ClickHouse 18.16 handles one part (and
 * one pass of every materialized view) at a time, through a client pool of ten sockets shared
 * with the derived tables and the state snapshots. Here the first write goes out at once; the
 * writes that arrive while it is in flight wait for it and then leave together as ONE insert.
 * Nothing waits for a timer, so an idle pipeline pays no latency, and a busy one makes as many
 * inserts as ClickHouse can finish rather than as many as there are lanes.
 *
 * A caller's chunk is never split: it is in exactly one INSERT, so what was atomic for it alone
 * (one partition's points, a stored-offset prefix) stays atomic. Every caller of a combined
 * insert gets its outcome; a failure fails them all, and each retries on its own (a retried
 * points insert first asks ClickHouse what it already holds, as before).
 */
export interface CoalescerOptions<C> {
  /** Sends the chunks as one insert. */
  send(chunks: C[]): Promise<void>;
  /** Rows per combined insert; a single chunk larger than this still goes alone (never split). */
  maxRows: number;
}

interface Waiting<C> {
  chunk: C;
  rows: number;
  resolve(): void;
  reject(err: unknown): void;
}

export class InsertCoalescer<C> {
  private readonly queue: Waiting<C>[] = [];
  private draining = false;
  /** Inserts sent and chunks they carried (for tests and the bench). */
  readonly stats = { inserts: 0, chunks: 0 };

  constructor(private readonly opts: CoalescerOptions<C>) {}

  write(chunk: C, rows: number): Promise<void> {
    if (rows === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ chunk, rows, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const take: Waiting<C>[] = [];
        let rows = 0;
        while (this.queue.length > 0 && (take.length === 0 || rows + this.queue[0].rows <= this.opts.maxRows)) {
          const next = this.queue.shift()!;
          take.push(next);
          rows += next.rows;
        }
        this.stats.inserts++;
        this.stats.chunks += take.length;
        try {
          await this.opts.send(take.map((w) => w.chunk));
          for (const w of take) w.resolve();
        } catch (err) {
          for (const w of take) w.reject(err);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
