//! The loadgen's client side: the two targets (Parlor's real protocol, or the
//! floor's path-based broadcast), opening connections, building and reading
//! frames, and the per-receiver correctness checker.
//!
//! This file has no `mod` items and reaches nothing outside itself, so the
//! smoke test in `tests/api/loadgen_smoke.rs` can include it with `#[path]`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Semaphore;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

pub type Ws = WebSocketStream<TcpStream>;

/// Bound on one HTTP call, one handshake, one `subscribed` reply.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections opened at once.
const CONNECT_CONCURRENCY: usize = 256;
const PASSWORD: &str = "loadgen-password-1";

/// Which server the loadgen drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// Parlor: users registered over HTTP, `/ws?token=`, `subscribe` frames.
    Parlor,
    /// `examples/floor.rs`: no auth, `/floor/{room}` subscribes on connect.
    Floor,
}

/// A registered Parlor user.
#[derive(Clone, Debug)]
pub struct User {
    pub token: String,
}

/// Options for one connection.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConnOpts {
    /// SO_RCVBUF before connecting (the stall scenario's staller keeps it small).
    pub recv_buffer: Option<u32>,
}

/// Everything needed to talk to one server: its address, and for Parlor a
/// few registered users whose tokens many connections share (a user may
/// hold any number of connections; every one subscribed to a room gets its
/// events).
pub struct Env {
    pub kind: TargetKind,
    /// `host:port`
    pub addr: SocketAddr,
    pub users: Vec<User>,
    /// Connections are spread over this many loopback source addresses
    /// (127.0.0.1, .2, …) so more than ~28k ports are available.
    pub source_addrs: u8,
    /// The server's pid, if known: its CPU time and memory are read from /proc.
    pub server_pid: Option<u32>,
    http: reqwest::Client,
}

