// Accounts in the browser: register, stay logged in across reloads, log out,
// log in, and the errors of each form shown in the page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as H from './helpers.js';

let dir, server, browser, me;

before(async () => {
  dir = H.tempDir();
  server = await H.startServer({ db: join(dir, 'parlor.db') });
  browser = await H.launchBrowser();
  me = await H.newPerson(browser, server, { name: 'carol' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  H.cleanup(dir);
});

async function fillAuth(page, username, password) {
  await page.locator('#auth-username').fill(username);
  await page.locator('#auth-password').fill(password);
  await page.locator('#auth-submit').click();
}

test('a new user registers and lands in the app', async () => {
  const p = me.page;
  await p.goto('/');
  await p.getByRole('heading', { name: 'Welcome back' }).waitFor();
  await p.locator('#auth-switch').click();
  await p.getByRole('heading', { name: 'Create your account' }).waitFor();

  // The server's refusal is shown in the form.
  await fillAuth(p, 'carol', 'short');
  // (the browser's own validation stops a too-short password first)
  assert.equal(await p.locator('#auth-password').evaluate((el) => el.validity.valid), false);

  await fillAuth(p, 'carol', H.PASSWORD);
  await p.locator('#sidebar .me-name', { hasText: 'carol' }).waitFor();
  await p.getByRole('heading', { name: 'Hi, carol' }).waitFor();
  await H.waitOnline(p);
});

test('a reload keeps the session (refresh token)', async () => {
  const p = me.page;
  const before = await p.evaluate(() => localStorage.getItem('parlor.refresh_token'));
  assert.ok(before, 'a refresh token is kept');
  await p.reload();
  await p.locator('#sidebar .me-name', { hasText: 'carol' }).waitFor();
  await H.waitOnline(p);
  const after = await p.evaluate(() => localStorage.getItem('parlor.refresh_token'));
  assert.notEqual(after, before, 'the refresh token was rotated');
  assert.equal(await p.locator('#auth-username').count(), 0);
});

test('logging out ends the session, also after a reload', async () => {
  const p = me.page;
  const token = await p.evaluate(() => localStorage.getItem('parlor.refresh_token'));
  await p.getByRole('button', { name: 'Log out' }).click();
  await p.getByRole('heading', { name: 'Welcome back' }).waitFor();
  assert.equal(await p.evaluate(() => localStorage.getItem('parlor.refresh_token')), null);
  // The server killed the token, too.
  await assert.rejects(H.rest(server, 'POST', '/api/auth/refresh', { refresh_token: token }), /401/);
  await p.reload();
  await p.getByRole('heading', { name: 'Welcome back' }).waitFor();
});

test('a wrong password is refused in the page; the right one logs in', async () => {
  const p = me.page;
  await fillAuth(p, 'carol', 'not the password');
  await p.locator('.auth-form .form-error', { hasText: /password/i }).waitFor();
  await fillAuth(p, 'carol', H.PASSWORD);
  await p.locator('#sidebar .me-name', { hasText: 'carol' }).waitFor();
  await H.waitOnline(p);
});

test('a taken username is refused in the page', async () => {
  const other = await H.newPerson(browser, server, { name: 'other' });
  const p = other.page;
  await p.goto('/');
  await p.locator('#auth-switch').click();
  await fillAuth(p, 'Carol', H.PASSWORD);
  await p.locator('.auth-form .form-error', { hasText: /taken|exists/i }).waitFor();
  await other.context.close();
  H.assertClean(me);
});
