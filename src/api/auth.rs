//! `/api/auth/*`: register, login, refresh, logout. These need no bearer token.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::{password, refresh as refresh_token};
use crate::db;
use crate::domain::{Email, Password, UserId, UserView, Username, now};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Serialize)]
struct AuthResponse {
    user: UserView,
    access_token: String,
    refresh_token: String,
    expires_in: u64,
}

/// Issues an access token and a fresh refresh token for `user`.
async fn issue(state: &AppState, user: UserView) -> ApiResult<AuthResponse> {
    let access_token = state.jwt.issue(user.id)?;
    let token = refresh_token::generate();
    let hash = refresh_token::digest(&token);
    let ttl = state.settings.auth.refresh_ttl.as_secs() as i64;
    let id = user.id;
    state
        .db
        .run(move |c| {
            let now = chrono::Utc::now().timestamp();
            db::tokens::insert(c, &hash, id, now, now + ttl)
        })
        .await?;
    state.users.put(&user);
    Ok(AuthResponse {
        user,
        access_token,
        refresh_token: token,
        expires_in: state.jwt.ttl().as_secs(),
    })
}

#[derive(Deserialize)]
pub struct RegisterBody {
    username: String,
    password: String,
    email: Option<String>,
}

/// `POST /api/auth/register`
/// - username 3–32 of `[A-Za-z0-9_.-]`, unique case-insensitively (409)
/// - password ≥ 8 characters (422); registering never makes an admin
pub async fn register(
    state: web::Data<AppState>,
    body: web::Json<RegisterBody>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let username = Username::parse(&body.username)?;
    let password = Password::parse(&body.password)?;
    let email = body.email.as_deref().map(Email::parse).transpose()?;
    let user = UserView {
        id: UserId::new(),
        username: username.as_str().to_owned(),
        display_name: username.as_str().to_owned(),
        created_at: now(),
        is_admin: false,
        email: email.map(Email::into_inner),
    };
    let stored = user.clone();
    state
        .db
        .run(move |c| {
            // Cheap check first so a taken name does not cost a hash.
            if db::users::by_username(c, &stored.username)?.is_some() {
                return Err(ApiError::conflict("username is taken"));
            }
            let hash = password::hash(password.expose())?;
            db::users::insert(
                c,
                &db::users::NewUser {
                    id: stored.id,
                    username: &stored.username,
                    email: stored.email.as_deref(),
                    password_hash: &hash,
                    is_admin: false,
                    created_at: stored.created_at,
                },
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(issue(&state, user).await?))
}

#[derive(Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
}

/// `POST /api/auth/login`
/// - unknown user and wrong password get the same 401
/// - after `limits.auth_attempts_per_min` failures in 60 s for the username
///   or the client IP, every attempt is 429 with `Retry-After`
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<LoginBody>,
) -> ApiResult<HttpResponse> {
    let LoginBody { username, password } = body.into_inner();
    let ip = req.peer_addr().map(|a| a.ip());
    state.login_throttle.check(&username, ip)?;
    let name = username.clone();
    let user = state
        .db
        .run(move |c| {
            let record = db::users::by_username(c, &name)?;
            let stored = record
                .as_ref()
                .map_or(password::decoy_hash(), |r| &r.password_hash);
            let ok = password::verify(&password, stored);
            Ok(record.filter(|_| ok).map(|r| (r.view, r.disabled)))
        })
        .await?;
    match user {
        Some((_, true)) => Err(ApiError::Forbidden("this account is disabled")),
        Some((user, false)) => Ok(HttpResponse::Ok().json(issue(&state, user).await?)),
        None => {
            state.login_throttle.record_failure(&username, ip);
            Err(ApiError::Unauthorized("wrong username or password"))
        }
    }
}

#[derive(Deserialize)]
pub struct RefreshBody {
    refresh_token: String,
}

/// `POST /api/auth/refresh`: single use; the old token is dead afterwards.
pub async fn refresh(
    state: web::Data<AppState>,
    body: web::Json<RefreshBody>,
) -> ApiResult<HttpResponse> {
    let hash = refresh_token::digest(&body.refresh_token);
    let user = state
        .db
        .run(move |c| {
            let now = chrono::Utc::now().timestamp();
            let Some(id) = db::tokens::take(c, &hash, now)? else {
                return Ok(None);
            };
            Ok(db::users::by_id(c, id)?
                .filter(|r| !r.disabled)
                .map(|r| r.view))
        })
        .await?
        .ok_or(ApiError::Unauthorized("invalid or expired refresh token"))?;
    Ok(HttpResponse::Ok().json(issue(&state, user).await?))
}

/// `POST /api/auth/logout` → 204; the refresh token is dead. An unknown or
/// already used token is 401.
pub async fn logout(
    state: web::Data<AppState>,
    body: web::Json<RefreshBody>,
) -> ApiResult<HttpResponse> {
    let hash = refresh_token::digest(&body.refresh_token);
    let now = chrono::Utc::now().timestamp();
    let revoked = state
        .db
        .run(move |c| db::tokens::take(c, &hash, now))
        .await?;
    match revoked {
        Some(_) => Ok(HttpResponse::NoContent().finish()),
        None => Err(ApiError::Unauthorized("invalid or expired refresh token")),
    }
}
