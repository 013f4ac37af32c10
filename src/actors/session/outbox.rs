//! The bounded queue of outgoing frames for one connection, and the index of
//! every open connection by user.

use std::sync::Arc;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_ws::CloseCode;
use bytestring::ByteString;
use dashmap::DashMap;
use futures_util::task::AtomicWaker;
use prometheus::IntCounter;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::domain::{RoomId, SessionId, UserId};

/// What the connection's writer (`ws::transport`) sends on the socket.
pub enum Outgoing {
    Text(ByteString),
    Ping,
    Pong(bytes::Bytes),
}

/// Close codes beyond the standard ones.
pub const CLOSE_SLOW_CONSUMER: u16 = 4000;

/// Bounded queue of pre-serialised frames for one connection. Cloned into
/// rooms; offering never waits, so one slow reader cannot slow a room.
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Outgoing>,
    closer: Arc<Closer>,
}

/// Ends a connection: the writer sends a close frame with `code`, and the
/// session actor stops. Also records when the client was last heard from,
/// for the shared heartbeat.
pub struct Closer {
    token: CancellationToken,
    code: AtomicU16,
    /// Wakes the connection's writer (`ws::transport`), which checks `code`
    /// on every poll: cheaper than polling the token's future per write.
    writer: AtomicWaker,
    /// Milliseconds since `EPOCH` at the last inbound frame.
    last_seen_ms: AtomicU64,
    /// Rooms that dropped this connection on their own (kick, leave over
    /// REST, room deleted); the session forgets them before counting its
    /// subscriptions.
    dropped_by_rooms: parking_lot::Mutex<Vec<RoomId>>,
    slow_consumers: IntCounter,
}

/// The heartbeat's clock: milliseconds since the first connection.
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

fn clock_ms() -> u64 {
    EPOCH.elapsed().as_millis() as u64
}

impl Outbox {
    pub fn new(capacity: usize, slow_consumers: IntCounter) -> (Outbox, mpsc::Receiver<Outgoing>) {
        let (tx, rx) = mpsc::channel(capacity);
        let closer = Arc::new(Closer {
            token: CancellationToken::new(),
            code: AtomicU16::new(0),
            writer: AtomicWaker::new(),
            last_seen_ms: AtomicU64::new(clock_ms()),
            dropped_by_rooms: Default::default(),
            slow_consumers,
        });
        (Outbox { tx, closer }, rx)
    }

    /// Queues a frame. `false` means the connection is gone or was too far
    /// behind (it is then closed with 4000); the caller drops it.
    pub fn offer(&self, frame: &ByteString) -> bool {
        self.push(Outgoing::Text(frame.clone()))
    }

    pub fn push(&self, item: Outgoing) -> bool {
        match self.tx.try_send(item) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                if self.close(CLOSE_SLOW_CONSUMER) {
                    self.closer.slow_consumers.inc();
                }
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Asks for the connection to be closed with `code`. The first call wins;
    /// returns whether this call was it.
    pub fn close(&self, code: u16) -> bool {
        let first = self
            .closer
            .code
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        self.closer.token.cancel();
        self.closer.writer.wake();
        first
    }

    /// A room removed this connection from its subscribers by itself.
    pub fn dropped_by_room(&self, room: RoomId) {
        self.closer.dropped_by_rooms.lock().push(room);
    }

    /// The rooms that dropped this connection since the last call.
    pub fn take_dropped_rooms(&self) -> Vec<RoomId> {
        std::mem::take(&mut *self.closer.dropped_by_rooms.lock())
    }

    /// The client sent something: it is alive.
    pub fn touch(&self) {
        self.closer
            .last_seen_ms
            .store(clock_ms(), Ordering::Relaxed);
    }

    fn silent_for(&self, now_ms: u64) -> Duration {
        let seen = self.closer.last_seen_ms.load(Ordering::Relaxed);
        Duration::from_millis(now_ms.saturating_sub(seen))
    }

    pub fn closed_token(&self) -> CancellationToken {
        self.closer.token.clone()
    }

    /// The writer asks to be woken when the connection is closed.
    pub fn register_writer(&self, waker: &std::task::Waker) {
        self.closer.writer.register(waker);
    }

    pub fn close_code(&self) -> Option<CloseCode> {
        match self.closer.code.load(Ordering::Acquire) {
            0 => None,
            code => Some(CloseCode::from(code)),
        }
    }
}

/// A connection as seen from outside its actor.
#[derive(Clone)]
pub struct SessionHandle {
    pub id: SessionId,
    pub outbox: Outbox,
}

/// Every open connection by user, so events about a user (`kicked`,
/// `room_deleted`, `dm`, …) reach all of that user's devices.
#[derive(Default)]
pub struct SessionIndex {
    by_user: DashMap<UserId, Vec<SessionHandle>>,
}

impl SessionIndex {
    pub fn add(&self, user: UserId, handle: SessionHandle) {
        self.by_user.entry(user).or_default().push(handle);
    }

    pub fn remove(&self, user: UserId, id: SessionId) {
        if let dashmap::Entry::Occupied(mut e) = self.by_user.entry(user) {
            e.get_mut().retain(|h| h.id != id);
            if e.get().is_empty() {
                e.remove();
            }
        }
    }

    /// Offers `frame` to every connection of `user`; returns how many took it.
    pub fn send_to_user(&self, user: UserId, frame: &ByteString) -> usize {
        self.by_user.get(&user).map_or(0, |handles| {
            handles.iter().filter(|h| h.outbox.offer(frame)).count()
        })
    }

    /// Closes every connection of `user` with `code`.
    pub fn close_user(&self, user: UserId, code: u16) {
        if let Some(handles) = self.by_user.get(&user) {
            for h in handles.iter() {
                h.outbox.close(code);
            }
        }
    }

    /// Closes every connection with `code` (graceful shutdown: 1001).
    pub fn close_all(&self, code: u16) {
        for entry in self.by_user.iter() {
            for h in entry.value() {
                h.outbox.close(code);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_user.is_empty()
    }

    /// One beat of the shared heartbeat (one timer for every connection, not
    /// one per connection): pings each live connection and closes those
    /// silent for longer than `timeout`.
    pub fn heartbeat(&self, timeout: Duration) {
        let now = clock_ms();
        for entry in self.by_user.iter() {
            for h in entry.value() {
                if h.outbox.silent_for(now) > timeout {
                    h.outbox.close(1000);
                } else {
                    h.outbox.push(Outgoing::Ping);
                }
            }
        }
    }
}
