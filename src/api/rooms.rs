//! `/api/rooms`: create, list, inspect, change, delete, join and leave rooms.
//! Handlers validate and authenticate; the room actor decides everything
//! that depends on the room's state.

use actix_web::{HttpResponse, web};
use futures_util::future::join_all;
use serde::Deserialize;

use crate::actors::registry::CreateRoom;
use crate::actors::room::NewRoom;
use crate::actors::room::messages::{
    DeleteRoom, GetParticipants, GetRoom, Join, Leave, RoomPatch, SetRole, UpdateRoom,
};
use crate::auth::AuthUser;
use crate::domain::{
    Description, Role, RoomId, RoomName, RoomStatus, RoomView, UserId, Visibility,
};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn participant_limit(state: &AppState, raw: i64) -> ApiResult<u32> {
    let cap = state.settings.rooms.max_participants_cap;
    if raw < 1 || raw > i64::from(cap) {
        return Err(ApiError::invalid(format!(
            "max_participants must be 1..={cap}"
        )));
    }
    Ok(raw as u32)
}

#[derive(Deserialize)]
pub struct CreateRoomBody {
    name: String,
    description: Option<String>,
    visibility: Option<Visibility>,
    max_participants: Option<i64>,
    persistent: Option<bool>,
}

/// `POST /api/rooms` → 201 `room`; the caller becomes owner and member.
/// - name 1–100 characters, description up to 1000
/// - `max_participants` 1..=`rooms.max_participants_cap`
pub async fn create_room(
    state: web::Data<AppState>,
    me: AuthUser,
    body: web::Json<CreateRoomBody>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let name = RoomName::parse(&body.name)?;
    let description = body
        .description
        .as_deref()
        .map(Description::parse)
        .transpose()?;
    let max_participants = match body.max_participants {
        Some(n) => participant_limit(&state, n)?,
        None => state.settings.rooms.default_max_participants,
    };
    let owner = state.users.get(&state.db, me.id).await?;
    let view = state
        .hub
        .registry
        .send(CreateRoom {
            owner,
            room: NewRoom {
                name: name.into_inner(),
                description: description.map(Description::into_inner).unwrap_or_default(),
                visibility: body.visibility.unwrap_or_default(),
                max_participants,
                persistent: body.persistent.unwrap_or(false),
            },
        })
        .await??;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<RoomStatus>,
}

/// `GET /api/rooms?q=&status=` → public rooms plus private rooms the caller
/// belongs to, with live counts, by name.
pub async fn list_rooms(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let needle = query
        .q
        .map(|q| q.trim().to_lowercase())
        .filter(|q| !q.is_empty());
    let addrs: Vec<_> = state.rooms.iter().map(|r| r.value().clone()).collect();
    let answers = join_all(addrs.iter().map(|a| a.send(GetRoom { viewer: me.id }))).await;
    let live: Vec<RoomId> = state.rooms.iter().map(|r| *r.key()).collect();
    let viewer = me.id;
    let dormant = state
        .db
        .run(move |c| crate::db::rooms::list_dormant(c, viewer, &live))
        .await?;
    let mut rooms: Vec<RoomView> = answers
        .into_iter()
        // A room that stopped meanwhile is simply not listed.
        .filter_map(Result::ok)
        .filter(|a| a.is_member || a.view.visibility == Visibility::Public)
        .map(|a| a.view)
        .chain(dormant)
        .filter(|r| query.status.is_none_or(|s| r.status == s))
        .filter(|r| {
            needle.as_ref().is_none_or(|n| {
                r.name.to_lowercase().contains(n) || r.description.to_lowercase().contains(n)
            })
        })
        .collect();
    rooms.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    Ok(HttpResponse::Ok().json(rooms))
}

/// `GET /api/rooms/{id}` → `room` for anyone: a private room's id is its
/// invitation link, so strangers see its name and counts, nothing more.
pub async fn get_room(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<RoomId>,
) -> ApiResult<HttpResponse> {
    let room = state.room(path.into_inner()).await?;
    let access = room.send(GetRoom { viewer: me.id }).await?;
    Ok(HttpResponse::Ok().json(access.view))
}

#[derive(Deserialize)]
pub struct UpdateRoomBody {
    name: Option<String>,
    description: Option<String>,
    status: Option<RoomStatus>,
    max_participants: Option<i64>,
    visibility: Option<Visibility>,
}

/// `PATCH /api/rooms/{id}` (owner, admin) → 200 `room`; subscribers get
/// `room_updated`. Lowering `max_participants` below the count only blocks joins.
pub async fn update_room(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<RoomId>,
    body: web::Json<UpdateRoomBody>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let patch = RoomPatch {
        name: body.name.as_deref().map(RoomName::parse).transpose()?,
        description: body
            .description
            .as_deref()
            .map(Description::parse)
            .transpose()?,
        status: body.status,
        max_participants: body
            .max_participants
            .map(|n| participant_limit(&state, n))
            .transpose()?,
        visibility: body.visibility,
    };
    let room = state.room(path.into_inner()).await?;
    let by_admin = state.users.get(&state.db, me.id).await?.is_admin;
    let view = room
        .send(UpdateRoom {
            by: me.id,
            by_admin,
            patch,
        })
        .await??;
    Ok(HttpResponse::Ok().json(view))
}

/// `DELETE /api/rooms/{id}` (owner, admin) → 204; members get `room_deleted`.
pub async fn delete_room(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<RoomId>,
) -> ApiResult<HttpResponse> {
    let room = state.room(path.into_inner()).await?;
    let by_admin = state.users.get(&state.db, me.id).await?.is_admin;
    room.send(DeleteRoom {
        by: me.id,
        by_admin,
    })
    .await??;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/rooms/{id}/participants` → `[participant]` (members; anyone
/// for public rooms).
pub async fn list_participants(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<RoomId>,
) -> ApiResult<HttpResponse> {
    let room = state.room(path.into_inner()).await?;
    let participants = room.send(GetParticipants { viewer: me.id }).await??;
    Ok(HttpResponse::Ok().json(participants))
}

/// `POST /api/rooms/{id}/join` → 200 `room`.
/// - public + active + not full; already a member → 409; private → 403
pub async fn join_room(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<RoomId>,
) -> ApiResult<HttpResponse> {
    let room = state.room(path.into_inner()).await?;
    let user = state.users.get(&state.db, me.id).await?;
    let view = room.send(Join { user }).await??;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /api/rooms/{id}/leave` → 204; not a member → 409. The owner's
/// leaving passes ownership to the longest-standing moderator, else member.
pub async fn leave_room(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<RoomId>,
) -> ApiResult<HttpResponse> {
    let room = state.room(path.into_inner()).await?;
    room.send(Leave { user: me.id }).await??;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
pub struct RoleBody {
    role: Role,
}

/// `PUT /api/rooms/{id}/members/{user_id}/role` (owner) `{role}` → 200
/// `participant`. `role` is "moderator" or "member"; a non-member is 404.
pub async fn set_member_role(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(RoomId, UserId)>,
    body: web::Json<RoleBody>,
) -> ApiResult<HttpResponse> {
    let (room_id, user) = path.into_inner();
    let room = state.room(room_id).await?;
    let participant = room
        .send(SetRole {
            by: me.id,
            user,
            role: body.role,
        })
        .await??;
    Ok(HttpResponse::Ok().json(participant))
}
