//! Persistent rooms: the `rooms`, `room_members` and `messages` tables.
//! Writes go through the group-commit writer (`actors::room::persist`);
//! reads run on the blocking pool.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::actors::room::messages::Page;
use crate::actors::room::{Ban, Governance, PendingInvite, PendingRequest};
use crate::domain::{
    AuthorView, MessageView, Role, RoomId, RoomStatus, RoomView, Timestamp, UserId, UserView,
    Visibility,
};
use crate::error::ApiError;

fn visibility_str(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "public",
        Visibility::Private => "private",
    }
}

fn status_str(s: RoomStatus) -> &'static str {
    match s {
        RoomStatus::Active => "active",
        RoomStatus::Inactive => "inactive",
    }
}

pub fn role_str(r: Role) -> &'static str {
    match r {
        Role::Owner => "owner",
        Role::Moderator => "moderator",
        Role::Member => "member",
    }
}

fn parse_role(s: &str) -> Role {
    match s {
        "owner" => Role::Owner,
        "moderator" => Role::Moderator,
        _ => Role::Member,
    }
}

fn conversion(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, what.into())
}

fn ts(r: &Row<'_>, i: usize) -> rusqlite::Result<Timestamp> {
    let s: String = r.get(i)?;
    Timestamp::parse(&s).ok_or_else(|| conversion("timestamp"))
}

fn id<T: std::str::FromStr>(r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let s: String = r.get(i)?;
    s.parse().map_err(|_| conversion("id"))
}

/// The durable parts of a room's settings.
pub struct RoomRow {
    pub id: RoomId,
    pub name: String,
    pub description: String,
    pub owner_id: UserId,
    pub visibility: Visibility,
    pub status: RoomStatus,
    pub max_participants: u32,
    pub created_at: Timestamp,
}

pub struct MemberRow {
    pub user: UserId,
    pub role: Role,
    pub joined_at: Timestamp,
    pub order: u64,
    pub read_seq: u64,
}

/// Everything needed to revive a room's actor.
pub struct StoredRoom {
    pub room: RoomRow,
    pub members: Vec<MemberRow>,
    pub last_seq: u64,
    /// The latest messages, oldest first, for the history ring.
    pub recent: Vec<MessageView>,
    pub governance: Governance,
    /// Everyone the room refers to (members, banned, invited, requesting),
    /// so the revived actor can name them without a database round trip.
    pub users: Vec<UserView>,
}

const ROOM_COLUMNS: &str =
    "id, name, description, owner_id, visibility, status, max_participants, created_at";

