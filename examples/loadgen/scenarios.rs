//! The scenarios. Each returns a `Report`: one JSON object (printed as the
//! `RESULT` line), a readable summary, and whether the correctness checks
//! passed (every delivery exactly once and in order, no errors).
//!
//! Reaches only `super::client`, so the smoke test can include this file
//! with `#[path]` next to `client.rs`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::time::{Instant, sleep, sleep_until};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::client::{
    Checker, ConnOpts, Counters, Env, Frame, TargetKind, Ws, classify, cpu_secs, message_text,
    now_us, rss_bytes,
};

/// How long the end of a run waits for messages still in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(15);

pub struct Report {
    pub ok: bool,
    pub json: Value,
    pub summary: String,
}

fn target_name(env: &Env) -> &'static str {
    match env.kind {
        TargetKind::Parlor => "parlor",
        TargetKind::Floor => "floor",
    }
}

fn new_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("invariant: valid histogram bounds")
}

/// Percentiles in milliseconds.
fn latency_json(h: &Histogram<u64>) -> Value {
    let ms = |us: u64| (us as f64 / 1000.0 * 1000.0).round() / 1000.0;
    json!({
        "samples": h.len(),
        "p50": ms(h.value_at_quantile(0.50)),
        "p90": ms(h.value_at_quantile(0.90)),
        "p99": ms(h.value_at_quantile(0.99)),
        "p999": ms(h.value_at_quantile(0.999)),
        "max": ms(h.max()),
    })
}

fn latency_line(v: &Value) -> String {
    format!(
        "p50 {} ms, p90 {} ms, p99 {} ms, p99.9 {} ms, max {} ms ({} samples)",
        v["p50"], v["p90"], v["p99"], v["p999"], v["max"], v["samples"]
    )
}

// ---------------------------------------------------------------- fanout --

/// One fan-out run: `clients` connections spread round-robin over `rooms`
/// rooms; the first `senders` of them also send (sender `i` posts to room
/// `i % rooms`). `rate` is the aggregate messages/s (None: as fast as each
/// sender's window of in-flight messages allows).
#[derive(Clone, Debug)]
pub struct FanoutCfg {
    pub clients: usize,
    pub rooms: usize,
    pub senders: usize,
    pub rate: Option<f64>,
    /// Messages a sender may have in flight (until its own copy, or in
    /// durable mode its ack, comes back). Also applies with a fixed rate.
    pub window: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub text_bytes: usize,
    /// Durable mode: persistent rooms, frames carry a `ref`, the window is
    /// released by the ack and ack latency is measured.
    pub persistent: bool,
    /// Add one connection to room 0 that never reads (the stall scenario).
    pub staller: bool,
}

impl Default for FanoutCfg {
    fn default() -> Self {
        FanoutCfg {
            clients: 100,
            rooms: 1,
            senders: 10,
            rate: None,
            window: 16,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(10),
            text_bytes: 64,
            persistent: false,
            staller: false,
        }
    }
}

/// Numbers from one fan-out run.
pub struct FanoutOutcome {
    pub json: Value,
    pub ok: bool,
    pub latency: Value,
    pub staller_close: Option<u16>,
}

struct Shared {
    counters: Counters,
    recording: AtomicBool,
    latency: Mutex<Histogram<u64>>,
    ack_latency: Mutex<Histogram<u64>>,
    /// Per sender: highest sequence number sent.
    sent: Vec<AtomicU64>,
    /// Per sender: permits for messages in flight.
    windows: Vec<Arc<Semaphore>>,
    /// Per sender (durable mode): send time by ref.
    pending: Vec<Mutex<HashMap<u64, u64>>>,
    /// Largest delay of a fixed-rate sender behind its schedule, µs.
    max_lag_us: AtomicU64,
    errors_shown: AtomicU64,
    closes: Mutex<Vec<String>>,
}

struct RecvResult {
    checker: Checker,
}

