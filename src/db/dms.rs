//! Direct messages: `conversations`, `dm_messages`, read markers.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;

use crate::actors::room::messages::Page;
use crate::domain::{AuthorView, MessageId, Timestamp, UserId, now};
use crate::error::ApiError;

/// A DM message: a `message` with `conversation_id` in place of `room_id`.
#[derive(Debug, Clone, Serialize)]
pub struct DmMessageView {
    pub id: MessageId,
    pub conversation_id: uuid::Uuid,
    pub seq: u64,
    pub author: AuthorView,
    pub text: String,
    pub reply_to: Option<MessageId>,
    pub attachments: Vec<serde_json::Value>,
    pub reactions: std::collections::BTreeMap<String, Vec<UserId>>,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
    pub deleted: bool,
}

pub struct ConversationRow {
    pub id: uuid::Uuid,
    pub peer: UserId,
    pub last_message: Option<DmMessageView>,
    pub unread: u64,
}

fn conversion(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, what.into())
}

fn parse<T: std::str::FromStr>(r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let s: String = r.get(i)?;
    s.parse().map_err(|_| conversion("id"))
}

const SELECT: &str =
    "SELECT m.id, m.conversation_id, m.seq, m.author_id, u.username, u.display_name,
        m.text, m.reply_to, m.created_at, m.edited_at, m.deleted
     FROM dm_messages m JOIN users u ON u.id = m.author_id";

fn message_row(r: &Row<'_>) -> rusqlite::Result<DmMessageView> {
    let reply_to: Option<String> = r.get(7)?;
    let created: String = r.get(8)?;
    let edited: Option<String> = r.get(9)?;
    Ok(DmMessageView {
        id: parse(r, 0)?,
        conversation_id: parse(r, 1)?,
        seq: r.get(2)?,
        author: AuthorView {
            id: parse(r, 3)?,
            username: r.get(4)?,
            display_name: r.get(5)?,
        },
        text: r.get(6)?,
        reply_to: reply_to.and_then(|s| s.parse().ok()),
        attachments: Vec::new(),
        reactions: Default::default(),
        created_at: Timestamp::parse(&created).ok_or_else(|| conversion("created_at"))?,
        edited_at: edited.as_deref().and_then(Timestamp::parse),
        deleted: r.get(10)?,
    })
}

fn pair(a: UserId, b: UserId) -> (String, String) {
    if a < b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

/// The pair's conversation, created if needed; `true` when it was created.
pub fn get_or_create(
    conn: &Connection,
    me: UserId,
    peer: UserId,
) -> Result<(uuid::Uuid, bool), ApiError> {
    let (a, b) = pair(me, peer);
    let stamp = now().to_rfc3339();
    let id = uuid::Uuid::now_v7();
    let created = conn.execute(
        "INSERT OR IGNORE INTO conversations (id, user_a, user_b, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![id.to_string(), a, b, stamp],
    )? == 1;
    let existing: String = conn.query_row(
        "SELECT id FROM conversations WHERE user_a = ?1 AND user_b = ?2",
        params![a, b],
        |r| r.get(0),
    )?;
    let existing = existing.parse().map_err(ApiError::internal)?;
    Ok((existing, created))
}

/// The other participant, if `me` is in the conversation.
pub fn peer_of(
    conn: &Connection,
    conversation: uuid::Uuid,
    me: UserId,
) -> Result<Option<UserId>, ApiError> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT user_a, user_b FROM conversations WHERE id = ?1",
            params![conversation.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let me_s = me.to_string();
    Ok(row.and_then(|(a, b)| {
        if a == me_s {
            b.parse().ok()
        } else if b == me_s {
            a.parse().ok()
        } else {
            None
        }
    }))
}

/// One conversation as `me` sees it.
pub fn summary(
    conn: &Connection,
    conversation: uuid::Uuid,
    me: UserId,
) -> Result<Option<ConversationRow>, ApiError> {
    let row: Option<(String, String, u64, u64)> = conn
        .query_row(
            "SELECT user_a, user_b, read_a, read_b FROM conversations WHERE id = ?1",
            params![conversation.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((a, b, read_a, read_b)) = row else {
        return Ok(None);
    };
    let me_s = me.to_string();
    let (peer, marker) = if a == me_s {
        (b, read_a)
    } else if b == me_s {
        (a, read_b)
    } else {
        return Ok(None);
    };
    let last_message = conn
        .query_row(
            &format!("{SELECT} WHERE m.conversation_id = ?1 ORDER BY m.seq DESC LIMIT 1"),
            params![conversation.to_string()],
            message_row,
        )
        .optional()?;
    let unread: u64 = conn.query_row(
        "SELECT COUNT(*) FROM dm_messages WHERE conversation_id = ?1 AND seq > ?2 AND author_id <> ?3",
        params![conversation.to_string(), marker, me_s],
        |r| r.get(0),
    )?;
    Ok(Some(ConversationRow {
        id: conversation,
        peer: peer.parse().map_err(ApiError::internal)?,
        last_message,
        unread,
    }))
}

/// The caller's conversations, most recently active first.
pub fn list(conn: &Connection, me: UserId) -> Result<Vec<ConversationRow>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM conversations WHERE user_a = ?1 OR user_b = ?1 ORDER BY updated_at DESC, id DESC",
    )?;
    let ids = stmt
        .query_map(params![me.to_string()], |r| parse::<uuid::Uuid>(r, 0))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(row) = summary(conn, id, me)? {
            out.push(row);
        }
    }
    Ok(out)
}

