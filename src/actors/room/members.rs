//! A room's members and who is subscribed, with the bookkeeping that
//! `participant_count`, `online_count`, presence and ownership need.

use std::collections::HashMap;

use crate::actors::session::Outbox;
use crate::domain::{Role, RoomId, SessionId, Timestamp, UserId};

pub struct Member {
    pub role: Role,
    pub joined_at: Timestamp,
    /// Join order; breaks `joined_at` ties when picking the next owner.
    pub order: u64,
    /// Read marker: `seq` of the last message this member has read.
    pub read_seq: u64,
}

pub struct Subscriber {
    pub user: UserId,
    pub outbox: Outbox,
}

#[derive(Default)]
pub struct Members {
    pub members: HashMap<UserId, Member>,
    next_order: u64,
    pub subscribers: HashMap<SessionId, Subscriber>,
    /// Subscribed connections per user; a user is online while > 0.
    online: HashMap<UserId, u32>,
}

impl Members {
    pub fn add(&mut self, user: UserId, role: Role, joined_at: Timestamp, read_seq: u64) {
        self.next_order += 1;
        self.members.insert(
            user,
            Member {
                role,
                joined_at,
                order: self.next_order,
                read_seq,
            },
        );
    }

    pub fn is_member(&self, user: UserId) -> bool {
        self.members.contains_key(&user)
    }

    pub fn count(&self) -> usize {
        self.members.len()
    }

    pub fn online_count(&self) -> usize {
        self.online.len()
    }

    pub fn is_online(&self, user: UserId) -> bool {
        self.online.contains_key(&user)
    }

    /// Adds a subscription; true when the user just came online.
    pub fn subscribe(&mut self, session: SessionId, user: UserId, outbox: Outbox) -> bool {
        if let Some(old) = self
            .subscribers
            .insert(session, Subscriber { user, outbox })
        {
            // Re-subscribing the same connection changes nothing.
            debug_assert_eq!(old.user, user);
            return false;
        }
        let n = self.online.entry(user).or_insert(0);
        *n += 1;
        *n == 1
    }

    /// Removes a subscription; `Some(user)` with whether they went offline.
    pub fn unsubscribe(&mut self, session: SessionId) -> Option<(UserId, bool)> {
        let sub = self.subscribers.remove(&session)?;
        let offline = match self.online.get_mut(&sub.user) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                self.online.remove(&sub.user);
                true
            }
            None => false,
        };
        Some((sub.user, offline))
    }

    /// Restores a stored member, keeping its join order.
    pub fn restore(&mut self, user: UserId, member: Member) {
        self.next_order = self.next_order.max(member.order);
        self.members.insert(user, member);
    }

    pub fn subscriber_count(&self) -> usize {
        self.subscribers.len()
    }

    /// Removes a member of `room` and all their subscriptions.
    pub fn remove(&mut self, room: RoomId, user: UserId) -> Option<Member> {
        self.subscribers.retain(|_, s| {
            let theirs = s.user == user;
            if theirs {
                s.outbox.dropped_by_room(room);
            }
            !theirs
        });
        self.online.remove(&user);
        self.members.remove(&user)
    }

    /// The next owner: the longest-standing moderator, else member.
    pub fn successor(&self) -> Option<UserId> {
        self.members
            .iter()
            .max_by_key(|(_, m)| (m.role == Role::Moderator, std::cmp::Reverse(m.order)))
            .map(|(id, _)| *id)
    }

    /// Members in join order.
    pub fn in_join_order(&self) -> Vec<(UserId, &Member)> {
        let mut all: Vec<_> = self.members.iter().map(|(id, m)| (*id, m)).collect();
        all.sort_by_key(|(_, m)| m.order);
        all
    }
}
