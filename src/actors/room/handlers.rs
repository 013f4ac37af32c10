//! One `Handler` per inbox message, in the order of `messages.rs`.

use std::sync::Arc;
use std::time::Instant;

use actix::{
    ActorContext, ActorFutureExt, AsyncContext, Context, Handler, MessageResult, ResponseActFuture,
    WrapFuture, fut,
};

use super::RoomActor;
use super::history::SUBSCRIBE_MAX;
use super::messages::*;
use super::persist::PendingPost;
use crate::db::writer::WriteOp;
use crate::domain::{
    AuthorView, MessageId, MessageView, ParticipantView, Role, RoomStatus, RoomView, UserId,
    UserView, Visibility,
};
use crate::error::{ApiError, ApiResult};
use crate::ws::protocol::Event;

impl Handler<GetRoom> for RoomActor {
    type Result = MessageResult<GetRoom>;

    fn handle(&mut self, msg: GetRoom, _: &mut Context<Self>) -> Self::Result {
        MessageResult(RoomAccess {
            view: self.view(Some(msg.viewer)),
            is_member: self.members.is_member(msg.viewer),
        })
    }
}

impl Handler<GetParticipants> for RoomActor {
    type Result = ApiResult<Vec<ParticipantView>>;

    fn handle(&mut self, msg: GetParticipants, _: &mut Context<Self>) -> Self::Result {
        if !self.can_read(msg.viewer) {
            return Err(ApiError::Forbidden("this room is private"));
        }
        Ok(self.participants())
    }
}

impl RoomActor {
    /// Adds `user` as a member: the room must be active and not full, and
    /// public unless they hold an invite (which this uses up). Banned users
    /// stay out.
    pub(super) fn join(&mut self, user: &Arc<UserView>, ctx: &mut Context<Self>) -> ApiResult<()> {
        if self.members.is_member(user.id) {
            return Err(ApiError::conflict("already a member of this room"));
        }
        if self.is_banned(user.id) {
            return Err(ApiError::Forbidden("you are banned from this room"));
        }
        let invited = self.governance.invites.contains_key(&user.id);
        if self.visibility == Visibility::Private && !invited {
            return Err(ApiError::Forbidden("this room is private"));
        }
        if self.status == RoomStatus::Inactive {
            return Err(ApiError::conflict("this room is inactive"));
        }
        if self.members.count() >= self.max_participants as usize {
            return Err(ApiError::conflict("this room is full"));
        }
        if invited {
            self.governance.invites.remove(&user.id);
            self.persist(WriteOp::RemoveInvite(self.id, user.id));
        }
        self.hub.users.put(user);
        self.admit(user.id, ctx);
        Ok(())
    }

    /// Makes `user` a member and tells the room.
    pub(super) fn admit(&mut self, user: UserId, ctx: &mut Context<Self>) {
        self.members
            .add(user, Role::Member, crate::domain::now(), self.seq);
        self.persist_member(user);
        self.disarm_empty_timer(ctx);
        if let Some(member) = self.participant(user) {
            let frame = Event::MemberJoined {
                room: self.id,
                member: &member,
            }
            .encode();
            self.fanout(&frame, None, ctx);
        }
    }
}

impl Handler<Join> for RoomActor {
    type Result = ApiResult<RoomView>;

    fn handle(&mut self, msg: Join, ctx: &mut Context<Self>) -> Self::Result {
        self.join(&msg.user, ctx)?;
        Ok(self.view(Some(msg.user.id)))
    }
}

impl Handler<Leave> for RoomActor {
    type Result = ApiResult<()>;

    fn handle(&mut self, msg: Leave, ctx: &mut Context<Self>) -> Self::Result {
        let user = msg.user;
        if let Some((_, timer)) = self.typing.remove(&user) {
            ctx.cancel_future(timer);
        }
        let Some(left) = self.members.remove(self.id, user) else {
            return Err(ApiError::conflict("not a member of this room"));
        };
        self.persist(WriteOp::RemoveMember(self.id, user));
        let frame = Event::MemberLeft {
            room: self.id,
            user,
        }
        .encode();
        self.fanout(&frame, None, ctx);
        if left.role == Role::Owner
            && let Some(heir) = self.members.successor()
        {
            if let Some(m) = self.members.members.get_mut(&heir) {
                m.role = Role::Owner;
            }
            self.owner_id = heir;
            self.persist_member(heir);
            self.persist(WriteOp::UpdateRoom(self.row()));
            self.broadcast_room_updated(ctx);
        }
        self.arm_empty_timer(ctx);
        self.arm_hibernate_timer(ctx);
        Ok(())
    }
}

