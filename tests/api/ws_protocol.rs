//! SPEC §6 and §8 (WebSocket events): the frames a client sends and the
//! frames it gets back, over a real socket. Limits (rate, size, slow
//! consumers, heartbeat) live in `ws_limits`; shutdown and fan-out at scale
//! in `lifecycle`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{TestUser, spawn_app, spawn_app_with};
use crate::ws_client::{id_of, post_text, seqs};

/// Long enough for a wrongly sent frame to arrive on loopback.
const QUIET: Duration = Duration::from_millis(300);

fn assert_user_object(user: &Value, expected: &TestUser) {
    assert_eq!(user["id"], expected.id.as_str(), "user: {user}");
    assert_eq!(user["username"], expected.username.as_str(), "user: {user}");
    assert!(user["display_name"].is_string(), "user: {user}");
    assert!(user["created_at"].is_string(), "user: {user}");
    assert!(user["is_admin"].is_boolean(), "user: {user}");
}

fn assert_participant(p: &Value, expected: &TestUser, role: &str) {
    assert_user_object(&p["user"], expected);
    assert_eq!(p["role"], role, "participant: {p}");
    assert!(p["joined_at"].is_string(), "participant: {p}");
    assert!(p["online"].is_boolean(), "participant: {p}");
}

fn member<'a>(subscribed: &'a Value, user: &TestUser) -> Option<&'a Value> {
    subscribed["members"]
        .as_array()
        .unwrap_or_else(|| panic!("members is not an array: {subscribed}"))
        .iter()
        .find(|p| p["user"]["id"] == user.id.as_str())
}

// ---- connecting -------------------------------------------------------------

#[actix_web::test]
async fn a_bad_or_missing_token_on_upgrade_gets_401_and_no_upgrade() {
    let app = spawn_app().await;

    assert_eq!(app.ws_refused_status("/ws").await, 401);
    assert_eq!(app.ws_refused_status("/ws?token=not-a-jwt").await, 401);
    assert_eq!(
        app.ws_refused_status("/ws?token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")
            .await,
        401
    );
}

#[actix_web::test]
async fn a_bad_token_on_the_room_path_gets_401_too() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);

    let status = app
        .ws_refused_status(&format!("/ws/rooms/{room}?token=forged"))
        .await;

    assert_eq!(status, 401);
}

#[actix_web::test]
async fn the_token_may_be_sent_as_an_authorization_bearer_header() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let mut ws = app.ws_with_bearer_header(&alice).await;
    ws.send(json!({"type": "ping", "ref": "p1"})).await;

    let pong = ws.expect("pong").await;
    assert_eq!(pong["ref"], "p1");
}

#[actix_web::test]
async fn the_room_path_connects_already_subscribed_to_that_room() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    post_text(&app, &alice, &room, "before").await;

    let mut ws = app
        .ws_path(&format!("/ws/rooms/{room}?token={}", alice.token))
        .await;

    let first = ws.next_json().await;
    assert_eq!(first["type"], "subscribed", "first frame: {first}");
    assert_eq!(first["room"], room.as_str());
    assert_eq!(seqs(&first["history"]), vec![1]);
    // The connection really is subscribed: it receives the room's messages.
    post_text(&app, &alice, &room, "after").await;
    let event = ws.expect("message").await;
    assert_eq!(event["message"]["text"], "after");
}

#[actix_web::test]
async fn ping_gets_pong_with_its_ref_echoed() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let mut ws = app.ws(&alice).await;

    ws.send(json!({"type": "ping", "ref": "abc-123"})).await;

    let pong = ws.next_json().await;
    assert_eq!(pong["type"], "pong");
    assert_eq!(pong["ref"], "abc-123");
}

// ---- subscribe ----------------------------------------------------------------

#[actix_web::test]
async fn subscribe_replies_subscribed_with_room_members_history_more_and_gap() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut ws = app.ws(&alice).await;

    ws.send(json!({"type": "subscribe", "room": room, "ref": "s1"}))
        .await;
    let sub = ws.expect("subscribed").await;

    assert_eq!(sub["room"], room.as_str());
    assert_eq!(sub["ref"], "s1");
    assert_eq!(sub["history"], json!([]));
    assert_eq!(sub["more"], false);
    assert_eq!(sub["gap"], false);
    assert_eq!(sub["members"].as_array().map(Vec::len), Some(1), "{sub}");
    let me = member(&sub, &alice).expect("owner listed");
    assert_participant(me, &alice, "owner");
}

