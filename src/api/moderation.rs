//! `/api/rooms/{id}/…` governance: kick and ban, join requests, invites.
//! The room actor applies the rules; these handlers authenticate and shape.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::actors::room::messages::{
    DecideJoinRequest, Invite, Kick, ListBans, ListJoinRequests, RequestJoin, Unban,
};
use crate::auth::AuthUser;
use crate::domain::{RoomId, UserId};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

async fn is_admin(state: &AppState, me: AuthUser) -> ApiResult<bool> {
    Ok(state.users.get(&state.db, me.id).await?.is_admin)
}

#[derive(Deserialize, Default)]
pub struct KickBody {
    #[serde(default)]
    ban: bool,
    reason: Option<String>,
}

/// `POST /api/rooms/{id}/kick/{user_id}` `{ban?, reason?}` → 204
/// - owner and admins kick anyone but the owner; moderators kick members only
/// - the user's connections get `kicked` and stop receiving the room
/// - a non-member is 404, unless it is a ban (pre-emptive)
pub async fn kick_member(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(RoomId, UserId)>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (room_id, user) = path.into_inner();
    let body: KickBody = super::optional_json(&body)?;
    let reason = body
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(ApiError::invalid("reason must be at most 500 characters"));
    }
    let room = state.room(room_id).await?;
    // The target must be a real account (also puts it in the directory).
    state.users.get(&state.db, user).await?;
    let by_admin = is_admin(&state, me).await?;
    room.send(Kick {
        by: me.id,
        by_admin,
        user,
        ban: body.ban,
        reason,
    })
    .await??;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/rooms/{id}/bans` (owner, moderator, admin) → `[{user, by, reason, created_at}]`
pub async fn list_bans(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<RoomId>,
) -> ApiResult<HttpResponse> {
    let room = state.room(path.into_inner()).await?;
    let by_admin = is_admin(&state, me).await?;
    let bans = room
        .send(ListBans {
            by: me.id,
            by_admin,
        })
        .await??;
    Ok(HttpResponse::Ok().json(bans))
}

/// `DELETE /api/rooms/{id}/bans/{user_id}` (owner, moderator, admin) → 204;
/// no such ban → 404.
pub async fn unban_member(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(RoomId, UserId)>,
) -> ApiResult<HttpResponse> {
    let (room_id, user) = path.into_inner();
    let room = state.room(room_id).await?;
    let by_admin = is_admin(&state, me).await?;
    room.send(Unban {
        by: me.id,
        by_admin,
        user,
    })
    .await??;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, Default)]
pub struct JoinRequestBody {
    message: Option<String>,
}

/// `POST /api/rooms/{id}/join-requests` `{message?}` → 201 request
/// - private rooms only (public → 422); members 409; banned 403; one pending
///   request per user (409); owner and moderators get `join_request` live
pub async fn request_to_join(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<RoomId>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let body: JoinRequestBody = super::optional_json(&body)?;
    let message = body
        .message
        .map(|m| m.trim().to_owned())
        .unwrap_or_default();
    if message.chars().count() > 500 {
        return Err(ApiError::invalid("message must be at most 500 characters"));
    }
    let room = state.room(path.into_inner()).await?;
    let user = state.users.get(&state.db, me.id).await?;
    let request = room.send(RequestJoin { user, message }).await??;
    Ok(HttpResponse::Created().json(request))
}

/// `GET /api/rooms/{id}/join-requests` (owner, moderator, admin) → pending requests
pub async fn list_join_requests(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<RoomId>,
) -> ApiResult<HttpResponse> {
    let room = state.room(path.into_inner()).await?;
    let by_admin = is_admin(&state, me).await?;
    let requests = room
        .send(ListJoinRequests {
            by: me.id,
            by_admin,
        })
        .await??;
    Ok(HttpResponse::Ok().json(requests))
}

async fn decide(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(RoomId, uuid::Uuid)>,
    approve: bool,
) -> ApiResult<HttpResponse> {
    let (room_id, request) = path.into_inner();
    let room = state.room(room_id).await?;
    let by_admin = is_admin(&state, me).await?;
    let decided = room
        .send(DecideJoinRequest {
            by: me.id,
            by_admin,
            request,
            approve,
        })
        .await??;
    Ok(HttpResponse::Ok().json(decided))
}

/// `POST /api/rooms/{id}/join-requests/{rid}/approve` (owner, moderator,
/// admin) → 200 request; the requester becomes a member (full room → 409)
/// and gets `join_approved`. Deciding one's own request → 403.
pub async fn approve_join_request(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(RoomId, uuid::Uuid)>,
) -> ApiResult<HttpResponse> {
    decide(state, me, path, true).await
}

/// `POST /api/rooms/{id}/join-requests/{rid}/deny` → 200 request; the
/// requester gets `join_denied`.
pub async fn deny_join_request(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(RoomId, uuid::Uuid)>,
) -> ApiResult<HttpResponse> {
    decide(state, me, path, false).await
}

#[derive(Deserialize)]
pub struct InviteBody {
    user_id: UserId,
}

/// `POST /api/rooms/{id}/invites` `{user_id}` (owner, moderator, admin) →
/// 201 `{id, room, user, by, created_at}`; the invitee gets `invited` and may
/// then join the private room once. Unknown user 404; member 409; banned
/// 403; an invitee who has blocked the inviter 403.
pub async fn invite_user(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<RoomId>,
    body: web::Json<InviteBody>,
) -> ApiResult<HttpResponse> {
    let invitee = body.user_id;
    let room = state.room(path.into_inner()).await?;
    let user = state.users.get(&state.db, invitee).await?;
    let by = state.users.get(&state.db, me.id).await?;
    let blocked = state
        .db
        .run(move |c| crate::db::users::is_blocked(c, invitee, me.id))
        .await?;
    if blocked {
        return Err(ApiError::Forbidden(
            "this user does not accept invites from you",
        ));
    }
    let invite = room
        .send(Invite {
            by_admin: by.is_admin,
            by,
            user,
        })
        .await??;
    Ok(HttpResponse::Created().json(invite))
}
