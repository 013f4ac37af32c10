// Owners and the people they let in or keep out: a private room's join
// request approved live, the owner's panel, kicks, bans, and refusals
// (room full, banned) shown in the page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as H from './helpers.js';

let dir, server, browser, owner, guest, O, G, M;

before(async () => {
  dir = H.tempDir();
  server = await H.startServer({ db: join(dir, 'parlor.db') });
  browser = await H.launchBrowser();
  O = await H.register(server, 'olivia');
  G = await H.register(server, 'gus');
  M = await H.register(server, 'mia');
  owner = await H.newPerson(browser, server, { name: 'olivia' });
  guest = await H.newPerson(browser, server, { name: 'gus' });
  await H.openAs(owner, O);
  await H.openAs(guest, G);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  H.cleanup(dir);
});

let room;

test("a private room's join request is approved live, and the requester's page enters the room", async () => {
  room = await H.makeRoom(server, O, { name: 'core-team', description: 'Invite only', visibility: 'private' });
  await H.rest(server, 'POST', `/api/rooms/${room.id}/join`, undefined, M.token).catch(() => {});
  const p = owner.page;
  await p.goto(`/#/room/${room.id}`);
  await p.locator('.chat-header h1', { hasText: 'core-team' }).waitFor();
  await p.locator('.chat-header .hdr-btn[aria-label="Manage room"]').waitFor();

  // Gus opens the room's link: he sees its name and can ask to join.
  const q = guest.page;
  await q.goto(`/#/room/${room.id}`);
  await q.locator('.private-card h2', { hasText: 'core-team' }).waitFor();
  await q.locator('#join-message').fill('Hi! Ana sent me the link.');
  await q.locator('#ask-to-join').click();
  await q.locator('.request-sent', { hasText: 'Request sent' }).waitFor();

  // Olivia is told live; the manage button shows the pending request.
  await H.toastWith(p, 'gus asks to join').waitFor();
  await p.locator('.chat-header .badge.request', { hasText: '1' }).waitFor();
  await p.locator('.chat-header .hdr-btn[aria-label="Manage room"]').click();
  const req = p.locator('#panel .request', { hasText: 'gus' });
  await req.locator('.request-msg', { hasText: 'Ana sent me the link' }).waitFor();
  await req.getByRole('button', { name: 'Approve' }).click();
  await req.waitFor({ state: 'detached' });

  // Gus's page walks into the room by itself.
  await q.locator('section.chat .chat-header h1', { hasText: 'core-team' }).waitFor();
  await q.locator('textarea.composer-input').waitFor();
  await H.toastWith(q, 'was approved').waitFor();
  await q.locator(`#sidebar a.sb-item[data-room="${room.id}"]`).waitFor();
  await H.say(q, 'thanks for letting me in');
  await H.row(p, 'thanks for letting me in').waitFor();
  await p.locator('#panel .manage-member', { hasText: 'gus' }).waitFor();
});

test('the owner sees members with roles and promotes one to moderator', async () => {
  const p = owner.page;
  const gus = p.locator('#panel .manage-member', { hasText: '@gus' });
  await gus.getByLabel('Role of gus').selectOption('moderator');
  await H.toastWith(p, 'gus is now a moderator').waitFor();
  await p.locator('#panel .manage-member', { hasText: '@olivia' }).locator('.role-badge', { hasText: 'Owner' }).waitFor();
  // Back to member, so the kick below is an owner kicking a member.
  await gus.getByLabel('Role of gus').selectOption('member');
  await H.toastWith(p, 'no longer a moderator').waitFor();
});

test('the owner edits the room settings; members see them live', async () => {
  const p = owner.page;
  await p.locator('#set-desc').fill('The people who ship it');
  await p.locator('#set-limit').fill('25');
  await p.getByRole('button', { name: 'Save changes' }).click();
  await p.locator('#panel .form-ok', { hasText: 'Saved' }).waitFor();
  await guest.page.locator('.chat-topic', { hasText: 'The people who ship it' }).waitFor();
  await p.mouse.move(0, 0);
});

