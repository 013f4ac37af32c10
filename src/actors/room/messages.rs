//! The room's inbox: everything a room can be asked. Senders await the reply
//! (`send().await`) unless noted.

use std::sync::Arc;

use actix::Message;

use crate::actors::session::Outbox;
use crate::domain::{
    Description, MessageId, MessageText, MessageView, ParticipantView, RoomName, RoomStatus,
    RoomView, SessionId, UserId, UserView, Visibility,
};
use crate::error::ApiResult;

/// Handler → Room. The room as `viewer` sees it; `None` when it is private
/// and the viewer is no member (the room is then not listed).
#[derive(Message)]
#[rtype(result = "RoomAccess")]
pub struct GetRoom {
    pub viewer: UserId,
}

pub struct RoomAccess {
    pub view: RoomView,
    pub is_member: bool,
}

/// Handler → Room. `[participant]`, for members (anyone in a public room).
#[derive(Message)]
#[rtype(result = "ApiResult<Vec<ParticipantView>>")]
pub struct GetParticipants {
    pub viewer: UserId,
}

/// Handler → Room. Join a public, active room with room to spare.
#[derive(Message)]
#[rtype(result = "ApiResult<RoomView>")]
pub struct Join {
    pub user: Arc<UserView>,
}

/// Handler → Room. Leave; ownership passes on if the owner leaves.
#[derive(Message)]
#[rtype(result = "ApiResult<()>")]
pub struct Leave {
    pub user: UserId,
}

/// Validated changes for `PATCH /api/rooms/{id}`.
#[derive(Default)]
pub struct RoomPatch {
    pub name: Option<RoomName>,
    pub description: Option<Description>,
    pub status: Option<RoomStatus>,
    pub max_participants: Option<u32>,
    pub visibility: Option<Visibility>,
}

/// Handler → Room. Owner or admin changes the room; subscribers get `room_updated`.
#[derive(Message)]
#[rtype(result = "ApiResult<RoomView>")]
pub struct UpdateRoom {
    pub by: UserId,
    pub by_admin: bool,
    pub patch: RoomPatch,
}

/// Handler → Room. Owner or admin deletes; members' connections get
/// `room_deleted` and the actor stops.
#[derive(Message)]
#[rtype(result = "ApiResult<()>")]
pub struct DeleteRoom {
    pub by: UserId,
    pub by_admin: bool,
}

/// Where to send the `ack` of a WebSocket post, ahead of the broadcast, or
/// its refusal: the room answers the connection itself, so the connection
/// can send its next post without waiting for the room.
#[derive(Clone)]
pub struct AckTo {
    pub outbox: Outbox,
    pub reference: Option<String>,
}

/// Handler or Session → Room. Post a message; replies with the stored message.
#[derive(Message)]
#[rtype(result = "ApiResult<Arc<MessageView>>")]
pub struct PostMessage {
    pub author: UserId,
    pub text: MessageText,
    pub reply_to: Option<MessageId>,
    pub ack: Option<AckTo>,
}

/// Which page of history: SPEC §8.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub before: Option<u64>,
    pub after: Option<u64>,
    pub limit: usize,
}

/// Handler → Room. A page of messages in ascending `seq`.
#[derive(Message)]
#[rtype(result = "ApiResult<Vec<Arc<MessageView>>>")]
pub struct GetMessages {
    pub viewer: UserId,
    pub page: Page,
}

/// Session → Room. Start receiving the room's events; the room itself queues
/// the `subscribed` reply so that it precedes every later event.
#[derive(Message)]
#[rtype(result = "ApiResult<()>")]
pub struct Subscribe {
    pub session: SessionId,
    pub user: UserId,
    pub outbox: Outbox,
    pub since_seq: Option<u64>,
    /// Join first (public rooms), as this user.
    pub join: Option<Arc<UserView>>,
    pub reference: Option<String>,
}

/// Session → Room. Stop receiving; idempotent. Sent with `do_send` from a
/// stopping session.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Unsubscribe {
    pub session: SessionId,
}

/// Session → Room. `typing` on or off.
#[derive(Message)]
#[rtype(result = "ApiResult<()>")]
pub struct SetTyping {
    pub session: SessionId,
    pub user: UserId,
    pub typing: bool,
}

