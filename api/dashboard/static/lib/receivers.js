// Receivers in the dashboard: pure helpers (the PUT body from the form's fields, the form from a
// listed receiver, display text). No DOM here, so Node unit tests check them against the
// server's own validation (api/routes/receivers.ts receiverFromBody).

export const RECEIVER_TYPES = ['webhook', 'slack', 'alertmanager'];
/** Same pattern as the API's path parameter (schemas/http/receivers.ts). */
export const RECEIVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Which form fields each type sends: the PUT body has one branch per type and refuses others. */
export const TYPE_FIELDS = {
  webhook: ['url', 'secret'],
  slack: ['url', 'channel', 'username'],
  alertmanager: ['url', 'bearerToken'],
};

export const SOURCE_LABELS = { config: 'config file', api: 'API' };

const text = (v) => String(v ?? '').trim();

/**
 * `{name, body}` for PUT /receivers/{name}, or `{error}` for what the browser can tell is
 * missing. URLs, lengths and ranges are left to the API so its 400 message is what is shown.
 * `current` is the listed receiver being edited (if any): a secret, bearer token or Slack URL
 * left empty while the type stays the same keeps the one the server holds (it never shows them).
 */
export function receiverBody(fields, current) {
  const name = text(fields.name);
  if (!name) return { error: 'give the receiver a name' };
  if (!RECEIVER_NAME.test(name)) return { error: 'names are letters, digits, _ . - (max 64, starting with a letter or digit)' };
  const type = RECEIVER_TYPES.includes(fields.type) ? fields.type : null;
  if (!type) return { error: 'choose a type' };
  const keeps = Boolean(current && current.name === name && current.type === type);
  const body = { type, sendResolved: fields.sendResolved !== false };
  for (const field of TYPE_FIELDS[type]) {
    const value = text(fields[field]);
    if (value) body[field] = value;
  }
  if (!body.url && !(type === 'slack' && keeps)) return { error: type === 'slack' ? 'paste the Slack incoming-webhook URL' : 'give the URL to send to' };
  if (type === 'webhook' && !body.secret && !keeps) return { error: 'a webhook needs a signing secret (16 characters or more)' };
  const timeout = text(fields.timeoutMs);
  if (timeout) {
    const ms = Number(timeout);
    if (!Number.isInteger(ms)) return { error: 'timeout is a whole number of milliseconds' };
    body.timeoutMs = ms;
  }
  return { name, body };
}

/** The form's fields for editing a listed receiver (secrets are never listed: left empty = kept). */
export function formFromReceiver(r) {
  return {
    name: r.name,
    type: r.type,
    // A Slack URL is listed as origin + "/…" (it holds the token): the field stays empty = keep it.
    url: r.type === 'slack' ? '' : r.url,
    secret: '',
    bearerToken: '',
    channel: r.channel ?? '',
    username: r.username ?? '',
    timeoutMs: r.timeoutMs === undefined ? '' : String(r.timeoutMs),
    sendResolved: r.sendResolved !== false,
  };
}

/** Only receivers added through the API can be removed there; configured ones live in the file. */
export function receiverActions(r) {
  if (!r || !RECEIVER_TYPES.includes(r.type)) return [];
  return r.source === 'api' ? ['edit', 'delete'] : ['edit'];
}

/** "signed", "bearer token", "#oncall as vigil": what a row says about a receiver besides its URL. */
export function describeReceiver(r) {
  const parts = [];
  if (r.type === 'webhook') parts.push(r.hasSecret ? 'signed (HMAC-SHA256)' : 'no secret');
  if (r.type === 'alertmanager' && r.hasBearerToken) parts.push('bearer token');
  if (r.type === 'slack' && r.channel) parts.push(r.channel);
  if (r.type === 'slack' && r.username) parts.push(`as ${r.username}`);
  if (r.timeoutMs !== undefined) parts.push(`timeout ${r.timeoutMs} ms`);
  return parts.join(' · ');
}

/** By name, as the API lists them; malformed entries (no name) dropped. */
export function sortReceivers(items) {
  return (items ?? []).filter((r) => r && typeof r.name === 'string').sort((a, b) => a.name.localeCompare(b.name));
}
