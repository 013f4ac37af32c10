// The left sidebar: brand, filter, rooms, invitations, DMs, and me.

import { h, icon, avatar, displayName, replace, fmtAgo } from './dom.js';
import { state, on, isMember } from './state.js';
import * as A from './actions.js';
import { createRoomDialog, newDmDialog } from './app-dialogs.js';
import { menu } from './dialogs.js';

let filter = '';

export function mountSidebar(root) {
  const render = () => renderSidebar(root);
  let queued = false;
  const soon = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      render();
    });
  };
  for (const topic of ['rooms', 'dms', 'requests', 'route', 'connection', 'me']) on(topic, soon);
  render();
}

function renderSidebar(root) {
  const f = filter.toLowerCase();
  const match = (...xs) => !f || xs.some((x) => (x || '').toLowerCase().includes(f));

  const rooms = [...state.rooms.values()]
    .filter((r) => isMember(r) && match(r.name, r.description))
    .sort((a, b) => a.name.localeCompare(b.name));
  const dms = [...state.dms.values()]
    .filter((c) => match(c.peer && c.peer.username, c.peer && c.peer.display_name))
    .sort((a, b) => lastAt(b).localeCompare(lastAt(a)));
  const invites = [...state.invites.values()].filter((i) => !isMember(state.rooms.get(i.info.id)));

  const view = state.view;
  const filterInput = root.querySelector('.sb-filter input');
  const hadFocus = filterInput && document.activeElement === filterInput;

  const header = h('div.sb-header',
    h('div.brand', h('span.brand-mark', 'P'), h('span.brand-name', 'Parlor')),
    h('span.conn-dot', { class: state.connection, title: connectionText(), 'aria-label': connectionText() }),
  );

  const input = h('input', {
    type: 'search',
    placeholder: 'Filter rooms and people',
    'aria-label': 'Filter rooms and people',
    value: filter,
    oninput: (e) => {
      filter = e.target.value;
      renderSidebar(root);
    },
  });
  const search = h('div.sb-filter', icon('search'), input);

  const nav = h('nav.sb-scroll', { 'aria-label': 'Rooms and conversations' },
    h('a.sb-item.browse', { href: '#/browse', class: view.kind === 'browse' ? 'active' : '' }, icon('compass'), h('span.sb-name', 'Browse rooms')),
    invites.length
      ? h('div.sb-section',
          h('div.sb-section-head', h('span', 'Invitations')),
          invites.map((i) =>
            h('div.sb-invite',
              h('div.sb-invite-text', h('strong', '#' + i.info.name), h('span', ` from ${displayName(i.by)}`)),
              h('div.sb-invite-actions',
                h('button.btn.small.primary', { type: 'button', onclick: () => A.acceptInvite(i.info.id) }, 'Join'),
                h('button.btn.small', { type: 'button', onclick: () => A.dismissInvite(i.info.id) }, 'Dismiss'),
              ),
            ),
          ),
        )
      : null,
    h('div.sb-section',
      h('div.sb-section-head',
        h('span', 'Rooms'),
        h('button.icon-btn.sm', { type: 'button', title: 'Create a room', 'aria-label': 'Create a room', onclick: () => createRoomDialog() }, icon('plus')),
      ),
      rooms.length
        ? rooms.map((r) => roomItem(r, view))
        : h('div.sb-empty', f ? 'No room matches.' : 'You are not in any room yet. Browse or create one.'),
    ),
    h('div.sb-section',
      h('div.sb-section-head',
        h('span', 'Direct messages'),
        h('button.icon-btn.sm', { type: 'button', title: 'New message', 'aria-label': 'New direct message', onclick: () => newDmDialog() }, icon('plus')),
      ),
      state.dmError ? h('div.sb-empty.error', state.dmError) : null,
      dms.length
        ? dms.map((c) => dmItem(c, view))
        : !state.dmError && h('div.sb-empty', f ? 'Nobody matches.' : 'No conversations yet.'),
    ),
  );

  const me = state.me;
  const footer = h('div.sb-footer',
    h('div.me-avatar', avatar(me), h('span.presence-dot', { class: state.connection === 'online' ? 'on' : 'off' })),
    h('div.me-names', h('span.me-name', displayName(me)), h('span.me-status', connectionText())),
    h('button.icon-btn', {
      type: 'button',
      title: 'Account',
      'aria-label': 'Account menu',
      onclick: (e) =>
        menu(e.currentTarget, [
          { label: `Signed in as @${me.username}`, icon: 'users', run: () => {} },
          { label: 'Log out', icon: 'logout', danger: true, run: () => A.logout() },
        ]),
    }, icon('more')),
    h('button.icon-btn.logout', { type: 'button', title: 'Log out', 'aria-label': 'Log out', onclick: () => A.logout() }, icon('logout')),
  );

  replace(root, header, search, nav, footer);
  if (hadFocus) {
    const i = root.querySelector('.sb-filter input');
    i.focus();
    i.setSelectionRange(i.value.length, i.value.length);
  }
}

function roomItem(r, view) {
  const active = view.kind === 'room' && view.id === r.id;
  const requests = state.requests.get(r.id);
  const pending = requests ? requests.size : 0;
  return h('a.sb-item', {
    href: `#/room/${r.id}`,
    class: [active ? 'active' : '', r.unread ? 'unread' : '', r.status === 'inactive' ? 'inactive' : ''].join(' '),
    title: `${r.name} · ${r.participant_count}/${r.max_participants} members · ${r.online_count} online`,
    dataset: { room: r.id },
  },
    icon(r.visibility === 'private' ? 'lock' : 'hash', 'sb-icon'),
    h('span.sb-name', r.name),
    pending ? h('span.badge.request', { title: `${pending} join request(s)` }, `${pending}`) : null,
    r.unread ? h('span.badge', { 'aria-label': `${r.unread} unread` }, r.unread > 99 ? '99+' : String(r.unread)) : null,
  );
}

function dmItem(c, view) {
  const active = view.kind === 'dm' && view.id === c.id;
  const last = c.last_message;
  return h('a.sb-item.dm', {
    href: `#/dm/${c.id}`,
    class: [active ? 'active' : '', c.unread ? 'unread' : ''].join(' '),
    dataset: { dm: c.id },
  },
    avatar(c.peer, 'xs'),
    h('span.sb-name', displayName(c.peer)),
    last && !c.unread ? h('span.sb-time', fmtAgo(last.created_at)) : null,
    c.unread ? h('span.badge', String(c.unread)) : null,
  );
}

function lastAt(c) {
  return (c.last_message && c.last_message.created_at) || '';
}

function connectionText() {
  switch (state.connection) {
    case 'online':
      return 'Online';
    case 'connecting':
      return 'Connecting…';
    case 'reconnecting':
      return 'Reconnecting…';
    default:
      return 'Offline';
  }
}
