//! Whole-server behaviour over WebSockets: graceful shutdown (1001), fan-out
//! to many clients, `seq` under concurrent senders, user events on every
//! connection, a temporary room's life after it empties, and its history
//! ring. Every wait is bounded.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{TestApp, WAIT, spawn_app_with};
use crate::ws_client::{WsClient, id_of, post_text, seqs};

/// Rate limits high enough that no test here is throttled.
fn unthrottled(s: &mut parlor::config::Settings) {
    s.limits.messages_per_sec = 100_000.0;
    s.limits.messages_burst = 100_000;
}

/// Reads `n` `message` events (other frames skipped) and returns their messages.
async fn collect_messages(ws: &mut WsClient, n: usize) -> Vec<Value> {
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        let f = ws.next_json().await;
        if f["type"] == "message" {
            got.push(f["message"].clone());
        }
    }
    got
}

fn message_seqs(messages: &[Value]) -> Vec<u64> {
    messages
        .iter()
        .map(|m| m["seq"].as_u64().expect("seq"))
        .collect()
}

// ---- graceful shutdown -----------------------------------------------------------

#[actix_web::test]
async fn graceful_shutdown_sends_close_1001_to_every_connection() {
    let app = spawn_app_with(|s| s.server.shutdown_timeout = Duration::from_secs(5)).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut clients = [app.ws(&alice).await, app.ws(&bob).await, app.ws(&bob).await];
    clients[0].subscribe(&room).await;
    clients[1].subscribe_joining(&room).await;
    clients[2].sync().await; // connected, subscribed to nothing

    let ((), codes) = tokio::join!(
        app.shutdown(),
        join_all(clients.iter_mut().map(|c| c.expect_close()))
    );

    assert_eq!(codes, vec![Some(1001); 3]);
}

// ---- fan-out and ordering ----------------------------------------------------------

#[actix_web::test]
async fn fifty_clients_in_one_room_each_receive_every_message_once_in_seq_order() {
    const CLIENTS: usize = 50;
    const SENDERS: usize = 5;
    const PER_SENDER: usize = 20;
    const TOTAL: usize = SENDERS * PER_SENDER;
    let app = spawn_app_with(unthrottled).await;
    let users = join_all((0..CLIENTS).map(|i| app.user_named(i))).await;
    let room = id_of(
        &app.create_room(&users[0], "crowd", json!({"max_participants": 100}))
            .await,
    );
    let mut clients = Vec::with_capacity(CLIENTS);
    for (i, u) in users.iter().enumerate() {
        let mut ws = app.ws(u).await;
        if i == 0 {
            ws.subscribe(&room).await;
        } else {
            ws.subscribe_joining(&room).await;
        }
        clients.push(ws);
    }

    let received = join_all(clients.iter_mut().enumerate().map(|(i, ws)| {
        let room = room.as_str();
        async move {
            if i < SENDERS {
                for k in 0..PER_SENDER {
                    let text = format!("{i}:{k}");
                    ws.say(room, &text, &text).await;
                }
            }
            collect_messages(ws, TOTAL).await
        }
    }))
    .await;

    let expected: Vec<u64> = (1..=TOTAL as u64).collect();
    for (client, messages) in received.iter().enumerate() {
        assert_eq!(message_seqs(messages), expected, "client {client}");
        let ids: HashSet<_> = messages.iter().map(|m| m["id"].to_string()).collect();
        assert_eq!(ids.len(), TOTAL, "client {client} got a duplicate id");
        // Each sender's frames are applied in the order it sent them.
        for s in 0..SENDERS {
            let ks: Vec<usize> = messages
                .iter()
                .filter_map(|m| {
                    let (who, k) = m["text"].as_str()?.split_once(':')?;
                    (who.parse::<usize>().ok()? == s).then(|| k.parse().ok())?
                })
                .collect();
            assert_eq!(
                ks,
                (0..PER_SENDER).collect::<Vec<_>>(),
                "client {client}, sender {s}"
            );
        }
    }
    // Exactly once: nothing more trails behind.
    join_all(
        clients
            .iter_mut()
            .map(|ws| ws.expect_silence(Duration::from_millis(300))),
    )
    .await;
}

