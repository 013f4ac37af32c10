//! `/api/rooms/{id}/messages`: post and page through a room's messages.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::actors::room::messages::{GetMessages, GetRoom, Page, PostMessage};
use crate::auth::AuthUser;
use crate::domain::{MessageId, MessageText, RoomId, Visibility};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Largest page; bigger `limit`s are clamped to it.
const MAX_PAGE: i64 = 100;
const DEFAULT_PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct PageQuery {
    before: Option<u64>,
    after: Option<u64>,
    limit: Option<i64>,
}

/// `GET /api/rooms/{id}/messages?before=&after=&limit=` → `[message]`,
/// ascending by `seq` (members; anyone for public rooms).
/// - no cursor → the latest `limit`; `before=S` → the `limit` largest below
///   S; `after=S` → the `limit` smallest above S
/// - `limit` defaults to 50, is clamped to 100, and below 1 is 422
pub async fn list_messages(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<RoomId>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if limit < 1 {
        return Err(ApiError::invalid("limit must be at least 1"));
    }
    let page = Page {
        before: q.before,
        after: q.after,
        limit: limit.min(MAX_PAGE) as usize,
    };
    let room_id = path.into_inner();
    let room = state.room(room_id).await?;
    let access = room.send(GetRoom { viewer: me.id }).await?;
    if !access.view.persistent {
        let messages = room
            .send(GetMessages {
                viewer: me.id,
                page,
            })
            .await??;
        return Ok(HttpResponse::Ok().json(messages));
    }
    // Everything acked is committed, so SQLite has the whole history.
    if !access.is_member && access.view.visibility != Visibility::Public {
        return Err(ApiError::Forbidden("this room is private"));
    }
    let messages = state
        .db
        .run(move |c| crate::db::rooms::page(c, room_id, page))
        .await?;
    Ok(HttpResponse::Ok().json(messages))
}

#[derive(Deserialize)]
pub struct PostBody {
    text: String,
    reply_to: Option<MessageId>,
}

/// `POST /api/rooms/{id}/messages` (members) → 201 `message`; the same path
/// as a WebSocket `message` frame.
/// - text trimmed, then 1..=`limits.max_message_chars` (empty 422, longer 413)
/// - inactive room → 409; `reply_to` must name a message of this room (422)
pub async fn post_message(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<RoomId>,
    body: web::Json<PostBody>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let text = MessageText::parse(&body.text, state.settings.limits.max_message_chars)?;
    let room = state.room(path.into_inner()).await?;
    // The author's name must be in the directory before the room builds the message.
    state.users.get(&state.db, me.id).await?;
    let message = room
        .send(PostMessage {
            author: me.id,
            text,
            reply_to: body.reply_to,
            ack: None,
        })
        .await??;
    Ok(HttpResponse::Created().json(&*message))
}
