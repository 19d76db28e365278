/** Offset reads and timeouts shared by every follower of a Kafka topic (API, pipeline, incidents, tests). */
import type { Kafka } from 'kafkajs';

/** Errors a moment after topic creation or a leader move: asking again shortly succeeds. */
function isTransient(err: unknown): boolean {
  const e = err as { retriable?: boolean; type?: string; cause?: unknown } | null;
  if (!e) return false;
  if (e.retriable === true) return true;
  if (['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION'].includes(e.type ?? '')) return true;
  return e.cause !== undefined && e.cause !== err && isTransient(e.cause);
}

/** High watermark (next offset to be written) of every partition of `topic`. */
export async function endOffsets(kafka: Kafka, topic: string, attempts = 10): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        return new Map(offsets.map((o) => [o.partition, BigInt(o.high)] as const));
      } catch (err) {
        if (attempt >= attempts || !isTransient(err)) throw err;
        await new Promise((r) => setTimeout(r, 300 * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** Resolves with the first of `promise` and a timeout (value `onTimeout`), clearing the timer. */
export function withTimeout<T, U>(promise: Promise<T>, ms: number, onTimeout: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<U>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
