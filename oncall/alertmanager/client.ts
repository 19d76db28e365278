/** Thin HTTP adapter for Alertmanager's API v2 (loopback or wherever `alertmanager.url` says). */
import { VigilError } from '../../core/errors.ts';
import type { PostableAlert } from './mapping.ts';

export interface AlertmanagerClient {
  postAlerts(alerts: PostableAlert[]): Promise<void>;
  /** The parsed JSON answer, unchecked: planMirror() reads it as untrusted input. */
  silences(): Promise<unknown>;
}

export function alertmanagerClient(baseUrl: string, timeoutMs: number): AlertmanagerClient {
  const base = baseUrl.replace(/\/+$/, '');
  const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (cause) {
      throw new VigilError(`Alertmanager at ${base} did not answer ${path}`, { cause, action: 'check alertmanager.url and that Alertmanager is running' });
    }
    if (!res.ok) {
      const body = (await res.text().catch(() => '')).slice(0, 300);
      throw new VigilError(`Alertmanager answered ${res.status} to ${path}: ${body}`, { action: 'see the Alertmanager log; the request is retried on the next resend' });
    }
    return res;
  };
  return {
    async postAlerts(alerts) {
      if (alerts.length === 0) return;
      await call('/api/v2/alerts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
    },
    async silences() {
      try {
        return (await (await call('/api/v2/silences')).json()) as unknown;
      } catch (cause) {
        if (cause instanceof VigilError) throw cause;
        throw new VigilError('Alertmanager /api/v2/silences did not answer JSON', { cause, action: 'check that alertmanager.url points at Alertmanager' });
      }
    },
  };
}
