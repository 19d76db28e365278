import { describe, expect, it } from 'vitest';
import { VersionedStore, openAlertSummary, staleOpenIds } from '../../../api/dashboard/static/lib/records.js';
import { applyLiveEvent, createState } from '../../../api/dashboard/static/lib/state.js';
import { syncOpenAlerts } from '../../../api/dashboard/static/lib/open-alerts.js';
import type { Alert } from '../../../schemas/http/alerts.ts';

const alert = (alertId: string, over: Partial<Alert> = {}): Alert => ({
  alertId, fingerprint: `s|m|${alertId}`, source: 's', metric: 'm', ruleId: alertId, kind: 'threshold', severity: 'high', status: 'firing',
  version: 1, openedAt: 1, updatedAt: 1, value: 1, threshold: 0, message: '', actor: 'pipeline', reason: 'opened', tags: {}, ...over,
});
const event = (a: Alert, version: number, status: Alert['status']) => ({ ...a, eventId: `${a.alertId}-${version}`, version, status, timestamp: a.updatedAt + version, updatedAt: undefined });

/** A fake GET /alerts over `open`, in pages of `pageSize`, calling `during` after the first page. */
function fakeApi(open: Alert[], during?: () => void) {
  const calls: Array<Record<string, unknown>> = [];
  return {
    calls,
    get: async (_path: string, query: Record<string, unknown> = {}) => {
      calls.push(query);
      const start = Number(query.cursor ?? 0);
      const limit = Number(query.limit);
      const items = open.slice(start, start + limit);
      if (start === 0) during?.();
      return { items, nextCursor: start + limit < open.length ? String(start + limit) : null };
    },
  };
}

describe('open alert counts (Overview card = Alerts badge)', () => {
  it('live resolves move the count at once, without waiting for a refresh', () => {
    const state = createState();
    const low = Array.from({ length: 7 }, (_, i) => alert(`low-${i}`, { severity: 'low' }));
    const high = Array.from({ length: 5 }, (_, i) => alert(`high-${i}`));
    for (const a of [...low, ...high]) state.alerts.upsert(a);
    expect(openAlertSummary(state.alerts.values())).toMatchObject({ open: 12, bySeverity: { low: 7, high: 5 } });
    for (const a of low) expect(applyLiveEvent(state, 'alerts', event(a, 2, 'resolved'))).toBe('alerts');
    // The case of issue #8: 7 low resolved in the feed; the count says 5, not "12 open (7 low)".
    expect(openAlertSummary(state.alerts.values())).toMatchObject({ open: 5, firing: 5, bySeverity: { low: 0, high: 5 } });
    // A replayed older event does not reopen them.
    applyLiveEvent(state, 'alerts', event(low[0], 1, 'firing'));
    expect(openAlertSummary(state.alerts.values()).open).toBe(5);
  });

  it('a complete reload drops open alerts it no longer lists (resolved while the page missed the event)', async () => {
    const store = new VersionedStore<Alert>((a) => a.alertId);
    const kept = alert('kept');
    const missed = alert('missed');
    store.upsert(kept);
    store.upsert(missed);
    const api = fakeApi([kept]);
    const result = await syncOpenAlerts({ get: api.get, store });
    expect(result).toEqual({ complete: true, listed: 1, dropped: ['missed'] });
    expect(store.get('missed')).toBeUndefined();
    expect(api.calls[0]).toMatchObject({ status: ['firing', 'acknowledged'], limit: 500 });
  });

  it('keeps an alert a live event opened while the listing was running', async () => {
    const store = new VersionedStore<Alert>((a) => a.alertId);
    const fresh = alert('fresh');
    const api = fakeApi([alert('a')], () => store.upsert(fresh));
    const result = await syncOpenAlerts({ get: api.get, store });
    expect(result.dropped).toEqual([]);
    expect(openAlertSummary(store.values()).open).toBe(2);
  });

  it('pages through every open alert; past the page budget it drops nothing and says incomplete', async () => {
    const many = Array.from({ length: 7 }, (_, i) => alert(`a${i}`));
    const store = new VersionedStore<Alert>((a) => a.alertId);
    store.upsert(alert('elsewhere'));
    expect(await syncOpenAlerts({ get: fakeApi(many).get, store, pageSize: 3 })).toMatchObject({ complete: true, listed: 7, dropped: ['elsewhere'] });
    store.upsert(alert('elsewhere', { version: 2 }));
    expect(await syncOpenAlerts({ get: fakeApi(many).get, store, pageSize: 3, maxPages: 2 })).toEqual({ complete: false, listed: 6, dropped: [] });
    expect(store.get('elsewhere')).toBeDefined();
  });

  it('staleOpenIds ignores resolved alerts and ones changed after the listing began', () => {
    const store = new VersionedStore<Alert>((a) => a.alertId);
    store.upsert(alert('resolved', { status: 'resolved' }));
    store.upsert(alert('old'));
    const at = store.changes;
    store.upsert(alert('new'));
    expect(staleOpenIds(store, [], at)).toEqual(['old']);
    expect(store.changeOf('gone')).toBe(0);
    expect(store.delete('old')).toBe(true);
    expect(store.changeOf('old')).toBe(0);
  });
});
