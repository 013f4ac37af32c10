// The REST client: tokens, refresh, and errors in the server's envelope.
//
// The access token lives in memory only; the refresh token is kept in
// localStorage so a reload stays logged in. The access token is refreshed a
// minute before it expires, and once more on any 401.

const REFRESH_KEY = 'parlor.refresh_token';

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || 'error';
    this.retryAfter = retryAfter;
  }
}

/** Human text for an error: the server's message, plus a hint for 429. */
export function errorText(err) {
  if (!err) return 'Something went wrong';
  if (err instanceof ApiError) {
    let msg = err.message;
    if (err.code === 'rate_limited' && err.retryAfter) msg += ` (try again in ${err.retryAfter}s)`;
    if (err.status === 0) msg = 'Cannot reach the server. Check your connection.';
    return msg;
  }
  return err.message || String(err);
}

class Api {
  constructor() {
    this.access = null;
    this.expiresAt = 0;
    this.user = null;
    this.refreshTimer = null;
    this.refreshing = null;
    this.onLogout = () => {};
    this.onTokens = () => {};
  }

  get refreshToken() {
    try {
      return localStorage.getItem(REFRESH_KEY);
    } catch {
      return null;
    }
  }

  set refreshToken(v) {
    try {
      if (v) localStorage.setItem(REFRESH_KEY, v);
      else localStorage.removeItem(REFRESH_KEY);
    } catch {
      /* storage disabled: the session lasts until the tab closes */
    }
  }

  get loggedIn() {
    return Boolean(this.access);
  }

  /** True when the access token has at least `marginMs` left. */
  fresh(marginMs = 30000) {
    return this.access && Date.now() + marginMs < this.expiresAt;
  }

  accept(auth) {
    this.access = auth.access_token;
    this.expiresAt = Date.now() + auth.expires_in * 1000;
    this.refreshToken = auth.refresh_token;
    this.user = auth.user;
    clearTimeout(this.refreshTimer);
    const lead = Math.min(60000, (auth.expires_in * 1000) / 5);
    const wait = Math.max(5000, auth.expires_in * 1000 - lead);
    this.refreshTimer = setTimeout(() => this.refresh().catch(() => {}), wait);
    this.onTokens(auth);
    return auth.user;
  }

  async register(username, password) {
    return this.accept(await this.raw('POST', '/api/auth/register', { username, password }, false));
  }

  async login(username, password) {
    return this.accept(await this.raw('POST', '/api/auth/login', { username, password }, false));
  }

  /**
   * Trades the stored refresh token for new tokens. One refresh at a time
   * (across tabs too, with Web Locks where the browser has them). A 401 means
   * the session is over; a network error leaves it alone, to retry later.
   */
  refresh() {
    if (this.refreshing) return this.refreshing;
    const run = async () => {
      const token = this.refreshToken;
      if (!token) throw new ApiError(401, 'unauthorized', 'Not logged in');
      try {
        return this.accept(await this.raw('POST', '/api/auth/refresh', { refresh_token: token }, false));
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) {
          // Another tab may have rotated the token meanwhile: use theirs.
          const now = this.refreshToken;
          if (now && now !== token) {
            return this.accept(await this.raw('POST', '/api/auth/refresh', { refresh_token: now }, false));
          }
          this.forget();
          this.onLogout('Your session has ended. Please log in again.');
        } else if (e instanceof ApiError && e.status === 0) {
          // Offline: try again soon.
          clearTimeout(this.refreshTimer);
          this.refreshTimer = setTimeout(() => this.refresh().catch(() => {}), 5000);
        }
        throw e;
      }
    };
    const locked =
      navigator.locks && navigator.locks.request
        ? () => navigator.locks.request('parlor-refresh', run)
        : run;
    this.refreshing = locked().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  async logout() {
    const token = this.refreshToken;
    this.forget();
    if (token) {
      try {
        await this.raw('POST', '/api/auth/logout', { refresh_token: token }, false);
      } catch {
        /* the token may already be dead; we are logged out either way */
      }
    }
  }

  forget() {
    clearTimeout(this.refreshTimer);
    this.access = null;
    this.user = null;
    this.expiresAt = 0;
    this.refreshToken = null;
  }

  /** An authenticated call: refreshes first if needed, and once on 401. */
  async call(method, path, body) {
    if (!this.fresh(5000)) await this.refresh();
    try {
      return await this.raw(method, path, body, true);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        await this.refresh();
        return this.raw(method, path, body, true);
      }
      throw e;
    }
  }

  async raw(method, path, body, auth) {
    const headers = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (auth && this.access) headers.authorization = `Bearer ${this.access}`;
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'network', 'Cannot reach the server');
    }
    if (res.status === 204) return null;
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      const err = (data && data.error) || {};
      const retry = Number(res.headers.get('retry-after')) || undefined;
      throw new ApiError(res.status, err.code, err.message || `${res.status} ${res.statusText}`, retry);
    }
    return data;
  }

  get(path) {
    return this.call('GET', path);
  }
  post(path, body) {
    return this.call('POST', path, body);
  }
  patch(path, body) {
    return this.call('PATCH', path, body);
  }
  put(path, body) {
    return this.call('PUT', path, body);
  }
  del(path) {
    return this.call('DELETE', path);
  }
}

export const api = new Api();

export const enc = encodeURIComponent;
