//! Shared, read-mostly state. `Hub` is what room actors and sessions need;
//! `AppState` adds what only HTTP handlers use. Nothing here is a room's
//! state: that belongs to its `RoomActor` alone.

use std::sync::Arc;

use actix::Addr;
use dashmap::DashMap;

use crate::actors::registry::RegistryActor;
use crate::actors::room::RoomActor;
use crate::actors::session::SessionIndex;
use crate::auth::JwtKeys;
use crate::auth::throttle::LoginThrottle;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::{RoomId, UserId, UserView};
use crate::error::{ApiError, ApiResult};
use crate::metrics::Metrics;

pub struct Hub {
    pub settings: Settings,
    pub db: Db,
    /// The group-commit writer for persistent rooms.
    pub writer: crate::db::writer::Writer,
    /// For reviving hibernated rooms; the registry alone starts rooms.
    pub registry: Addr<RegistryActor>,
    pub users: UserDirectory,
    /// Live rooms. Only the registry writes; everyone may read without
    /// queueing behind the registry's mailbox.
    pub rooms: DashMap<RoomId, Addr<RoomActor>>,
    pub sessions: SessionIndex,
    pub metrics: Metrics,
    /// Disabled accounts: their tokens are refused at once.
    pub disabled: dashmap::DashSet<UserId>,
}

pub struct AppState {
    pub hub: Arc<Hub>,
    pub jwt: JwtKeys,
    pub login_throttle: LoginThrottle,
}

impl std::ops::Deref for AppState {
    type Target = Hub;
    fn deref(&self) -> &Hub {
        &self.hub
    }
}

impl AppState {
    /// A valid access token of an account that is not disabled.
    pub fn verify_token(&self, token: &str) -> ApiResult<UserId> {
        let id = self.jwt.verify(token)?;
        if self.disabled.contains(&id) {
            return Err(ApiError::Unauthorized("this account is disabled"));
        }
        Ok(id)
    }
}

impl Hub {
    /// The live room, reviving a hibernated persistent room if need be.
    pub async fn room(&self, id: RoomId) -> ApiResult<Addr<RoomActor>> {
        if let Some(addr) = self.rooms.get(&id) {
            return Ok(addr.value().clone());
        }
        self.registry
            .send(crate::actors::registry::Revive { room: id })
            .await??
            .ok_or(ApiError::NotFound("room"))
    }
}

/// Public user objects, cached so rooms can name authors and participants
/// without a database read. Filled on demand; updated by `PATCH /users/me`.
#[derive(Default)]
pub struct UserDirectory {
    users: DashMap<UserId, Arc<UserView>>,
}

impl UserDirectory {
    pub fn peek(&self, id: UserId) -> Option<Arc<UserView>> {
        self.users.get(&id).map(|u| u.value().clone())
    }

    pub fn put(&self, user: &UserView) -> Arc<UserView> {
        let public = Arc::new(user.public());
        self.users.insert(user.id, public.clone());
        public
    }

    /// The cached user, loaded from the database on a miss.
    pub async fn get(&self, db: &Db, id: UserId) -> ApiResult<Arc<UserView>> {
        if let Some(u) = self.peek(id) {
            return Ok(u);
        }
        let record = db
            .run(move |c| crate::db::users::by_id(c, id))
            .await?
            .ok_or(ApiError::NotFound("user"))?;
        Ok(self.put(&record.view))
    }
}
