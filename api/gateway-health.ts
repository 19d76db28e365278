/**
 * The gateway as the API sees it: its own GET /health, on gateway.host:gateway.port or at
 * api.gatewayHealthUrl (behind a load balancer or in Kubernetes). Without it the Overview's health cards stayed green while
 * the live feed was dead. A thin adapter (fetch) around a pure classifier.
 */
import type { HealthCheck } from '../schemas/http/status.ts';

export interface GatewayHealth {
  /** Never throws: an unreachable gateway is a failed check. */
  check(): Promise<HealthCheck>;
}

export type GatewayAnswer = { ok: true; httpStatus: number; body: unknown } | { ok: false; error: string };

/** What the gateway's answer means for the dashboard's live feed. Pure. */
export function gatewayCheck(answer: GatewayAnswer, where: string): HealthCheck {
  if (!answer.ok) return { status: 'fail', message: `gateway at ${where} unreachable (${answer.error}): live events stop; start ./bin/vigil gateway` };
  const body = answer.body && typeof answer.body === 'object' ? (answer.body as Record<string, unknown>) : {};
  const status = body.status;
  const details = { httpStatus: answer.httpStatus, ...(typeof body.gatewayId === 'string' ? { gatewayId: body.gatewayId } : {}), ...(typeof body.connections === 'number' ? { connections: body.connections } : {}) };
  if (answer.httpStatus === 200 && status === 'ok') return { status: 'ok', details };
  if (status === 'degraded') return { status: 'warn', message: `gateway at ${where} is degraded (its Kafka consumer is not healthy): live events may lag`, details };
  return { status: 'fail', message: `gateway at ${where} answered HTTP ${answer.httpStatus}${typeof status === 'string' ? ` (${status.slice(0, 40)})` : ''}`, details };
}

export interface GatewayHealthOptions {
  /** api.gatewayHealthUrl: the full URL to GET (another host, a Service name, https). */
  url?: string | null;
  timeoutMs?: number;
}

/**
 * The gateway check: GET `url` when configured, else http://<gateway.host>:<gateway.port>/health
 * (127.0.0.1 for a gateway bound to every interface, i.e. on this machine). null when there is
 * no URL and the gateway's address is not known in advance (port 0 = any free port).
 */
export function createGatewayHealth(gateway: { host: string; port: number }, { url = null, timeoutMs = 1500 }: GatewayHealthOptions = {}): GatewayHealth | null {
  let target: string;
  let where: string;
  if (url) {
    target = url;
    where = url;
  } else {
    if (!(gateway.port > 0)) return null;
    const wildcard = gateway.host === '0.0.0.0' || gateway.host === '::' || gateway.host === '';
    const host = wildcard ? '127.0.0.1' : gateway.host.includes(':') && !gateway.host.startsWith('[') ? `[${gateway.host}]` : gateway.host;
    where = `${host}:${gateway.port}`;
    target = `http://${where}/health`;
  }
  return {
    async check() {
      try {
        const res = await fetch(target, { signal: AbortSignal.timeout(timeoutMs) });
        const text = await res.text();
        let body: unknown = null;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: classified by its status code
        }
        return gatewayCheck({ ok: true, httpStatus: res.status, body }, where);
      } catch (err) {
        const cause = (err as { cause?: { code?: string } })?.cause?.code ?? (err as Error)?.name ?? 'error';
        return gatewayCheck({ ok: false, error: cause === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : cause }, where);
      }
    },
  };
}
