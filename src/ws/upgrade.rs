//! `GET /ws` and `GET /ws/rooms/{id}`: authenticate, then upgrade to one
//! multiplexed connection run by a `SessionActor`.

use actix::{Actor, AsyncContext};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::actors::session::{Outbox, SessionActor};
use crate::auth::extract::bearer_token;
use crate::domain::RoomId;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::ws::transport;

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// `GET /ws?token=…` (or `Authorization: Bearer`). A bad token is a 401 and no upgrade.
pub async fn connect(
    req: HttpRequest,
    body: web::Payload,
    query: web::Query<TokenQuery>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    start_session(&req, body, query.into_inner(), &state, None).await
}

/// `GET /ws/rooms/{id}?token=…`: the same connection, subscribed to one room.
pub async fn connect_to_room(
    req: HttpRequest,
    body: web::Payload,
    path: web::Path<RoomId>,
    query: web::Query<TokenQuery>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    start_session(
        &req,
        body,
        query.into_inner(),
        &state,
        Some(path.into_inner()),
    )
    .await
}

async fn start_session(
    req: &HttpRequest,
    body: web::Payload,
    query: TokenQuery,
    state: &AppState,
    room: Option<RoomId>,
) -> ApiResult<HttpResponse> {
    let token = query
        .token
        .as_deref()
        .or_else(|| bearer_token(req))
        .ok_or(ApiError::Unauthorized("missing token"))?;
    let user = state.verify_token(token)?;
    // The account must still exist; this also warms the user directory.
    state
        .users
        .get(&state.db, user)
        .await
        .map_err(|_| ApiError::Unauthorized("unknown user"))?;

    let limits = &state.settings.limits;
    let (outbox, rx) = Outbox::new(limits.session_outbox, state.metrics.slow_consumers.clone());
    let (response, inbound) = transport::upgrade(
        req,
        body.into_inner(),
        outbox.clone(),
        rx,
        limits.max_frame_bytes,
    )?;
    let hub = state.hub.clone();
    let session = SessionActor::new(user, hub, outbox, room);
    session.register();
    SessionActor::create(move |ctx| {
        ctx.add_stream(inbound);
        session
    });
    Ok(response)
}
