/** deploy/stack.ts finds who holds a port from /proc (used for its "port taken" errors). */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { portHolder } from '../../deploy/stack.ts';

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
