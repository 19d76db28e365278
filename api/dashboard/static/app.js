// Dashboard entry point: wires the API client, the gateway connection, the state and the views.
import { API_KEY_STORAGE_KEY, ApiError, createApiClient } from './lib/api-client.js';
import { $, frameScheduler, h, invalidateKeyed } from './lib/dom.js';
import { applyHistory, createHistoryLoader } from './lib/history.js';
import { createLiveClient } from './lib/live-client.js';
import { applyLiveEvent, createState, recordLatest } from './lib/state.js';
import {
  ACTIVE_CHOICES,
  ACTIVE_KEY,
  DEFAULT_ACTIVE_MS,
  MAX_PINS,
  PINS_KEY,
  chartSeries,
  normalizePins,
  overviewHash,
  parseActive,
  parseOverviewHash,
  parseStoredPins,
  pinId,
  seriesRows,
  storedPins,
  togglePin,
} from './lib/overview.js';
import { formatDuration } from './lib/format.js';
import { AlertsView } from './views/alerts.js';
import { AnomaliesView } from './views/anomalies.js';
import { IncidentsView } from './views/incidents.js';
import { ChartGrid } from './views/charts.js';
import { KeyDialog } from './views/key-dialog.js';
import { renderHealth, renderRecentAlerts, renderRecentAnomalies, renderSeriesTable, renderStats } from './views/overview.js';
import { SlaView } from './views/sla.js';
import { SilencesView } from './views/silences.js';
import { ReceiversView } from './views/receivers.js';
import { SeriesView } from './views/series.js';
import { parseSeriesHash } from './lib/series-view.js';
import { matchersForAlert } from './lib/silences.js';
import { matcherForTag } from './lib/tags.js';
import { syncOpenAlerts } from './lib/open-alerts.js';
import { openAlertSummary } from './lib/records.js';
import { liveFeedHealth } from './lib/live-health.js';
import { initTheme, redrawCharts } from './lib/theme.js';
import { initZone, onZoneChange } from './lib/clock.js';
import { syncTabStops, tabKeys, tableKeys } from './lib/keyboard.js';

const GATEWAY_TOKEN_KEY = 'vigil.gatewayToken';
const OLD_CHARTS_KEY = 'vigil.charts';
const AUTO_REFRESH_KEY = 'vigil.autoRefresh';
const AUTO_REFRESH_MS = 15_000;
const TABS = ['overview', 'incidents', 'alerts', 'series', 'anomalies', 'sla', 'silences', 'receivers'];

/** localStorage that never throws (it does in some privacy modes and sandboxed frames). */
const storage = {
  get(k) {
    try {
      return window.localStorage.getItem(k);
    } catch {
      return null;
    }
  },
  set(k, v) {
    try {
      if (v === null || v === undefined) window.localStorage.removeItem(k);
      else window.localStorage.setItem(k, v);
    } catch {
      // not persisted; the value still applies to this page
    }
  },
};

/** Pins from before the pinned Overview (`vigil.charts`: ids) carried over once. */
function migrateOldCharts() {
  const old = storage.get(OLD_CHARTS_KEY);
  if (old === null) return;
  storage.set(OLD_CHARTS_KEY, null);
  if (storage.get(PINS_KEY) !== null) return;
  try {
    const ids = JSON.parse(old);
    const pins = normalizePins((Array.isArray(ids) ? ids : []).map((id) => (typeof id === 'string' ? { source: id.slice(0, id.lastIndexOf('/')), metric: id.slice(id.lastIndexOf('/') + 1) } : null)));
    if (pins.length > 0) storage.set(PINS_KEY, storedPins(pins));
  } catch {
    // unreadable: nothing to carry over
  }
}

const state = createState();
const api = createApiClient({ fetchImpl: (url, init) => window.fetch(url, init), getApiKey: () => storage.get(API_KEY_STORAGE_KEY) });
let clientConfig = null;

// ---------------------------------------------------------------- toast, banner, errors

const toastEl = $('#toast');
let toastTimer = null;
function toast(message, isError = false) {
  toastEl.textContent = message;
  toastEl.classList.toggle('error', isError);
  toastEl.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (toastEl.hidden = true), 5000);
}

