//! SPEC §6 limits on the WebSocket: the token bucket and the flood close
//! (1008), oversized frames (1009), invalid UTF-8 (1007), slow consumers
//! (4000, `parlor_slow_consumers_total`) and the heartbeat. Every timer and
//! limit is shrunk through `spawn_app_with`; every wait is bounded.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use crate::helpers::{TestApp, WAIT, spawn_app_with};
use crate::ws_client::{id_of, post_text};

/// The sum of every sample of `name` in `GET /metrics`.
async fn metric(app: &TestApp, name: &str) -> f64 {
    let res = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics request");
    assert_eq!(res.status().as_u16(), 200);
    let text = res.text().await.expect("metrics body");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

// ---- the token bucket ------------------------------------------------------------

#[actix_web::test]
async fn messages_beyond_the_burst_get_rate_limited_errors() {
    let app = spawn_app_with(|s| {
        s.limits.messages_burst = 5;
        s.limits.messages_per_sec = 1.0;
    })
    .await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut ws = app.ws(&alice).await;

    for i in 0..8 {
        ws.say(&room, &format!("m{i}"), &format!("r{i}")).await;
    }
    let mut acked = HashSet::new();
    let mut limited = HashSet::new();
    while acked.len() + limited.len() < 8 {
        let f = ws.expect_one_of(&["ack", "error"]).await;
        let reference = f["ref"].as_str().expect("ref echoed").to_string();
        if f["type"] == "ack" {
            acked.insert(reference);
        } else {
            assert_eq!(f["code"], "rate_limited", "{f}");
            limited.insert(reference);
        }
    }

    assert_eq!(acked.len(), 5, "acked: {acked:?}");
    assert_eq!(limited.len(), 3, "limited: {limited:?}");
    let expected: HashSet<String> = (5..8).map(|i| format!("r{i}")).collect();
    assert_eq!(
        limited, expected,
        "the bucket refuses the frames past the burst"
    );
    // A few refusals do not cost the connection.
    ws.send(json!({"type": "ping", "ref": "alive"})).await;
    assert_eq!(ws.expect("pong").await["ref"], "alive");
}

#[actix_web::test]
async fn the_bucket_refills_at_messages_per_sec() {
    let app = spawn_app_with(|s| {
        s.limits.messages_burst = 1;
        s.limits.messages_per_sec = 5.0;
    })
    .await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut ws = app.ws(&alice).await;
    ws.say(&room, "first", "r0").await;
    assert_eq!(ws.expect("ack").await["ref"], "r0");
    ws.say(&room, "too soon", "r1").await;
    ws.expect_error("rate_limited", Some("r1")).await;

    // A token comes back every 200 ms; retry (bounded) until one is granted.
    let started = Instant::now();
    let mut n = 2;
    loop {
        assert!(started.elapsed() < WAIT, "the bucket never refilled");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let reference = format!("r{n}");
        ws.say(&room, "again", &reference).await;
        let f = ws.expect_one_of(&["ack", "error"]).await;
        assert_eq!(f["ref"], reference.as_str());
        if f["type"] == "ack" {
            break;
        }
        assert_eq!(f["code"], "rate_limited");
        n += 1;
    }
}

#[actix_web::test]
async fn subscribe_unsubscribe_read_and_ping_do_not_count_against_the_bucket() {
    let app = spawn_app_with(|s| {
        s.limits.messages_burst = 2;
        s.limits.messages_per_sec = 0.1;
    })
    .await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    post_text(&app, &alice, &room, "seed").await;
    let mut ws = app.ws(&alice).await;

    for i in 0..10 {
        ws.send(json!({"type": "subscribe", "room": room, "ref": format!("s{i}")}))
            .await;
        ws.send(json!({"type": "read", "room": room, "seq": 1}))
            .await;
        ws.send(json!({"type": "ping", "ref": format!("p{i}")}))
            .await;
        ws.send(json!({"type": "unsubscribe", "room": room})).await;
    }
    let frames = ws.sync().await;

    let errors: Vec<_> = frames.iter().filter(|f| f["type"] == "error").collect();
    assert!(
        errors.is_empty(),
        "uncounted frames were refused: {errors:?}"
    );
    assert_eq!(frames.iter().filter(|f| f["type"] == "pong").count(), 10);
    assert_eq!(
        frames.iter().filter(|f| f["type"] == "subscribed").count(),
        10
    );
    // The whole burst is still there, and no more.
    ws.say(&room, "one", "m1").await;
    ws.expect("ack").await;
    ws.say(&room, "two", "m2").await;
    ws.expect("ack").await;
    ws.say(&room, "three", "m3").await;
    ws.expect_error("rate_limited", Some("m3")).await;
}

#[actix_web::test]
async fn typing_frames_count_against_the_bucket() {
    let app = spawn_app_with(|s| {
        s.limits.messages_burst = 3;
        s.limits.messages_per_sec = 0.1;
    })
    .await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut ws = app.ws(&alice).await;
    ws.subscribe(&room).await;

    ws.typing(&room, true).await;
    ws.typing(&room, false).await;
    ws.typing(&room, true).await;
    ws.say(&room, "now", "m1").await;

    ws.expect_error("rate_limited", Some("m1")).await;
}

#[actix_web::test]
async fn a_client_that_keeps_flooding_is_closed_with_1008_and_the_room_goes_on() {
    let app = spawn_app_with(|s| {
        s.limits.messages_burst = 5;
        s.limits.messages_per_sec = 1.0;
    })
    .await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut watcher = app.ws(&alice).await;
    watcher.subscribe(&room).await;
    let mut flooder = app.ws(&bob).await;
    flooder.subscribe_joining(&room).await;

    for i in 0..40 {
        let frame = json!({"type": "message", "room": room, "text": format!("spam {i}"), "ref": format!("r{i}")});
        if !flooder.try_send(frame).await {
            break;
        }
    }

    assert_eq!(flooder.expect_close().await, Some(1008));
    for i in 0..5 {
        let m = watcher.expect("message").await;
        assert_eq!(m["message"]["text"], format!("spam {i}"));
    }
    watcher.say(&room, "still here", "w1").await;
    watcher.expect("ack").await;
    loop {
        let m = watcher.expect("message").await;
        if m["message"]["text"] == "still here" {
            break;
        }
    }
}

// ---- frame-level violations ------------------------------------------------------

#[actix_web::test]
async fn a_frame_over_max_frame_bytes_closes_with_1009() {
    let app = spawn_app_with(|s| s.limits.max_frame_bytes = 1024).await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut ws = app.ws(&alice).await;
    // Just under the limit is fine.
    ws.say(&room, &"a".repeat(900), "small").await;
    assert_eq!(ws.expect("ack").await["ref"], "small");

    let _ = ws
        .try_send(json!({"type": "message", "room": room, "text": "b".repeat(2000), "ref": "big"}))
        .await;

    assert_eq!(ws.expect_close().await, Some(1009));
}

#[actix_web::test]
async fn invalid_utf8_in_a_text_frame_closes_with_1007() {
    let app = spawn_app_with(|_| {}).await;
    let alice = app.user("alice").await;
    let mut ws = app.ws(&alice).await;

    let frame = Frame::message(
        vec![b'{', 0xff, 0xfe, 0xfd, b'}'],
        OpCode::Data(Data::Text),
        true,
    );
    ws.send_raw(Message::Frame(frame)).await;

    assert_eq!(ws.expect_close().await, Some(1007));
}

#[actix_web::test]
async fn a_message_sent_in_fragments_is_read_as_one_frame() {
    let app = spawn_app_with(|_| {}).await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut ws = app.ws(&alice).await;
    ws.subscribe(&room).await;

    let whole = json!({"type": "message", "room": room, "text": "in three parts", "ref": "frag"})
        .to_string()
        .into_bytes();
    let (a, rest) = whole.split_at(10);
    let (b, c) = rest.split_at(10);
    for (part, opcode, last) in [
        (a, OpCode::Data(Data::Text), false),
        (b, OpCode::Data(Data::Continue), false),
        (c, OpCode::Data(Data::Continue), true),
    ] {
        ws.send_raw(Message::Frame(Frame::message(part.to_vec(), opcode, last)))
            .await;
    }

    assert_eq!(ws.expect("ack").await["ref"], "frag");
    assert_eq!(
        ws.expect("message").await["message"]["text"],
        "in three parts"
    );
}

#[actix_web::test]
async fn fragments_adding_up_to_more_than_max_frame_bytes_close_with_1009() {
    let app = spawn_app_with(|s| s.limits.max_frame_bytes = 1024).await;
    let alice = app.user("alice").await;
    let mut ws = app.ws(&alice).await;

    let part = vec![b' '; 600];
    ws.send_raw(Message::Frame(Frame::message(
        part.clone(),
        OpCode::Data(Data::Text),
        false,
    )))
    .await;
    ws.send_raw(Message::Frame(Frame::message(
        part,
        OpCode::Data(Data::Continue),
        false,
    )))
    .await;

    assert_eq!(ws.expect_close().await, Some(1009));
}

#[actix_web::test]
async fn a_continuation_without_a_first_fragment_closes_with_1002() {
    let app = spawn_app_with(|_| {}).await;
    let alice = app.user("alice").await;
    let mut ws = app.ws(&alice).await;

    ws.send_raw(Message::Frame(Frame::message(
        b"{}".to_vec(),
        OpCode::Data(Data::Continue),
        true,
    )))
    .await;

    assert_eq!(ws.expect_close().await, Some(1002));
}

// ---- slow consumers ----------------------------------------------------------------

#[actix_web::test]
async fn a_slow_consumer_is_cut_off_and_the_others_receive_every_message() {
    let app = spawn_app_with(|s| {
        s.limits.session_outbox = 16;
        s.limits.messages_per_sec = 1_000_000.0;
        s.limits.messages_burst = 1_000_000;
        s.limits.max_message_chars = 40_000;
        s.limits.max_frame_bytes = 65_536;
    })
    .await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut fast = app.ws(&bob).await;
    fast.subscribe_joining(&room).await;
    let mut slow = app.ws(&carol).await;
    slow.subscribe_joining(&room).await;
    // alice posts as a member without subscribing, so only her acks come back.
    let mut sender = app.ws(&alice).await;
    let filler = "x".repeat(30_000);

    // Enough 30 kB messages to fill the kernel buffers behind `slow`, which is
    // never polled; checked in batches so the test stops as soon as it bites.
    let mut sent = 0u64;
    let mut cut_off = false;
    while sent < 3_000 && !cut_off {
        for _ in 0..25 {
            sent += 1;
            sender.say(&room, &filler, &format!("r{sent}")).await;
            let ack = sender.expect("ack").await;
            assert_eq!(ack["seq"], sent);
            let m = fast.expect("message").await;
            assert_eq!(m["message"]["seq"], sent, "the fast reader misses nothing");
        }
        cut_off = metric(&app, "parlor_slow_consumers_total").await >= 1.0;
    }
    assert!(
        cut_off,
        "no slow consumer detected after {sent} messages of 30 kB"
    );

    let code = slow.expect_close().await;
    assert!(
        code.is_none() || code == Some(4000),
        "slow consumer closed with {code:?}"
    );
    sender.say(&room, "after the cut", "last").await;
    assert_eq!(sender.expect("ack").await["seq"], sent + 1);
    let m = fast.expect("message").await;
    assert_eq!(m["message"]["text"], "after the cut");
}

// ---- heartbeat -------------------------------------------------------------------

#[actix_web::test]
async fn a_connection_that_never_answers_pings_is_dropped_after_client_timeout() {
    let timeout = Duration::from_secs(1);
    let app = spawn_app_with(|s| {
        s.websocket.heartbeat_interval = Duration::from_millis(200);
        s.websocket.client_timeout = timeout;
    })
    .await;
    let alice = app.user("alice").await;
    // A bare TCP client: it completes the upgrade and then never sends a
    // byte, so no pong ever goes back (tungstenite would answer pings).
    let mut tcp = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("tcp connect");
    let request = format!(
        "GET /ws?token={} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        alice.token, app.addr
    );
    tcp.write_all(request.as_bytes())
        .await
        .expect("write upgrade");
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(WAIT, tcp.read(&mut buf))
            .await
            .expect("upgrade response in time")
            .expect("read upgrade response");
        assert!(n > 0, "closed during the handshake");
        head.extend_from_slice(&buf[..n]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "upgrade refused: {}",
        String::from_utf8_lossy(&head)
    );
    let upgraded = Instant::now();

    let dropped = tokio::time::timeout(WAIT, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue, // pings (and a final close frame) are ignored
            }
        }
    })
    .await;

    assert!(
        dropped.is_ok(),
        "a silent connection was still open after {WAIT:?}"
    );
    assert!(
        upgraded.elapsed() >= timeout / 2,
        "dropped after only {:?}, before the client timeout",
        upgraded.elapsed()
    );
}

#[actix_web::test]
async fn a_client_that_answers_pings_stays_connected_past_client_timeout() {
    let timeout = Duration::from_secs(1);
    let app = spawn_app_with(|s| {
        s.websocket.heartbeat_interval = Duration::from_millis(200);
        s.websocket.client_timeout = timeout;
    })
    .await;
    let alice = app.user("alice").await;
    let mut ws = app.ws(&alice).await;

    // Polling the stream lets tungstenite answer the server's pings.
    ws.expect_silence(timeout * 3).await;

    ws.send(json!({"type": "ping", "ref": "alive"})).await;
    assert_eq!(ws.expect("pong").await["ref"], "alive");
}
