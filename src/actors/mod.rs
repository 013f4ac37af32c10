//! The actor system.
//!
//! ```text
//!  HTTP handlers ──send──▶ RegistryActor ──start──▶ RoomActor (one per live room,
//!        │                      ▲ RoomStopped          spread over an arbiter pool)
//!        └───────send──────────────────────────────▶ RoomActor
//!  SessionActor (one per WebSocket) ──send──▶ RoomActor ──Outbox::offer──▶ SessionActor's socket
//! ```
//!
//! Rules of the message flow:
//! 1. One writer per state: only a `RoomActor` touches its room. The registry
//!    alone inserts into and removes from `Hub::rooms`.
//! 2. A room never awaits a session. Every event is serialised once into a
//!    `ByteString` and offered to each subscriber's bounded `Outbox` with
//!    `try_send`; a full outbox is a slow consumer and gets closed (4000).
//! 3. Sessions and handlers `send().await` to rooms (bounded mailboxes), so
//!    only a flooding client waits. `do_send` is used only in `stopping()`.
//! 4. Nothing blocks an arbiter: SQLite and Argon2 run on the blocking pool.

pub mod registry;
pub mod room;
pub mod session;