const bannerEl = $('#banner');
const liveBannerEl = $('#live-banner');
/** The page's own WebSocket: its state, since when it is down, when the last event came. */
const feed = { status: 'connecting', downSince: Date.now(), lastEventAt: null, reason: '' };
function banner(message) {
  bannerEl.textContent = message ?? '';
  bannerEl.hidden = !message;
}

const keyDialog = new KeyDialog({
  root: document,
  storage,
  apiKeyName: API_KEY_STORAGE_KEY,
  tokenName: GATEWAY_TOKEN_KEY,
  onSaved: () => {
    refreshAll();
    live.reconnectNow();
  },
});
$('#open-key').addEventListener('click', () => keyDialog.open('Key for this browser (kept in localStorage).', { gatewayToken: Boolean(clientConfig?.gatewayAuthRequired) }));

function onError(err, what) {
  if (err instanceof ApiError) {
    if (err.status === 401) {
      keyDialog.open(`The API needs a key to show ${what}: ${err.message}`, { gatewayToken: Boolean(clientConfig?.gatewayAuthRequired) });
      return;
    }
    if (err.status === 403) return toast(`This key may not load ${what}: ${err.message}`, true);
    if (err.status === 0) return banner(`${err.message}. Retrying on the next refresh.`);
  }
  toast(`Could not load ${what}: ${err && err.message ? err.message : err}`, true);
}

// ---------------------------------------------------------------- tabs

let activeTab = 'overview';
/** The series page's last URL state, so its tab button returns to the series last shown. */
let seriesQuery = '';
/** `hash` is the URL fragment without '#': a tab name, and for the series page its state after '?'. */
function showTab(hash) {
  const cut = hash.indexOf('?');
  let name = cut >= 0 ? hash.slice(0, cut) : hash;
  if (!TABS.includes(name)) name = 'overview';
  activeTab = name;
  for (const tab of TABS) {
    $(`#tab-${tab}`).hidden = tab !== name;
    $(`#tab-btn-${tab}`).setAttribute('aria-selected', String(tab === name));
  }
  syncTabStops(tabList);
  // The Overview's state lives in its fragment too: pins, search, active-only (a link shares them).
  if (name === 'overview') applyOverviewHash(hash);
  const fragment = name === 'overview' ? overviewHash(overview).slice(1) : name === 'series' && cut >= 0 ? hash : name;
  if (name === 'series' && cut >= 0) seriesQuery = hash.slice(cut);
  if (location.hash !== `#${fragment}`) history.replaceState(null, '', `#${fragment}`);
  if (name === 'overview') charts.fit();
  refreshTab(name);
}
const tabList = $('.tabs');
const openTab = (button) => showTab(button.dataset.tab === 'series' ? `series${seriesQuery}` : button.dataset.tab === 'overview' ? overviewHash(overview).slice(1) : button.dataset.tab);
for (const button of tabList.querySelectorAll('[data-tab]')) button.addEventListener('click', () => openTab(button));
tabKeys(tabList, openTab);
window.addEventListener('hashchange', () => showTab(location.hash.slice(1)));
/** Links inside the page (series page states) go through the history, so Back works. */
function navigate(hash) {
  if (location.hash === hash) showTab(hash.slice(1));
  else location.hash = hash;
}

// ---------------------------------------------------------------- views

/** A metric's unit for values, means and alert Value cells, as client-config gives them ('' when unknown). */
const unitOf = (metric) => {
  const units = clientConfig?.metricUnits;
  return units && typeof units === 'object' && typeof units[metric] === 'string' ? units[metric] : '';
};
const charts = new ChartGrid($('#charts'), state, (pin, on) => setPinned(pin, on), unitOf);
const alertsView = new AlertsView({
  root: document,
  state,
  api,
  onError,
  toast,
  unitOf,
  // "Silence" on an alert row: the Silences form with that alert's rule and series filled in.
  onSilence(alert) {
    silencesView.prefill(matchersForAlert(alert), `${alert.source}/${alert.metric}`);
    showTab('silences');
  },
  onSilenceTag: silenceTag,
});
/** A click on a tag chip: the Silences form with that one `tag:<key>` matcher. */
function silenceTag(key, value) {
  silencesView.prefill([matcherForTag(key, value)], `tag ${key}=${value}`);
  showTab('silences');
}
const silencesView = new SilencesView({ root: document, api, onError, toast, onChange: () => alertsView.load(false) });
const incidentsView = new IncidentsView({ root: document, api, onError, toast, unitOf, onSilenceTag: silenceTag });
const receiversView = new ReceiversView({ root: document, api, onError, toast });
const seriesView = new SeriesView({ root: document, api, onError, navigate, isPinned: (series) => overview.pins.some((p) => pinId(p) === pinId(series)), onPin: (series, on) => setPinned(series, on) });
const anomaliesView = new AnomaliesView({ root: document, state, api, onError, unitOf });
const slaView = new SlaView({ root: document, state, api, onError });
const seriesBody = $('#series-table tbody');
const liveHint = $('#live-hint');
const openBadge = $('#open-alert-badge');

