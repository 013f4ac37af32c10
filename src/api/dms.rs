//! `/api/dms`: one-to-one conversations. Only the two participants can see
//! a conversation; anyone else (admins included) gets 404.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::actors::room::messages::Page;
use crate::auth::AuthUser;
use crate::db::dms::{self, ConversationRow, DmMessageView};
use crate::domain::{MessageId, MessageText, UserId, UserView};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Serialize)]
struct ConversationView {
    id: uuid::Uuid,
    peer: std::sync::Arc<UserView>,
    last_message: Option<DmMessageView>,
    unread: u64,
}

async fn view(state: &AppState, row: ConversationRow) -> ApiResult<ConversationView> {
    Ok(ConversationView {
        id: row.id,
        peer: state.users.get(&state.db, row.peer).await?,
        last_message: row.last_message,
        unread: row.unread,
    })
}

#[derive(Deserialize)]
pub struct OpenBody {
    user_id: UserId,
}

/// `POST /api/dms` `{user_id}` → the pair's conversation: 201 when created,
/// 200 when it existed. Oneself → 422; unknown user → 404; a peer who has
/// blocked the caller → 403.
pub async fn open_conversation(
    state: web::Data<AppState>,
    me: AuthUser,
    body: web::Json<OpenBody>,
) -> ApiResult<HttpResponse> {
    let peer = body.user_id;
    if peer == me.id {
        return Err(ApiError::invalid("a conversation needs another user"));
    }
    state.users.get(&state.db, peer).await?;
    let row = state
        .db
        .run(move |c| {
            if crate::db::users::is_blocked(c, peer, me.id)? {
                return Err(ApiError::Forbidden(
                    "this user does not accept messages from you",
                ));
            }
            let (id, created) = dms::get_or_create(c, me.id, peer)?;
            let row = dms::summary(c, id, me.id)?.ok_or(ApiError::NotFound("conversation"))?;
            Ok((row, created))
        })
        .await?;
    let (row, created) = row;
    let body = view(&state, row).await?;
    Ok(if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// `GET /api/dms` → the caller's conversations, most recent first.
pub async fn list_conversations(
    state: web::Data<AppState>,
    me: AuthUser,
) -> ApiResult<HttpResponse> {
    let rows = state.db.run(move |c| dms::list(c, me.id)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(view(&state, row).await?);
    }
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize)]
pub struct PageQuery {
    before: Option<u64>,
    after: Option<u64>,
    limit: Option<i64>,
}

/// `GET /api/dms/{id}/messages?before=&after=&limit=` → ascending page, as
/// for rooms.
pub async fn list_dm_messages(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<uuid::Uuid>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(50);
    if limit < 1 {
        return Err(ApiError::invalid("limit must be at least 1"));
    }
    let page = Page {
        before: q.before,
        after: q.after,
        limit: limit.min(100) as usize,
    };
    let conversation = path.into_inner();
    let messages = state
        .db
        .run(move |c| {
            dms::peer_of(c, conversation, me.id)?.ok_or(ApiError::NotFound("conversation"))?;
            dms::page(c, conversation, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(messages))
}

#[derive(Deserialize)]
pub struct SendBody {
    text: String,
    reply_to: Option<MessageId>,
}

/// `POST /api/dms/{id}/messages` `{text, reply_to?}` → 201 message; both
/// users' connections get `dm`.
pub async fn send_dm(
    state: web::Data<AppState>,
    me: AuthUser,
    path: web::Path<uuid::Uuid>,
    body: web::Json<SendBody>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let text = MessageText::parse(&body.text, state.settings.limits.max_message_chars)?;
    let message = crate::dms::send(
        &state.hub,
        me.id,
        path.into_inner(),
        text,
        body.reply_to,
        None,
    )
    .await?;
    Ok(HttpResponse::Created().json(message))
}
