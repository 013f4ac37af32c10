//! The registry's inbox.

use std::sync::Arc;

use actix::Message;

use crate::actors::room::NewRoom;
use crate::domain::{RoomId, RoomView, UserView};

/// Handler → Registry, awaited. Start a room owned by `owner`; replies with
/// the room as its owner sees it.
#[derive(Message)]
#[rtype(result = "RoomView")]
pub struct CreateRoom {
    pub owner: Arc<UserView>,
    pub room: NewRoom,
}

/// Room → Registry, `do_send` from the room's `stopping()`. Forget the room.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RoomStopped {
    pub room: RoomId,
}

/// Shutdown → Registry, awaited. Stop the registry and every room arbiter.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Stop;
