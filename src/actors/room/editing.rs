//! Changing posted messages: edits, soft deletes, reactions, and threads.
//! In a persistent room a message older than the ring is read from SQLite,
//! and every change is announced only after it is committed.

use std::sync::Arc;

use actix::{ActorFutureExt, Context, Handler, ResponseActFuture, WrapFuture, fut};
use bytestring::ByteString;

use super::RoomActor;
use super::messages::{AckTo, DeleteMessage, EditMessage, GetThread, React};
use crate::db::writer::WriteOp;
use crate::domain::{MessageId, MessageView, now};
use crate::error::{ApiError, ApiResult};
use crate::ws::protocol::Event;

type Reply = ResponseActFuture<RoomActor, ApiResult<Arc<MessageView>>>;

fn ready(result: ApiResult<Arc<MessageView>>) -> Reply {
    Box::pin(fut::ready(result))
}

impl RoomActor {
    /// The message as stored: from the ring, else (persistent rooms) SQLite.
    fn fetch_message(&self, id: MessageId) -> Reply {
        if let Some(m) = self.history.find(id) {
            return ready(Ok(m.clone()));
        }
        if !self.persistent || self.history.covers(1) {
            return ready(Err(ApiError::NotFound("message")));
        }
        let (db, room) = (self.hub.db.clone(), self.id);
        Box::pin(
            async move {
                db.run(move |c| crate::db::rooms::message(c, room, id))
                    .await
            }
            .into_actor(self)
            .map(|found, _, _| Ok(Arc::new(found?.ok_or(ApiError::NotFound("message"))?))),
        )
    }

    /// Stores `updated` (ring, and SQLite for persistent rooms), then acks
    /// the requesting connection and fans `frame` out.
    fn commit_change(
        &mut self,
        updated: Arc<MessageView>,
        frame: ByteString,
        ack: Option<AckTo>,
        ctx: &mut Context<Self>,
    ) -> Reply {
        self.history.replace(updated.clone());
        let stored = updated.clone();
        let announce = move |room: &mut RoomActor, ctx: &mut Context<RoomActor>| {
            if let Some(ack) = ack {
                let frame = Event::Ack {
                    reference: ack.reference.as_deref(),
                    id: updated.id,
                    seq: updated.seq,
                }
                .encode();
                ack.outbox.offer(&frame);
            }
            room.fanout(&frame, None, ctx);
            updated
        };
        if !self.persistent {
            return ready(Ok(announce(self, ctx)));
        }
        let committed = match self.hub.writer.submit(WriteOp::UpdateMessage(stored)) {
            Ok(rx) => rx,
            Err(e) => return ready(Err(e)),
        };
        Box::pin(
            committed
                .into_actor(self)
                .map(move |res, room, ctx| match res {
                    Ok(Ok(())) => Ok(announce(room, ctx)),
                    _ => Err(ApiError::internal("the change could not be stored")),
                }),
        )
    }
}

impl Handler<EditMessage> for RoomActor {
    type Result = Reply;

    fn handle(&mut self, msg: EditMessage, _: &mut Context<Self>) -> Self::Result {
        if !self.members.is_member(msg.by) {
            return ready(Err(ApiError::Forbidden("not a member of this room")));
        }
        Box::pin(self.fetch_message(msg.id).then(move |found, room, ctx| {
            let current = match found {
                Ok(m) => m,
                Err(e) => return ready(Err(e)),
            };
            if current.author.id != msg.by {
                return ready(Err(ApiError::Forbidden(
                    "only the author may edit a message",
                )));
            }
            if current.deleted {
                return ready(Err(ApiError::conflict("this message was deleted")));
            }
            let mut updated = (*current).clone();
            updated.text = msg.text.into_inner();
            updated.edited_at = Some(now());
            let updated = Arc::new(updated);
            let frame = Event::MessageEdited {
                room: room.id,
                message: &updated,
            }
            .encode();
            room.commit_change(updated, frame, msg.ack, ctx)
        }))
    }
}

