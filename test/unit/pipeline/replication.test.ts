/** pipeline/kafka/replication.ts: a degraded cluster is named; a healthy or single-broker one is not. */
import { describe, expect, it } from 'vitest';
import { checkReplication, describeReplication, replicationState } from '../../../pipeline/kafka/replication.ts';

const p = (partitionId: number, replicas: number[], isr: number[]) => ({ partitionId, replicas, isr });

describe('replicationState / describeReplication', () => {
  it('a healthy three-broker cluster and a single broker are not degraded', () => {
    expect(describeReplication(replicationState([1, 2, 3], [{ name: 'm', partitions: [p(0, [1, 2, 3], [2, 3, 1]), p(1, [2, 3, 1], [2, 3, 1])] }]))).toBeNull();
    expect(describeReplication(replicationState([1], [{ name: 'm', partitions: [p(0, [1], [1])] }]))).toBeNull();
    expect(describeReplication(replicationState([1, 2, 3], []))).toBeNull();
  });

  it('a broker gone from the metadata and the partitions it left under-replicated are both reported', () => {
    const state = replicationState([1, 3], [
      { name: 'm', partitions: [p(0, [1, 2, 3], [1, 3]), p(1, [2, 3, 1], [3, 1]), p(2, [3, 1, 2], [3, 1]), p(3, [1, 3, 2], [1, 3])] },
      { name: 'c', partitions: [p(0, [1, 3, 2], [1, 3, 2])] },
    ]);
    expect(state).toEqual({ missingBrokers: [2], underReplicated: ['m/0', 'm/1', 'm/2', 'm/3'] });
    expect(describeReplication(state)).toBe(
      'Kafka cluster degraded: broker 2 missing from the cluster metadata; 4 under-replicated partitions (m/0, m/1, m/2, …); writes continue while in-sync replicas >= kafka.minInsyncReplicas: restart the missing broker',
    );
  });

  it('a broker back in the metadata but still catching up: under-replicated only', () => {
    expect(describeReplication(replicationState([1, 2, 3], [{ name: 'm', partitions: [p(0, [1, 2, 3], [1, 3])] }]))).toBe(
      'Kafka cluster degraded: 1 under-replicated partition (m/0); writes continue while in-sync replicas >= kafka.minInsyncReplicas: restart the missing broker',
    );
  });

  it('checkReplication reads the cluster and the topics, and lets a broker error through', async () => {
    const admin = {
      describeCluster: async () => ({ brokers: [{ nodeId: 1, host: 'h', port: 1 }], controller: 1, clusterId: 'x' }),
      fetchTopicMetadata: async ({ topics }: { topics?: string[] } = {}) => ({ topics: (topics ?? []).map((name) => ({ name, partitions: [{ partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1, 2], isr: [1], offlineReplicas: [] }] })) }),
    };
    expect(await checkReplication(admin, ['m'])).toMatch(/broker 2 missing.*1 under-replicated partition \(m\/0\)/);
    const down = { ...admin, describeCluster: async () => Promise.reject(new Error('Connection error')) };
    await expect(checkReplication(down, ['m'])).rejects.toThrow('Connection error');
  });
});
