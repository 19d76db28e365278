/** deploy/stack.ts finds who holds a port from /proc (used for its "port taken" errors). */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { kafkaBasePort, kafkaNodePorts, parseBrokersOption, portHolder, stackBrokers } from '../../deploy/stack.ts';

function listen(host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host }, () => resolve(server));
  });
}

describe('portHolder', () => {
  it.each(['127.0.0.1', '::1'])('names this process as the holder of a port it listens on (%s)', async (host) => {
    const server = await listen(host);
    try {
      const port = (server.address() as net.AddressInfo).port;
      const holder = portHolder(port);
      expect(holder?.pid).toBe(process.pid);
      expect(holder?.cmdline).toContain('node');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('returns null for a port nobody listens on', async () => {
    const server = await listen('127.0.0.1');
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r));
    expect(portHolder(port)).toBeNull();
  });
});

describe('the stack\'s Kafka ports and --brokers (up --brokers 3)', () => {
  it('VIGIL_STACK_KAFKA_PORT: 19092 when unset, a port with room for six, anything else refused with what to do', () => {
    expect(kafkaBasePort(undefined)).toBe(19092);
    expect(kafkaBasePort('')).toBe(19092);
    expect(kafkaBasePort('29092')).toBe(29092);
    for (const bad of ['80', '65530', '1e4', '-1', ' 29092', '29092x', '0x7000']) expect(() => kafkaBasePort(bad), bad).toThrow(/^VIGIL_STACK_KAFKA_PORT=.* is not a port from 1024 to 65529 — unset it/);
  });

  it('puts node n\'s broker and controller in pairs from the base, the single broker keeping 19092/19093', () => {
    expect(kafkaNodePorts(1, 19092)).toEqual({ broker: 19092, controller: 19093 });
    expect(kafkaNodePorts(3, 19092)).toEqual({ broker: 19096, controller: 19097 });
    expect(stackBrokers(3, 30000)).toEqual(['127.0.0.1:30000', '127.0.0.1:30002', '127.0.0.1:30004']);
    expect(stackBrokers(1, 19092)).toEqual(['127.0.0.1:19092']);
  });

  it('parses --brokers N and --brokers=N, absent is null, any other count or a missing value is refused', () => {
    expect(parseBrokersOption(['up', '--brokers', '3'])).toBe(3);
    expect(parseBrokersOption(['up', '--brokers=1', '--json'])).toBe(1);
    expect(parseBrokersOption(['up', '--json'])).toBeNull();
    for (const bad of [['--brokers', '2'], ['--brokers'], ['--brokers=three'], ['--brokers', '-3'], ['--brokers=']]) {
      expect(() => parseBrokersOption(bad), bad.join(' ')).toThrow(/the stack starts 1 Kafka broker or a cluster of 3 — use --brokers 1 or --brokers 3/);
    }
  });
});
