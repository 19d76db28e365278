// Alerts tab: filters, the table, acknowledge / resolve.
import { pathOf } from '../lib/api-client.js';
import { $, h, renderKeyed } from '../lib/dom.js';
import { formatIso } from '../lib/format.js';
import { showTime } from '../lib/clock.js';
import { selectAlerts } from '../lib/records.js';
import { allowedActions, isAlertStatus, isSeverity, severityClass, statusClass } from '../lib/severity.js';
import { longText, seriesAnchor, tagList, valueCell } from './widgets.js';

const PAGE_SIZE = 100;
const ACTION_LABELS = { acknowledge: 'Acknowledge', resolve: 'Resolve' };
// After a 202 the owner has not answered yet; look again after this long if no event came.
const PENDING_RECHECK_MS = 6000;

export class AlertsView {
  constructor({ root, state, api, onError, toast, onSilence, onSilenceTag, unitOf }) {
    this.state = state;
    /** metric → unit for the Value column ('' when unknown). */
    this.unitOf = unitOf ?? (() => '');
    this.onSilence = onSilence;
    /** (key, value, alert) → prefill a silence for that tag. */
    this.onSilenceTag = onSilenceTag;
    /** alertId → ids of the silences muting it, as the API last said (live events lack it). */
    this.silenced = new Map();
    this.api = api;
    this.onError = onError;
    this.toast = toast;
    this.form = $('#alert-filters', root);
    this.tbody = $('#alerts-table tbody', root);
    this.empty = $('#alerts-empty', root);
    this.more = $('#alerts-more', root);
    this.sources = $('#known-sources', root);
    this.cursor = null;
    this.rendered = false;
    this.loadSeq = 0;
    this.form.addEventListener('change', () => this.reload());
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.reload();
    });
    let typing = null;
    this.form.elements.namedItem('source').addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(() => this.reload(), 400);
    });
    this.more.addEventListener('click', () => this.load(true));
  }

  filter() {
    const data = new FormData(this.form);
    return {
      statuses: data.getAll('status').filter(isAlertStatus),
      severities: data.getAll('severity').filter(isSeverity),
      source: String(data.get('source') ?? '').trim(),
    };
  }

  reload() {
    this.cursor = null;
    this.render();
    return this.load(false);
  }

  /** Fetch a page with the current filters and merge it; `next` continues from the cursor. */
  async load(next = false) {
    const f = this.filter();
    const seq = ++this.loadSeq;
    try {
      const page = await this.api.get('alerts', {
        status: f.statuses,
        severity: f.severities,
        source: f.source || undefined,
        sort: 'updated',
        limit: PAGE_SIZE,
        cursor: next ? this.cursor : undefined,
      });
      if (seq !== this.loadSeq && !next) return; // a newer filter is loading
      for (const alert of page.items ?? []) {
        this.state.alerts.upsert(alert);
        if (Array.isArray(alert.silencedBy)) this.silenced.set(alert.alertId, alert.silencedBy);
      }
      this.cursor = page.nextCursor ?? null;
      this.state.emit('alerts');
    } catch (err) {
      this.onError(err, 'alerts');
    }
  }

  render() {
    const f = this.filter();
    const rows = selectAlerts(this.state.alerts.values(), f, 1000);
    const flash = this.rendered;
    renderKeyed(
      this.tbody,
      rows,
      (a) => a.alertId,
      (a) => `${a.version}|${this.state.pending.get(a.alertId)?.action ?? ''}|${(this.silenced.get(a.alertId) ?? []).join(',')}`,
      (a) => this.row(a, flash),
    );
    this.rendered = true;
    this.empty.hidden = rows.length > 0;
    this.more.hidden = !this.cursor;
    const sources = [...new Set(this.state.alerts.values().map((a) => a.source))].sort().slice(0, 200);
    if (this.sources.childElementCount !== sources.length) this.sources.replaceChildren(...sources.map((s) => h('option', { value: s })));
  }

  row(a, flash) {
    const pending = this.state.pending.get(a.alertId);
    const actions = allowedActions(a.status).map((action) =>
      h(
        'button',
        {
          type: 'button',
          className: action === 'resolve' ? 'ghost small' : 'small',
          dataset: { action },
          disabled: Boolean(pending),
          on: { click: () => this.act(a, action) },
        },
        ACTION_LABELS[action],
      ),
    );
    if (a.status !== 'resolved' && this.onSilence) {
      actions.push(h('button', { type: 'button', className: 'ghost small', dataset: { action: 'silence' }, on: { click: () => this.onSilence(a) } }, 'Silence'));
    }
    const silencedBy = a.status === 'resolved' ? [] : (this.silenced.get(a.alertId) ?? []);
    return h(
      'tr',
      { className: `alert-row ${severityClass(a.severity)} ${statusClass(a.status)}${flash ? ' flash' : ''}`, dataset: { alertId: a.alertId, status: a.status, version: String(a.version) } },
      h('td', { dataset: { label: 'Severity' } }, h('span', { className: `pill ${severityClass(a.severity)}` }, a.severity)),
      h(
        'td',
        { dataset: { label: 'Status' } },
        h('span', { className: `pill ${statusClass(a.status)}`, dataset: { role: 'status' } }, a.status),
        pending ? h('span', { className: 'pill pending' }, `${pending.action}…`) : null,
        silencedBy.length > 0 ? h('span', { className: 'pill silenced', dataset: { role: 'silenced' }, title: `silenced by ${silencedBy.join(', ')}` }, 'silenced') : null,
      ),
      h('td', { className: 'series', dataset: { label: 'Series' } }, seriesAnchor(a, a.openedAt), tagList(a.tags, this.onSilenceTag && ((key, value) => this.onSilenceTag(key, value, a)))),
      h('td', { className: 'message', dataset: { label: 'Message' } }, longText(a.message, a.reason ? `${a.reason} (by ${a.actor})` : '')),
      valueCell(a, this.unitOf),
      h('td', { dataset: { label: 'Opened' }, title: formatIso(a.openedAt) }, showTime(a.openedAt, Date.now())),
      h('td', { dataset: { label: 'Updated' }, title: formatIso(a.updatedAt) }, showTime(a.updatedAt, Date.now())),
      h('td', { dataset: { label: 'Actions' } }, h('div', { className: 'actions' }, actions)),
    );
  }

  async act(alert, action) {
    if (this.state.pending.has(alert.alertId)) return;
    this.state.pending.set(alert.alertId, { action, version: alert.version, since: Date.now() });
    this.state.emit('alerts');
    try {
      const res = await this.api.post(`alerts/${pathOf(alert.alertId)}/${action}`, {});
      if (res.status === 200 && res.body && res.body.alert) {
        this.state.alerts.upsert(res.body.alert);
        this.state.pending.delete(alert.alertId);
      } else {
        // 202: the command is on its way to the pipeline instance that owns the series; the
        // transition arrives on the alerts channel. If it does not, ask the API directly.
        setTimeout(() => this.recheck(alert.alertId), PENDING_RECHECK_MS);
      }
    } catch (err) {
      this.state.pending.delete(alert.alertId);
      if (err && err.status === 409) this.toast(`Could not ${action}: ${err.message}`, true);
      else this.onError(err, `${action} alert`);
    }
    this.state.emit('alerts');
  }

  async recheck(alertId) {
    if (!this.state.pending.has(alertId)) return;
    try {
      const detail = await this.api.get(`alerts/${pathOf(alertId)}`);
      if (detail && detail.alert) {
        this.state.alerts.upsert(detail.alert);
        if (Array.isArray(detail.alert.silencedBy)) this.silenced.set(alertId, detail.alert.silencedBy);
      }
    } catch (err) {
      this.onError(err, 'alert');
    }
    const pending = this.state.pending.get(alertId);
    const current = this.state.alerts.get(alertId);
    if (pending && current && current.version > pending.version) this.state.pending.delete(alertId);
    else if (pending && Date.now() - pending.since > 30_000) {
      this.state.pending.delete(alertId);
      this.toast('The pipeline has not applied the command yet; it may be down. Try again later.', true);
    } else if (pending) setTimeout(() => this.recheck(alertId), PENDING_RECHECK_MS);
    this.state.emit('alerts');
  }
}
