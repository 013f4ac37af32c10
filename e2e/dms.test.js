// Direct messages: starting one from a name, live delivery both ways, the
// list of conversations with unread counts; and the layout at phone width.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as H from './helpers.js';

let dir, server, browser, dana, eli, D, E, room;

before(async () => {
  dir = H.tempDir();
  server = await H.startServer({ db: join(dir, 'parlor.db') });
  browser = await H.launchBrowser();
  D = await H.register(server, 'dana');
  E = await H.register(server, 'eli');
  room = await H.makeRoom(server, D, { name: 'general', description: 'Everything else' });
  await H.rest(server, 'POST', `/api/rooms/${room.id}/join`, undefined, E.token);
  await H.rest(server, 'POST', `/api/rooms/${room.id}/messages`, { text: 'morning all' }, E.token);
  dana = await H.newPerson(browser, server, { name: 'dana' });
  eli = await H.newPerson(browser, server, { name: 'eli' });
  await H.openAs(dana, D, `#/room/${room.id}`);
  await H.openAs(eli, E);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  H.cleanup(dir);
});

let convId;

test("dana starts a conversation from eli's name and they talk live", async () => {
  const p = dana.page;
  await H.row(p, 'morning all').locator('.author', { hasText: 'eli' }).click();
  await p.getByRole('menuitem', { name: 'Message @eli' }).click();
  await p.locator('section.chat[data-kind="dm"] .chat-header h1', { hasText: 'eli' }).waitFor();
  convId = await p.locator('section.chat').getAttribute('data-id');
  await H.say(p, 'hey, got a minute?');
  await H.row(p, 'hey, got a minute?').waitFor();

  // Eli's list shows the conversation with one unread message.
  const q = eli.page;
  const item = q.locator(`#sidebar a.sb-item[data-dm="${convId}"]`);
  await item.locator('.badge', { hasText: '1' }).waitFor();
  await item.click();
  await H.row(q, 'hey, got a minute?').waitFor();
  await item.locator('.badge').waitFor({ state: 'detached' });
  await H.say(q, 'sure, what is up?');
  await H.row(p, 'sure, what is up?').waitFor();
  assert.equal(await H.row(p, 'sure, what is up?').count(), 1);
  assert.equal(await H.row(q, 'sure, what is up?').count(), 1);
});

test('a DM arriving while another view is open counts as unread, and the page title says so', async () => {
  const q = eli.page;
  await q.locator('#sidebar a.sb-item.browse').click();
  await q.locator('section.browse').waitFor();
  await H.say(dana.page, 'can you review my PR?');
  await H.say(dana.page, 'it is the small one');
  const item = q.locator(`#sidebar a.sb-item[data-dm="${convId}"]`);
  await item.locator('.badge', { hasText: '2' }).waitFor();
  await q.waitForFunction(() => document.title.startsWith('(2)'), null, { timeout: H.WAIT });
  await item.click();
  await H.row(q, 'it is the small one').waitFor();
  await q.waitForFunction(() => !document.title.startsWith('('), null, { timeout: H.WAIT });
});

test('a conversation can also be started from the "new message" dialog', async () => {
  const F = await H.register(server, 'fay');
  const p = dana.page;
  await p.getByRole('button', { name: 'New direct message' }).click();
  const dlg = p.getByRole('dialog', { name: 'New message' });
  await dlg.getByLabel('Search people').fill('fa');
  await dlg.locator('.user-row', { hasText: '@fay' }).getByRole('button', { name: 'Message' }).click();
  await p.locator('section.chat[data-kind="dm"] .chat-header h1', { hasText: 'fay' }).waitFor();
  await H.say(p, 'welcome aboard, fay');
  const list = await H.rest(server, 'GET', '/api/dms', undefined, F.token);
  assert.equal(list.length, 1);
  assert.equal(list[0].last_message.text, 'welcome aboard, fay');
  await p.locator(`#sidebar a.sb-item[data-dm="${convId}"]`).click();
  await H.row(p, 'it is the small one').waitFor();
  H.assertClean(dana, eli);
});

test('at phone width the list and the chat take the whole screen in turn', async () => {
  const phone = await H.newPerson(browser, server, { name: 'phone', viewport: { width: 390, height: 780 } });
  const p = phone.page;
  await H.openAs(phone, E);
  // Home: the list of rooms and conversations.
  await p.locator('#sidebar').waitFor();
  assert.equal(await p.locator('#view').isVisible(), false);
  await p.locator(`#sidebar a.sb-item[data-room="${room.id}"]`).click();
  await H.row(p, 'morning all').waitFor();
  assert.equal(await p.locator('#sidebar').isVisible(), false);
  // Nothing sticks out sideways.
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
  await H.say(p, 'sent from my phone');
  await H.row(p, 'sent from my phone').waitFor(); // in the list: the server has it
  await p.getByRole('button', { name: 'Back' }).click();
  await p.locator('#sidebar').waitFor();
  H.assertClean(phone);
  await phone.context.close();
});
