// The right-hand panel: a room's members (with presence and roles), and the
// owner's / moderators' management panel (settings, join requests, invites,
// roles, kick and ban, delete).

import { h, icon, avatar, displayName, replace, fmtAgo } from './dom.js';
import { state, on, emit, canModerate, canAdminister, isMember } from './state.js';
import * as A from './actions.js';
import { errorText } from './api.js';
import { menu, userPicker, field, toast } from './dialogs.js';
import { inviteDialog, kickDialog } from './app-dialogs.js';
import { deleteRoomFlow } from './chat.js';

export function mountPanel(root) {
  let queued = false;
  const render = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      renderPanel(root);
    });
  };
  for (const topic of ['panel', 'route', 'members', 'requests', 'room-info', 'rooms']) on(topic, (x) => {
    // Keep the settings form stable while someone types in it.
    if (topic === 'room-info' || topic === 'rooms') {
      if (root.contains(document.activeElement) && document.activeElement.closest('.settings-form')) return;
    }
    void x;
    render();
  });
  renderPanel(root);
}

function currentRoom() {
  return state.view.kind === 'room' ? state.rooms.get(state.view.id) : null;
}

function renderPanel(root) {
  const room = currentRoom();
  const shell = document.getElementById('shell');
  if (!room || !isMember(room) || !state.panel || (state.panel === 'manage' && !canModerate(room))) {
    root.hidden = true;
    shell.classList.remove('with-panel');
    replace(root);
    return;
  }
  root.hidden = false;
  shell.classList.add('with-panel');
  const focusedId = document.activeElement && root.contains(document.activeElement) ? document.activeElement.id : null;
  const scroll = root.querySelector('.panel-scroll');
  const scrollTop = scroll ? scroll.scrollTop : 0;
  const body = state.panel === 'manage' ? managePanel(room) : membersPanel(room);
  replace(root, body);
  const ns = root.querySelector('.panel-scroll');
  if (ns) ns.scrollTop = scrollTop;
  if (focusedId) {
    const el = document.getElementById(focusedId);
    if (el) el.focus();
  }
}

function close() {
  state.panel = null;
  emit('panel');
}

function panelHead(title, sub) {
  return h('div.panel-head',
    h('div', h('h2', title), sub ? h('span.panel-sub', sub) : null),
    h('button.icon-btn', { type: 'button', 'aria-label': 'Close panel', onclick: close }, icon('x')));
}

function members(room) {
  const t = state.timelines.get('r:' + room.id);
  const order = { owner: 0, moderator: 1, member: 2 };
  return [...(t ? t.members.values() : [])].sort(
    (a, b) => order[a.role] - order[b.role] || displayName(a.user).localeCompare(displayName(b.user)),
  );
}

// ------------------------------------------------------------ members

function membersPanel(room) {
  const list = members(room);
  const online = list.filter((p) => p.online);
  const offline = list.filter((p) => !p.online);
  const requests = [...(state.requests.get(room.id) || new Map()).values()];
  return h('div.panel-inner',
    panelHead('Members', `${room.participant_count} of ${room.max_participants} · ${room.online_count} online`),
    h('div.panel-scroll',
      canModerate(room)
        ? h('div.panel-actions',
            h('button.btn.block', { type: 'button', onclick: () => inviteDialog(room) }, icon('userplus'), 'Invite people'),
          )
        : null,
      canModerate(room) && requests.length ? requestsSection(room, requests) : null,
      h('div.member-group', h('div.group-head', `Online — ${online.length}`), online.map((p) => memberRow(room, p))),
      offline.length ? h('div.member-group', h('div.group-head', `Offline — ${offline.length}`), offline.map((p) => memberRow(room, p))) : null,
      list.length ? null : h('div.panel-empty', 'Loading members…'),
    ),
  );
}

function memberRow(room, p) {
  const u = p.user;
  const items = memberActions(room, p);
  return h('div.member', { class: p.online ? 'online' : 'offline', dataset: { user: u.id } },
    h('span.member-avatar', avatar(u, 'sm'), h('span.presence-dot', { class: p.online ? 'on' : 'off', title: p.online ? 'Online' : 'Offline' })),
    h('div.member-names',
      h('span.member-name', displayName(u), u.id === state.me.id ? h('span.you', ' (you)') : null),
      h('span.member-handle', '@' + u.username)),
    p.role !== 'member' ? h('span.role-badge', { class: p.role }, p.role === 'owner' ? 'Owner' : 'Moderator') : null,
    items.length
      ? h('button.icon-btn.sm.member-menu', { type: 'button', 'aria-label': `Actions for ${displayName(u)}`, onclick: (e) => menu(e.currentTarget, items) }, icon('more'))
      : null,
  );
}

