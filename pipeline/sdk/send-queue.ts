/**
 * The producer SDK's send queue: the points of every send() call wait here in call order and go
 * out as Kafka requests of at most `maxBatchPoints` points and `maxBatchBytes` bytes, one request
 * at a time.
 *
 * Why one at a time: kafkajs 2.2.4's idempotent producer holds a lock per broker around each
 * produce request (sequence numbers), so concurrent sends only queue inside kafkajs, each as a
 * request of its own. Queueing here instead turns the points that arrive while a request is in
 * flight into the next, larger request (a group commit), and `lingerMs` lets an idle producer
 * wait a moment for more before it sends.
 *
 * Delivery contract (kept from the one-request-per-chunk SDK): a call's promise resolves when all
 * its points were acknowledged (acks = all). When a request fails (after kafkajs's retries), every
 * call with points in it is rejected with PointsNotDeliveredError; its points still queued are
 * dropped, so what a failed call delivered is always its first `delivered` points, in order.
 * Calls with no point in the failed request go on.
 */
import { VigilError } from '../../core/errors.ts';

export interface QueuedMessage {
  key: Buffer;
  value: Buffer;
}

export interface SendQueueOptions {
  maxBatchPoints: number;
  maxBatchBytes: number;
  lingerMs: number;
  /** Sends one request; resolves when Kafka acknowledged all of it. */
  send(messages: QueuedMessage[]): Promise<void>;
  /** What the error messages call the destination, e.g. the topic. */
  destination: string;
}

/** A send() call whose points were not all delivered: the first `delivered` of `total` were. */
export class PointsNotDeliveredError extends VigilError {
  readonly delivered: number;
  readonly total: number;
  constructor(delivered: number, total: number, destination: string, cause: unknown) {
    super(`sending metric points to ${destination} failed: ${delivered} of ${total} points of this call were acknowledged (the first ${delivered}, in order)`, {
      cause,
      code: 'send-failed',
      action: `check Kafka health, then resend this call's points from index ${delivered}`,
    });
    this.name = 'PointsNotDeliveredError';
    this.delivered = delivered;
    this.total = total;
  }
}

interface Entry {
  messages: QueuedMessage[];
  /** Index of the first message not yet put in a request. */
  next: number;
  acked: number;
  settled: boolean;
  enqueuedAt: number;
  resolve(): void;
  reject(err: Error): void;
}

export const messageBytes = (m: QueuedMessage): number => m.key.length + m.value.length;

export class SendQueue {
  private readonly entries: Entry[] = [];
  /** Index in `entries` of the first entry with unsent messages. */
  private head = 0;
  private unsentPoints = 0;
  private unsentBytes = 0;
  private pumping = false;
  private wake: (() => void) | null = null;
  private drainWaiters: Array<() => void> = [];

  constructor(private readonly options: SendQueueOptions) {}

  /** Points waiting or in flight. */
  get pending(): number {
    let n = 0;
    for (const e of this.entries) n += e.messages.length - e.acked;
    return n;
  }

  enqueue(messages: QueuedMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.entries.push({ messages, next: 0, acked: 0, settled: false, enqueuedAt: performance.now(), resolve, reject });
      this.unsentPoints += messages.length;
      for (const m of messages) this.unsentBytes += messageBytes(m);
      if (this.full()) this.wake?.();
      if (!this.pumping) void this.pump();
    });
  }

  /** Resolves once nothing is queued or in flight (every call settled). */
  drain(): Promise<void> {
    if (!this.pumping && this.entries.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private full(): boolean {
    return this.unsentPoints >= this.options.maxBatchPoints || this.unsentBytes >= this.options.maxBatchBytes;
  }

  /** Waits until the oldest unsent point is lingerMs old or a full request is queued. */
  private linger(): Promise<void> {
    const oldest = this.entries[this.head];
    const waitMs = oldest.enqueuedAt + this.options.lingerMs - performance.now();
    if (waitMs <= 0 || this.full()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, waitMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  /** The next request: messages in call order up to the point and byte limits (at least one). */
  private take(): { batch: QueuedMessage[]; segments: Array<{ entry: Entry; count: number }> } {
    const { maxBatchPoints, maxBatchBytes } = this.options;
    const batch: QueuedMessage[] = [];
    const segments: Array<{ entry: Entry; count: number }> = [];
    let bytes = 0;
    for (let i = this.head; i < this.entries.length && batch.length < maxBatchPoints; i++) {
      const entry = this.entries[i];
      const start = entry.next;
      while (entry.next < entry.messages.length && batch.length < maxBatchPoints) {
        const m = entry.messages[entry.next];
        const size = messageBytes(m);
        if (batch.length > 0 && bytes + size > maxBatchBytes) break;
        batch.push(m);
        bytes += size;
        entry.next += 1;
      }
      if (entry.next > start) segments.push({ entry, count: entry.next - start });
      if (entry.next < entry.messages.length) break;
      this.head = i + 1;
    }
    this.unsentPoints -= batch.length;
    this.unsentBytes -= bytes;
    return { batch, segments };
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.unsentPoints > 0) {
        if (this.options.lingerMs > 0) await this.linger();
        const { batch, segments } = this.take();
        try {
          await this.options.send(batch);
          for (const { entry, count } of segments) {
            entry.acked += count;
            if (entry.acked === entry.messages.length) {
              entry.settled = true;
              entry.resolve();
            }
          }
        } catch (cause) {
          for (const { entry } of segments) this.fail(entry, cause);
        }
        this.dropSettled();
      }
    } finally {
      this.pumping = false;
      if (this.entries.length === 0) for (const w of this.drainWaiters.splice(0)) w();
    }
  }

  private fail(entry: Entry, cause: unknown): void {
    for (let i = entry.next; i < entry.messages.length; i++) this.unsentBytes -= messageBytes(entry.messages[i]);
    this.unsentPoints -= entry.messages.length - entry.next;
    entry.next = entry.messages.length;
    entry.settled = true;
    entry.reject(new PointsNotDeliveredError(entry.acked, entry.messages.length, this.options.destination, cause));
  }

  /** Settled entries are a prefix: requests go out and come back in call order. */
  private dropSettled(): void {
    let n = 0;
    while (n < this.entries.length && this.entries[n].settled) n += 1;
    if (n === 0) return;
    this.entries.splice(0, n);
    this.head = Math.max(0, this.head - n);
    // A failed call's unsent points were dropped; skip past any entry left with nothing to send.
    while (this.head < this.entries.length && this.entries[this.head].next === this.entries[this.head].messages.length) this.head += 1;
  }
}