impl Handler<UpdateRoom> for RoomActor {
    type Result = ApiResult<RoomView>;

    fn handle(&mut self, msg: UpdateRoom, ctx: &mut Context<Self>) -> Self::Result {
        if !self.can_manage(msg.by, msg.by_admin) {
            return Err(ApiError::Forbidden(
                "only the owner or an admin may change this room",
            ));
        }
        let p = msg.patch;
        if let Some(name) = p.name {
            self.name = name.into_inner();
        }
        if let Some(d) = p.description {
            self.description = d.into_inner();
        }
        if let Some(s) = p.status {
            self.status = s;
        }
        if let Some(m) = p.max_participants {
            self.max_participants = m;
        }
        if let Some(v) = p.visibility {
            self.visibility = v;
        }
        self.persist(WriteOp::UpdateRoom(self.row()));
        self.broadcast_room_updated(ctx);
        Ok(self.view(Some(msg.by)))
    }
}

impl Handler<DeleteRoom> for RoomActor {
    type Result = ResponseActFuture<Self, ApiResult<()>>;

    fn handle(&mut self, msg: DeleteRoom, _: &mut Context<Self>) -> Self::Result {
        if !self.can_manage(msg.by, msg.by_admin) {
            return Box::pin(fut::ready(Err(ApiError::Forbidden(
                "only the owner or an admin may delete this room",
            ))));
        }
        // A persistent room is gone only once its rows are; until then the
        // actor stays up, so nothing can revive it from the database.
        let writer = self.hub.writer.clone();
        let (id, persistent) = (self.id, self.persistent);
        Box::pin(
            async move {
                if persistent {
                    writer.commit(WriteOp::DeleteRoom(id)).await
                } else {
                    Ok(())
                }
            }
            .into_actor(self)
            .map(|res, room, ctx| {
                res?;
                let frame = Event::RoomDeleted { room: room.id }.encode();
                for user in room.members.members.keys() {
                    room.hub.sessions.send_to_user(*user, &frame);
                }
                for sub in room.members.subscribers.values() {
                    sub.outbox.dropped_by_room(room.id);
                }
                room.members.subscribers.clear();
                ctx.stop();
                Ok(())
            }),
        )
    }
}

impl Handler<PostMessage> for RoomActor {
    type Result = ResponseActFuture<Self, ApiResult<Arc<MessageView>>>;

    fn handle(&mut self, msg: PostMessage, ctx: &mut Context<Self>) -> Self::Result {
        let ack = msg.ack.clone();
        let outcome = self.handle_post(msg, ctx);
        let Some(ack) = ack else {
            return outcome;
        };
        // A WebSocket post hears of its refusal from the room, like its ack.
        Box::pin(outcome.map(move |res, _, _| {
            if let Err(e) = &res {
                ack.outbox
                    .offer(&e.to_frame(ack.reference.as_deref()).into());
            }
            res
        }))
    }
}