/// Session → Room. Move the member's read marker up to `seq`.
#[derive(Message)]
#[rtype(result = "ApiResult<()>")]
pub struct MarkRead {
    pub user: UserId,
    pub seq: u64,
}

/// Handler → Room. The owner makes a member a moderator or back; replies
/// with the participant.
#[derive(Message)]
#[rtype(result = "ApiResult<ParticipantView>")]
pub struct SetRole {
    pub by: UserId,
    pub user: UserId,
    pub role: crate::domain::Role,
}

/// Handler → Room. Remove `user` (and with `ban`, keep them out). Owner and
/// admins may kick anyone but the owner; moderators only members. Banning a
/// non-member is allowed (pre-emptive).
#[derive(Message)]
#[rtype(result = "ApiResult<()>")]
pub struct Kick {
    pub by: UserId,
    pub by_admin: bool,
    pub user: UserId,
    pub ban: bool,
    pub reason: Option<String>,
}

/// Handler → Room. Lift a ban (owner, moderator, admin).
#[derive(Message)]
#[rtype(result = "ApiResult<()>")]
pub struct Unban {
    pub by: UserId,
    pub by_admin: bool,
    pub user: UserId,
}

/// Handler → Room. The room's bans (owner, moderator, admin).
#[derive(Message)]
#[rtype(result = "ApiResult<Vec<crate::domain::BanView>>")]
pub struct ListBans {
    pub by: UserId,
    pub by_admin: bool,
}

/// Handler → Room. A non-member asks to join a private room; owner and
/// moderators get `join_request` live.
#[derive(Message)]
#[rtype(result = "ApiResult<crate::domain::JoinRequestView>")]
pub struct RequestJoin {
    pub user: Arc<UserView>,
    pub message: String,
}

/// Handler → Room. Pending requests (owner, moderator, admin).
#[derive(Message)]
#[rtype(result = "ApiResult<Vec<crate::domain::JoinRequestView>>")]
pub struct ListJoinRequests {
    pub by: UserId,
    pub by_admin: bool,
}

/// Handler → Room. Approve or deny a pending request; the requester is told live.
#[derive(Message)]
#[rtype(result = "ApiResult<crate::domain::JoinRequestView>")]
pub struct DecideJoinRequest {
    pub by: UserId,
    pub by_admin: bool,
    pub request: uuid::Uuid,
    pub approve: bool,
}

/// Handler → Room. Invite `user` (owner, moderator, admin); they get
/// `invited` live and may then join directly, once.
#[derive(Message)]
#[rtype(result = "ApiResult<crate::domain::InviteView>")]
pub struct Invite {
    pub by: Arc<UserView>,
    pub by_admin: bool,
    pub user: Arc<UserView>,
}

/// Session → Room. Relay WebRTC signalling `data` to `to`'s connections;
/// both must be members.
#[derive(Message)]
#[rtype(result = "ApiResult<()>")]
pub struct RelaySignal {
    pub from: UserId,
    pub to: UserId,
    pub data: serde_json::Value,
}

/// Handler or Session → Room. The author changes a message's text; the
/// room gets `message_edited`.
#[derive(Message)]
#[rtype(result = "ApiResult<Arc<MessageView>>")]
pub struct EditMessage {
    pub by: UserId,
    pub id: MessageId,
    pub text: MessageText,
    pub ack: Option<AckTo>,
}

/// Handler or Session → Room. Soft delete by the author, a moderator, the
/// owner or an admin; the room gets `message_deleted`.
#[derive(Message)]
#[rtype(result = "ApiResult<Arc<MessageView>>")]
pub struct DeleteMessage {
    pub by: UserId,
    pub by_admin: bool,
    pub id: MessageId,
    pub ack: Option<AckTo>,
}

/// Handler or Session → Room. A member adds (`on`) or removes a reaction;
/// the room gets `reaction` when something changed.
#[derive(Message)]
#[rtype(result = "ApiResult<Arc<MessageView>>")]
pub struct React {
    pub by: UserId,
    pub id: MessageId,
    pub emoji: String,
    pub on: bool,
    pub ack: Option<AckTo>,
}

/// Handler → Room (temporary rooms; persistent ones are read from SQLite).
/// A message and every reply to it.
#[derive(Message)]
#[rtype(result = "ApiResult<(Arc<MessageView>, Vec<Arc<MessageView>>)>")]
pub struct GetThread {
    pub viewer: UserId,
    pub id: MessageId,
}
