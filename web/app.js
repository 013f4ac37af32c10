// Parlor's web client: boot, login, the shell, routing, and the socket.

import { h, icon, avatar, displayName, replace, clear } from './dom.js';
import { api, enc, errorText, ApiError } from './api.js';
import { socket } from './socket.js';
import { state, on, emit, reset, upsertRoom, isMember } from './state.js';
import * as A from './actions.js';
import { mountSidebar } from './sidebar.js';
import { ChatView } from './chat.js';
import { BrowseView } from './browse.js';
import { mountPanel } from './manage.js';
import { createRoomDialog, newDmDialog } from './app-dialogs.js';
import { toast } from './dialogs.js';

const app = document.getElementById('app');
let current = null; // the view in #view
let shellMounted = false;

// ---------------------------------------------------------------- boot

async function boot() {
  api.onLogout = (why) => {
    socket.stop();
    showAuth(why);
  };
  if (api.refreshToken) {
    showSplash();
    try {
      await api.refresh();
      return enter();
    } catch (e) {
      if (e instanceof ApiError && e.status === 0) {
        // Server unreachable: keep the session and try again.
        showSplash('Cannot reach the server. Retrying…');
        setTimeout(boot, 3000);
        return;
      }
      api.forget();
    }
  }
  showAuth();
}

function showSplash(text = 'Loading…') {
  shellMounted = false;
  replace(app, h('div.splash', h('div.brand.big', h('span.brand-mark', 'P'), h('span.brand-name', 'Parlor')), h('div.loader', h('span.spinner'), text)));
}

// ---------------------------------------------------------------- auth

