//! Parlor: a self-hosted chat server.
//!
//! Where things live:
//! - `startup.rs`: `Application::build` wires everything and binds (tests use port 0).
//! - `config.rs`: `Settings`, the SPEC §7 table; `config.toml` documents it.
//! - `actors/`: the actor system — `registry/` creates and destroys rooms,
//!   `room/` owns one room's live state, `session/` runs one WebSocket.
//! - `ws/`: the wire protocol (`protocol.rs`) and the `/ws` upgrade.
//! - `api/`: REST handlers, one file per URL segment.
//! - `auth/`: Argon2id, JWTs, refresh tokens, the bearer extractor, login throttling.
//! - `db/`: all SQL, run on the blocking pool; `schema.sql` is the schema.
//! - `domain/`: validated types and the JSON views.
//! - `error.rs`: `ApiError`, the one error → status table.
//! - `web/`: the browser client (files under `web/`), embedded and served at `/`.
//! - `metrics.rs`: Prometheus counters; `state.rs`: shared read-mostly state.

pub mod actors;
pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod dms;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod startup;
pub mod state;
pub mod web;
pub mod ws;
