//! RoomActor: the single owner of one room's live state.
//! Owns: members and roles, subscribed connections, limits and status, the
//! `seq` counter, the history ring and typing timers.
//! Talks to: sessions (via `Outbox::offer`, never awaited), the registry
//! (`RoomStopped`, from `stopping()`). Never awaits a session or blocks its arbiter.

mod editing;
mod governance;
pub use editing::valid_emoji;
pub use governance::{Ban, Governance, PendingInvite, PendingRequest};
mod handlers;
mod history;
mod members;
pub mod messages;
mod persist;

use std::collections::HashMap;
use std::sync::Arc;

use actix::{Actor, ActorContext, Addr, AsyncContext, Context, SpawnHandle};
use bytestring::ByteString;

use crate::actors::registry::{RegistryActor, RoomStopped};
use crate::domain::{
    ParticipantView, Role, RoomId, RoomStatus, RoomView, SessionId, Timestamp, UserId, UserView,
    Visibility,
};
use crate::state::Hub;
use crate::ws::protocol::Event;
use history::History;
use members::Members;

/// What a new room starts with (validated by the caller).
pub struct NewRoom {
    pub name: String,
    pub description: String,
    pub visibility: Visibility,
    pub max_participants: u32,
    pub persistent: bool,
}

pub struct RoomActor {
    id: RoomId,
    name: String,
    description: String,
    owner_id: UserId,
    visibility: Visibility,
    status: RoomStatus,
    max_participants: u32,
    persistent: bool,
    created_at: Timestamp,
    members: Members,
    /// `seq` of the latest message; the next one gets `seq + 1`.
    seq: u64,
    history: History,
    /// Who is typing, from which connection, and the timer that ends it.
    typing: HashMap<UserId, (SessionId, SpawnHandle)>,
    /// Runs while the room has no members; destroys it when it fires.
    empty_timer: Option<SpawnHandle>,
    /// Persistent rooms: runs while nobody is subscribed; stops the actor.
    hibernate_timer: Option<SpawnHandle>,
    /// Persistent rooms: posts waiting for their commit, by `seq`. They are
    /// released (stored in the ring, acked, broadcast) strictly in `seq` order.
    pending: std::collections::BTreeMap<u64, persist::PendingPost>,
    /// Bans, open invites, pending join requests.
    governance: governance::Governance,
    hub: Arc<Hub>,
    registry: Addr<RegistryActor>,
}

impl RoomActor {
    pub fn new(
        id: RoomId,
        spec: NewRoom,
        owner: &UserView,
        hub: Arc<Hub>,
        registry: Addr<RegistryActor>,
    ) -> Self {
        let created_at = crate::domain::now();
        let mut members = Members::default();
        members.add(owner.id, Role::Owner, created_at, 0);
        Self {
            id,
            name: spec.name,
            description: spec.description,
            owner_id: owner.id,
            visibility: spec.visibility,
            status: RoomStatus::Active,
            max_participants: spec.max_participants,
            persistent: spec.persistent,
            created_at,
            members,
            seq: 0,
            history: History::new(hub.settings.rooms.history_len),
            typing: HashMap::new(),
            empty_timer: None,
            hibernate_timer: None,
            pending: Default::default(),
            governance: Default::default(),
            hub,
            registry,
        }
    }

    /// The room as `viewer` sees it (role and unread for members).
    pub fn view(&self, viewer: Option<UserId>) -> RoomView {
        let member = viewer.and_then(|v| self.members.members.get(&v).map(|m| (v, m)));
        RoomView {
            id: self.id,
            name: self.name.clone(),
            description: self.description.clone(),
            owner_id: self.owner_id,
            visibility: self.visibility,
            status: self.status,
            max_participants: self.max_participants,
            participant_count: self.members.count(),
            online_count: self.members.online_count(),
            persistent: self.persistent,
            created_at: self.created_at,
            role: member.map(|(_, m)| m.role),
            unread: member.map(|(v, m)| self.history.unread(v, m.read_seq, self.seq)),
        }
    }

