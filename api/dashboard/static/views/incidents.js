// Incidents tab: related alerts grouped into incidents, each with its alerts and timeline, and
// acknowledge / resolve with a comment (applied to its alerts by their owners; the incident
// follows once the on-call process sees the transitions, so the view polls briefly after).
import { pathOf } from '../lib/api-client.js';
import { $, h, renderKeyed } from '../lib/dom.js';
import { formatIso } from '../lib/format.js';
import { showTime } from '../lib/clock.js';
import { alertCounts, describeCounts, describeStep, incidentActions, sortIncidents, summarizeResults } from '../lib/incidents.js';
import { isAlertStatus, severityClass, statusClass } from '../lib/severity.js';
import { longText, seriesAnchor, tagList, valueCell } from './widgets.js';

const PAGE_SIZE = 100;
const ACTION_LABELS = { acknowledge: 'Acknowledge', resolve: 'Resolve' };
// After a command, look again this often until the incident changed (or give up).
const FOLLOW_INTERVAL_MS = 1500;
const FOLLOW_ATTEMPTS = 20;

export class IncidentsView {
  constructor({ root, api, onError, toast, unitOf, onSilenceTag }) {
    /** (key, value, alert) → prefill a silence for that tag. */
    this.onSilenceTag = onSilenceTag;
    this.unitOf = unitOf ?? (() => '');
    this.api = api;
    this.onError = onError;
    this.toast = toast;
    this.form = $('#incident-filters', root);
    this.list = $('#incidents-list', root);
    this.empty = $('#incidents-empty', root);
    /** incidentId → latest incident as listed. */
    this.items = new Map();
    /** incidentId → {timeline} for the expanded ones. */
    this.details = new Map();
    this.open = new Set();
    this.busy = new Set();
    this.loadSeq = 0;
    this.form.addEventListener('change', () => this.load());
  }

  statuses() {
    return new FormData(this.form).getAll('status').filter(isAlertStatus);
  }

  async load() {
    const seq = ++this.loadSeq;
    try {
      const page = await this.api.get('incidents', { status: this.statuses(), sort: 'updated', limit: PAGE_SIZE });
      if (seq !== this.loadSeq) return;
      this.items = new Map((page.items ?? []).map((i) => [i.incidentId, i]));
      await Promise.all([...this.open].filter((id) => this.items.has(id)).map((id) => this.loadDetail(id)));
      this.render();
    } catch (err) {
      this.onError(err, 'incidents');
    }
  }

  async loadDetail(id) {
    try {
      const detail = await this.api.get(`incidents/${pathOf(id)}`);
      this.details.set(id, detail);
      if (detail?.incident) this.items.set(id, detail.incident);
    } catch (err) {
      this.onError(err, 'incident timeline');
    }
  }

  render() {
    const wanted = new Set(this.statuses());
    const rows = sortIncidents([...this.items.values()].filter((i) => wanted.size === 0 || wanted.has(i.status)));
    renderKeyed(
      this.list,
      rows,
      (i) => i.incidentId,
      (i) => `${i.version}|${this.open.has(i.incidentId)}|${this.busy.has(i.incidentId)}|${this.details.get(i.incidentId)?.timeline?.length ?? 0}`,
      (i) => this.card(i),
    );
    this.empty.hidden = rows.length > 0;
  }

  card(i) {
    const counts = alertCounts(i);
    const expanded = this.open.has(i.incidentId);
    return h(
      'article',
      { className: `incident ${severityClass(i.severity)} ${statusClass(i.status)}`, dataset: { incidentId: i.incidentId, status: i.status, version: String(i.version) } },
      h(
        'header',
        { className: 'incident-head' },
        h('span', { className: `pill ${severityClass(i.severity)}`, dataset: { role: 'severity' } }, i.severity),
        h('span', { className: `pill ${statusClass(i.status)}`, dataset: { role: 'status' } }, i.status),
        h(
          'button',
          { type: 'button', className: 'link incident-title', 'aria-expanded': String(expanded), dataset: { action: 'toggle' }, on: { click: () => this.toggle(i.incidentId) } },
          i.title,
        ),
        h('span', { className: 'hint' }, `${describeCounts(counts)} · opened ${showTime(i.openedAt, Date.now())}`),
        i.actor && i.actor !== 'pipeline' ? h('span', { className: 'hint', dataset: { role: 'last-actor' } }, `last: ${i.actor}${i.comment ? ` — “${i.comment}”` : ''}`) : null,
      ),
      expanded ? this.detail(i) : null,
    );
  }

