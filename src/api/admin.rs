//! `/api/admin/*`: server administrators (made with `parlor user add NAME --admin`).

use actix_web::{HttpResponse, web};
use futures_util::future::join_all;

use crate::actors::room::messages::GetRoom;
use crate::auth::AuthUser;
use crate::domain::{RoomView, UserId};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

async fn require_admin(state: &AppState, me: AuthUser) -> ApiResult<()> {
    if state.users.get(&state.db, me.id).await?.is_admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden("administrators only"))
    }
}

/// `GET /api/admin/rooms` → every room, private ones included, by name.
pub async fn list_all_rooms(state: web::Data<AppState>, me: AuthUser) -> ApiResult<HttpResponse> {
    require_admin(&state, me).await?;
    let addrs: Vec<_> = state.rooms.iter().map(|r| r.value().clone()).collect();
    let answers = join_all(addrs.iter().map(|a| a.send(GetRoom { viewer: me.id }))).await;
    let live: Vec<_> = state.rooms.iter().map(|r| *r.key()).collect();
    let dormant = state
        .db
        .run(move |c| crate::db::rooms::list_dormant_all(c, &live))
        .await?;
    let mut rooms: Vec<RoomView> = answers
        .into_iter()
        .filter_map(Result::ok)
        .map(|a| a.view)
        .chain(dormant)
        .collect();
    rooms.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    Ok(HttpResponse::Ok().json(rooms))
}

async fn set_disabled(
    state: &AppState,
    me: AuthUser,
    user: UserId,
    disabled: bool,
) -> ApiResult<HttpResponse> {
    require_admin(state, me).await?;
    if user == me.id && disabled {
        return Err(ApiError::invalid("you cannot disable your own account"));
    }
    let found = state
        .db
        .run(move |c| {
            let found = crate::db::users::set_disabled(c, user, disabled)?;
            if found && disabled {
                crate::db::tokens::revoke_all(c, user)?;
            }
            Ok(found)
        })
        .await?;
    if !found {
        return Err(ApiError::NotFound("user"));
    }
    if disabled {
        state.disabled.insert(user);
        // 1008: policy; the account may not use the server any more.
        state.sessions.close_user(user, 1008);
    } else {
        state.disabled.remove(&user);
    }
    let user = state.users.get(&state.db, user).await?;
    Ok(HttpResponse::Ok().json(&*user))
}

/// `POST /api/admin/users/{id}/disable` → 200 `user`: its tokens stop
/// working at once, its connections close (1008), it cannot log in.
pub async fn disable_user(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<UserId>,
) -> ApiResult<HttpResponse> {
    set_disabled(&state, me, path.into_inner(), true).await
}

/// `POST /api/admin/users/{id}/enable` → 200 `user`.
pub async fn enable_user(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<UserId>,
) -> ApiResult<HttpResponse> {
    set_disabled(&state, me, path.into_inner(), false).await
}
