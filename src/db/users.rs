//! The `users` table.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::db::unique_violation;
use crate::domain::{RoomId, Timestamp, UserId, UserView};
use crate::error::ApiError;

pub struct UserRecord {
    pub view: UserView,
    pub password_hash: String,
    pub disabled: bool,
}

pub struct NewUser<'a> {
    pub id: UserId,
    pub username: &'a str,
    pub email: Option<&'a str>,
    pub password_hash: &'a str,
    pub is_admin: bool,
    pub created_at: Timestamp,
}

const COLUMNS: &str =
    "id, username, display_name, email, password_hash, is_admin, disabled, created_at";

fn record(r: &Row<'_>) -> rusqlite::Result<UserRecord> {
    let id: String = r.get(0)?;
    let created_at: String = r.get(7)?;
    let bad = |what: &str| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, what.into())
    };
    Ok(UserRecord {
        view: UserView {
            id: id.parse().map_err(|_| bad("user id"))?,
            username: r.get(1)?,
            display_name: r.get(2)?,
            email: r.get(3)?,
            is_admin: r.get(5)?,
            created_at: Timestamp::parse(&created_at).ok_or_else(|| bad("created_at"))?,
        },
        password_hash: r.get(4)?,
        disabled: r.get(6)?,
    })
}

pub fn insert(conn: &Connection, u: &NewUser<'_>) -> Result<(), ApiError> {
    conn.execute(
        "INSERT INTO users (id, username, username_lower, display_name, email, password_hash, is_admin, created_at)
         VALUES (?1, ?2, ?3, ?2, ?4, ?5, ?6, ?7)",
        params![
            u.id.to_string(),
            u.username,
            u.username.to_ascii_lowercase(),
            u.email,
            u.password_hash,
            u.is_admin,
            u.created_at.to_rfc3339(),
        ],
    )
    .map_err(|e| unique_violation(e, "username is taken"))?;
    Ok(())
}

pub fn by_id(conn: &Connection, id: UserId) -> Result<Option<UserRecord>, ApiError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = ?1");
    Ok(conn
        .query_row(&sql, params![id.to_string()], record)
        .optional()?)
}

pub fn by_username(conn: &Connection, username: &str) -> Result<Option<UserRecord>, ApiError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username_lower = ?1");
    Ok(conn
        .query_row(&sql, params![username.to_ascii_lowercase()], record)
        .optional()?)
}

/// Members, banned, invited and requesting users of one room.
pub fn referenced_by_room(conn: &Connection, room: RoomId) -> Result<Vec<UserView>, ApiError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE id IN (
             SELECT user_id FROM room_members WHERE room_id = ?1
             UNION SELECT user_id FROM room_bans WHERE room_id = ?1
             UNION SELECT user_id FROM room_invites WHERE room_id = ?1
             UNION SELECT user_id FROM join_requests WHERE room_id = ?1)"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let users = stmt
        .query_map(params![room.to_string()], record)?
        .map(|r| r.map(|u| u.view))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(users)
}

/// Case-insensitive prefix match on username and display name.
pub fn search(
    conn: &Connection,
    prefix: &str,
    exclude: UserId,
    limit: u32,
) -> Result<Vec<UserView>, ApiError> {
    let escaped: String = prefix
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let pattern = format!("{escaped}%");
    let sql = format!(
        "SELECT {COLUMNS} FROM users
         WHERE id <> ?1 AND disabled = 0
           AND (username_lower LIKE ?2 ESCAPE '\\' OR lower(display_name) LIKE ?2 ESCAPE '\\')
         ORDER BY username_lower LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![exclude.to_string(), pattern, limit], record)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r?.view.public());
    }
    Ok(out)
}

pub fn set_display_name(conn: &Connection, id: UserId, name: &str) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE users SET display_name = ?2 WHERE id = ?1",
        params![id.to_string(), name],
    )?;
    Ok(())
}

pub fn set_password_hash(conn: &Connection, id: UserId, hash: &str) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE users SET password_hash = ?2 WHERE id = ?1",
        params![id.to_string(), hash],
    )?;
    Ok(())
}

/// Whether `blocker` has blocked `blocked`.
pub fn is_blocked(conn: &Connection, blocker: UserId, blocked: UserId) -> Result<bool, ApiError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM blocks WHERE blocker_id = ?1 AND blocked_id = ?2",
            params![blocker.to_string(), blocked.to_string()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub fn block(conn: &Connection, blocker: UserId, blocked: UserId) -> Result<(), ApiError> {
    conn.execute(
        "INSERT OR IGNORE INTO blocks (blocker_id, blocked_id, created_at) VALUES (?1, ?2, ?3)",
        params![
            blocker.to_string(),
            blocked.to_string(),
            crate::domain::now().to_rfc3339()
        ],
    )?;
    Ok(())
}

pub fn unblock(conn: &Connection, blocker: UserId, blocked: UserId) -> Result<(), ApiError> {
    conn.execute(
        "DELETE FROM blocks WHERE blocker_id = ?1 AND blocked_id = ?2",
        params![blocker.to_string(), blocked.to_string()],
    )?;
    Ok(())
}

pub fn set_disabled(conn: &Connection, id: UserId, disabled: bool) -> Result<bool, ApiError> {
    Ok(conn.execute(
        "UPDATE users SET disabled = ?2 WHERE id = ?1",
        params![id.to_string(), disabled],
    )? > 0)
}

pub fn disabled_ids(conn: &Connection) -> Result<Vec<UserId>, ApiError> {
    let mut stmt = conn.prepare("SELECT id FROM users WHERE disabled = 1")?;
    let ids = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .filter_map(|r| r.ok().and_then(|s| s.parse().ok()))
        .collect();
    Ok(ids)
}
