// Everything the views can ask for, and the handling of every server event.
// Each refusal from the server ends up in front of the user (a toast, or an
// inline message in a form): nothing fails silently.

import { api, enc, errorText, ApiError } from './api.js';
import { socket } from './socket.js';
import { state, emit, upsertRoom, timeline, isMember, canModerate } from './state.js';
import { toast } from './dialogs.js';
import { displayName } from './dom.js';

const PAGE = 50;

export function fail(err, what) {
  const text = errorText(err);
  toast(what ? `${what}: ${text}` : text, 'error');
}

// ---------------------------------------------------------------- navigation

export function go(hash) {
  if (location.hash === hash) emit('navigate');
  else location.hash = hash;
}
export const openRoom = (id) => go(`#/room/${id}`);
export const openDm = (id) => go(`#/dm/${id}`);
export const openBrowse = () => go('#/browse');
export const goHome = () => go('#/');

// ---------------------------------------------------------------- loading

export async function loadRooms() {
  const list = await api.get('/api/rooms');
  const seen = new Set();
  for (const r of list) {
    seen.add(r.id);
    const old = state.rooms.get(r.id);
    // A fresh list is the truth: drop a role the server no longer reports.
    const room = { ...(old || {}), ...r };
    if (r.role === undefined) {
      delete room.role;
      delete room.unread;
    }
    state.rooms.set(r.id, room);
  }
  for (const [id, room] of state.rooms) {
    // Keep rooms the list cannot show (a private room seen through its link).
    if (!seen.has(id) && room.role) state.rooms.delete(id);
  }
  emit('rooms');
  return list;
}

export async function loadDms() {
  const list = await api.get('/api/dms');
  state.dms.clear();
  for (const c of list) state.dms.set(c.id, c);
  emit('dms');
  return list;
}

export async function loadRequests(roomId) {
  const list = await api.get(`/api/rooms/${enc(roomId)}/join-requests`);
  const m = new Map();
  for (const r of list) if (r.status === 'pending') m.set(r.id, r);
  state.requests.set(roomId, m);
  emit('requests', roomId);
  return list;
}

/** After login, and after every reconnect: the lists, then the subscriptions. */
export async function refreshAll() {
  const results = await Promise.allSettled([loadRooms(), loadDms()]);
  const [rooms, dms] = results;
  if (rooms.status === 'rejected') fail(rooms.reason, 'Could not load rooms');
  if (dms.status === 'rejected') state.dmError = errorText(dms.reason);
  else state.dmError = null;
  emit('dms');
  for (const room of state.rooms.values()) {
    if (canModerate(room) && room.role) loadRequests(room.id).catch(() => {});
  }
}

// ---------------------------------------------------------------- subscriptions

/** Subscribes to every room I am a member of (resuming from what is loaded). */
export function subscribeAll() {
  for (const room of state.rooms.values()) {
    if (isMember(room)) subscribe(room.id);
  }
}

export async function subscribe(roomId) {
  const t = timeline('room', roomId);
  const frame = { type: 'subscribe', room: roomId };
  if (t.loaded) frame.since_seq = t.maxSeq;
  try {
    const r = await socket.request(frame);
    await applySubscribed(t, r, frame.since_seq !== undefined);
  } catch (e) {
    if (e instanceof ApiError && e.status === -1) {
      t.subscribed = false;
      if (e.code === 'forbidden' || e.code === 'not_found') {
        const room = state.rooms.get(roomId);
        if (room) {
          delete room.role;
          emit('rooms');
        }
      }
      fail(e, `Could not open ${roomLabel(roomId)}`);
    }
    // A lost connection resubscribes on reconnect.
  }
}

async function applySubscribed(t, r, resumed) {
  t.subscribed = true;
  t.members = new Map((r.members || []).map((p) => [p.user.id, p]));
  const history = r.history || [];
  for (const m of history) t.put(m);
  if (!resumed) {
    if (!t.loaded) t.hasOlder = history.length > 0 && history[0].seq > 1;
    t.loaded = true;
  } else if (r.gap) {
    t.notices.push({ afterSeq: t.maxSeq, text: 'Some older messages were lost while you were away.', kind: 'warn', at: new Date().toISOString() });
  }
  if (r.more) await fillAfter(t, t.maxSeq);
  syncCounts(t);
  emit('timeline', { t, reset: false });
  emit('members', t);
}