#[actix_web::test]
async fn seq_is_strictly_increasing_without_gaps_under_concurrent_ws_senders() {
    const SENDERS: usize = 10;
    const PER_SENDER: usize = 30;
    const TOTAL: usize = SENDERS * PER_SENDER;
    let app = spawn_app_with(unthrottled).await;
    let users = join_all((0..SENDERS).map(|i| app.user_named(i))).await;
    let room = id_of(&app.create_room(&users[0], "race", json!({})).await);
    for u in &users[1..] {
        assert_eq!(app.join(u, &room).await.0, 200);
    }
    let mut observer = app.ws(&users[0]).await;
    observer.subscribe(&room).await;
    let mut senders = Vec::new();
    for u in &users {
        senders.push(app.ws(u).await); // members, not subscribed: only acks come back
    }

    let (acks, observed) = tokio::join!(
        join_all(senders.iter_mut().enumerate().map(|(i, ws)| {
            let room = room.as_str();
            async move {
                for k in 0..PER_SENDER {
                    ws.say(room, &format!("{i}:{k}"), &format!("{i}:{k}")).await;
                }
                let mut got = Vec::new();
                while got.len() < PER_SENDER {
                    let f = ws.expect_one_of(&["ack", "error"]).await;
                    assert_eq!(f["type"], "ack", "sender {i}: {f}");
                    got.push((
                        f["ref"].as_str().expect("ref").to_string(),
                        f["seq"].as_u64().expect("seq"),
                    ));
                }
                got
            }
        })),
        collect_messages(&mut observer, TOTAL)
    );

    let mut all: Vec<u64> = Vec::new();
    for (i, got) in acks.iter().enumerate() {
        let refs: Vec<String> = got.iter().map(|(r, _)| r.clone()).collect();
        let sent: Vec<String> = (0..PER_SENDER).map(|k| format!("{i}:{k}")).collect();
        assert_eq!(refs, sent, "sender {i}: acks in send order");
        let own: Vec<u64> = got.iter().map(|(_, s)| *s).collect();
        assert!(own.windows(2).all(|w| w[0] < w[1]), "sender {i}: {own:?}");
        all.extend(own);
    }
    all.sort_unstable();
    assert_eq!(
        all,
        (1..=TOTAL as u64).collect::<Vec<_>>(),
        "every seq once, no gap"
    );
    assert_eq!(
        message_seqs(&observed),
        (1..=TOTAL as u64).collect::<Vec<_>>()
    );
}

// ---- user events -------------------------------------------------------------------

#[actix_web::test]
async fn room_deleted_reaches_every_connection_of_every_member() {
    let app = spawn_app_with(|_| {}).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "doomed", json!({})).await);
    assert_eq!(app.join(&bob, &room).await.0, 200);
    let mut owner = app.ws(&alice).await;
    let mut bob_subscribed = app.ws(&bob).await;
    bob_subscribed.subscribe(&room).await;
    let mut bob_idle = app.ws(&bob).await;
    bob_idle.sync().await;

    let (status, _) = app
        .delete(&format!("/api/rooms/{room}"), &alice.token)
        .await;
    assert_eq!(status, 204);

    for ws in [&mut owner, &mut bob_subscribed, &mut bob_idle] {
        let deleted = ws.expect("room_deleted").await;
        assert_eq!(deleted["room"], room.as_str());
    }
    // The room is gone for the WebSocket too.
    bob_idle
        .send(json!({"type": "subscribe", "room": room, "ref": "again"}))
        .await;
    bob_idle.expect_error("not_found", Some("again")).await;
    assert_eq!(
        app.get(&format!("/api/rooms/{room}"), &bob.token).await.0,
        404
    );
}

// ---- temporary rooms ----------------------------------------------------------------

