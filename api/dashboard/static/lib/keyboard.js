// Keyboard operation of the tab bar and the data tables (WAI-ARIA tabs and grid-like row
// navigation). The views render rows without knowing about this: a MutationObserver keeps one
// row of each table in the Tab order (roving tabindex), so a table is one Tab stop however long.

/** Index moved by a navigation key in a list of `count` items (null: not a navigation key). */
export function movedIndex(key, index, count, { prev = 'ArrowUp', next = 'ArrowDown' } = {}) {
  if (count === 0) return null;
  if (key === next) return Math.min(count - 1, index + 1);
  if (key === prev) return Math.max(0, index - 1);
  if (key === 'Home') return 0;
  if (key === 'End') return count - 1;
  return null;
}

/** Left/Right/Home/End move between tabs and select (automatic activation); one tab in the Tab order. */
export function tabKeys(tablist, activate) {
  const tabs = () => [...tablist.querySelectorAll('[role="tab"]')];
  tablist.addEventListener('keydown', (event) => {
    const all = tabs();
    const index = all.indexOf(event.target);
    if (index < 0) return;
    const to = movedIndex(event.key, index, all.length, { prev: 'ArrowLeft', next: 'ArrowRight' });
    if (to === null) return;
    event.preventDefault();
    all[to].focus();
    activate(all[to]);
  });
}

/** The selected tab is the Tab stop; call after aria-selected changes. */
export function syncTabStops(tablist) {
  for (const tab of tablist.querySelectorAll('[role="tab"]')) tab.tabIndex = tab.getAttribute('aria-selected') === 'true' ? 0 : -1;
}

// What Enter opens on a row: its drill-down link, else its own "open" control.
const PRIMARY = 'a[data-role="series-link"], [data-role="open"], a[href]';

function syncRowStops(tbody) {
  const rows = [...tbody.rows];
  if (rows.length === 0) return;
  const current = rows.find((r) => r.tabIndex === 0) ?? rows[0];
  for (const row of rows) row.tabIndex = row === current ? 0 : -1;
}

/**
 * Rows of `table` focusable: Up/Down/Home/End move, Enter opens the row's link. Keys typed in a
 * control inside a row (a button, a comment field) are left to that control.
 */
export function tableKeys(table) {
  const tbody = table.tBodies[0];
  if (!tbody) return;
  new MutationObserver(() => syncRowStops(tbody)).observe(tbody, { childList: true });
  syncRowStops(tbody);
  tbody.addEventListener('keydown', (event) => {
    const row = event.target;
    if (!(row instanceof HTMLTableRowElement) || row.parentElement !== tbody) return;
    if (event.key === 'Enter') {
      const primary = row.querySelector(PRIMARY);
      if (primary) {
        event.preventDefault();
        primary.click();
      }
      return;
    }
    const rows = [...tbody.rows];
    const to = movedIndex(event.key, rows.indexOf(row), rows.length);
    if (to === null) return;
    event.preventDefault();
    row.tabIndex = -1;
    rows[to].tabIndex = 0;
    rows[to].focus();
  });
  // A click or a focused control inside a row makes that row the table's Tab stop.
  tbody.addEventListener('focusin', (event) => {
    const row = event.target instanceof Element ? event.target.closest('tr') : null;
    if (!row || row.parentElement !== tbody) return;
    for (const r of tbody.rows) r.tabIndex = r === row ? 0 : -1;
  });
}
