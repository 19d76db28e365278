/** test/support/kafka-cluster.ts: each node's server.properties from the single-broker template. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterProperties, consumerOffsetsPartition } from '../support/kafka-cluster.ts';
import { brokerOutputTail } from '../support/second-broker.ts';

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
    expect(() => clusterProperties(`${template}\nfoo=127.0.0.1:19094\n`, 1, [1, 2, 3], [4, 5, 6], '/d')).toThrow(/ports this helper does not rewrite/);
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

describe('brokerOutputTail (what a test broker said before it died, kept in the error: its folder is deleted)', () => {
  it('carries the end of stdout and of server.log, or says there was none', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-tail-'));
    try {
      const stdout = path.join(dir, 'stdout.log');
      expect(brokerOutputTail(dir, stdout)).toBe('(no output)');
      writeFileSync(stdout, 'starting\n');
      writeFileSync(path.join(dir, 'server.log'), [...Array.from({ length: 30 }, (_, i) => `line ${i}`), 'ERROR Address already in use', ''].join('\n'));
      const tail = brokerOutputTail(dir, stdout, 3);
      expect(tail).toBe('stdout:\nstarting\nserver.log:\nline 28\nline 29\nERROR Address already in use');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