#[actix_web::test]
async fn subscribe_without_since_seq_returns_the_last_50_messages_oldest_first() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    for i in 1..=55 {
        post_text(&app, &alice, &room, &format!("m{i}")).await;
    }
    let mut ws = app.ws(&alice).await;

    let sub = ws.subscribe(&room).await;

    assert_eq!(seqs(&sub["history"]), (6..=55).collect::<Vec<_>>());
    assert_eq!(sub["history"][0]["text"], "m6");
    assert_eq!(sub["more"], false);
    assert_eq!(sub["gap"], false);
}

#[actix_web::test]
async fn subscribe_with_since_seq_returns_only_the_messages_after_it() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    for i in 1..=5 {
        post_text(&app, &alice, &room, &format!("m{i}")).await;
    }
    let mut ws = app.ws(&alice).await;

    ws.send(json!({"type": "subscribe", "room": room, "since_seq": 3}))
        .await;
    let sub = ws.expect("subscribed").await;

    assert_eq!(seqs(&sub["history"]), vec![4, 5]);
    assert_eq!(sub["more"], false);
    assert_eq!(sub["gap"], false);
}

#[actix_web::test]
async fn subscribe_with_since_seq_gives_at_most_100_messages_and_sets_more() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    for i in 1..=105 {
        post_text(&app, &alice, &room, &format!("m{i}")).await;
    }
    let mut ws = app.ws(&alice).await;

    ws.send(json!({"type": "subscribe", "room": room, "since_seq": 2}))
        .await;
    let sub = ws.expect("subscribed").await;

    assert_eq!(seqs(&sub["history"]), (3..=102).collect::<Vec<_>>());
    assert_eq!(sub["more"], true);
    assert_eq!(sub["gap"], false);
}

#[actix_web::test]
async fn subscribe_with_since_seq_at_or_above_the_latest_gives_an_empty_history() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    for i in 1..=3 {
        post_text(&app, &alice, &room, &format!("m{i}")).await;
    }
    let mut ws = app.ws(&alice).await;

    for since in [3, 10] {
        ws.send(json!({"type": "subscribe", "room": room, "since_seq": since}))
            .await;
        let sub = ws.expect("subscribed").await;
        assert_eq!(sub["history"], json!([]), "since_seq {since}: {sub}");
        assert_eq!(sub["more"], false);
        assert_eq!(sub["gap"], false);
        ws.unsubscribe(&room).await;
    }
}

#[actix_web::test]
async fn subscribe_to_a_public_room_not_joined_is_forbidden() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut ws = app.ws(&bob).await;

    ws.send(json!({"type": "subscribe", "room": room, "ref": "s1"}))
        .await;

    ws.expect_error("forbidden", Some("s1")).await;
    // Not joined as a side effect.
    let (_, participants) = app
        .get(&format!("/api/rooms/{room}/participants"), &alice.token)
        .await;
    assert_eq!(
        participants.as_array().map(Vec::len),
        Some(1),
        "{participants}"
    );
}

#[actix_web::test]
async fn subscribe_with_join_joins_a_public_room_and_tells_existing_subscribers() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut a = app.ws(&alice).await;
    a.subscribe(&room).await;
    let mut b = app.ws(&bob).await;

    let sub = b.subscribe_joining(&room).await;

    assert_eq!(sub["room"], room.as_str());
    assert_participant(member(&sub, &bob).expect("bob listed"), &bob, "member");
    assert_participant(member(&sub, &alice).expect("alice listed"), &alice, "owner");
    let joined = a.expect("member_joined").await;
    assert_eq!(joined["room"], room.as_str());
    assert_participant(&joined["member"], &bob, "member");
}

