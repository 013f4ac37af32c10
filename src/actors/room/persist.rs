//! Persistent rooms: what the room writes to SQLite, reviving from it,
//! durable posting (ack and broadcast only after commit) and hibernation.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use actix::{ActorContext, Addr, AsyncContext, Context};

use super::messages::AckTo;
use super::{RoomActor, history::History, members::Member, members::Members};
use crate::actors::registry::RegistryActor;
use crate::db::rooms::{MemberRow, RoomRow, StoredRoom};
use crate::db::writer::WriteOp;
use crate::domain::{MessageView, UserId};
use crate::state::Hub;
use crate::ws::protocol::Event;

/// A post whose transaction has not committed yet.
pub struct PendingPost {
    pub message: Arc<MessageView>,
    pub ack: Option<AckTo>,
    pub arrived: Instant,
    /// `Some(ok)` once the writer has answered.
    pub outcome: Option<bool>,
}

impl RoomActor {
    /// Rebuilds a hibernated persistent room from SQLite.
    pub fn revive(stored: StoredRoom, hub: Arc<Hub>, registry: Addr<RegistryActor>) -> Self {
        let StoredRoom {
            room,
            members: rows,
            last_seq,
            recent,
            governance,
            users,
        } = stored;
        for user in &users {
            hub.users.put(user);
        }
        let mut members = Members::default();
        for m in rows {
            members.restore(
                m.user,
                Member {
                    role: m.role,
                    joined_at: m.joined_at,
                    order: m.order,
                    read_seq: m.read_seq,
                },
            );
        }
        let mut history = History::new(hub.settings.rooms.history_len);
        for m in recent {
            history.push(Arc::new(m));
        }
        Self {
            id: room.id,
            name: room.name,
            description: room.description,
            owner_id: room.owner_id,
            visibility: room.visibility,
            status: room.status,
            max_participants: room.max_participants,
            persistent: true,
            created_at: room.created_at,
            members,
            seq: last_seq,
            history,
            typing: HashMap::new(),
            empty_timer: None,
            hibernate_timer: None,
            pending: Default::default(),
            governance,
            hub,
            registry,
        }
    }

    pub fn is_persistent(&self) -> bool {
        self.persistent
    }

    pub fn row(&self) -> RoomRow {
        RoomRow {
            id: self.id,
            name: self.name.clone(),
            description: self.description.clone(),
            owner_id: self.owner_id,
            visibility: self.visibility,
            status: self.status,
            max_participants: self.max_participants,
            created_at: self.created_at,
        }
    }

    pub fn member_row(&self, user: UserId) -> Option<MemberRow> {
        self.members.members.get(&user).map(|m| MemberRow {
            user,
            role: m.role,
            joined_at: m.joined_at,
            order: m.order,
            read_seq: m.read_seq,
        })
    }

    /// Queues a write for a persistent room; temporary rooms write nothing.
    pub(super) fn persist(&self, op: WriteOp) {
        if self.persistent {
            self.hub.writer.submit_detached(op);
        }
    }

    pub(super) fn persist_member(&self, user: UserId) {
        if let Some(row) = self.member_row(user) {
            self.persist(WriteOp::UpsertMember(self.id, row));
        }
    }

    /// Records the writer's answer for `seq` and releases every post at the
    /// front of the queue that is settled, in `seq` order.
    pub(super) fn settle(&mut self, seq: u64, ok: bool, ctx: &mut Context<Self>) {
        if let Some(p) = self.pending.get_mut(&seq) {
            p.outcome = Some(ok);
        }
        while let Some(entry) = self.pending.first_entry() {
            if entry.get().outcome.is_none() {
                break;
            }
            let post = entry.remove();
            if post.outcome == Some(true) {
                self.publish(post.message, post.ack, post.arrived, ctx);
            }
        }
        self.arm_hibernate_timer(ctx);
    }

    /// Stores the message in the ring, acks its sender, fans it out.
    pub(super) fn publish(
        &mut self,
        message: Arc<MessageView>,
        ack: Option<AckTo>,
        arrived: Instant,
        ctx: &mut Context<Self>,
    ) {
        self.history.push(message.clone());
        if let Some(ack) = ack {
            let frame = Event::Ack {
                reference: ack.reference.as_deref(),
                id: message.id,
                seq: message.seq,
            }
            .encode();
            ack.outbox.offer(&frame);
        }
        let frame = Event::Message {
            room: self.id,
            message: &message,
        }
        .encode();
        self.fanout(&frame, None, ctx);
        self.hub.metrics.messages.inc();
        self.hub
            .metrics
            .fanout_seconds
            .observe(arrived.elapsed().as_secs_f64());
    }

    /// A persistent room nobody is subscribed to stops after
    /// `rooms.hibernate_after`; SQLite holds everything it knows.
    pub(super) fn arm_hibernate_timer(&mut self, ctx: &mut Context<Self>) {
        if !self.persistent || self.members.subscriber_count() > 0 {
            if let Some(t) = self.hibernate_timer.take() {
                ctx.cancel_future(t);
            }
            return;
        }
        if self.hibernate_timer.is_some() {
            return;
        }
        let after = self.hub.settings.rooms.hibernate_after;
        self.hibernate_timer = Some(ctx.run_later(after, |room, ctx| {
            room.hibernate_timer = None;
            if room.members.subscriber_count() == 0 && room.pending.is_empty() {
                tracing::debug!(room = %room.id, "hibernating");
                ctx.stop();
            } else {
                room.arm_hibernate_timer(ctx);
            }
        }));
    }
}