impl Env {
    /// Connects to `server` (`http://host:port`); for Parlor, registers
    /// `users` fresh accounts (Argon2 makes this the slow part, so keep it small).
    pub async fn new(kind: TargetKind, server: &str, users: usize) -> anyhow::Result<Env> {
        let hostport = server
            .trim_start_matches("http://")
            .trim_start_matches("ws://")
            .trim_end_matches('/');
        let addr: SocketAddr = tokio::net::lookup_host(hostport)
            .await
            .with_context(|| format!("resolving {hostport}"))?
            .next()
            .ok_or_else(|| anyhow!("no address for {hostport}"))?;
        let http = reqwest::Client::builder()
            .timeout(SETUP_TIMEOUT)
            .build()
            .context("http client")?;
        let mut env = Env {
            kind,
            addr,
            users: Vec::new(),
            source_addrs: 1,
            server_pid: None,
            http,
        };
        if kind == TargetKind::Parlor {
            env.users = env.register(users.max(1)).await?;
        }
        Ok(env)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    async fn call(&self, path: &str, token: Option<&str>, body: Value) -> anyhow::Result<Value> {
        let mut req = self.http.post(self.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.with_context(|| format!("POST {path}"))?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("POST {path}: {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn register(&self, n: usize) -> anyhow::Result<Vec<User>> {
        // Unique per run so the same database can serve several runs.
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis()
            % 0xff_ffff;
        let prefix = format!("lg{:x}{:x}", std::process::id(), stamp);
        let calls = (0..n).map(|i| {
            let name = format!("{prefix}_{i}");
            async move {
                let body = json!({"username": name, "password": PASSWORD});
                let reply = self.call("/api/auth/register", None, body).await?;
                let token = reply["access_token"]
                    .as_str()
                    .ok_or_else(|| anyhow!("register {name}: no access_token in {reply}"))?
                    .to_string();
                Ok::<_, anyhow::Error>(User { token })
            }
        });
        futures_util::future::try_join_all(calls).await
    }

    /// A new room every user is a member of. For the floor a room is just a
    /// path; its name is a UUID so frames are the same size as Parlor's.
    pub async fn create_room(&self, persistent: bool) -> anyhow::Result<String> {
        if self.kind == TargetKind::Floor {
            return Ok(uuid::Uuid::new_v4().to_string());
        }
        let owner = &self.users[0];
        let body = json!({
            "name": format!("loadgen {}", uuid::Uuid::new_v4().simple()),
            "max_participants": 10_000,
            "persistent": persistent,
        });
        let room = self.call("/api/rooms", Some(&owner.token), body).await?;
        let id = room["id"]
            .as_str()
            .ok_or_else(|| anyhow!("create room: no id in {room}"))?
            .to_string();
        let path = format!("/api/rooms/{id}/join");
        let joins = self.users[1..]
            .iter()
            .map(|u| self.call(&path, Some(&u.token), json!({})));
        futures_util::future::try_join_all(joins).await?;
        Ok(id)
    }

    /// Opens connection number `idx` (which picks its user and source
    /// address) and subscribes it to `room`; returns once `subscribed` came.
    pub async fn connect(&self, idx: usize, room: &str, opts: ConnOpts) -> anyhow::Result<Ws> {
        let fut = async {
            let (path, subscribe) = match self.kind {
                TargetKind::Parlor => {
                    let user = &self.users[idx % self.users.len()];
                    let frame = json!({"type": "subscribe", "room": room}).to_string();
                    (format!("/ws?token={}", user.token), Some(frame))
                }
                TargetKind::Floor => (format!("/floor/{room}?user=loadgen_{idx:06}"), None),
            };
            let source = IpAddr::V4(Ipv4Addr::new(
                127,
                0,
                0,
                1 + (idx % usize::from(self.source_addrs.max(1))) as u8,
            ));
            let socket = TcpSocket::new_v4()?;
            if self.source_addrs > 1 {
                socket.bind(SocketAddr::new(source, 0))?;
            }
            if let Some(size) = opts.recv_buffer {
                socket.set_recv_buffer_size(size)?;
            }
            let tcp = socket
                .connect(self.addr)
                .await
                .with_context(|| format!("connect {}", self.addr))?;
            tcp.set_nodelay(true)?;
            let url = format!("ws://{}{}", self.addr, path);
            let (mut ws, _) =
                tokio_tungstenite::client_async_with_config(url, tcp, Some(ws_config()))
                    .await
                    .context("websocket handshake")?;
            if let Some(frame) = subscribe {
                ws.send(Message::Text(frame.into())).await?;
            }
            // Both targets answer with `subscribed` once the connection is in the room.
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(t))) => {
                        if t.starts_with(r#"{"type":"subscribed""#) {
                            return Ok(ws);
                        }
                        if t.starts_with(r#"{"type":"error""#) {
                            bail!("subscribe refused: {}", t.as_str());
                        }
                    }
                    Some(Ok(Message::Close(f))) => bail!("closed while subscribing: {f:?}"),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.into()),
                    None => bail!("connection ended while subscribing"),
                }
            }
        };
        tokio::time::timeout(SETUP_TIMEOUT, fut)
            .await
            .map_err(|_| anyhow!("connection {idx}: no `subscribed` in time"))?
    }

    /// Opens `n` connections, connection `i` in room `room_of(i)`, a bounded
    /// number at a time. Returns them in index order.
    pub async fn connect_many(
        self: &Arc<Self>,
        n: usize,
        room_of: impl Fn(usize) -> String,
    ) -> anyhow::Result<Vec<Ws>> {
        self.connect_many_from(0, n, room_of).await
    }

    /// Like `connect_many`, for connection numbers `first..first + n`.
    pub async fn connect_many_from(
        self: &Arc<Self>,
        first: usize,
        n: usize,
        room_of: impl Fn(usize) -> String,
    ) -> anyhow::Result<Vec<Ws>> {
        let gate = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
        let mut tasks = Vec::with_capacity(n);
        for i in first..first + n {
            let (env, gate, room) = (self.clone(), gate.clone(), room_of(i));
            tasks.push(tokio::spawn(async move {
                let _permit = gate.acquire_owned().await?;
                env.connect(i, &room, ConnOpts::default()).await
            }));
        }
        let mut out = Vec::with_capacity(n);
        for (i, t) in tasks.into_iter().enumerate() {
            out.push(
                t.await
                    .map_err(|e| anyhow!("connect task {}: {e}", first + i))?
                    .with_context(|| format!("connection {}", first + i))?,
            );
        }
        Ok(out)
    }

    /// A client `message` frame. `reference` (a number) is echoed in the ack.
    pub fn message_frame(&self, room: &str, text: &str, reference: Option<u64>) -> String {
        match reference {
            Some(r) => {
                format!(r#"{{"type":"message","room":"{room}","text":"{text}","ref":"{r}"}}"#)
            }
            None => format!(r#"{{"type":"message","room":"{room}","text":"{text}"}}"#),
        }
    }
}

/// Small buffers: the loadgen holds up to ~18k connections.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(0)
}

/// Microseconds since the Unix epoch: comparable across processes.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros() as u64
}

/// The text a loadgen message carries: `lg:SENDER:SEQ:SENT_US:` padded with
/// `x` to `len` bytes (64 by default, as in ARCHITECTURE.md's frame-size note).
pub fn message_text(sender: usize, seq: u64, sent_us: u64, len: usize) -> String {
    let mut t = format!("lg:{sender}:{seq}:{sent_us}:");
    while t.len() < len {
        t.push('x');
    }
    t
}