#[actix_web::test]
async fn subscribe_to_a_private_room_as_a_non_member_is_forbidden_even_with_join() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(
        &app.create_room(&alice, "secret", json!({"visibility": "private"}))
            .await,
    );
    let mut ws = app.ws(&bob).await;

    ws.send(json!({"type": "subscribe", "room": room, "ref": "plain"}))
        .await;
    ws.expect_error("forbidden", Some("plain")).await;
    ws.send(json!({"type": "subscribe", "room": room, "join": true, "ref": "join"}))
        .await;
    ws.expect_error("forbidden", Some("join")).await;
}

#[actix_web::test]
async fn subscribe_to_an_unknown_room_is_not_found() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let mut ws = app.ws(&alice).await;

    ws.send(json!({
        "type": "subscribe",
        "room": "00000000-0000-4000-8000-000000000000",
        "ref": "s1",
    }))
    .await;

    ws.expect_error("not_found", Some("s1")).await;
}

#[actix_web::test]
async fn more_subscriptions_than_max_subscriptions_get_conflict() {
    let app = spawn_app_with(|s| s.limits.max_subscriptions = 2).await;
    let alice = app.user("alice").await;
    let mut rooms = Vec::new();
    for name in ["one", "two", "three"] {
        rooms.push(id_of(&app.create_room(&alice, name, json!({})).await));
    }
    let mut ws = app.ws(&alice).await;
    ws.subscribe(&rooms[0]).await;
    ws.subscribe(&rooms[1]).await;

    ws.send(json!({"type": "subscribe", "room": rooms[2], "ref": "third"}))
        .await;
    ws.expect_error("conflict", Some("third")).await;

    // The limit counts current subscriptions: freeing one makes room.
    ws.unsubscribe(&rooms[0]).await;
    let sub = ws.subscribe(&rooms[2]).await;
    assert_eq!(sub["room"], rooms[2].as_str());
}

#[actix_web::test]
async fn subscriptions_ended_by_the_room_no_longer_count_against_the_limit() {
    let app = spawn_app_with(|s| s.limits.max_subscriptions = 2).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut rooms = Vec::new();
    for name in ["one", "two", "three", "four"] {
        rooms.push(id_of(&app.create_room(&alice, name, json!({})).await));
    }
    let mut ws = app.ws(&bob).await;
    ws.subscribe_joining(&rooms[0]).await;
    ws.subscribe_joining(&rooms[1]).await;

    // bob leaves one room over REST and the owner deletes the other: both
    // subscriptions end without an `unsubscribe` from this connection.
    let (status, body) = app
        .post(
            &format!("/api/rooms/{}/leave", rooms[0]),
            &bob.token,
            json!({}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = app
        .delete(&format!("/api/rooms/{}", rooms[1]), &alice.token)
        .await;
    assert_eq!(status, 204, "{body}");
    ws.expect("room_deleted").await;

    assert_eq!(
        ws.subscribe_joining(&rooms[2]).await["room"],
        rooms[2].as_str()
    );
    assert_eq!(
        ws.subscribe_joining(&rooms[3]).await["room"],
        rooms[3].as_str()
    );
}

// ---- unsubscribe ----------------------------------------------------------------

#[actix_web::test]
async fn unsubscribe_stops_delivery_without_a_reply() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut a = app.ws(&alice).await;
    a.subscribe(&room).await;
    let mut b = app.ws(&bob).await;
    b.subscribe_joining(&room).await;

    b.unsubscribe(&room).await;
    let replies = b.sync().await;
    a.say(&room, "anyone there?", "m1").await;
    a.expect("ack").await;

    assert!(replies.is_empty(), "unsubscribe got a reply: {replies:?}");
    b.expect_silence(QUIET).await;
}

// ---- message ------------------------------------------------------------------

#[actix_web::test]
async fn a_message_is_acked_to_its_sender_before_its_own_message_event() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut a = app.ws(&alice).await;
    a.subscribe(&room).await;
    let mut b = app.ws(&bob).await;
    b.subscribe_joining(&room).await;

    a.say(&room, "hello", "r1").await;

    let first = a.expect_one_of(&["ack", "message"]).await;
    assert_eq!(first["type"], "ack", "the ack comes first: {first}");
    assert_eq!(first["ref"], "r1");
    assert_eq!(first["seq"], 1);
    let own = a.expect("message").await;
    assert_eq!(own["room"], room.as_str());
    assert_eq!(own["message"]["id"], first["id"]);
    assert_eq!(own["message"]["seq"], first["seq"]);
    let theirs = b.expect("message").await;
    assert_eq!(theirs["message"], own["message"]);
}

