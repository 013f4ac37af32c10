//! Echo bot: a Parlor client that uses only the public protocol, as any bot
//! written in any language would.
//!
//! It shows how to:
//! - sign in (`POST /api/auth/login`, registering with `POST /api/auth/register`
//!   the first time, when login answers 401);
//! - keep the access token fresh with `POST /api/auth/refresh` before it expires;
//! - open one WebSocket (`/ws?token=…`) and join a room with
//!   `{"type":"subscribe","room":…,"join":true}`;
//! - answer every `message` event whose text starts with `!echo ` by posting
//!   the rest back with a `message` frame (its own messages are ignored, keyed
//!   by author id);
//! - reconnect with exponential backoff when the socket drops, resuming from
//!   the last `seq` it saw so that commands sent meanwhile are still answered.
//!
//! Run it against a running server (`cargo run --release` in another shell)
//! and a public room id (from `POST /api/rooms`):
//!
//! ```text
//! cargo run --example echo_bot -- --server http://127.0.0.1:8080 --username echobot --password 'bot-password-1' --room <ROOM_ID>
//! ```
//!
//! Then say `!echo hello` in that room. `RUST_LOG=echo_bot=debug` shows every frame.
//! The HTTP client is built without TLS, so `--server` must be `http://`.

use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;

/// Longest wait between two reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Bound on any one HTTP request or WebSocket handshake.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The `ref` of our subscribe frame, so an `error` about it can be recognised.
const SUBSCRIBE_REF: &str = "subscribe";

#[derive(Parser, Debug)]
#[command(about = "Parlor echo bot: answers `!echo TEXT` with TEXT")]
struct Args {
    /// Base URL of the Parlor server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// The bot's account; registered on first use.
    #[arg(long, default_value = "echobot")]
    username: String,
    /// The bot's password (at least 8 characters).
    #[arg(long)]
    password: String,
    /// Id of the (public) room to join.
    #[arg(long)]
    room: String,
}

/// `{user, access_token, refresh_token, expires_in}`, the answer of every auth route.
#[derive(Deserialize)]
struct AuthReply {
    user: UserRef,
    access_token: String,
    refresh_token: String,
    /// Access token lifetime, in seconds.
    expires_in: u64,
}

#[derive(Deserialize)]
struct UserRef {
    id: String,
}

/// Why something failed: worth retrying later, or not at all.
enum Failure {
    /// The server is unreachable or busy; try again (after at least the given wait).
    Retry(anyhow::Error, Option<Duration>),
    /// Retrying cannot help (bad credentials, no such room, kicked…).
    Fatal(anyhow::Error),
}

impl From<reqwest::Error> for Failure {
    fn from(e: reqwest::Error) -> Self {
        Failure::Retry(e.into(), None)
    }
}

/// The bot's credentials and current tokens.
struct Auth {
    http: reqwest::Client,
    server: String,
    username: String,
    password: String,
    user_id: String,
    access_token: String,
    refresh_token: String,
    /// When to renew the access token: well before it expires.
    refresh_at: Instant,
}

impl Auth {
    /// Logs in, registering the account when login answers 401.
    async fn sign_in(args: &Args) -> Result<Auth, Failure> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| Failure::Fatal(e.into()))?;
        let mut auth = Auth {
            http,
            server: args.server.trim_end_matches('/').to_string(),
            username: args.username.clone(),
            password: args.password.clone(),
            user_id: String::new(),
            access_token: String::new(),
            refresh_token: String::new(),
            refresh_at: Instant::now(),
        };
        auth.log_in().await?;
        Ok(auth)
    }

    async fn log_in(&mut self) -> Result<(), Failure> {
        let credentials = json!({"username": self.username, "password": self.password});
        let res = self.post("/api/auth/login", &credentials).await?;
        if res.status() == reqwest::StatusCode::UNAUTHORIZED {
            tracing::info!(username = %self.username, "login refused; registering the account");
            let res = self.post("/api/auth/register", &credentials).await?;
            if res.status() == reqwest::StatusCode::CONFLICT {
                return Err(Failure::Fatal(anyhow!(
                    "username {} is taken by an account with another password",
                    self.username
                )));
            }
            return self.accept(res).await;
        }
        self.accept(res).await
    }

    /// Trades the refresh token for a new pair; logs in again if it is no longer valid.
    async fn refresh(&mut self) -> Result<(), Failure> {
        let body = json!({"refresh_token": self.refresh_token});
        let res = self.post("/api/auth/refresh", &body).await?;
        if res.status() == reqwest::StatusCode::UNAUTHORIZED {
            tracing::info!("refresh token refused; logging in again");
            return self.log_in().await;
        }
        self.accept(res).await?;
        tracing::debug!("access token refreshed");
        Ok(())
    }

    async fn post(&self, path: &str, body: &Value) -> Result<reqwest::Response, Failure> {
        let url = format!("{}{}", self.server, path);
        Ok(self.http.post(url).json(body).send().await?)
    }

    /// Stores the tokens of a successful auth answer, or classifies the error.
    async fn accept(&mut self, res: reqwest::Response) -> Result<(), Failure> {
        let status = res.status();
        if status.is_success() {
            let reply: AuthReply = res.json().await?;
            // Renew after 80% of the lifetime: early enough to survive a slow request.
            let lifetime = Duration::from_secs(reply.expires_in.max(1));
            self.refresh_at = Instant::now() + lifetime.mul_f64(0.8);
            self.user_id = reply.user.id;
            self.access_token = reply.access_token;
            self.refresh_token = reply.refresh_token;
            return Ok(());
        }
        let retry_after = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .map(Duration::from_secs);
        let body = res.text().await.unwrap_or_default();
        let err = anyhow!("{status}: {body}");
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Err(Failure::Retry(err, retry_after))
        } else {
            Err(Failure::Fatal(err))
        }
    }

    /// `http://host` → `ws://host/ws?token=…`.
    fn ws_url(&self) -> String {
        let base = match self.server.strip_prefix("https://") {
            Some(rest) => format!("wss://{rest}"),
            None => self.server.replacen("http://", "ws://", 1),
        };
        format!("{base}/ws?token={}", self.access_token)
    }
}