export function unsubscribe(roomId) {
  socket.send({ type: 'unsubscribe', room: roomId });
  const t = state.timelines.get('r:' + roomId);
  if (t) t.subscribed = false;
}

function roomLabel(id) {
  const room = state.rooms.get(id);
  return room ? `#${room.name}` : 'the room';
}

// ---------------------------------------------------------------- history

function messagesPath(t) {
  return t.kind === 'room' ? `/api/rooms/${enc(t.id)}/messages` : `/api/dms/${enc(t.id)}/messages`;
}

/** The latest page, for a timeline nobody has loaded yet (DMs, public previews). */
export async function loadLatest(t) {
  const list = await api.get(`${messagesPath(t)}?limit=${PAGE}`);
  for (const m of list) t.put(m);
  t.hasOlder = list.length === PAGE && list[0].seq > 1;
  t.loaded = true;
  emit('timeline', { t, reset: true });
}

/** One page older than what is loaded; resolves to the number of new messages. */
export async function loadOlder(t) {
  if (t.loadingOlder || !t.hasOlder) return 0;
  t.loadingOlder = true;
  emit('loading', t);
  try {
    const before = t.minSeq;
    const q = before ? `?before=${before}&limit=${PAGE}` : `?limit=${PAGE}`;
    const list = await api.get(messagesPath(t) + q);
    let added = 0;
    for (const m of list) if (t.put(m) === 'new') added++;
    t.hasOlder = list.length === PAGE && list[0].seq > 1;
    emit('older', { t, list });
    return added;
  } catch (e) {
    fail(e, 'Could not load older messages');
    return 0;
  } finally {
    t.loadingOlder = false;
    emit('loading', t);
  }
}

/** Fetches every message after `seq` (gap filling and resuming). */
export async function fillAfter(t, seq) {
  let after = seq;
  for (let i = 0; i < 50; i++) {
    const list = await api.get(`${messagesPath(t)}?after=${after}&limit=100`);
    for (const m of list) {
      if (t.put(m) === 'new') emit('message', { t, msg: m, live: false });
    }
    if (list.length < 100) break;
    after = list[list.length - 1].seq;
  }
}

// ---------------------------------------------------------------- reading

/** The key of the timeline the user is looking at (visible, scrolled down). */
state.reading = null;

export function markRead(t) {
  if (!t || !t.maxSeq) return;
  if (t.kind === 'room') {
    const room = state.rooms.get(t.id);
    if (!isMember(room)) return;
    if ((t.readSent || 0) < t.maxSeq) {
      if (socket.send({ type: 'read', room: t.id, seq: t.maxSeq })) t.readSent = t.maxSeq;
    }
    if (room.unread) {
      room.unread = 0;
      emit('rooms');
    }
  } else {
    const c = state.dms.get(t.id);
    if ((t.readSent || 0) < t.maxSeq) {
      if (socket.send({ type: 'read', conversation: t.id, seq: t.maxSeq })) t.readSent = t.maxSeq;
    }
    if (c && c.unread) {
      c.unread = 0;
      emit('dms');
    }
  }
}

/** The `seq` of the first unread message, from the room's `unread` count. */
export function firstUnread(t, unread) {
  if (!unread) return null;
  let count = 0;
  const seqs = t.seqs;
  for (let i = seqs.length - 1; i >= 0; i--) {
    const m = t.bySeq.get(seqs[i]);
    if (m.author && state.me && m.author.id !== state.me.id) count++;
    if (count >= unread) return m.seq;
  }
  return null;
}

// ---------------------------------------------------------------- sending

let localRef = 0;

