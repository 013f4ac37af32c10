//! The loadgen's correctness checks, briefly, against a spawned server: every
//! message delivered exactly once and in order to every subscriber, no error
//! frames. No timing thresholds (those live in bench/run.sh and BENCHMARKS.md).
//!
//! The loadgen's own code is compiled in here (`#[path]`), so this test runs
//! the same client and checker the benchmark does.

use std::sync::Arc;
use std::time::Duration;

#[allow(dead_code)]
#[path = "../../examples/loadgen/client.rs"]
mod client;
#[allow(dead_code)]
#[path = "../../examples/loadgen/scenarios.rs"]
mod scenarios;

use crate::helpers::spawn_app_with;
use client::{Env, TargetKind};
use scenarios::{BigroomCfg, FanoutCfg};

async fn env_for(app: &crate::helpers::TestApp) -> Arc<Env> {
    let env = Env::new(TargetKind::Parlor, &app.url(""), 3)
        .await
        .expect("loadgen registers its users");
    Arc::new(env)
}

fn short(cfg: FanoutCfg) -> FanoutCfg {
    FanoutCfg {
        warmup: Duration::from_millis(200),
        duration: Duration::from_millis(800),
        ..cfg
    }
}

#[actix_web::test]
async fn loadgen_fanout_rooms_and_bigroom_deliver_everything_once_in_order() {
    let app = spawn_app_with(|s| {
        s.limits.messages_per_sec = 1_000_000.0;
        s.limits.messages_burst = 1_000_000;
    })
    .await;
    let env = env_for(&app).await;

    // One room, several senders at full speed.
    let fanout = short(FanoutCfg {
        clients: 12,
        senders: 4,
        window: 8,
        ..FanoutCfg::default()
    });
    let report = scenarios::fanout(&env, &fanout, "fanout").await.unwrap();
    assert!(report.ok, "fanout: {}", report.summary);
    assert!(
        report.json["delivered"].as_u64().unwrap() > 0,
        "{}",
        report.json
    );

    // Several rooms at a fixed rate: nobody gets another room's messages.
    let rooms = short(FanoutCfg {
        clients: 12,
        rooms: 3,
        senders: 6,
        rate: Some(300.0),
        window: 1 << 20,
        ..FanoutCfg::default()
    });
    let report = scenarios::fanout(&env, &rooms, "rooms").await.unwrap();
    assert!(report.ok, "rooms: {}", report.summary);

    // Durable posting: acks after the commit, deliveries in order.
    let durable = short(FanoutCfg {
        senders: 3,
        window: 2,
        ..FanoutCfg::default()
    });
    let report = scenarios::durable(&env, &durable).await.unwrap();
    assert!(report.ok, "durable: {}", report.summary);
    assert!(
        report.json["acks_per_sec"].as_f64().unwrap() > 0.0,
        "{}",
        report.json
    );

    // A small big room: every member gets each message.
    let big = BigroomCfg {
        members: 40,
        messages: 3,
        text_bytes: 64,
        pause: Duration::from_millis(10),
    };
    let report = scenarios::bigroom(&env, &big).await.unwrap();
    assert!(report.ok, "bigroom: {}", report.summary);

    app.shutdown().await;
}