#[actix_web::test]
async fn a_message_event_carries_the_full_message_object() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut a = app.ws(&alice).await;
    a.subscribe(&room).await;

    a.say(&room, "  hello there  ", "r1").await;
    let ack = a.expect("ack").await;
    let event = a.expect("message").await;

    let m = &event["message"];
    assert_eq!(m["id"], ack["id"]);
    assert!(m["id"].is_string());
    assert_eq!(m["room_id"], room.as_str());
    assert_eq!(m["seq"], 1);
    assert_eq!(m["author"]["id"], alice.id.as_str());
    assert_eq!(m["author"]["username"], "alice");
    assert_eq!(m["author"]["display_name"], "alice");
    assert_eq!(m["text"], "hello there", "text is trimmed: {m}");
    assert_eq!(m["reply_to"], Value::Null);
    assert_eq!(m["attachments"], json!([]));
    assert_eq!(m["reactions"], json!({}));
    assert!(m["created_at"].is_string());
    assert_eq!(m["edited_at"], Value::Null);
    assert_eq!(m["deleted"], false);
}

#[actix_web::test]
async fn consecutive_messages_get_consecutive_seqs() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut a = app.ws(&alice).await;

    let mut got = Vec::new();
    for i in 0..5 {
        a.say(&room, &format!("m{i}"), &format!("r{i}")).await;
        let ack = a.expect("ack").await;
        assert_eq!(ack["ref"], format!("r{i}"));
        got.push(ack["seq"].as_u64().expect("seq"));
    }

    assert_eq!(got, vec![1, 2, 3, 4, 5]);
}

#[actix_web::test]
async fn a_reply_carries_reply_to_and_a_reply_to_no_message_is_invalid() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut a = app.ws(&alice).await;
    a.subscribe(&room).await;
    a.say(&room, "question", "q").await;
    let root = a.expect("ack").await;

    a.send(json!({
        "type": "message", "room": room, "text": "answer",
        "reply_to": root["id"], "ref": "a",
    }))
    .await;
    a.expect("ack").await;
    let reply = loop {
        let m = a.expect("message").await;
        if m["message"]["text"] == "answer" {
            break m;
        }
    };
    assert_eq!(reply["message"]["reply_to"], root["id"]);

    a.send(json!({
        "type": "message", "room": room, "text": "to nothing",
        "reply_to": "00000000-0000-4000-8000-000000000000", "ref": "bad",
    }))
    .await;
    a.expect_error("invalid", Some("bad")).await;
}

#[actix_web::test]
async fn posting_needs_membership_not_a_subscription() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let (status, _) = app.join(&bob, &room).await;
    assert_eq!(status, 200);
    let mut a = app.ws(&alice).await;
    a.subscribe(&room).await;
    let mut b = app.ws(&bob).await;

    b.say(&room, "from outside", "r1").await;

    let ack = b.expect("ack").await;
    assert_eq!(ack["ref"], "r1");
    let event = a.expect("message").await;
    assert_eq!(event["message"]["text"], "from outside");
    assert_eq!(event["message"]["seq"], ack["seq"]);
    // Not subscribed: the sender gets no copy of the room event.
    b.expect_silence(QUIET).await;
}

#[actix_web::test]
async fn a_non_member_posting_gets_forbidden_and_nothing_is_delivered() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut a = app.ws(&alice).await;
    a.subscribe(&room).await;
    let mut b = app.ws(&bob).await;

    b.say(&room, "let me in", "r1").await;

    b.expect_error("forbidden", Some("r1")).await;
    a.expect_silence(QUIET).await;
}

#[actix_web::test]
async fn posting_to_an_unknown_room_is_not_found() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let mut a = app.ws(&alice).await;

    a.say("00000000-0000-4000-8000-000000000000", "hello?", "r1")
        .await;

    a.expect_error("not_found", Some("r1")).await;
}