// Charts open with the last minutes from the API, then live points append as they arrive.
const chartHistory = createHistoryLoader({
  fetchHistory: (query) => api.get('series/points', query),
  apply(_id, series, body) {
    if (applyHistory(state, series, body) > 0) state.emit('live');
  },
  onError(err) {
    // A missing key is already asked for by the other loaders; one prompt is enough.
    if (!(err instanceof ApiError && err.status === 401)) onError(err, 'chart history');
  },
});
// ---------------------------------------------------------------- the Overview an operator chooses

/** Pins (shown instead of picked charts), the table's search and active-only limit (ms). */
const overview = { pins: [], q: '', activeMs: DEFAULT_ACTIVE_MS };
/** With nothing pinned: the charts picked when data arrived, kept until the operator chooses. */
let autoHeld = [];
/** The charts shown: their series, so history is asked for a pinned series not heard from yet. */
let charted = [];
let chartedSignature = '';
const seriesOf = (id) => charted.find((p) => pinId(p) === id);
const searchInput = $('#series-search');
const activeSelect = $('#series-active');
activeSelect.replaceChildren(...ACTIVE_CHOICES.map((ms) => h('option', { value: String(ms) }, ms === 0 ? 'all series' : `heard in the last ${formatDuration(ms)}`)));

/** A link's state: pins when it names any (else the stored ones stay), search and limit when given. */
function applyOverviewHash(hash) {
  const parsed = parseOverviewHash(`#${hash}`);
  if (parsed.pins) overview.pins = parsed.pins;
  if (hash.includes('?')) overview.q = parsed.q;
  if (parsed.activeMs !== null) overview.activeMs = parsed.activeMs;
  searchInput.value = overview.q;
  activeSelect.value = String(overview.activeMs);
  updateChartChoice();
  renderSeries();
}

/** After an operator's change: the URL (replaced, not a history step) and localStorage follow. */
function overviewChanged() {
  storage.set(PINS_KEY, overview.pins.length ? storedPins(overview.pins) : null);
  storage.set(ACTIVE_KEY, overview.activeMs === DEFAULT_ACTIVE_MS ? null : String(overview.activeMs));
  if (activeTab === 'overview') history.replaceState(null, '', overviewHash(overview));
  updateChartChoice();
  renderSeries();
  seriesView.syncPin();
}

function setPinned(pin, on) {
  const next = togglePin(overview.pins, pin, on);
  if (next.full) return toast(`At most ${MAX_PINS} series can be pinned; unpin one first.`, true);
  overview.pins = next.pins;
  overviewChanged();
}

let typingSearch = null;
searchInput.addEventListener('input', () => {
  clearTimeout(typingSearch);
  typingSearch = setTimeout(() => {
    overview.q = searchInput.value.trim();
    overviewChanged();
  }, 150);
});
activeSelect.addEventListener('change', () => {
  overview.activeMs = parseActive(activeSelect.value);
  overviewChanged();
});

function updateChartChoice() {
  const next = chartSeries({ pins: overview.pins, held: autoHeld, latestValues: state.latest.values(), now: Date.now(), activeMs: overview.activeMs });
  if (overview.pins.length === 0) autoHeld = next;
  const pinned = new Set(overview.pins.map(pinId));
  const signature = (list) => list.map((p) => `${pinId(p)}|${pinned.has(pinId(p))}`).join('\n');
  if (signature(next) !== chartedSignature) {
    charted = next;
    chartedSignature = signature(next);
    charts.show(charted, pinned);
  }
  // One history request per chart (the loader remembers); live points append to the buffers.
  chartHistory.want(charted.map(pinId), seriesOf);
}

