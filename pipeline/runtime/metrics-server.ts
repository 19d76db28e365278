/**
 * The pipeline process's own HTTP endpoint (node:http, loopback by default):
 *   GET /metrics  Prometheus text from the pipeline's registry
 *   GET /health   JSON; 200 while the consumer is running, 503 otherwise
 *
 * Its lifetime is the process's, not the pipeline's: it is bound before the pipeline joins its
 * group (a taken port fails fast, before any rebalance) and closed after the pipeline stopped,
 * so a load balancer or test sees 503 `stopping`/`stopped` rather than a refused connection.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../../core/logger.ts';
import { VigilError } from '../../core/errors.ts';
import type { PipelineHealth } from './pipeline.ts';

/** What the server shows: a started pipeline's (or on-call process's) handle fits. */
export interface ObservedPipeline {
  readonly registry: Registry;
  health(): PipelineHealth | { healthy: boolean };
}

export interface MetricsServerOptions {
  host: string;
  /** 0 = any free port (tests); read the bound one from `port`. */
  port: number;
  logger: Logger;
  pipeline?: ObservedPipeline;
  /** The setting to name when the port is taken (default: the pipeline's). */
  portSetting?: string;
}

export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  /** Shows this pipeline from now on; until then /health answers 503 `starting`. */
  attach(pipeline: ObservedPipeline): void;
  close(): Promise<void>;
}

/** Longer request targets are refused before any routing (no route is anywhere near this). */
export const MAX_TARGET_LENGTH = 1024;
const ALLOWED = 'GET, HEAD';

type Reply = { status: number; type: string; body: string; headers?: Record<string, string> };

const text = (status: number, body: string, headers?: Record<string, string>): Reply => ({ status, type: 'text/plain; charset=utf-8', body: `${body}\n`, headers });
const json = (status: number, value: unknown): Reply => ({ status, type: 'application/json; charset=utf-8', body: JSON.stringify(value) });

/** Routing without I/O: method and request target in, reply (or a metrics scrape to run) out. */
export function route(method: string | undefined, target: string | undefined): { kind: 'reply'; reply: Reply } | { kind: 'metrics' } | { kind: 'health' } {
  if (!target) return { kind: 'reply', reply: text(400, 'bad request target') };
  if (target.length > MAX_TARGET_LENGTH) return { kind: 'reply', reply: text(414, `request target longer than ${MAX_TARGET_LENGTH} characters`) };
  // Origin-form only ("/path?query"): absolute-form and "*" name no resource here.
  if (!target.startsWith('/')) return { kind: 'reply', reply: text(400, 'bad request target') };
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (path !== '/metrics' && path !== '/health') return { kind: 'reply', reply: text(404, 'not found: try /metrics or /health') };
  if (method !== 'GET' && method !== 'HEAD') return { kind: 'reply', reply: text(405, `method not allowed: use ${ALLOWED}`, { allow: ALLOWED }) };
  return path === '/metrics' ? { kind: 'metrics' } : { kind: 'health' };
}

export function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const logger = opts.logger.child({ component: 'metrics-server' });
  let pipeline = opts.pipeline;

  async function reply(req: http.IncomingMessage): Promise<Reply> {
    const r = route(req.method, req.url);
    if (r.kind === 'reply') return r.reply;
    if (r.kind === 'health') {
      if (!pipeline) return json(503, { status: 'starting', healthy: false });
      const h = pipeline.health();
      return json(h.healthy ? 200 : 503, h);
    }
    if (!pipeline) return text(503, 'pipeline starting');
    try {
      return { status: 200, type: pipeline.registry.contentType, body: await pipeline.registry.metrics() };
    } catch (err) {
      logger.error({ err }, 'metrics collection failed');
      return text(500, 'metrics collection failed');
    }
  }

  const server = http.createServer({ maxHeaderSize: 16_384, requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 }, (req, res) => {
    void reply(req).then(
      (r) => {
        const headers: Record<string, string | number> = { 'content-type': r.type, 'content-length': Buffer.byteLength(r.body), 'cache-control': 'no-store', ...r.headers };
        // Nothing here reads a request body: close rather than drain whatever a client sends.
        if (req.method !== 'GET' && req.method !== 'HEAD') headers.connection = 'close';
        res.writeHead(r.status, headers);
        res.end(req.method === 'HEAD' ? undefined : r.body);
      },
      (err: unknown) => {
        logger.error({ err }, 'metrics server request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
        res.end();
      },
    );
  });
  server.maxHeadersCount = 100;
  // Malformed requests, oversize headers or URLs (> maxHeaderSize): answer if the socket still
  // can, then drop the connection. Never an uncaught error.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    logger.debug({ err: err.message, code: err.code }, 'bad HTTP request');
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });

  return new Promise((resolve, reject) => {
    server.once('error', (cause: NodeJS.ErrnoException) => {
      reject(
        new VigilError(`cannot listen on ${opts.host}:${opts.port} for /metrics and /health: ${cause.code ?? cause.message}`, {
          cause,
          action: `set ${opts.portSetting ?? 'VIGIL_PIPELINE_HTTP_PORT (pipeline.httpPort)'} to a free port, 0 for any free port, or -1 to disable the endpoint`,
        }),
      );
    });
    server.listen(opts.port, opts.host, () => {
      server.removeAllListeners('error');
      server.on('error', (err) => logger.error({ err }, 'metrics server error'));
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      const url = `http://${host}:${address.port}`;
      logger.info({ url }, 'serving /metrics and /health');
      resolve({
        host: address.address,
        port: address.port,
        url,
        attach(p) {
          pipeline = p;
        },
        close() {
          return new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
        },
      });
    });
  });
}
