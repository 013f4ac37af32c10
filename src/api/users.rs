//! `/api/users`: the caller's account, lookup and search.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::{AuthUser, password};
use crate::db;
use crate::domain::{DisplayName, Password, UserId};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `GET /api/users/me` → the caller, with email.
pub async fn get_me(state: web::Data<AppState>, me: AuthUser) -> ApiResult<HttpResponse> {
    let record = state
        .db
        .run(move |c| db::users::by_id(c, me.id))
        .await?
        .ok_or(ApiError::Unauthorized("unknown user"))?;
    Ok(HttpResponse::Ok().json(record.view))
}

#[derive(Deserialize)]
pub struct UpdateMe {
    display_name: Option<String>,
    password: Option<String>,
    current_password: Option<String>,
}

/// `PATCH /api/users/me`
/// - `display_name`: 1–64 characters
/// - `password` needs `current_password`: missing → 400, wrong → 403
pub async fn update_me(
    state: web::Data<AppState>,
    me: AuthUser,
    body: web::Json<UpdateMe>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let display_name = body
        .display_name
        .as_deref()
        .map(DisplayName::parse)
        .transpose()?;
    let new_password = body.password.as_deref().map(Password::parse).transpose()?;
    let current = match (&new_password, body.current_password) {
        (Some(_), None) => {
            return Err(ApiError::bad_request(
                "current_password is required to change the password",
            ));
        }
        (_, current) => current,
    };
    let record = state
        .db
        .run(move |c| {
            let record =
                db::users::by_id(c, me.id)?.ok_or(ApiError::Unauthorized("unknown user"))?;
            if let (Some(new), Some(current)) = (&new_password, &current) {
                if !password::verify(current, &record.password_hash) {
                    return Err(ApiError::Forbidden("current_password is wrong"));
                }
                db::users::set_password_hash(c, me.id, &password::hash(new.expose())?)?;
            }
            if let Some(name) = display_name {
                db::users::set_display_name(c, me.id, &name.into_inner())?;
            }
            db::users::by_id(c, me.id)?.ok_or(ApiError::Unauthorized("unknown user"))
        })
        .await?;
    state.users.put(&record.view);
    Ok(HttpResponse::Ok().json(record.view))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// `GET /api/users?q=` → `[user]`: case-insensitive prefix match on username
/// and display name, the caller excluded, at most 50.
pub async fn search_users(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner().q.trim().to_owned();
    let users = state
        .db
        .run(move |c| db::users::search(c, &q, me.id, 50))
        .await?;
    Ok(HttpResponse::Ok().json(users))
}

/// `GET /api/users/{id}` → `user` (no email).
pub async fn get_user(
    state: web::Data<AppState>,
    _me: AuthUser,
    path: web::Path<UserId>,
) -> ApiResult<HttpResponse> {
    let user = state.users.get(&state.db, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(&*user))
}

/// `POST /api/users/{id}/block` → 204. A blocked user cannot DM or invite
/// the blocker. Blocking oneself → 422; unknown user → 404.
pub async fn block_user(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<UserId>,
) -> ApiResult<HttpResponse> {
    let other = path.into_inner();
    if other == me.id {
        return Err(ApiError::invalid("you cannot block yourself"));
    }
    state.users.get(&state.db, other).await?;
    state
        .db
        .run(move |c| db::users::block(c, me.id, other))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /api/users/{id}/block` → 204 (idempotent).
pub async fn unblock_user(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<UserId>,
) -> ApiResult<HttpResponse> {
    let other = path.into_inner();
    state.users.get(&state.db, other).await?;
    state
        .db
        .run(move |c| db::users::unblock(c, me.id, other))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