/// Stores a message with the conversation's next `seq`, in one transaction.
pub fn insert(
    conn: &mut Connection,
    conversation: uuid::Uuid,
    author: UserId,
    text: &str,
    reply_to: Option<MessageId>,
) -> Result<DmMessageView, ApiError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(parent) = reply_to {
        let same: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM dm_messages WHERE id = ?1 AND conversation_id = ?2",
                params![parent.to_string(), conversation.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        if same.is_none() {
            return Err(ApiError::invalid(
                "reply_to must name a message of this conversation",
            ));
        }
    }
    let stamp = now();
    let seq: u64 = tx.query_row(
        "UPDATE conversations SET last_seq = last_seq + 1, updated_at = ?2 WHERE id = ?1 RETURNING last_seq",
        params![conversation.to_string(), stamp.to_rfc3339()],
        |r| r.get(0),
    )?;
    let id = MessageId::new();
    tx.execute(
        "INSERT INTO dm_messages (id, conversation_id, seq, author_id, text, reply_to, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            id.to_string(),
            conversation.to_string(),
            seq,
            author.to_string(),
            text,
            reply_to.map(|r| r.to_string()),
            stamp.to_rfc3339()
        ],
    )?;
    let view = tx.query_row(
        &format!("{SELECT} WHERE m.id = ?1"),
        params![id.to_string()],
        message_row,
    )?;
    tx.commit()?;
    Ok(view)
}

/// SPEC §8 paging, ascending.
pub fn page(
    conn: &Connection,
    conversation: uuid::Uuid,
    page: Page,
) -> Result<Vec<DmMessageView>, ApiError> {
    let after = page.after.map_or(0, |a| a as i64);
    let before = page.before.map_or(i64::MAX, |b| b as i64);
    let order = if page.after.is_some() { "ASC" } else { "DESC" };
    let sql = format!(
        "{SELECT} WHERE m.conversation_id = ?1 AND m.seq > ?2 AND m.seq < ?3 ORDER BY m.seq {order} LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut out = stmt
        .query_map(
            params![conversation.to_string(), after, before, page.limit as i64],
            message_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    if page.after.is_none() {
        out.reverse();
    }
    Ok(out)
}

/// Moves `me`'s read marker up to `seq`.
pub fn mark_read(
    conn: &Connection,
    conversation: uuid::Uuid,
    me: UserId,
    seq: u64,
) -> Result<bool, ApiError> {
    let n = conn.execute(
        "UPDATE conversations SET
            read_a = CASE WHEN user_a = ?2 THEN MAX(read_a, MIN(?3, last_seq)) ELSE read_a END,
            read_b = CASE WHEN user_b = ?2 THEN MAX(read_b, MIN(?3, last_seq)) ELSE read_b END
         WHERE id = ?1 AND (user_a = ?2 OR user_b = ?2)",
        params![conversation.to_string(), me.to_string(), seq],
    )?;
    Ok(n > 0)
}
