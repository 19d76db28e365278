/** test/support/kafka-cluster.ts: each node's server.properties from the single-broker template. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clusterProperties } from '../support/kafka-cluster.ts';

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