fn room_row(r: &Row<'_>) -> rusqlite::Result<RoomRow> {
    let visibility: String = r.get(4)?;
    let status: String = r.get(5)?;
    Ok(RoomRow {
        id: id(r, 0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        owner_id: id(r, 3)?,
        visibility: if visibility == "private" {
            Visibility::Private
        } else {
            Visibility::Public
        },
        status: if status == "inactive" {
            RoomStatus::Inactive
        } else {
            RoomStatus::Active
        },
        max_participants: r.get(6)?,
        created_at: ts(r, 7)?,
    })
}

const MESSAGE_SELECT: &str =
    "SELECT m.id, m.room_id, m.seq, m.author_id, u.username, u.display_name,
        m.text, m.reply_to, m.created_at, m.edited_at, m.deleted
     FROM messages m JOIN users u ON u.id = m.author_id";

fn message_row(r: &Row<'_>) -> rusqlite::Result<MessageView> {
    let reply_to: Option<String> = r.get(7)?;
    let edited_at: Option<String> = r.get(9)?;
    Ok(MessageView {
        id: id(r, 0)?,
        room_id: id(r, 1)?,
        seq: r.get(2)?,
        author: AuthorView {
            id: id(r, 3)?,
            username: r.get(4)?,
            display_name: r.get(5)?,
        },
        text: r.get(6)?,
        reply_to: reply_to.and_then(|s| s.parse().ok()),
        attachments: Vec::new(),
        reactions: Default::default(),
        created_at: ts(r, 8)?,
        edited_at: edited_at.as_deref().and_then(Timestamp::parse),
        deleted: r.get(10)?,
    })
}

pub fn load(
    conn: &Connection,
    room: RoomId,
    history_len: usize,
) -> Result<Option<StoredRoom>, ApiError> {
    let sql = format!("SELECT {ROOM_COLUMNS} FROM rooms WHERE id = ?1");
    let Some(row) = conn
        .query_row(&sql, params![room.to_string()], room_row)
        .optional()?
    else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT user_id, role, joined_at, join_order, read_seq FROM room_members
         WHERE room_id = ?1 ORDER BY join_order",
    )?;
    let members = stmt
        .query_map(params![room.to_string()], |r| {
            let role: String = r.get(1)?;
            Ok(MemberRow {
                user: id(r, 0)?,
                role: parse_role(&role),
                joined_at: ts(r, 2)?,
                order: r.get(3)?,
                read_seq: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let last_seq: u64 = conn.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE room_id = ?1",
        params![room.to_string()],
        |r| r.get(0),
    )?;
    let recent = page(
        conn,
        room,
        Page {
            before: None,
            after: None,
            limit: history_len,
        },
    )?;
    let governance = load_governance(conn, room)?;
    let users = crate::db::users::referenced_by_room(conn, room)?;
    Ok(Some(StoredRoom {
        room: row,
        members,
        last_seq,
        recent,
        governance,
        users,
    }))
}

fn load_governance(conn: &Connection, room: RoomId) -> Result<Governance, ApiError> {
    let mut g = Governance::default();
    let key = room.to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT user_id, by_id, reason, created_at FROM room_bans WHERE room_id = ?1",
    )?;
    for row in stmt.query_map(params![key], |r| {
        Ok((
            id::<UserId>(r, 0)?,
            Ban {
                by: id(r, 1)?,
                reason: r.get(2)?,
                created_at: ts(r, 3)?,
            },
        ))
    })? {
        let (user, ban) = row?;
        g.bans.insert(user, ban);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT user_id, id, by_id, created_at FROM room_invites WHERE room_id = ?1",
    )?;
    for row in stmt.query_map(params![key], |r| {
        Ok((
            id::<UserId>(r, 0)?,
            PendingInvite {
                id: id(r, 1)?,
                by: id(r, 2)?,
                created_at: ts(r, 3)?,
            },
        ))
    })? {
        let (user, invite) = row?;
        g.invites.insert(user, invite);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT user_id, id, message, created_at FROM join_requests WHERE room_id = ?1",
    )?;
    for row in stmt.query_map(params![key], |r| {
        Ok((
            id::<UserId>(r, 0)?,
            PendingRequest {
                id: id(r, 1)?,
                message: r.get(2)?,
                created_at: ts(r, 3)?,
            },
        ))
    })? {
        let (user, request) = row?;
        g.requests.insert(user, request);
    }
    Ok(g)
}

/// SPEC §8 paging over stored messages, ascending.
pub fn page(conn: &Connection, room: RoomId, page: Page) -> Result<Vec<MessageView>, ApiError> {
    let after = page.after.map_or(0, |a| a as i64);
    let before = page.before.map_or(i64::MAX, |b| b as i64);
    let order = if page.after.is_some() { "ASC" } else { "DESC" };
    let sql = format!(
        "{MESSAGE_SELECT} WHERE m.room_id = ?1 AND m.seq > ?2 AND m.seq < ?3
         ORDER BY m.seq {order} LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut out = stmt
        .query_map(
            params![room.to_string(), after, before, page.limit as i64],
            message_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    if page.after.is_none() {
        out.reverse();
    }
    attach_reactions(conn, &mut out)?;
    Ok(out)
}

/// Whether message `id` belongs to `room` (and is not deleted).
pub fn message_in_room(
    conn: &Connection,
    room: RoomId,
    id: crate::domain::MessageId,
) -> Result<bool, ApiError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM messages WHERE id = ?1 AND room_id = ?2 AND deleted = 0",
            params![id.to_string(), room.to_string()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Every persistent room without a live actor (for admins).
pub fn list_dormant_all(conn: &Connection, live: &[RoomId]) -> Result<Vec<RoomView>, ApiError> {
    let sql = format!(
        "SELECT {ROOM_COLUMNS}, (SELECT COUNT(*) FROM room_members rm WHERE rm.room_id = r.id)
         FROM rooms r"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map([], |r| Ok((room_row(r)?, r.get::<_, u64>(8)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter(|(room, _)| !live.contains(&room.id))
        .map(|(room, count)| RoomView {
            id: room.id,
            name: room.name,
            description: room.description,
            owner_id: room.owner_id,
            visibility: room.visibility,
            status: room.status,
            max_participants: room.max_participants,
            participant_count: count as usize,
            online_count: 0,
            persistent: true,
            created_at: room.created_at,
            role: None,
            unread: None,
        })
        .collect())
}

/// Persistent rooms that have no live actor, as `viewer` sees them.
pub fn list_dormant(
    conn: &Connection,
    viewer: UserId,
    live: &[RoomId],
) -> Result<Vec<RoomView>, ApiError> {
    let sql = format!(
        "SELECT {ROOM_COLUMNS},
            (SELECT COUNT(*) FROM room_members rm WHERE rm.room_id = r.id),
            me.role, me.read_seq
         FROM rooms r LEFT JOIN room_members me ON me.room_id = r.id AND me.user_id = ?1
         WHERE r.visibility = 'public' OR me.user_id IS NOT NULL"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params![viewer.to_string()], |r| {
            let role: Option<String> = r.get(9)?;
            let read_seq: Option<u64> = r.get(10)?;
            Ok((room_row(r)?, r.get::<_, u64>(8)?, role, read_seq))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut unread_stmt = conn.prepare_cached(
        "SELECT COUNT(*) FROM messages WHERE room_id = ?1 AND seq > ?2 AND author_id <> ?3",
    )?;
    let mut out = Vec::new();
    for (room, count, role, read_seq) in rows {
        if live.contains(&room.id) {
            continue;
        }
        let unread = match read_seq {
            Some(seq) => Some(
                unread_stmt
                    .query_row(params![room.id.to_string(), seq, viewer.to_string()], |r| {
                        r.get::<_, u64>(0)
                    })?,
            ),
            None => None,
        };
        out.push(RoomView {
            id: room.id,
            name: room.name,
            description: room.description,
            owner_id: room.owner_id,
            visibility: room.visibility,
            status: room.status,
            max_participants: room.max_participants,
            participant_count: count as usize,
            online_count: 0,
            persistent: true,
            created_at: room.created_at,
            role: role.as_deref().map(parse_role),
            unread,
        });
    }
    Ok(out)
}

// ---- writes, run by the group-commit writer inside its transaction ----

pub fn insert_room(tx: &Connection, r: &RoomRow) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO rooms (id, name, description, owner_id, visibility, status, max_participants, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            r.id.to_string(),
            r.name,
            r.description,
            r.owner_id.to_string(),
            visibility_str(r.visibility),
            status_str(r.status),
            r.max_participants,
            r.created_at.to_rfc3339(),
        ],
    )?;
    Ok(())
}

pub fn update_room(tx: &Connection, r: &RoomRow) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE rooms SET name = ?2, description = ?3, owner_id = ?4, visibility = ?5, status = ?6,
            max_participants = ?7 WHERE id = ?1",
        params![
            r.id.to_string(),
            r.name,
            r.description,
            r.owner_id.to_string(),
            visibility_str(r.visibility),
            status_str(r.status),
            r.max_participants,
        ],
    )?;
    Ok(())
}

pub fn delete_room(tx: &Connection, room: RoomId) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM rooms WHERE id = ?1", params![room.to_string()])?;
    Ok(())
}

pub fn upsert_member(tx: &Connection, room: RoomId, m: &MemberRow) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO room_members (room_id, user_id, role, joined_at, join_order, read_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (room_id, user_id) DO UPDATE SET role = excluded.role, read_seq = excluded.read_seq",
        params![
            room.to_string(),
            m.user.to_string(),
            role_str(m.role),
            m.joined_at.to_rfc3339(),
            m.order,
            m.read_seq,
        ],
    )?;
    Ok(())
}