/// The part of the bot that survives reconnections.
struct Bot {
    room: String,
    /// The highest `seq` seen in the room; a reconnection resumes after it.
    last_seq: Option<u64>,
    /// Whether the current connection got as far as a successful subscription.
    subscribed: bool,
}

impl Bot {
    fn subscribe_frame(&self) -> Value {
        let mut frame = json!({
            "type": "subscribe",
            "room": self.room,
            "join": true,
            "ref": SUBSCRIBE_REF,
        });
        if let Some(seq) = self.last_seq {
            frame["since_seq"] = json!(seq);
        }
        frame
    }

    /// The reply to one message of the room, if it calls for one.
    fn on_message(&mut self, message: &Value, me: &str) -> Option<Value> {
        let seq = message["seq"].as_u64()?;
        if self.last_seq.is_some_and(|last| seq <= last) {
            return None; // already handled before a reconnection
        }
        self.last_seq = Some(seq);
        if message["author"]["id"].as_str() == Some(me) || message["deleted"] == true {
            return None;
        }
        let rest = message["text"].as_str()?.strip_prefix("!echo ")?.trim();
        if rest.is_empty() {
            return None;
        }
        tracing::info!(seq, text = rest, "echoing");
        Some(json!({
            "type": "message",
            "room": self.room,
            "text": rest,
            "ref": format!("echo-{seq}"),
        }))
    }