test('an owner kicks a member, whose page shows it', async () => {
  const p = owner.page;
  await p.locator('#panel .manage-member', { hasText: '@gus' }).getByRole('button', { name: 'Kick' }).click();
  const dlg = p.getByRole('dialog', { name: 'Remove gus' });
  await dlg.getByLabel('Reason').fill('cleaning up');
  await dlg.getByRole('button', { name: 'Remove' }).click();
  await dlg.waitFor({ state: 'detached' });
  await p.locator('#panel .manage-member', { hasText: '@gus' }).waitFor({ state: 'detached' });

  const q = guest.page;
  await q.locator('.gone-text', { hasText: 'You were removed from #core-team' }).waitFor();
  await q.locator('.gone-text', { hasText: 'cleaning up' }).waitFor();
  await q.locator(`#sidebar a.sb-item[data-room="${room.id}"]`).waitFor({ state: 'detached' });
  assert.equal(await q.locator('textarea.composer-input').count(), 0);
});

test('a ban keeps a user out, and the refusal is shown', async () => {
  const pub = await H.makeRoom(server, O, { name: 'town-square' });
  await H.rest(server, 'POST', `/api/rooms/${pub.id}/kick/${G.user.id}`, { ban: true, reason: 'spam' }, O.token);
  const q = guest.page;
  await q.goto(`/#/room/${pub.id}`);
  await q.locator('.join-bar').getByRole('button', { name: 'Join room' }).click();
  await H.toastWith(q, /banned/i).waitFor();
});

test('joining a full room shows a visible error', async () => {
  const small = await H.makeRoom(server, O, { name: 'tiny', max_participants: 2 });
  const q = guest.page;
  await q.goto(`/#/room/${small.id}`);
  await q.locator('.join-bar').waitFor();
  // Someone takes the last seat while gus looks at the room.
  await H.rest(server, 'POST', `/api/rooms/${small.id}/join`, undefined, M.token);
  await q.locator('.join-bar').getByRole('button', { name: 'Join room' }).click();
  await H.toastWith(q, /full/i).waitFor();
  assert.equal(await q.locator('textarea.composer-input').count(), 0);
});

test('an invitation is shown live and lets the invitee in', async () => {
  const p = owner.page;
  await p.goto(`/#/room/${room.id}`);
  await p.locator('.chat-header h1', { hasText: 'core-team' }).waitFor();
  await p.getByRole('button', { name: 'More' }).click();
  await p.getByRole('menuitem', { name: 'Invite people' }).click();
  const dlg = p.getByRole('dialog', { name: /Invite people/ });
  await dlg.getByLabel('Search people').fill('gu');
  await dlg.locator('.user-row', { hasText: '@gus' }).getByRole('button', { name: 'Invite' }).click();
  await H.toastWith(p, 'gus was invited').waitFor();
  await dlg.press('Escape');

  const q = guest.page;
  await H.toastWith(q, 'olivia invited you to #core-team').waitFor();
  await q.locator('#sidebar .sb-invite', { hasText: '#core-team' }).getByRole('button', { name: 'Join' }).click();
  await q.locator('section.chat .chat-header h1', { hasText: 'core-team' }).waitFor();
  await q.locator('textarea.composer-input').waitFor();
});

test('a denied request is told to the requester', async () => {
  const secret = await H.makeRoom(server, M, { name: 'secret-club', visibility: 'private' });
  const q = guest.page;
  await q.goto(`/#/room/${secret.id}`);
  await q.locator('#ask-to-join').click();
  await q.locator('.request-sent').waitFor();
  const [req] = await H.rest(server, 'GET', `/api/rooms/${secret.id}/join-requests`, undefined, M.token);
  await H.rest(server, 'POST', `/api/rooms/${secret.id}/join-requests/${req.id}/deny`, undefined, M.token);
  await H.toastWith(q, 'was declined').waitFor();
  await q.locator('#ask-to-join').waitFor();
});

test('the owner deletes a room; members are told', async () => {
  const q = guest.page;
  await q.goto(`/#/room/${room.id}`);
  await q.locator('section.chat .chat-header h1', { hasText: 'core-team' }).waitFor();
  const p = owner.page;
  // The panel is still open from before; the header button toggles it.
  if (!(await p.locator('#panel .manage').isVisible())) await p.locator('.chat-header .hdr-btn[aria-label="Manage room"]').click();
  await p.locator('#panel').getByRole('button', { name: 'Delete room' }).click();
  await p.getByRole('dialog', { name: 'Delete #core-team?' }).getByRole('button', { name: 'Delete room' }).click();
  await H.toastWith(p, 'Room deleted').waitFor();
  await q.locator('.gone-text', { hasText: 'deleted' }).waitFor();
  await q.locator(`#sidebar a.sb-item[data-room="${room.id}"]`).waitFor({ state: 'detached' });
  H.assertClean(owner, guest);
});
