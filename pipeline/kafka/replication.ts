/**
 * Whether the Kafka cluster is degraded though reachable: a broker that hosts replicas of the
 * Vigil topics is missing from the metadata (crashed, fenced by the controller), or partitions
 * are under-replicated (ISR smaller than the replica set). Writes with acks=all still succeed
 * while ISR >= min.insync.replicas, so this is a warning for the operator, not a failure: one
 * more broker lost and producers stop.
 */
import type { Admin } from 'kafkajs';

export interface PartitionReplicas {
  partitionId: number;
  replicas: number[];
  isr: number[];
}

export interface ReplicationState {
  /** Broker ids that hold replicas but are not in the cluster metadata, ascending. */
  missingBrokers: number[];
  /** `topic/partition` whose ISR is smaller than its replica set. */
  underReplicated: string[];
}

/** Pure: the brokers the metadata lists, and each topic's partitions as the metadata describes them. */
export function replicationState(liveBrokers: number[], topics: Array<{ name: string; partitions: PartitionReplicas[] }>): ReplicationState {
  const live = new Set(liveBrokers);
  const missing = new Set<number>();
  const underReplicated: string[] = [];
  for (const t of topics) {
    for (const p of t.partitions) {
      for (const r of p.replicas) if (!live.has(r)) missing.add(r);
      if (p.isr.length < p.replicas.length) underReplicated.push(`${t.name}/${p.partitionId}`);
    }
  }
  return { missingBrokers: [...missing].sort((a, b) => a - b), underReplicated };
}

/** The operator's one line, or null when every replica is in sync on a listed broker. */
export function describeReplication(state: ReplicationState): string | null {
  const parts: string[] = [];
  if (state.missingBrokers.length > 0) parts.push(`broker${state.missingBrokers.length > 1 ? 's' : ''} ${state.missingBrokers.join(', ')} missing from the cluster metadata`);
  if (state.underReplicated.length > 0) {
    const shown = state.underReplicated.slice(0, 3).join(', ');
    parts.push(`${state.underReplicated.length} under-replicated partition${state.underReplicated.length > 1 ? 's' : ''} (${shown}${state.underReplicated.length > 3 ? ', …' : ''})`);
  }
  if (parts.length === 0) return null;
  return `Kafka cluster degraded: ${parts.join('; ')}; writes continue while in-sync replicas >= kafka.minInsyncReplicas: restart the missing broker`;
}

/** Reads the metadata of `topics` through `admin` and describes it (null = healthy). Throws when Kafka does not answer. */
export async function checkReplication(admin: Pick<Admin, 'describeCluster' | 'fetchTopicMetadata'>, topics: string[]): Promise<string | null> {
  const [cluster, metadata] = await Promise.all([admin.describeCluster(), admin.fetchTopicMetadata({ topics })]);
  return describeReplication(replicationState(cluster.brokers.map((b) => b.nodeId), metadata.topics));
}
