// The dashboard's HTTP client for /api/v1. `fetch` and the key lookup are injected so the
// module has no browser globals at import time and can be tested in Node.

export const API_KEY_STORAGE_KEY = 'vigil.apiKey';

/** An API answer that was not 2xx, carrying the API's ErrorResponse fields when present. */
export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

/**
 * Query string from a plain object: undefined/null/'' skipped, arrays comma-joined (the API
 * accepts repeated or comma-separated values), empty arrays skipped. Keys in given order.
 */
export function buildQuery(params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      if (value.length === 0) continue;
      search.set(key, value.join(','));
    } else {
      search.set(key, String(value));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Path segments are ids from the API itself, but encode them anyway: a path is not a place for data. */
export function pathOf(...segments) {
  return segments.map((s) => encodeURIComponent(String(s))).join('/');
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function errorMessage(status, body) {
  if (body && typeof body === 'object' && typeof body.message === 'string') return body.message;
  if (status === 401) return 'an API key is required';
  if (status === 403) return 'this API key may not do that';
  if (status === 429) return 'too many requests; slow down';
  return `request failed with HTTP ${status}`;
}

/**
 * @param {{ baseUrl?: string, fetchImpl: typeof fetch, getApiKey?: () => string | null, timeoutMs?: number }} options
 */
export function createApiClient({ baseUrl = '/api/v1', fetchImpl, getApiKey = () => null, timeoutMs = 15_000 }) {
  async function request(method, path, { query, body } = {}) {
    const headers = { accept: 'application/json' };
    const key = getApiKey();
    if (key) headers['x-api-key'] = key;
    const init = { method, headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    // A hung API must not leave a panel "loading" forever.
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = controller ? setTimeout(() => controller.abort(), timeoutMs) : null;
    if (controller) init.signal = controller.signal;
    let response;
    try {
      response = await fetchImpl(`${baseUrl}/${path}${buildQuery(query)}`, init);
    } catch (cause) {
      const aborted = cause && cause.name === 'AbortError';
      throw new ApiError(0, aborted ? `no answer from the API within ${timeoutMs} ms` : 'the API is unreachable', null);
    } finally {
      if (timer) clearTimeout(timer);
    }
    const parsed = await readBody(response);
    if (!response.ok) throw new ApiError(response.status, errorMessage(response.status, parsed), parsed);
    return { status: response.status, body: parsed };
  }

  return {
    async get(path, query) {
      return (await request('GET', path, { query })).body;
    },
    /** POST answers carry meaning in the status (200 applied / 202 pending), so both are returned. */
    post(path, body = {}) {
      return request('POST', path, { body });
    },
    /** PUT answers say created (201) or replaced (200). */
    put(path, body = {}) {
      return request('PUT', path, { body });
    },
    async delete(path) {
      return (await request('DELETE', path)).body;
    },
  };
}

/**
 * One line for a form from a refused request: the API's message, then the other fields' details
 * (the first detail is the message itself).
 */
export function describeRefusal(err) {
  const details = Array.isArray(err?.body?.details) ? err.body.details.map((d) => d && d.message).filter(Boolean) : [];
  return [err?.message ?? String(err), ...details.slice(1)].join(' · ');
}
