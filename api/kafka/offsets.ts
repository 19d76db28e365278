/** Helpers shared by the API's followers of the config and command-results topics. */
import type { Kafka } from 'kafkajs';

/** High watermark (next offset to be written) of every partition of `topic`. */
export async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)] as const));
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