impl Handler<DeleteMessage> for RoomActor {
    type Result = Reply;

    fn handle(&mut self, msg: DeleteMessage, _: &mut Context<Self>) -> Self::Result {
        Box::pin(self.fetch_message(msg.id).then(move |found, room, ctx| {
            let current = match found {
                Ok(m) => m,
                Err(e) => return ready(Err(e)),
            };
            let author = current.author.id == msg.by && room.members.is_member(msg.by);
            if !author && !room.moderates(msg.by, msg.by_admin) {
                return ready(Err(ApiError::Forbidden(
                    "only the author, a moderator, the owner or an admin may delete a message",
                )));
            }
            if current.deleted {
                return ready(Ok(current));
            }
            let mut updated = (*current).clone();
            updated.text.clear();
            updated.deleted = true;
            updated.reactions.clear();
            let updated = Arc::new(updated);
            let frame = Event::MessageDeleted {
                room: room.id,
                id: updated.id,
                seq: updated.seq,
            }
            .encode();
            room.commit_change(updated, frame, msg.ack, ctx)
        }))
    }
}

impl Handler<React> for RoomActor {
    type Result = Reply;

    fn handle(&mut self, msg: React, _: &mut Context<Self>) -> Self::Result {
        if !self.members.is_member(msg.by) {
            return ready(Err(ApiError::Forbidden("not a member of this room")));
        }
        Box::pin(self.fetch_message(msg.id).then(move |found, room, ctx| {
            let current = match found {
                Ok(m) => m,
                Err(e) => return ready(Err(e)),
            };
            if current.deleted {
                return ready(Err(ApiError::conflict("this message was deleted")));
            }
            let has = current
                .reactions
                .get(&msg.emoji)
                .is_some_and(|users| users.contains(&msg.by));
            if has == msg.on {
                // Already so: nothing to store or announce.
                if let Some(ack) = msg.ack {
                    let frame = Event::Ack {
                        reference: ack.reference.as_deref(),
                        id: current.id,
                        seq: current.seq,
                    }
                    .encode();
                    ack.outbox.offer(&frame);
                }
                return ready(Ok(current));
            }
            let mut updated = (*current).clone();
            if msg.on {
                updated
                    .reactions
                    .entry(msg.emoji.clone())
                    .or_default()
                    .push(msg.by);
            } else if let Some(users) = updated.reactions.get_mut(&msg.emoji) {
                users.retain(|u| *u != msg.by);
                if users.is_empty() {
                    updated.reactions.remove(&msg.emoji);
                }
            }
            let updated = Arc::new(updated);
            let frame = Event::Reaction {
                room: room.id,
                id: updated.id,
                emoji: &msg.emoji,
                user: msg.by,
                on: msg.on,
            }
            .encode();
            room.commit_change(updated, frame, msg.ack, ctx)
        }))
    }
}

impl Handler<GetThread> for RoomActor {
    type Result = ApiResult<(Arc<MessageView>, Vec<Arc<MessageView>>)>;

    fn handle(&mut self, msg: GetThread, _: &mut Context<Self>) -> Self::Result {
        if !self.can_read(msg.viewer) {
            return Err(ApiError::Forbidden("this room is private"));
        }
        let root = self
            .history
            .find(msg.id)
            .cloned()
            .ok_or(ApiError::NotFound("message"))?;
        Ok((root, self.history.replies(msg.id)))
    }
}

/// A reaction is one emoji (as Unicode, e.g. "👍") or a `:short_name:` of
/// 1–32 letters, digits, `_`, `+` or `-`.
pub fn valid_emoji(raw: &str) -> bool {
    if let Some(name) = raw.strip_prefix(':').and_then(|r| r.strip_suffix(':')) {
        return (1..=32).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'-'));
    }
    emojis::get(raw).is_some()
}