/// What a received text frame is, read without a full JSON parse (the
/// loadgen must not be the bottleneck).
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A `message` event carrying a loadgen text.
    Msg {
        sender: usize,
        seq: u64,
        sent_us: u64,
    },
    /// An `ack` with a numeric `ref` (or none).
    Ack {
        reference: Option<u64>,
    },
    Error,
    Other,
}

pub fn classify(text: &str) -> Frame {
    if text.starts_with(r#"{"type":"message""#) {
        const KEY: &str = r#""text":"lg:"#;
        let Some(at) = text.find(KEY) else {
            return Frame::Other;
        };
        let mut parts = text[at + KEY.len()..].splitn(4, ':');
        let mut next = || parts.next().and_then(|p| p.parse::<u64>().ok());
        match (next(), next(), next()) {
            (Some(sender), Some(seq), Some(sent_us)) => Frame::Msg {
                sender: sender as usize,
                seq,
                sent_us,
            },
            _ => Frame::Other,
        }
    } else if text.starts_with(r#"{"type":"ack""#) {
        const KEY: &str = r#""ref":""#;
        let reference = text.find(KEY).and_then(|at| {
            let rest = &text[at + KEY.len()..];
            rest[..rest.find('"')?].parse().ok()
        });
        Frame::Ack { reference }
    } else if text.starts_with(r#"{"type":"error""#) {
        Frame::Error
    } else {
        Frame::Other
    }
}

/// Per-receiver check: from each sender, sequence numbers must arrive
/// exactly once and in order (1, 2, 3, …).
#[derive(Debug, Clone, Default)]
pub struct Checker {
    last: Vec<u64>,
    /// In-order, first-time deliveries.
    pub received: u64,
    /// Sequence numbers at or below one already seen (duplicates or reordering).
    pub dup_or_reordered: u64,
    /// Sequence numbers skipped over (later found lost or late).
    pub gaps: u64,
}

impl Checker {
    pub fn new(senders: usize) -> Self {
        Checker {
            last: vec![0; senders],
            ..Default::default()
        }
    }

    /// Returns whether the delivery was new and in order.
    pub fn observe(&mut self, sender: usize, seq: u64) -> bool {
        if sender >= self.last.len() {
            self.last.resize(sender + 1, 0);
        }
        let last = &mut self.last[sender];
        if seq == *last + 1 {
            *last = seq;
            self.received += 1;
            true
        } else if seq <= *last {
            self.dup_or_reordered += 1;
            false
        } else {
            self.gaps += seq - *last - 1;
            *last = seq;
            self.received += 1;
            true
        }
    }

    /// Highest sequence number seen from `sender`.
    pub fn last(&self, sender: usize) -> u64 {
        self.last.get(sender).copied().unwrap_or(0)
    }
}

/// Shared counters of one run.
#[derive(Default)]
pub struct Counters {
    pub deliveries: AtomicU64,
    pub errors: AtomicU64,
    pub acks: AtomicU64,
}

impl Counters {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

/// Resident memory of `pid` in bytes (`VmRSS` of /proc/PID/status).
pub fn rss_bytes(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or_else(|| anyhow!("no VmRSS for pid {pid}"))?;
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow!("bad VmRSS line: {line}"))?;
    Ok(kb * 1024)
}

/// CPU time (user + system) `pid` has used, in seconds (USER_HZ is 100 on Linux).
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_frames() {
        let t = message_text(3, 7, 123, 64);
        assert_eq!(t.len(), 64);
        let frame = format!(r#"{{"type":"message","room":"r","message":{{"text":"{t}"}}}}"#);
        assert_eq!(
            classify(&frame),
            Frame::Msg {
                sender: 3,
                seq: 7,
                sent_us: 123
            }
        );
        assert_eq!(
            classify(r#"{"type":"ack","ref":"42","id":"x","seq":1}"#),
            Frame::Ack {
                reference: Some(42)
            }
        );
        assert_eq!(classify(r#"{"type":"error","code":"x"}"#), Frame::Error);
    }

    #[test]
    fn checker_counts_gaps_and_duplicates() {
        let mut c = Checker::new(2);
        assert!(c.observe(0, 1));
        assert!(c.observe(0, 3));
        assert!(!c.observe(0, 3));
        assert!(c.observe(1, 1));
        assert_eq!((c.received, c.gaps, c.dup_or_reordered), (3, 1, 1));
    }
}
