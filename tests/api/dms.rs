//! SPEC §5 direct messages (with §6 `dm` and `read` frames and §8 shapes),
//! blocking, and the room `read` frame.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app, spawn_app_with, spawn_with_settings};
use crate::ws_client::{WsClient, post_text, seqs};

const NOBODY: &str = "00000000-0000-4000-8000-000000000000";

async fn open(app: &TestApp, me: &TestUser, peer_id: &str) -> (u16, Value) {
    app.post("/api/dms", &me.token, json!({"user_id": peer_id}))
        .await
}

/// Opens (or gets) `me`'s conversation with `peer`; returns its id.
async fn conversation(app: &TestApp, me: &TestUser, peer: &TestUser) -> String {
    let (status, body) = open(app, me, &peer.id).await;
    assert!(status == 200 || status == 201, "open dm: {status} {body}");
    body["id"].as_str().unwrap().to_string()
}

async fn send(app: &TestApp, me: &TestUser, conversation: &str, body: Value) -> (u16, Value) {
    app.post(
        &format!("/api/dms/{conversation}/messages"),
        &me.token,
        body,
    )
    .await
}

async fn say(app: &TestApp, me: &TestUser, conversation: &str, text: &str) -> Value {
    let (status, body) = send(app, me, conversation, json!({"text": text})).await;
    assert_eq!(status, 201, "send dm: {body}");
    body
}

async fn history(app: &TestApp, me: &TestUser, conversation: &str, query: &str) -> (u16, Value) {
    app.get(
        &format!("/api/dms/{conversation}/messages{query}"),
        &me.token,
    )
    .await
}

async fn list(app: &TestApp, me: &TestUser) -> Vec<Value> {
    let (status, body) = app.get("/api/dms", &me.token).await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap_or_else(|| panic!("not an array: {body}"))
        .clone()
}

async fn block(app: &TestApp, me: &TestUser, other_id: &str) -> (u16, Value) {
    app.post(
        &format!("/api/users/{other_id}/block"),
        &me.token,
        json!({}),
    )
    .await
}

async fn unblock(app: &TestApp, me: &TestUser, other_id: &str) -> (u16, Value) {
    app.delete(&format!("/api/users/{other_id}/block"), &me.token)
        .await
}

async fn room_unread(app: &TestApp, member: &TestUser, room: &str) -> Value {
    let (status, body) = app.get(&format!("/api/rooms/{room}"), &member.token).await;
    assert_eq!(status, 200, "{body}");
    body["unread"].clone()
}

/// Frames received up to a ping barrier, of type `kind`.
async fn frames_of(ws: &mut WsClient, kind: &str) -> Vec<Value> {
    ws.sync()
        .await
        .into_iter()
        .filter(|f| f["type"] == kind)
        .collect()
}

// ---- opening conversations ----

#[actix_web::test]
async fn opening_a_conversation_is_201_then_200_with_the_same_id_from_either_side() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);

    let (status, created) = open(&app, &alice, &bob.id).await;

    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("conversation id");
    assert_eq!(created["peer"]["id"], bob.id.as_str());
    assert_eq!(created["peer"]["username"], "bob");
    assert_eq!(created["peer"]["display_name"], "bob");
    assert!(created["peer"]["email"].is_null(), "{created}");
    assert!(created["last_message"].is_null(), "{created}");
    assert_eq!(created["unread"], 0);

    let (status, again) = open(&app, &alice, &bob.id).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"], id);
    let (status, theirs) = open(&app, &bob, &alice.id).await;
    assert_eq!(status, 200, "{theirs}");
    assert_eq!(
        theirs["id"], id,
        "one conversation per pair, either direction"
    );
    assert_eq!(theirs["peer"]["id"], alice.id.as_str());
}

