//! `/api/rooms/{id}/messages`: post and page through a room's messages.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::actors::room::messages::{
    DeleteMessage, EditMessage, GetMessages, GetRoom, GetThread, Page, PostMessage, React,
};
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

#[derive(Deserialize)]
pub struct EditBody {
    text: String,
}

/// `PATCH /api/rooms/{id}/messages/{mid}` (author) `{text}` → 200 message
/// with `edited_at`; the room gets `message_edited`. Deleted → 409.
pub async fn edit_message(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(RoomId, MessageId)>,
    body: web::Json<EditBody>,
) -> ApiResult<HttpResponse> {
    let (room_id, id) = path.into_inner();
    let text = MessageText::parse(&body.text, state.settings.limits.max_message_chars)?;
    let room = state.room(room_id).await?;
    let message = room
        .send(EditMessage {
            by: me.id,
            id,
            text,
            ack: None,
        })
        .await??;
    Ok(HttpResponse::Ok().json(&*message))
}

/// `DELETE /api/rooms/{id}/messages/{mid}` (author, moderator, owner,
/// admin) → 204: a soft delete that keeps `id` and `seq`.
pub async fn delete_message(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(RoomId, MessageId)>,
) -> ApiResult<HttpResponse> {
    let (room_id, id) = path.into_inner();
    let room = state.room(room_id).await?;
    let by_admin = state.users.get(&state.db, me.id).await?.is_admin;
    room.send(DeleteMessage {
        by: me.id,
        by_admin,
        id,
        ack: None,
    })
    .await??;
    Ok(HttpResponse::NoContent().finish())
}

async fn react(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(RoomId, MessageId, String)>,
    on: bool,
) -> ApiResult<HttpResponse> {
    let (room_id, id, emoji) = path.into_inner();
    if !crate::actors::room::valid_emoji(&emoji) {
        return Err(ApiError::invalid(
            "emoji must be one emoji or a :short_name:",
        ));
    }
    let room = state.room(room_id).await?;
    room.send(React {
        by: me.id,
        id,
        emoji,
        on,
        ack: None,
    })
    .await??;
    Ok(HttpResponse::NoContent().finish())
}

/// `PUT /api/rooms/{id}/messages/{mid}/reactions/{emoji}` (members) → 204.
/// `emoji` is one emoji or a `:short_name:`; the room gets `reaction`.
pub async fn add_reaction(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(RoomId, MessageId, String)>,
) -> ApiResult<HttpResponse> {
    react(state, me, path, true).await
}

/// `DELETE /api/rooms/{id}/messages/{mid}/reactions/{emoji}` → 204.
pub async fn remove_reaction(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(RoomId, MessageId, String)>,
) -> ApiResult<HttpResponse> {
    react(state, me, path, false).await
}

#[derive(Serialize)]
struct Thread<T> {
    root: T,
    replies: Vec<T>,
}

/// `GET /api/rooms/{id}/messages/{mid}/thread` → `{root, replies}` (members;
/// anyone for public rooms).
pub async fn get_thread(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<(RoomId, MessageId)>,
) -> ApiResult<HttpResponse> {
    let (room_id, id) = path.into_inner();
    let room = state.room(room_id).await?;
    let access = room.send(GetRoom { viewer: me.id }).await?;
    if !access.view.persistent {
        let (root, replies) = room.send(GetThread { viewer: me.id, id }).await??;
        return Ok(HttpResponse::Ok().json(Thread { root, replies }));
    }
    if !access.is_member && access.view.visibility != Visibility::Public {
        return Err(ApiError::Forbidden("this room is private"));
    }
    let (root, replies) = state
        .db
        .run(move |c| crate::db::rooms::thread(c, room_id, id))
        .await?
        .ok_or(ApiError::NotFound("message"))?;
    Ok(HttpResponse::Ok().json(Thread { root, replies }))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// `GET /api/rooms/{id}/messages/search?q=` (members of a persistent room)
/// → `[message]`, best match first, at most 50. Every word must match (as a
/// prefix); deleted messages never match. A temporary room → 422.
pub async fn search_messages(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<RoomId>,
    query: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let room_id = path.into_inner();
    let q = query.into_inner().q.trim().to_owned();
    let room = state.room(room_id).await?;
    let access = room.send(GetRoom { viewer: me.id }).await?;
    if !access.is_member {
        return Err(ApiError::Forbidden("only members may search this room"));
    }
    if !access.view.persistent {
        return Err(ApiError::invalid("search covers persistent rooms only"));
    }
    if q.is_empty() {
        return Err(ApiError::invalid("q must not be empty"));
    }
    if q.chars().count() > 200 {
        return Err(ApiError::invalid("q must be at most 200 characters"));
    }
    let found = state
        .db
        .run(move |c| crate::db::rooms::search(c, room_id, &q, 50))
        .await?;
    Ok(HttpResponse::Ok().json(found))
}