#[actix_web::test]
async fn an_empty_text_is_invalid_and_a_too_long_text_is_too_large() {
    let app = spawn_app_with(|s| s.limits.max_message_chars = 10).await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut a = app.ws(&alice).await;
    a.subscribe(&room).await;

    a.say(&room, "", "empty").await;
    a.expect_error("invalid", Some("empty")).await;
    a.say(&room, "   \n\t ", "blank").await;
    a.expect_error("invalid", Some("blank")).await;
    a.say(&room, "01234567890", "long").await;
    a.expect_error("too_large", Some("long")).await;

    // Nothing was posted: the next message gets seq 1.
    a.say(&room, "0123456789", "ok").await;
    assert_eq!(a.expect("ack").await["seq"], 1);
}

#[actix_web::test]
async fn text_length_counts_unicode_scalar_values_after_trimming() {
    let app = spawn_app_with(|s| s.limits.max_message_chars = 5).await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut a = app.ws(&alice).await;

    // Five two-byte characters (ten bytes) with surrounding spaces.
    a.say(&room, "  ééééé  ", "five").await;
    let ack = a.expect_one_of(&["ack", "error"]).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    a.say(&room, "éééééé", "six").await;
    a.expect_error("too_large", Some("six")).await;
}

// ---- typing -------------------------------------------------------------------

/// alice and bob, both subscribed to a fresh room; the join and presence
/// frames are already drained.
async fn two_subscribers(
    app: &crate::helpers::TestApp,
) -> (
    TestUser,
    TestUser,
    String,
    crate::ws_client::WsClient,
    crate::ws_client::WsClient,
) {
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut a = app.ws(&alice).await;
    a.subscribe(&room).await;
    let mut b = app.ws(&bob).await;
    b.subscribe_joining(&room).await;
    a.expect("member_joined").await;
    a.expect("presence").await;
    a.sync().await;
    b.sync().await;
    (alice, bob, room, a, b)
}

#[actix_web::test]
async fn typing_reaches_other_subscribers_but_not_the_sender() {
    let app = spawn_app().await;
    let (alice, _bob, room, mut a, mut b) = two_subscribers(&app).await;

    a.typing(&room, true).await;

    let t = b.expect("typing").await;
    assert_eq!(t["room"], room.as_str());
    assert_eq!(t["user"], alice.id.as_str());
    assert_eq!(t["typing"], true);
    a.expect_silence(QUIET).await;
}

#[actix_web::test]
async fn typing_is_not_sent_to_the_senders_other_connections() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut b = app.ws(&bob).await;
    b.subscribe_joining(&room).await;
    let mut a1 = app.ws(&alice).await;
    a1.subscribe(&room).await;
    let mut a2 = app.ws(&alice).await;
    a2.subscribe(&room).await;
    a1.sync().await;
    a2.sync().await;

    a1.typing(&room, true).await;

    let t = b.expect("typing").await;
    assert_eq!(t["user"], alice.id.as_str());
    a2.expect_silence(QUIET).await;
}

#[actix_web::test]
async fn only_typing_transitions_are_broadcast_not_renewals() {
    let app = spawn_app().await;
    let (_alice, _bob, room, mut a, mut b) = two_subscribers(&app).await;

    a.typing(&room, true).await;
    assert_eq!(b.expect("typing").await["typing"], true);
    a.typing(&room, true).await;
    a.typing(&room, true).await;
    a.typing(&room, false).await;

    // Had a renewal been re-broadcast, a second `true` would come first.
    assert_eq!(b.expect("typing").await["typing"], false);
    b.expect_silence(QUIET).await;
}

#[actix_web::test]
async fn typing_expires_after_typing_ttl_without_renewal() {
    let ttl = Duration::from_millis(400);
    let app = spawn_app_with(|s| s.websocket.typing_ttl = ttl).await;
    let (alice, _bob, room, mut a, mut b) = two_subscribers(&app).await;

    a.typing(&room, true).await;
    assert_eq!(b.expect("typing").await["typing"], true);
    let started = Instant::now();

    let t = b.expect("typing").await;
    assert_eq!(t["typing"], false);
    assert_eq!(t["user"], alice.id.as_str());
    assert!(
        started.elapsed() >= ttl / 2,
        "typing lapsed after only {:?}",
        started.elapsed()
    );
}

