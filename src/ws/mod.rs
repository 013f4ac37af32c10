//! The WebSocket wire protocol, the transport (frames to and from the
//! socket), and the `/ws` upgrade routes.

pub mod protocol;
pub mod transport;
pub mod upgrade;
