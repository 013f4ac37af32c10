//! SPEC §3 (persistent rooms), §4, §6 and §8: what a persistent room keeps in
//! SQLite across restarts and a `kill -9`, hibernation and revival of idle
//! room actors, durable acks, resuming with `since_seq`, paging beyond the
//! memory ring, and read markers. Every wait is bounded.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use parlor::config::Settings;
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{TestApp, TestUser, WAIT, spawn_app, spawn_app_with, spawn_with_settings};
use crate::process::{Proc, parlor, start};
use crate::ws_client::{WsClient, id_of, post_text, seqs};

/// `rooms.hibernate_after` for the hibernation tests.
const HIBERNATE: Duration = Duration::from_millis(200);

/// Rate limits high enough that no test here is throttled.
fn unthrottled(s: &mut Settings) {
    s.limits.messages_per_sec = 100_000.0;
    s.limits.messages_burst = 100_000;
}

/// The settings `spawn_app_with` starts from, on the database `db`.
fn base_settings(db: &Path) -> Settings {
    let mut s = Settings::default();
    s.server.bind = "127.0.0.1:0".parse().unwrap();
    s.server.workers = 2;
    s.server.room_threads = 2;
    s.database.path = db.to_path_buf();
    s.limits.auth_attempts_per_min = 1000;
    s
}

/// Stops `app` gracefully and starts a new server on the same database.
async fn restart_with(app: TestApp, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    app.shutdown().await;
    let mut s = base_settings(&app.db_path);
    tweak(&mut s);
    spawn_with_settings(s, app.dir, app.db_path).await
}

async fn restart(app: TestApp) -> TestApp {
    restart_with(app, |_| {}).await
}

/// Creates a persistent public room owned by `owner`; returns its id.
async fn persistent_room(app: &TestApp, owner: &TestUser, name: &str) -> String {
    let room = app
        .create_room(owner, name, json!({"persistent": true}))
        .await;
    assert_eq!(room["persistent"], true, "{room}");
    id_of(&room)
}

/// Posts "{prefix}1" … "{prefix}N" over REST, one after the other.
async fn post_many(app: &TestApp, user: &TestUser, room: &str, prefix: &str, n: usize) {
    for i in 1..=n {
        post_text(app, user, room, &format!("{prefix}{i}")).await;
    }
}

/// Sends "{prefix}1" … "{prefix}N" over one WebSocket as fast as it can (the
/// ref is the text) and waits for every ack; returns the acks.
async fn send_fast(
    app: &TestApp,
    user: &TestUser,
    room: &str,
    prefix: &str,
    n: usize,
) -> Vec<Value> {
    let mut ws = app.ws(user).await;
    for i in 1..=n {
        let text = format!("{prefix}{i}");
        ws.say(room, &text, &text).await;
    }
    let mut acks = Vec::with_capacity(n);
    while acks.len() < n {
        let frame = ws.expect_one_of(&["ack", "error"]).await;
        assert_eq!(frame["type"], "ack", "a message was refused: {frame}");
        acks.push(frame);
    }
    ws.close().await;
    acks
}

/// `GET /api/rooms/{room}/messages?{query}`, asserting 200 and ascending seqs.
async fn page(app: &TestApp, user: &TestUser, room: &str, query: &str) -> Vec<Value> {
    let (status, list) = app
        .get(&format!("/api/rooms/{room}/messages?{query}"), &user.token)
        .await;
    assert_eq!(status, 200, "{query}: {list}");
    let list = list
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"));
    let s = seqs(&Value::Array(list.clone()));
    assert!(
        s.windows(2).all(|w| w[0] < w[1]),
        "{query}: page not ascending: {s:?}"
    );
    list.clone()
}

/// Every message of `room`, walking forwards with `after=` in pages of `limit`.
async fn walk_forward(app: &TestApp, user: &TestUser, room: &str, limit: u64) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    let mut after = 0;
    loop {
        let p = page(app, user, room, &format!("after={after}&limit={limit}")).await;
        assert!(p.len() as u64 <= limit, "page over limit {limit}");
        let Some(last) = p.last() else { return all };
        let last = last["seq"].as_u64().unwrap();
        assert!(last > after, "after={after} did not move forward");
        after = last;
        all.extend(p);
    }
}

