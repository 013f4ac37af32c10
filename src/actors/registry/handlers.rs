//! One `Handler` per inbox message.

use actix::{Actor, AsyncContext, Context, Handler, MessageResult};

use super::RegistryActor;
use super::messages::{CreateRoom, RoomStopped};
use crate::actors::room::RoomActor;
use crate::domain::{Role, RoomId};

impl Handler<CreateRoom> for RegistryActor {
    type Result = MessageResult<CreateRoom>;

    fn handle(&mut self, msg: CreateRoom, ctx: &mut Context<Self>) -> Self::Result {
        let id = RoomId::new();
        let room = RoomActor::new(id, msg.room, &msg.owner, self.hub.clone(), ctx.address());
        let mut view = room.view(Some(msg.owner.id));
        view.role = Some(Role::Owner);
        let addr = RoomActor::start_in_arbiter(&self.arbiter_for(id), move |_| room);
        self.hub.rooms.insert(id, addr);
        MessageResult(view)
    }
}

impl Handler<RoomStopped> for RegistryActor {
    type Result = ();

    fn handle(&mut self, msg: RoomStopped, _: &mut Context<Self>) {
        self.hub.rooms.remove(&msg.room);
    }
}

impl Handler<super::messages::Stop> for RegistryActor {
    type Result = ();

    fn handle(&mut self, _: super::messages::Stop, ctx: &mut Context<Self>) {
        use actix::ActorContext;
        ctx.stop();
    }
}
