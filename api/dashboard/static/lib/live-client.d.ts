import type { BackoffOptions } from './backoff.js';
export const LIVE_CHANNELS: string[];
export interface SocketUrlOptions {
  channels?: string[];
  minSeverity?: string;
  lastEventId?: string | null;
  pageHost?: string;
}
export function buildSocketUrl(base: string, options?: SocketUrlOptions): string;
/** ["vigil", "base64url.bearer.vigil.<token>"], or [] without a token. */
export function socketProtocols(token: string | null | undefined): string[];
export function parseServerFrame(text: unknown): ({ type: string } & Record<string, unknown>) | null;
export type LiveStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(): void;
}
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}
export interface LiveClientOptions {
  resolveUrl: () => string | Promise<string>;
  openSocket: (url: string, protocols: string[]) => SocketLike;
  onEvent: (channel: string, data: unknown, id: string) => void;
  onStatus?: (status: LiveStatus, detail: Record<string, unknown>) => void;
  onGap?: (frame: Record<string, unknown>) => void;
  onServerError?: (frame: Record<string, unknown>) => void;
  channels?: string[];
  minSeverity?: string;
  getToken?: () => string | null;
  pageHost?: string;
  backoff?: Partial<BackoffOptions>;
  random?: () => number;
  timers?: Timers;
  now?: () => number;
  pingIntervalMs?: number;
  staleAfterMs?: number;
  offlineAfterFailures?: number;
}
export interface LiveClient {
  start(): void;
  stop(): void;
  reconnectNow(): void;
  readonly status: LiveStatus | null;
  readonly lastEventId: string | null;
  readonly gatewayId: string | null;
}
export function createLiveClient(options: LiveClientOptions): LiveClient;
