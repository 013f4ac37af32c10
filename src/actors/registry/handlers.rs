//! One `Handler` per inbox message.

use actix::{
    Actor, ActorContext, ActorFutureExt, Addr, AsyncContext, AtomicResponse, Context, Handler,
    ResponseActFuture, WrapFuture,
};

use super::RegistryActor;
use super::messages::{CreateRoom, Revive, RoomStopped, Stop};
use crate::actors::room::RoomActor;
use crate::db::writer::WriteOp;
use crate::domain::{Role, RoomId, RoomView};
use crate::error::ApiResult;

impl RegistryActor {
    fn launch(&mut self, id: RoomId, room: RoomActor) -> Addr<RoomActor> {
        let addr = RoomActor::start_in_arbiter(&self.arbiter_for(id), move |_| room);
        self.hub.rooms.insert(id, addr.clone());
        addr
    }
}

impl Handler<CreateRoom> for RegistryActor {
    type Result = ResponseActFuture<Self, ApiResult<RoomView>>;

    fn handle(&mut self, msg: CreateRoom, ctx: &mut Context<Self>) -> Self::Result {
        let id = RoomId::new();
        let room = RoomActor::new(id, msg.room, &msg.owner, self.hub.clone(), ctx.address());
        let mut view = room.view(Some(msg.owner.id));
        view.role = Some(Role::Owner);
        // A persistent room exists once its row and its owner are committed.
        let committed = room.is_persistent().then(|| {
            let writer = self.hub.writer.clone();
            let (row, owner) = (room.row(), room.member_row(msg.owner.id));
            async move {
                writer.submit_detached(WriteOp::InsertRoom(row));
                match owner {
                    Some(owner) => writer.commit(WriteOp::UpsertMember(id, owner)).await,
                    None => Ok(()),
                }
            }
        });
        Box::pin(
            async move {
                match committed {
                    Some(fut) => fut.await,
                    None => Ok(()),
                }
            }
            .into_actor(self)
            .map(move |res, act, _| {
                res?;
                act.launch(id, room);
                Ok(view)
            }),
        )
    }
}

impl Handler<Revive> for RegistryActor {
    type Result = AtomicResponse<Self, ApiResult<Option<Addr<RoomActor>>>>;

    fn handle(&mut self, msg: Revive, _: &mut Context<Self>) -> Self::Result {
        let id = msg.room;
        let live = self.hub.rooms.get(&id).map(|a| a.value().clone());
        let db = self.hub.db.clone();
        let history_len = self.hub.settings.rooms.history_len;
        let is_live = live.is_some();
        AtomicResponse::new(Box::pin(
            async move {
                if is_live {
                    return Ok(None);
                }
                db.run(move |c| crate::db::rooms::load(c, id, history_len))
                    .await
            }
            .into_actor(self)
            .map(move |loaded, act, ctx| {
                if let Some(addr) = live {
                    return Ok(Some(addr));
                }
                let Some(stored) = loaded? else {
                    return Ok(None);
                };
                tracing::debug!(room = %id, "reviving persistent room");
                let room = RoomActor::revive(stored, act.hub.clone(), ctx.address());
                Ok(Some(act.launch(id, room)))
            }),
        ))
    }
}

impl Handler<RoomStopped> for RegistryActor {
    type Result = ();

    fn handle(&mut self, msg: RoomStopped, _: &mut Context<Self>) {
        self.hub
            .rooms
            .remove_if(&msg.room, |_, addr| *addr == msg.addr);
    }
}

impl Handler<Stop> for RegistryActor {
    type Result = ();

    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}
