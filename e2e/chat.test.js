// Two people in one room: creating it, joining it, live chat both ways,
// typing, replies, edits, deletes, reactions, unread badges, and a message
// that tries to be HTML.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as H from './helpers.js';

let dir, server, browser, alice, bob, A, B;

before(async () => {
  dir = H.tempDir();
  server = await H.startServer({ db: join(dir, 'parlor.db') });
  browser = await H.launchBrowser();
  A = await H.register(server, 'alice');
  B = await H.register(server, 'bob');
  alice = await H.newPerson(browser, server, { name: 'alice' });
  bob = await H.newPerson(browser, server, { name: 'bob' });
  await H.openAs(alice, A);
  await H.openAs(bob, B);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  H.cleanup(dir);
});

let roomId;

test('alice creates a room from the sidebar; bob finds it and joins', async () => {
  const p = alice.page;
  await p.getByRole('button', { name: 'Create a room' }).first().click();
  const dlg = p.getByRole('dialog', { name: 'Create a room' });
  await dlg.getByLabel('Name').fill('design-team');
  await dlg.getByLabel('Description').fill('Mockups, critique and coffee');
  await dlg.getByText('Keep history').click();
  await dlg.getByRole('button', { name: 'Create room' }).click();
  await dlg.waitFor({ state: 'detached' });
  await p.locator('.chat-header h1', { hasText: 'design-team' }).waitFor();
  roomId = await p.locator('section.chat').getAttribute('data-id');
  assert.ok(roomId, 'the chat view names its room');
  await p.locator(`#sidebar a.sb-item[data-room="${roomId}"]`).waitFor();
  await p.locator('.chat-header', { hasText: 'Persistent' }).waitFor();

  const q = bob.page;
  await q.locator('#sidebar a.sb-item.browse').click();
  const card = q.locator(`.room-card[data-room="${roomId}"]`);
  await card.waitFor();
  await card.locator('.count-members', { hasText: '1/50' }).waitFor();
  await card.getByRole('button', { name: 'Join' }).click();
  await q.locator('.chat-header h1', { hasText: 'design-team' }).waitFor();
  await q.locator('textarea.composer-input').waitFor();

  // Alice sees bob arrive, with the live member count.
  await p.locator('.notice', { hasText: 'bob joined the room' }).waitFor();
  await p.locator('.chat-header .hdr-count', { hasText: '2' }).waitFor();
});

test('they chat both ways, live', async () => {
  await H.say(alice.page, 'hello bob, welcome!');
  await H.row(bob.page, 'hello bob, welcome!').waitFor();
  await H.say(bob.page, 'hi alice 👋');
  await H.row(alice.page, 'hi alice 👋').waitFor();
  // Each shows exactly once on both pages.
  for (const p of [alice.page, bob.page]) {
    assert.equal(await H.row(p, 'hello bob, welcome!').count(), 1);
    assert.equal(await H.row(p, 'hi alice 👋').count(), 1);
  }
  // Bob's message in alice's page carries his name.
  await H.row(alice.page, 'hi alice 👋').locator('.author', { hasText: 'bob' }).waitFor();
});

test('the typing indicator shows while bob types, and goes when he sends', async () => {
  const box = bob.page.locator('textarea.composer-input');
  await box.pressSequentially('working on the mockups', { delay: 5 });
  await alice.page.locator('.typing-line', { hasText: 'bob is typing…' }).waitFor();
  await box.press('Enter');
  await H.row(alice.page, 'working on the mockups').waitFor();
  await alice.page.locator('.typing-line', { hasText: 'is typing' }).waitFor({ state: 'detached' });
});

test('a reply is shown as a quote of the original', async () => {
  await H.messageAction(bob.page, 'hello bob, welcome!', 'Reply');
  await bob.page.locator('.reply-bar', { hasText: 'Replying to' }).waitFor();
  await H.say(bob.page, 'thanks for having me');
  const r = H.row(alice.page, 'thanks for having me');
  await r.locator('.quote', { hasText: 'hello bob, welcome!' }).waitFor();
});

test('alice edits her own message; Esc cancels an edit', async () => {
  const p = alice.page;
  await H.say(p, 'the meeting is at 3pm');
  await H.row(bob.page, 'the meeting is at 3pm').waitFor();
  // Esc cancels without saving.
  await H.messageAction(p, 'the meeting is at 3pm', 'Edit');
  const box = p.locator('textarea.edit-box');
  await box.fill('never mind');
  await box.press('Escape');
  await box.waitFor({ state: 'detached' });
  await H.row(p, 'the meeting is at 3pm').waitFor();
  // Enter saves.
  await H.messageAction(p, 'the meeting is at 3pm', 'Edit');
  await box.fill('the meeting is at 4pm');
  await box.press('Enter');
  await box.waitFor({ state: 'detached' });
  for (const page of [p, bob.page]) {
    const r = H.row(page, 'the meeting is at 4pm');
    await r.locator('.edited').waitFor();
    assert.equal(await H.row(page, 'the meeting is at 3pm').count(), 0);
  }
  // Bob cannot edit alice's message.
  const theirs = H.row(bob.page, 'the meeting is at 4pm');
  await theirs.locator('.msg').hover();
  assert.equal(await theirs.getByRole('button', { name: 'Edit', exact: true }).count(), 0);
});

