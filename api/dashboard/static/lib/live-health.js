// The live feed's health as the page itself sees it (its WebSocket to the gateway), beside the
// API's checks: with the gateway gone the cards must not stay green. Pure; app.js feeds it.
import { formatDuration } from './format.js';

/** Down for less than this (a reconnect in passing) is not worth a banner. */
export const BANNER_AFTER_MS = 2000;

/**
 * `feed`: { status: connecting | connected | reconnecting | offline, downSince: ms | null,
 * lastEventAt: ms | null, reason: string }. Returns the card's check and the banner text (null = none).
 */
export function liveFeedHealth(feed, now) {
  const last = Number.isFinite(feed?.lastEventAt) ? `last event ${formatDuration(Math.max(0, now - feed.lastEventAt))} ago` : 'no event received yet';
  if (feed?.status === 'connected') return { check: { status: 'ok', message: last }, banner: null };
  const down = Number.isFinite(feed?.downSince) ? Math.max(0, now - feed.downSince) : 0;
  if (feed?.status === 'connecting' && !Number.isFinite(feed?.lastEventAt)) return { check: { status: 'warn', message: 'connecting…' }, banner: null };
  const reason = feed?.reason ? ` (${String(feed.reason).slice(0, 120)})` : '';
  const check = { status: 'fail', message: `down ${formatDuration(down)}${reason} · ${last}` };
  const banner = down >= BANNER_AFTER_MS ? `Live feed down for ${formatDuration(down)}${reason}; ${last}. Values, alerts and counts are not updating; reconnecting by itself.` : null;
  return { check, banner };
}
