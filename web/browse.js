// "Browse rooms": every room the server lists, with live counts, filters and
// the right button for each (open, join, ask to join).

import { h, icon, replace, clear } from './dom.js';
import { state, on, isMember } from './state.js';
import { api, enc } from './api.js';
import * as A from './actions.js';
import { createRoomDialog } from './app-dialogs.js';

export class BrowseView {
  constructor() {
    this.q = '';
    this.status = '';
    this.offs = [];
    this.rooms = null;
    this.error = null;
  }

  mount(main) {
    this.input = h('input.input', {
      type: 'search',
      placeholder: 'Search rooms by name or description',
      'aria-label': 'Search rooms',
      oninput: () => {
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => {
          this.q = this.input.value.trim();
          this.load();
        }, 250);
      },
    });
    this.select = h('select.input.status-filter', {
      'aria-label': 'Status',
      onchange: () => {
        this.status = this.select.value;
        this.load();
      },
    }, h('option', { value: '' }, 'All rooms'), h('option', { value: 'active' }, 'Active'), h('option', { value: 'inactive' }, 'Inactive'));
    this.grid = h('div.room-grid', { role: 'list' });
    this.summary = h('div.browse-summary');
    const el = h('section.browse',
      h('header.chat-header',
        h('button.icon-btn.back', { type: 'button', 'aria-label': 'Back', onclick: () => A.goHome() }, icon('back')),
        h('div.chat-title', h('span.room-icon', icon('compass')), h('div.chat-title-text', h('h1', 'Browse rooms'), h('span.chat-topic', 'Public rooms, and the private rooms you belong to'))),
        h('div.hdr-actions', h('button.btn.primary', { type: 'button', onclick: () => createRoomDialog() }, icon('plus'), 'Create room')),
      ),
      h('div.browse-body',
        h('div.browse-toolbar', h('div.search-box', icon('search'), this.input), this.select),
        this.summary,
        this.grid,
      ),
    );
    replace(main, el);
    this.offs.push(on('rooms', () => this.render()));
    this.load();
    // Counts change as people come and go: keep them fresh while open.
    this.timer = setInterval(() => this.load(true), 10000);
  }

  destroy() {
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    for (const off of this.offs) off();
  }

  async load(quiet) {
    const params = new URLSearchParams();
    if (this.q) params.set('q', this.q);
    if (this.status) params.set('status', this.status);
    const mine = (this.loadSeq = (this.loadSeq || 0) + 1);
    try {
      const list = await api.get(`/api/rooms${params.toString() ? '?' + params : ''}`);
      if (mine !== this.loadSeq) return;
      for (const r of list) {
        const old = state.rooms.get(r.id);
        const merged = { ...(old || {}), ...r };
        if (r.role === undefined) {
          delete merged.role;
          delete merged.unread;
        }
        state.rooms.set(r.id, merged);
      }
      this.ids = list.map((r) => r.id);
      this.error = null;
    } catch (e) {
      if (mine !== this.loadSeq) return;
      this.error = e;
      if (!quiet) A.fail(e, 'Could not list rooms');
    }
    this.render();
  }

  render() {
    if (!this.grid) return;
    if (this.error && !this.ids) {
      replace(this.grid, h('div.empty-state.error', this.error.message));
      return;
    }
    if (!this.ids) {
      replace(this.grid, h('div.loader', h('span.spinner'), 'Loading rooms…'));
      return;
    }
    const rooms = this.ids.map((id) => state.rooms.get(id)).filter(Boolean);
    this.summary.textContent = `${rooms.length} room${rooms.length === 1 ? '' : 's'}`;
    clear(this.grid);
    if (!rooms.length) {
      this.grid.appendChild(h('div.empty-state', this.q ? 'No room matches your search.' : 'No rooms yet. Create the first one!'));
      return;
    }
    for (const r of rooms) this.grid.appendChild(card(r));
  }
}

function card(r) {
  const member = isMember(r);
  const full = r.participant_count >= r.max_participants;
  let action;
  if (member) action = h('button.btn', { type: 'button', onclick: () => A.openRoom(r.id) }, 'Open');
  else if (r.status === 'inactive') action = h('button.btn', { type: 'button', disabled: true }, 'Inactive');
  else if (r.visibility === 'private') {
    action = state.asked.has(r.id)
      ? h('button.btn', { type: 'button', disabled: true }, 'Requested')
      : h('button.btn', { type: 'button', onclick: () => A.openRoom(r.id) }, 'Ask to join');
  } else if (full) action = h('button.btn', { type: 'button', disabled: true, title: 'This room is full' }, 'Full');
  else {
    action = h('button.btn.primary', {
      type: 'button',
      onclick: async (e) => {
        e.currentTarget.disabled = true;
        if (await A.joinRoom(r.id)) A.openRoom(r.id);
        else e.target.disabled = false;
      },
    }, 'Join');
  }
  return h('article.room-card', { role: 'listitem', class: r.status === 'inactive' ? 'inactive' : '', dataset: { room: r.id } },
    h('div.room-card-head',
      h('span.room-icon', icon(r.visibility === 'private' ? 'lock' : 'hash')),
      h('a.room-card-name', { href: `#/room/${enc(r.id)}` }, r.name),
      r.unread ? h('span.badge', String(r.unread)) : null,
    ),
    h('p.room-card-desc', r.description || 'No description.'),
    h('div.room-card-tags',
      r.visibility === 'private' ? h('span.pill', 'Private') : h('span.pill', 'Public'),
      r.status === 'inactive' ? h('span.pill.warn', 'Inactive') : null,
      h('span.pill', r.persistent ? 'Persistent' : 'Temporary'),
      member ? h('span.pill.ok', r.role === 'owner' ? 'Owner' : r.role === 'moderator' ? 'Moderator' : 'Member') : null,
    ),
    h('div.room-card-foot',
      h('span.room-card-counts', { title: 'members / limit · online' },
        icon('users'), h('span.count-members', `${r.participant_count}/${r.max_participants}`),
        h('span.online-dot'), h('span.count-online', `${r.online_count} online`)),
      action,
    ),
  );
}