pub fn remove_member(tx: &Connection, room: RoomId, user: UserId) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM room_members WHERE room_id = ?1 AND user_id = ?2",
        params![room.to_string(), user.to_string()],
    )?;
    Ok(())
}

pub fn insert_message(tx: &Connection, m: &MessageView) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO messages (id, room_id, seq, author_id, text, reply_to, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    stmt.execute(params![
        m.id.to_string(),
        m.room_id.to_string(),
        m.seq,
        m.author.id.to_string(),
        m.text,
        m.reply_to.map(|r| r.to_string()),
        m.created_at.to_rfc3339(),
    ])?;
    Ok(())
}

/// Rewrites a message's mutable parts: text, `edited_at`, `deleted`, reactions.
pub fn update_message(tx: &Connection, m: &MessageView) -> rusqlite::Result<()> {
    let id = m.id.to_string();
    tx.execute(
        "UPDATE messages SET text = ?2, edited_at = ?3, deleted = ?4 WHERE id = ?1",
        params![id, m.text, m.edited_at.map(|t| t.to_rfc3339()), m.deleted],
    )?;
    tx.execute(
        "DELETE FROM message_reactions WHERE message_id = ?1",
        params![id],
    )?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO message_reactions (message_id, emoji, user_id, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let stamp = crate::domain::now().to_rfc3339();
    for (emoji, users) in &m.reactions {
        for user in users {
            stmt.execute(params![id, emoji, user.to_string(), stamp])?;
        }
    }
    Ok(())
}

/// Fills `reactions` of stored messages (in the order users reacted).
fn attach_reactions(conn: &Connection, messages: &mut [MessageView]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT emoji, user_id FROM message_reactions WHERE message_id = ?1 ORDER BY rowid",
    )?;
    for m in messages.iter_mut() {
        let rows = stmt.query_map(params![m.id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, id::<UserId>(r, 1)?))
        })?;
        for row in rows {
            let (emoji, user) = row?;
            m.reactions.entry(emoji).or_default().push(user);
        }
    }
    Ok(())
}