#[actix_web::test]
async fn a_temporary_room_left_empty_is_destroyed_after_empty_ttl() {
    let ttl = Duration::from_secs(1);
    let app = spawn_app_with(|s| s.rooms.empty_ttl = ttl).await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "brief", json!({})).await);
    let path = format!("/api/rooms/{room}");

    let (status, _) = app
        .post(&format!("{path}/leave"), &alice.token, json!({}))
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        app.get(&path, &alice.token).await.0,
        200,
        "gone before the ttl"
    );

    assert_eq!(
        poll_room_status(&app, &path, &alice.token, 404).await,
        404,
        "the empty room outlived its ttl"
    );
    let mut ws = app.ws(&alice).await;
    ws.send(json!({"type": "subscribe", "room": room, "join": true, "ref": "s"}))
        .await;
    ws.expect_error("not_found", Some("s")).await;
}

#[actix_web::test]
async fn a_temporary_room_rejoined_before_empty_ttl_survives() {
    let ttl = Duration::from_millis(300);
    let app = spawn_app_with(|s| s.rooms.empty_ttl = ttl).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "revived", json!({})).await);
    let path = format!("/api/rooms/{room}");

    let (status, _) = app
        .post(&format!("{path}/leave"), &alice.token, json!({}))
        .await;
    assert_eq!(status, 204);
    assert_eq!(app.join(&bob, &room).await.0, 200);

    // Asserting that nothing happens takes waiting past the ttl (like expect_silence).
    tokio::time::sleep(ttl * 4).await;
    assert_eq!(app.get(&path, &bob.token).await.0, 200);
}

/// GETs `path` every 50 ms until it answers `want` or `WAIT` passes; returns
/// the last status.
async fn poll_room_status(app: &TestApp, path: &str, token: &str, want: u16) -> u16 {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (status, _) = app.get(path, token).await;
        if status == want || tokio::time::Instant::now() >= deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn a_temporary_rooms_history_ring_keeps_history_len_and_reports_a_gap() {
    let app = spawn_app_with(|s| s.rooms.history_len = 5).await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "ring", json!({})).await);
    for i in 1..=8 {
        post_text(&app, &alice, &room, &format!("m{i}")).await;
    }
    let mut ws = app.ws(&alice).await;

    let cases = [
        (Some(1), vec![4, 5, 6, 7, 8], true),
        (Some(0), vec![4, 5, 6, 7, 8], true),
        // Messages 1..=3 are gone, but none of them comes after since_seq 3.
        (Some(3), vec![4, 5, 6, 7, 8], false),
        (Some(6), vec![7, 8], false),
        (None, vec![4, 5, 6, 7, 8], false),
    ];
    for (since, want, gap) in cases {
        let mut frame = json!({"type": "subscribe", "room": room});
        if let Some(s) = since {
            frame["since_seq"] = json!(s);
        }
        ws.send(frame).await;
        let sub = ws.expect("subscribed").await;
        assert_eq!(seqs(&sub["history"]), want, "since_seq {since:?}");
        assert_eq!(sub["gap"], gap, "since_seq {since:?}: {sub}");
        assert_eq!(sub["more"], false, "since_seq {since:?}");
        ws.unsubscribe(&room).await;
        ws.sync().await;
    }
}

#[actix_web::test]
async fn a_persistent_room_keeps_every_message_so_there_is_no_gap() {
    let app = spawn_app_with(|s| s.rooms.history_len = 5).await;
    let alice = app.user("alice").await;
    let room = id_of(
        &app.create_room(&alice, "archive", json!({"persistent": true}))
            .await,
    );
    for i in 1..=8 {
        post_text(&app, &alice, &room, &format!("m{i}")).await;
    }
    let mut ws = app.ws(&alice).await;

    ws.send(json!({"type": "subscribe", "room": room, "since_seq": 1}))
        .await;
    let sub = ws.expect("subscribed").await;

    assert_eq!(seqs(&sub["history"]), (2..=8).collect::<Vec<_>>());
    assert_eq!(sub["gap"], false);
}
