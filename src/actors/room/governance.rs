//! Who may be in a room: kicks and bans, join requests and invites.

use std::sync::Arc;

use actix::{Context, Handler};

use super::RoomActor;
use super::messages::{
    DecideJoinRequest, Invite, Kick, ListBans, ListJoinRequests, RequestJoin, Unban,
};
use crate::db::writer::WriteOp;
use crate::domain::{
    BanView, InviteView, JoinRequestView, RequestStatus, Role, RoomStatus, Timestamp, UserId,
    Visibility, now,
};
use crate::error::{ApiError, ApiResult};
use crate::ws::protocol::Event;

pub struct Ban {
    pub by: UserId,
    pub reason: Option<String>,
    pub created_at: Timestamp,
}

pub struct PendingInvite {
    pub id: uuid::Uuid,
    pub by: UserId,
    pub created_at: Timestamp,
}

pub struct PendingRequest {
    pub id: uuid::Uuid,
    pub message: String,
    pub created_at: Timestamp,
}

/// Bans, open invites and pending join requests of one room.
#[derive(Default)]
pub struct Governance {
    pub bans: std::collections::HashMap<UserId, Ban>,
    pub invites: std::collections::HashMap<UserId, PendingInvite>,
    pub requests: std::collections::HashMap<UserId, PendingRequest>,
}

impl RoomActor {
    /// Owner, moderator or admin.
    pub(super) fn moderates(&self, by: UserId, by_admin: bool) -> bool {
        by_admin
            || self
                .members
                .members
                .get(&by)
                .is_some_and(|m| matches!(m.role, Role::Owner | Role::Moderator))
    }

    pub(super) fn is_banned(&self, user: UserId) -> bool {
        self.governance.bans.contains_key(&user)
    }

    fn request_view(
        &self,
        user: UserId,
        r: &PendingRequest,
        status: RequestStatus,
    ) -> ApiResult<JoinRequestView> {
        Ok(JoinRequestView {
            id: r.id,
            room: self.id,
            user: self
                .hub
                .users
                .peek(user)
                .ok_or(ApiError::NotFound("user"))?,
            message: r.message.clone(),
            status,
            created_at: r.created_at,
            decided_at: (status != RequestStatus::Pending).then(now),
        })
    }

    /// Tells the owner's and moderators' connections.
    fn tell_moderators(&self, frame: &bytestring::ByteString) {
        for (user, m) in &self.members.members {
            if matches!(m.role, Role::Owner | Role::Moderator) {
                self.hub.sessions.send_to_user(*user, frame);
            }
        }
    }
}

impl Handler<Kick> for RoomActor {
    type Result = ApiResult<()>;

    fn handle(&mut self, msg: Kick, ctx: &mut Context<Self>) -> Self::Result {
        if !self.moderates(msg.by, msg.by_admin) {
            return Err(ApiError::Forbidden(
                "only the owner, moderators or an admin may kick",
            ));
        }
        if msg.user == msg.by {
            return Err(ApiError::invalid(
                "you cannot kick yourself; leave the room instead",
            ));
        }
        let target = self.members.members.get(&msg.user).map(|m| m.role);
        let by_role = self.members.members.get(&msg.by).map(|m| m.role);
        match target {
            Some(Role::Owner) => return Err(ApiError::Forbidden("the owner cannot be kicked")),
            Some(Role::Moderator) if !msg.by_admin && by_role != Some(Role::Owner) => {
                return Err(ApiError::Forbidden("moderators may only kick members"));
            }
            None if !msg.ban => return Err(ApiError::NotFound("member")),
            _ => {}
        }
        if msg.ban {
            let ban = Ban {
                by: msg.by,
                reason: msg.reason.clone(),
                created_at: now(),
            };
            self.persist(WriteOp::UpsertBan {
                room: self.id,
                user: msg.user,
                by: ban.by,
                reason: ban.reason.clone(),
                created_at: ban.created_at,
            });
            self.governance.bans.insert(msg.user, ban);
            self.governance.invites.remove(&msg.user);
            if self.governance.requests.remove(&msg.user).is_some() {
                self.persist(WriteOp::RemoveRequest(self.id, msg.user));
            }
            self.persist(WriteOp::RemoveInvite(self.id, msg.user));
        }
        if target.is_some() {
            if let Some((_, timer)) = self.typing.remove(&msg.user) {
                actix::AsyncContext::cancel_future(ctx, timer);
            }
            self.members.remove(self.id, msg.user);
            self.persist(WriteOp::RemoveMember(self.id, msg.user));
            let frame = Event::Kicked {
                room: self.id,
                reason: msg.reason.as_deref(),
                banned: msg.ban,
            }
            .encode();
            self.hub.sessions.send_to_user(msg.user, &frame);
            let frame = Event::MemberLeft {
                room: self.id,
                user: msg.user,
            }
            .encode();
            self.fanout(&frame, None, ctx);
        }
        Ok(())
    }
}

impl Handler<Unban> for RoomActor {
    type Result = ApiResult<()>;

    fn handle(&mut self, msg: Unban, _: &mut Context<Self>) -> Self::Result {
        if !self.moderates(msg.by, msg.by_admin) {
            return Err(ApiError::Forbidden(
                "only the owner, moderators or an admin may unban",
            ));
        }
        self.governance
            .bans
            .remove(&msg.user)
            .ok_or(ApiError::NotFound("ban"))?;
        self.persist(WriteOp::RemoveBan(self.id, msg.user));
        Ok(())
    }
}

impl Handler<ListBans> for RoomActor {
    type Result = ApiResult<Vec<BanView>>;

