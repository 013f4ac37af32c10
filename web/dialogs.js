// Toasts, modals, popover menus and the emoji picker.

import { h, icon, avatar, displayName, clear } from './dom.js';

// ---------------------------------------------------------------- toasts

export function toast(text, kind = 'info', action = null) {
  const root = document.getElementById('toasts');
  if (!root) return;
  const el = h(
    'div.toast',
    { class: `toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    icon(kind === 'error' ? 'x' : kind === 'success' ? 'check' : 'message', 'toast-icon'),
    h('span.toast-text', text),
    action &&
      h('button.toast-action', {
        type: 'button',
        onclick: () => {
          dismiss();
          action.run();
        },
      }, action.label),
    h('button.toast-close', { type: 'button', 'aria-label': 'Dismiss', onclick: () => dismiss() }, icon('x')),
  );
  let timer = setTimeout(dismiss, kind === 'error' ? 8000 : action ? 10000 : 4500);
  el.addEventListener('mouseenter', () => clearTimeout(timer));
  el.addEventListener('mouseleave', () => {
    timer = setTimeout(dismiss, 3000);
  });
  function dismiss() {
    clearTimeout(timer);
    el.classList.add('leaving');
    setTimeout(() => el.remove(), 200);
  }
  root.appendChild(el);
  while (root.children.length > 5) root.firstChild.remove();
}

// ---------------------------------------------------------------- modals

let openModal = null;

/**
 * Opens a modal; `build(close)` returns its body. Resolves with what
 * `close(value)` is called with (undefined on Esc / backdrop).
 */
export function modal(title, build, { wide = false } = {}) {
  if (openModal) openModal(undefined);
  const root = document.getElementById('modal-root');
  return new Promise((resolve) => {
    const previous = document.activeElement;
    const close = (value) => {
      if (openModal !== close) return;
      openModal = null;
      document.removeEventListener('keydown', onKey, true);
      clear(root);
      root.hidden = true;
      if (previous && previous.focus) previous.focus();
      resolve(value);
    };
    const onKey = (e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        close(undefined);
      }
    };
    openModal = close;
    const box = h(
      'div.modal',
      { class: wide ? 'wide' : '', role: 'dialog', 'aria-modal': 'true', 'aria-label': title },
      h('div.modal-head', h('h2', title), h('button.icon-btn', { type: 'button', 'aria-label': 'Close', onclick: () => close(undefined) }, icon('x'))),
      build(close),
    );
    const backdrop = h('div.backdrop', {
      onmousedown: (e) => {
        if (e.target === backdrop) close(undefined);
      },
    }, box);
    clear(root).appendChild(backdrop);
    root.hidden = false;
    document.addEventListener('keydown', onKey, true);
    const first = box.querySelector('[autofocus], input, textarea, select, button.primary');
    if (first) setTimeout(() => first.focus(), 0);
  });
}

export function confirmDialog(title, text, okLabel = 'OK', danger = false) {
  return modal(title, (close) =>
    h('div.modal-body',
      h('p.modal-text', text),
      h('div.modal-actions',
        h('button.btn', { type: 'button', onclick: () => close(false) }, 'Cancel'),
        h('button.btn.primary', { type: 'button', class: danger ? 'danger' : '', onclick: () => close(true) }, okLabel),
      ),
    ),
  ).then(Boolean);
}

/** A form in a modal; `submit(values)` may throw to show its message inline. */
export function formDialog(title, fields, okLabel, submit) {
  return modal(title, (close) => {
    const err = h('div.form-error', { role: 'alert', hidden: true });
    const btn = h('button.btn.primary', { type: 'submit' }, okLabel);
    const form = h('form.modal-body', {
      onsubmit: async (e) => {
        e.preventDefault();
        err.hidden = true;
        btn.disabled = true;
        try {
          const result = await submit(new FormData(form), form);
          close(result === undefined ? true : result);
        } catch (x) {
          err.textContent = (x && x.message) || String(x);
          err.hidden = false;
        } finally {
          btn.disabled = false;
        }
      },
    }, fields, err, h('div.modal-actions', h('button.btn', { type: 'button', onclick: () => close(undefined) }, 'Cancel'), btn));
    return form;
  });
}

export function field(label, input, hint) {
  return h('label.field', h('span.field-label', label), input, hint && h('span.field-hint', hint));
}

// ---------------------------------------------------------------- popovers

let openPopover = null;

export function closePopover() {
  if (openPopover) {
    openPopover.remove();
    openPopover = null;
  }
}

/** Shows `content` next to `anchor`; closes on outside click or Esc. */
export function popover(anchor, content, cls = '') {
  closePopover();
  const el = h('div.popover', { class: cls, role: 'menu' }, content);
  document.body.appendChild(el);
  const r = anchor.getBoundingClientRect();
  const w = el.offsetWidth;
  const ht = el.offsetHeight;
  let left = Math.min(window.innerWidth - w - 8, Math.max(8, r.right - w));
  let top = r.bottom + 6;
  if (top + ht > window.innerHeight - 8) top = Math.max(8, r.top - ht - 6);
  el.style.left = `${left}px`;
  el.style.top = `${top}px`;
  openPopover = el;
  setTimeout(() => {
    const first = el.querySelector('button, input');
    if (first) first.focus();
  }, 0);
  return el;
}

document.addEventListener('mousedown', (e) => {
  if (openPopover && !openPopover.contains(e.target)) closePopover();
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && openPopover) {
    closePopover();
    e.stopPropagation();
  }
});

/** A menu of `{label, icon, danger, run}` items. */
export function menu(anchor, items) {
  const list = items.filter(Boolean).map((it) =>
    h('button.menu-item', {
      type: 'button',
      role: 'menuitem',
      class: it.danger ? 'danger' : '',
      onclick: () => {
        closePopover();
        it.run();
      },
    }, it.icon && icon(it.icon), h('span', it.label)),
  );
  return popover(anchor, list, 'menu');
}

export const EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🔥', '👀', '✅', '🙏', '👏', '🚀', '💯', '🤔', '😍', '👎'];

export function emojiPicker(anchor, pick) {
  const grid = EMOJI.map((e) =>
    h('button.emoji-btn', {
      type: 'button',
      'aria-label': `React with ${e}`,
      onclick: () => {
        closePopover();
        pick(e);
      },
    }, e),
  );
  return popover(anchor, h('div.emoji-grid', grid), 'emoji-pop');
}

// ---------------------------------------------------------------- user picker

/**
 * A search box over `GET /api/users?q=`; `onPick(user)` runs on a result's
 * button (label `actionLabel`). Errors are shown in place.
 */
export function userPicker(search, actionLabel, onPick, exclude = () => false) {
  const results = h('div.user-results', { role: 'list' });
  const status = h('div.picker-status', 'Type a name to search people.');
  let seq = 0;
  let timer = null;
  const run = async (q) => {
    const mine = ++seq;
    status.textContent = 'Searching…';
    status.classList.remove('error');
    try {
      const users = (await search(q)).filter((u) => !exclude(u));
      if (mine !== seq) return;
      clear(results);
      status.textContent = users.length ? '' : 'Nobody found.';
      for (const u of users) {
        const btn = h('button.btn.small', { type: 'button' }, actionLabel);
        btn.addEventListener('click', async () => {
          btn.disabled = true;
          const ok = await onPick(u);
          btn.disabled = false;
          if (ok) {
            btn.textContent = '✓';
            btn.disabled = true;
          }
        });
        results.appendChild(
          h('div.user-row', { role: 'listitem' }, avatar(u, 'sm'), h('div.user-names', h('span.user-display', displayName(u)), h('span.user-handle', '@' + u.username)), btn),
        );
      }
    } catch (e) {
      if (mine !== seq) return;
      clear(results);
      status.textContent = (e && e.message) || String(e);
      status.classList.add('error');
    }
  };
  const input = h('input.input', {
    type: 'search',
    placeholder: 'Search by name or username',
    'aria-label': 'Search people',
    autocomplete: 'off',
    oninput: () => {
      clearTimeout(timer);
      timer = setTimeout(() => run(input.value.trim()), 200);
    },
  });
  setTimeout(() => run(''), 0);
  return h('div.user-picker', input, status, results);
}