/// One stored message of `room`.
pub fn message(
    conn: &Connection,
    room: RoomId,
    msg: crate::domain::MessageId,
) -> Result<Option<MessageView>, ApiError> {
    let found = conn
        .query_row(
            &format!("{MESSAGE_SELECT} WHERE m.id = ?1 AND m.room_id = ?2"),
            params![msg.to_string(), room.to_string()],
            message_row,
        )
        .optional()?;
    Ok(match found {
        Some(m) => {
            let mut one = [m];
            attach_reactions(conn, &mut one)?;
            let [m] = one;
            Some(m)
        }
        None => None,
    })
}

/// A message and every reply to it, ascending.
pub fn thread(
    conn: &Connection,
    room: RoomId,
    root: crate::domain::MessageId,
) -> Result<Option<(MessageView, Vec<MessageView>)>, ApiError> {
    let Some(root_msg) = message(conn, room, root)? else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(&format!(
        "{MESSAGE_SELECT} WHERE m.room_id = ?1 AND m.reply_to = ?2 ORDER BY m.seq"
    ))?;
    let mut replies = stmt
        .query_map(params![room.to_string(), root.to_string()], message_row)?
        .collect::<Result<Vec<_>, _>>()?;
    attach_reactions(conn, &mut replies)?;
    Ok(Some((root_msg, replies)))
}

/// Full-text search in one room, best match first. Each word of `q` must
/// appear (as a prefix); FTS syntax in `q` is neutralised by quoting.
pub fn search(
    conn: &Connection,
    room: RoomId,
    q: &str,
    limit: usize,
) -> Result<Vec<MessageView>, ApiError> {
    let query: Vec<String> = q
        .split_whitespace()
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{MESSAGE_SELECT} JOIN messages_fts f ON f.rowid = m.rowid
         WHERE messages_fts MATCH ?1 AND m.room_id = ?2 AND m.deleted = 0
         ORDER BY bm25(messages_fts), m.seq DESC LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut out = stmt
        .query_map(
            params![query.join(" "), room.to_string(), limit as i64],
            message_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    attach_reactions(conn, &mut out)?;
    Ok(out)
}
