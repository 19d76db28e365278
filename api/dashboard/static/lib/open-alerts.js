// Every open alert into the page's store, so the Overview count and the Alerts badge (both
// counted from that store by openAlertSummary) are the number ClickHouse holds, moved by live
// events in between. `get` is the API client's (injected: testable in Node).
import { staleOpenIds } from './records.js';

export const OPEN_PAGE_SIZE = 500; // the API's largest page
export const MAX_OPEN_PAGES = 4;

/**
 * Pages through GET /alerts?status=firing,acknowledged and merges each page. When the listing is
 * complete, open alerts it no longer names (and that no live event touched meanwhile) are dropped:
 * they were resolved while the page was not listening. Returns `complete: false` when there were
 * more open alerts than `maxPages` pages (the counts are then lower bounds).
 */
export async function syncOpenAlerts({ get, store, pageSize = OPEN_PAGE_SIZE, maxPages = MAX_OPEN_PAGES }) {
  const changesAtStart = store.changes;
  const listed = [];
  let cursor;
  for (let page = 0; page < maxPages; page += 1) {
    const body = await get('alerts', { status: ['firing', 'acknowledged'], sort: 'updated', limit: pageSize, cursor });
    for (const alert of body?.items ?? []) {
      store.upsert(alert);
      listed.push(alert.alertId);
    }
    cursor = body?.nextCursor ?? null;
    if (!cursor) {
      const dropped = staleOpenIds(store, listed, changesAtStart);
      for (const id of dropped) store.delete(id);
      return { complete: true, listed: listed.length, dropped };
    }
  }
  return { complete: false, listed: listed.length, dropped: [] };
}
