//! The `refresh_tokens` table. Only SHA-256 hashes are stored; using a token
//! deletes its row, so each one works once.

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::UserId;
use crate::error::ApiError;

pub fn insert(
    conn: &Connection,
    hash: &str,
    user: UserId,
    now: i64,
    expires_at: i64,
) -> Result<(), ApiError> {
    conn.execute(
        "INSERT INTO refresh_tokens (token_hash, user_id, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![hash, user.to_string(), expires_at, now],
    )?;
    // Expired rows are never usable; sweeping them here keeps the table small.
    conn.execute(
        "DELETE FROM refresh_tokens WHERE user_id = ?1 AND expires_at <= ?2",
        params![user.to_string(), now],
    )?;
    Ok(())
}

/// Deletes the token and returns its user if it existed and had not expired.
pub fn take(conn: &Connection, hash: &str, now: i64) -> Result<Option<UserId>, ApiError> {
    let row: Option<(String, i64)> = conn
        .query_row(
            "DELETE FROM refresh_tokens WHERE token_hash = ?1 RETURNING user_id, expires_at",
            params![hash],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(row
        .filter(|(_, exp)| *exp > now)
        .and_then(|(user, _)| user.parse().ok()))
}

pub fn revoke_all(conn: &Connection, user: UserId) -> Result<(), ApiError> {
    conn.execute(
        "DELETE FROM refresh_tokens WHERE user_id = ?1",
        params![user.to_string()],
    )?;
    Ok(())
}
