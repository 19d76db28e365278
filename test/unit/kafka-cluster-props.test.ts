/** deploy/kafka-node.ts: each node's server.properties from the single-broker template (stack and test clusters). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clusterProperties, singleNodeProperties } from '../../deploy/kafka-node.ts';
import { consumerOffsetsPartition } from '../support/kafka-cluster.ts';

const template = readFileSync(new URL('../../deploy/kafka/server.properties', import.meta.url), 'utf8');

describe('clusterProperties', () => {
  it('gives node 2 its own id, ports and data, all three voters, and replicated internal topics', () => {
    const props = clusterProperties(template, 2, [4001, 4002, 4003], [5001, 5002, 5003], '/tmp/x/node-2/data');
    const get = (k: string) => props.match(new RegExp(`^${k.replaceAll('.', '\\.')}=(.*)$`, 'm'))?.[1];
    expect(get('node.id')).toBe('2');
    expect(get('controller.quorum.voters')).toBe('1@127.0.0.1:5001,2@127.0.0.1:5002,3@127.0.0.1:5003');
    expect(get('listeners')).toBe('PLAINTEXT://127.0.0.1:4002,CONTROLLER://127.0.0.1:5002');
    expect(get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:4002');
    expect(get('log.dirs')).toBe('/tmp/x/node-2/data');
    expect([get('offsets.topic.replication.factor'), get('transaction.state.log.replication.factor'), get('min.insync.replicas')]).toEqual(['3', '3', '2']);
    expect(props).not.toMatch(/:1909\d/);
  });

  it('refuses a template with a port it does not rewrite', () => {
    expect(() => clusterProperties(`${template}\nfoo=127.0.0.1:19094\n`, 1, [1, 2, 3], [4, 5, 6], '/d')).toThrow(/ports this code does not rewrite \(19094\)/);
    expect(() => singleNodeProperties(`${template}\nfoo=127.0.0.1:29092\n`, 1, 2, '/d')).toThrow(/ports this code does not rewrite \(29092\)/);
  });

  it('the stack\'s default ports (19092..19097 for three nodes) are not mistaken for unrewritten ones', () => {
    const props = clusterProperties(template, 3, [19092, 19094, 19096], [19093, 19095, 19097], '/s/node-3/data');
    expect(props).toMatch(/^listeners=PLAINTEXT:\/\/127\.0\.0\.1:19096,CONTROLLER:\/\/127\.0\.0\.1:19097$/m);
    expect(props).toMatch(/^controller\.quorum\.voters=1@127\.0\.0\.1:19093,2@127\.0\.0\.1:19095,3@127\.0\.0\.1:19097$/m);
  });
});

describe('singleNodeProperties', () => {
  it('moves the broker and controller to other ports and fills the data folder, nothing else', () => {
    const props = singleNodeProperties(template, 4100, 4101, '/tmp/k/data');
    expect(props).toMatch(/^listeners=PLAINTEXT:\/\/127\.0\.0\.1:4100,CONTROLLER:\/\/127\.0\.0\.1:4101$/m);
    expect(props).toMatch(/^controller\.quorum\.voters=1@127\.0\.0\.1:4101$/m);
    expect(props).toMatch(/^log\.dirs=\/tmp\/k\/data$/m);
    expect(props).toMatch(/^min\.insync\.replicas=1$/m);
    expect(props).not.toMatch(/:1909\d|@DATA_DIR@/);
  });
});

describe('consumerOffsetsPartition (the group coordinator is the leader of this __consumer_offsets partition)', () => {
  it('is Java String.hashCode with the sign bit cleared, modulo the partition count, as Kafka computes it', () => {
    // Java: "hello".hashCode() = 99162322, "test".hashCode() = 3556498, "Aa" and "BB" both 2112,
    // "polygenelubricants".hashCode() = Integer.MIN_VALUE (Kafka's Utils.abs of it is 0).
    expect(consumerOffsetsPartition('hello', 50)).toBe(99162322 % 50);
    expect(consumerOffsetsPartition('test', 12)).toBe(3556498 % 12);
    expect(consumerOffsetsPartition('Aa', 50)).toBe(consumerOffsetsPartition('BB', 50));
    expect(consumerOffsetsPartition('polygenelubricants', 12)).toBe(0);
  });
});
