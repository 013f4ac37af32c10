//! The floor: the smallest honest broadcast server, the baseline Parlor's
//! benchmarks are quoted against (see bench/run.sh and BENCHMARKS.md).
//!
//! tokio + tokio-tungstenite. A connection to `/floor/{room}?user=NAME`
//! joins that room at once (it is told `{"type":"subscribed","room":…}`).
//! Every `message` frame it sends (`{"type":"message","text":…,"ref"?:…}`,
//! the same client frame Parlor takes) is parsed, given the room's next
//! `seq`, a UUIDv7 id and a timestamp, serialised ONCE into the same JSON
//! shape as Parlor's `message` event (about the same bytes), and that one
//! buffer is queued to every connection in the room; the sender also gets an
//! `ack`, as in Parlor. `ping` gets `pong`. No auth, no storage, no history.
//!
//! Like Parlor, each connection has a bounded outbox (`--outbox`, Parlor's
//! `limits.session_outbox`); a connection that falls that far behind is cut
//! off with close code 4000 and nobody waits for it. The writer coalesces
//! whatever is queued into one flush.
//!
//! ```text
//! cargo run --release --example floor -- --bind 127.0.0.1:9090
//! cargo run --release --example loadgen -- --target floor --server http://127.0.0.1:9090 fanout
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(about = "Bare WebSocket broadcast server: the floor for Parlor's benchmarks")]
struct Args {
    #[arg(long, default_value = "127.0.0.1:9090")]
    bind: String,
    /// Frames queued per connection before it is cut off (4000).
    #[arg(long, default_value_t = 1024)]
    outbox: usize,
    /// Runtime worker threads; 0 = one per available core.
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

/// One subscriber: its outbox and the switch that cuts it off.
struct Sub {
    id: u64,
    tx: mpsc::Sender<Message>,
    cut: CancellationToken,
}

#[derive(Default)]
struct Room {
    seq: u64,
    subs: Vec<Sub>,
}

#[derive(Default)]
struct Rooms {
    by_name: Mutex<HashMap<String, Arc<Mutex<Room>>>>,
}

impl Rooms {
    fn get(&self, name: &str) -> Arc<Mutex<Room>> {
        self.by_name
            .lock()
            .entry(name.to_string())
            .or_default()
            .clone()
    }
}

/// A client frame (only what the floor understands).
#[derive(Deserialize)]
struct ClientFrame {
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "ref")]
    reference: Option<String>,
    text: Option<String>,
}

#[derive(Serialize)]
struct Author<'a> {
    id: Uuid,
    username: &'a str,
    display_name: &'a str,
}

/// The shape of Parlor's `message` object (SPEC §4).
#[derive(Serialize)]
struct MessageView<'a> {
    id: Uuid,
    room_id: &'a str,
    seq: u64,
    author: Author<'a>,
    text: &'a str,
    reply_to: Option<Uuid>,
    attachments: [u8; 0],
    reactions: BTreeMap<String, Vec<Uuid>>,
    created_at: String,
    edited_at: Option<String>,
    deleted: bool,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event<'a> {
    Subscribed {
        room: &'a str,
    },
    Message {
        room: &'a str,
        message: MessageView<'a>,
    },
    Ack {
        #[serde(rename = "ref")]
        reference: Option<&'a str>,
        id: Uuid,
        seq: u64,
    },
    Pong {},
    Error {
        code: &'a str,
        message: &'a str,
    },
}

