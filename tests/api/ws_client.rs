//! A real WebSocket client for tests (tokio-tungstenite). Every read is
//! bounded by a timeout; nothing sleeps.

#![allow(dead_code)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::{TestApp, TestUser, WAIT};

pub struct WsClient {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl TestApp {
    /// `/ws?token=…` for `user`.
    pub async fn ws(&self, user: &TestUser) -> WsClient {
        self.ws_path(&format!("/ws?token={}", user.token)).await
    }

    pub async fn ws_path(&self, path: &str) -> WsClient {
        let (stream, _) =
            tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(self.ws_url(path)))
                .await
                .expect("ws connect in time")
                .expect("ws upgrade succeeds");
        WsClient { stream }
    }

    /// Attempts an upgrade and returns the HTTP status of a refusal.
    pub async fn ws_refused_status(&self, path: &str) -> u16 {
        match tokio_tungstenite::connect_async(self.ws_url(path)).await {
            Ok(_) => panic!("upgrade unexpectedly accepted"),
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
            Err(e) => panic!("unexpected ws error: {e}"),
        }
    }
}

impl WsClient {
    pub async fn send(&mut self, frame: Value) {
        self.stream
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("ws send");
    }

    pub async fn send_raw(&mut self, msg: Message) {
        self.stream.send(msg).await.expect("ws send");
    }

    /// The next JSON text frame, whatever its type (pings are skipped).
    pub async fn next_json(&mut self) -> Value {
        self.try_next_json(WAIT)
            .await
            .expect("a frame arrives before the timeout")
    }

    pub async fn try_next_json(&mut self, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()??;
            match msg.expect("ws read") {
                Message::Text(t) => return Some(serde_json::from_str(&t).expect("json frame")),
                Message::Ping(_) | Message::Pong(_) => continue,
                Message::Close(c) => panic!("connection closed while waiting for a frame: {c:?}"),
                other => panic!("unexpected ws message {other:?}"),
            }
        }
    }

    /// Waits for the next frame of `kind`, skipping frames of other types.
    pub async fn expect(&mut self, kind: &str) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self
                .try_next_json(left)
                .await
                .unwrap_or_else(|| panic!("no `{kind}` frame within {WAIT:?}"));
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// Asserts that no text frame arrives for `d`.
    pub async fn expect_silence(&mut self, d: Duration) {
        if let Some(f) = self.try_next_json(d).await {
            panic!("expected silence, got {f}");
        }
    }

    /// Reads until the server closes; returns the close code (None for a
    /// close without a code or a dropped connection).
    pub async fn expect_close(&mut self) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => panic!("connection not closed within {WAIT:?}"),
                Ok(None) => return None,
                Ok(Some(Err(_))) => return None,
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return frame.map(|f| u16::from(f.code));
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    pub async fn subscribe(&mut self, room: &str) -> Value {
        self.send(json!({"type": "subscribe", "room": room})).await;
        self.expect("subscribed").await
    }

    pub async fn subscribe_joining(&mut self, room: &str) -> Value {
        self.send(json!({"type": "subscribe", "room": room, "join": true}))
            .await;
        self.expect("subscribed").await
    }

    pub async fn say(&mut self, room: &str, text: &str, reference: &str) {
        self.send(json!({"type": "message", "room": room, "text": text, "ref": reference}))
            .await;
    }
}

pub fn close_code(code: CloseCode) -> u16 {
    u16::from(code)
}

impl TestApp {
    /// `/ws` with the token in an `Authorization: Bearer` header instead of the query.
    pub async fn ws_with_bearer_header(&self, user: &TestUser) -> WsClient {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = self
            .ws_url("/ws")
            .into_client_request()
            .expect("ws request");
        req.headers_mut().insert(
            "Authorization",
            format!("Bearer {}", user.token)
                .parse()
                .expect("header value"),
        );
        let (stream, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req))
            .await
            .expect("ws connect in time")
            .expect("ws upgrade succeeds");
        WsClient { stream }
    }
}

impl WsClient {
    /// Sends without panicking; false once the server has gone away (flood and
    /// oversize tests keep writing after the server may have closed).
    pub async fn try_send(&mut self, frame: Value) -> bool {
        self.stream
            .send(Message::Text(frame.to_string().into()))
            .await
            .is_ok()
    }

    /// A barrier: sends a `ping` and reads until its `pong`. Frames are
    /// handled in order, so everything the server did for earlier frames of
    /// this connection has been delivered. Returns the frames skipped on the way.
    pub async fn sync(&mut self) -> Vec<Value> {
        let reference = format!("sync-{}", rand_suffix());
        self.send(json!({"type": "ping", "ref": reference})).await;
        let mut skipped = Vec::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self
                .try_next_json(left)
                .await
                .unwrap_or_else(|| panic!("no `pong` within {WAIT:?}"));
            if frame["type"] == "pong" && frame["ref"] == reference.as_str() {
                return skipped;
            }
            skipped.push(frame);
        }
    }

    /// Waits for the next `error` frame and checks its code and echoed ref.
    pub async fn expect_error(&mut self, code: &str, reference: Option<&str>) -> Value {
        let err = self.expect("error").await;
        assert_eq!(err["code"], code, "error code: {err}");
        assert!(err["message"].is_string(), "error without message: {err}");
        if let Some(r) = reference {
            assert_eq!(err["ref"], r, "error ref: {err}");
        }
        err
    }

    /// The next frame whose type is one of `kinds`, skipping the others.
    pub async fn expect_one_of(&mut self, kinds: &[&str]) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self
                .try_next_json(left)
                .await
                .unwrap_or_else(|| panic!("none of {kinds:?} within {WAIT:?}"));
            if kinds.iter().any(|k| frame["type"] == *k) {
                return frame;
            }
        }
    }

    pub async fn unsubscribe(&mut self, room: &str) {
        self.send(json!({"type": "unsubscribe", "room": room}))
            .await;
    }

    pub async fn typing(&mut self, room: &str, typing: bool) {
        self.send(json!({"type": "typing", "room": room, "typing": typing}))
            .await;
    }

    /// Closes from the client side (normal closure) and lets the server see it.
    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
        let _ = tokio::time::timeout(WAIT, async {
            while let Some(Ok(_)) = self.stream.next().await {}
        })
        .await;
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Posts `text` to `room` over REST (201 expected) and returns the message.
pub async fn post_text(app: &TestApp, user: &TestUser, room: &str, text: &str) -> Value {
    let (status, body) = app
        .post(
            &format!("/api/rooms/{room}/messages"),
            &user.token,
            json!({"text": text}),
        )
        .await;
    assert_eq!(status, 201, "post message: {body}");
    body
}

/// The `seq` numbers of a list of messages (a `history` array).
pub fn seqs(messages: &Value) -> Vec<u64> {
    messages
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {messages}"))
        .iter()
        .map(|m| m["seq"].as_u64().unwrap_or_else(|| panic!("no seq: {m}")))
        .collect()
}

/// The room id of a room object.
pub fn id_of(room: &Value) -> String {
    room["id"].as_str().expect("room id").to_string()
}

impl TestApp {
    /// Registers `user00`, `user01`, … (for tests with many users).
    pub async fn user_named(&self, i: usize) -> TestUser {
        self.user(&format!("user{i:02}")).await
    }
}
