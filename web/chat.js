// The chat pane: a room's or a conversation's messages, live, with history
// loading upwards, replies, edits, deletes, reactions, typing and unread.

import { h, icon, avatar, displayName, clear, replace, fmtTime, fmtFull, fmtDay, richText } from './dom.js';
import { state, on, emit, timeline, isMember, canModerate, canAdminister } from './state.js';
import { api, enc } from './api.js';
import * as A from './actions.js';
import { confirmDialog, emojiPicker, menu, toast } from './dialogs.js';
import { inviteDialog } from './app-dialogs.js';

const GROUP_MS = 5 * 60 * 1000;

export class ChatView {
  constructor(kind, id) {
    this.kind = kind;
    this.id = id;
    this.t = timeline(kind, id);
    this.rows = new Map(); // seq → row element
    this.pending = new Map(); // local ref → {pending, el}
    this.offs = [];
    this.editing = null; // {seq, draft}
    this.replyTo = null;
    this.quoteCache = new Map();
    this.newWhileAway = 0;
    this.firstUnread = null;
    this.readDone = false;
  }

  get room() {
    return this.kind === 'room' ? state.rooms.get(this.id) : null;
  }

  get conv() {
    return this.kind === 'dm' ? state.dms.get(this.id) : null;
  }

  get member() {
    return this.kind === 'dm' || isMember(this.room);
  }

  mount(main) {
    this.main = main;
    const t = this.t;
    this.header = h('header.chat-header');
    this.banners = h('div.banners');
    this.top = h('div.history-top');
    this.list = h('div.msg-list', { role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages' });
    this.pendingList = h('div.pending-list');
    this.scroller = h('div.scroller', { tabindex: '-1' }, this.top, this.list, this.pendingList);
    this.jump = h('button.jump-latest', { type: 'button', hidden: true, onclick: () => this.scrollToBottom(true) }, icon('down'), h('span', 'Jump to latest'));
    this.typingLine = h('div.typing-line', { 'aria-live': 'polite' });
    this.footer = h('footer.chat-footer');
    this.el = h('section.chat', { dataset: { kind: this.kind, id: this.id } },
      this.header, this.banners, h('div.scroll-wrap', this.scroller, this.jump), this.typingLine, this.footer);
    replace(main, this.el);

    this.renderHeader();
    this.renderFooter();

    const room = this.room;
    if (room && room.unread) this.unreadAtOpen = room.unread;
    if (this.kind === 'dm' && this.conv && this.conv.unread) this.unreadAtOpen = this.conv.unread;

    if (t.loaded) this.renderAll(true);
    else this.renderTop();

    if (!t.loaded) {
      if (this.kind === 'dm' || !this.member) {
        A.loadLatest(t).catch((e) => {
          this.loadError = e;
          this.renderTop();
          A.fail(e, 'Could not load messages');
        });
      } else if (!t.subscribed) {
        A.subscribe(this.id);
      }
    } else if (this.kind === 'dm') {
      // Catch up on anything missed while this conversation was closed.
      A.fillAfter(t, t.maxSeq).catch(() => {});
    }

    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) this.loadOlder();
    }, { root: this.scroller, rootMargin: '400px 0px 0px 0px' });
    this.observer.observe(this.top);