#[actix_web::test]
async fn unsubscribing_while_typing_tells_others_typing_false() {
    let app = spawn_app().await;
    let (alice, _bob, room, mut a, mut b) = two_subscribers(&app).await;
    a.typing(&room, true).await;
    assert_eq!(b.expect("typing").await["typing"], true);

    a.unsubscribe(&room).await;

    let t = b.expect("typing").await;
    assert_eq!(t["typing"], false);
    assert_eq!(t["user"], alice.id.as_str());
}

#[actix_web::test]
async fn disconnecting_while_typing_tells_others_typing_false() {
    let app = spawn_app().await;
    let (alice, _bob, room, mut a, mut b) = two_subscribers(&app).await;
    a.typing(&room, true).await;
    assert_eq!(b.expect("typing").await["typing"], true);

    a.close().await;

    let t = b.expect("typing").await;
    assert_eq!(t["typing"], false);
    assert_eq!(t["user"], alice.id.as_str());
}

// ---- presence and membership events --------------------------------------------

#[actix_web::test]
async fn presence_is_sent_when_a_member_goes_online_and_offline() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    assert_eq!(app.join(&bob, &room).await.0, 200);
    let mut a = app.ws(&alice).await;
    a.subscribe(&room).await;
    let mut b = app.ws(&bob).await;

    b.subscribe(&room).await;
    let online = a.expect("presence").await;
    b.unsubscribe(&room).await;
    let offline = a.expect("presence").await;

    assert_eq!(online["room"], room.as_str());
    assert_eq!(online["user"], bob.id.as_str());
    assert_eq!(online["online"], true);
    assert_eq!(offline["user"], bob.id.as_str());
    assert_eq!(offline["online"], false);
}

#[actix_web::test]
async fn a_second_tab_does_not_resend_presence() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    assert_eq!(app.join(&bob, &room).await.0, 200);
    let mut a = app.ws(&alice).await;
    a.subscribe(&room).await;
    let (mut b1, mut b2) = (app.ws(&bob).await, app.ws(&bob).await);
    b1.subscribe(&room).await;
    assert_eq!(a.expect("presence").await["online"], true);

    b2.subscribe(&room).await;
    b1.unsubscribe(&room).await;
    b1.sync().await;
    b2.unsubscribe(&room).await;

    // Neither the second subscribe nor the first unsubscribe is a transition.
    let next = a.expect("presence").await;
    assert_eq!(next["online"], false, "{next}");
    assert_eq!(next["user"], bob.id.as_str());
    a.expect_silence(QUIET).await;
}

#[actix_web::test]
async fn disconnecting_the_last_subscribed_connection_sends_presence_offline() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut a = app.ws(&alice).await;
    a.subscribe(&room).await;
    let mut b = app.ws(&bob).await;
    b.subscribe_joining(&room).await;
    assert_eq!(a.expect("presence").await["online"], true);

    b.close().await;

    let p = a.expect("presence").await;
    assert_eq!(p["user"], bob.id.as_str());
    assert_eq!(p["online"], false);
}

#[actix_web::test]
async fn leaving_over_rest_sends_member_left_to_subscribers() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    assert_eq!(app.join(&bob, &room).await.0, 200);
    let mut a = app.ws(&alice).await;
    a.subscribe(&room).await;

    let (status, _) = app
        .post(&format!("/api/rooms/{room}/leave"), &bob.token, json!({}))
        .await;
    assert_eq!(status, 204);

    let left = a.expect("member_left").await;
    assert_eq!(left["room"], room.as_str());
    assert_eq!(left["user"], bob.id.as_str());
}

#[actix_web::test]
async fn joining_over_rest_sends_member_joined_to_subscribers() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut a = app.ws(&alice).await;
    a.subscribe(&room).await;

    assert_eq!(app.join(&bob, &room).await.0, 200);

    let joined = a.expect("member_joined").await;
    assert_eq!(joined["room"], room.as_str());
    assert_participant(&joined["member"], &bob, "member");
    assert_eq!(joined["member"]["online"], false);
}

