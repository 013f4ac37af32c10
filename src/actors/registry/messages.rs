//! The registry's inbox.

use std::sync::Arc;

use actix::Message;

use crate::actors::room::NewRoom;
use crate::domain::{RoomId, RoomView, UserView};

/// Handler → Registry, awaited. Start a room owned by `owner`; replies with
/// the room as its owner sees it.
#[derive(Message)]
#[rtype(result = "crate::error::ApiResult<RoomView>")]
pub struct CreateRoom {
    pub owner: Arc<UserView>,
    pub room: NewRoom,
}

/// Room → Registry, `do_send` from the room's `stopping()`. Forget the room.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RoomStopped {
    pub room: RoomId,
    /// A revived successor may already be registered under the same id.
    pub addr: actix::Addr<crate::actors::room::RoomActor>,
}

/// Shutdown → Registry, awaited. Stop the registry and every room arbiter.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Stop;

/// Hub → Registry, awaited. The live room, started from SQLite if it is a
/// hibernated persistent room; `None` if no such room exists. The registry
/// handles one revival at a time, so a room is never started twice.
#[derive(Message)]
#[rtype(result = "crate::error::ApiResult<Option<actix::Addr<crate::actors::room::RoomActor>>>")]
pub struct Revive {
    pub room: RoomId,
}
