/** The consumers of the incident stage: read_committed (only committed transactions), no topic auto-creation. */
import type { Consumer, Kafka } from 'kafkajs';

export function committedReader(kafka: Kafka, groupId: string, maxWaitTimeInMs = 200): Consumer {
  return kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    readUncommitted: false,
    sessionTimeout: 30_000,
    heartbeatInterval: 3000,
    maxWaitTimeInMs,
  });
}
