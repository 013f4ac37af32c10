//! The WebSocket wire protocol and the `/ws` upgrade routes.

pub mod protocol;
pub mod upgrade;