#[actix_web::test]
async fn opening_a_conversation_with_oneself_nobody_or_a_blocker_is_refused() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);

    let (status, body) = open(&app, &alice, &alice.id).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(TestApp::error_code(&body), "invalid");
    let (status, body) = open(&app, &alice, NOBODY).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(TestApp::error_code(&body), "not_found");
    let (status, body) = app.post("/api/dms", &alice.token, json!({})).await;
    assert_eq!(status, 400, "a missing user_id: {body}");
    assert_eq!(TestApp::error_code(&body), "bad_request");

    assert_eq!(block(&app, &bob, &alice.id).await.0, 204);
    let (status, body) = open(&app, &alice, &bob.id).await;
    assert_eq!(status, 403, "bob blocked alice: {body}");
    assert_eq!(TestApp::error_code(&body), "forbidden");
    let (status, body) = open(&app, &bob, &alice.id).await;
    assert_eq!(status, 201, "the blocker may still write: {body}");
}

// ---- sending ----

#[actix_web::test]
async fn a_dm_reaches_every_connection_of_both_users_the_senders_included() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let id = conversation(&app, &alice, &bob).await;
    let mut alice_ws = [app.ws(&alice).await, app.ws(&alice).await];
    let mut bob_ws = app.ws(&bob).await;
    let mut carol_ws = app.ws(&carol).await;
    for ws in alice_ws.iter_mut().chain([&mut bob_ws, &mut carol_ws]) {
        ws.sync().await;
    }

    let (status, message) = send(&app, &alice, &id, json!({"text": "  hello bob  "})).await;

    assert_eq!(status, 201, "{message}");
    assert!(message["id"].is_string(), "{message}");
    assert_eq!(message["conversation_id"], id.as_str());
    assert!(message.get("room_id").is_none(), "no room_id: {message}");
    assert_eq!(message["seq"], 1);
    assert_eq!(message["author"]["id"], alice.id.as_str());
    assert_eq!(message["author"]["username"], "alice");
    assert_eq!(message["author"]["display_name"], "alice");
    assert_eq!(message["text"], "hello bob", "trimmed");
    assert!(message["reply_to"].is_null(), "{message}");
    assert_eq!(message["attachments"], json!([]));
    assert_eq!(message["reactions"], json!({}));
    assert!(message["created_at"].is_string(), "{message}");
    assert!(message["edited_at"].is_null(), "{message}");
    assert_eq!(message["deleted"], false);
    for ws in alice_ws.iter_mut().chain([&mut bob_ws]) {
        let dm = ws.expect("dm").await;
        assert_eq!(dm["conversation"], id.as_str());
        assert_eq!(dm["message"], message);
    }
    assert!(frames_of(&mut carol_ws, "dm").await.is_empty());
    assert_eq!(say(&app, &bob, &id, "hi alice").await["seq"], 2);
}

#[actix_web::test]
async fn a_dm_frame_is_acked_to_its_connection_only_and_reaches_both_users() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let id = conversation(&app, &alice, &bob).await;
    let mut sender = app.ws(&alice).await;
    let mut other = app.ws(&alice).await;
    other.sync().await;
    let mut bob_ws = app.ws(&bob).await;
    bob_ws.sync().await;

    sender
        .send(json!({"type": "dm", "conversation": id, "text": "over ws", "ref": "d1"}))
        .await;

    let ack = sender.expect_one_of(&["ack", "dm"]).await;
    assert_eq!(ack["type"], "ack", "the ack comes before the event: {ack}");
    assert_eq!(ack["ref"], "d1");
    assert_eq!(ack["seq"], 1);
    let own = sender.expect("dm").await;
    assert_eq!(own["message"]["id"], ack["id"]);
    assert_eq!(own["message"]["text"], "over ws");
    let theirs = bob_ws.expect("dm").await;
    assert_eq!(theirs["conversation"], id.as_str());
    assert_eq!(theirs["message"]["id"], ack["id"]);
    let seen = other.sync().await;
    assert!(
        seen.iter().any(|f| f["type"] == "dm"),
        "the sender's other connection gets the dm: {seen:?}"
    );
    assert!(
        !seen.iter().any(|f| f["type"] == "ack"),
        "but not the ack: {seen:?}"
    );
    let (_, page) = history(&app, &bob, &id, "").await;
    assert_eq!(
        page[0]["id"], ack["id"],
        "a WS dm is stored like a REST one"
    );
}