test('alice deletes her own message for everyone', async () => {
  const p = alice.page;
  await H.say(p, 'oops, wrong room');
  await H.row(bob.page, 'oops, wrong room').waitFor();
  await H.messageAction(p, 'oops, wrong room', 'Delete');
  const dlg = p.getByRole('dialog', { name: 'Delete message?' });
  await dlg.getByRole('button', { name: 'Delete' }).click();
  for (const page of [p, bob.page]) {
    await H.row(page, 'oops, wrong room').waitFor({ state: 'detached' });
    await page.locator('.msg-text.gone', { hasText: 'This message was deleted.' }).waitFor();
  }
});

test('reactions show live on both sides and toggle off', async () => {
  await H.messageAction(bob.page, 'the meeting is at 4pm', 'Add reaction');
  await bob.page.getByRole('button', { name: 'React with 👍' }).click();
  const chipA = H.row(alice.page, 'the meeting is at 4pm').locator('.reaction', { hasText: '👍' });
  await chipA.locator('.reaction-count', { hasText: '1' }).waitFor();
  // Alice adds hers by clicking the chip.
  await chipA.click();
  await chipA.locator('.reaction-count', { hasText: '2' }).waitFor();
  const chipB = H.row(bob.page, 'the meeting is at 4pm').locator('.reaction', { hasText: '👍' });
  await chipB.locator('.reaction-count', { hasText: '2' }).waitFor();
  // Bob takes his back.
  await chipB.click();
  await chipA.locator('.reaction-count', { hasText: '1' }).waitFor();
  assert.equal(await chipA.getAttribute('aria-pressed'), 'true');
});

test('a message that looks like HTML is shown as text and runs nothing', async () => {
  const evil = '<img src=x onerror=alert(1)> <script>alert(2)</script> <b>bold?</b>';
  await alice.page.evaluate(() => {
    window.__pwned = false;
  });
  await bob.page.evaluate(() => {
    window.__pwned = false;
  });
  await H.say(alice.page, evil + ' <img src=x onerror="window.__pwned=true">');
  for (const page of [alice.page, bob.page]) {
    const r = H.row(page, '<img src=x onerror=alert(1)>');
    await r.waitFor();
    const text = await r.locator('.msg-text').innerText();
    assert.ok(text.includes(evil), `shown as typed: ${text}`);
    assert.equal(await page.locator('.msg-list img, .msg-list script, .msg-list b').count(), 0, 'no element made from the text');
    assert.equal(await page.evaluate(() => window.__pwned), false);
  }
  // A hostile room name and display name are text too.
  await H.rest(server, 'PATCH', '/api/users/me', { display_name: '<i>bob</i><img src=x onerror=alert(3)>' }, B.token);
  await H.rest(server, 'PATCH', `/api/rooms/${roomId}`, { description: '<img src=x onerror=alert(4)>' }, A.token);
  await bob.page.locator('.chat-topic', { hasText: '<img src=x onerror=alert(4)>' }).waitFor();
  await H.say(bob.page, 'new name, who dis');
  await H.row(alice.page, 'new name, who dis').locator('.author', { hasText: '<i>bob</i>' }).waitFor();
  assert.equal(await alice.page.locator('.msg-list i, .msg-list img').count(), 0);
  H.assertClean(alice, bob); // no alert() dialog, no page error
});

test('unread badges count messages in rooms that are not open', async () => {
  await bob.page.locator('#sidebar a.sb-item.browse').click();
  await bob.page.locator('section.browse').waitFor();
  await H.say(alice.page, 'ping 1');
  await H.say(alice.page, 'ping 2');
  const item = bob.page.locator(`#sidebar a.sb-item[data-room="${roomId}"]`);
  await item.locator('.badge', { hasText: '2' }).waitFor();
  await item.click();
  await H.row(bob.page, 'ping 2').waitFor();
  await bob.page.locator('.unread-divider').waitFor();
  await item.locator('.badge').waitFor({ state: 'detached' });
});

test('screenshot: the room list and an open room', async () => {
  const p = alice.page;
  await H.say(bob.page, 'Sketches for the landing page are in the shared folder 🎨');
  await H.row(p, 'Sketches for the landing page').waitFor();
  await p.getByRole('button', { name: /^Members/ }).click();
  await p.locator('#panel .member').first().waitFor();
  await p.mouse.move(0, 0);
  await p.getByRole('button', { name: /^Members/ }).click();
  await p.locator('#panel').waitFor({ state: 'hidden' });
  await p.locator('#sidebar a.sb-item.browse').click();
  await p.locator('.room-card').first().waitFor();
  H.assertClean(alice, bob);
});