function renderSeries() {
  const now = Date.now();
  const { rows, hidden } = seriesRows(state.latest.values(), { pins: overview.pins, q: overview.q, activeMs: overview.activeMs, now });
  renderSeriesTable(seriesBody, rows, setPinned, now, unitOf);
  $('#series-count').textContent = `(${state.latest.size})`;
  const notes = [];
  if (hidden.search) notes.push(`${hidden.search} not matching the search`);
  if (hidden.stale) notes.push(`${hidden.stale} silent for over ${formatDuration(overview.activeMs)}`);
  $('#series-hidden').textContent = notes.length ? `hidden: ${notes.join(', ')}` : '';
  const known = $('#known-series');
  if (known.childElementCount !== state.latest.size) known.replaceChildren(...[...state.latest.keys()].sort().slice(0, 500).map((id) => h('option', { value: id })));
  const choice = overview.pins.length ? `${overview.pins.length} pinned` : charted.length ? `${charted.length} picked when data arrived — pin series to choose` : 'pin series to chart them';
  liveHint.textContent = state.latest.size === 0 && charted.length === 0 ? 'waiting for data' : `${choice} · ${state.received.live} live updates · ${state.latest.size} series`;
}

const renderLive = frameScheduler(() => {
  updateChartChoice();
  charts.update();
  renderSeries();
});
const renderAlerts = frameScheduler(() => {
  const all = state.alerts.values();
  alertsView.render();
  renderRecentAlerts($('#recent-alerts'), all, Date.now());
  // One count for the Overview card and the badge: the same store, the same rule.
  const open = openAlertSummary(all);
  renderStats($('#stats'), state.stats, open, openAlertsComplete);
  openBadge.textContent = `${open.open}${openAlertsComplete ? '' : '+'}`;
  openBadge.title = `${open.open} open: ${open.firing} firing, ${open.acknowledged} acknowledged`;
  openBadge.hidden = open.open === 0;
});
const renderAnomalies = frameScheduler(() => {
  anomaliesView.render();
  renderRecentAnomalies($('#recent-anomalies'), state.anomalies.values(), Date.now(), unitOf);
});
const renderSla = frameScheduler(() => slaView.render());

state.on('live', renderLive);
state.on('alerts', renderAlerts);
state.on('anomalies', renderAnomalies);
state.on('sla', renderSla);
state.on('stats', renderAlerts);

// ---------------------------------------------------------------- REST loading

/** What the API last said about health (or why it could not), redrawn with the live card. */
let lastHealth = { health: null, error: undefined };
function drawHealth() {
  const { check, banner: text } = liveFeedHealth(feed, Date.now());
  renderHealth($('#health'), lastHealth.health, lastHealth.error, check);
  liveBannerEl.textContent = text ?? '';
  liveBannerEl.hidden = !text;
}

async function loadHealth() {
  healthAskedAt = Date.now();
  try {
    const health = await api.get('health');
    banner(null);
    lastHealth = { health, error: undefined };
  } catch (err) {
    // 503 carries the same body: show which check failed rather than a generic error.
    if (err instanceof ApiError && err.status === 503 && err.body && err.body.checks) lastHealth = { health: err.body, error: undefined };
    else {
      if (err instanceof ApiError && err.status === 0) banner(`${err.message}. Retrying on the next refresh.`);
      lastHealth = { health: null, error: err && err.message ? err.message : String(err) };
    }
  }
  drawHealth();
}

/** Whether the store holds every open alert (false: more than the page loads; counts are lower bounds). */
let openAlertsComplete = true;
async function loadOpenAlerts() {
  try {
    openAlertsComplete = (await syncOpenAlerts({ get: (path, query) => api.get(path, query), store: state.alerts })).complete;
    state.emit('alerts');
  } catch (err) {
    onError(err, 'open alerts');
  }
}

async function loadStats() {
  try {
    state.stats = await api.get('dashboard-stats');
    state.emit('stats');
  } catch (err) {
    onError(err, 'dashboard counts');
  }
}

