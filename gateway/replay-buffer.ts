/**
 * Event ids and the bounded replay ring (pure).
 *
 * An event id is `<gatewayId>.<seq>`: gatewayId is random per gateway process, seq counts
 * from 1 in the order this gateway published. Position `<gatewayId>.0` means "before the first
 * event". Sequence numbers only mean something to the process that issued them, so an id from
 * another instance (or an earlier run) is a gap, never a position to resume from.
 */

export const GATEWAY_ID_PATTERN = /^[a-z0-9]{6,32}$/;
const EVENT_ID_PATTERN = /^([a-z0-9]{6,32})\.(0|[1-9][0-9]{0,15})$/;

export function formatEventId(gatewayId: string, seq: number): string {
  return `${gatewayId}.${seq}`;
}

export function parseEventId(id: string): { gatewayId: string; seq: number } | null {
  const m = EVENT_ID_PATTERN.exec(id);
  if (!m) return null;
  const seq = Number(m[2]);
  if (!Number.isSafeInteger(seq)) return null;
  return { gatewayId: m[1], seq };
}

/** Fixed-capacity ring of the most recent events; seq numbers are contiguous. */
export class ReplayBuffer<T> {
  private readonly slots: Array<T | undefined>;
  private latest = 0; // seq of the newest event, 0 before any

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be a non-negative integer, got ${capacity}`);
    this.slots = new Array<T | undefined>(capacity);
  }

  /** Stores the item under the next seq and returns that seq; the oldest falls out when full. */
  append(item: T): number {
    this.latest += 1;
    if (this.capacity > 0) this.slots[this.latest % this.capacity] = item;
    return this.latest;
  }

  get latestSeq(): number {
    return this.latest;
  }

  /** Seq of the oldest event still held (latestSeq + 1 when empty). */
  get oldestSeq(): number {
    return Math.max(1, this.latest - this.capacity + 1);
  }

  get size(): number {
    return this.latest - this.oldestSeq + 1;
  }

  /** The item stored under seq, or undefined when evicted / not yet issued. */
  get(seq: number): T | undefined {
    if (!Number.isInteger(seq) || seq < this.oldestSeq || seq > this.latest) return undefined;
    return this.slots[seq % this.capacity];
  }

  /** Can every event after `afterSeq` still be replayed? */
  covers(afterSeq: number): boolean {
    return afterSeq >= this.oldestSeq - 1 && afterSeq <= this.latest;
  }
}

export type ResumePlan =
  | { kind: 'replay'; afterSeq: number }
  | { kind: 'gap'; reason: 'other-instance' | 'evicted' | 'unknown-position'; requested: string }
  | { kind: 'invalid'; requested: string };

/** Decide what a client resuming from `lastEventId` gets. */
export function planResume(lastEventId: string, gatewayId: string, buffer: Pick<ReplayBuffer<unknown>, 'covers' | 'latestSeq' | 'oldestSeq'>): ResumePlan {
  const parsed = parseEventId(lastEventId);
  if (!parsed) return { kind: 'invalid', requested: lastEventId.slice(0, 80) };
  if (parsed.gatewayId !== gatewayId) return { kind: 'gap', reason: 'other-instance', requested: lastEventId };
  if (parsed.seq > buffer.latestSeq) return { kind: 'gap', reason: 'unknown-position', requested: lastEventId };
  if (!buffer.covers(parsed.seq)) return { kind: 'gap', reason: 'evicted', requested: lastEventId };
  return { kind: 'replay', afterSeq: parsed.seq };
}
