//! One `Handler` per inbox message, in the order of `messages.rs`.

use std::sync::Arc;
use std::time::Instant;

use actix::{ActorContext, AsyncContext, Context, Handler, MessageResult};

use super::RoomActor;
use super::messages::*;
use crate::domain::{
    AuthorView, MessageId, MessageView, ParticipantView, Role, RoomStatus, RoomView, UserView,
    Visibility,
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
    /// Adds `user` as a member: the room must be public, active and not full.
    fn join(&mut self, user: &Arc<UserView>, ctx: &mut Context<Self>) -> ApiResult<()> {
        if self.members.is_member(user.id) {
            return Err(ApiError::conflict("already a member of this room"));
        }
        if self.visibility == Visibility::Private {
            return Err(ApiError::Forbidden("this room is private"));
        }
        if self.status == RoomStatus::Inactive {
            return Err(ApiError::conflict("this room is inactive"));
        }
        if self.members.count() >= self.max_participants as usize {
            return Err(ApiError::conflict("this room is full"));
        }
        self.hub.users.put(user);
        self.members
            .add(user.id, Role::Member, crate::domain::now(), self.seq);
        self.disarm_empty_timer(ctx);
        if let Some(member) = self.participant(user.id) {
            let frame = Event::MemberJoined {
                room: self.id,
                member: &member,
            }
            .encode();
            self.fanout(&frame, None, ctx);
        }
        Ok(())
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
        let Some(left) = self.members.remove(user) else {
            return Err(ApiError::conflict("not a member of this room"));
        };
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
            self.broadcast_room_updated(ctx);
        }
        self.arm_empty_timer(ctx);
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
        self.broadcast_room_updated(ctx);
        Ok(self.view(Some(msg.by)))
    }
}

impl Handler<DeleteRoom> for RoomActor {
    type Result = ApiResult<()>;

    fn handle(&mut self, msg: DeleteRoom, ctx: &mut Context<Self>) -> Self::Result {
        if !self.can_manage(msg.by, msg.by_admin) {
            return Err(ApiError::Forbidden(
                "only the owner or an admin may delete this room",
            ));
        }
        let frame = Event::RoomDeleted { room: self.id }.encode();
        for user in self.members.members.keys() {
            self.hub.sessions.send_to_user(*user, &frame);
        }
        self.members.subscribers.clear();
        ctx.stop();
        Ok(())
    }
}

impl Handler<PostMessage> for RoomActor {
    type Result = ApiResult<Arc<MessageView>>;

    fn handle(&mut self, msg: PostMessage, ctx: &mut Context<Self>) -> Self::Result {
        let arrived = Instant::now();
        if !self.members.is_member(msg.author) {
            return Err(ApiError::Forbidden("join the room before posting"));
        }
        if self.status == RoomStatus::Inactive {
            return Err(ApiError::conflict("this room is inactive"));
        }
        if let Some(parent) = msg.reply_to {
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
            text: msg.text.into_inner(),
            reply_to: msg.reply_to,
            attachments: Vec::new(),
            reactions: Default::default(),
            created_at: crate::domain::now(),
            edited_at: None,
            deleted: false,
        });
        self.history.push(message.clone());
        if let Some(ack) = msg.ack {
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
    type Result = ApiResult<()>;

    fn handle(&mut self, msg: Subscribe, ctx: &mut Context<Self>) -> Self::Result {
        if !self.members.is_member(msg.user) {
            match (&msg.join, self.visibility) {
                (_, Visibility::Private) => {
                    return Err(ApiError::Forbidden("this room is private"));
                }
                (Some(user), Visibility::Public) => self.join(user, ctx)?,
                (None, Visibility::Public) => {
                    return Err(ApiError::Forbidden(
                        "join the room first (or subscribe with join: true)",
                    ));
                }
            }
        }
        let came_online = self
            .members
            .subscribe(msg.session, msg.user, msg.outbox.clone());
        let members = self.participants();
        let (history, more, gap) = self.history.since(msg.since_seq, self.seq);
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
            return Ok(());
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
        Ok(())
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
        self.participant(msg.user)
            .ok_or(ApiError::NotFound("member"))
    }
}