async function loadLiveMetrics() {
  try {
    const body = await api.get('live-metrics', { windowSec: 900 });
    let changed = false;
    for (const m of body.items ?? []) {
      if (recordLatest(state, m)) {
        state.rings.push(`${m.source}/${m.metric}`, m.timestamp, [m.value, m.mean]);
        changed = true;
      }
    }
    if (changed) state.emit('live');
  } catch (err) {
    onError(err, 'live metrics');
  }
}

/** The overview's "recent alerts" list wants the latest alerts whatever their state (the
 * Alerts tab's default filter loads only open ones), so a resolved incident still shows. */
async function loadRecentAlerts() {
  try {
    const page = await api.get('alerts', { sort: 'updated', limit: 8 });
    for (const alert of page.items ?? []) state.alerts.upsert(alert);
    state.emit('alerts');
  } catch (err) {
    onError(err, 'recent alerts');
  }
}

function refreshTab(name) {
  if (name === 'alerts') return alertsView.load(false);
  if (name === 'incidents') return incidentsView.load();
  if (name === 'anomalies') return anomaliesView.load(false);
  if (name === 'sla') return slaView.load();
  if (name === 'silences') return silencesView.load();
  if (name === 'receivers') return receiversView.load();
  // Only a change of series or range refetches: auto-refresh does not redraw the page under the operator.
  if (name === 'series') return seriesView.show(parseSeriesHash(location.hash));
  return Promise.all([anomaliesView.load(false), loadRecentAlerts()]);
}

let refreshing = null;
function refreshAll() {
  // One refresh at a time: a slow API must not pile up requests every 15 s.
  if (refreshing) return refreshing;
  // Open alerts on every tab: the badge is always visible.
  refreshing = Promise.allSettled([loadHealth(), loadStats(), loadOpenAlerts(), refreshTab(activeTab)]).finally(() => (refreshing = null));
  return refreshing;
}

$('#refresh-now').addEventListener('click', () => {
  refreshAll();
  loadLiveMetrics();
  if (live.status !== 'connected') live.reconnectNow();
});

const autoRefresh = $('#auto-refresh');
let autoTimer = null;
function setAutoRefresh(on) {
  autoRefresh.checked = on;
  storage.set(AUTO_REFRESH_KEY, on ? '1' : '0');
  clearInterval(autoTimer);
  autoTimer = on ? setInterval(() => !document.hidden && refreshAll(), AUTO_REFRESH_MS) : null;
}
autoRefresh.addEventListener('change', () => setAutoRefresh(autoRefresh.checked));

// Relative ages ("12 s ago") go stale without events; redraw them now and then.
setInterval(() => !document.hidden && renderSeries(), 5000);

// ---------------------------------------------------------------- live connection

const indicator = $('#connection');
const indicatorLabel = $('#connection-label');
const STATUS_TEXT = { connecting: 'connecting', connected: 'live', reconnecting: 'reconnecting', offline: 'offline' };

/** GET /client-config (public): where the gateway is and whether keys / tokens are needed. */
async function loadClientConfig() {
  try {
    clientConfig = await api.get('client-config');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) onError(err, 'the gateway address');
    throw err;
  }
  return clientConfig;
}

async function resolveGatewayUrl() {
  if (!clientConfig) await loadClientConfig();
  if (typeof clientConfig?.gatewayUrl !== 'string') throw new Error('client-config has no gatewayUrl');
  // A relative URL (e.g. "/ws" behind a proxy) is resolved against the page.
  const url = new URL(clientConfig.gatewayUrl, location.href);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.toString();
}