function showAuth(message) {
  if (current) current.destroy();
  current = null;
  shellMounted = false;
  reset();
  document.title = 'Parlor';
  let mode = 'login';
  const err = h('div.form-error', { role: 'alert', hidden: !message }, message || '');
  const title = h('h1');
  const sub = h('p.auth-sub');
  const username = h('input.input#auth-username', { name: 'username', autocomplete: 'username', required: true, minlength: 3, maxlength: 32, autofocus: true, spellcheck: 'false', autocapitalize: 'off' });
  const password = h('input.input#auth-password', { name: 'password', type: 'password', required: true, minlength: 8, maxlength: 1024 });
  const hint = h('span.field-hint');
  const submit = h('button.btn.primary.block#auth-submit', { type: 'submit' });
  const switchText = h('span');
  const switchBtn = h('button.link#auth-switch', { type: 'button', onclick: () => setMode(mode === 'login' ? 'register' : 'login') });
  function setMode(m) {
    mode = m;
    title.textContent = m === 'login' ? 'Welcome back' : 'Create your account';
    sub.textContent = m === 'login' ? 'Log in to pick up where you left off.' : 'It takes ten seconds. No email needed.';
    submit.textContent = m === 'login' ? 'Log in' : 'Create account';
    switchText.textContent = m === 'login' ? 'New here? ' : 'Already have an account? ';
    switchBtn.textContent = m === 'login' ? 'Create an account' : 'Log in';
    password.autocomplete = m === 'login' ? 'current-password' : 'new-password';
    hint.textContent = m === 'login' ? '' : 'At least 8 characters.';
    err.hidden = true;
  }
  setMode('login');
  const form = h('form.auth-form', {
    onsubmit: async (e) => {
      e.preventDefault();
      err.hidden = true;
      submit.disabled = true;
      try {
        if (mode === 'login') await api.login(username.value.trim(), password.value);
        else await api.register(username.value.trim(), password.value);
        await enter();
      } catch (x) {
        err.textContent = errorText(x);
        err.hidden = false;
        password.select();
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('label.field', h('span.field-label', 'Username'), username),
  h('label.field', h('span.field-label', 'Password'), password, hint),
  err,
  submit,
  h('p.auth-switch', switchText, switchBtn));

  replace(app, h('div.auth',
    h('div.auth-hero',
      h('div.brand.big', h('span.brand-mark', 'P'), h('span.brand-name', 'Parlor')),
      h('h2', 'Rooms for your people.'),
      h('p', 'Self-hosted chat that feels instant: live rooms, private spaces, direct messages — on your own server.'),
      h('ul.hero-points',
        h('li', icon('message'), 'Live rooms with typing, presence and reactions'),
        h('li', icon('lock'), 'Private rooms by invitation or request'),
        h('li', icon('database'), 'Persistent history, or rooms that vanish'),
      ),
    ),
    h('div.auth-panel', h('div.auth-card', title, sub, form)),
  ));
  setTimeout(() => username.focus(), 0);
}

// ---------------------------------------------------------------- shell

async function enter() {
  lastRefresh = Date.now();
  state.me = api.user;
  if (!state.me) state.me = await api.get('/api/users/me');
  mountShell();
  await A.refreshAll();
  socket.start();
  route();
}

function mountShell() {
  if (shellMounted) return;
  shellMounted = true;
  const sidebar = h('aside#sidebar.sidebar');
  const banner = h('div#conn-banner.conn-banner', { hidden: true, role: 'status' });
  const view = h('div#view.view');
  const main = h('main#main.main', banner, view);
  const panel = h('aside#panel.panel', { hidden: true, 'aria-label': 'Room details' });
  const shell = h('div#shell.shell', sidebar, main, panel);
  replace(app, shell);
  mountSidebar(sidebar);
  mountPanel(panel);
  renderBanner();
}

let socketOpenedOnce = false;
let lastRefresh = Date.now();

socket.on('open', async () => {
  const reconnect = socketOpenedOnce;
  socketOpenedOnce = true;
  if (reconnect || Date.now() - lastRefresh > 5000) {
    lastRefresh = Date.now();
    await A.refreshAll();
    // A conversation on screen catches up by itself: resume it too.
    if (state.view.kind === 'dm') {
      const t = state.timelines.get('d:' + state.view.id);
      if (t && t.loaded) A.fillAfter(t, t.maxSeq).catch(() => {});
    }
  }
  A.subscribeAll();
  if (reconnect) toast('Reconnected', 'success');
});

socket.on('status', (s) => {
  state.connection = s;
  emit('connection');
  renderBanner();
});

socket.on('event', (f) => A.handleEvent(f));

let bannerTimer = null;
function renderBanner() {
  const el = document.getElementById('conn-banner');
  if (!el) return;
  clearInterval(bannerTimer);
  if (state.connection === 'online' || state.connection === 'offline') {
    el.hidden = true;
    clear(el);
    return;
  }
  const draw = () => {
    const secs = Math.max(0, Math.ceil((socket.retryAt - Date.now()) / 1000));
    const text = state.connection === 'connecting'
      ? 'Connecting…'
      : secs > 0
        ? `Connection lost. Reconnecting in ${secs}s…`
        : 'Connection lost. Reconnecting…';
    replace(el, icon('wifi'), h('span', text), state.connection === 'reconnecting' ? h('button.link', { type: 'button', onclick: () => socket.retryNow() }, 'Retry now') : null);
  };
  el.hidden = false;
  draw();
  bannerTimer = setInterval(draw, 1000);
}

// ---------------------------------------------------------------- routing

window.addEventListener('hashchange', () => route());
on('navigate', () => route());
on('view-refresh', () => route(true));
on('logout', () => showAuth());
on('panel', () => {
  // On a phone the panel covers the chat; the header buttons reflect it.
  if (current && current.renderHeader) current.renderHeader();
});

let routing = 0;

async function route(refresh = false) {
  if (!state.me || !shellMounted) return;
  const mine = ++routing;
  const hash = location.hash.replace(/^#\/?/, '');
  const [kind, id] = hash.split('/');
  let view;
  if (kind === 'room' && id) view = { kind: 'room', id };
  else if (kind === 'dm' && id) view = { kind: 'dm', id };
  else if (kind === 'browse') view = { kind: 'browse' };
  else view = { kind: 'home' };

  const same = state.view.kind === view.kind && state.view.id === view.id;
  if (same && current && !refresh) return;
  if (!same) {
    state.gone = null;
    if (state.panel && view.kind !== 'room') state.panel = null;
  }
  state.view = view;
  const shell = document.getElementById('shell');
  shell.dataset.view = view.kind;
  emit('route');

  let next;
  if (view.kind === 'room') {
    if (state.gone && state.gone.id === view.id) next = goneView(state.gone.text);
    else {
      let room = state.rooms.get(view.id);
      if (!room) {
        try {
          room = upsertRoom(await api.get(`/api/rooms/${enc(view.id)}`));
          emit('rooms');
        } catch (e) {
          if (mine !== routing) return;
          next = goneView(e instanceof ApiError && e.status === 404 ? 'This room does not exist, or it was deleted.' : errorText(e));
        }
      }
      if (mine !== routing) return;
      if (!next) {
        if (isMember(room) || room.visibility === 'public') next = new ChatView('room', view.id);
        else next = privateRoomView(room);
      }
    }
  } else if (view.kind === 'dm') {
    if (!state.dms.has(view.id)) {
      try {
        await A.loadDms();
      } catch {
        /* shown below */
      }
    }
    if (mine !== routing) return;
    next = state.dms.has(view.id) ? new ChatView('dm', view.id) : goneView('This conversation does not exist.');
  } else if (view.kind === 'browse') next = new BrowseView();
  else next = homeView();

  if (current) current.destroy();
  current = next;
  current.mount(document.getElementById('view'));
  updateTitle();
}

// ---------------------------------------------------------------- simple views

function simple(build) {
  const offs = [];
  return {
    mount(root) {
      replace(root, build(offs));
    },
    destroy() {
      for (const off of offs) off();
    },
  };
}

function backHeader(title, sub, iconName = 'hash') {
  return h('header.chat-header',
    h('button.icon-btn.back', { type: 'button', 'aria-label': 'Back', onclick: () => A.goHome() }, icon('back')),
    h('div.chat-title', h('span.room-icon', icon(iconName)), h('div.chat-title-text', h('h1', title), sub ? h('span.chat-topic', sub) : null)));
}

function goneView(text) {
  return simple(() =>
    h('section.center-view',
      backHeader('Parlor', null, 'compass'),
      h('div.center-card',
        h('div.center-icon', icon('x')),
        h('h2', 'Not available'),
        h('p.gone-text', { role: 'alert' }, text),
        h('div.center-actions',
          h('button.btn.primary', { type: 'button', onclick: () => A.openBrowse() }, 'Browse rooms'),
          h('button.btn', { type: 'button', onclick: () => A.goHome() }, 'Home')),
      ),
    ),
  );
}

function privateRoomView(room) {
  return simple((offs) => {
    const card = h('div.center-card.private-card');
    const draw = () => {
      const r = state.rooms.get(room.id) || room;
      const invite = state.invites.get(r.id);
      let action;
      // Once let in, the route is redrawn as the room itself.
      if (isMember(r)) return;
      if (invite) {
        action = h('div.center-actions',
          h('p', `${displayName(invite.by)} invited you.`),
          h('button.btn.primary', { type: 'button', onclick: () => A.acceptInvite(r.id) }, 'Join room'));
      } else if (state.asked.has(r.id)) {
        action = h('div.request-sent', { role: 'status' }, h('span.spinner'), h('div', h('strong', 'Request sent'), h('p', 'You will be let in as soon as the owner or a moderator approves. You can keep this page open.')));
      } else if (r.status === 'inactive') {
        action = h('p.hint', 'This room is inactive and is not taking new members right now.');
      } else {
        const msg = h('textarea.input#join-message', { rows: 3, maxlength: 500, placeholder: 'Say who you are (optional)', 'aria-label': 'Message to the moderators' });
        const btn = h('button.btn.primary#ask-to-join', {
          type: 'button',
          onclick: async () => {
            btn.disabled = true;
            const ok = await A.askToJoin(r.id, msg.value.trim());
            if (!ok) btn.disabled = false;
          },
        }, 'Ask to join');
        action = h('div.ask-form', msg, btn);
      }
      replace(card,
        h('div.center-icon', icon('lock')),
        h('h2', r.name),
        h('p.center-desc', r.description || 'A private room.'),
        h('div.room-card-tags', h('span.pill', 'Private'), h('span.pill', `${r.participant_count} member${r.participant_count === 1 ? '' : 's'}`), r.status === 'inactive' ? h('span.pill.warn', 'Inactive') : null),
        action);
    };
    draw();
    offs.push(on('rooms', draw), on('view-refresh', draw));
    return h('section.center-view', backHeader(room.name, 'Private room', 'lock'), card);
  });
}

function homeView() {
  return simple((offs) => {
    const body = h('div.home-body');
    const draw = () => {
      const rooms = [...state.rooms.values()].filter(isMember);
      const unread = rooms.filter((r) => r.unread);
      replace(body,
        h('div.home-hero',
          avatar(state.me, 'lg'),
          h('div', h('h1', `Hi, ${displayName(state.me)}`), h('p', unread.length ? `You have unread messages in ${unread.length} room${unread.length === 1 ? '' : 's'}.` : 'You are all caught up.'))),
        h('div.home-actions',
          tile('plus', 'Create a room', 'Public or private, temporary or persistent.', () => createRoomDialog()),
          tile('compass', 'Browse rooms', 'Find rooms to join.', () => A.openBrowse()),
          tile('message', 'New message', 'Talk to someone directly.', () => newDmDialog())),
        rooms.length
          ? h('div.home-rooms', h('h3', 'Your rooms'), h('div.home-room-list', rooms.sort((a, b) => (b.unread || 0) - (a.unread || 0) || a.name.localeCompare(b.name)).map((r) =>
              h('a.home-room', { href: `#/room/${r.id}` }, icon(r.visibility === 'private' ? 'lock' : 'hash'), h('span.sb-name', r.name), h('span.home-room-meta', `${r.online_count} online`), r.unread ? h('span.badge', String(r.unread)) : null))))
          : null,
      );
    };
    draw();
    offs.push(on('rooms', draw));
    return h('section.home', h('header.chat-header.home-header', h('div.brand', h('span.brand-mark', 'P'), h('span.brand-name', 'Parlor'))), body);
  });
}

function tile(iconName, title, text, run) {
  return h('button.tile', { type: 'button', onclick: run }, h('span.tile-icon', icon(iconName)), h('strong', title), h('span', text));
}

// ---------------------------------------------------------------- title

function updateTitle() {
  let n = 0;
  for (const r of state.rooms.values()) if (isMember(r)) n += r.unread || 0;
  for (const c of state.dms.values()) n += c.unread || 0;
  let where = 'Parlor';
  if (state.view.kind === 'room') {
    const r = state.rooms.get(state.view.id);
    if (r) where = `#${r.name} · Parlor`;
  } else if (state.view.kind === 'dm') {
    const c = state.dms.get(state.view.id);
    if (c) where = `${displayName(c.peer)} · Parlor`;
  }
  document.title = n ? `(${n}) ${where}` : where;
}
on('rooms', updateTitle);
on('dms', updateTitle);

// Another tab logged out (the refresh token is gone): follow it.
window.addEventListener('storage', (e) => {
  if (e.key === 'parlor.refresh_token' && !e.newValue && state.me) {
    socket.stop();
    api.forget();
    showAuth('You logged out in another tab.');
  }
});

boot();
