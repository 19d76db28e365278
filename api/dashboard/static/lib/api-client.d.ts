export const API_KEY_STORAGE_KEY: string;
export class ApiError extends Error {
  constructor(status: number, message: string, body?: unknown);
  readonly status: number;
  readonly body: unknown;
}
export type QueryValue = string | number | boolean | null | undefined | Array<string | number>;
export function buildQuery(params?: Record<string, QueryValue>): string;
export function pathOf(...segments: Array<string | number>): string;
export interface ApiClientOptions {
  baseUrl?: string;
  fetchImpl: (url: string, init: RequestInit) => Promise<Response>;
  getApiKey?: () => string | null;
  timeoutMs?: number;
}
export interface ApiClient {
  get<T = unknown>(path: string, query?: Record<string, QueryValue>): Promise<T>;
  post<T = unknown>(path: string, body?: unknown): Promise<{ status: number; body: T }>;
  put<T = unknown>(path: string, body?: unknown): Promise<{ status: number; body: T }>;
  delete<T = unknown>(path: string): Promise<T>;
}
export function describeRefusal(err: unknown): string;
export function createApiClient(options: ApiClientOptions): ApiClient;
