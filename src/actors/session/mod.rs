//! SessionActor: one per WebSocket connection.
//! Owns: the connection's outbox, its rate bucket and the set of rooms it is
//! subscribed to. Talks to: rooms (posts pipelined, everything else with
//! `send().await` one frame at a time, so a client's frames and their
//! answers keep their order; see `inbound.rs`), the session index. The socket itself
//! is written by the connection's response body (`ws/transport.rs`), which
//! drains the outbox.

mod inbound;
mod outbox;
mod throttle;

pub use outbox::{CLOSE_SLOW_CONSUMER, Outbox, Outgoing, SessionHandle, SessionIndex};

use std::collections::HashSet;
use std::sync::Arc;

use actix::{Actor, ActorContext, ActorFutureExt, AsyncContext, Context, WrapFuture};

use crate::actors::room::messages::Unsubscribe;
use crate::domain::{RoomId, SessionId, UserId};
use crate::state::Hub;
use throttle::TokenBucket;

pub struct SessionActor {
    id: SessionId,
    user: UserId,
    hub: Arc<Hub>,
    outbox: Outbox,
    /// Rooms this connection asked for; unsubscribed on stop.
    subscriptions: HashSet<RoomId>,
    bucket: TokenBucket,
    /// Consecutive frames the bucket refused; too many closes with 1008.
    strikes: u32,
    /// Posts sent to rooms and not yet answered (see `inbound::post`).
    posts: std::rc::Rc<inbound::PostsInFlight>,
    /// Subscribe to this room as soon as the connection opens (`/ws/rooms/{id}`).
    initial_room: Option<RoomId>,
}

impl SessionActor {
    pub fn new(user: UserId, hub: Arc<Hub>, outbox: Outbox, initial_room: Option<RoomId>) -> Self {
        let limits = &hub.settings.limits;
        let bucket = TokenBucket::new(limits.messages_burst, limits.messages_per_sec);
        Self {
            id: SessionId::next(),
            user,
            hub,
            outbox,
            subscriptions: HashSet::new(),
            bucket,
            strikes: 0,
            posts: Default::default(),
            initial_room,
        }
    }

    /// Makes this connection reachable by events about its user. Done by
    /// the upgrade before it answers `101`, so an event sent the moment the
    /// client sees the connection open is not missed.
    pub fn register(&self) {
        self.hub.sessions.add(
            self.user,
            SessionHandle {
                id: self.id,
                outbox: self.outbox.clone(),
            },
        );
    }

    fn send_text(&self, text: String) {
        self.outbox.offer(&text.into());
    }

    fn close(&self, code: u16, ctx: &mut Context<Self>) {
        self.outbox.close(code);
        ctx.stop();
    }
}

impl Actor for SessionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.hub.metrics.connections.inc();
        // Whoever closes the outbox (a room cutting off a slow reader, the
        // writer finding the socket gone, shutdown) also ends this actor.
        let closed = self.outbox.closed_token();
        ctx.spawn(
            async move { closed.cancelled_owned().await }
                .into_actor(self)
                .map(|_, _, ctx| ctx.stop()),
        );
        // Pings and the silence cut-off come from the registry's shared
        // heartbeat (`SessionIndex::heartbeat`); any inbound frame counts as
        // a sign of life (`Outbox::touch`).
        if let Some(room) = self.initial_room.take() {
            self.subscribe(room, None, false, None, ctx);
        }
    }

    fn stopping(&mut self, _: &mut Context<Self>) -> actix::Running {
        for room in self.subscriptions.drain() {
            if let Some(addr) = self.hub.rooms.get(&room) {
                // do_send: this actor is stopping and cannot await; rooms
                // treat Unsubscribe as idempotent.
                addr.do_send(Unsubscribe { session: self.id });
            }
        }
        self.hub.sessions.remove(self.user, self.id);
        // Ends the writer if nobody closed the connection yet.
        self.outbox.close(1000);
        self.hub.metrics.connections.dec();
        actix::Running::Stop
    }
}