pub async fn run_fanout(env: &Arc<Env>, cfg: &FanoutCfg) -> anyhow::Result<FanoutOutcome> {
    anyhow::ensure!(cfg.clients >= 1 && cfg.rooms >= 1, "need clients and rooms");
    anyhow::ensure!(
        cfg.senders <= cfg.clients,
        "senders must be at most clients"
    );
    let mut rooms = Vec::with_capacity(cfg.rooms);
    for _ in 0..cfg.rooms {
        rooms.push(env.create_room(cfg.persistent).await?);
    }
    let staller = if cfg.staller {
        let opts = ConnOpts {
            recv_buffer: Some(4096),
        };
        Some(env.connect(cfg.clients, &rooms[0], opts).await?)
    } else {
        None
    };
    let setup = Instant::now();
    let conns = env
        .connect_many(cfg.clients, |i| rooms[i % rooms.len()].clone())
        .await?;
    let connect_secs = setup.elapsed().as_secs_f64();

    let shared = Arc::new(Shared {
        counters: Counters::default(),
        recording: AtomicBool::new(false),
        latency: Mutex::new(new_hist()),
        ack_latency: Mutex::new(new_hist()),
        sent: (0..cfg.senders).map(|_| AtomicU64::new(0)).collect(),
        windows: (0..cfg.senders)
            .map(|_| Arc::new(Semaphore::new(cfg.window.max(1))))
            .collect(),
        pending: (0..cfg.senders)
            .map(|_| Mutex::new(HashMap::new()))
            .collect(),
        max_lag_us: AtomicU64::new(0),
        errors_shown: AtomicU64::new(0),
        closes: Mutex::new(Vec::new()),
    });
    let stop = CancellationToken::new();
    let start = Instant::now();
    let measure_from = start + cfg.warmup;
    let stop_at = measure_from + cfg.duration;

    let mut receivers = Vec::with_capacity(cfg.clients);
    let mut senders = Vec::new();
    let mut idle_sinks = Vec::new();
    for (i, ws) in conns.into_iter().enumerate() {
        let (sink, stream) = ws.split();
        let own = (i < cfg.senders).then_some(i);
        receivers.push(tokio::spawn(receive(
            stream,
            own,
            cfg.senders,
            cfg.persistent,
            shared.clone(),
            stop.clone(),
        )));
        if let Some(idx) = own {
            let room = rooms[idx % rooms.len()].clone();
            let sender = Sender {
                env: env.clone(),
                shared: shared.clone(),
                idx,
                room,
                period: cfg
                    .rate
                    .map(|r| Duration::from_secs_f64(cfg.senders as f64 / r)),
                text_bytes: cfg.text_bytes,
                persistent: cfg.persistent,
                start,
                stop_at,
            };
            senders.push(tokio::spawn(sender.run(sink, cfg.senders)));
        } else {
            idle_sinks.push(sink);
        }
    }

    // Measurement window: counters at its start and end.
    sleep_until(measure_from).await;
    shared.recording.store(true, Ordering::Relaxed);
    let d0 = Counters::get(&shared.counters.deliveries);
    let a0 = Counters::get(&shared.counters.acks);
    let cpu0 = env.server_pid.and_then(cpu_secs);
    let me = std::process::id();
    let self0 = cpu_secs(me);
    sleep_until(stop_at).await;
    let self1 = cpu_secs(me);
    let d1 = Counters::get(&shared.counters.deliveries);
    let a1 = Counters::get(&shared.counters.acks);
    let cpu1 = env.server_pid.and_then(cpu_secs);
    shared.recording.store(false, Ordering::Relaxed);
    let secs = cfg.duration.as_secs_f64();
    for s in senders {
        let _ = s.await;
    }

    // Every receiver should get every message sent to its room.
    let sent: Vec<u64> = shared
        .sent
        .iter()
        .map(|s| s.load(Ordering::Relaxed))
        .collect();
    let expected_for = |client: usize| -> u64 {
        (0..cfg.senders)
            .filter(|s| s % rooms.len() == client % rooms.len())
            .map(|s| sent[s])
            .sum()
    };
    let expected: u64 = (0..cfg.clients).map(expected_for).sum();
    let drain_start = Instant::now();
    while Counters::get(&shared.counters.deliveries) < expected
        && drain_start.elapsed() < DRAIN_TIMEOUT
    {
        sleep(Duration::from_millis(5)).await;
    }
    let drain_secs = drain_start.elapsed().as_secs_f64();
    stop.cancel();
    let mut delivered = 0u64;
    let mut dup_or_reordered = 0u64;
    let mut out_of_sync = 0u64;
    for (i, r) in receivers.into_iter().enumerate() {
        let res = r.await?;
        delivered += res.checker.received;
        dup_or_reordered += res.checker.dup_or_reordered;
        for (s, &n) in sent.iter().enumerate() {
            if s % rooms.len() == i % rooms.len() && res.checker.last(s) != n {
                out_of_sync += 1;
            }
        }
    }
    drop(idle_sinks);
    let lost = expected.saturating_sub(delivered);

    let staller_close = match staller {
        Some(ws) => read_staller(ws).await,
        None => None,
    };

    let errors = Counters::get(&shared.counters.errors);
    let latency = latency_json(&shared.latency.lock());
    let total_sent: u64 = sent.iter().sum();
    let deliveries_per_sec = (d1 - d0) as f64 / secs;
    let ok = lost == 0 && dup_or_reordered == 0 && out_of_sync == 0 && errors == 0;
    let mut json = json!({
        "target": target_name(env),
        "clients": cfg.clients,
        "rooms": cfg.rooms,
        "senders": cfg.senders,
        "rate": cfg.rate,
        "window": cfg.window,
        "text_bytes": cfg.text_bytes,
        "duration_secs": secs,
        "connect_secs": (connect_secs * 100.0).round() / 100.0,
        "sent": total_sent,
        "expected_deliveries": expected,
        "delivered": delivered,
        "lost": lost,
        "dup_or_reordered": dup_or_reordered,
        "errors": errors,
        "deliveries_per_sec": deliveries_per_sec.round(),
        "messages_per_sec": ((d1 - d0) as f64 / secs / (cfg.clients as f64 / cfg.rooms as f64)).round(),
        "latency_ms": latency,
        "sender_max_lag_ms": Counters::get(&shared.max_lag_us) as f64 / 1000.0,
        "drain_secs": (drain_secs * 1000.0).round() / 1000.0,
        "closes": *shared.closes.lock(),
        "ok": ok,
    });
    if let (Some(c0), Some(c1)) = (self0, self1) {
        json["client_cpu_share"] = json!(((c1 - c0) / secs * 1000.0).round() / 1000.0);
    }
    if let (Some(c0), Some(c1)) = (cpu0, cpu1) {
        let cpu = c1 - c0;
        json["server_cpu_secs"] = json!((cpu * 100.0).round() / 100.0);
        json["server_cpu_share"] = json!((cpu / secs * 1000.0).round() / 1000.0);
        if d1 > d0 {
            json["server_cpu_us_per_delivery"] =
                json!((cpu * 1e6 / (d1 - d0) as f64 * 1000.0).round() / 1000.0);
        }
    }
    if cfg.persistent {
        json["acks_per_sec"] = json!(((a1 - a0) as f64 / secs).round());
        json["ack_latency_ms"] = latency_json(&shared.ack_latency.lock());
    }
    if cfg.staller {
        json["staller_close_code"] = json!(staller_close);
        json["staller_cut_off"] = json!(staller_close == Some(4000));
    }
    Ok(FanoutOutcome {
        json,
        ok,
        latency,
        staller_close,
    })
}

