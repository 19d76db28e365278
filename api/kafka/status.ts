/** Kafka reachability and consumer-group state/lag, through one long-lived admin client. */
import type { Admin, Kafka } from 'kafkajs';
import type { ConsumerStatus } from '../../schemas/http/status.ts';
import { checkReplication } from '../../pipeline/kafka/replication.ts';
import type { KafkaStatus } from '../deps.ts';

export interface KafkaAdminStatus extends KafkaStatus {
  close(): Promise<void>;
}

/** `replicated`: the topics whose replicas the ping checks (a broker missing, partitions under-replicated). */
export async function startKafkaStatus(kafka: Kafka, replicated: string[] = []): Promise<KafkaAdminStatus> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  return {
    async ping() {
      const [cluster, degraded] = await Promise.all([admin.describeCluster(), replicated.length > 0 ? checkReplication(admin, replicated) : null]);
      return degraded ? { brokers: cluster.brokers.length, degraded } : { brokers: cluster.brokers.length };
    },
    async consumerGroup(groupId: string, topic: string): Promise<ConsumerStatus> {
      const [described, committed, ends] = await Promise.all([
        admin.describeGroups([groupId]),
        admin.fetchOffsets({ groupId, topics: [topic] }),
        admin.fetchTopicOffsets(topic),
      ]);
      const group = described.groups[0];
      const committedByPartition = new Map<number, bigint>();
      for (const t of committed) for (const p of t.partitions) committedByPartition.set(p.partition, BigInt(p.offset));
      let lag = 0n;
      for (const end of ends) {
        const high = BigInt(end.high);
        const done = committedByPartition.get(end.partition) ?? -1n;
        // No commit yet: everything still in the log is unprocessed.
        lag += done < 0n ? high - BigInt(end.low) : high > done ? high - done : 0n;
      }
      return {
        groupId,
        state: group?.state ?? 'Unknown',
        members: group?.members.length ?? 0,
        lag: Number(lag),
      };
    },
    close: () => admin.disconnect(),
  };
}
