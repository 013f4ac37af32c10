// A tour of the main screens with a lived-in server, saved as the README's
// screenshots (docs/screenshots/*.png). It also checks that each screen
// shows what it should, so a broken screen fails here before it is pictured.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as H from './helpers.js';

let dir, server, browser, ana, ben, people = {}, rooms = {};

async function person(username, display) {
  const a = await H.register(server, username);
  await H.rest(server, 'PATCH', '/api/users/me', { display_name: display }, a.token);
  people[username] = a;
  return a;
}

const post = (who, room, text, extra = {}) =>
  H.rest(server, 'POST', `/api/rooms/${room.id}/messages`, { text, ...extra }, people[who].token);
const react = (who, room, msg, emoji) =>
  H.rest(server, 'PUT', `/api/rooms/${room.id}/messages/${msg.id}/reactions/${encodeURIComponent(emoji)}`, undefined, people[who].token);
const join_ = (who, room) => H.rest(server, 'POST', `/api/rooms/${room.id}/join`, undefined, people[who].token);

before(async () => {
  dir = H.tempDir();
  server = await H.startServer({ db: join(dir, 'parlor.db') });
  browser = await H.launchBrowser();
  await person('ana', 'Ana Souza');
  await person('ben', 'Ben Carter');
  await person('chloe', 'Chloé Martin');
  await person('devin', 'Devin Park');
  await person('emma', 'Emma Lind');

  const A = people.ana;
  rooms.design = await H.makeRoom(server, A, { name: 'design-team', description: 'Mockups, critique and coffee', persistent: true });
  rooms.general = await H.makeRoom(server, A, { name: 'general', description: 'Company-wide announcements and chatter', persistent: true });
  rooms.launch = await H.makeRoom(server, A, { name: 'launch-plan', description: 'Everything for the v2 launch', visibility: 'private', persistent: true });
  rooms.random = await H.makeRoom(server, people.ben, { name: 'random', description: 'Cats, links and lunch plans' });
  rooms.support = await H.makeRoom(server, people.chloe, { name: 'support', description: 'Customer questions, answered fast', max_participants: 12 });
  for (const u of ['ben', 'chloe', 'devin']) await join_(u, rooms.design);
  for (const u of ['ben', 'chloe', 'devin', 'emma']) await join_(u, rooms.general);
  await join_('ana', rooms.random);
  await join_('emma', rooms.random);
  for (const u of ['ben', 'chloe']) {
    await H.rest(server, 'POST', `/api/rooms/${rooms.launch.id}/invites`, { user_id: people[u].user.id }, A.token);
    await join_(u, rooms.launch);
  }

  const d = rooms.design;
  await post('ana', d, 'Morning! The new onboarding flow is up for review 🎉');
  const m2 = await post('ben', d, 'Looks great. The progress bar on step 2 feels a bit heavy though.');
  await post('ben', d, 'Maybe a thinner line, and the step names underneath?');
  const m4 = await post('chloe', d, 'Agree with Ben. Also: can we drop the "skip" link? People skip and then get lost.', { reply_to: m2.id });
  await react('ana', d, m4, '👍');
  await react('devin', d, m4, '👍');
  await react('ben', d, m4, '💯');
  const m5 = await post('ana', d, 'Good calls. I will try both and post a comparison this afternoon.');
  await react('chloe', d, m5, '🙏');
  await post('devin', d, 'Figma link for whoever wants to follow along: https://example.com/design/onboarding-v2');
  const m7 = await post('ana', d, 'Updated: thinner bar, step names below, no skip link. Thoughts?');
  await H.rest(server, 'PATCH', `/api/rooms/${d.id}/messages/${m7.id}`, { text: 'Updated: thinner bar, step names below, and no skip link. Thoughts?' }, A.token);
  await react('ben', d, m7, '🔥');
  await react('chloe', d, m7, '🔥');
  await react('devin', d, m7, '❤️');

  const g = rooms.general;
  await post('emma', g, 'Reminder: all-hands is moved to Thursday 4pm.');
  await post('devin', g, 'Thanks Emma!');
  await post('ben', g, 'Will there be cake? Asking for the whole team.');
  await post('emma', g, 'There will be cake. 🍰');
  await post('chloe', rooms.launch, 'Press kit draft is in the drive.');
  await post('emma', rooms.random, 'Anyone up for ramen at 12:30?');

  const dm = await H.rest(server, 'POST', '/api/dms', { user_id: A.user.id }, people.ben.token);
  const dmPost = (who, text) => H.rest(server, 'POST', `/api/dms/${dm.id}/messages`, { text }, people[who].token);
  await dmPost('ben', 'Hey Ana, do you have ten minutes before the review?');
  await dmPost('ana', 'Sure, call at 2?');
  await dmPost('ben', 'Perfect. I want to walk you through the mobile variant first.');
  await dmPost('ana', 'Sounds good. Send me the link when you are ready.');
  await dmPost('ben', 'Here it is: https://example.com/design/mobile');
  const dm2 = await H.rest(server, 'POST', '/api/dms', { user_id: A.user.id }, people.chloe.token);
  await H.rest(server, 'POST', `/api/dms/${dm2.id}/messages`, { text: 'Lunch today?' }, people.chloe.token);
  rooms.dm = dm;

  ana = await H.newPerson(browser, server, { name: 'ana' });
  ben = await H.newPerson(browser, server, { name: 'ben' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  H.cleanup(dir);
});

test('the login screen', async () => {
  const p = ana.page;
  await p.goto('/');
  await p.getByRole('heading', { name: 'Welcome back' }).waitFor();
  await p.locator('#auth-username').fill('ana');
  await H.shot(p, 'login');
});

test('an open room: messages, replies, reactions, typing, members', async () => {
  await H.openAs(ben, people.ben, `#/room/${rooms.design.id}`);
  await H.openAs(ana, people.ana, `#/room/${rooms.design.id}`);
  const p = ana.page;
  await H.row(p, 'Updated: thinner bar').waitFor();
  await H.row(p, 'Agree with Ben').locator('.quote', { hasText: 'progress bar' }).waitFor();
  await p.getByRole('button', { name: /^Members/ }).click();
  await p.locator('#panel .member', { hasText: 'Ben Carter' }).waitFor();
  await ben.page.locator('textarea.composer-input').pressSequentially('Love it', { delay: 5 });
  await p.locator('.typing-line', { hasText: 'Ben Carter is typing…' }).waitFor();
  await p.mouse.move(0, 0);
  await H.shot(p, 'room');
  await ben.page.locator('textarea.composer-input').fill('');
  await p.getByRole('button', { name: /^Members/ }).click();
});

test("the owner's panel with a pending join request", async () => {
  const p = ana.page;
  await p.locator(`#sidebar a.sb-item[data-room="${rooms.launch.id}"]`).click();
  await H.row(p, 'Press kit draft').waitFor();
  await H.rest(server, 'POST', `/api/rooms/${rooms.launch.id}/join-requests`, { message: 'I can help with the launch emails!' }, people.emma.token);
  await p.locator('.chat-header .badge.request', { hasText: '1' }).waitFor();
  await p.locator('.chat-header .hdr-btn[aria-label="Manage room"]').click();
  await p.locator('#panel .request', { hasText: 'Emma Lind' }).waitFor();
  await p.mouse.move(0, 0);
  await H.shot(p, 'manage');
  await p.locator('.chat-header .hdr-btn[aria-label="Manage room"]').click();
});

test('browsing rooms', async () => {
  const p = ana.page;
  await p.locator('#sidebar a.sb-item.browse').click();
  await p.locator(`.room-card[data-room="${rooms.support.id}"]`).waitFor();
  await H.shot(p, 'browse');
});

test('direct messages', async () => {
  const p = ana.page;
  await p.locator(`#sidebar a.sb-item[data-dm="${rooms.dm.id}"]`).click();
  await H.row(p, 'Here it is').waitFor();
  await H.shot(p, 'dms');
});

test('phone width', async () => {
  const phone = await H.newPerson(browser, server, { name: 'phone', viewport: { width: 390, height: 780 } });
  const p = phone.page;
  await H.openAs(phone, people.ana);
  await p.locator(`#sidebar a.sb-item[data-room="${rooms.general.id}"]`).waitFor();
  await H.shot(p, 'phone-list');
  await p.locator(`#sidebar a.sb-item[data-room="${rooms.design.id}"]`).click();
  await H.row(p, 'Updated: thinner bar').waitFor();
  await H.shot(p, 'phone-room');
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
  H.assertClean(phone);
  await phone.context.close();
  H.assertClean(ana, ben);
});
