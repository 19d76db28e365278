// The small prompt for an API key (and a gateway token when the gateway wants one).
import { $ } from '../lib/dom.js';

export class KeyDialog {
  /**
   * @param {{ root: Document, storage: { get(k: string): string | null, set(k: string, v: string | null): void },
   *           apiKeyName: string, tokenName: string, onSaved: () => void }} o
   */
  constructor({ root, storage, apiKeyName, tokenName, onSaved }) {
    this.dialog = $('#key-dialog', root);
    this.form = $('#key-form', root);
    this.reason = $('#key-dialog-reason', root);
    this.keyInput = $('#api-key-input', root);
    this.tokenField = $('#gateway-token-field', root);
    this.tokenInput = $('#gateway-token-input', root);
    this.storage = storage;
    this.apiKeyName = apiKeyName;
    this.tokenName = tokenName;
    this.onSaved = onSaved;
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.save();
    });
    $('#key-cancel', root).addEventListener('click', () => this.dialog.close());
    $('#key-clear', root).addEventListener('click', () => {
      this.storage.set(this.apiKeyName, null);
      this.storage.set(this.tokenName, null);
      this.keyInput.value = '';
      this.tokenInput.value = '';
      this.dialog.close();
      this.onSaved();
    });
  }

  open(reason, { gatewayToken = false } = {}) {
    if (this.dialog.open) {
      this.reason.textContent = reason;
      return;
    }
    this.reason.textContent = reason;
    this.keyInput.value = this.storage.get(this.apiKeyName) ?? '';
    this.tokenField.hidden = !gatewayToken;
    this.tokenInput.value = this.storage.get(this.tokenName) ?? '';
    this.dialog.showModal();
    this.keyInput.focus();
  }

  save() {
    // Keys are opaque; only trim the whitespace a paste brings along.
    this.storage.set(this.apiKeyName, this.keyInput.value.trim() || null);
    if (!this.tokenField.hidden) this.storage.set(this.tokenName, this.tokenInput.value.trim() || null);
    this.dialog.close();
    this.onSaved();
  }
}