#[actix_web::test]
async fn dm_text_and_reply_to_are_validated_like_room_messages() {
    let app = spawn_app_with(|s| s.limits.max_message_chars = 10).await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let id = conversation(&app, &alice, &bob).await;
    let other = conversation(&app, &alice, &carol).await;
    let elsewhere = say(&app, &alice, &other, "elsewhere").await;
    let first = say(&app, &bob, &id, "question").await;

    let cases = [
        (json!({"text": "   "}), 422, "invalid", "blank text"),
        (
            json!({"text": "x".repeat(11)}),
            413,
            "too_large",
            "too long",
        ),
        (json!({}), 400, "bad_request", "missing text"),
        (
            json!({"text": "re", "reply_to": elsewhere["id"]}),
            422,
            "invalid",
            "a reply to another conversation",
        ),
        (
            json!({"text": "re", "reply_to": NOBODY}),
            422,
            "invalid",
            "a reply to no message",
        ),
    ];
    for (body, status, code, what) in cases {
        let (got, answer) = send(&app, &alice, &id, body).await;
        assert_eq!(got, status, "{what}: {answer}");
        assert_eq!(TestApp::error_code(&answer), code, "{what}");
    }
    let (status, reply) = send(
        &app,
        &alice,
        &id,
        json!({"text": "answer", "reply_to": first["id"]}),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["reply_to"], first["id"]);
    assert_eq!(reply["seq"], 2, "refused sends used no seq");
    assert_eq!(
        say(&app, &alice, &other, "again").await["seq"],
        2,
        "seq is per conversation"
    );
}

// ---- listing, unread, read markers ----

#[actix_web::test]
async fn conversations_are_listed_most_recent_first_with_last_message_and_unread() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let with_bob = conversation(&app, &alice, &bob).await;
    let with_carol = conversation(&app, &alice, &carol).await;
    say(&app, &bob, &with_bob, "one").await;
    say(&app, &bob, &with_bob, "two").await;
    say(&app, &carol, &with_carol, "from carol").await;

    let mine = list(&app, &alice).await;
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert_eq!(mine[0]["id"], with_carol.as_str());
    assert_eq!(mine[0]["peer"]["id"], carol.id.as_str());
    assert_eq!(mine[0]["last_message"]["text"], "from carol");
    assert_eq!(mine[0]["unread"], 1);
    assert_eq!(mine[1]["id"], with_bob.as_str());
    assert_eq!(mine[1]["last_message"]["text"], "two");
    assert_eq!(
        mine[1]["last_message"]["conversation_id"],
        with_bob.as_str()
    );
    assert_eq!(mine[1]["unread"], 2);

    say(&app, &alice, &with_bob, "my answer").await;

    let mine = list(&app, &alice).await;
    assert_eq!(mine[0]["id"], with_bob.as_str(), "{mine:?}");
    assert_eq!(mine[0]["last_message"]["text"], "my answer");
    assert_eq!(mine[0]["unread"], 2, "one's own messages are never unread");
    let theirs = list(&app, &bob).await;
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!(theirs[0]["peer"]["id"], alice.id.as_str());
    assert_eq!(theirs[0]["unread"], 1);
    assert_eq!(list(&app, &carol).await[0]["unread"], 0);
}

