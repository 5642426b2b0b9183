// The API, from the console's pages: same origin, the session cookie, the error envelope.
// Paths are relative to the API's root (the console lives at <root>/console/<page>), so the
// same files work locally and under API Gateway's stage prefix.

export const API_ROOT = new URL("../", window.location.href);

export class ApiError extends Error {
  constructor(status, envelope, retryAfter) {
    super(envelope.message || `The API answered ${status}.`);
    this.status = status;
    this.type = envelope.type || null;
    this.code = envelope.code || null;
    this.param = envelope.param || null;
    this.retryAfter = retryAfter;
  }

  // What it means and what to do, in words for the page.
  explain() {
    if (this.status === 402) {
      return `Out of credits: ${this.message} Ask an admin to add credits, or lower max_tokens.`;
    }
    if (this.status === 429) {
      const wait = this.retryAfter ? `${this.retryAfter} s` : "a moment";
      return `Too many requests: wait ${wait} (Retry-After) and try again. ${this.message}`;
    }
    if (this.status === 403) return `Not allowed: ${this.message}`;
    if (this.status === 401) return `Please sign in again: ${this.message}`;
    const param = this.param ? ` (${this.param})` : "";
    return `${this.message}${param}`;
  }
}

export function url(path) {
  return new URL(path.replace(/^\//, ""), API_ROOT);
}

export function toLogin() {
  const page = window.location.pathname.split("/").pop();
  window.location.assign(`login?next=${encodeURIComponent(page)}`);
}

// An ApiError from a failed response; a 401 (outside the login page) goes to the login page.
export async function errorOf(response) {
  let envelope = {};
  try {
    envelope = (await response.json()).error || {};
  } catch {
    envelope = { message: `The API answered ${response.status} ${response.statusText}.` };
  }
  const error = new ApiError(response.status, envelope, response.headers.get("retry-after"));
  if (response.status === 401 && document.body.dataset.page !== "login") toLogin();
  return error;
}

// fetch with the cookie; JSON in and out; `raw` gives the Response (streams, files).
export async function api(path, { method = "GET", body, raw = false, signal } = {}) {
  const init = { method, credentials: "same-origin", headers: {}, signal };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["content-type"] = "application/json";
  }
  const response = await fetch(url(path), init);
  if (!response.ok) throw await errorOf(response);
  if (raw) return response;
  return response.status === 204 ? null : response.json();
}

// The first route that answers, for routes that may not be deployed yet (404 or 405).
export async function firstOf(paths) {
  for (const path of paths) {
    try {
      return { path, body: await api(path) };
    } catch (error) {
      if (!(error instanceof ApiError) || ![404, 405].includes(error.status)) throw error;
    }
  }
  return { path: null, body: null };
}
