/**
 * A loopback TCP proxy for fault tests: a client (e.g. the pipeline's ClickHouse client) is
 * pointed at the proxy instead of the server, and the test cuts the path without touching
 * the shared server other test files are using.
 *
 * - `cut('refuse')`: live connections are destroyed and the port stops listening, so new
 *   connections get ECONNREFUSED (a server that is down).
 * - `cut('hang')`: live connections are destroyed; new connections are accepted and whatever
 *   they send is read and dropped, never forwarded, never answered (a server that is hung or a
 *   network path that black-holes packets). Only the client's own timeout ends such a request.
 * - `restore()`: forwarding again; connections held by a hang are destroyed (nothing of
 *   theirs reached the server, so the client may safely retry them).
 * - `cutOn(match, mode)`: arms a cut at an exact moment: the first client chunk for which
 *   `match` returns true is not forwarded, and the proxy cuts right then (e.g. "after this
 *   request was answered, before the next one reaches the server").
 *
 * Loopback only on both sides, and bounded: at most `maxConnections` sockets at once.
 */
import net from 'node:net';

export type CutMode = 'refuse' | 'hang';

export interface TcpProxyStats {
  /** Connections forwarded to the target. */
  forwarded: number;
  /** Connections accepted while hanging (held, never forwarded). */
  held: number;
  /** Live connections destroyed by cut(). */
  cutConnections: number;
}

export interface TcpProxyOptions {
  /** Upper bound on simultaneous client connections (default 64). */
  maxConnections?: number;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|::1)$/;

export class TcpProxy {
  private server: net.Server | null = null;
  private listenPort = 0;
  private mode: 'forward' | CutMode = 'forward';
  private target: { host: string; port: number } | null = null;
  /** Every socket the proxy holds (client and upstream sides), destroyed on cut/restore/close. */
  private readonly live = new Set<net.Socket>();
  private readonly hung = new Set<net.Socket>();
  private readonly maxConnections: number;
  private readonly counters: TcpProxyStats = { forwarded: 0, held: 0, cutConnections: 0 };
  private trigger: { match: (chunk: Buffer) => boolean; mode: CutMode; fired: (at: number) => void } | null = null;

  constructor(options: TcpProxyOptions = {}) {
    this.maxConnections = options.maxConnections ?? 64;
  }

  get port(): number {
    return this.listenPort;
  }

  get state(): 'forward' | CutMode {
    return this.mode;
  }

  stats(): TcpProxyStats {
    return { ...this.counters };
  }

  /** Listens on 127.0.0.1 (an ephemeral port) and forwards to the target. */
  async start(targetHost: string, targetPort: number): Promise<{ port: number }> {
    if (this.server) throw new Error('tcp proxy already started');
    if (!LOOPBACK.test(targetHost)) throw new Error(`tcp proxy forwards to loopback only, not ${targetHost}`);
    if (!Number.isInteger(targetPort) || targetPort < 1 || targetPort > 65535) throw new Error(`bad target port ${targetPort}`);
    this.target = { host: targetHost, port: targetPort };
    await this.listen(0);
    return { port: this.listenPort };
  }

  /** Breaks the path: see the module comment for the two modes. */
  async cut(mode: CutMode = 'refuse'): Promise<void> {
    this.mode = mode;
    this.counters.cutConnections += this.destroyAll(this.live);
    if (mode === 'refuse') {
      this.destroyAll(this.hung);
      await this.unlisten();
    } else if (!this.server) {
      await this.listen(this.listenPort);
    }
  }

  /**
   * Cuts (in `mode`) when a client sends a chunk `match` accepts, before that chunk is
   * forwarded. Resolves with the time of the cut. Client data is inspected chunk by chunk as
   * it arrives, so match on something a request's first chunk carries (its request line).
   */
  cutOn(match: (chunk: Buffer) => boolean, mode: CutMode = 'refuse'): Promise<number> {
    if (this.trigger) throw new Error('tcp proxy: a cut is already armed');
    return new Promise<number>((resolve) => {
      this.trigger = { match, mode, fired: resolve };
    });
  }

  /** Forwards again on the same port. */
  async restore(): Promise<void> {
    this.mode = 'forward';
    this.destroyAll(this.hung);
    if (!this.server) await this.listen(this.listenPort);
  }

  async close(): Promise<void> {
    this.mode = 'refuse';
    this.destroyAll(this.live);
    this.destroyAll(this.hung);
    await this.unlisten();
  }

  private destroyAll(sockets: Set<net.Socket>): number {
    const n = sockets.size;
    for (const s of sockets) s.destroy();
    sockets.clear();
    return n;
  }

  private listen(port: number): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    server.maxConnections = this.maxConnections;
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        this.server = server;
        this.listenPort = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  private unlisten(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    // close() stops accepting at once; its callback waits for connections, all destroyed above.
    return new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    client.on('error', () => undefined);
    if (this.mode === 'refuse' || !this.target) {
      client.destroy();
      return;
    }
    if (this.mode === 'hang') {
      this.counters.held++;
      this.hung.add(client);
      client.on('close', () => this.hung.delete(client));
      client.resume(); // read and drop: the sender must not be stopped by a full buffer either
      return;
    }
    this.counters.forwarded++;
    const upstream = net.connect(this.target.port, this.target.host);
    this.live.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.live.delete(client);
      this.live.delete(upstream);
    };
    upstream.on('error', drop).on('close', drop);
    client.on('error', drop).on('close', drop);
    upstream.pipe(client);
    // Client to server by hand (not pipe) so an armed cut can stop a chunk before it is forwarded.
    client.on('data', (chunk: Buffer) => {
      const trigger = this.trigger;
      if (trigger && this.mode === 'forward' && trigger.match(chunk)) {
        this.trigger = null;
        client.pause();
        void this.cut(trigger.mode).then(() => trigger.fired(Date.now()));
        return;
      }
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    });
    client.on('end', () => upstream.end());
  }
}

/** Starts a proxy to targetHost:targetPort on an ephemeral loopback port. */
export async function startTcpProxy(targetHost: string, targetPort: number, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const proxy = new TcpProxy(options);
  await proxy.start(targetHost, targetPort);
  return proxy;
}