struct Sender {
    env: Arc<Env>,
    shared: Arc<Shared>,
    idx: usize,
    room: String,
    period: Option<Duration>,
    text_bytes: usize,
    persistent: bool,
    start: Instant,
    stop_at: Instant,
}

impl Sender {
    async fn run(self, mut sink: SplitSink<Ws, Message>, senders: usize) {
        let window = self.shared.windows[self.idx].clone();
        // Fixed rate: senders are staggered over one period.
        let offset = self
            .period
            .map(|p| p.mul_f64(self.idx as f64 / senders as f64));
        let mut seq = 0u64;
        loop {
            if let (Some(p), Some(off)) = (self.period, offset) {
                let due = self.start + off + p.mul_f64(seq as f64);
                if due >= self.stop_at {
                    break;
                }
                sleep_until(due).await;
                let lag = Instant::now().saturating_duration_since(due);
                self.shared
                    .max_lag_us
                    .fetch_max(lag.as_micros() as u64, Ordering::Relaxed);
            }
            tokio::select! {
                permit = window.acquire() => match permit {
                    Ok(p) => p.forget(),
                    Err(_) => break,
                },
                _ = sleep_until(self.stop_at) => break,
            }
            if Instant::now() >= self.stop_at {
                break;
            }
            seq += 1;
            // The send time is taken just before the write: tokio's timer
            // has 1 ms granularity, which must not count as server latency.
            let sent_us = now_us();
            let text = message_text(self.idx, seq, sent_us, self.text_bytes);
            let reference = self.persistent.then_some(seq);
            if let Some(r) = reference {
                self.shared.pending[self.idx].lock().insert(r, sent_us);
            }
            let frame = self.env.message_frame(&self.room, &text, reference);
            if let Err(e) = sink.send(Message::Text(frame.into())).await {
                self.shared.counters.errors.fetch_add(1, Ordering::Relaxed);
                eprintln!("sender {}: send failed: {e}", self.idx);
                break;
            }
            self.shared.sent[self.idx].store(seq, Ordering::Relaxed);
        }
        // Keep the sink: dropping it is harmless, but the receiver goes on.
        drop(sink);
    }
}

