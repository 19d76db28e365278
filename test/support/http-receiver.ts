/**
 * A real HTTP receiver on 127.0.0.1 for notification tests: records every request (headers and
 * raw body) and answers from a per-path script — a status code, or 'hang' (never answers; the
 * sender's timeout must cut it). Unscripted requests get 200. close() destroys hanging sockets.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** What this receiver answered. */
  answer: number | 'hang';
}

export type Answer = number | 'hang';

export interface HttpReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Answers for the next requests to `path`, in order; then 200 again. */
  script(path: string, answers: Answer[]): void;
  /** Every request to `path` gets `answer` from now on (until script() or always() changes it). */
  always(path: string, answer: Answer): void;
  on(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

const MAX_BODY = 1_048_576;

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const scripts = new Map<string, Answer[]>();
  const fixed = new Map<string, Answer>();
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      const answer = scripts.get(path)?.shift() ?? fixed.get(path) ?? 200;
      requests.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now(), answer });
      if (answer === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer >= 400 ? `scripted ${answer}` : 'ok');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (path, answers) => void scripts.set(path, [...answers]),
    always: (path, answer) => {
      scripts.delete(path);
      fixed.set(path, answer);
    },
    on: (path) => requests.filter((r) => r.path === path),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