impl RoomActor {
    fn handle_post(
        &mut self,
        msg: PostMessage,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, ApiResult<Arc<MessageView>>> {
        let arrived = Instant::now();
        // A reply to a message older than the ring: ask SQLite first.
        if let Some(parent) = msg.reply_to
            && self.persistent
            && self.history.find(parent).is_none()
            && !self.history.covers(1)
        {
            let (db, id) = (self.hub.db.clone(), self.id);
            return Box::pin(
                async move {
                    db.run(move |c| crate::db::rooms::message_in_room(c, id, parent))
                        .await
                }
                .into_actor(self)
                .then(move |found, room, ctx| match found {
                    Ok(true) => room.post(msg, arrived, true, ctx),
                    Ok(false) => Box::pin(fut::ready(Err(ApiError::invalid(
                        "reply_to must name a message of this room",
                    )))),
                    Err(e) => Box::pin(fut::ready(Err(e))),
                }),
            );
        }
        self.post(msg, arrived, false, ctx)
    }
}

impl RoomActor {
    fn post(
        &mut self,
        msg: PostMessage,
        arrived: Instant,
        parent_checked: bool,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, ApiResult<Arc<MessageView>>> {
        let message = match self.accept_post(&msg, parent_checked) {
            Ok(m) => m,
            Err(e) => return Box::pin(fut::ready(Err(e))),
        };
        if !self.persistent {
            self.publish(message.clone(), msg.ack, arrived, ctx);
            return Box::pin(fut::ready(Ok(message)));
        }
        // Durable: queue the insert; ack and broadcast after the commit.
        let seq = message.seq;
        let committed = self
            .hub
            .writer
            .submit(WriteOp::InsertMessage(message.clone()));
        self.pending.insert(
            seq,
            PendingPost {
                message: message.clone(),
                ack: msg.ack,
                arrived,
                outcome: None,
            },
        );
        let committed = match committed {
            Ok(rx) => rx,
            Err(e) => {
                self.settle(seq, false, ctx);
                return Box::pin(fut::ready(Err(e)));
            }
        };
        Box::pin(committed.into_actor(self).map(move |res, room, ctx| {
            let ok = matches!(res, Ok(Ok(())));
            room.settle(seq, ok, ctx);
            if ok {
                Ok(message)
            } else {
                Err(ApiError::internal("the message could not be stored"))
            }
        }))
    }
}

impl RoomActor {
    /// Checks a post and builds the message with the next `seq`.
    fn accept_post(
        &mut self,
        msg: &PostMessage,
        parent_checked: bool,
    ) -> ApiResult<Arc<MessageView>> {
        if !self.members.is_member(msg.author) {
            return Err(ApiError::Forbidden("join the room before posting"));
        }
        if self.status == RoomStatus::Inactive {
            return Err(ApiError::conflict("this room is inactive"));
        }
        if let Some(parent) = msg.reply_to
            && !parent_checked
        {
            self.check_reply_target(parent)?;
        }
        let author = self
            .hub
            .users
            .peek(msg.author)
            .ok_or(ApiError::NotFound("user"))?;
        self.seq += 1;
        let message = Arc::new(MessageView {
            id: MessageId::new(),
            room_id: self.id,
            seq: self.seq,
            author: AuthorView {
                id: author.id,
                username: author.username.clone(),
                display_name: author.display_name.clone(),
            },
            text: msg.text.as_str().to_owned(),
            reply_to: msg.reply_to,
            attachments: Vec::new(),
            reactions: Default::default(),
            created_at: crate::domain::now(),
            edited_at: None,
            deleted: false,
        });
        Ok(message)
    }
}

impl RoomActor {
    fn check_reply_target(&self, parent: MessageId) -> ApiResult<()> {
        match self.history.find(parent) {
            Some(m) if !m.deleted => Ok(()),
            _ => Err(ApiError::invalid(
                "reply_to must name a message of this room",
            )),
        }
    }
}

impl Handler<GetMessages> for RoomActor {
    type Result = ApiResult<Vec<Arc<MessageView>>>;

    fn handle(&mut self, msg: GetMessages, _: &mut Context<Self>) -> Self::Result {
        if !self.can_read(msg.viewer) {
            return Err(ApiError::Forbidden("this room is private"));
        }
        Ok(self.history.page(msg.page))
    }
}

impl Handler<Subscribe> for RoomActor {
    type Result = ResponseActFuture<Self, ApiResult<()>>;

    fn handle(&mut self, msg: Subscribe, ctx: &mut Context<Self>) -> Self::Result {
        if !self.members.is_member(msg.user) {
            // `join` uses up an invite to a private room, like REST join.
            let joined = match (&msg.join, self.visibility) {
                (Some(user), _) => self.join(user, ctx),
                (None, Visibility::Private) => Err(ApiError::Forbidden("this room is private")),
                (None, Visibility::Public) => Err(ApiError::Forbidden(
                    "join the room first (or subscribe with join: true)",
                )),
            };
            if let Err(e) = joined {
                return Box::pin(fut::ready(Err(e)));
            }
        }
        // A persistent room keeps everything: what the ring has dropped
        // comes from SQLite, and the ring supplies whatever commits meanwhile.
        if let Some(since) = msg.since_seq
            && self.persistent
            && since < self.seq
            && !self.history.covers(since + 1)
        {
            let (db, id) = (self.hub.db.clone(), self.id);
            let page = Page {
                before: None,
                after: Some(since),
                limit: SUBSCRIBE_MAX + 1,
            };
            return Box::pin(
                async move { db.run(move |c| crate::db::rooms::page(c, id, page)).await }
                    .into_actor(self)
                    .map(move |stored, room, ctx| {
                        room.complete_subscribe(msg, Some(stored?), ctx);
                        Ok(())
                    }),
            );
        }
        self.complete_subscribe(msg, None, ctx);
        Box::pin(fut::ready(Ok(())))
    }
}

impl RoomActor {
    /// Adds the subscriber, queues its `subscribed` reply, announces presence.
    fn complete_subscribe(
        &mut self,
        msg: Subscribe,
        stored: Option<Vec<MessageView>>,
        ctx: &mut Context<Self>,
    ) {
        let came_online = self
            .members
            .subscribe(msg.session, msg.user, msg.outbox.clone());
        self.arm_hibernate_timer(ctx);
        let members = self.participants();
        let (history, more, gap) = match stored {
            None => self.history.since(msg.since_seq, self.seq),
            Some(rows) => {
                let since = msg.since_seq.unwrap_or(0);
                let mut by_seq: std::collections::BTreeMap<u64, Arc<MessageView>> =
                    rows.into_iter().map(|m| (m.seq, Arc::new(m))).collect();
                for m in self.history.page(Page {
                    before: None,
                    after: Some(since),
                    limit: SUBSCRIBE_MAX + 1,
                }) {
                    by_seq.insert(m.seq, m);
                }
                let history: Vec<_> = by_seq.into_values().take(SUBSCRIBE_MAX).collect();
                let more = history.last().is_some_and(|m| m.seq < self.seq);
                (history, more, false)
            }
        };
        let frame = Event::Subscribed {
            room: self.id,
            members: &members,
            history: &history,
            more,
            gap,
            reference: msg.reference.as_deref(),
        }
        .encode();
        if !msg.outbox.offer(&frame) {
            self.drop_subscription(msg.session, ctx);
            return;
        }
        if came_online {
            let frame = Event::Presence {
                room: self.id,
                user: msg.user,
                online: true,
            }
            .encode();
            self.fanout(&frame, Some(msg.user), ctx);
        }
    }
}

impl Handler<Unsubscribe> for RoomActor {
    type Result = ();

