// Calls to the coordinator's /api/v1. The session cookie is HttpOnly: the page never sees it; the CSRF
// token comes from the session answer and goes on every state-changing request.

let csrfToken = null;

/** An API error with the HTTP status and the server's message (and field, for bad input). */
export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field || null;
  }
}

async function errorOf(response) {
  let message = response.statusText || ('HTTP ' + response.status);
  let field = null;
  try {
    const body = await response.json();
    if (body && body.error) {
      message = body.error.message || message;
      field = body.error.field || null;
    }
  } catch (ignored) {
    // Not JSON: keep the status text.
  }
  return new ApiError(response.status, message, field);
}

async function call(method, path, body) {
  const headers = { 'Accept': 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    if (csrfToken) {
      headers['X-CSRF-Token'] = csrfToken;
    }
  }
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (!response.ok) {
    throw await errorOf(response);
  }
  if (response.status === 204) {
    return null;
  }
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : response.text();
}

export const api = {
  get: (path) => call('GET', path),
  post: (path, body) => call('POST', path, body === undefined ? {} : body),
  del: (path) => call('DELETE', path),
};

/** Signs in with a one-time token; remembers the CSRF token for this page. */
export async function signIn(token) {
  const session = await call('POST', '/api/v1/session', { token });
  csrfToken = session.csrfToken;
  return session;
}

/** The current session ({name, role, csrfToken, expiresAt}), or null when signed out or expired. */
export async function currentSession() {
  try {
    const session = await call('GET', '/api/v1/session');
    csrfToken = session.csrfToken;
    return session;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      return null;
    }
    throw e;
  }
}

export async function signOut() {
  await call('DELETE', '/api/v1/session');
  csrfToken = null;
}

/** Encodes one path segment (job and node ids come from the server, but never trust them into a URL raw). */
export function seg(value) {
  return encodeURIComponent(String(value));
}
