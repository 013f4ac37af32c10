//! Black-box tests: each test starts the real server on port 0 with its own
//! temporary SQLite file and talks to it over real HTTP and WebSocket.

mod admin;
mod auth;
mod authz_matrix;
mod cli_config;
mod dms;
mod editing;
mod governance;
mod helpers;
mod lifecycle;
mod loadgen_smoke;
mod messages;
mod persistence;
mod process;
mod rooms;
mod users;
mod ws_client;
mod ws_limits;
mod ws_protocol;