/// Every message of `room`, walking backwards with `before=` from the latest
/// page, in pages of `limit`; returned in ascending order.
async fn walk_backward(app: &TestApp, user: &TestUser, room: &str, limit: u64) -> Vec<Value> {
    let mut pages: Vec<Vec<Value>> = Vec::new();
    let mut query = format!("limit={limit}");
    loop {
        let p = page(app, user, room, &query).await;
        assert!(p.len() as u64 <= limit, "page over limit {limit}");
        let Some(first) = p.first() else { break };
        let first = first["seq"].as_u64().unwrap();
        if let Some(prev) = pages.last() {
            let prev_first = prev[0]["seq"].as_u64().unwrap();
            assert!(first < prev_first, "before= did not move backward");
        }
        query = format!("before={first}&limit={limit}");
        pages.push(p);
    }
    pages.into_iter().rev().flatten().collect()
}

fn message_seqs(messages: &[Value]) -> Vec<u64> {
    messages
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect()
}

fn texts(messages: &Value) -> Vec<String> {
    messages
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {messages}"))
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

fn numbered(prefix: &str, range: std::ops::RangeInclusive<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix}{i}")).collect()
}

/// The value of a Prometheus series (summed over its labels).
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

/// Polls `parlor_rooms` until it reads `want` or `WAIT` passes; returns the last value.
async fn wait_for_live_rooms(app: &TestApp, want: f64) -> f64 {
    let deadline = Instant::now() + WAIT;
    loop {
        let live = metric(app, "parlor_rooms").await;
        if live == want || Instant::now() >= deadline {
            return live;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until every room actor of `app` has stopped (its rooms hibernated).
async fn hibernated(app: &TestApp) {
    assert_eq!(
        wait_for_live_rooms(app, 0.0).await,
        0.0,
        "the idle persistent room's actor did not stop within {WAIT:?}"
    );
}

async fn unread(app: &TestApp, user: &TestUser, room: &str) -> Value {
    let (status, info) = app.get(&format!("/api/rooms/{room}"), &user.token).await;
    assert_eq!(status, 200, "{info}");
    info["unread"].clone()
}

// ---- restarts ----------------------------------------------------------------------

#[actix_web::test]
async fn a_persistent_room_its_members_roles_and_messages_survive_a_restart() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = persistent_room(&app, &alice, "archive").await;
    let scratch = id_of(&app.create_room(&alice, "scratch", json!({})).await);
    post_text(&app, &alice, &scratch, "gone soon").await;
    assert_eq!(app.join(&bob, &room).await.0, 200);
    assert_eq!(app.join(&carol, &room).await.0, 200);
    let (status, body) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/rooms/{room}/members/{}/role", carol.id),
            Some(&alice.token),
            Some(json!({"role": "moderator"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let before = [
        post_text(&app, &alice, &room, "from alice").await,
        post_text(&app, &bob, &room, "from bob").await,
        post_text(&app, &carol, &room, "from carol").await,
    ];

    let app = restart(app).await;

    let (status, info) = app.get(&format!("/api/rooms/{room}"), &carol.token).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["name"], "archive");
    assert_eq!(info["persistent"], true);
    assert_eq!(info["owner_id"], alice.id.as_str());
    assert_eq!(info["participant_count"], 3);
    assert_eq!(info["role"], "moderator");
    let (status, members) = app
        .get(&format!("/api/rooms/{room}/participants"), &alice.token)
        .await;
    assert_eq!(status, 200, "{members}");
    let roles: HashMap<String, String> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["user"]["username"].as_str().unwrap().to_string(),
                p["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: HashMap<String, String> = [
        ("alice", "owner"),
        ("bob", "member"),
        ("carol", "moderator"),
    ]
    .into_iter()
    .map(|(u, r)| (u.to_string(), r.to_string()))
    .collect();
    assert_eq!(roles, want, "participants after the restart: {members}");
    let after = page(&app, &alice, &room, "").await;
    assert_eq!(after.len(), 3, "{after:?}");
    for (old, new) in before.iter().zip(&after) {
        for key in ["id", "seq", "text", "author", "created_at", "reply_to"] {
            assert_eq!(old[key], new[key], "{key} changed across the restart");
        }
    }
    let (status, body) = app
        .get(&format!("/api/rooms/{scratch}"), &alice.token)
        .await;
    assert_eq!(
        status, 404,
        "the temporary room outlived the restart: {body}"
    );
    assert_eq!(post_text(&app, &bob, &room, "next").await["seq"], 4);
}

#[actix_web::test]
async fn after_a_restart_subscribed_lists_every_member_of_a_persistent_room() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = persistent_room(&app, &alice, "archive").await;
    assert_eq!(app.join(&bob, &room).await.0, 200);

    let app = restart(app).await;
    let mut ws = app.ws(&bob).await;
    let sub = ws.subscribe(&room).await;

    let mut names: Vec<&str> = sub["members"]
        .as_array()
        .unwrap_or_else(|| panic!("no members: {sub}"))
        .iter()
        .map(|p| p["user"]["username"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["alice", "bob"], "{sub}");
}

// ---- hibernation and revival --------------------------------------------------------

#[actix_web::test]
async fn an_idle_persistent_room_hibernates_and_a_get_finds_it_with_its_history() {
    let app = spawn_app_with(|s| s.rooms.hibernate_after = HIBERNATE).await;
    let alice = app.user("alice").await;
    let room = persistent_room(&app, &alice, "sleepy").await;
    post_many(&app, &alice, &room, "m", 3).await;

    hibernated(&app).await;

    let (status, info) = app.get(&format!("/api/rooms/{room}"), &alice.token).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["name"], "sleepy");
    assert_eq!(info["persistent"], true);
    assert_eq!(info["participant_count"], 1);
    assert_eq!(info["role"], "owner");
    let list = page(&app, &alice, &room, "").await;
    assert_eq!(message_seqs(&list), [1, 2, 3]);
    assert_eq!(post_text(&app, &alice, &room, "m4").await["seq"], 4);
}

#[actix_web::test]
async fn posting_to_a_hibernated_room_revives_it_and_seq_continues() {
    let app = spawn_app_with(|s| s.rooms.hibernate_after = HIBERNATE).await;
    let alice = app.user("alice").await;
    let room = persistent_room(&app, &alice, "sleepy").await;
    post_many(&app, &alice, &room, "m", 3).await;

    hibernated(&app).await;
    assert_eq!(post_text(&app, &alice, &room, "m4").await["seq"], 4);

    hibernated(&app).await;
    let mut ws = app.ws(&alice).await;
    ws.say(&room, "m5", "m5").await;
    let ack = ws.expect_one_of(&["ack", "error"]).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["seq"], 5, "{ack}");
    ws.close().await;

    hibernated(&app).await;
    let list = page(&app, &alice, &room, "").await;
    assert_eq!(message_seqs(&list), [1, 2, 3, 4, 5]);
    assert_eq!(
        texts(&Value::Array(list)),
        numbered("m", 1..=5),
        "every message survived two hibernations"
    );
}

#[actix_web::test]
async fn joining_a_hibernated_room_revives_it_with_its_members() {
    let app = spawn_app_with(|s| s.rooms.hibernate_after = HIBERNATE).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = persistent_room(&app, &alice, "sleepy").await;
    post_many(&app, &alice, &room, "m", 2).await;

    hibernated(&app).await;
    let (status, info) = app.join(&bob, &room).await;

    assert_eq!(status, 200, "{info}");
    assert_eq!(info["participant_count"], 2, "{info}");
    let (status, members) = app
        .get(&format!("/api/rooms/{room}/participants"), &bob.token)
        .await;
    assert_eq!(status, 200, "{members}");
    let mut roles: Vec<(String, String)> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["user"]["username"].as_str().unwrap().to_string(),
                p["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    roles.sort();
    assert_eq!(
        roles,
        [
            ("alice".to_string(), "owner".to_string()),
            ("bob".to_string(), "member".to_string())
        ]
    );
    assert_eq!(post_text(&app, &bob, &room, "hi").await["seq"], 3);
}

#[actix_web::test]
async fn subscribing_to_a_hibernated_room_revives_it_with_history_and_live_messages() {
    let app = spawn_app_with(|s| s.rooms.hibernate_after = HIBERNATE).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = persistent_room(&app, &alice, "sleepy").await;
    assert_eq!(app.join(&bob, &room).await.0, 200);
    post_many(&app, &alice, &room, "m", 3).await;

    hibernated(&app).await;
    let mut ws = app.ws(&bob).await;
    let sub = ws.subscribe(&room).await;

    assert_eq!(seqs(&sub["history"]), [1, 2, 3], "{sub}");
    assert_eq!(sub["gap"], false);
    assert_eq!(sub["members"].as_array().map(Vec::len), Some(2), "{sub}");
    post_text(&app, &alice, &room, "m4").await;
    let live = ws.expect("message").await;
    assert_eq!(live["room"], room.as_str());
    assert_eq!(live["message"]["seq"], 4);
    assert_eq!(live["message"]["text"], "m4");
}

#[actix_web::test]
async fn a_persistent_room_with_a_subscribed_connection_does_not_hibernate() {
    let app = spawn_app_with(|s| s.rooms.hibernate_after = HIBERNATE).await;
    let alice = app.user("alice").await;
    let room = persistent_room(&app, &alice, "watched").await;
    let mut ws = app.ws(&alice).await;
    ws.subscribe(&room).await;

    // Asserting that nothing happens takes waiting past the timer (like expect_silence).
    tokio::time::sleep(HIBERNATE * 4).await;
    assert_eq!(
        metric(&app, "parlor_rooms").await,
        1.0,
        "a room with a subscriber hibernated"
    );
    post_text(&app, &alice, &room, "still here").await;
    assert_eq!(ws.expect("message").await["message"]["seq"], 1);

    ws.unsubscribe(&room).await;
    ws.sync().await;
    hibernated(&app).await;
}

#[actix_web::test]
async fn edits_deletes_reactions_and_threads_revive_a_hibernated_room() {
    let app = spawn_app_with(|s| s.rooms.hibernate_after = HIBERNATE).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = persistent_room(&app, &alice, "sleepy").await;
    assert_eq!(app.join(&bob, &room).await.0, 200);
    let root = post_text(&app, &alice, &room, "root").await;
    let doomed = post_text(&app, &alice, &room, "doomed").await;
    let path = |m: &Value| format!("/api/rooms/{room}/messages/{}", m["id"].as_str().unwrap());

    hibernated(&app).await;
    let (status, edited) = app
        .patch(&path(&root), &alice.token, json!({"text": "root, edited"}))
        .await;
    assert_eq!(status, 200, "edit: {edited}");
    hibernated(&app).await;
    assert_eq!(app.delete(&path(&doomed), &alice.token).await.0, 204);
    hibernated(&app).await;
    let (status, body) = app
        .call(
            reqwest::Method::PUT,
            &format!("{}/reactions/%F0%9F%91%8D", path(&root)),
            Some(&bob.token),
            None,
        )
        .await;
    assert_eq!(status, 204, "react: {body}");
    let (status, reply) = app
        .post(
            &format!("/api/rooms/{room}/messages"),
            &bob.token,
            json!({"text": "a reply", "reply_to": root["id"]}),
        )
        .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["seq"], 3);
    hibernated(&app).await;

    let (status, thread) = app
        .get(&format!("{}/thread", path(&root)), &bob.token)
        .await;
    assert_eq!(status, 200, "{thread}");
    assert_eq!(thread["root"]["text"], "root, edited");
    assert_eq!(thread["root"]["reactions"], json!({"👍": [bob.id]}));
    assert_eq!(seqs(&thread["replies"]), [3]);
    let list = page(&app, &bob, &room, "").await;
    assert_eq!(message_seqs(&list), [1, 2, 3]);
    assert_eq!(
        (&list[1]["text"], &list[1]["deleted"]),
        (&json!(""), &json!(true))
    );
}

// ---- durable acks: kill -9 -----------------------------------------------------------

/// The real `parlor serve` on a free port, on the database `db`, unthrottled.
fn serve(db: &Path) -> Proc {
    let mut cmd = parlor(db.parent().expect("db dir"));
    cmd.arg("serve")
        .env("PARLOR__SERVER__BIND", "127.0.0.1:0")
        .env("PARLOR__DATABASE__PATH", db)
        .env("PARLOR__LIMITS__MESSAGES_PER_SEC", "100000")
        .env("PARLOR__LIMITS__MESSAGES_BURST", "100000");
    start(cmd)
}

#[actix_web::test]
async fn every_message_acked_before_a_kill_9_is_there_after_a_restart() {
    const SENT: usize = 300;
    const KILL_AFTER_ACKS: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let http = reqwest::Client::builder().timeout(WAIT).build().unwrap();
    let mut server = serve(&db);
    let addr = server.listening_addr().await;
    let res = http
        .post(format!("http://{addr}/api/auth/register"))
        .json(&json!({"username": "alice", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let reg: Value = res.json().await.unwrap();
    let token = reg["access_token"].as_str().unwrap().to_string();
    let res = http
        .post(format!("http://{addr}/api/rooms"))
        .bearer_auth(&token)
        .json(&json!({"name": "durable", "persistent": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let room = id_of(&res.json::<Value>().await.unwrap());
    let (stream, _) = tokio::time::timeout(
        WAIT,
        tokio_tungstenite::connect_async(format!("ws://{addr}/ws?token={token}")),
    )
    .await
    .expect("ws connect in time")
    .expect("ws upgrade");
    let mut ws = WsClient { stream };

    for i in 1..=SENT {
        let text = format!("k{i}");
        ws.say(&room, &text, &text).await;
    }
    let mut acks = Vec::new();
    while acks.len() < KILL_AFTER_ACKS {
        let frame = ws.expect_one_of(&["ack", "error"]).await;
        assert_eq!(frame["type"], "ack", "{frame}");
        acks.push(frame);
    }
    server.kill_9();
    // Acks already on the wire were sent before the kill: they count too.
    let deadline = Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, ws.stream.next()).await {
            Err(_) => panic!("the socket outlived the killed server"),
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => break,
            Ok(Some(Ok(Message::Text(t)))) => {
                let frame: Value = serde_json::from_str(&t).expect("json frame");
                assert_eq!(frame["type"], "ack", "{frame}");
                acks.push(frame);
            }
            Ok(Some(Ok(_))) => {}
        }
    }
    drop(ws);
    drop(server);

    let mut server = serve(&db);
    let addr = server.listening_addr().await;
    let mut stored: Vec<Value> = Vec::new();
    loop {
        let after = stored.last().map_or(0, |m| m["seq"].as_u64().unwrap());
        let res = http
            .get(format!(
                "http://{addr}/api/rooms/{room}/messages?after={after}&limit=100"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "the room survived the kill");
        let p: Vec<Value> = res.json().await.unwrap();
        if p.is_empty() {
            break;
        }
        stored.extend(p);
        assert!(stored.len() <= SENT, "more messages stored than sent");
    }

    let stored_seqs = message_seqs(&stored);
    assert_eq!(
        stored_seqs,
        (1..=stored.len() as u64).collect::<Vec<_>>(),
        "stored seqs have gaps or dupes"
    );
    for m in &stored {
        assert_eq!(
            m["text"],
            format!("k{}", m["seq"]),
            "one connection's messages are stored in the order sent"
        );
    }
    for ack in &acks {
        let seq = ack["seq"].as_u64().unwrap() as usize;
        assert!(
            seq >= 1 && seq <= stored.len(),
            "acked message {ack} lost by the kill ({} acked, {} stored)",
            acks.len(),
            stored.len()
        );
        let m = &stored[seq - 1];
        assert_eq!(m["id"], ack["id"], "acked message {ack} stored as {m}");
        assert_eq!(m["text"], ack["ref"], "acked message {ack} stored as {m}");
    }
    assert!(stored.len() >= acks.len());
}

// ---- resuming with since_seq ----------------------------------------------------------

#[actix_web::test]
async fn resuming_a_persistent_room_gets_exactly_the_missed_messages_even_beyond_the_ring() {
    let app = spawn_app_with(|s| {
        s.rooms.history_len = 5;
        unthrottled(s);
    })
    .await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = persistent_room(&app, &alice, "resumable").await;
    assert_eq!(app.join(&bob, &room).await.0, 200);
    let mut ws = app.ws(&bob).await;
    ws.subscribe(&room).await;
    post_many(&app, &alice, &room, "seen", 3).await;
    for _ in 0..3 {
        ws.expect("message").await;
    }
    ws.close().await;

    send_fast(&app, &alice, &room, "missed", 20).await;
    let mut ws = app.ws(&bob).await;
    ws.send(json!({"type": "subscribe", "room": room, "since_seq": 3}))
        .await;
    let sub = ws.expect("subscribed").await;

    assert_eq!(seqs(&sub["history"]), (4..=23).collect::<Vec<_>>());
    assert_eq!(texts(&sub["history"]), numbered("missed", 1..=20));
    assert_eq!(sub["gap"], false, "nothing is gone in a persistent room");
    assert_eq!(sub["more"], false);
    post_text(&app, &alice, &room, "live").await;
    assert_eq!(ws.expect("message").await["message"]["seq"], 24);
}

#[actix_web::test]
async fn resuming_after_more_than_100_missed_messages_sets_more_and_after_paging_fills_the_rest() {
    let app = spawn_app_with(|s| {
        s.rooms.history_len = 5;
        unthrottled(s);
    })
    .await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = persistent_room(&app, &alice, "busy").await;
    assert_eq!(app.join(&bob, &room).await.0, 200);
    post_many(&app, &alice, &room, "seen", 2).await;

    send_fast(&app, &alice, &room, "missed", 130).await;
    let mut ws = app.ws(&bob).await;
    ws.send(json!({"type": "subscribe", "room": room, "since_seq": 2}))
        .await;
    let sub = ws.expect("subscribed").await;

    assert_eq!(seqs(&sub["history"]), (3..=102).collect::<Vec<_>>());
    assert_eq!(texts(&sub["history"]), numbered("missed", 1..=100));
    assert_eq!(sub["more"], true);
    assert_eq!(sub["gap"], false);
    let rest = page(&app, &bob, &room, "after=102&limit=100").await;
    assert_eq!(message_seqs(&rest), (103..=132).collect::<Vec<_>>());
    assert_eq!(texts(&Value::Array(rest)), numbered("missed", 101..=130));
    assert!(page(&app, &bob, &room, "after=132").await.is_empty());
}

#[actix_web::test]
async fn resuming_a_temporary_room_whose_ring_moved_on_reports_a_gap() {
    let app = spawn_app_with(|s| s.rooms.history_len = 5).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "fleeting", json!({})).await);
    assert_eq!(app.join(&bob, &room).await.0, 200);
    let mut ws = app.ws(&bob).await;
    ws.subscribe(&room).await;
    post_many(&app, &alice, &room, "seen", 2).await;
    for _ in 0..2 {
        ws.expect("message").await;
    }
    ws.close().await;

    post_many(&app, &alice, &room, "missed", 10).await;
    let mut ws = app.ws(&bob).await;
    ws.send(json!({"type": "subscribe", "room": room, "since_seq": 2}))
        .await;
    let sub = ws.expect("subscribed").await;

    assert_eq!(seqs(&sub["history"]), [8, 9, 10, 11, 12]);
    assert_eq!(texts(&sub["history"]), numbered("missed", 6..=10));
    assert_eq!(sub["gap"], true, "messages 3..=7 are gone for good");
    assert_eq!(sub["more"], false);
}

#[actix_web::test]
async fn resuming_after_a_server_restart_gets_the_messages_missed_before_it() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = persistent_room(&app, &alice, "resumable").await;
    assert_eq!(app.join(&bob, &room).await.0, 200);
    let mut ws = app.ws(&bob).await;
    ws.subscribe(&room).await;
    post_many(&app, &alice, &room, "seen", 3).await;
    for _ in 0..3 {
        ws.expect("message").await;
    }
    ws.close().await;
    post_many(&app, &alice, &room, "missed", 3).await;

    let app = restart(app).await;
    let mut ws = app.ws(&bob).await;
    ws.send(json!({"type": "subscribe", "room": room, "since_seq": 3}))
        .await;
    let sub = ws.expect("subscribed").await;

    assert_eq!(seqs(&sub["history"]), [4, 5, 6]);
    assert_eq!(texts(&sub["history"]), numbered("missed", 1..=3));
    assert_eq!(sub["gap"], false);
    post_text(&app, &alice, &room, "after restart").await;
    assert_eq!(ws.expect("message").await["message"]["seq"], 7);
}

// ---- paging beyond the ring --------------------------------------------------------------

#[actix_web::test]
async fn paging_250_messages_of_a_persistent_room_both_ways_gives_every_seq_exactly_once() {
    const N: usize = 250;
    let app = spawn_app_with(|s| {
        s.rooms.history_len = 20;
        unthrottled(s);
    })
    .await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = persistent_room(&app, &alice, "long").await;
    let acks = send_fast(&app, &alice, &room, "p", N).await;
    let by_seq: HashMap<u64, (Value, Value)> = acks
        .iter()
        .map(|a| {
            (
                a["seq"].as_u64().unwrap(),
                (a["id"].clone(), a["ref"].clone()),
            )
        })
        .collect();
    assert_eq!(by_seq.len(), N, "acks carry distinct seqs");
    let all: Vec<u64> = (1..=N as u64).collect();

    for limit in [100, 37] {
        for (way, got) in [
            ("after=", walk_forward(&app, &bob, &room, limit).await),
            ("before=", walk_backward(&app, &bob, &room, limit).await),
        ] {
            assert_eq!(message_seqs(&got), all, "walking with {way} limit {limit}");
            for m in &got {
                let (id, text) = &by_seq[&m["seq"].as_u64().unwrap()];
                assert_eq!(&m["id"], id, "{way} {m}");
                assert_eq!(&m["text"], text, "{way} {m}");
            }
            let ids: HashSet<&str> = got.iter().map(|m| m["id"].as_str().unwrap()).collect();
            assert_eq!(ids.len(), N, "{way}: duplicate ids");
        }
    }

    let oldest = page(&app, &bob, &room, "before=3&limit=100").await;
    assert_eq!(message_seqs(&oldest), [1, 2], "older than the ring");
    assert_eq!(oldest[0]["room_id"], room.as_str());
    assert_eq!(oldest[0]["author"]["username"], "alice");
    assert_eq!(oldest[0]["deleted"], false);
    assert!(oldest[0]["created_at"].is_string(), "{}", oldest[0]);
    let middle = page(&app, &bob, &room, "after=100&limit=5").await;
    assert_eq!(message_seqs(&middle), [101, 102, 103, 104, 105]);
    let middle = page(&app, &bob, &room, "before=100&limit=5").await;
    assert_eq!(message_seqs(&middle), [95, 96, 97, 98, 99]);
}

// ---- read markers and unread ------------------------------------------------------------

/// alice posts 5, bob 1 (his own), alice 1 more: bob has 6 unread. Returns the room.
async fn unread_scene(app: &TestApp, alice: &TestUser, bob: &TestUser, persistent: bool) -> String {
    let room = id_of(
        &app.create_room(alice, "reading", json!({"persistent": persistent}))
            .await,
    );
    assert_eq!(app.join(bob, &room).await.0, 200);
    post_many(app, alice, &room, "a", 5).await;
    post_text(app, bob, &room, "mine").await;
    post_text(app, alice, &room, "a6").await;
    assert_eq!(unread(app, bob, &room).await, 6);
    room
}

#[actix_web::test]
async fn a_read_frame_moves_the_marker_and_unread_counts_only_others_messages_after_it() {
    for persistent in [false, true] {
        let app = spawn_app().await;
        let (alice, bob) = (app.user("alice").await, app.user("bob").await);
        let room = unread_scene(&app, &alice, &bob, persistent).await;
        let mut ws = app.ws(&bob).await;

        ws.send(json!({"type": "read", "room": room, "seq": 3}))
            .await;
        ws.sync().await;
        assert_eq!(
            unread(&app, &bob, &room).await,
            3,
            "seqs 4, 5 and 7 are alice's and after the marker (persistent: {persistent})"
        );

        ws.send(json!({"type": "read", "room": room, "seq": 7}))
            .await;
        ws.sync().await;
        assert_eq!(unread(&app, &bob, &room).await, 0);
        assert_eq!(
            unread(&app, &alice, &room).await,
            1,
            "alice never read bob's"
        );
    }
}

#[actix_web::test]
async fn a_read_marker_in_a_persistent_room_survives_a_restart() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = unread_scene(&app, &alice, &bob, true).await;
    let mut ws = app.ws(&bob).await;
    ws.send(json!({"type": "read", "room": room, "seq": 3}))
        .await;
    ws.sync().await;
    assert_eq!(unread(&app, &bob, &room).await, 3);
    ws.close().await;

    let app = restart(app).await;

    assert_eq!(unread(&app, &bob, &room).await, 3);
    post_text(&app, &alice, &room, "a7").await;
    assert_eq!(unread(&app, &bob, &room).await, 4);
}

#[actix_web::test]
async fn a_read_marker_survives_hibernation() {
    let app = spawn_app_with(|s| s.rooms.hibernate_after = HIBERNATE).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = unread_scene(&app, &alice, &bob, true).await;
    let mut ws = app.ws(&bob).await;
    ws.send(json!({"type": "read", "room": room, "seq": 5}))
        .await;
    ws.sync().await;
    assert_eq!(unread(&app, &bob, &room).await, 1);
    ws.close().await;

    hibernated(&app).await;

    assert_eq!(unread(&app, &bob, &room).await, 1);
    post_text(&app, &alice, &room, "a7").await;
    assert_eq!(unread(&app, &bob, &room).await, 2);
}
