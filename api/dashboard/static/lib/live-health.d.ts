import type { HealthCheck } from '../../../../schemas/http/status.ts';
export const BANNER_AFTER_MS: number;
export interface LiveFeed {
  status: 'connecting' | 'connected' | 'reconnecting' | 'offline' | string;
  downSince: number | null;
  lastEventAt: number | null;
  reason?: string;
}
export function liveFeedHealth(feed: LiveFeed | null | undefined, now: number): { check: HealthCheck; banner: string | null };
