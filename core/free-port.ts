import net from 'node:net';

/**
 * A TCP port free right now on `host` (the OS picks). Another process may take it before the
 * caller binds it: callers that start a child on it retry with a new port if the bind fails.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