#[actix_web::test]
async fn a_read_frame_with_a_conversation_moves_the_readers_marker() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let id = conversation(&app, &alice, &bob).await;
    for text in ["a", "b", "c"] {
        say(&app, &bob, &id, text).await;
    }
    let mut ws = app.ws(&alice).await;
    let unread = |l: Vec<Value>| l[0]["unread"].clone();
    assert_eq!(unread(list(&app, &alice).await), 3);

    ws.send(json!({"type": "read", "conversation": id, "seq": 1, "ref": "r1"}))
        .await;
    let replies: Vec<Value> = ws
        .sync()
        .await
        .into_iter()
        .filter(|f| f["ref"] == "r1")
        .collect();
    assert!(replies.is_empty(), "read has no reply: {replies:?}");
    assert_eq!(unread(list(&app, &alice).await), 2);

    ws.send(json!({"type": "read", "conversation": id, "seq": 99}))
        .await;
    ws.sync().await;
    assert_eq!(unread(list(&app, &alice).await), 0);
    ws.send(json!({"type": "read", "conversation": id, "seq": 0}))
        .await;
    ws.sync().await;
    assert_eq!(
        unread(list(&app, &alice).await),
        0,
        "a marker never moves back"
    );
    say(&app, &bob, &id, "d").await;
    assert_eq!(
        unread(list(&app, &alice).await),
        1,
        "a read past the end was clamped to the latest seq"
    );
    assert_eq!(unread(list(&app, &bob).await), 0, "bob's marker is his own");
}

#[actix_web::test]
async fn a_read_frame_with_a_room_moves_the_members_room_marker() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create_room(&alice, "lobby", json!({})).await;
    let room = room["id"].as_str().unwrap().to_string();
    assert_eq!(app.join(&bob, &room).await.0, 200);
    for text in ["1", "2", "3"] {
        post_text(&app, &alice, &room, text).await;
    }
    assert_eq!(room_unread(&app, &bob, &room).await, 3);
    let mut ws = app.ws(&bob).await;

    ws.send(json!({"type": "read", "room": room, "seq": 2}))
        .await;
    ws.sync().await;
    assert_eq!(room_unread(&app, &bob, &room).await, 1);
    ws.send(json!({"type": "read", "room": room, "seq": 1000}))
        .await;
    ws.sync().await;
    assert_eq!(room_unread(&app, &bob, &room).await, 0);

    ws.send(json!({"type": "read", "room": room, "conversation": NOBODY, "seq": 1, "ref": "both"}))
        .await;
    ws.expect_error("bad_request", Some("both")).await;
    ws.send(json!({"type": "read", "seq": 1, "ref": "neither"}))
        .await;
    ws.expect_error("bad_request", Some("neither")).await;
}

// ---- history ----

#[actix_web::test]
async fn dm_history_pages_in_ascending_seq_like_a_room() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let id = conversation(&app, &alice, &bob).await;
    for i in 1..=5 {
        let from = if i % 2 == 0 { &bob } else { &alice };
        say(&app, from, &id, &format!("m{i}")).await;
    }

    let pages = [
        ("", vec![1, 2, 3, 4, 5]),
        ("?limit=2", vec![4, 5]),
        ("?before=4&limit=2", vec![2, 3]),
        ("?after=1&limit=2", vec![2, 3]),
        ("?after=5", vec![]),
        ("?limit=1000", vec![1, 2, 3, 4, 5]),
    ];
    for (query, want) in pages {
        for reader in [&alice, &bob] {
            let (status, page) = history(&app, reader, &id, query).await;
            assert_eq!(status, 200, "{query}: {page}");
            assert_eq!(seqs(&page), want, "{query} as {}", reader.username);
        }
    }
    let (_, page) = history(&app, &alice, &id, "?limit=1").await;
    assert_eq!(page[0]["text"], "m5");
    assert_eq!(page[0]["author"]["id"], alice.id.as_str());
    let (status, body) = history(&app, &alice, &id, "?limit=0").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(TestApp::error_code(&body), "invalid");
}