export async function sendMessage(t, text, replyTo) {
  const body = { text };
  if (replyTo) body.reply_to = replyTo;
  const pending = {
    ref: `p${++localRef}`,
    text,
    reply_to: replyTo || null,
    created_at: new Date().toISOString(),
  };
  emit('pending', { t, pending, state: 'add' });
  try {
    let msg;
    if (t.kind === 'room') {
      if (socket.isOpen) {
        const ack = await socket.request({ type: 'message', room: t.id, ...body });
        pending.id = ack.id;
        pending.seq = ack.seq;
        // The `message` event follows the ack; if it never comes (not
        // subscribed), fetch it.
        setTimeout(() => {
          if (!t.get(ack.seq)) fillAfter(t, ack.seq - 1).catch(() => {});
          emit('pending', { t, pending, state: 'done' });
        }, 3000);
        if (t.get(ack.seq)) emit('pending', { t, pending, state: 'done' });
        return true;
      }
      msg = await api.post(messagesPath(t), body);
    } else {
      msg = await api.post(messagesPath(t), body);
    }
    emit('pending', { t, pending, state: 'done' });
    if (t.put(msg) === 'new') emit('message', { t, msg, live: true, mine: true });
    if (t.kind === 'dm') touchDm(t.id, msg);
    return true;
  } catch (e) {
    emit('pending', { t, pending, state: 'failed' });
    fail(e, 'Message not sent');
    return false;
  }
}

export async function editMessage(t, msg, text) {
  try {
    const updated = await api.patch(`${messagesPath(t)}/${enc(msg.id)}`, { text });
    if (updated && updated.seq) {
      t.put(updated);
      emit('updated', { t, msg: updated });
    }
    return true;
  } catch (e) {
    fail(e, 'Could not edit the message');
    return false;
  }
}

export async function deleteMessage(t, msg) {
  try {
    await api.del(`${messagesPath(t)}/${enc(msg.id)}`);
    const cur = t.get(msg.seq);
    if (cur && !cur.deleted) {
      const gone = { ...cur, text: '', deleted: true, reactions: {} };
      t.put(gone);
      emit('updated', { t, msg: gone });
    }
    return true;
  } catch (e) {
    fail(e, 'Could not delete the message');
    return false;
  }
}

export async function toggleReaction(t, msg, emoji) {
  const me = state.me.id;
  const on = !((msg.reactions || {})[emoji] || []).includes(me);
  try {
    const path = `${messagesPath(t)}/${enc(msg.id)}/reactions/${enc(emoji)}`;
    if (on) await api.put(path);
    else await api.del(path);
    applyReaction(t, msg.id, emoji, me, on);
  } catch (e) {
    fail(e, 'Could not react');
  }
}

function applyReaction(t, id, emoji, user, on) {
  const msg = t.byId.get(id);
  if (!msg) return;
  const reactions = { ...(msg.reactions || {}) };
  const users = (reactions[emoji] || []).filter((u) => u !== user);
  if (on) users.push(user);
  if (users.length) reactions[emoji] = users;
  else delete reactions[emoji];
  const next = { ...msg, reactions };
  if (t.put(next) !== 'same') emit('updated', { t, msg: next });
}

let typingSent = new Map();

/** Sends `typing: true` at most every 3 s while typing, `false` when done. */
export function typing(roomId, on) {
  const last = typingSent.get(roomId) || 0;
  const now = Date.now();
  if (on) {
    if (now - last < 3000) return;
    typingSent.set(roomId, now);
    socket.send({ type: 'typing', room: roomId, typing: true });
  } else if (last) {
    typingSent.delete(roomId);
    socket.send({ type: 'typing', room: roomId, typing: false });
  }
}

// ---------------------------------------------------------------- rooms

export async function createRoom(body) {
  const room = await api.post('/api/rooms', body);
  upsertRoom({ ...room, role: room.role || 'owner', unread: 0 });
  const t = timeline('room', room.id);
  t.loaded = true;
  t.hasOlder = false;
  emit('rooms');
  subscribe(room.id);
  openRoom(room.id);
  return room;
}

export async function joinRoom(id) {
  try {
    const room = await api.post(`/api/rooms/${enc(id)}/join`);
    enterRoom(room);
    return true;
  } catch (e) {
    fail(e, 'Could not join');
    return false;
  }
}

/** I became a member (joined, approved, accepted an invite). */
function enterRoom(info) {
  upsertRoom({ ...info, role: info.role || 'member', unread: info.unread || 0 });
  state.asked.delete(info.id);
  state.invites.delete(info.id);
  const t = timeline('room', info.id);
  // A preview may have loaded history through REST: keep it and resume.
  if (!t.loaded) t.hasOlder = true;
  emit('rooms');
  emit('view-refresh');
  subscribe(info.id);
}

