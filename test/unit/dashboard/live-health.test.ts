import { describe, expect, it } from 'vitest';
import { BANNER_AFTER_MS, liveFeedHealth } from '../../../api/dashboard/static/lib/live-health.js';

const NOW = 1_800_000_000_000;

describe('live feed health (the page\'s own WebSocket)', () => {
  it('connected: ok, with the age of the last event', () => {
    expect(liveFeedHealth({ status: 'connected', downSince: null, lastEventAt: NOW - 4000 }, NOW)).toEqual({ check: { status: 'ok', message: 'last event 4 s ago' }, banner: null });
    expect(liveFeedHealth({ status: 'connected', downSince: null, lastEventAt: null }, NOW).check.message).toBe('no event received yet');
  });

  it('down: a red card at once, a banner once it lasts, with the time since the last event', () => {
    const brief = liveFeedHealth({ status: 'reconnecting', downSince: NOW - 500, lastEventAt: NOW - 3000, reason: 'closed (1006)' }, NOW);
    expect(brief.check.status).toBe('fail');
    expect(brief.banner).toBeNull();
    const long = liveFeedHealth({ status: 'offline', downSince: NOW - 75_000, lastEventAt: NOW - 80_000, reason: 'closed (1006)' }, NOW);
    expect(long.check).toEqual({ status: 'fail', message: 'down 1 min 15 s (closed (1006)) · last event 1 min 20 s ago' });
    expect(long.banner).toBe('Live feed down for 1 min 15 s (closed (1006)); last event 1 min 20 s ago. Values, alerts and counts are not updating; reconnecting by itself.');
    expect(liveFeedHealth({ status: 'reconnecting', downSince: NOW - BANNER_AFTER_MS, lastEventAt: null }, NOW).banner).toMatch(/no event received yet/);
  });

  it('first connection: a warning, no banner; junk input does not throw', () => {
    expect(liveFeedHealth({ status: 'connecting', downSince: NOW - 60_000, lastEventAt: null }, NOW)).toEqual({ check: { status: 'warn', message: 'connecting…' }, banner: null });
    expect(liveFeedHealth(null, NOW).check.status).toBe('fail');
    expect(liveFeedHealth({ status: 'offline', downSince: null, lastEventAt: null, reason: 'x'.repeat(1000) }, NOW).check.message!.length).toBeLessThan(200);
  });
});