    fn handle(&mut self, msg: ListBans, _: &mut Context<Self>) -> Self::Result {
        if !self.moderates(msg.by, msg.by_admin) {
            return Err(ApiError::Forbidden(
                "only the owner, moderators or an admin see bans",
            ));
        }
        let mut bans: Vec<BanView> = self
            .governance
            .bans
            .iter()
            .filter_map(|(user, b)| {
                Some(BanView {
                    user: self.hub.users.peek(*user)?,
                    by: b.by,
                    reason: b.reason.clone(),
                    created_at: b.created_at,
                })
            })
            .collect();
        bans.sort_by_key(|b| b.created_at);
        Ok(bans)
    }
}

impl Handler<RequestJoin> for RoomActor {
    type Result = ApiResult<JoinRequestView>;

    fn handle(&mut self, msg: RequestJoin, _: &mut Context<Self>) -> Self::Result {
        let user = msg.user.id;
        if self.visibility == Visibility::Public {
            return Err(ApiError::invalid("this room is public: join it directly"));
        }
        if self.members.is_member(user) {
            return Err(ApiError::conflict("already a member of this room"));
        }
        if self.is_banned(user) {
            return Err(ApiError::Forbidden("you are banned from this room"));
        }
        if self.governance.requests.contains_key(&user) {
            return Err(ApiError::conflict("a request to join is already pending"));
        }
        self.hub.users.put(&msg.user);
        let request = PendingRequest {
            id: uuid::Uuid::now_v7(),
            message: msg.message,
            created_at: now(),
        };
        let view = self.request_view(user, &request, RequestStatus::Pending)?;
        self.persist(WriteOp::UpsertRequest {
            id: request.id,
            room: self.id,
            user,
            message: request.message.clone(),
            created_at: request.created_at,
        });
        self.governance.requests.insert(user, request);
        let frame = Event::JoinRequest {
            room: self.id,
            request: &view,
        }
        .encode();
        self.tell_moderators(&frame);
        Ok(view)
    }
}

impl Handler<ListJoinRequests> for RoomActor {
    type Result = ApiResult<Vec<JoinRequestView>>;

    fn handle(&mut self, msg: ListJoinRequests, _: &mut Context<Self>) -> Self::Result {
        if !self.moderates(msg.by, msg.by_admin) {
            return Err(ApiError::Forbidden(
                "only the owner, moderators or an admin see join requests",
            ));
        }
        let mut out = Vec::new();
        for (user, r) in &self.governance.requests {
            out.push(self.request_view(*user, r, RequestStatus::Pending)?);
        }
        out.sort_by_key(|r| r.created_at);
        Ok(out)
    }
}

impl Handler<DecideJoinRequest> for RoomActor {
    type Result = ApiResult<JoinRequestView>;

    fn handle(&mut self, msg: DecideJoinRequest, ctx: &mut Context<Self>) -> Self::Result {
        let requester = self
            .governance
            .requests
            .iter()
            .find(|(_, r)| r.id == msg.request)
            .map(|(u, _)| *u);
        if requester == Some(msg.by) {
            return Err(ApiError::Forbidden("you cannot decide your own request"));
        }
        if !self.moderates(msg.by, msg.by_admin) {
            return Err(ApiError::Forbidden(
                "only the owner, moderators or an admin decide join requests",
            ));
        }
        let requester = requester.ok_or(ApiError::NotFound("join request"))?;
        if msg.approve {
            if self.status == RoomStatus::Inactive {
                return Err(ApiError::conflict("this room is inactive"));
            }
            if self.members.count() >= self.max_participants as usize {
                return Err(ApiError::conflict("this room is full"));
            }
        }
        let request = self
            .governance
            .requests
            .remove(&requester)
            .ok_or(ApiError::NotFound("join request"))?;
        self.persist(WriteOp::RemoveRequest(self.id, requester));
        let status = if msg.approve {
            RequestStatus::Approved
        } else {
            RequestStatus::Denied
        };
        let view = self.request_view(requester, &request, status)?;
        if msg.approve {
            self.admit(requester, ctx);
            let info = self.view(Some(requester));
            let frame = Event::JoinApproved {
                room: self.id,
                info: &info,
            }
            .encode();
            self.hub.sessions.send_to_user(requester, &frame);
        } else {
            let frame = Event::JoinDenied { room: self.id }.encode();
            self.hub.sessions.send_to_user(requester, &frame);
        }
        Ok(view)
    }
}

impl Handler<Invite> for RoomActor {
    type Result = ApiResult<InviteView>;

    fn handle(&mut self, msg: Invite, _: &mut Context<Self>) -> Self::Result {
        if !self.moderates(msg.by.id, msg.by_admin) {
            return Err(ApiError::Forbidden(
                "only the owner, moderators or an admin may invite",
            ));
        }
        let user = msg.user.id;
        if self.members.is_member(user) {
            return Err(ApiError::conflict("already a member of this room"));
        }
        if self.is_banned(user) {
            return Err(ApiError::Forbidden(
                "this user is banned from the room; unban them first",
            ));
        }
        self.hub.users.put(&msg.user);
        let invite = PendingInvite {
            id: uuid::Uuid::now_v7(),
            by: msg.by.id,
            created_at: now(),
        };
        let view = InviteView {
            id: invite.id,
            room: self.id,
            user: msg.user.clone(),
            by: Arc::new(msg.by.public()),
            created_at: invite.created_at,
        };
        self.persist(WriteOp::UpsertInvite {
            id: invite.id,
            room: self.id,
            user,
            by: invite.by,
            created_at: invite.created_at,
        });
        self.governance.invites.insert(user, invite);
        let info = self.view(None);
        let frame = Event::Invited {
            room: self.id,
            info: &info,
            by: &view.by,
        }
        .encode();
        self.hub.sessions.send_to_user(user, &frame);
        Ok(view)
    }
}