    const mine = (d) => d && d.t === t;
    this.offs.push(
      on('timeline', (d) => mine(d) && this.renderAll(!this.rendered)),
      on('older', (d) => mine(d) && this.renderAll(false)),
      on('loading', (x) => x === t && this.renderTop()),
      on('message', (d) => mine(d) && this.onMessage(d)),
      on('updated', (d) => mine(d) && this.updateRow(d.msg)),
      on('pending', (d) => mine(d) && this.onPending(d)),
      on('typing', (x) => x === t && this.renderTyping()),
      on('notice', (x) => x === t && this.appendNotices()),
      on('members', (x) => x === t && (this.renderHeader(), this.renderTyping())),
      on('room-info', (id) => id === this.id && (this.renderHeader(), this.renderFooter(), this.renderBanners(), this.renderTop())),
      on('rooms', () => this.renderBanners()),
      on('requests', (id) => id === this.id && this.renderHeader()),
      on('dms', () => this.kind === 'dm' && this.renderHeader()),
      on('connection', () => this.renderBanners()),
    );
    this.onVisible = () => this.updateReading();
    document.addEventListener('visibilitychange', this.onVisible);
    window.addEventListener('focus', this.onVisible);
    this.renderBanners();
    if (this.composer && matchMedia('(min-width: 761px)').matches) this.composer.focus();
  }

  destroy() {
    for (const off of this.offs) off();
    this.offs = [];
    if (this.observer) this.observer.disconnect();
    document.removeEventListener('visibilitychange', this.onVisible);
    window.removeEventListener('focus', this.onVisible);
    if (state.reading === this.t.key) state.reading = null;
    if (this.kind === 'room') A.typing(this.id, false);
  }

  // ------------------------------------------------------------ header

  renderHeader() {
    const back = h('button.icon-btn.back', { type: 'button', 'aria-label': 'Back', onclick: () => A.goHome() }, icon('back'));
    if (this.kind === 'dm') {
      const c = this.conv;
      const peer = c && c.peer;
      replace(this.header, back,
        h('div.chat-title', avatar(peer, 'sm'), h('div.chat-title-text', h('h1', peer ? displayName(peer) : 'Conversation'), h('span.chat-topic', peer ? '@' + peer.username : ''))),
      );
      return;
    }
    const r = this.room;
    if (!r) return;
    const t = this.t;
    const members = r.participant_count;
    const online = r.online_count;
    const actions = [];
    if (this.member) {
      actions.push(
        h('button.hdr-btn', {
          type: 'button',
          title: 'Members',
          'aria-label': `Members: ${members}, ${online} online`,
          class: state.panel === 'members' ? 'on' : '',
          onclick: () => togglePanel('members'),
        }, icon('users'), h('span.hdr-count', `${members}`), h('span.hdr-online', `${online} online`)),
      );
      if (canModerate(r)) {
        const n = (state.requests.get(r.id) || new Map()).size;
        actions.push(
          h('button.hdr-btn', {
            type: 'button',
            title: 'Manage room',
            'aria-label': 'Manage room',
            class: state.panel === 'manage' ? 'on' : '',
            onclick: () => togglePanel('manage'),
          }, icon('settings'), n ? h('span.badge.request', String(n)) : null),
        );
      }
      actions.push(
        h('button.icon-btn', {
          type: 'button',
          'aria-label': 'More',
          title: 'More',
          onclick: (e) =>
            menu(e.currentTarget, [
              canModerate(r) && { label: 'Invite people', icon: 'userplus', run: () => inviteDialog(r) },
              { label: 'Copy room link', icon: 'hash', run: () => copyLink(r) },
              { label: 'Leave room', icon: 'leave', danger: true, run: () => this.leave() },
              canAdministerRoom(r) && { label: 'Delete room', icon: 'trash', danger: true, run: () => deleteRoomFlow(r) },
            ]),
        }, icon('more')),
      );
    }
    void t;
    replace(this.header, back,
      h('div.chat-title',
        h('span.room-icon', icon(r.visibility === 'private' ? 'lock' : 'hash')),
        h('div.chat-title-text',
          h('h1', r.name,
            r.status === 'inactive' ? h('span.pill.warn', 'Inactive') : null,
            h('span.pill', { title: r.persistent ? 'History is kept' : 'Temporary room: recent messages only' }, r.persistent ? 'Persistent' : 'Temporary'),
          ),
          h('span.chat-topic', r.description || (r.visibility === 'private' ? 'Private room' : 'Public room')),
        ),
      ),
      h('div.hdr-actions', actions),
    );
  }

  async leave() {
    const r = this.room;
    if (await confirmDialog(`Leave #${r.name}?`, r.visibility === 'private' ? 'You will need an invitation or an approved request to come back.' : 'You can join again at any time.', 'Leave room', true)) {
      A.leaveRoom(r.id);
    }
  }

  // ------------------------------------------------------------ banners

  renderBanners() {
    const items = [];
    const r = this.room;
    if (state.connection === 'reconnecting' || state.connection === 'connecting') {
      // The app-wide banner covers this.
    }
    const unread = this.kind === 'room' ? r && r.unread : this.conv && this.conv.unread;
    if (unread && this.member && !this.readDone) {
      items.push(
        h('div.banner.unread-banner',
          h('span', `${unread} new message${unread === 1 ? '' : 's'}`),
          h('button.link', { type: 'button', onclick: () => this.jumpToUnread() }, 'Jump to first unread'),
          h('button.link', { type: 'button', onclick: () => { A.markRead(this.t); this.readDone = true; this.renderBanners(); } }, 'Mark as read'),
        ),
      );
    }
    if (r && r.status === 'inactive') {
      items.push(h('div.banner.warn', icon('clock'), h('span', 'This room is inactive: it keeps its history, but nobody can post until the owner reactivates it.')));
    }
    if (this.t.gapNotice) items.push(h('div.banner.warn', this.t.gapNotice));
    replace(this.banners, items);
  }

  async jumpToUnread() {
    const unread = (this.kind === 'room' ? this.room && this.room.unread : this.conv && this.conv.unread) || this.unreadAtOpen;
    let seq = A.firstUnread(this.t, unread);
    for (let i = 0; !seq && this.t.hasOlder && i < 20; i++) {
      await A.loadOlder(this.t);
      seq = A.firstUnread(this.t, unread);
    }
    if (!seq) seq = this.t.minSeq;
    this.firstUnread = seq;
    this.renderAll(false);
    const el = this.list.querySelector('.unread-divider') || this.rows.get(seq);
    if (el) {
      this.scroller.scrollTop = el.offsetTop - 40;
      flash(this.rows.get(seq));
    }
  }

  // ------------------------------------------------------------ footer

  renderFooter() {
    if (this.kind === 'room' && !this.member) {
      const r = this.room;
      this.composer = null;
      if (!r) return clear(this.footer);
      if (r.visibility === 'public') {
        replace(this.footer, h('div.join-bar',
          h('div', h('strong', `You are previewing #${r.name}`), h('span', ` · ${r.participant_count}/${r.max_participants} members`)),
          h('button.btn.primary', { type: 'button', disabled: r.status === 'inactive', onclick: async (e) => { e.target.disabled = true; if (!(await A.joinRoom(r.id))) e.target.disabled = false; } }, r.status === 'inactive' ? 'Room inactive' : 'Join room'),
        ));
      } else clear(this.footer);
      return;
    }
    if (this.composerBox && this.footer.contains(this.composerBox)) {
      this.renderReplyBar();
      return;
    }
    const ta = h('textarea.composer-input', {
      rows: 1,
      placeholder: this.kind === 'dm' ? `Message ${displayName(this.conv && this.conv.peer)}` : `Message #${this.room.name}`,
      'aria-label': 'Message',
      maxlength: 4000,
    });
    ta.addEventListener('keydown', (e) => this.onComposerKey(e));
    ta.addEventListener('input', () => {
      autosize(ta);
      if (this.kind === 'room') A.typing(this.id, ta.value.trim().length > 0);
    });
    ta.addEventListener('blur', () => {
      if (this.kind === 'room' && !ta.value.trim()) A.typing(this.id, false);
    });
    const send = h('button.send-btn', { type: 'button', 'aria-label': 'Send', title: 'Send (Enter)', onclick: () => this.send() }, icon('send'));
    const emojiBtn = h('button.icon-btn.composer-emoji', {
      type: 'button',
      'aria-label': 'Insert emoji',
      onclick: (e) =>
        emojiPicker(e.currentTarget, (em) => {
          insertAtCursor(ta, em);
          ta.focus();
        }),
    }, icon('smile'));
    this.replyBar = h('div.reply-bar', { hidden: true });
    this.composer = ta;
    this.composerBox = h('div.composer-wrap',
      this.replyBar,
      h('div.composer', ta, emojiBtn, send),
      h('div.composer-hint', h('kbd', 'Enter'), ' to send · ', h('kbd', 'Shift'), '+', h('kbd', 'Enter'), ' for a new line'),
    );
    replace(this.footer, this.composerBox);
  }

  renderReplyBar() {
    if (!this.replyBar) return;
    const m = this.replyTo;
    if (!m) {
      this.replyBar.hidden = true;
      clear(this.replyBar);
      return;
    }
    this.replyBar.hidden = false;
    replace(this.replyBar,
      icon('reply'),
      h('span.reply-label', 'Replying to ', h('strong', displayName(m.author))),
      h('span.reply-snippet', snippet(m.text)),
      h('button.icon-btn.sm', { type: 'button', 'aria-label': 'Cancel reply', onclick: () => this.setReply(null) }, icon('x')),
    );
  }

  setReply(msg) {
    this.replyTo = msg;
    this.renderReplyBar();
    if (msg && this.composer) this.composer.focus();
  }

  onComposerKey(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.send();
    } else if (e.key === 'Escape' && this.replyTo) {
      e.preventDefault();
      this.setReply(null);
    } else if (e.key === 'ArrowUp' && !this.composer.value && this.kind === 'room') {
      const mine = this.t.messages().reverse().find((m) => !m.deleted && m.author.id === state.me.id);
      if (mine) {
        e.preventDefault();
        this.startEdit(mine);
      }
    }
  }

  async send() {
    const ta = this.composer;
    const text = ta.value.trim();
    if (!text) return;
    const reply = this.replyTo ? this.replyTo.id : null;
    ta.value = '';
    autosize(ta);
    this.setReply(null);
    if (this.kind === 'room') A.typing(this.id, false);
    this.scrollToBottom(false);
    const ok = await A.sendMessage(this.t, text, reply);
    if (!ok && !ta.value) {
      ta.value = text;
      autosize(ta);
    }
  }

  // ------------------------------------------------------------ list

  renderTop() {
    const t = this.t;
    let content;
    if (!t.loaded) content = this.loadError ? h('div.history-note.error', 'Could not load messages.') : h('div.loader', h('span.spinner'), 'Loading messages…');
    else if (t.loadingOlder) content = h('div.loader', h('span.spinner'), 'Loading older messages…');
    else if (t.hasOlder) content = h('div.loader.idle', h('button.link', { type: 'button', onclick: () => this.loadOlder() }, 'Load older messages'));
    else content = this.intro();
    replace(this.top, content);
  }

  intro() {
    if (this.kind === 'dm') {
      const peer = this.conv && this.conv.peer;
      return h('div.intro', avatar(peer, 'lg'), h('h2', displayName(peer)), h('p', `This is the beginning of your conversation with ${displayName(peer)}.`));
    }
    const r = this.room;
    if (!r) return h('div');
    const t = this.t;
    const lost = !r.persistent && t.minSeq && t.minSeq > 1;
    return h('div.intro',
      h('span.intro-icon', icon(r.visibility === 'private' ? 'lock' : 'hash')),
      h('h2', `Welcome to #${r.name}`),
      h('p', lost ? 'Older messages of this temporary room are no longer kept.' : `This is the very beginning of #${r.name}.`),
      r.description ? h('p.intro-desc', r.description) : null,
    );
  }

  async loadOlder() {
    const t = this.t;
    if (!t.loaded || !t.hasOlder || t.loadingOlder) return;
    await A.loadOlder(t);
    // Still at the top (a tall screen): keep going.
    if (this.scroller.scrollTop < 400 && t.hasOlder) requestAnimationFrame(() => this.loadOlder());
  }

  /** Rebuilds the list; keeps the reader's place unless `toEnd`. */
  renderAll(initial) {
    const t = this.t;
    if (!this.initialDone && t.loaded) initial = true;
    if (t.loaded) this.initialDone = true;
    const anchor = initial ? null : this.captureAnchor();
    const editorFocused = this.editing && document.activeElement && document.activeElement.classList.contains('edit-box');
    if (initial && this.firstUnread === null && this.unreadAtOpen) {
      this.firstUnread = A.firstUnread(t, this.unreadAtOpen);
    }
    this.rows.clear();
    const frag = document.createDocumentFragment();
    const notices = [...t.notices];
    let prev = null;
    let ni = 0;
    const placeNotices = (upTo) => {
      while (ni < notices.length && notices[ni].afterSeq <= upTo) frag.appendChild(noticeRow(notices[ni++]));
    };
    placeNotices(t.minSeq ? t.minSeq - 1 : 0);
    for (const m of t.messages()) {
      const row = this.buildRow(m, prev);
      // The "new messages" line goes below the row's day divider, if any.
      if (this.firstUnread && m.seq === this.firstUnread) row.insertBefore(h('div.unread-divider', h('span', 'New messages')), row.querySelector('.msg'));
      frag.appendChild(row);
      prev = m;
      placeNotices(m.seq);
    }
    placeNotices(Infinity);
    replace(this.list, frag);
    this.lastNotice = t.notices.length;
    this.maxRendered = t.maxSeq;
    this.rendered = true;
    this.renderTop();
    if (initial) {
      const divider = this.list.querySelector('.unread-divider');
      if (divider && divider.offsetTop > this.scroller.clientHeight / 2) this.scroller.scrollTop = divider.offsetTop - 60;
      else this.scrollToBottom(false);
    } else this.restoreAnchor(anchor);
    if (editorFocused) {
      const box = this.list.querySelector('.edit-box');
      if (box) box.focus();
    }
    this.updateReading();
    this.renderBanners();
  }

  captureAnchor() {
    if (this.atBottom()) return { bottom: true };
    const top = this.scroller.scrollTop;
    for (const row of this.list.children) {
      if (row.dataset.seq && row.offsetTop + row.offsetHeight > top) return { seq: Number(row.dataset.seq), delta: row.offsetTop - top };
    }
    return { bottom: true };
  }

  restoreAnchor(a) {
    if (!a || a.bottom) return this.scrollToBottom(false);
    const el = this.rows.get(a.seq);
    if (el) this.scroller.scrollTop = el.offsetTop - a.delta;
  }

  onMessage({ msg, live, mine }) {
    // Drop the local "sending…" copy of one's own message.
    for (const [ref, p] of this.pending) {
      if (p.pending.id === msg.id || (p.pending.seq && p.pending.seq === msg.seq)) {
        p.el.remove();
        this.pending.delete(ref);
      }
    }
    const t = this.t;
    if (this.rows.has(msg.seq)) return this.updateRow(msg);
    const lastSeq = this.maxRendered || 0;
    const wasBottom = this.atBottom();
    const prev = t.prevOf(msg.seq);
    if (this.rendered && msg.seq > lastSeq && (prev ? prev.seq === lastSeq : lastSeq === 0)) {
      this.list.appendChild(this.buildRow(msg, prev));
      this.maxRendered = msg.seq;
    } else {
      this.renderAll(false);
    }
    if (wasBottom || mine) this.scrollToBottom(false);
    else if (live) {
      this.newWhileAway++;
      this.jump.hidden = false;
      this.jump.lastChild.textContent = `${this.newWhileAway} new message${this.newWhileAway === 1 ? '' : 's'}`;
    }
    this.renderTop();
  }

  updateRow(msg) {
    const old = this.rows.get(msg.seq);
    if (!old) return;
    const row = this.buildRow(msg, this.t.prevOf(msg.seq));
    old.replaceWith(row);
    // Quotes of this message elsewhere in the view.
    for (const q of this.list.querySelectorAll(`.quote[data-ref="${CSS.escape(msg.id)}"]`)) {
      const holder = q.closest('.msg-row');
      if (holder && holder !== row) {
        const m = this.t.get(Number(holder.dataset.seq));
        if (m) holder.replaceWith(this.buildRow(m, this.t.prevOf(m.seq)));
      }
    }
  }

  appendNotices() {
    const t = this.t;
    const wasBottom = this.atBottom();
    for (let i = this.lastNotice || 0; i < t.notices.length; i++) this.list.appendChild(noticeRow(t.notices[i]));
    this.lastNotice = t.notices.length;
    if (wasBottom) this.scrollToBottom(false);
  }

  onPending({ pending, state: st }) {
    if (st === 'add') {
      const el = h('div.msg.pending', h('div.msg-gutter', avatar(state.me)), h('div.msg-body',
        h('div.msg-head', h('span.author', displayName(state.me)), h('span.time', 'Sending…')),
        h('div.msg-text', richText(pending.text))));
      this.pending.set(pending.ref, { pending, el });
      this.pendingList.appendChild(el);
      this.scrollToBottom(false);
    } else {
      const p = this.pending.get(pending.ref);
      if (!p) return;
      if (st === 'failed' || st === 'done') {
        p.el.remove();
        this.pending.delete(pending.ref);
      }
    }
  }

  buildRow(m, prev) {
    const row = h('div.msg-row', { dataset: { seq: String(m.seq), id: m.id } });
    const day = fmtDay(m.created_at);
    if (!prev || fmtDay(prev.created_at) !== day) row.appendChild(h('div.day-divider', h('span', day)));
    const continued =
      prev &&
      !m.reply_to &&
      prev.author.id === m.author.id &&
      fmtDay(prev.created_at) === day &&
      new Date(m.created_at) - new Date(prev.created_at) < GROUP_MS;
    const mine = state.me && m.author.id === state.me.id;
    const msgEl = h('div.msg', {
      class: [continued ? 'continued' : '', mine ? 'mine' : '', m.deleted ? 'deleted' : ''].join(' '),
      tabindex: '0',
    });
    msgEl.addEventListener('click', (e) => {
      if (e.target.closest('button, a, textarea')) return;
      for (const other of this.list.querySelectorAll('.msg.show-actions')) if (other !== msgEl) other.classList.remove('show-actions');
      msgEl.classList.toggle('show-actions');
    });
    const gutter = continued
      ? h('div.msg-gutter', h('span.hover-time', { title: fmtFull(m.created_at) }, fmtTime(m.created_at)))
      : h('div.msg-gutter', avatar(m.author));
    const body = h('div.msg-body');
    if (m.reply_to) body.appendChild(this.quote(m.reply_to));
    if (!continued) {
      body.appendChild(h('div.msg-head',
        mine || this.kind === 'dm'
          ? h('span.author', displayName(m.author))
          : h('button.author.author-btn', {
              type: 'button',
              title: `@${m.author.username}`,
              onclick: (e) => menu(e.currentTarget, [
                { label: `Message @${m.author.username}`, icon: 'message', run: () => A.startDm(m.author) },
              ]),
            }, displayName(m.author)),
        this.roleBadge(m.author.id),
        h('time.time', { datetime: m.created_at, title: fmtFull(m.created_at) }, fmtTime(m.created_at)),
      ));
    }
    if (m.deleted) {
      body.appendChild(h('div.msg-text.gone', icon('trash'), 'This message was deleted.'));
    } else if (this.editing && this.editing.seq === m.seq) {
      body.appendChild(this.editor(m));
    } else {
      body.appendChild(h('div.msg-text', richText(m.text), m.edited_at ? h('span.edited', { title: `Edited ${fmtFull(m.edited_at)}` }, ' (edited)') : null));
    }
    const reactions = this.reactions(m);
    if (reactions) body.appendChild(reactions);
    msgEl.append(gutter, body);
    const actions = this.actions(m, mine);
    if (actions) msgEl.appendChild(actions);
    row.appendChild(msgEl);
    this.rows.set(m.seq, row);
    return row;
  }

  roleBadge(userId) {
    if (this.kind !== 'room') return null;
    const p = this.t.members.get(userId);
    if (!p || p.role === 'member') return null;
    return h('span.role-badge', { class: p.role }, p.role === 'owner' ? 'Owner' : 'Mod');
  }

  quote(id) {
    const t = this.t;
    const target = t.byId.get(id) || this.quoteCache.get(id);
    const q = h('button.quote', {
      type: 'button',
      dataset: { ref: id },
      onclick: () => this.scrollToMessage(id),
    });
    if (target) {
      q.append(icon('reply'), h('span.quote-author', displayName(target.author)), h('span.quote-text', target.deleted ? 'Deleted message' : snippet(target.text)));
    } else {
      q.append(icon('reply'), h('span.quote-text', 'Reply to an earlier message'));
      if (this.kind === 'room' && !this.quoteCache.has(id)) {
        this.quoteCache.set(id, null);
        api
          .get(`/api/rooms/${enc(this.id)}/messages/${enc(id)}/thread`)
          .then((th) => {
            if (th && th.root) {
              this.quoteCache.set(id, th.root);
              for (const el of this.list.querySelectorAll(`.quote[data-ref="${CSS.escape(id)}"]`)) {
                const holder = el.closest('.msg-row');
                const m = holder && t.get(Number(holder.dataset.seq));
                if (m) holder.replaceWith(this.buildRow(m, t.prevOf(m.seq)));
              }
            }
          })
          .catch(() => {});
      }
    }
    return q;
  }

  async scrollToMessage(id) {
    const t = this.t;
    for (let i = 0; !t.byId.has(id) && t.hasOlder && i < 20; i++) await A.loadOlder(t);
    const m = t.byId.get(id);
    const row = m && this.rows.get(m.seq);
    if (!row) return toast('That message is no longer available.', 'info');
    row.scrollIntoView({ block: 'center', behavior: 'smooth' });
    flash(row);
  }

  reactions(m) {
    const entries = Object.entries(m.reactions || {}).filter(([, users]) => users.length);
    if (!entries.length || m.deleted) return null;
    const me = state.me.id;
    const canReact = this.kind === 'room' && this.member;
    const chips = entries.map(([emoji, users]) => {
      const names = users.map((u) => (u === me ? 'You' : displayName((this.t.members.get(u) || {}).user))).join(', ');
      return h('button.reaction', {
        type: 'button',
        class: users.includes(me) ? 'mine' : '',
        title: `${names} reacted with ${emoji}`,
        'aria-pressed': users.includes(me) ? 'true' : 'false',
        disabled: !canReact,
        onclick: () => A.toggleReaction(this.t, this.t.get(m.seq) || m, emoji),
      }, h('span.reaction-emoji', emoji), h('span.reaction-count', String(users.length)));
    });
    if (canReact) {
      chips.push(h('button.reaction.add', {
        type: 'button',
        'aria-label': 'Add reaction',
        onclick: (e) => emojiPicker(e.currentTarget, (em) => A.toggleReaction(this.t, this.t.get(m.seq) || m, em)),
      }, icon('smile')));
    }
    return h('div.reactions', chips);
  }

  actions(m, mine) {
    if (m.deleted || !this.member) return null;
    const room = this.room;
    const buttons = [];
    if (this.kind === 'room') {
      buttons.push(h('button.act', { type: 'button', title: 'Add reaction', 'aria-label': 'Add reaction', onclick: (e) => emojiPicker(e.currentTarget, (em) => A.toggleReaction(this.t, this.t.get(m.seq) || m, em)) }, icon('smile')));
    }
    buttons.push(h('button.act', { type: 'button', title: 'Reply', 'aria-label': 'Reply', onclick: () => this.setReply(m) }, icon('reply')));
    if (this.kind === 'room' && mine) {
      buttons.push(h('button.act', { type: 'button', title: 'Edit', 'aria-label': 'Edit', onclick: () => this.startEdit(m) }, icon('edit')));
    }
    if (this.kind === 'room' && (mine || canModerate(room))) {
      buttons.push(h('button.act.danger', { type: 'button', title: 'Delete', 'aria-label': 'Delete', onclick: () => this.confirmDelete(m) }, icon('trash')));
    }
    return h('div.msg-actions', { role: 'toolbar', 'aria-label': 'Message actions' }, buttons);
  }

  // ------------------------------------------------------------ edit

  startEdit(m) {
    if (this.editing) this.cancelEdit();
    this.editing = { seq: m.seq, draft: m.text };
    this.updateRow(this.t.get(m.seq));
    const box = this.list.querySelector('.edit-box');
    if (box) {
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    }
  }

  cancelEdit() {
    const e = this.editing;
    this.editing = null;
    if (e && this.t.get(e.seq)) this.updateRow(this.t.get(e.seq));
    if (this.composer) this.composer.focus();
  }

  async saveEdit() {
    const e = this.editing;
    if (!e) return;
    const m = this.t.get(e.seq);
    const text = e.draft.trim();
    if (!m || text === m.text) return this.cancelEdit();
    if (!text) return this.confirmDelete(m);
    const box = this.list.querySelector('.edit-box');
    if (box) box.disabled = true;
    const ok = await A.editMessage(this.t, m, text);
    if (ok) {
      this.editing = null;
      this.updateRow(this.t.get(e.seq));
      if (this.composer) this.composer.focus();
    } else if (box) {
      box.disabled = false;
      box.focus();
    }
  }

  editor(m) {
    const box = h('textarea.edit-box', { 'aria-label': 'Edit message', rows: 1, maxlength: 4000 });
    box.value = this.editing.draft;
    box.addEventListener('input', () => {
      this.editing.draft = box.value;
      autosize(box);
    });
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        this.cancelEdit();
      } else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.saveEdit();
      }
    });
    requestAnimationFrame(() => autosize(box));
    void m;
    return h('div.editor', box, h('div.editor-hint',
      'Esc to ', h('button.link', { type: 'button', onclick: () => this.cancelEdit() }, 'cancel'),
      ' · Enter to ', h('button.link', { type: 'button', onclick: () => this.saveEdit() }, 'save')));
  }

  async confirmDelete(m) {
    if (await confirmDialog('Delete message?', 'It will be removed for everyone in the room. This cannot be undone.', 'Delete', true)) {
      if (this.editing && this.editing.seq === m.seq) this.editing = null;
      await A.deleteMessage(this.t, m);
    }
  }

  // ------------------------------------------------------------ typing

  renderTyping() {
    const t = this.t;
    const names = [...t.typing.keys()]
      .filter((u) => !state.me || u !== state.me.id)
      .map((u) => displayName((t.members.get(u) || {}).user || null));
    let text = '';
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = `${names[0]}, ${names[1]} and ${names.length - 2} more are typing…`;
    if (!text) return clear(this.typingLine);
    replace(this.typingLine, h('span.dots', h('i'), h('i'), h('i')), h('span', text));
  }

  // ------------------------------------------------------------ scrolling

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 48;
  }

  scrollToBottom(smooth) {
    const s = this.scroller;
    if (smooth) s.scrollTo({ top: s.scrollHeight, behavior: 'smooth' });
    else s.scrollTop = s.scrollHeight;
    this.newWhileAway = 0;
    this.jump.hidden = true;
    this.updateReading();
  }

  onScroll() {
    if (this.atBottom()) {
      this.newWhileAway = 0;
      this.jump.hidden = true;
    } else if (!this.jump.hidden || this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight > 600) {
      this.jump.hidden = false;
      if (!this.newWhileAway) this.jump.lastChild.textContent = 'Jump to latest';
    }
    this.updateReading();
  }

  /** I am reading this timeline when it is visible and scrolled to the end. */
  updateReading() {
    const reading = this.member && this.t.loaded && document.visibilityState === 'visible' && this.atBottom();
    if (reading) {
      state.reading = this.t.key;
      const unread = this.kind === 'room' ? this.room && this.room.unread : this.conv && this.conv.unread;
      if (unread || (this.t.readSent || 0) < this.t.maxSeq) {
        A.markRead(this.t);
      }
    } else if (state.reading === this.t.key) state.reading = null;
  }
}