impl Event<'_> {
    fn frame(&self) -> Message {
        let text = serde_json::to_string(self).expect("invariant: events serialise");
        Message::Text(Utf8Bytes::from(text))
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if args.threads > 0 {
        rt.worker_threads(args.threads);
    }
    rt.enable_all().build()?.block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let listener = TcpListener::bind(&args.bind).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let rooms = Arc::new(Rooms::default());
    let ids = Arc::new(AtomicU64::new(1));
    loop {
        let (tcp, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: back off, keep serving.
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let (rooms, id) = (rooms.clone(), ids.fetch_add(1, Ordering::Relaxed));
        tokio::spawn(async move {
            if let Err(e) = connection(tcp, id, rooms, args.outbox).await {
                eprintln!("connection {id}: {e}");
            }
        });
    }
}

async fn connection(
    tcp: TcpStream,
    id: u64,
    rooms: Arc<Rooms>,
    outbox: usize,
) -> anyhow::Result<()> {
    tcp.set_nodelay(true)?;
    let mut uri = String::new();
    // tungstenite's callback signature returns its (large) ErrorResponse.
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, res: Response| {
        uri = req.uri().to_string();
        Ok(res)
    };
    // A small read buffer, as any server holding many connections would use;
    // writes are buffered until the flush that ends each batch.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let ws = tokio_tungstenite::accept_hdr_async_with_config(tcp, callback, Some(config)).await?;
    let (path, query) = uri.split_once('?').unwrap_or((&uri, ""));
    let Some(room_name) = path.strip_prefix("/floor/").filter(|r| !r.is_empty()) else {
        anyhow::bail!("path {path} is not /floor/{{room}}");
    };
    let room_name = room_name.to_string();
    let user = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("user="))
        .unwrap_or("anonymous")
        .to_string();
    let user_id = Uuid::now_v7();

    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::channel::<Message>(outbox);
    let cut = CancellationToken::new();
    let room = rooms.get(&room_name);
    let _ = tx.try_send(Event::Subscribed { room: &room_name }.frame());
    room.lock().subs.push(Sub {
        id,
        tx: tx.clone(),
        cut: cut.clone(),
    });

    // Writer: drain the outbox, coalescing whatever is ready into one flush.
    let writer_cut = cut.clone();
    let writer = tokio::spawn(async move {
        let write = async {
            while let Some(m) = rx.recv().await {
                sink.feed(m).await?;
                while let Ok(m) = rx.try_recv() {
                    sink.feed(m).await?;
                }
                sink.flush().await?;
            }
            Ok::<_, tokio_tungstenite::tungstenite::Error>(())
        };
        tokio::select! {
            _ = write => {}
            _ = writer_cut.cancelled() => {
                let close = CloseFrame {
                    code: CloseCode::from(4000),
                    reason: "slow consumer: outbox overflowed".into(),
                };
                let _ = tokio::time::timeout(
                    Duration::from_secs(30),
                    sink.send(Message::Close(Some(close))),
                )
                .await;
            }
        }
    });

    // Reader: every message frame is broadcast to the room.
    while let Some(item) = tokio::select! {
        item = stream.next() => item,
        _ = cut.cancelled() => None,
    } {
        let text = match item? {
            Message::Text(t) => t,
            Message::Close(_) => break,
            _ => continue,
        };
        let ClientFrame {
            kind,
            reference,
            text,
        } = match serde_json::from_str(&text) {
            Ok(f) => f,
            Err(_) => {
                let err = Event::Error {
                    code: "bad_request",
                    message: "bad frame",
                };
                let _ = tx.try_send(err.frame());
                continue;
            }
        };
        match (kind.as_str(), text) {
            ("message", Some(text)) => {
                let mut r = room.lock();
                r.seq += 1;
                let seq = r.seq;
                let msg_id = Uuid::now_v7();
                let event = Event::Message {
                    room: &room_name,
                    message: MessageView {
                        id: msg_id,
                        room_id: &room_name,
                        seq,
                        author: Author {
                            id: user_id,
                            username: &user,
                            display_name: &user,
                        },
                        text: text.trim(),
                        reply_to: None,
                        attachments: [],
                        reactions: BTreeMap::new(),
                        created_at: chrono::Utc::now()
                            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                            .to_string(),
                        edited_at: None,
                        deleted: false,
                    },
                };
                // Serialised once; every subscriber gets the same bytes.
                let frame = event.frame();
                let ack = Event::Ack {
                    reference: reference.as_deref(),
                    id: msg_id,
                    seq,
                }
                .frame();
                let _ = tx.try_send(ack);
                r.subs.retain(|s| match s.tx.try_send(frame.clone()) {
                    Ok(()) => true,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        s.cut.cancel();
                        false
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                });
            }
            ("ping", _) => {
                let _ = tx.try_send(Event::Pong {}.frame());
            }
            _ => {
                let err = Event::Error {
                    code: "bad_request",
                    message: "unknown frame",
                };
                let _ = tx.try_send(err.frame());
            }
        }
    }
    room.lock().subs.retain(|s| s.id != id);
    drop(tx);
    if !cut.is_cancelled() {
        // The peer went away: the writer ends when its outbox closes.
        writer.abort();
    }
    let _ = writer.await;
    Ok(())
}