async fn receive(
    mut stream: SplitStream<Ws>,
    own: Option<usize>,
    senders: usize,
    durable: bool,
    shared: Arc<Shared>,
    stop: CancellationToken,
) -> RecvResult {
    let mut checker = Checker::new(senders);
    loop {
        let item = tokio::select! {
            biased;
            item = stream.next() => item,
            _ = stop.cancelled() => break,
        };
        match item {
            Some(Ok(Message::Text(t))) => match classify(&t) {
                Frame::Msg {
                    sender,
                    seq,
                    sent_us,
                } => {
                    if checker.observe(sender, seq) {
                        shared.counters.deliveries.fetch_add(1, Ordering::Relaxed);
                        if shared.recording.load(Ordering::Relaxed) {
                            let us = now_us().saturating_sub(sent_us).max(1);
                            let _ = shared.latency.lock().record(us);
                        }
                    }
                    if !durable && own == Some(sender) {
                        shared.windows[sender].add_permits(1);
                    }
                }
                Frame::Ack { reference } => {
                    shared.counters.acks.fetch_add(1, Ordering::Relaxed);
                    if let (true, Some(me), Some(r)) = (durable, own, reference) {
                        if let Some(sent_us) = shared.pending[me].lock().remove(&r)
                            && shared.recording.load(Ordering::Relaxed)
                        {
                            let us = now_us().saturating_sub(sent_us).max(1);
                            let _ = shared.ack_latency.lock().record(us);
                        }
                        shared.windows[me].add_permits(1);
                    }
                }
                Frame::Error => {
                    shared.counters.errors.fetch_add(1, Ordering::Relaxed);
                    if shared.errors_shown.fetch_add(1, Ordering::Relaxed) < 5 {
                        eprintln!("error frame: {}", t.as_str());
                    }
                }
                Frame::Other => {}
            },
            Some(Ok(Message::Close(f))) => {
                shared.counters.errors.fetch_add(1, Ordering::Relaxed);
                shared.closes.lock().push(format!("{f:?}"));
                break;
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                shared.counters.errors.fetch_add(1, Ordering::Relaxed);
                shared.closes.lock().push(e.to_string());
                break;
            }
            None => {
                shared.counters.errors.fetch_add(1, Ordering::Relaxed);
                shared.closes.lock().push("connection ended".into());
                break;
            }
        }
    }
    RecvResult { checker }
}

