//! `GET /ws` and `GET /ws/rooms/{id}`: authenticate, then upgrade to one
//! multiplexed connection run by a `SessionActor`.

use actix::{Actor, AsyncContext};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::actors::session::{Outbox, SessionActor, writer};
use crate::auth::extract::bearer_token;
use crate::domain::RoomId;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

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

    let (response, ws, stream) = actix_ws::handle(req, body)
        .map_err(|e| ApiError::bad_request(format!("websocket handshake failed: {e}")))?;
    let limits = &state.settings.limits;
    let stream = stream
        .max_frame_size(limits.max_frame_bytes)
        .aggregate_continuations()
        .max_continuation_size(limits.max_frame_bytes);
    let (outbox, rx) = Outbox::new(limits.session_outbox, state.metrics.slow_consumers.clone());
    let grace = state.settings.websocket.client_timeout;
    actix_web::rt::spawn(writer::run(rx, ws, outbox.clone(), grace));
    let hub = state.hub.clone();
    SessionActor::create(move |ctx| {
        ctx.add_stream(stream);
        SessionActor::new(user, hub, outbox, room)
    });
    Ok(response)
}