    fn participant(&self, user: UserId) -> Option<ParticipantView> {
        let m = self.members.members.get(&user)?;
        Some(ParticipantView {
            user: self.hub.users.peek(user)?,
            role: m.role,
            joined_at: m.joined_at,
            online: self.members.is_online(user),
        })
    }

    fn participants(&self) -> Vec<ParticipantView> {
        self.members
            .in_join_order()
            .into_iter()
            .filter_map(|(id, _)| self.participant(id))
            .collect()
    }

    fn can_read(&self, viewer: UserId) -> bool {
        self.visibility == Visibility::Public || self.members.is_member(viewer)
    }

    fn can_manage(&self, by: UserId, by_admin: bool) -> bool {
        by_admin
            || self
                .members
                .members
                .get(&by)
                .is_some_and(|m| m.role == Role::Owner)
    }

    /// Offers `frame` to every subscriber except `skip_user`'s connections.
    /// A subscriber whose outbox refuses is dropped; it is already being closed.
    fn fanout(&mut self, frame: &ByteString, skip_user: Option<UserId>, ctx: &mut Context<Self>) {
        let mut delivered = 0u64;
        let mut dead = Vec::new();
        for (session, sub) in &self.members.subscribers {
            if Some(sub.user) == skip_user {
                continue;
            }
            if sub.outbox.offer(frame) {
                delivered += 1;
            } else {
                dead.push(*session);
            }
        }
        self.hub.metrics.deliveries.inc_by(delivered);
        for session in dead {
            self.drop_subscription(session, ctx);
        }
    }

    /// Removes one subscription, ending its typing and announcing presence.
    fn drop_subscription(&mut self, session: SessionId, ctx: &mut Context<Self>) {
        let Some((user, went_offline)) = self.members.unsubscribe(session) else {
            return;
        };
        self.arm_hibernate_timer(ctx);
        if self.typing.get(&user).is_some_and(|(s, _)| *s == session) {
            self.stop_typing(user, ctx);
        }
        if went_offline {
            let frame = Event::Presence {
                room: self.id,
                user,
                online: false,
            }
            .encode();
            self.fanout(&frame, Some(user), ctx);
        }
    }

    fn stop_typing(&mut self, user: UserId, ctx: &mut Context<Self>) {
        if let Some((_, timer)) = self.typing.remove(&user) {
            ctx.cancel_future(timer);
            let frame = Event::Typing {
                room: self.id,
                user,
                typing: false,
            }
            .encode();
            self.fanout(&frame, Some(user), ctx);
        }
    }

    fn broadcast_room_updated(&mut self, ctx: &mut Context<Self>) {
        let info = self.view(None);
        let frame = Event::RoomUpdated {
            room: self.id,
            info: &info,
        }
        .encode();
        self.fanout(&frame, None, ctx);
    }

    /// Starts the empty-room timer when the last member has gone.
    fn arm_empty_timer(&mut self, ctx: &mut Context<Self>) {
        // A persistent room outlives its members; it only hibernates.
        if self.persistent || self.members.count() > 0 || self.empty_timer.is_some() {
            return;
        }
        let ttl = self.hub.settings.rooms.empty_ttl;
        self.empty_timer = Some(ctx.run_later(ttl, |room, ctx| {
            room.empty_timer = None;
            if room.members.count() == 0 {
                tracing::debug!(room = %room.id, "empty room expired");
                ctx.stop();
            }
        }));
    }

    fn disarm_empty_timer(&mut self, ctx: &mut Context<Self>) {
        if let Some(timer) = self.empty_timer.take() {
            ctx.cancel_future(timer);
        }
    }
}

impl Actor for RoomActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Sessions and handlers await replies, so a burst waits here instead
        // of growing memory; 16 (the default) is too small for a busy room.
        ctx.set_mailbox_capacity(1024);
        self.hub.metrics.rooms.inc();
        self.arm_hibernate_timer(ctx);
    }

    fn stopping(&mut self, ctx: &mut Context<Self>) -> actix::Running {
        self.hub.metrics.rooms.dec();
        // do_send: the room is stopping and cannot await; the registry only
        // forgets the room, which is idempotent.
        self.registry.do_send(RoomStopped {
            room: self.id,
            addr: ctx.address(),
        });
        actix::Running::Stop
    }
}
