import type { Alert } from '../../../../schemas/http/alerts.ts';
import type { VersionedStore } from './records.js';
export const OPEN_PAGE_SIZE: number;
export const MAX_OPEN_PAGES: number;
export function syncOpenAlerts(options: {
  get: (path: string, query?: Record<string, unknown>) => Promise<unknown>;
  store: VersionedStore<Alert>;
  pageSize?: number;
  maxPages?: number;
}): Promise<{ complete: boolean; listed: number; dropped: string[] }>;