const live = createLiveClient({
  resolveUrl: resolveGatewayUrl,
  openSocket: (url, protocols) => new WebSocket(url, protocols),
  pageHost: location.hostname,
  getToken: () => (clientConfig?.gatewayAuthRequired ? storage.get(GATEWAY_TOKEN_KEY) ?? storage.get(API_KEY_STORAGE_KEY) : null),
  onEvent(channel, data) {
    feed.lastEventAt = Date.now();
    const topic = applyLiveEvent(state, channel, data);
    if (topic) state.emit(topic);
  },
  onStatus(status, detail) {
    // A refused upgrade looks like any dropped connection to a browser; when the gateway wants a
    // token and none is stored, that is the likely reason, so ask for one.
    if (status === 'offline' && clientConfig?.gatewayAuthRequired && !storage.get(GATEWAY_TOKEN_KEY)) {
      keyDialog.open('The gateway needs a token for live events.', { gatewayToken: true });
    }
    indicator.dataset.status = status;
    indicatorLabel.textContent = STATUS_TEXT[status] ?? status;
    const wasUp = feed.status === 'connected';
    if (status === 'connected') feed.downSince = null;
    else if (wasUp || feed.downSince === null) feed.downSince = Date.now();
    feed.status = status;
    feed.reason = status === 'connected' ? '' : (detail.reason ?? '');
    drawHealth();
    // Going down or coming back: ask the API too (its gateway card), not only at the next refresh.
    if (wasUp !== (status === 'connected')) loadHealth();
    indicator.title =
      status === 'connected'
        ? `Live events from the gateway${detail.gatewayId ? ` ${detail.gatewayId}` : ''}`
        : `${detail.reason ?? ''}${detail.retryInMs ? ` — retrying in ${Math.round(detail.retryInMs / 1000)} s` : ''}`;
  },
  onGap() {
    state.received.gaps += 1;
    // The gateway could not replay everything we missed: what the REST API says is the truth.
    refreshAll();
    loadLiveMetrics();
    // The charts have a hole where the missed events were; the API has those points.
    chartHistory.refresh(charted.map(pinId), seriesOf);
  },
  onServerError(frame) {
    // The gateway could not use our position: subscriptions apply but nothing was replayed.
    if (frame.code === 'bad-last-event-id') {
      state.received.gaps += 1;
      refreshAll();
    }
  },
});

window.addEventListener('online', () => live.reconnectNow());
window.addEventListener('offline', () => {
  indicator.dataset.status = 'offline';
  indicatorLabel.textContent = 'offline';
});
// While the feed is down the banner counts the time; the card's "last event" ages either way.
// Down (or the gateway not yet healthy, e.g. its consumer still joining), the API's view of the
// gateway is asked again every few seconds: the socket may drop before the gateway's port
// closes, and auto-refresh may be off.
let healthAskedAt = 0;
const DOWN_HEALTH_EVERY_MS = 5000;
setInterval(() => {
  if (document.hidden) return;
  drawHealth();
  const gatewayCheck = lastHealth.health?.checks?.gateway;
  const doubtful = feed.status !== 'connected' || (gatewayCheck && gatewayCheck.status !== 'ok');
  if (doubtful && Date.now() - healthAskedAt >= DOWN_HEALTH_EVERY_MS) loadHealth();
}, 1000);

initTheme({ select: $('#theme-choice'), storage });
initZone({ select: $('#zone-choice'), storage });
seriesView.labelZone();
// Every time on screen is redrawn in the new zone: cached rows are rebuilt, chart axes relabelled.
onZoneChange(() => {
  invalidateKeyed();
  redrawCharts();
  renderAlerts();
  renderAnomalies();
  renderSla();
  renderSeries();
  incidentsView.render();
  silencesView.render();
  seriesView.redrawTimes();
});
for (const table of document.querySelectorAll('table.data')) tableKeys(table);

// For operators poking at the page (and the browser test): read-only handles.
Object.defineProperty(window, 'vigil', { value: Object.freeze({ state, live }), enumerable: false });

// ---------------------------------------------------------------- start

// Known before anything can answer 401, so the key prompt already offers the gateway token field.
await loadClientConfig().catch(() => undefined);
setAutoRefresh(storage.get(AUTO_REFRESH_KEY) !== '0');
migrateOldCharts();
overview.pins = parseStoredPins(storage.get(PINS_KEY));
overview.activeMs = parseActive(storage.get(ACTIVE_KEY));
showTab(location.hash.slice(1) || 'overview');
drawHealth();
renderStats($('#stats'), null, openAlertSummary([]));
renderRecentAlerts($('#recent-alerts'), [], Date.now());
renderRecentAnomalies($('#recent-anomalies'), [], Date.now());
// The first screen is drawn once these have answered and their frame has run; the mark is what
// bench/dashboard-api.ts reads as the page-load time.
Promise.allSettled([loadHealth(), loadStats(), loadOpenAlerts(), loadLiveMetrics()]).then(() => requestAnimationFrame(() => performance.mark('vigil:first-data')));
live.start();
