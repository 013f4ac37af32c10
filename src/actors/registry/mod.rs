//! RegistryActor: the only place that creates or destroys room actors.
//! Owns: the arbiter pool rooms run on, and the writes to `Hub::rooms`
//! (everyone else only reads it). Rooms tell it when they stop.

mod handlers;
mod messages;

pub use messages::{CreateRoom, Revive, RoomStopped, Stop};

use std::sync::Arc;

use actix::{Actor, Arbiter, AsyncContext, Context};

use crate::domain::RoomId;
use crate::state::Hub;

pub struct RegistryActor {
    hub: Arc<Hub>,
    /// Room actors are spread over these threads by `hash(room_id)`, so one
    /// busy room does not hold up rooms on other cores.
    arbiters: Vec<Arbiter>,
}

impl RegistryActor {
    pub fn new(hub: Arc<Hub>) -> Self {
        let n = hub.settings.room_threads();
        Self {
            hub,
            arbiters: (0..n).map(|_| Arbiter::new()).collect(),
        }
    }

    fn arbiter_for(&self, room: RoomId) -> actix::ArbiterHandle {
        let bytes = room.0.as_u128();
        // v7 ids start with a timestamp; the low bits are random.
        let i = (bytes as u64 ^ (bytes >> 64) as u64) % self.arbiters.len() as u64;
        self.arbiters[i as usize].handle()
    }
}

impl Actor for RegistryActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(4096);
        let ws = &self.hub.settings.websocket;
        let timeout = ws.client_timeout;
        ctx.run_interval(ws.heartbeat_interval, move |act, _| {
            act.hub.sessions.heartbeat(timeout);
        });
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        for arbiter in &self.arbiters {
            arbiter.stop();
        }
    }
}