#[actix_web::test]
async fn patching_a_room_sends_room_updated_with_the_new_room() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut b = app.ws(&bob).await;
    b.subscribe_joining(&room).await;

    let (status, body) = app
        .patch(
            &format!("/api/rooms/{room}"),
            &alice.token,
            json!({"name": "salon", "description": "new"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let updated = b.expect("room_updated").await;
    assert_eq!(updated["room"], room.as_str());
    assert_eq!(updated["info"]["id"], room.as_str());
    assert_eq!(updated["info"]["name"], "salon");
    assert_eq!(updated["info"]["description"], "new");
}

#[actix_web::test]
async fn deleting_a_room_sends_room_deleted_to_members_subscribed_or_not() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    assert_eq!(app.join(&bob, &room).await.0, 200);
    let mut subscribed = app.ws(&alice).await;
    subscribed.subscribe(&room).await;
    let mut unsubscribed = app.ws(&bob).await;
    unsubscribed.sync().await;
    let mut stranger = app.ws(&carol).await;

    let (status, _) = app
        .delete(&format!("/api/rooms/{room}"), &alice.token)
        .await;
    assert_eq!(status, 204);

    assert_eq!(
        subscribed.expect("room_deleted").await["room"],
        room.as_str()
    );
    assert_eq!(
        unsubscribed.expect("room_deleted").await["room"],
        room.as_str()
    );
    stranger.expect_silence(QUIET).await;
}

// ---- bad frames ---------------------------------------------------------------

#[actix_web::test]
async fn bad_frames_get_bad_request_errors_and_the_connection_stays_open() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "lobby", json!({})).await);
    let mut ws = app.ws(&alice).await;

    ws.send_raw(Message::Text("this is not json".into())).await;
    ws.expect_error("bad_request", None).await;
    ws.send_raw(Message::Text("[1, 2, 3]".into())).await;
    ws.expect_error("bad_request", None).await;
    ws.send(json!({"no_type": true})).await;
    ws.expect_error("bad_request", None).await;

    ws.send(json!({"type": "teleport", "ref": "unknown"})).await;
    ws.expect_error("bad_request", Some("unknown")).await;
    ws.send(json!({"type": "message", "room": room, "ref": "missing"}))
        .await;
    ws.expect_error("bad_request", Some("missing")).await;
    ws.send(json!({"type": "message", "room": room, "text": 42, "ref": "wrong"}))
        .await;
    ws.expect_error("bad_request", Some("wrong")).await;
    ws.send(json!({"type": "subscribe", "room": room, "since_seq": "x", "ref": "since"}))
        .await;
    ws.expect_error("bad_request", Some("since")).await;
    ws.send(json!({"type": "typing", "room": room, "typing": "yes", "ref": "t"}))
        .await;
    ws.expect_error("bad_request", Some("t")).await;

    ws.send(json!({"type": "ping", "ref": "alive"})).await;
    assert_eq!(ws.expect("pong").await["ref"], "alive");
}

#[actix_web::test]
async fn a_malformed_room_id_is_a_bad_request_or_not_found_never_a_crash() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let mut ws = app.ws(&alice).await;

    ws.send(json!({"type": "subscribe", "room": "not-a-uuid", "ref": "s"}))
        .await;
    let err = ws.expect("error").await;

    assert_eq!(err["ref"], "s");
    assert!(
        err["code"] == "bad_request" || err["code"] == "not_found",
        "{err}"
    );
    ws.send(json!({"type": "ping", "ref": "alive"})).await;
    assert_eq!(ws.expect("pong").await["ref"], "alive");
}

#[actix_web::test]
async fn a_binary_frame_gets_an_error_frame_and_the_connection_stays_open() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let mut ws = app.ws(&alice).await;

    ws.send_raw(Message::binary(vec![0x7b, 0x7d, 0x00, 0xff]))
        .await;

    let err = ws.expect("error").await;
    assert!(err["code"].is_string(), "{err}");
    ws.send(json!({"type": "ping", "ref": "alive"})).await;
    assert_eq!(ws.expect("pong").await["ref"], "alive");
}