function canKick(room, p) {
  if (p.user.id === state.me.id || p.role === 'owner') return false;
  if (canAdminister(room)) return true;
  return room.role === 'moderator' && p.role === 'member';
}

function memberActions(room, p) {
  const u = p.user;
  if (u.id === state.me.id) return [];
  const items = [{ label: 'Send a message', icon: 'message', run: () => A.startDm(u) }];
  if (canAdminister(room) && p.role !== 'owner') {
    items.push(p.role === 'moderator'
      ? { label: 'Remove moderator', icon: 'shield', run: () => A.setRole(room.id, u, 'member') }
      : { label: 'Make moderator', icon: 'shield', run: () => A.setRole(room.id, u, 'moderator') });
  }
  if (canKick(room, p)) {
    items.push({ label: 'Remove from room', icon: 'leave', danger: true, run: () => kickDialog(room, u, false) });
    items.push({ label: 'Ban from room', icon: 'x', danger: true, run: () => kickDialog(room, u, true) });
  }
  return items;
}

// ------------------------------------------------------------ requests

function requestsSection(room, requests) {
  return h('section.panel-section.requests',
    h('h3', 'Join requests', h('span.badge.request', String(requests.length))),
    requests.length
      ? requests.map((r) =>
          h('div.request', { dataset: { request: r.id } },
            avatar(r.user, 'sm'),
            h('div.request-body',
              h('div.request-who', h('strong', displayName(r.user)), h('span.member-handle', ` @${r.user.username} · ${fmtAgo(r.created_at)}`)),
              r.message ? h('div.request-msg', r.message) : null,
              h('div.request-actions',
                h('button.btn.small.primary', { type: 'button', onclick: (e) => busy(e, () => A.decide(room.id, r, true)) }, 'Approve'),
                h('button.btn.small', { type: 'button', onclick: (e) => busy(e, () => A.decide(room.id, r, false)) }, 'Deny'),
              ),
            ),
          ),
        )
      : h('div.panel-empty', 'No pending requests.'),
  );
}

async function busy(e, fn) {
  const btn = e.currentTarget;
  btn.disabled = true;
  try {
    await fn();
  } finally {
    btn.disabled = false;
  }
}

// ------------------------------------------------------------ manage

function managePanel(room) {
  const requests = [...(state.requests.get(room.id) || new Map()).values()];
  const t = state.timelines.get('r:' + room.id);
  return h('div.panel-inner.manage',
    panelHead(`Manage #${room.name}`, room.role === 'owner' ? 'You own this room' : room.role === 'moderator' ? 'You moderate this room' : 'Administrator'),
    h('div.panel-scroll',
      requestsSection(room, requests),
      h('section.panel-section',
        h('h3', 'Invite people'),
        userPicker(A.searchUsers, 'Invite', (u) => A.invite(room.id, u), (u) => Boolean(t && t.members.has(u.id))),
      ),
      settingsSection(room),
      h('section.panel-section',
        h('h3', 'Members', h('span.count', String(members(room).length))),
        members(room).map((p) => manageMemberRow(room, p)),
      ),
      canAdminister(room)
        ? h('section.panel-section.danger-zone',
            h('h3', 'Danger zone'),
            h('p.hint', 'Deleting the room removes it and every message, for everyone.'),
            h('button.btn.danger', { type: 'button', onclick: () => deleteRoomFlow(room) }, icon('trash'), 'Delete room'))
        : null,
    ),
  );
}

