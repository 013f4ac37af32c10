// The page survives a server restart: it notices, reconnects by itself with
// backoff, resumes the open room from the last `seq` it has, and shows what
// was said meanwhile exactly once.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as H from './helpers.js';

let dir, db, server, browser, hana, H1, I, room;

before(async () => {
  dir = H.tempDir();
  db = join(dir, 'parlor.db');
  server = await H.startServer({ db });
  browser = await H.launchBrowser();
  H1 = await H.register(server, 'hana');
  I = await H.register(server, 'ivan');
  room = await H.makeRoom(server, H1, { name: 'ops', persistent: true });
  await H.rest(server, 'POST', `/api/rooms/${room.id}/join`, undefined, I.token);
  hana = await H.newPerson(browser, server, { name: 'hana' });
  await H.openAs(hana, H1, `#/room/${room.id}`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  H.cleanup(dir);
});

test('after a restart the page reconnects and shows the messages sent meanwhile exactly once', async () => {
  const p = hana.page;
  await H.say(p, 'before the restart');
  await H.rest(server, 'POST', `/api/rooms/${room.id}/messages`, { text: 'ivan was here before' }, I.token);
  await H.row(p, 'ivan was here before').waitFor();

  // Record what the page asks for when it comes back.
  const subscribes = [];
  p.on('websocket', (ws) => ws.on('framesent', (f) => {
    const frame = JSON.parse(String(f.payload));
    if (frame.type === 'subscribe') subscribes.push(frame);
  }));

  // The server goes away: the page says so.
  const bind = server.bind;
  await server.stop();
  await p.locator('#conn-banner', { hasText: /Connection lost|Reconnecting/ }).waitFor();
  // Keep the page off the network while the server comes back and ivan talks.
  await hana.context.setOffline(true);
  server = await H.startServer({ db, bind });
  const sent = [];
  for (let i = 1; i <= 3; i++) {
    const m = await H.rest(server, 'POST', `/api/rooms/${room.id}/messages`, { text: `while you were away ${i}` }, I.token);
    sent.push(m.seq);
  }
  assert.equal(await H.row(p, 'while you were away 1').count(), 0, 'the page was really offline');

  // Back online: the page reconnects by itself and catches up.
  await hana.context.setOffline(false);
  await H.waitOnline(p, 20_000);
  await p.locator('#conn-banner').waitFor({ state: 'hidden' });
  for (let i = 1; i <= 3; i++) await H.row(p, `while you were away ${i}`).waitFor();
  // Live again.
  await H.rest(server, 'POST', `/api/rooms/${room.id}/messages`, { text: 'and now live' }, I.token);
  await H.row(p, 'and now live').waitFor();
  await H.say(p, 'hana is back');
  await H.row(p, 'hana is back').waitFor();

  // It resumed the room from the last message it had.
  assert.deepEqual(subscribes.map((f) => [f.room, f.since_seq]), [[room.id, 2]]);

  // Every message exactly once, in order.
  const texts = await p.locator('.msg-list .msg-row .msg-text').allInnerTexts();
  assert.deepEqual(texts.map((t) => t.trim()), [
    'before the restart',
    'ivan was here before',
    'while you were away 1',
    'while you were away 2',
    'while you were away 3',
    'and now live',
    'hana is back',
  ]);
  const seqs = await p.locator('.msg-list .msg-row').evaluateAll((rows) => rows.map((r) => Number(r.dataset.seq)));
  assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7]);
  H.assertClean(hana);
});

test('a reload after the restart shows the same history', async () => {
  const p = hana.page;
  await p.reload();
  await H.row(p, 'hana is back').waitFor();
  assert.equal(await p.locator('.msg-list .msg-row').count(), 7);
  H.assertClean(hana);
});

test('older history loads as the reader scrolls up, without holes or repeats', async () => {
  const p = hana.page;
  for (let i = 1; i <= 110; i++) {
    await H.rest(server, 'POST', `/api/rooms/${room.id}/messages`, { text: `log line ${i}` }, I.token);
  }
  await H.row(p, 'log line 110').waitFor();
  await p.reload();
  await H.row(p, 'log line 110').waitFor();
  const intro = p.locator('.intro', { hasText: 'This is the very beginning of #ops' });
  const rows = p.locator('.msg-list .msg-row');
  const deadline = Date.now() + H.WAIT;
  let count = await rows.count();
  assert.ok(count < 117, 'only the latest page is loaded at first');
  while (!(await intro.isVisible())) {
    assert.ok(Date.now() < deadline, 'the start of the room was reached by scrolling');
    await p.locator('.scroller').evaluate((el) => { el.scrollTop = 0; });
    // Scrolling to the top is all it takes: no button to press.
    await p.waitForFunction(
      (n) => document.querySelectorAll('.msg-list .msg-row').length > n || document.querySelector('.intro'),
      count,
      { timeout: H.WAIT },
    );
    count = await rows.count();
  }
  const seqs = await p.locator('.msg-list .msg-row').evaluateAll((rows) => rows.map((r) => Number(r.dataset.seq)));
  assert.deepEqual(seqs, Array.from({ length: 117 }, (_, i) => i + 1));
  H.assertClean(hana);
});

test('the sidebar filter narrows rooms and conversations', async () => {
  const p = hana.page;
  await H.makeRoom(server, H1, { name: 'random' });
  await p.reload();
  await p.locator('#sidebar a.sb-item', { hasText: 'random' }).waitFor();
  await p.getByLabel('Filter rooms and people').fill('op');
  await p.locator('#sidebar a.sb-item', { hasText: 'random' }).waitFor({ state: 'detached' });
  await p.locator('#sidebar a.sb-item', { hasText: 'ops' }).waitFor();
  await p.getByLabel('Filter rooms and people').fill('');
  await p.locator('#sidebar a.sb-item', { hasText: 'random' }).waitFor();
});
