//! Load generator for Parlor (and for the bare broadcast floor in
//! `examples/floor.rs`), speaking the real protocol: users registered over
//! HTTP, `/ws?token=…`, `subscribe`, `message` frames, `message` events.
//!
//! Every scenario prints one `RESULT {json}` line and a readable summary, and
//! exits with status 1 if a correctness check failed (a delivery lost,
//! duplicated or out of order, an error frame, a dropped connection).
//!
//! ```text
//! cargo run --release --example loadgen -- --server http://127.0.0.1:8080 fanout --clients 100 --senders 10
//! cargo run --release --example loadgen -- --target floor --server http://127.0.0.1:9090 fanout
//! ```
//!
//! Parlor must run with its rate limits raised (`bench/run.sh` does this):
//! `PARLOR__LIMITS__MESSAGES_PER_SEC=1000000 PARLOR__LIMITS__MESSAGES_BURST=1000000`.
//! A handful of users (`--users`) hold all the connections: registering is
//! Argon2-slow on purpose, and a user may hold any number of connections.

mod client;
mod scenarios;

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use client::{Env, TargetKind};
use scenarios::{BigroomCfg, FanoutCfg, IdleCfg, Report};

#[derive(Parser, Debug)]
#[command(about = "Parlor load generator: fanout, rooms, idle, bigroom, stall, durable")]
struct Cli {
    /// Which server: Parlor, or the bare broadcast floor (examples/floor.rs).
    #[arg(long, value_enum, default_value = "parlor")]
    target: Target,
    /// Server address.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// Parlor users to register; connections are spread over them.
    #[arg(long, default_value_t = 8)]
    users: usize,
    /// Loopback source addresses to spread connections over (127.0.0.1..N),
    /// needed beyond ~28k connections (one port range per address).
    #[arg(long, default_value_t = 1)]
    source_addrs: u8,
    /// The server's pid: its CPU time per delivery and (idle) its RSS are
    /// read from /proc/PID.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Runtime threads of the load client (1: a current-thread runtime).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Target {
    Parlor,
    Floor,
}

#[derive(Subcommand, Debug)]
enum Scenario {
    /// N clients in one room, S senders, a fixed aggregate rate or max.
    Fanout(Load),
    /// N clients spread over M rooms.
    Rooms(Load),
    /// C idle connections; the server's RSS before and after.
    Idle {
        #[arg(long, default_value_t = 10_000)]
        connections: usize,
        #[arg(long, default_value_t = 10)]
        rooms: usize,
        /// Seconds to wait after the last connection before reading RSS.
        #[arg(long, default_value_t = 3.0)]
        settle: f64,
    },
    /// One message at a time to a room of many members: time to the last.
    Bigroom {
        #[arg(long, default_value_t = 10_000)]
        members: usize,
        #[arg(long, default_value_t = 10)]
        messages: usize,
        #[arg(long, default_value_t = 64)]
        text_bytes: usize,
        /// Milliseconds between messages.
        #[arg(long, default_value_t = 200)]
        pause_ms: u64,
    },
    /// A steady stream, without and then with one member that stops reading.
    Stall(Load),
    /// Persistent room: acked messages/s and ack latency (Parlor only).
    Durable(Load),
}

#[derive(Args, Debug, Clone)]
struct Load {
    /// Connections (durable: ignored, every sender is a connection).
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// Rooms the clients are spread over (the `rooms` scenario).
    #[arg(long, default_value_t = 1)]
    rooms: usize,
    #[arg(long, default_value_t = 10)]
    senders: usize,
    /// Aggregate messages/s over all senders; omit for as fast as possible.
    #[arg(long)]
    rate: Option<f64>,
    /// Messages in flight per sender (default 16 at max rate, unbounded at a fixed rate).
    #[arg(long)]
    window: Option<usize>,
    /// Seconds measured (after the warmup).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Length of each message's text in bytes.
    #[arg(long, default_value_t = 64)]
    text_bytes: usize,
}

impl Load {
    fn cfg(&self) -> FanoutCfg {
        FanoutCfg {
            clients: self.clients,
            rooms: self.rooms.max(1),
            senders: self.senders,
            rate: self.rate.filter(|r| *r > 0.0),
            window: self
                .window
                .unwrap_or(if self.rate.is_some() { 1 << 20 } else { 16 }),
            warmup: Duration::from_secs_f64(self.warmup),
            duration: Duration::from_secs_f64(self.duration),
            text_bytes: self.text_bytes.max(24),
            persistent: false,
            staller: false,
        }
    }
}

fn main() {
    let cli = Cli::parse();
    let mut rt = if cli.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(cli.threads);
        b
    };
    let rt = rt.enable_all().build().expect("tokio runtime");
    match rt.block_on(run(cli)) {
        Ok(report) => {
            println!("RESULT {}", report.json);
            println!("{}", report.summary);
            // Tear-down of thousands of sockets is not worth waiting for.
            std::process::exit(if report.ok { 0 } else { 1 });
        }
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            std::process::exit(2);
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<Report> {
    let kind = match cli.target {
        Target::Parlor => TargetKind::Parlor,
        Target::Floor => TargetKind::Floor,
    };
    let mut env = Env::new(kind, &cli.server, cli.users).await?;
    env.source_addrs = cli.source_addrs.max(1);
    env.server_pid = cli.server_pid;
    let env = Arc::new(env);
    match cli.scenario {
        Scenario::Fanout(load) => scenarios::fanout(&env, &load.cfg(), "fanout").await,
        Scenario::Rooms(load) => scenarios::fanout(&env, &load.cfg(), "rooms").await,
        Scenario::Stall(load) => scenarios::stall(&env, &load.cfg()).await,
        Scenario::Durable(load) => scenarios::durable(&env, &load.cfg()).await,
        Scenario::Idle {
            connections,
            rooms,
            settle,
        } => {
            let cfg = IdleCfg {
                connections,
                rooms,
                settle: Duration::from_secs_f64(settle),
            };
            scenarios::idle(&env, &cfg).await
        }
        Scenario::Bigroom {
            members,
            messages,
            text_bytes,
            pause_ms,
        } => {
            let cfg = BigroomCfg {
                members,
                messages,
                text_bytes: text_bytes.max(24),
                pause: Duration::from_millis(pause_ms),
            };
            scenarios::bigroom(&env, &cfg).await
        }
    }
}
