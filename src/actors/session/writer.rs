//! The writer task: drains a connection's outbox into the actix-ws session.
//! actix-ws batches whatever is queued into one socket write per poll.

use std::time::Duration;

use actix_ws::{CloseCode, CloseReason};
use tokio::sync::mpsc;

use super::{Outbox, Outgoing};

/// Writes queued frames until the outbox is closed, then sends the close
/// frame, giving a stalled reader `close_grace` to take it.
pub async fn run(
    mut rx: mpsc::Receiver<Outgoing>,
    mut ws: actix_ws::Session,
    outbox: Outbox,
    close_grace: Duration,
) {
    let closed = outbox.closed_token();
    loop {
        let item = tokio::select! {
            biased;
            _ = closed.cancelled() => break,
            item = rx.recv() => match item {
                Some(item) => item,
                None => break,
            },
        };
        let sent = tokio::select! {
            biased;
            _ = closed.cancelled() => break,
            sent = async {
                match item {
                    Outgoing::Text(text) => ws.text(text).await,
                    Outgoing::Ping => ws.ping(b"").await,
                    Outgoing::Pong(data) => ws.pong(&data).await,
                }
            } => sent,
        };
        if sent.is_err() {
            // The socket is gone; closing the outbox stops the session actor.
            outbox.close(1006);
            return;
        }
    }
    let code = outbox.close_code().unwrap_or(CloseCode::Normal);
    if u16::from(code) == 1006 {
        return;
    }
    let reason = CloseReason {
        code,
        description: close_description(u16::from(code)).map(str::to_owned),
    };
    let _ = tokio::time::timeout(close_grace, ws.close(Some(reason))).await;
}

fn close_description(code: u16) -> Option<&'static str> {
    match code {
        1001 => Some("server shutting down"),
        1007 => Some("invalid UTF-8 in a text frame"),
        1008 => Some("flooding"),
        1009 => Some("frame too large"),
        super::CLOSE_SLOW_CONSUMER => Some("slow consumer: outbox overflowed"),
        _ => None,
    }
}
