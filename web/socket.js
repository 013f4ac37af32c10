// The one WebSocket: connects with a fresh access token, answers requests
// by `ref`, watches liveness, and reconnects by itself with exponential
// backoff (0.5 s doubling to 15 s, with jitter) whenever the connection drops.

import { api, ApiError } from './api.js';

const PING_EVERY = 20000;
const SILENCE_LIMIT = 45000;
const REQUEST_TIMEOUT = 15000;

export class Socket {
  constructor() {
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.pinger = null;
    this.lastRx = 0;
    this.nextRef = 1;
    this.pending = new Map();
    this.stopped = true;
    this.status = 'offline';
    this.retryAt = 0;
    this.handlers = { event: [], status: [], open: [] };
    window.addEventListener('online', () => this.retryNow());
  }

  on(kind, fn) {
    this.handlers[kind].push(fn);
  }

  emit(kind, arg) {
    for (const fn of this.handlers[kind]) {
      try {
        fn(arg);
      } catch (e) {
        console.error(e);
      }
    }
  }

  setStatus(status) {
    this.status = status;
    this.emit('status', status);
  }

  get isOpen() {
    return this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  start() {
    this.stopped = false;
    this.attempt = 0;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = null;
      try {
        ws.close(1000, 'bye');
      } catch {
        /* already closed */
      }
    }
    this.failPending();
    this.setStatus('offline');
  }

  retryNow() {
    if (this.stopped || this.isOpen || (this.ws && this.ws.readyState === WebSocket.CONNECTING)) return;
    clearTimeout(this.timer);
    this.connect();
  }

  async connect() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.setStatus(this.attempt === 0 ? 'connecting' : 'reconnecting');
    try {
      // A reconnect after a failed attempt might be failing on an expired
      // token (the browser hides the 401), so get a new one.
      if (!api.fresh(60000) || this.attempt >= 2) await api.refresh();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        this.stop();
        return;
      }
      this.scheduleRetry();
      return;
    }
    if (this.stopped) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}/ws?token=${encodeURIComponent(api.access)}`;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.lastRx = Date.now();
      clearInterval(this.pinger);
      this.pinger = setInterval(() => this.checkAlive(), PING_EVERY / 2);
      this.setStatus('online');
      this.emit('open');
    };
    ws.onmessage = (ev) => {
      this.lastRx = Date.now();
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      this.dispatch(frame);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.pinger);
      this.failPending();
      if (this.stopped) return;
      if (!opened) this.attempt += 1;
      this.closeCode = ev.code;
      this.scheduleRetry();
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  scheduleRetry() {
    if (this.stopped) return;
    const base = Math.min(15000, 500 * 2 ** Math.min(this.attempt, 5));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.retryAt = Date.now() + delay;
    this.attempt = Math.max(this.attempt, 1);
    this.setStatus('reconnecting');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  checkAlive() {
    if (!this.isOpen) return;
    if (Date.now() - this.lastRx > SILENCE_LIMIT) {
      // Half-open connection: drop it and reconnect.
      try {
        this.ws.close(4001, 'silent');
      } catch {
        /* ignore */
      }
      const ws = this.ws;
      this.ws = null;
      if (ws) ws.onclose = null;
      this.failPending();
      this.scheduleRetry();
      return;
    }
    if (Date.now() - this.lastRx > PING_EVERY) this.send({ type: 'ping' });
  }

  dispatch(frame) {
    const ref = frame.ref;
    if (ref && this.pending.has(ref) && ['ack', 'subscribed', 'error', 'pong'].includes(frame.type)) {
      const p = this.pending.get(ref);
      this.pending.delete(ref);
      clearTimeout(p.timer);
      if (frame.type === 'error') p.reject(new ApiError(-1, frame.code, frame.message));
      else p.resolve(frame);
      if (frame.type === 'pong') return;
    }
    this.emit('event', frame);
  }

  /** Sends a frame; false when the socket is not open. */
  send(frame) {
    if (!this.isOpen) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Sends a frame with a fresh `ref` and resolves with the reply to it. */
  request(frame, timeout = REQUEST_TIMEOUT) {
    return new Promise((resolve, reject) => {
      const ref = `c${this.nextRef++}`;
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new ApiError(0, 'timeout', 'The server did not answer in time'));
      }, timeout);
      this.pending.set(ref, { resolve, reject, timer });
      if (!this.send({ ...frame, ref })) {
        clearTimeout(timer);
        this.pending.delete(ref);
        reject(new ApiError(0, 'offline', 'Not connected to the server'));
      }
    });
  }

  failPending() {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new ApiError(0, 'offline', 'The connection was lost'));
    }
    this.pending.clear();
  }
}

export const socket = new Socket();