export async function leaveRoom(id) {
  try {
    await api.post(`/api/rooms/${enc(id)}/leave`);
    unsubscribe(id);
    const room = state.rooms.get(id);
    if (room) {
      delete room.role;
      delete room.unread;
      if (room.visibility === 'private') state.rooms.delete(id);
    }
    state.timelines.delete('r:' + id);
    emit('rooms');
    goHome();
    toast(`You left ${room ? '#' + room.name : 'the room'}`);
    return true;
  } catch (e) {
    fail(e, 'Could not leave');
    return false;
  }
}

export async function askToJoin(id, message) {
  try {
    const body = message ? { message } : {};
    await api.post(`/api/rooms/${enc(id)}/join-requests`, body);
    state.asked.add(id);
    emit('rooms');
    emit('view-refresh');
    toast('Request sent. You will be let in as soon as a moderator approves it.', 'success');
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 409 && /pending/i.test(e.message)) {
      state.asked.add(id);
      emit('view-refresh');
    }
    fail(e, 'Could not ask to join');
    return false;
  }
}

export async function updateRoom(id, patch) {
  const room = await api.patch(`/api/rooms/${enc(id)}`, patch);
  upsertRoom(room);
  emit('rooms');
  emit('room-info', id);
  return room;
}

export async function deleteRoom(id) {
  try {
    await api.del(`/api/rooms/${enc(id)}`);
    dropRoom(id);
    goHome();
    toast('Room deleted');
    return true;
  } catch (e) {
    fail(e, 'Could not delete the room');
    return false;
  }
}

function dropRoom(id) {
  state.rooms.delete(id);
  state.timelines.delete('r:' + id);
  state.requests.delete(id);
  emit('rooms');
}

export async function kick(roomId, user, { ban = false, reason = '', quiet = false } = {}) {
  try {
    const body = { ban };
    if (reason) body.reason = reason;
    await api.post(`/api/rooms/${enc(roomId)}/kick/${enc(user.id)}`, body);
    const t = state.timelines.get('r:' + roomId);
    if (t && t.members.delete(user.id)) {
      syncCounts(t);
      emit('members', t);
    }
    toast(`${displayName(user)} was ${ban ? 'banned' : 'removed'}`, 'success');
    return true;
  } catch (e) {
    if (quiet) throw new Error(errorText(e));
    fail(e, ban ? 'Could not ban' : 'Could not kick');
    return false;
  }
}

export async function setRole(roomId, user, role) {
  try {
    const p = await api.put(`/api/rooms/${enc(roomId)}/members/${enc(user.id)}/role`, { role });
    const t = state.timelines.get('r:' + roomId);
    if (t && p && p.user) {
      t.members.set(p.user.id, { ...(t.members.get(p.user.id) || {}), ...p });
      emit('members', t);
    }
    toast(role === 'moderator' ? `${displayName(user)} is now a moderator` : `${displayName(user)} is no longer a moderator`, 'success');
    return true;
  } catch (e) {
    fail(e, 'Could not change the role');
    return false;
  }
}

export async function decide(roomId, request, approve) {
  try {
    await api.post(`/api/rooms/${enc(roomId)}/join-requests/${enc(request.id)}/${approve ? 'approve' : 'deny'}`);
    const m = state.requests.get(roomId);
    if (m) m.delete(request.id);
    emit('requests', roomId);
    toast(approve ? `${displayName(request.user)} can now join` : `Request from ${displayName(request.user)} declined`, 'success');
    return true;
  } catch (e) {
    fail(e, approve ? 'Could not approve' : 'Could not deny');
    // The request may have been decided by someone else meanwhile.
    loadRequests(roomId).catch(() => {});
    return false;
  }
}

export async function invite(roomId, user) {
  try {
    await api.post(`/api/rooms/${enc(roomId)}/invites`, { user_id: user.id });
    toast(`${displayName(user)} was invited`, 'success');
    return true;
  } catch (e) {
    fail(e, `Could not invite ${displayName(user)}`);
    return false;
  }
}

export async function acceptInvite(roomId) {
  const ok = await joinRoom(roomId);
  if (ok) openRoom(roomId);
  return ok;
}

export function dismissInvite(roomId) {
  state.invites.delete(roomId);
  emit('rooms');
}