  detail(i) {
    const timeline = this.details.get(i.incidentId)?.timeline ?? [];
    const actions = incidentActions(i);
    const comment = h('input', { type: 'text', name: 'comment', maxlength: '2000', placeholder: 'comment (who is on it, why)', dataset: { role: 'comment' } });
    return h(
      'div',
      { className: 'incident-detail' },
      actions.length > 0
        ? h(
            'form',
            { className: 'incident-actions', on: { submit: (e) => e.preventDefault() } },
            comment,
            actions.map((action) =>
              h(
                'button',
                {
                  type: 'button',
                  className: action === 'resolve' ? 'ghost small' : 'small',
                  dataset: { action },
                  disabled: this.busy.has(i.incidentId),
                  on: { click: () => this.act(i, action, comment.value.trim()) },
                },
                ACTION_LABELS[action],
              ),
            ),
          )
        : null,
      h(
        'table',
        { className: 'data incident-alerts' },
        h('thead', {}, h('tr', {}, ['Severity', 'Status', 'Rule', 'Series', 'Message', 'Value'].map((t) => h('th', { scope: 'col' }, t)))),
        h(
          'tbody',
          {},
          (i.alerts ?? []).map((a) =>
            h(
              'tr',
              { dataset: { alertId: a.alertId, status: a.status, inhibited: String(Boolean(a.inhibited)) } },
              h('td', {}, h('span', { className: `pill ${severityClass(a.severity)}` }, a.severity)),
              h('td', {}, h('span', { className: `pill ${statusClass(a.status)}` }, a.status), a.inhibited ? h('span', { className: 'pill silenced', title: 'muted by a more severe alert of this incident' }, 'muted') : null),
              h('td', {}, a.ruleId),
              h('td', { className: 'series' }, seriesAnchor(a, a.openedAt), tagList(a.tags, this.onSilenceTag && ((key, value) => this.onSilenceTag(key, value, a)))),
              h('td', { className: 'message' }, longText(a.message)),
              valueCell(a, this.unitOf),
            ),
          ),
        ),
      ),
      h(
        'ol',
        { className: 'timeline', dataset: { role: 'timeline' } },
        timeline
          .slice()
          .reverse()
          .map((step) =>
            h(
              'li',
              { dataset: { version: String(step.version), actor: step.actor } },
              h('time', { datetime: formatIso(step.timestamp), title: formatIso(step.timestamp) }, showTime(step.timestamp, Date.now())),
              h('span', { className: `pill ${statusClass(step.status)}` }, step.status),
              h('span', { className: 'step' }, describeStep(step)),
              step.comment ? h('q', { className: 'comment', dataset: { role: 'step-comment' } }, step.comment) : null,
            ),
          ),
      ),
    );
  }

  async toggle(id) {
    if (this.open.has(id)) this.open.delete(id);
    else {
      this.open.add(id);
      await this.loadDetail(id);
    }
    this.render();
  }

  async act(incident, action, comment) {
    if (this.busy.has(incident.incidentId)) return;
    this.busy.add(incident.incidentId);
    this.render();
    try {
      const res = await this.api.post(`incidents/${pathOf(incident.incidentId)}/${action}`, comment ? { comment } : {});
      const summary = summarizeResults(action, res.body);
      this.toast(`${incident.title}: ${summary.text}`, summary.error);
      await this.follow(incident);
    } catch (err) {
      this.onError(err, `${action} incident`);
    } finally {
      this.busy.delete(incident.incidentId);
      this.render();
    }
  }

  /** Re-reads the incident until its version moved past the one acted on (bounded). */
  async follow(incident) {
    for (let attempt = 0; attempt < FOLLOW_ATTEMPTS; attempt++) {
      await new Promise((r) => setTimeout(r, FOLLOW_INTERVAL_MS));
      await this.loadDetail(incident.incidentId);
      const now = this.items.get(incident.incidentId);
      this.render();
      if (now && now.version > incident.version && now.status !== 'firing') return;
    }
  }
}