    /// Handles one server frame; returns the frames to send back.
    fn on_frame(&mut self, frame: &Value, me: &str) -> Result<Vec<Value>, Failure> {
        let ours = frame["room"].as_str() == Some(self.room.as_str());
        match frame["type"].as_str().unwrap_or_default() {
            "subscribed" if ours => {
                self.subscribed = true;
                let history = frame["history"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                if self.last_seq.is_none() {
                    // First connection: the backlog is not ours to answer.
                    self.last_seq = history.iter().filter_map(|m| m["seq"].as_u64()).max();
                    tracing::info!(room = %self.room, "joined; listening for `!echo …`");
                    return Ok(Vec::new());
                }
                if frame["gap"] == true {
                    tracing::warn!("some messages were lost while disconnected");
                }
                tracing::info!(room = %self.room, missed = history.len(), "resubscribed");
                Ok(history
                    .iter()
                    .filter_map(|m| self.on_message(m, me))
                    .collect())
            }
            "message" if ours => Ok(self.on_message(&frame["message"], me).into_iter().collect()),
            "kicked" if ours => Err(Failure::Fatal(anyhow!(
                "kicked from the room (banned: {}): {}",
                frame["banned"],
                frame["reason"].as_str().unwrap_or_default()
            ))),
            "room_deleted" if ours => Err(Failure::Fatal(anyhow!("the room was deleted"))),
            "error" if frame["ref"] == SUBSCRIBE_REF => Err(Failure::Fatal(anyhow!(
                "cannot join room {}: {} ({})",
                self.room,
                frame["message"].as_str().unwrap_or_default(),
                frame["code"].as_str().unwrap_or_default()
            ))),
            "error" => {
                let code = frame["code"].as_str().unwrap_or_default();
                let message = frame["message"].as_str().unwrap_or_default();
                tracing::warn!(code, message, "server error");
                Ok(Vec::new())
            }
            _ => Ok(Vec::new()),
        }
    }
}

/// One WebSocket connection, from handshake to drop. `Ok` when the
/// connection simply ended; the caller reconnects either way unless `Fatal`.
async fn run_connection(auth: &mut Auth, bot: &mut Bot) -> Result<(), Failure> {
    use tokio_tungstenite::tungstenite::Error as WsError;

    let (mut ws, _) = match timeout(
        REQUEST_TIMEOUT,
        tokio_tungstenite::connect_async(auth.ws_url()),
    )
    .await
    {
        Ok(Ok(pair)) => pair,
        Ok(Err(WsError::Http(res))) if res.status() == 401 => {
            // The access token was refused (say, the server's secret changed):
            // renew it before the next attempt.
            auth.refresh_at = Instant::now();
            return Err(Failure::Retry(anyhow!("access token refused"), None));
        }
        Ok(Err(e)) => return Err(Failure::Retry(e.into(), None)),
        Err(_) => return Err(Failure::Retry(anyhow!("handshake timed out"), None)),
    };
    let send = |frame: Value| Message::Text(frame.to_string().into());
    ws.send(send(bot.subscribe_frame()))
        .await
        .map_err(|e| Failure::Retry(e.into(), None))?;
    loop {
        tokio::select! {
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(frame))) => {
                        let code = frame.map(|f| u16::from(f.code));
                        tracing::warn!(?code, "server closed the connection");
                        return Ok(());
                    }
                    // tungstenite answers pings by itself.
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(Failure::Retry(e.into(), None)),
                    None => return Ok(()),
                };
                let Ok(frame) = serde_json::from_str::<Value>(&text) else {
                    tracing::warn!(%text, "ignoring a frame that is not JSON");
                    continue;
                };
                tracing::debug!(%frame, "received");
                for reply in bot.on_frame(&frame, &auth.user_id)? {
                    ws.send(send(reply)).await.map_err(|e| Failure::Retry(e.into(), None))?;
                }
            }
            _ = sleep_until(auth.refresh_at) => {
                // The open socket stays valid; the fresh token is for the next handshake.
                match auth.refresh().await {
                    Ok(()) => {}
                    Err(Failure::Retry(e, wait)) => {
                        tracing::warn!(error = %e, "token refresh failed; retrying soon");
                        auth.refresh_at = Instant::now() + wait.unwrap_or(Duration::from_secs(5));
                    }
                    Err(fatal) => return Err(fatal),
                }
            }
        }
    }
}

/// 1 s, 2 s, 4 s, … up to `MAX_BACKOFF`.
struct Backoff(Duration);

impl Backoff {
    fn reset(&mut self) {
        self.0 = Duration::from_secs(1);
    }

    async fn wait(&mut self, at_least: Option<Duration>) {
        let wait = self.0.max(at_least.unwrap_or_default());
        tracing::info!("reconnecting in {wait:?}");
        sleep(wait).await;
        self.0 = (self.0 * 2).min(MAX_BACKOFF);
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "echo_bot=info".into()),
        )
        .init();
    let args = Args::parse();
    let mut backoff = Backoff(Duration::from_secs(1));

    let mut auth = loop {
        match Auth::sign_in(&args).await {
            Ok(auth) => break auth,
            Err(Failure::Fatal(e)) => return Err(e).context("signing in"),
            Err(Failure::Retry(e, wait)) => {
                tracing::warn!(error = %e, server = %args.server, "cannot sign in");
                backoff.wait(wait).await;
            }
        }
    };
    tracing::info!(user_id = %auth.user_id, username = %auth.username, "signed in");
    backoff.reset();

    let mut bot = Bot {
        room: args.room.clone(),
        last_seq: None,
        subscribed: false,
    };
    loop {
        if Instant::now() >= auth.refresh_at {
            match auth.refresh().await {
                Ok(()) => {}
                Err(Failure::Fatal(e)) => return Err(e).context("refreshing the token"),
                Err(Failure::Retry(e, wait)) => {
                    tracing::warn!(error = %e, "cannot refresh the token");
                    backoff.wait(wait).await;
                    continue;
                }
            }
        }
        bot.subscribed = false;
        let wait = match run_connection(&mut auth, &mut bot).await {
            Ok(()) => None,
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Retry(e, wait)) => {
                tracing::warn!(error = %e, "websocket failed");
                wait
            }
        };
        if bot.subscribed {
            // The connection worked for a while: start the backoff over.
            backoff.reset();
        }
        backoff.wait(wait).await;
    }
}
