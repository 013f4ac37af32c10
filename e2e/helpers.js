// Shared pieces of the end-to-end tests: the real server binary on a
// temporary SQLite file, headless Chromium (Debian's package) driven by
// playwright-core, users made over the REST API, and screenshots.
//
// Environment:
//   PARLOR_BIN       the server binary (default: target/release/parlor, else target/debug/parlor)
//   CHROMIUM_PATH    the browser (default: /usr/bin/chromium)
//   PARLOR_E2E_WEB=disk  serve web/ from disk instead of the binary's embedded
//                    copy (for editing the client without rebuilding the server)
//   PARLOR_E2E_SHOTS=1   write the screenshots into docs/screenshots/ (the README's)

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const WAIT = 10_000; // the bound of every wait for something on the page

function serverBinary() {
  if (process.env.PARLOR_BIN) return process.env.PARLOR_BIN;
  for (const p of ['target/release/parlor', 'target/debug/parlor']) {
    const full = join(ROOT, p);
    if (existsSync(full)) return full;
  }
  throw new Error('no server binary: run `cargo build --release` first, or set PARLOR_BIN');
}

/** A temporary directory (for the database), removed by `cleanup()`. */
export function tempDir() {
  return mkdtempSync(join(tmpdir(), 'parlor-e2e-'));
}

/**
 * Starts the server on `bind` (default: a free port) with the SQLite file
 * `db`, and resolves once it prints `listening on http://ADDR`.
 */
export async function startServer({ db, bind = '127.0.0.1:0', env = {} } = {}) {
  const cwd = dirname(db); // no config.toml there: the defaults apply
  const child = spawn(serverBinary(), ['serve', '--bind', bind, '--database', db, '--workers', '2'], {
    cwd,
    env: { ...process.env, PARLOR_LOG: process.env.PARLOR_LOG || 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (process.env.PARLOR_E2E_VERBOSE) process.stderr.write(d);
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in 15 s:\n${stderr}`)), 15_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${stderr}`));
    });
  });
  return {
    url,
    bind: url.replace(/^http:\/\//, ''),
    child,
    get stderr() {
      return stderr;
    },
    /** SIGTERM, then waits for a clean exit (SIGKILL after 15 s). */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      // Pages fulfilled by the test itself (PARLOR_E2E_WEB=disk) have no
      // address space, so Chromium would block their loopback WebSocket.
      ...(process.env.PARLOR_E2E_WEB === 'disk' ? ['--disable-features=LocalNetworkAccessChecks'] : []),
    ],
  });
}

const TYPES = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.html': 'text/html; charset=utf-8' };

/**
 * A browser context (one person's browser) whose page fails the test on any
 * uncaught error or dialog (alert, confirm), and which records console errors.
 */
export async function newPerson(browser, server, { viewport = { width: 1280, height: 800 }, name = 'page' } = {}) {
  const context = await browser.newContext({ viewport, baseURL: server.url, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(WAIT);
  if (process.env.PARLOR_E2E_WEB === 'disk') {
    await context.route(/\/assets\/[^/]+$|\/$|\/index\.html$/, async (route) => {
      const res = await route.fetch();
      const u = new URL(route.request().url());
      const file = u.pathname.startsWith('/assets/') ? u.pathname.slice(8) : 'index.html';
      const path = join(ROOT, 'web', file);
      if (!existsSync(path)) return route.fulfill({ response: res });
      const headers = { ...res.headers(), 'content-type': TYPES[extname(file)] || 'application/octet-stream' };
      delete headers.etag;
      delete headers['content-length'];
      await route.fulfill({ status: 200, headers, body: readFileSync(path) });
    });
  }
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('dialog', async (d) => {
    problems.push(`${name}: unexpected ${d.type()} dialog: ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|WebSocket connection|ERR_CONNECTION_REFUSED/.test(m.text())) {
      problems.push(`${name}: console error: ${m.text()}`);
    }
  });
  return { context, page, problems };
}

/** Fails when any page saw an uncaught error, a dialog, or a console error. */
export function assertClean(...people) {
  const all = people.flatMap((p) => p.problems);
  if (all.length) throw new Error(all.join('\n'));
}

// ------------------------------------------------------------------ REST

export async function rest(server, method, path, body, token) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(server.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = new Error(`${method} ${path} → ${res.status} ${text}`);
    err.status = res.status;
    err.data = data;
    throw err;
  }
  return data;
}

let counter = 0;
/** A unique username with a readable prefix. */
export function uname(prefix) {
  counter += 1;
  return `${prefix}${counter}${Math.random().toString(36).slice(2, 5)}`.slice(0, 32);
}

export const PASSWORD = 'correct horse battery';

/** Registers a user over REST: `{user, access_token, refresh_token, username}`. */
export async function register(server, username, password = PASSWORD) {
  const auth = await rest(server, 'POST', '/api/auth/register', { username, password });
  return { ...auth, username, password, token: auth.access_token, url: server.url };
}

/**
 * Opens the app in `person`'s page already logged in as `auth` (the refresh
 * token is put where the client keeps it, as if they had logged in before).
 */
export async function openAs(person, auth, hash = '') {
  const { page } = person;
  // A session of its own (refresh tokens are single-use).
  const session = await rest({ url: auth.url }, 'POST', '/api/auth/login', { username: auth.username, password: auth.password });
  await page.goto('/healthz'); // same origin, without the app
  await page.evaluate((t) => localStorage.setItem('parlor.refresh_token', t), session.refresh_token);
  await page.goto('/' + hash);
  await page.locator('#sidebar .me-name').waitFor({ state: 'attached' });
  await waitOnline(page);
}

/** Waits for the page's WebSocket to be connected. */
export async function waitOnline(page, timeout = WAIT) {
  await page.locator('#sidebar .conn-dot.online').waitFor({ timeout, state: 'attached' });
}

// ------------------------------------------------------------------ screenshots

/**
 * Saves a screenshot: into docs/screenshots/ (the README's pictures) when
 * PARLOR_E2E_SHOTS=1, else into a temporary directory, so that a plain test
 * run leaves the working tree alone.
 */
export async function shot(page, name) {
  const dir = process.env.PARLOR_E2E_SHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : join(tmpdir(), 'parlor-e2e-screenshots');
  mkdirSync(dir, { recursive: true });
  // No passing toasts in the pictures; let the frame settle.
  await page.evaluate(() => document.querySelectorAll('#toasts .toast').forEach((t) => t.remove()));
  const size = page.viewportSize();
  await page.mouse.move(size.width / 2, 20); // over a title: nothing hovered
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

export function cleanup(dir) {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    /* ignore */
  }
}

// ------------------------------------------------------------------ page actions

/** Types `text` into the open chat's composer and presses Enter. */
export async function say(page, text) {
  const box = page.locator('textarea.composer-input');
  await box.fill(text);
  await box.press('Enter');
}

/** The row of the open chat whose text contains `text`. */
export function row(page, text) {
  return page.locator('.msg-list .msg-row', { has: page.locator('.msg-text', { hasText: text }) });
}

/** Opens the action toolbar of a message and clicks one of its buttons. */
export async function messageAction(page, text, label) {
  const r = row(page, text);
  await r.locator('.msg').hover();
  await r.getByRole('button', { name: label, exact: true }).click();
}

/** A toast containing `text`. */
export function toastWith(page, text) {
  return page.locator('#toasts .toast', { hasText: text });
}

/** Creates a room over REST as `auth`; returns the room. */
export async function makeRoom(server, auth, body) {
  return rest(server, 'POST', '/api/rooms', body, auth.token);
}