#[actix_web::test]
async fn dms_are_stored_and_survive_a_restart() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let id = conversation(&app, &alice, &bob).await;
    say(&app, &alice, &id, "before").await;
    say(&app, &bob, &id, "the restart").await;

    app.shutdown().await;
    let mut s = parlor::config::Settings::default();
    s.server.bind = "127.0.0.1:0".parse().unwrap();
    s.server.workers = 2;
    s.server.room_threads = 2;
    s.database.path = app.db_path.clone();
    s.limits.auth_attempts_per_min = 1000;
    let app = spawn_with_settings(s, app.dir, app.db_path).await;

    let (status, page) = history(&app, &alice, &id, "").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(seqs(&page), vec![1, 2]);
    assert_eq!(page[1]["text"], "the restart");
    let mine = list(&app, &alice).await;
    assert_eq!(mine[0]["last_message"]["text"], "the restart");
    assert_eq!(mine[0]["unread"], 1);
    assert_eq!(say(&app, &alice, &id, "after").await["seq"], 3);
}

// ---- who may see a conversation ----

#[actix_web::test]
async fn a_conversation_is_404_to_everyone_but_its_two_users() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let id = conversation(&app, &alice, &bob).await;
    say(&app, &alice, &id, "private").await;
    let mut bob_ws = app.ws(&bob).await;
    bob_ws.sync().await;

    for conv in [id.as_str(), NOBODY] {
        let (status, body) = history(&app, &carol, conv, "").await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(TestApp::error_code(&body), "not_found");
        let (status, body) = send(&app, &carol, conv, json!({"text": "hi"})).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(TestApp::error_code(&body), "not_found");
    }
    assert_eq!(history(&app, &alice, NOBODY, "").await.0, 404);
    let mut carol_ws = app.ws(&carol).await;
    carol_ws
        .send(json!({"type": "dm", "conversation": id, "text": "hi", "ref": "c1"}))
        .await;
    carol_ws.expect_error("not_found", Some("c1")).await;
    carol_ws
        .send(json!({"type": "read", "conversation": id, "seq": 1, "ref": "c2"}))
        .await;
    carol_ws.expect_error("not_found", Some("c2")).await;
    assert!(frames_of(&mut bob_ws, "dm").await.is_empty());
    assert!(list(&app, &carol).await.is_empty());
    assert_eq!(list(&app, &alice).await[0]["unread"], 0);
}

// ---- blocking ----

#[actix_web::test]
async fn a_blocked_sender_gets_403_over_rest_and_ws_until_unblocked() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let id = conversation(&app, &alice, &bob).await;
    let mut bob_ws = app.ws(&bob).await;
    bob_ws.sync().await;
    let mut alice_ws = app.ws(&alice).await;
    alice_ws.sync().await;

    assert_eq!(block(&app, &bob, &alice.id).await.0, 204);
    assert_eq!(block(&app, &bob, &alice.id).await.0, 204, "idempotent");

    let (status, body) = send(&app, &alice, &id, json!({"text": "hello?"})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(TestApp::error_code(&body), "forbidden");
    alice_ws
        .send(json!({"type": "dm", "conversation": id, "text": "hello?", "ref": "b1"}))
        .await;
    alice_ws.expect_error("forbidden", Some("b1")).await;
    assert!(frames_of(&mut bob_ws, "dm").await.is_empty());
    assert_eq!(
        say(&app, &bob, &id, "blocking is one way").await["seq"],
        1,
        "refused sends stored nothing"
    );
    bob_ws.sync().await; // bob's own message reaches his connections too

    assert_eq!(unblock(&app, &bob, &alice.id).await.0, 204);
    assert_eq!(unblock(&app, &bob, &alice.id).await.0, 204, "idempotent");
    let message = say(&app, &alice, &id, "friends again").await;
    assert_eq!(
        bob_ws.expect("dm").await["message"]["id"],
        message["id"],
        "delivered again"
    );
}

#[actix_web::test]
async fn blocking_oneself_is_422_and_an_unknown_user_404() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, body) = block(&app, &alice, &alice.id).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(TestApp::error_code(&body), "invalid");
    for (status, body) in [
        block(&app, &alice, NOBODY).await,
        unblock(&app, &alice, NOBODY).await,
    ] {
        assert_eq!(status, 404, "{body}");
        assert_eq!(TestApp::error_code(&body), "not_found");
    }
}