    fn handle(&mut self, msg: Unsubscribe, ctx: &mut Context<Self>) {
        self.drop_subscription(msg.session, ctx);
    }
}

impl Handler<SetTyping> for RoomActor {
    type Result = ApiResult<()>;

    fn handle(&mut self, msg: SetTyping, ctx: &mut Context<Self>) -> Self::Result {
        if !self.members.is_member(msg.user) {
            return Err(ApiError::Forbidden("not a member of this room"));
        }
        if !msg.typing {
            self.stop_typing(msg.user, ctx);
            return Ok(());
        }
        let user = msg.user;
        let ttl = self.hub.settings.websocket.typing_ttl;
        let timer = ctx.run_later(ttl, move |room, ctx| {
            // This timer is the current one, or it would have been cancelled.
            room.stop_typing(user, ctx);
        });
        match self.typing.insert(user, (msg.session, timer)) {
            // A renewal: restart the clock, tell nobody.
            Some((_, old)) => {
                ctx.cancel_future(old);
            }
            None => {
                let frame = Event::Typing {
                    room: self.id,
                    user,
                    typing: true,
                }
                .encode();
                self.fanout(&frame, Some(user), ctx);
            }
        }
        Ok(())
    }
}

impl Handler<MarkRead> for RoomActor {
    type Result = ApiResult<()>;

    fn handle(&mut self, msg: MarkRead, _: &mut Context<Self>) -> Self::Result {
        let latest = self.seq;
        let m = self
            .members
            .members
            .get_mut(&msg.user)
            .ok_or(ApiError::Forbidden("not a member of this room"))?;
        m.read_seq = m.read_seq.max(msg.seq.min(latest));
        self.persist_member(msg.user);
        Ok(())
    }
}

impl Handler<SetRole> for RoomActor {
    type Result = ApiResult<ParticipantView>;

    fn handle(&mut self, msg: SetRole, _: &mut Context<Self>) -> Self::Result {
        if !self.can_manage(msg.by, false) {
            return Err(ApiError::Forbidden("only the owner may change roles"));
        }
        if msg.role == Role::Owner {
            return Err(ApiError::invalid(
                "role must be \"moderator\" or \"member\"",
            ));
        }
        let member = self
            .members
            .members
            .get_mut(&msg.user)
            .ok_or(ApiError::NotFound("member"))?;
        if member.role == Role::Owner {
            return Err(ApiError::invalid("the owner's role cannot be changed"));
        }
        member.role = msg.role;
        self.persist_member(msg.user);
        self.participant(msg.user)
            .ok_or(ApiError::NotFound("member"))
    }
}

impl Handler<RelaySignal> for RoomActor {
    type Result = ApiResult<()>;

    fn handle(&mut self, msg: RelaySignal, _: &mut Context<Self>) -> Self::Result {
        if !self.members.is_member(msg.from) {
            return Err(ApiError::Forbidden("not a member of this room"));
        }
        if !self.members.is_member(msg.to) {
            return Err(ApiError::NotFound("member"));
        }
        let frame = Event::Signal {
            room: self.id,
            from: msg.from,
            data: &msg.data,
        }
        .encode();
        self.hub.sessions.send_to_user(msg.to, &frame);
        Ok(())
    }
}
