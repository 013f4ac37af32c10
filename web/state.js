// The client's state: rooms, conversations, timelines, and a tiny event bus
// the views listen to.

const listeners = new Map();

export function on(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, new Set());
  listeners.get(topic).add(fn);
  return () => listeners.get(topic).delete(fn);
}

export function emit(topic, detail) {
  for (const fn of listeners.get(topic) || []) {
    try {
      fn(detail);
    } catch (e) {
      console.error(e);
    }
  }
}

export const state = {
  me: null,
  /** room id → room (server shape; `role` and `unread` when a member) */
  rooms: new Map(),
  /** conversation id → {id, peer, last_message, unread} */
  dms: new Map(),
  /** 'r:<room id>' | 'd:<conversation id>' → Timeline */
  timelines: new Map(),
  /** room id → Map(request id → join request), for rooms I moderate */
  requests: new Map(),
  /** room ids I asked to join and have no answer for yet */
  asked: new Set(),
  /** room id → {info, by}: invitations not yet acted on */
  invites: new Map(),
  view: { kind: 'home' },
  panel: null,
  connection: 'offline',
};

export function reset() {
  state.me = null;
  state.rooms.clear();
  state.dms.clear();
  state.timelines.clear();
  state.requests.clear();
  state.asked.clear();
  state.invites.clear();
  state.view = { kind: 'home' };
  state.panel = null;
}

export function isMember(room) {
  return Boolean(room && room.role);
}

export function canModerate(room) {
  return Boolean(room && (room.role === 'owner' || room.role === 'moderator' || (state.me && state.me.is_admin)));
}

export function canAdminister(room) {
  return Boolean(room && (room.role === 'owner' || (state.me && state.me.is_admin)));
}

/** Merges a server room into the store, keeping `role`/`unread` when the update lacks them. */
export function upsertRoom(info) {
  const old = state.rooms.get(info.id);
  const room = { ...(old || {}), ...info };
  if (old && info.role === undefined) room.role = old.role;
  if (old && info.unread === undefined) room.unread = old.unread;
  state.rooms.set(info.id, room);
  return room;
}

/**
 * A room's or a conversation's loaded messages, in `seq` order, deduplicated
 * by `seq`. Also holds live things: members, who is typing, and notices.
 */
export class Timeline {
  constructor(kind, id) {
    this.kind = kind; // 'room' | 'dm'
    this.id = id;
    this.bySeq = new Map();
    this.byId = new Map();
    this.seqs = []; // sorted ascending
    this.hasOlder = true;
    this.loadingOlder = false;
    this.loaded = false; // initial history fetched
    this.members = new Map(); // user id → participant
    this.typing = new Map(); // user id → expiry timer
    this.notices = []; // {afterSeq, text, at}
    this.subscribed = false;
    this.gap = false;
    this.firstUnreadSeq = null;
  }

  get key() {
    return (this.kind === 'room' ? 'r:' : 'd:') + this.id;
  }

  get minSeq() {
    return this.seqs.length ? this.seqs[0] : null;
  }

  get maxSeq() {
    return this.seqs.length ? this.seqs[this.seqs.length - 1] : 0;
  }

  /** Adds or replaces a message; returns 'new', 'updated' or 'same'. */
  put(msg) {
    const old = this.bySeq.get(msg.seq);
    this.bySeq.set(msg.seq, msg);
    this.byId.set(msg.id, msg);
    if (old) {
      if (old.id !== msg.id) this.byId.delete(old.id);
      return JSON.stringify(old) === JSON.stringify(msg) ? 'same' : 'updated';
    }
    // Insert keeping `seqs` sorted (appends are the common case).
    const s = this.seqs;
    if (!s.length || s[s.length - 1] < msg.seq) s.push(msg.seq);
    else {
      let lo = 0;
      let hi = s.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (s[mid] < msg.seq) lo = mid + 1;
        else hi = mid;
      }
      s.splice(lo, 0, msg.seq);
    }
    if (msg.seq === 1) this.hasOlder = false;
    return 'new';
  }

  get(seq) {
    return this.bySeq.get(seq);
  }

  prevOf(seq) {
    const i = this.indexOf(seq);
    return i > 0 ? this.bySeq.get(this.seqs[i - 1]) : null;
  }

  nextOf(seq) {
    const i = this.indexOf(seq);
    return i >= 0 && i + 1 < this.seqs.length ? this.bySeq.get(this.seqs[i + 1]) : null;
  }

  indexOf(seq) {
    const s = this.seqs;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid] === seq) return mid;
      if (s[mid] < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  messages() {
    return this.seqs.map((s) => this.bySeq.get(s));
  }
}

export function timeline(kind, id) {
  const key = (kind === 'room' ? 'r:' : 'd:') + id;
  let t = state.timelines.get(key);
  if (!t) {
    t = new Timeline(kind, id);
    state.timelines.set(key, t);
  }
  return t;
}
