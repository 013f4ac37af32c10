//! The in-memory history ring of a room: the last `rooms.history_len`
//! messages, oldest first, with `seq` contiguous inside the ring.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::actors::room::messages::Page;
use crate::domain::{MessageId, MessageView, UserId};

pub struct History {
    ring: VecDeque<Arc<MessageView>>,
    cap: usize,
}

/// At most this many messages in a `subscribed` reply.
pub const SUBSCRIBE_MAX: usize = 100;
/// Without `since_seq`, `subscribed` carries the last this many.
pub const SUBSCRIBE_DEFAULT: usize = 50;

impl History {
    pub fn new(cap: usize) -> Self {
        Self {
            ring: VecDeque::with_capacity(cap.min(64)),
            cap,
        }
    }

    pub fn push(&mut self, m: Arc<MessageView>) {
        if self.ring.len() == self.cap {
            self.ring.pop_front();
        }
        self.ring.push_back(m);
    }

    fn first_seq(&self) -> Option<u64> {
        self.ring.front().map(|m| m.seq)
    }

    /// Index of `seq` in the ring, or where it would be.
    fn index_of(&self, seq: u64) -> usize {
        match self.first_seq() {
            None => 0,
            Some(first) if seq <= first => 0,
            Some(first) => ((seq - first) as usize).min(self.ring.len()),
        }
    }

    /// Whether the ring still holds `seq` or anything older.
    pub fn covers(&self, seq: u64) -> bool {
        self.first_seq().is_some_and(|first| first <= seq)
    }

    /// Replaces the stored copy of `message` (same id), if the ring has it.
    pub fn replace(&mut self, message: Arc<MessageView>) {
        if let Some(slot) = self.ring.iter_mut().rev().find(|m| m.id == message.id) {
            *slot = message;
        }
    }

    /// Replies to `root`, ascending.
    pub fn replies(&self, root: MessageId) -> Vec<Arc<MessageView>> {
        self.ring
            .iter()
            .filter(|m| m.reply_to == Some(root))
            .cloned()
            .collect()
    }

    pub fn find(&self, id: MessageId) -> Option<&Arc<MessageView>> {
        self.ring.iter().rev().find(|m| m.id == id)
    }

    /// SPEC §8 paging: ascending; `before` → the `limit` largest below it;
    /// `after` → the `limit` smallest above it; neither → the latest `limit`.
    pub fn page(&self, page: Page) -> Vec<Arc<MessageView>> {
        let lo = page.after.map_or(0, |a| self.index_of(a.saturating_add(1)));
        let hi = page.before.map_or(self.ring.len(), |b| self.index_of(b));
        if lo >= hi {
            return Vec::new();
        }
        let (start, end) = if page.after.is_some() {
            (lo, (lo + page.limit).min(hi))
        } else {
            (hi.saturating_sub(page.limit).max(lo), hi)
        };
        self.ring.range(start..end).cloned().collect()
    }

    /// The `subscribed` history: `(messages, more, gap)`.
    pub fn since(
        &self,
        since_seq: Option<u64>,
        latest_seq: u64,
    ) -> (Vec<Arc<MessageView>>, bool, bool) {
        match since_seq {
            None => {
                let start = self.ring.len().saturating_sub(SUBSCRIBE_DEFAULT);
                (self.ring.range(start..).cloned().collect(), false, false)
            }
            Some(since) if since >= latest_seq => (Vec::new(), false, false),
            Some(since) => {
                let gap = self.first_seq().is_none_or(|first| first > since + 1);
                let start = self.index_of(since + 1);
                let end = (start + SUBSCRIBE_MAX).min(self.ring.len());
                let more = end < self.ring.len();
                (self.ring.range(start..end).cloned().collect(), more, gap)
            }
        }
    }

    /// Others' messages after `marker`; those the ring has dropped count too.
    pub fn unread(&self, reader: UserId, marker: u64, latest_seq: u64) -> u64 {
        if marker >= latest_seq {
            return 0;
        }
        let first = self.first_seq().unwrap_or(latest_seq + 1);
        let dropped = first.saturating_sub(marker + 1);
        let start = self.index_of(marker + 1);
        let kept = self
            .ring
            .range(start..)
            .filter(|m| m.author.id != reader)
            .count() as u64;
        dropped + kept
    }
}
