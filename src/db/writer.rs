//! The group-commit writer: one thread with its own SQLite connection that
//! applies every queued write in a single transaction and only then answers
//! the waiters. Under load many messages share one fsync-free WAL commit;
//! alone, a message commits at once. Rooms never block on it: they queue a
//! write and await the reply as a future.

use std::path::Path;
use std::thread;

use rusqlite::{Connection, params};
use tokio::sync::{mpsc, oneshot};

use crate::db::rooms::{self, MemberRow, RoomRow};
use crate::domain::{MessageView, RoomId, Timestamp, UserId};
use crate::error::ApiError;

pub enum WriteOp {
    InsertRoom(RoomRow),
    UpdateRoom(RoomRow),
    DeleteRoom(RoomId),
    UpsertMember(RoomId, MemberRow),
    RemoveMember(RoomId, UserId),
    InsertMessage(std::sync::Arc<MessageView>),
    /// Text, `edited_at` and `deleted` of a stored message; reactions too.
    UpdateMessage(std::sync::Arc<MessageView>),
    UpsertBan {
        room: RoomId,
        user: UserId,
        by: UserId,
        reason: Option<String>,
        created_at: Timestamp,
    },
    RemoveBan(RoomId, UserId),
    UpsertInvite {
        id: uuid::Uuid,
        room: RoomId,
        user: UserId,
        by: UserId,
        created_at: Timestamp,
    },
    RemoveInvite(RoomId, UserId),
    UpsertRequest {
        id: uuid::Uuid,
        room: RoomId,
        user: UserId,
        message: String,
        created_at: Timestamp,
    },
    RemoveRequest(RoomId, UserId),
    /// Nothing to write: answered once everything queued before it is committed.
    Flush,
}

struct Job {
    op: WriteOp,
    reply: Option<oneshot::Sender<Result<(), String>>>,
}

/// Handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

/// How many writes may wait for the writer before callers are refused.
const QUEUE: usize = 65_536;

impl Writer {
    /// Starts the thread. `max_batch` = 1 turns group commit off (for benchmarks).
    pub fn start(path: &Path, max_batch: usize) -> anyhow::Result<Writer> {
        let conn = super::open_connection(path)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        thread::Builder::new()
            .name("parlor-db-writer".into())
            .spawn(move || run(conn, rx, max_batch.max(1)))?;
        Ok(Writer { tx })
    }

    /// Queues a write; the receiver resolves after its transaction commits.
    pub fn submit(&self, op: WriteOp) -> Result<oneshot::Receiver<Result<(), String>>, ApiError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .try_send(Job {
                op,
                reply: Some(reply),
            })
            .map_err(|_| ApiError::internal("the database writer is overloaded or stopped"))?;
        Ok(rx)
    }

    /// Queues a write nobody waits for; failures are logged.
    pub fn submit_detached(&self, op: WriteOp) {
        if self.tx.try_send(Job { op, reply: None }).is_err() {
            tracing::error!("database writer queue full or stopped; a write was dropped");
        }
    }

    /// Waits until every write queued so far is committed.
    pub async fn flush(&self) {
        if let Ok(rx) = self.submit(WriteOp::Flush) {
            let _ = rx.await;
        }
    }

    /// Awaits a submitted write's commit.
    pub async fn commit(&self, op: WriteOp) -> Result<(), ApiError> {
        self.submit(op)?
            .await
            .map_err(|_| ApiError::internal("the database writer stopped"))?
            .map_err(ApiError::internal)
    }
}

fn run(mut conn: Connection, mut rx: mpsc::Receiver<Job>, max_batch: usize) {
    let mut batch = Vec::with_capacity(max_batch.min(1024));
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let results = apply(&mut conn, &batch);
        for (job, result) in batch.drain(..).zip(results) {
            if let Err(e) = &result {
                tracing::error!(error = %e, "database write failed");
            }
            if let Some(reply) = job.reply {
                let _ = reply.send(result);
            }
        }
    }
}

/// One transaction for the whole batch; each write in its own savepoint so
/// one failure does not undo the others.
fn apply(conn: &mut Connection, batch: &[Job]) -> Vec<Result<(), String>> {
    let tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return batch.iter().map(|_| Err(e.to_string())).collect(),
    };
    let mut tx = tx;
    let mut results: Vec<Result<(), String>> = Vec::with_capacity(batch.len());
    for job in batch {
        let result = match tx.savepoint() {
            Ok(sp) => match write(&sp, &job.op) {
                Ok(()) => sp.commit().map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(e.to_string()),
        };
        results.push(result);
    }
    if let Err(e) = tx.commit() {
        let e = e.to_string();
        return batch.iter().map(|_| Err(e.clone())).collect();
    }
    results
}

fn write(tx: &Connection, op: &WriteOp) -> rusqlite::Result<()> {
    match op {
        WriteOp::InsertRoom(r) => rooms::insert_room(tx, r),
        WriteOp::UpdateRoom(r) => rooms::update_room(tx, r),
        WriteOp::DeleteRoom(id) => rooms::delete_room(tx, *id),
        WriteOp::UpsertMember(room, m) => rooms::upsert_member(tx, *room, m),
        WriteOp::RemoveMember(room, user) => rooms::remove_member(tx, *room, *user),
        WriteOp::InsertMessage(m) => rooms::insert_message(tx, m),
        WriteOp::UpdateMessage(m) => rooms::update_message(tx, m),
        WriteOp::UpsertBan {
            room,
            user,
            by,
            reason,
            created_at,
        } => tx
            .execute(
                "INSERT OR REPLACE INTO room_bans (room_id, user_id, by_id, reason, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    room.to_string(),
                    user.to_string(),
                    by.to_string(),
                    reason,
                    created_at.to_rfc3339()
                ],
            )
            .map(drop),
        WriteOp::RemoveBan(room, user) => tx
            .execute(
                "DELETE FROM room_bans WHERE room_id = ?1 AND user_id = ?2",
                params![room.to_string(), user.to_string()],
            )
            .map(drop),
        WriteOp::UpsertInvite {
            id,
            room,
            user,
            by,
            created_at,
        } => tx
            .execute(
                "INSERT OR REPLACE INTO room_invites (id, room_id, user_id, by_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id.to_string(),
                    room.to_string(),
                    user.to_string(),
                    by.to_string(),
                    created_at.to_rfc3339()
                ],
            )
            .map(drop),
        WriteOp::RemoveInvite(room, user) => tx
            .execute(
                "DELETE FROM room_invites WHERE room_id = ?1 AND user_id = ?2",
                params![room.to_string(), user.to_string()],
            )
            .map(drop),
        WriteOp::UpsertRequest {
            id,
            room,
            user,
            message,
            created_at,
        } => tx
            .execute(
                "INSERT OR REPLACE INTO join_requests (id, room_id, user_id, message, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id.to_string(),
                    room.to_string(),
                    user.to_string(),
                    message,
                    created_at.to_rfc3339()
                ],
            )
            .map(drop),
        WriteOp::RemoveRequest(room, user) => tx
            .execute(
                "DELETE FROM join_requests WHERE room_id = ?1 AND user_id = ?2",
                params![room.to_string(), user.to_string()],
            )
            .map(drop),
        WriteOp::Flush => Ok(()),
    }
}