/// Reads what the stalled connection was sent until the close frame (or
/// 30 s); returns the close code.
async fn read_staller(mut ws: Ws) -> Option<u16> {
    let read = async {
        while let Some(item) = ws.next().await {
            match item {
                Ok(Message::Close(f)) => return f.map(|f| u16::from(f.code)),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .ok()
        .flatten()
}

fn fanout_summary(name: &str, o: &FanoutOutcome) -> String {
    let j = &o.json;
    format!(
        "{name} [{}]: {} clients in {} room(s), {} sender(s), rate {}: {} deliveries/s \
         (server CPU {} us/delivery, {} of a core; client {} of a core); latency {}; \
         sent {}, delivered {}/{}, lost {}, dup/reordered {}, errors {} -> {}",
        j["target"].as_str().unwrap_or("?"),
        j["clients"],
        j["rooms"],
        j["senders"],
        j["rate"]
            .as_f64()
            .map_or("max".to_string(), |r| format!("{r} msg/s")),
        j["deliveries_per_sec"],
        j["server_cpu_us_per_delivery"],
        j["server_cpu_share"],
        j["client_cpu_share"],
        latency_line(&o.latency),
        j["sent"],
        j["delivered"],
        j["expected_deliveries"],
        j["lost"],
        j["dup_or_reordered"],
        j["errors"],
        if o.ok { "OK" } else { "FAILED" },
    )
}

pub async fn fanout(env: &Arc<Env>, cfg: &FanoutCfg, name: &str) -> anyhow::Result<Report> {
    let o = run_fanout(env, cfg).await?;
    let mut json = o.json.clone();
    json["scenario"] = json!(name);
    Ok(Report {
        ok: o.ok,
        summary: fanout_summary(name, &o),
        json,
    })
}

/// Durable posting: every client is a sender in one persistent room; acks
/// come after the group commit.
pub async fn durable(env: &Arc<Env>, cfg: &FanoutCfg) -> anyhow::Result<Report> {
    anyhow::ensure!(
        env.kind == TargetKind::Parlor,
        "durable needs Parlor (the floor stores nothing)"
    );
    let cfg = FanoutCfg {
        persistent: true,
        clients: cfg.senders,
        ..cfg.clone()
    };
    let o = run_fanout(env, &cfg).await?;
    let mut json = o.json.clone();
    json["scenario"] = json!("durable");
    let summary = format!(
        "durable [{}]: {} senders, window {}: {} acked messages/s; ack latency {}; {}",
        target_name(env),
        cfg.senders,
        cfg.window,
        json["acks_per_sec"],
        latency_line(&json["ack_latency_ms"]),
        fanout_summary("delivery", &o),
    );
    Ok(Report {
        ok: o.ok,
        summary,
        json,
    })
}

/// The same fixed-rate load twice: without, then with, one member that
/// stops reading. The others' p99 should not move; the staller should be
/// cut off (close 4000).
pub async fn stall(env: &Arc<Env>, cfg: &FanoutCfg) -> anyhow::Result<Report> {
    let base = run_fanout(
        env,
        &FanoutCfg {
            staller: false,
            ..cfg.clone()
        },
    )
    .await?;
    let stalled = run_fanout(
        env,
        &FanoutCfg {
            staller: true,
            ..cfg.clone()
        },
    )
    .await?;
    let p99 = |o: &FanoutOutcome| o.latency["p99"].as_f64().unwrap_or(f64::NAN);
    let ratio = p99(&stalled) / p99(&base);
    let ok = base.ok && stalled.ok;
    let json = json!({
        "scenario": "stall",
        "target": target_name(env),
        "p99_ms_without_staller": p99(&base),
        "p99_ms_with_staller": p99(&stalled),
        "p99_ratio": (ratio * 1000.0).round() / 1000.0,
        "staller_close_code": stalled.staller_close,
        "staller_cut_off": stalled.staller_close == Some(4000),
        "without": base.json,
        "with": stalled.json,
        "ok": ok,
    });
    let summary = format!(
        "stall [{}]: others' p99 {} ms without a staller, {} ms with one (x{:.2}); staller {}\n  {}\n  {}",
        target_name(env),
        p99(&base),
        p99(&stalled),
        ratio,
        match stalled.staller_close {
            Some(4000) => "cut off with 4000".to_string(),
            Some(c) => format!("closed with {c}"),
            None => "NOT cut off".to_string(),
        },
        fanout_summary("without", &base),
        fanout_summary("with", &stalled),
    );
    Ok(Report { ok, json, summary })
}

// ---------------------------------------------------------------- bigroom --

#[derive(Clone, Debug)]
pub struct BigroomCfg {
    pub members: usize,
    pub messages: usize,
    pub text_bytes: usize,
    pub pause: Duration,
}

/// One message at a time to a room of `members` connections: time from the
/// send until the last member has it.
pub async fn bigroom(env: &Arc<Env>, cfg: &BigroomCfg) -> anyhow::Result<Report> {
    anyhow::ensure!(
        cfg.members >= 1 && cfg.messages >= 1,
        "need members and messages"
    );
    let room = env.create_room(false).await?;
    let setup = Instant::now();
    let conns = env.connect_many(cfg.members, |_| room.clone()).await?;
    let connect_secs = setup.elapsed().as_secs_f64();
    let counts: Arc<Vec<AtomicU64>> =
        Arc::new((0..cfg.messages).map(|_| AtomicU64::new(0)).collect());
    let last_at: Arc<Vec<AtomicU64>> =
        Arc::new((0..cfg.messages).map(|_| AtomicU64::new(0)).collect());
    let errors = Arc::new(AtomicU64::new(0));
    let stop = CancellationToken::new();
    let mut sink = None;
    let mut tasks = Vec::with_capacity(cfg.members);
    for ws in conns {
        let (tx, mut rx) = ws.split();
        if sink.is_none() {
            sink = Some(tx);
        }
        let (counts, last_at, errors, stop) = (
            counts.clone(),
            last_at.clone(),
            errors.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut checker = Checker::new(1);
            loop {
                let item = tokio::select! {
                    biased;
                    item = rx.next() => item,
                    _ = stop.cancelled() => break,
                };
                match item {
                    Some(Ok(Message::Text(t))) => match classify(&t) {
                        Frame::Msg { seq, .. } => {
                            let at = now_us();
                            if checker.observe(0, seq)
                                && let Some(i) = (seq as usize).checked_sub(1)
                                && i < counts.len()
                            {
                                last_at[i].fetch_max(at, Ordering::Relaxed);
                                counts[i].fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Frame::Error => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {}
                    },
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    Some(Ok(_)) => {}
                }
            }
            checker
        }));
    }
    let mut sink = sink.expect("invariant: at least one member");
    let mut times_ms = Vec::with_capacity(cfg.messages);
    let mut incomplete = 0u64;
    for k in 1..=cfg.messages as u64 {
        let sent_us = now_us();
        let text = message_text(0, k, sent_us, cfg.text_bytes);
        sink.send(Message::Text(env.message_frame(&room, &text, None).into()))
            .await?;
        let i = (k - 1) as usize;
        let deadline = Instant::now() + DRAIN_TIMEOUT;
        while counts[i].load(Ordering::Relaxed) < cfg.members as u64 && Instant::now() < deadline {
            sleep(Duration::from_millis(1)).await;
        }
        if counts[i].load(Ordering::Relaxed) < cfg.members as u64 {
            incomplete += 1;
        }
        let last = last_at[i].load(Ordering::Relaxed);
        times_ms.push(last.saturating_sub(sent_us) as f64 / 1000.0);
        sleep(cfg.pause).await;
    }
    stop.cancel();
    let mut dup_or_reordered = 0;
    let mut lost = 0;
    for t in tasks {
        let c = t.await?;
        dup_or_reordered += c.dup_or_reordered;
        lost += cfg.messages as u64 - c.received;
    }
    let errors = errors.load(Ordering::Relaxed);
    let ok = incomplete == 0 && lost == 0 && dup_or_reordered == 0 && errors == 0;
    let mut sorted = times_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let max = sorted[sorted.len() - 1];
    let json = json!({
        "scenario": "bigroom",
        "target": target_name(env),
        "members": cfg.members,
        "messages": cfg.messages,
        "connect_secs": (connect_secs * 100.0).round() / 100.0,
        "time_to_last_ms": times_ms,
        "median_ms": median,
        "max_ms": max,
        "lost": lost,
        "dup_or_reordered": dup_or_reordered,
        "errors": errors,
        "ok": ok,
    });
    let summary = format!(
        "bigroom [{}]: {} members (connected in {:.1} s); one message reaches the last member in \
         median {:.1} ms, max {:.1} ms over {} messages; lost {}, dup/reordered {}, errors {} -> {}",
        target_name(env),
        cfg.members,
        connect_secs,
        median,
        max,
        cfg.messages,
        lost,
        dup_or_reordered,
        errors,
        if ok { "OK" } else { "FAILED" }
    );
    Ok(Report { ok, json, summary })
}

// ------------------------------------------------------------------- idle --

#[derive(Clone, Debug)]
pub struct IdleCfg {
    pub connections: usize,
    pub rooms: usize,
    pub settle: Duration,
}

/// `connections` idle connections, each subscribed to one of `rooms` rooms;
/// the server's resident memory before and after.
pub async fn idle(env: &Arc<Env>, cfg: &IdleCfg) -> anyhow::Result<Report> {
    let mut rooms = Vec::with_capacity(cfg.rooms.max(1));
    for _ in 0..cfg.rooms.max(1) {
        rooms.push(env.create_room(false).await?);
    }
    // Registering users runs Argon2 (19 MiB per hash) on the server; wait
    // for the allocator to hand that back before taking the baseline.
    let before = match env.server_pid {
        Some(pid) => Some(settled_rss(pid).await?),
        None => None,
    };
    let setup = Instant::now();
    // A tenth first: the marginal cost of the rest excludes one-off growth
    // (thread pools, maps, allocator caches).
    let warm_n = (cfg.connections / 10).max(1).min(cfg.connections);
    let mut conns = env
        .connect_many(warm_n, |i| rooms[i % rooms.len()].clone())
        .await?;
    sleep(cfg.settle).await;
    let warm = env.server_pid.map(rss_bytes).transpose()?;
    let rest_n = cfg.connections - warm_n;
    let rest = env
        .connect_many_from(warm_n, rest_n, |i| rooms[i % rooms.len()].clone())
        .await?;
    conns.extend(rest);
    let connect_secs = setup.elapsed().as_secs_f64();
    let dropped = Arc::new(AtomicU64::new(0));
    let stop = CancellationToken::new();
    let mut tasks = Vec::with_capacity(conns.len());
    for mut ws in conns {
        let (dropped, stop) = (dropped.clone(), stop.clone());
        // Reading answers the server's pings.
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    item = ws.next() => match item {
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                            dropped.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                        Some(Ok(_)) => {}
                    },
                    _ = stop.cancelled() => return,
                }
            }
        }));
    }
    sleep(cfg.settle).await;
    let after = env.server_pid.map(rss_bytes).transpose()?;
    let dropped_n = dropped.load(Ordering::Relaxed);
    stop.cancel();
    for t in tasks {
        let _ = t.await;
    }
    let per_conn = match (before, after) {
        (Some(b), Some(a)) => Some(a.saturating_sub(b) as f64 / cfg.connections as f64),
        _ => None,
    };
    let marginal = match (warm, after) {
        (Some(w), Some(a)) if rest_n > 0 => Some(a.saturating_sub(w) as f64 / rest_n as f64),
        _ => None,
    };
    let ok = dropped_n == 0;
    let json = json!({
        "scenario": "idle",
        "target": target_name(env),
        "connections": cfg.connections,
        "rooms": rooms.len(),
        "source_addrs": env.source_addrs,
        "connect_secs": (connect_secs * 100.0).round() / 100.0,
        "rss_before_bytes": before,
        "rss_after_bytes": after,
        "rss_after_first_tenth_bytes": warm,
        "bytes_per_connection": per_conn.map(f64::round),
        "marginal_bytes_per_connection": marginal.map(f64::round),
        "dropped": dropped_n,
        "ok": ok,
    });
    let summary = format!(
        "idle [{}]: {} connections over {} rooms held (opened in {:.1} s); server RSS {} -> {}: {} per connection ({} marginal, after the first tenth); dropped {} -> {}",
        target_name(env),
        cfg.connections,
        rooms.len(),
        connect_secs,
        before.map_or("?".into(), |b| format!("{:.1} MB", b as f64 / 1e6)),
        after.map_or("?".into(), |a| format!("{:.1} MB", a as f64 / 1e6)),
        per_conn.map_or("? (no --server-pid)".into(), |p| format!(
            "{:.1} KB",
            p / 1024.0
        )),
        marginal.map_or("?".into(), |p| format!("{:.1} KB", p / 1024.0)),
        dropped_n,
        if ok { "OK" } else { "FAILED" }
    );
    Ok(Report { ok, json, summary })
}

/// The server's RSS once it has stopped shrinking (at most ~10 s).
async fn settled_rss(pid: u32) -> anyhow::Result<u64> {
    let mut last = rss_bytes(pid)?;
    for _ in 0..20 {
        sleep(Duration::from_millis(500)).await;
        let now = rss_bytes(pid)?;
        if now.abs_diff(last) < 256 * 1024 {
            return Ok(now);
        }
        last = now;
    }
    Ok(last)
}
