// The app's own dialogs: create a room, start a conversation, kick or ban.

import { h, displayName } from './dom.js';
import { formDialog, field, modal, userPicker } from './dialogs.js';
import { errorText } from './api.js';
import { state } from './state.js';
import * as A from './actions.js';

export function createRoomDialog() {
  const name = h('input.input', { name: 'name', required: true, maxlength: 100, placeholder: 'e.g. design-team', autofocus: true, autocomplete: 'off' });
  const desc = h('textarea.input', { name: 'description', maxlength: 1000, rows: 2, placeholder: 'What is this room about?' });
  const limit = h('input.input', { name: 'max_participants', type: 'number', min: 1, max: 10000, value: 50, required: true });
  const vis = h('div.segmented', { role: 'radiogroup', 'aria-label': 'Visibility' },
    h('label.seg', h('input', { type: 'radio', name: 'visibility', value: 'public', checked: true }), h('span', h('strong', 'Public'), h('small', 'Anyone can find and join'))),
    h('label.seg', h('input', { type: 'radio', name: 'visibility', value: 'private' }), h('span', h('strong', 'Private'), h('small', 'People ask to join or are invited'))),
  );
  const persistent = h('label.check',
    h('input', { type: 'checkbox', name: 'persistent' }),
    h('span', h('strong', 'Keep history'), h('small', 'A persistent room and all its messages survive restarts. Otherwise the room is temporary: recent messages only, gone when empty.')),
  );
  return formDialog('Create a room', [
    field('Name', name),
    field('Description', desc, 'Optional'),
    field('Member limit', limit),
    field('Visibility', vis),
    persistent,
  ], 'Create room', async (data) => {
    const body = {
      name: String(data.get('name') || '').trim(),
      description: String(data.get('description') || '').trim(),
      visibility: data.get('visibility') || 'public',
      max_participants: Number(data.get('max_participants')),
      persistent: data.get('persistent') === 'on',
    };
    try {
      return await A.createRoom(body);
    } catch (e) {
      throw new Error(errorText(e));
    }
  });
}

export function newDmDialog() {
  return modal('New message', (close) =>
    h('div.modal-body',
      h('p.modal-text', 'Start a private conversation with someone.'),
      userPicker(A.searchUsers, 'Message', async (u) => {
        const c = await A.startDm(u);
        if (c) close(c);
        return Boolean(c);
      }),
    ),
  );
}

export function inviteDialog(room) {
  const t = state.timelines.get('r:' + room.id);
  return modal(`Invite people to #${room.name}`, () =>
    h('div.modal-body',
      h('p.modal-text', 'They will be told right away and can join with one click.'),
      userPicker(A.searchUsers, 'Invite', (u) => A.invite(room.id, u), (u) => Boolean(t && t.members.has(u.id))),
    ),
  );
}

export function kickDialog(room, user, ban) {
  const reason = h('input.input', { name: 'reason', maxlength: 200, placeholder: 'Optional, shown to them', autocomplete: 'off' });
  const banBox = h('input', { type: 'checkbox', name: 'ban', checked: ban });
  return formDialog(
    ban ? `Ban ${displayName(user)}` : `Remove ${displayName(user)}`,
    [
      h('p.modal-text', ban
        ? `${displayName(user)} will be removed from #${room.name} and cannot come back.`
        : `${displayName(user)} will be removed from #${room.name}. They can join again unless you also ban them.`),
      field('Reason', reason),
      h('label.check', banBox, h('span', h('strong', 'Ban'), h('small', 'Keep them from rejoining'))),
    ],
    ban ? 'Ban' : 'Remove',
    async (data) => {
      return A.kick(room.id, user, { ban: data.get('ban') === 'on', reason: String(data.get('reason') || '').trim(), quiet: true });
    },
  );
}
