//! Server metadata: the generated JWT secret.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::ApiError;

/// Returns the stored secret, creating it with `generate` on first start.
/// `INSERT OR IGNORE` then `SELECT` makes two servers racing on one file agree.
pub fn jwt_secret(
    conn: &Connection,
    generate: impl FnOnce() -> String,
) -> Result<String, ApiError> {
    let existing: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'jwt_secret'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(secret) = existing {
        return Ok(secret);
    }
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('jwt_secret', ?1)",
        params![generate()],
    )?;
    Ok(
        conn.query_row("SELECT value FROM meta WHERE key = 'jwt_secret'", [], |r| {
            r.get(0)
        })?,
    )
}