export async function searchUsers(q) {
  return api.get(`/api/users?q=${enc(q)}`);
}

// ---------------------------------------------------------------- DMs

export async function startDm(user) {
  try {
    const c = await api.post('/api/dms', { user_id: user.id });
    state.dms.set(c.id, { ...(state.dms.get(c.id) || {}), ...c });
    emit('dms');
    openDm(c.id);
    return c;
  } catch (e) {
    fail(e, 'Could not open the conversation');
    return null;
  }
}

function touchDm(id, msg) {
  const c = state.dms.get(id);
  if (!c) return;
  if (!c.last_message || c.last_message.seq <= msg.seq) c.last_message = msg;
  emit('dms');
}

// ---------------------------------------------------------------- session

export async function logout() {
  socket.stop();
  await api.logout();
  location.hash = '';
  emit('logout');
}

// ---------------------------------------------------------------- events

function syncCounts(t) {
  const room = state.rooms.get(t.id);
  if (!room || !t.members.size) return;
  room.participant_count = t.members.size;
  room.online_count = [...t.members.values()].filter((p) => p.online).length;
  emit('room-info', t.id);
  emit('rooms');
}

let lastErrorToast = { text: '', at: 0 };

export function handleEvent(f) {
  const room = f.room;
  switch (f.type) {
    case 'message': {
      const t = timeline('room', room);
      const msg = f.message;
      if (t.loaded && t.maxSeq && msg.seq > t.maxSeq + 1) {
        fillAfter(t, t.maxSeq).catch(() => {});
      }
      const status = t.put(msg);
      if (status === 'same') return;
      clearTyping(t, msg.author.id);
      const mine = state.me && msg.author.id === state.me.id;
      const r = state.rooms.get(room);
      if (status === 'new' && !mine && r && state.reading !== t.key) {
        r.unread = (r.unread || 0) + 1;
        emit('rooms');
      }
      emit('message', { t, msg, live: true, mine });
      if (state.reading === t.key) markRead(t);
      return;
    }
    case 'message_edited': {
      const t = timeline('room', room);
      if (t.put(f.message) !== 'same') emit('updated', { t, msg: f.message });
      return;
    }
    case 'message_deleted': {
      const t = timeline('room', room);
      const cur = t.get(f.seq) || t.byId.get(f.id);
      if (cur && !cur.deleted) {
        const gone = { ...cur, text: '', deleted: true, reactions: {} };
        t.put(gone);
        emit('updated', { t, msg: gone });
      }
      return;
    }
    case 'reaction': {
      const t = timeline('room', room);
      applyReaction(t, f.id, f.emoji, f.user, f.on);
      return;
    }
    case 'typing': {
      const t = timeline('room', room);
      if (f.typing) {
        clearTimeout(t.typing.get(f.user));
        // The server ends it after 6 s; this is only a safety net.
        t.typing.set(f.user, setTimeout(() => clearTyping(t, f.user), 8000));
        emit('typing', t);
      } else clearTyping(t, f.user);
      return;
    }
    case 'member_joined': {
      const t = timeline('room', room);
      const p = f.member;
      const known = t.members.has(p.user.id);
      t.members.set(p.user.id, p);
      if (!known) {
        t.notices.push({ afterSeq: t.maxSeq, text: `${displayName(p.user)} joined the room`, kind: 'join', at: new Date().toISOString() });
        emit('notice', t);
      }
      syncCounts(t);
      emit('members', t);
      return;
    }
    case 'member_left': {
      const t = timeline('room', room);
      const p = t.members.get(f.user);
      t.members.delete(f.user);
      clearTyping(t, f.user);
      if (p) {
        t.notices.push({ afterSeq: t.maxSeq, text: `${displayName(p.user)} left the room`, kind: 'leave', at: new Date().toISOString() });
        emit('notice', t);
      }
      if (state.me && f.user === state.me.id) {
        const r = state.rooms.get(room);
        if (r) delete r.role;
        emit('rooms');
        emit('view-refresh');
      }
      syncCounts(t);
      emit('members', t);
      return;
    }
    case 'presence': {
      const t = timeline('room', room);
      const p = t.members.get(f.user);
      if (p) t.members.set(f.user, { ...p, online: f.online });
      syncCounts(t);
      emit('members', t);
      return;
    }
    case 'room_updated': {
      const r = upsertRoom(f.info);
      if (state.me && f.info.owner_id === state.me.id && r.role) r.role = 'owner';
      emit('rooms');
      emit('room-info', room);
      return;
    }
    case 'room_deleted': {
      const r = state.rooms.get(room);
      const viewing = state.view.kind === 'room' && state.view.id === room;
      dropRoom(room);
      toast(`${r ? '#' + r.name : 'A room'} was deleted`, viewing ? 'error' : 'info');
      if (viewing) {
        state.gone = { id: room, text: `${r ? '#' + r.name : 'This room'} was deleted by its owner.` };
        emit('view-refresh');
      }
      return;
    }
    case 'kicked': {
      const r = state.rooms.get(room);
      const name = r ? '#' + r.name : 'a room';
      if (r) {
        delete r.role;
        delete r.unread;
        if (r.visibility === 'private') state.rooms.delete(room);
      }
      const t = state.timelines.get('r:' + room);
      if (t) t.subscribed = false;
      state.timelines.delete('r:' + room);
      const why = f.reason ? ` Reason: ${f.reason}` : '';
      const text = f.banned ? `You were banned from ${name}.${why}` : `You were removed from ${name}.${why}`;
      toast(text, 'error');
      if (state.view.kind === 'room' && state.view.id === room) {
        state.gone = { id: room, text, kicked: true };
      }
      emit('rooms');
      emit('view-refresh');
      return;
    }
    case 'join_request': {
      const req = f.request;
      if (!state.requests.has(room)) state.requests.set(room, new Map());
      state.requests.get(room).set(req.id, req);
      emit('requests', room);
      emit('rooms');
      const r = state.rooms.get(room);
      toast(`${displayName(req.user)} asks to join ${r ? '#' + r.name : 'your room'}`, 'info', {
        label: 'Review',
        run: () => {
          openRoom(room);
          state.panel = 'manage';
          emit('panel');
        },
      });
      return;
    }
    case 'join_approved': {
      enterRoom(f.info);
      toast(`You're in! Your request to join #${f.info.name} was approved.`, 'success', {
        label: 'Open',
        run: () => openRoom(room),
      });
      return;
    }
    case 'join_denied': {
      state.asked.delete(room);
      const r = state.rooms.get(room);
      toast(`Your request to join ${r ? '#' + r.name : 'the room'} was declined.`, 'error');
      emit('view-refresh');
      return;
    }
    case 'invited': {
      upsertRoom(f.info);
      state.invites.set(room, { info: f.info, by: f.by });
      emit('rooms');
      emit('view-refresh');
      toast(`${displayName(f.by)} invited you to #${f.info.name}`, 'info', {
        label: 'Join',
        run: () => acceptInvite(room),
      });
      return;
    }
    case 'dm': {
      const t = timeline('dm', f.conversation);
      const msg = f.message;
      if (t.loaded && t.maxSeq && msg.seq > t.maxSeq + 1) fillAfter(t, t.maxSeq).catch(() => {});
      const status = t.put(msg);
      const c = state.dms.get(f.conversation);
      const mine = state.me && msg.author.id === state.me.id;
      if (!c) {
        loadDms().catch(() => {});
      } else {
        if (!c.last_message || c.last_message.seq <= msg.seq) c.last_message = msg;
        if (status === 'new' && !mine && state.reading !== t.key) c.unread = (c.unread || 0) + 1;
        emit('dms');
      }
      if (status !== 'same') emit('message', { t, msg, live: true, mine });
      if (state.reading === t.key) markRead(t);
      return;
    }
    case 'error': {
      // Errors about our requests reject their promise; these are the rest.
      const text = f.message || f.code;
      if (text === lastErrorToast.text && Date.now() - lastErrorToast.at < 4000) return;
      lastErrorToast = { text, at: Date.now() };
      toast(f.code === 'rate_limited' ? `Slow down: ${text}` : text, 'error');
      return;
    }
    default:
      return;
  }
}

function clearTyping(t, user) {
  if (!t.typing.has(user)) return;
  clearTimeout(t.typing.get(user));
  t.typing.delete(user);
  emit('typing', t);
}
