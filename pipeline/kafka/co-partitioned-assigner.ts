/**
 * Kafka group assigner that gives partition p of EVERY subscribed topic to the same member.
 *
 * Operator commands travel on a topic co-partitioned with the metrics (same partition count,
 * same key), so the member that owns series S's metrics partition also receives S's commands:
 * one writer per alert, no cross-instance coordination. Partitions are dealt round-robin over
 * sorted member ids, which keeps the assignment deterministic for a given membership.
 */
import kafkajs from 'kafkajs';
import type { PartitionAssigner } from 'kafkajs';

const { AssignerProtocol } = kafkajs;

/** Pure part: partition numbers → member ids. Exported for unit tests. */
export function assignCoPartitioned(
  memberIds: string[],
  partitionsByTopic: Record<string, number[]>,
): Record<string, Record<string, number[]>> {
  const members = [...memberIds].sort();
  const result: Record<string, Record<string, number[]>> = Object.create(null);
  if (members.length === 0) return result;
  const allPartitions = [...new Set(Object.values(partitionsByTopic).flat())].sort((a, b) => a - b);
  allPartitions.forEach((partition, i) => {
    const member = members[i % members.length];
    result[member] ??= Object.create(null);
    for (const [topic, partitions] of Object.entries(partitionsByTopic)) {
      if (!partitions.includes(partition)) continue;
      (result[member][topic] ??= []).push(partition);
    }
  });
  return result;
}

export const CoPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'VigilCoPartitioned',
  version: 1,
  async assign({ members, topics }) {
    const partitionsByTopic: Record<string, number[]> = {};
    for (const topic of topics) {
      partitionsByTopic[topic] = cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId);
    }
    const assignment = assignCoPartitioned(
      members.map((m) => m.memberId),
      partitionsByTopic,
    );
    return members.map(({ memberId }) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment: assignment[memberId] ?? {},
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: 'VigilCoPartitioned',
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    };
  },
});
