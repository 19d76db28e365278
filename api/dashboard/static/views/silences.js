// Silences tab: the form (new silence, or prefilled from an alert row) and the list with Expire.
import { describeRefusal, pathOf } from '../lib/api-client.js';
import { $, h, renderKeyed } from '../lib/dom.js';
import { formatIso } from '../lib/format.js';
import { showTime } from '../lib/clock.js';
import { DURATIONS, MATCHER_OPS, WEEKDAYS, describeMatchers, describeSchedule, silenceBody, sortSilences } from '../lib/silences.js';

const STATE_CLASS = { active: 'status-firing', pending: 'status-acknowledged', expired: 'status-resolved' };

export class SilencesView {
  constructor({ root, api, onError, toast, onChange }) {
    this.api = api;
    this.onError = onError;
    this.toast = toast;
    this.onChange = onChange;
    this.items = [];
    this.form = $('#silence-form', root);
    this.rows = $('#silence-matcher-rows', root);
    this.error = $('#silence-error', root);
    this.title = $('#silence-form-title', root);
    this.tbody = $('#silences-table tbody', root);
    this.empty = $('#silences-empty', root);
    this.filters = $('#silence-filters', root);
    $('#silence-duration', root).replaceChildren(...DURATIONS.map(([label]) => h('option', { value: label, selected: label === '2h' }, label)));
    $('#silence-days', root).append(...WEEKDAYS.map((d) => h('label', {}, h('input', { type: 'checkbox', name: 'days', value: d, checked: d === 'sun' }), ` ${d}`)));
    $('#silence-add-matcher', root).addEventListener('click', () => this.addRow({ name: '', op: '=', value: '' }));
    $('#silence-reset', root).addEventListener('click', () => this.prefill(null));
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.filters.addEventListener('change', () => this.render());
    this.prefill(null);
  }

  addRow(m) {
    const row = h(
      'div',
      { className: 'matcher-row' },
      h('input', { type: 'text', name: 'name', value: m.name, placeholder: 'label (source, metric, severity, alertname, tag)', maxlength: 128, 'aria-label': 'label name' }),
      h('select', { name: 'op', 'aria-label': 'operator' }, MATCHER_OPS.map((op) => h('option', { value: op, selected: op === m.op }, op))),
      h('input', { type: 'text', name: 'value', value: m.value, placeholder: 'value', maxlength: 1024, 'aria-label': 'value' }),
      h('button', { type: 'button', className: 'ghost small', 'aria-label': 'remove matcher', on: { click: () => row.remove() } }, '×'),
    );
    this.rows.append(row);
  }

  /** Fill the form with these matchers (from an alert row), or clear it (null). */
  prefill(matchers, context = '') {
    this.rows.replaceChildren();
    for (const m of matchers ?? [{ name: 'source', op: '=', value: '' }]) this.addRow(m);
    this.form.elements.namedItem('comment').value = '';
    this.title.textContent = context ? `Silence ${context}` : 'New silence';
    this.showError(null);
  }

  showError(message) {
    this.error.textContent = message ?? '';
    this.error.hidden = !message;
  }

  fields() {
    const data = new FormData(this.form);
    const matchers = [...this.rows.children].map((row) => ({
      name: row.querySelector('[name="name"]').value,
      op: row.querySelector('[name="op"]').value,
      value: row.querySelector('[name="value"]').value,
    }));
    return {
      matchers,
      duration: data.get('duration'),
      comment: data.get('comment'),
      recurring: data.get('recurring') === 'on',
      frequency: data.get('frequency'),
      days: data.getAll('days'),
      windowStart: data.get('windowStart'),
      windowEnd: data.get('windowEnd'),
      timeZone: data.get('timeZone'),
    };
  }

  async submit() {
    const built = silenceBody(this.fields(), Date.now());
    if (built.error) return this.showError(built.error);
    try {
      const res = await this.api.post('silences', built.body);
      this.showError(null);
      this.toast(`Silence ${res.body.id.slice(0, 8)} created (${res.body.state})`);
      this.prefill(null);
      await this.load();
      this.onChange();
    } catch (err) {
      if (err && err.status === 400) this.showError(describeRefusal(err));
      else this.onError(err, 'silence');
    }
  }

  async expire(silence) {
    try {
      await this.api.delete(`silences/${pathOf(silence.id)}`);
      this.toast(`Silence ${silence.id.slice(0, 8)} expired`);
      await this.load();
      this.onChange();
    } catch (err) {
      this.onError(err, 'expire silence');
    }
  }

  async load() {
    try {
      const body = await this.api.get('silences');
      this.items = Array.isArray(body?.items) ? body.items : [];
      this.render();
    } catch (err) {
      this.onError(err, 'silences');
    }
  }

  render() {
    const state = new FormData(this.filters).get('state');
    const rows = sortSilences(this.items.filter((s) => !state || s.state === state));
    renderKeyed(this.tbody, rows, (s) => s.id, (s) => `${s.version}|${s.state}`, (s) => this.row(s));
    this.empty.hidden = rows.length > 0;
  }

  row(s) {
    const now = Date.now();
    return h(
      'tr',
      { className: 'silence-row', dataset: { silenceId: s.id, state: s.state } },
      h('td', { dataset: { label: 'State' } }, h('span', { className: `pill ${STATE_CLASS[s.state] ?? ''}`, dataset: { role: 'state' } }, s.state)),
      h('td', { className: 'matchers', dataset: { label: 'Matchers' } }, describeMatchers(s.matchers)),
      h('td', { dataset: { label: 'Window' } }, describeSchedule(s.schedule) || '—'),
      h('td', { dataset: { label: 'Starts' }, title: formatIso(s.startsAt) }, showTime(s.startsAt, now)),
      h('td', { dataset: { label: 'Ends' }, title: formatIso(s.endsAt) }, showTime(s.endsAt, now)),
      h('td', { dataset: { label: 'By' } }, s.createdBy),
      h('td', { className: 'message', dataset: { label: 'Comment' } }, s.comment),
      h(
        'td',
        { dataset: { label: 'Actions' } },
        s.state === 'expired' ? null : h('button', { type: 'button', className: 'ghost small', dataset: { action: 'expire' }, on: { click: () => this.expire(s) } }, 'Expire'),
      ),
    );
  }
}
