// Receivers tab: the form (new, or editing a listed receiver) and the list with Edit / Delete.
// Secrets never come back from the API, so the form never holds one it did not type.
import { describeRefusal, pathOf } from '../lib/api-client.js';
import { $, h, renderKeyed } from '../lib/dom.js';
import { SOURCE_LABELS, describeReceiver, formFromReceiver, receiverActions, receiverBody, sortReceivers } from '../lib/receivers.js';

// Delete asks twice: the second click within this long removes the receiver.
const CONFIRM_MS = 5000;

export class ReceiversView {
  constructor({ root, api, onError, toast }) {
    this.api = api;
    this.onError = onError;
    this.toast = toast;
    this.items = [];
    /** The listed receiver being edited (its secrets are kept when left empty), or null. */
    this.editing = null;
    this.confirming = null;
    this.form = $('#receiver-form', root);
    this.error = $('#receiver-error', root);
    this.title = $('#receiver-form-title', root);
    this.keepHint = $('#receiver-keep-hint', root);
    this.tbody = $('#receivers-table tbody', root);
    this.empty = $('#receivers-empty', root);
    this.typeFields = [...this.form.querySelectorAll('[data-types]')];
    this.form.elements.namedItem('type').addEventListener('change', () => this.showTypeFields());
    $('#receiver-reset', root).addEventListener('click', () => this.edit(null));
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.edit(null);
  }

  showTypeFields() {
    const type = this.form.elements.namedItem('type').value;
    for (const el of this.typeFields) el.hidden = !el.dataset.types.split(' ').includes(type);
    $('#receiver-url-label', this.form).textContent = type === 'slack' ? 'Incoming-webhook URL (a secret: never shown again)' : 'URL';
  }

  /** Fill the form from a listed receiver, or clear it (null). */
  edit(receiver) {
    this.editing = receiver;
    const f = receiver ? formFromReceiver(receiver) : { name: '', type: 'webhook', url: '', secret: '', bearerToken: '', channel: '', username: '', timeoutMs: '', sendResolved: true };
    const el = this.form.elements;
    for (const key of ['name', 'type', 'url', 'secret', 'bearerToken', 'channel', 'username', 'timeoutMs']) el.namedItem(key).value = f[key];
    el.namedItem('sendResolved').checked = f.sendResolved;
    this.title.textContent = receiver ? `Edit receiver ${receiver.name}${receiver.source === 'config' ? ' (saving overrides the config file)' : ''}` : 'New receiver';
    this.keepHint.hidden = !receiver;
    this.showTypeFields();
    this.showError(null);
  }

  showError(message) {
    this.error.textContent = message ?? '';
    this.error.hidden = !message;
  }

  fields() {
    const data = new FormData(this.form);
    const get = (k) => String(data.get(k) ?? '');
    return {
      name: get('name'),
      type: get('type'),
      url: get('url'),
      secret: get('secret'),
      bearerToken: get('bearerToken'),
      channel: get('channel'),
      username: get('username'),
      timeoutMs: get('timeoutMs'),
      sendResolved: data.get('sendResolved') === 'on',
    };
  }

  async submit() {
    const built = receiverBody(this.fields(), this.editing);
    if (built.error) return this.showError(built.error);
    try {
      const res = await this.api.put(`receivers/${pathOf(built.name)}`, built.body);
      this.toast(`Receiver ${built.name} ${res.status === 201 ? 'created' : 'saved'}`);
      this.edit(null);
      await this.load();
    } catch (err) {
      if (err && err.status === 400) this.showError(describeRefusal(err));
      else this.onError(err, 'receiver');
    }
  }

  async remove(receiver) {
    if (this.confirming?.name !== receiver.name || Date.now() - this.confirming.at > CONFIRM_MS) {
      this.confirming = { name: receiver.name, at: Date.now() };
      this.render(true);
      return;
    }
    this.confirming = null;
    try {
      await this.api.delete(`receivers/${pathOf(receiver.name)}`);
      this.toast(`Receiver ${receiver.name} removed`);
      if (this.editing?.name === receiver.name) this.edit(null);
      await this.load();
    } catch (err) {
      // 409: configured in the file; the message says where to change it.
      if (err && err.status === 409) this.toast(err.message, true);
      else this.onError(err, 'delete receiver');
      this.render(true);
    }
  }

  async load() {
    try {
      const body = await this.api.get('receivers');
      this.items = sortReceivers(Array.isArray(body?.items) ? body.items : []);
      this.render();
    } catch (err) {
      this.onError(err, 'receivers');
    }
  }

  render(force = false) {
    const sig = (r) => `${JSON.stringify(r)}|${this.confirming?.name === r.name}${force ? `|${Date.now()}` : ''}`;
    renderKeyed(this.tbody, this.items, (r) => r.name, sig, (r) => this.row(r));
    this.empty.hidden = this.items.length > 0;
  }

  row(r) {
    const confirming = this.confirming?.name === r.name;
    const actions = receiverActions(r).map((action) =>
      action === 'edit'
        ? h('button', { type: 'button', className: 'ghost small', dataset: { action: 'edit' }, on: { click: () => this.edit(r) } }, 'Edit')
        : h('button', { type: 'button', className: confirming ? 'small danger' : 'ghost small', dataset: { action: confirming ? 'confirm-delete' : 'delete' }, on: { click: () => this.remove(r) } }, confirming ? 'Really delete?' : 'Delete'),
    );
    return h(
      'tr',
      { className: 'receiver-row', dataset: { receiver: r.name, type: r.type, source: r.source } },
      h('td', { className: 'series', dataset: { label: 'Name' } }, r.name),
      h('td', { dataset: { label: 'Type' } }, r.type),
      h('td', { className: 'message', dataset: { label: 'URL', role: 'url' } }, r.url),
      h('td', { dataset: { label: 'Details' } }, describeReceiver(r) || '—'),
      h('td', { dataset: { label: 'Resolved' } }, r.sendResolved ? 'yes' : 'no'),
      h('td', { dataset: { label: 'Defined in', role: 'source' } }, SOURCE_LABELS[r.source] ?? String(r.source)),
      h('td', { dataset: { label: 'Actions' } }, h('div', { className: 'actions' }, actions)),
    );
  }
}