function manageMemberRow(room, p) {
  const u = p.user;
  const me = u.id === state.me.id;
  let roleCtl;
  if (p.role === 'owner' || me || !canAdminister(room)) {
    roleCtl = h('span.role-badge', { class: p.role }, p.role === 'owner' ? 'Owner' : p.role === 'moderator' ? 'Moderator' : 'Member');
  } else {
    roleCtl = h('select.role-select', {
      'aria-label': `Role of ${displayName(u)}`,
      onchange: async (e) => {
        const sel = e.target;
        sel.disabled = true;
        const ok = await A.setRole(room.id, u, sel.value);
        if (!ok) sel.value = p.role;
        sel.disabled = false;
      },
    },
    h('option', { value: 'member', selected: p.role === 'member' }, 'Member'),
    h('option', { value: 'moderator', selected: p.role === 'moderator' }, 'Moderator'));
  }
  return h('div.manage-member', { dataset: { user: u.id } },
    h('span.member-avatar', avatar(u, 'sm'), h('span.presence-dot', { class: p.online ? 'on' : 'off' })),
    h('div.member-names', h('span.member-name', displayName(u), me ? h('span.you', ' (you)') : null), h('span.member-handle', '@' + u.username)),
    roleCtl,
    canKick(room, p)
      ? h('div.manage-member-actions',
          h('button.btn.small', { type: 'button', onclick: () => kickDialog(room, u, false) }, 'Kick'),
          h('button.btn.small.danger', { type: 'button', onclick: () => kickDialog(room, u, true) }, 'Ban'))
      : null,
  );
}

// The room whose settings were just saved: the panel is redrawn with the
// saved values right after, and keeps saying so for a few seconds.
let lastSaved = { id: null, at: 0 };

function settingsSection(room) {
  const editable = canAdminister(room);
  const err = h('div.form-error', { role: 'alert', hidden: true });
  const justSaved = lastSaved.id === room.id && Date.now() - lastSaved.at < 4000;
  const ok = h('div.form-ok', { role: 'status', hidden: !justSaved }, justSaved ? 'Saved.' : '');
  const name = h('input.input#set-name', { name: 'name', value: room.name, maxlength: 100, required: true, disabled: !editable });
  const desc = h('textarea.input#set-desc', { name: 'description', maxlength: 1000, rows: 3, disabled: !editable });
  desc.value = room.description || '';
  const limit = h('input.input#set-limit', { name: 'max_participants', type: 'number', min: 1, max: 10000, value: room.max_participants, required: true, disabled: !editable });
  const status = h('select.input#set-status', { name: 'status', disabled: !editable },
    h('option', { value: 'active', selected: room.status === 'active' }, 'Active'),
    h('option', { value: 'inactive', selected: room.status === 'inactive' }, 'Inactive (read-only)'));
  const visibility = h('select.input#set-visibility', { name: 'visibility', disabled: !editable },
    h('option', { value: 'public', selected: room.visibility === 'public' }, 'Public: anyone can join'),
    h('option', { value: 'private', selected: room.visibility === 'private' }, 'Private: by invitation'));
  const save = h('button.btn.primary', { type: 'submit', disabled: !editable }, 'Save changes');
  const form = h('form.settings-form', {
    onsubmit: async (e) => {
      e.preventDefault();
      err.hidden = true;
      ok.hidden = true;
      const patch = {};
      const n = name.value.trim();
      if (n !== room.name) patch.name = n;
      if (desc.value.trim() !== (room.description || '')) patch.description = desc.value.trim();
      const lim = Number(limit.value);
      if (lim !== room.max_participants) patch.max_participants = lim;
      if (status.value !== room.status) patch.status = status.value;
      if (visibility.value !== room.visibility) patch.visibility = visibility.value;
      if (!Object.keys(patch).length) {
        ok.textContent = 'Nothing to save.';
        ok.hidden = false;
        return;
      }
      save.disabled = true;
      try {
        lastSaved = { id: room.id, at: Date.now() };
        await A.updateRoom(room.id, patch);
        lastSaved = { id: room.id, at: Date.now() };
        ok.textContent = 'Saved.';
        ok.hidden = false;
        toast('Room settings saved', 'success');
        document.activeElement.blur();
        emit('room-info', room.id);
      } catch (x) {
        lastSaved = { id: null, at: 0 };
        err.textContent = errorText(x);
        err.hidden = false;
      } finally {
        save.disabled = false;
      }
    },
  },
  field('Name', name),
  field('Description', desc),
  field('Member limit', limit, `${room.participant_count} member${room.participant_count === 1 ? '' : 's'} now. Lowering it below that only blocks new joins.`),
  field('Status', status),
  field('Visibility', visibility),
  h('div.setting-static', icon('database'), room.persistent ? 'Persistent: every message is kept and survives restarts.' : 'Temporary: keeps recent messages only, and disappears when empty.'),
  err, ok,
  editable ? save : h('p.hint', 'Only the owner can change these settings.'));
  return h('section.panel-section', h('h3', 'Room settings'), form);
}