// ------------------------------------------------------------ helpers

function noticeRow(n) {
  return h('div.notice', { class: n.kind || '' }, h('span', n.text));
}

function snippet(text) {
  const s = (text || '').replace(/\s+/g, ' ').trim();
  return s.length > 120 ? s.slice(0, 119) + '…' : s;
}

function flash(el) {
  if (!el) return;
  el.classList.remove('flash');
  void el.offsetWidth;
  el.classList.add('flash');
}

function autosize(ta) {
  ta.style.height = 'auto';
  ta.style.height = Math.min(ta.scrollHeight, 240) + 'px';
}

function insertAtCursor(ta, text) {
  const start = ta.selectionStart ?? ta.value.length;
  const end = ta.selectionEnd ?? ta.value.length;
  ta.value = ta.value.slice(0, start) + text + ta.value.slice(end);
  ta.selectionStart = ta.selectionEnd = start + text.length;
  ta.dispatchEvent(new Event('input'));
}

function canAdministerRoom(r) {
  return canAdminister(r);
}

export function togglePanel(kind) {
  state.panel = state.panel === kind ? null : kind;
  emit('panel');
}

async function copyLink(r) {
  const url = `${location.origin}/#/room/${r.id}`;
  try {
    await navigator.clipboard.writeText(url);
    toast('Room link copied. Anyone with it can ask to join.', 'success');
  } catch {
    toast(`Room link: ${url}`, 'info');
  }
}

export async function deleteRoomFlow(r) {
  if (await confirmDialog(`Delete #${r.name}?`, 'The room and all its messages will be deleted for everyone. This cannot be undone.', 'Delete room', true)) {
    A.deleteRoom(r.id);
  }
}
