//! All SQL lives here. Every function takes a `&Connection` and is blocking:
//! callers run it on the blocking pool (`Db::run`), never on an actor or
//! async worker thread.

pub mod dms;
pub mod meta;
pub mod rooms;
pub mod tokens;
pub mod users;
pub mod writer;

use std::path::Path;
use std::time::Duration;

use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

use crate::error::ApiError;

/// The schema; each `-- version N` section is one migration step.
pub const SCHEMA: &str = include_str!("../../schema.sql");

#[derive(Clone)]
pub struct Db {
    pool: Pool<SqliteConnectionManager>,
    /// What SQLite opens: the file, or a shared in-memory database's URI.
    location: std::path::PathBuf,
}

impl Db {
    pub fn open(path: &Path, pool_size: u32) -> anyhow::Result<Db> {
        // Each plain `:memory:` connection is its own database; a named
        // shared-cache one lets the pool and the writer see the same data.
        let in_memory = path.as_os_str() == ":memory:";
        let location = if in_memory {
            format!(
                "file:parlor-{}?mode=memory&cache=shared",
                uuid::Uuid::new_v4()
            )
            .into()
        } else {
            path.to_path_buf()
        };
        // One connection switches a new file to WAL and applies the schema
        // before the pool opens its connections all at once; otherwise they
        // race for the lock the WAL switch takes.
        let mut first = open_connection(&location)?;
        migrate(&mut first)?;
        let manager = SqliteConnectionManager::file(&location).with_init(configure);
        let size = if in_memory { 1 } else { pool_size };
        let pool = Pool::builder().max_size(size).build(manager)?;
        drop(first);
        Ok(Db { pool, location })
    }

    pub fn location(&self) -> &Path {
        &self.location
    }

    /// Runs `f` with a pooled connection on the blocking pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// For the command line, which has no async runtime.
    pub fn run_blocking<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.pool.get()?;
        f(&mut conn)
    }
}

fn configure(c: &mut Connection) -> rusqlite::Result<()> {
    c.busy_timeout(Duration::from_secs(5))?;
    // WAL + NORMAL: a commit survives a process crash (kill -9); only an OS
    // crash can lose the last transactions.
    c.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;",
    )
}

/// A connection outside the pool (the writer's own).
pub fn open_connection(path: &Path) -> anyhow::Result<Connection> {
    let mut c = Connection::open(path)?;
    configure(&mut c)?;
    Ok(c)
}

/// Applies every schema step above the database's `user_version`, in one
/// transaction, so a half-applied schema never exists.
fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let current: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let steps = schema_steps();
    let latest = steps.len() as u32;
    anyhow::ensure!(
        current <= latest,
        "database schema version {current} is newer than this binary ({latest})"
    );
    for (i, step) in steps.iter().enumerate().skip(current as usize) {
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

fn schema_steps() -> Vec<&'static str> {
    let mut steps = Vec::new();
    let mut rest = SCHEMA;
    // Everything before the first marker is the file's header comment.
    if let Some(start) = rest.find("-- version ") {
        rest = &rest[start..];
    }
    while !rest.is_empty() {
        let next = rest[1..].find("\n-- version ").map(|i| i + 2);
        let (step, tail) = match next {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        steps.push(step);
        rest = tail;
    }
    steps
}

/// A UNIQUE violation becomes a 409 with `msg`; anything else stays internal.
pub fn unique_violation(e: rusqlite::Error, msg: &str) -> ApiError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            ApiError::conflict(msg)
        }
        other => other.into(),
    }
}
