import pino, { type Logger } from 'pino';

/** Structured logs: one root logger per process, children carry component context. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { pid: process.pid, ...bindings } });
}
export type { Logger };
