//! SPEC §4, §6 and §8 for what happens to a message after it is posted:
//! replies and threads, edits, soft deletes, reactions, full-text search,
//! over REST and over the WebSocket, in temporary and persistent rooms.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app, spawn_app_with, spawn_with_settings};
use crate::ws_client::{WsClient, id_of, post_text, seqs};

const UNKNOWN_ID: &str = "00000000-0000-4000-8000-000000000000";

fn messages(room: &str) -> String {
    format!("/api/rooms/{room}/messages")
}

fn message(room: &str, mid: &str) -> String {
    format!("/api/rooms/{room}/messages/{mid}")
}

fn mid(m: &Value) -> String {
    m["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {m}"))
        .to_string()
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn edit(app: &TestApp, user: &TestUser, room: &str, mid: &str, text: &str) -> (u16, Value) {
    app.patch(&message(room, mid), &user.token, json!({"text": text}))
        .await
}

async fn delete(app: &TestApp, user: &TestUser, room: &str, mid: &str) -> (u16, Value) {
    app.delete(&message(room, mid), &user.token).await
}

/// `PUT` (on) or `DELETE` (off) the caller's `emoji` reaction.
async fn react(
    app: &TestApp,
    user: &TestUser,
    room: &str,
    mid: &str,
    emoji: &str,
    on: bool,
) -> (u16, Value) {
    let method = if on {
        reqwest::Method::PUT
    } else {
        reqwest::Method::DELETE
    };
    let path = format!("{}/reactions/{}", message(room, mid), enc(emoji));
    app.call(method, &path, Some(&user.token), None).await
}

/// The message with `seq`, read back through paging.
async fn message_at(app: &TestApp, user: &TestUser, room: &str, seq: u64) -> Value {
    let (status, list) = app
        .get(
            &format!("{}?after={}&limit=1", messages(room), seq - 1),
            &user.token,
        )
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list[0]["seq"], seq, "{list}");
    list[0].clone()
}

async fn search(app: &TestApp, user: &TestUser, room: &str, q: &str) -> (u16, Value) {
    app.get(
        &format!("{}/search?q={}", messages(room), enc(q)),
        &user.token,
    )
    .await
}

/// Searches as a member, asserting 200; returns the texts in answer order.
async fn search_texts(app: &TestApp, user: &TestUser, room: &str, q: &str) -> Vec<String> {
    let (status, list) = search(app, user, room, q).await;
    assert_eq!(status, 200, "q={q:?}: {list}");
    list.as_array()
        .unwrap_or_else(|| panic!("q={q:?}: not an array: {list}"))
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

async fn set_role(app: &TestApp, owner: &TestUser, room: &str, user: &TestUser, role: &str) {
    let (status, body) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/rooms/{room}/members/{}/role", user.id),
            Some(&owner.token),
            Some(json!({"role": role})),
        )
        .await;
    assert_eq!(status, 200, "set role: {body}");
}

/// A public room owned by `alice`, with `bob` as a plain member.
async fn shared_room(app: &TestApp, alice: &TestUser, bob: &TestUser, persistent: bool) -> String {
    let room = id_of(
        &app.create_room(alice, "talk", json!({"persistent": persistent}))
            .await,
    );
    assert_eq!(app.join(bob, &room).await.0, 200);
    room
}

/// An admin made with `parlor user add NAME --admin` on the app's database,
/// while the server runs (SPEC §8), then logged in.
async fn admin(app: &TestApp, name: &str) -> TestUser {
    const PASSWORD: &str = "admin password 1";
    let db = app.db_path.clone();
    let who = name.to_string();
    let output = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_parlor"));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PARLOR__") {
                cmd.env_remove(key);
            }
        }
        let mut child = cmd
            .args(["user", "add", &who, "--admin"])
            .env("PARLOR__DATABASE__PATH", &db)
            .current_dir(db.parent().unwrap())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("parlor user add starts");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .unwrap();
        child.wait_with_output().expect("parlor user add runs")
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "user add: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (status, body) = app
        .call(
            reqwest::Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": name, "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 200, "admin login: {body}");
    assert_eq!(body["user"]["is_admin"], true);
    TestUser {
        id: body["user"]["id"].as_str().unwrap().to_string(),
        username: name.to_string(),
        password: PASSWORD.to_string(),
        token: body["access_token"].as_str().unwrap().to_string(),
        refresh_token: body["refresh_token"].as_str().unwrap().to_string(),
    }
}

async fn restart(app: TestApp) -> TestApp {
    app.shutdown().await;
    let mut s = parlor::config::Settings::default();
    s.server.bind = "127.0.0.1:0".parse().unwrap();
    s.server.workers = 2;
    s.server.room_threads = 2;
    s.database.path = app.db_path.clone();
    s.limits.auth_attempts_per_min = 1000;
    spawn_with_settings(s, app.dir, app.db_path).await
}

/// Reads the next `ack` or `error` for a frame sent with a ref.
async fn ack_or_error(ws: &mut WsClient) -> Value {
    ws.expect_one_of(&["ack", "error"]).await
}

// ---- replies and threads -----------------------------------------------------------

#[actix_web::test]
async fn a_reply_to_another_rooms_message_or_an_unknown_id_is_422_and_posts_nothing() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(
        &app.create_room(&alice, "here", json!({"persistent": true}))
            .await,
    );
    let elsewhere = id_of(
        &app.create_room(&alice, "there", json!({"persistent": true}))
            .await,
    );
    let foreign = post_text(&app, &alice, &elsewhere, "over there").await;
    post_text(&app, &alice, &room, "first").await;

    for reply_to in [mid(&foreign), UNKNOWN_ID.to_string()] {
        let (status, body) = app
            .post(
                &messages(&room),
                &alice.token,
                json!({"text": "re", "reply_to": reply_to}),
            )
            .await;
        assert_eq!(status, 422, "reply_to {reply_to}: {body}");
        assert_eq!(TestApp::error_code(&body), "invalid");
    }
    let mut ws = app.ws(&alice).await;
    ws.send(json!({"type": "message", "room": room, "text": "re",
                   "reply_to": mid(&foreign), "ref": "r1"}))
        .await;
    ws.expect_error("invalid", Some("r1")).await;

    assert_eq!(
        post_text(&app, &alice, &room, "second").await["seq"],
        2,
        "the refused replies took no seq"
    );
}

#[actix_web::test]
async fn a_reply_to_a_persistent_message_older_than_the_ring_is_accepted() {
    let app = spawn_app_with(|s| s.rooms.history_len = 3).await;
    let alice = app.user("alice").await;
    let room = id_of(
        &app.create_room(&alice, "deep", json!({"persistent": true}))
            .await,
    );
    let root = post_text(&app, &alice, &room, "the old one").await;
    for i in 2..=8 {
        post_text(&app, &alice, &room, &format!("m{i}")).await;
    }

    let (status, reply) = app
        .post(
            &messages(&room),
            &alice.token,
            json!({"text": "late answer", "reply_to": mid(&root)}),
        )
        .await;

    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["reply_to"], root["id"]);
    let (status, thread) = app
        .get(
            &format!("{}/thread", message(&room, &mid(&root))),
            &alice.token,
        )
        .await;
    assert_eq!(status, 200, "{thread}");
    assert_eq!(thread["root"]["text"], "the old one");
    assert_eq!(seqs(&thread["replies"]), [9]);
}

#[actix_web::test]
async fn a_thread_is_its_root_and_every_reply_to_it_in_ascending_order() {
    for persistent in [false, true] {
        let app = spawn_app().await;
        let (alice, bob) = (app.user("alice").await, app.user("bob").await);
        let room = shared_room(&app, &alice, &bob, persistent).await;
        let root = post_text(&app, &alice, &room, "root").await;
        let other = post_text(&app, &alice, &room, "unrelated").await;
        let reply = |user: &TestUser, to: &Value, text: &str| {
            let body = json!({"text": text, "reply_to": to["id"]});
            let (app, path, token) = (&app, messages(&room), user.token.clone());
            async move {
                let (status, m) = app.post(&path, &token, body).await;
                assert_eq!(status, 201, "{m}");
                m
            }
        };
        let r1 = reply(&bob, &root, "r1").await;
        reply(&alice, &other, "answers another").await;
        let r2 = reply(&alice, &root, "r2").await;
        let mut ws = app.ws(&bob).await;
        ws.send(json!({"type": "message", "room": room, "text": "r3",
                       "reply_to": root["id"], "ref": "r3"}))
            .await;
        let r3 = ack_or_error(&mut ws).await;
        assert_eq!(r3["type"], "ack", "{r3}");

        let (status, thread) = app
            .get(
                &format!("{}/thread", message(&room, &mid(&root))),
                &bob.token,
            )
            .await;

        assert_eq!(status, 200, "{thread}");
        assert_eq!(thread["root"]["id"], root["id"]);
        assert_eq!(thread["root"]["text"], "root");
        let replies = thread["replies"].as_array().unwrap();
        let ids: Vec<&Value> = replies.iter().map(|m| &m["id"]).collect();
        assert_eq!(ids, [&r1["id"], &r2["id"], &r3["id"]], "{thread}");
        assert!(
            replies.iter().all(|m| m["reply_to"] == root["id"]),
            "{thread}"
        );
        let (status, lonely) = app
            .get(&format!("{}/thread", message(&room, &mid(&r1))), &bob.token)
            .await;
        assert_eq!(status, 200, "{lonely}");
        assert_eq!(lonely["root"]["id"], r1["id"]);
        assert_eq!(lonely["replies"], json!([]));
    }
}

#[actix_web::test]
async fn a_thread_of_an_unknown_message_or_another_rooms_message_is_404_not_found() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "here", json!({})).await);
    let elsewhere = id_of(&app.create_room(&alice, "there", json!({})).await);
    let foreign = post_text(&app, &alice, &elsewhere, "over there").await;

    for m in [UNKNOWN_ID.to_string(), mid(&foreign)] {
        let (status, body) = app
            .get(&format!("{}/thread", message(&room, &m)), &alice.token)
            .await;
        assert_eq!(status, 404, "{m}: {body}");
        assert_eq!(TestApp::error_code(&body), "not_found");
    }
}

#[actix_web::test]
async fn a_stranger_reading_a_private_rooms_thread_is_403_forbidden() {
    let app = spawn_app().await;
    let (alice, eve) = (app.user("alice").await, app.user("eve").await);
    let room = id_of(
        &app.create_room(&alice, "secret", json!({"visibility": "private"}))
            .await,
    );
    let root = post_text(&app, &alice, &room, "hush").await;

    let (status, body) = app
        .get(
            &format!("{}/thread", message(&room, &mid(&root))),
            &eve.token,
        )
        .await;

    assert_eq!(status, 403, "{body}");
    assert_eq!(TestApp::error_code(&body), "forbidden");
}

// ---- edit ----------------------------------------------------------------------------

#[actix_web::test]
async fn the_author_editing_gets_200_with_the_new_text_and_edited_at_and_subscribers_are_told() {
    for persistent in [false, true] {
        let app = spawn_app().await;
        let (alice, bob) = (app.user("alice").await, app.user("bob").await);
        let room = shared_room(&app, &alice, &bob, persistent).await;
        let original = post_text(&app, &alice, &room, "helo world").await;
        let mut watcher = app.ws(&bob).await;
        watcher.subscribe(&room).await;

        let (status, edited) = edit(&app, &alice, &room, &mid(&original), "  hello world ").await;

        assert_eq!(status, 200, "{edited}");
        assert_eq!(edited["text"], "hello world", "trimmed");
        let at = edited["edited_at"].as_str().expect("edited_at is set");
        assert!(
            at.ends_with('Z') && at.len() == "2026-11-22T10:00:00.123Z".len(),
            "RFC 3339 with milliseconds: {at}"
        );
        for key in ["id", "seq", "room_id", "author", "created_at", "reply_to"] {
            assert_eq!(edited[key], original[key], "{key} changed by the edit");
        }
        assert_eq!(edited["deleted"], false);
        let event = watcher.expect("message_edited").await;
        assert_eq!(event["room"], room.as_str());
        assert_eq!(event["message"], edited, "persistent: {persistent}");
        assert_eq!(message_at(&app, &bob, &room, 1).await, edited);
    }
}

#[actix_web::test]
async fn an_edit_frame_acks_the_sending_connection_before_message_edited() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = shared_room(&app, &alice, &bob, true).await;
    let original = post_text(&app, &alice, &room, "draft").await;
    let mut sender = app.ws(&alice).await;
    sender.subscribe(&room).await;
    let mut other_tab = app.ws(&alice).await;
    other_tab.subscribe(&room).await;
    let mut watcher = app.ws(&bob).await;
    watcher.subscribe(&room).await;

    sender
        .send(json!({"type": "edit", "room": room, "id": original["id"],
                     "text": "final", "ref": "e1"}))
        .await;

    let first = sender.expect_one_of(&["ack", "message_edited"]).await;
    assert_eq!(first["type"], "ack", "the ack comes first: {first}");
    assert_eq!(first["ref"], "e1");
    assert_eq!(first["id"], original["id"]);
    assert_eq!(first["seq"], 1);
    let own = sender.expect("message_edited").await;
    assert_eq!(own["message"]["text"], "final");
    for ws in [&mut other_tab, &mut watcher] {
        let got = ws.expect_one_of(&["ack", "message_edited"]).await;
        assert_eq!(got["type"], "message_edited", "no ack elsewhere: {got}");
        assert_eq!(got["room"], room.as_str());
        assert_eq!(got["message"]["id"], original["id"]);
        assert_eq!(got["message"]["text"], "final");
        assert!(got["message"]["edited_at"].is_string(), "{got}");
    }
    assert_eq!(message_at(&app, &bob, &room, 1).await["text"], "final");
}

#[actix_web::test]
async fn only_the_author_may_edit_not_even_the_owner_or_a_moderator() {
    let app = spawn_app().await;
    let (alice, bob, carol, dave) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
        app.user("dave").await,
    );
    let room = shared_room(&app, &alice, &bob, true).await;
    for u in [&carol, &dave] {
        assert_eq!(app.join(u, &room).await.0, 200);
    }
    set_role(&app, &alice, &room, &carol, "moderator").await;
    let bobs = post_text(&app, &bob, &room, "bob's words").await;

    for (who, user) in [("owner", &alice), ("moderator", &carol), ("member", &dave)] {
        let (status, body) = edit(&app, user, &room, &mid(&bobs), "not yours").await;
        assert_eq!(status, 403, "{who}: {body}");
        assert_eq!(TestApp::error_code(&body), "forbidden");
    }
    let mut ws = app.ws(&alice).await;
    ws.send(json!({"type": "edit", "room": room, "id": bobs["id"],
                   "text": "not yours", "ref": "e"}))
        .await;
    ws.expect_error("forbidden", Some("e")).await;

    let kept = message_at(&app, &bob, &room, 1).await;
    assert_eq!(kept["text"], "bob's words");
    assert_eq!(kept["edited_at"], Value::Null);
}

#[actix_web::test]
async fn editing_a_deleted_message_is_409_conflict() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "talk", json!({})).await);
    let m = post_text(&app, &alice, &room, "regret").await;
    assert_eq!(delete(&app, &alice, &room, &mid(&m)).await.0, 204);

    let (status, body) = edit(&app, &alice, &room, &mid(&m), "undo").await;

    assert_eq!(status, 409, "{body}");
    assert_eq!(TestApp::error_code(&body), "conflict");
    let kept = message_at(&app, &alice, &room, 1).await;
    assert_eq!(
        (&kept["text"], &kept["deleted"]),
        (&json!(""), &json!(true))
    );
}

#[actix_web::test]
async fn an_edit_to_empty_text_is_422_and_over_max_message_chars_is_413() {
    let app = spawn_app_with(|s| s.limits.max_message_chars = 10).await;
    let alice = app.user("alice").await;
    let room = id_of(
        &app.create_room(&alice, "talk", json!({"persistent": true}))
            .await,
    );
    let m = post_text(&app, &alice, &room, "short").await;

    for (text, status, code) in [
        ("", 422, "invalid"),
        ("   \n ", 422, "invalid"),
        ("12345678901", 413, "too_large"),
    ] {
        let (got, body) = edit(&app, &alice, &room, &mid(&m), text).await;
        assert_eq!(got, status, "{text:?}: {body}");
        assert_eq!(TestApp::error_code(&body), code);
    }
    let kept = message_at(&app, &alice, &room, 1).await;
    assert_eq!(kept["text"], "short", "a refused edit changes nothing");
    assert_eq!(kept["edited_at"], Value::Null);
    let (status, body) = edit(&app, &alice, &room, &mid(&m), "1234567890").await;
    assert_eq!(status, 200, "exactly the limit: {body}");
}

#[actix_web::test]
async fn editing_an_unknown_message_is_404_not_found() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "talk", json!({})).await);
    let elsewhere = id_of(&app.create_room(&alice, "there", json!({})).await);
    let foreign = post_text(&app, &alice, &elsewhere, "over there").await;

    for m in [UNKNOWN_ID.to_string(), mid(&foreign)] {
        let (status, body) = edit(&app, &alice, &room, &m, "x").await;
        assert_eq!(status, 404, "{m}: {body}");
        assert_eq!(TestApp::error_code(&body), "not_found");
    }
    let (status, _) = edit(&app, &alice, UNKNOWN_ID, UNKNOWN_ID, "x").await;
    assert_eq!(status, 404, "unknown room");
    let mut ws = app.ws(&alice).await;
    ws.send(json!({"type": "edit", "room": room, "id": UNKNOWN_ID,
                   "text": "x", "ref": "e"}))
        .await;
    ws.expect_error("not_found", Some("e")).await;
}

// ---- delete ----------------------------------------------------------------------------

#[actix_web::test]
async fn deleting_leaves_an_empty_placeholder_with_its_id_and_seq_and_subscribers_are_told() {
    for persistent in [false, true] {
        let app = spawn_app().await;
        let (alice, bob) = (app.user("alice").await, app.user("bob").await);
        let room = shared_room(&app, &alice, &bob, persistent).await;
        post_text(&app, &alice, &room, "m1").await;
        let doomed = post_text(&app, &alice, &room, "m2").await;
        post_text(&app, &alice, &room, "m3").await;
        assert_eq!(
            react(&app, &bob, &room, &mid(&doomed), "👍", true).await.0,
            204
        );
        let mut watcher = app.ws(&bob).await;
        watcher.subscribe(&room).await;

        let (status, body) = delete(&app, &alice, &room, &mid(&doomed)).await;

        assert_eq!(status, 204, "{body}");
        let event = watcher.expect("message_deleted").await;
        assert_eq!(
            (&event["room"], &event["id"], &event["seq"]),
            (&json!(room), &doomed["id"], &json!(2)),
            "{event}"
        );
        let (status, list) = app.get(&messages(&room), &bob.token).await;
        assert_eq!(status, 200);
        assert_eq!(seqs(&list), [1, 2, 3], "the placeholder keeps its place");
        let gone = &list[1];
        assert_eq!(gone["id"], doomed["id"]);
        assert_eq!(gone["text"], "");
        assert_eq!(gone["deleted"], true);
        assert_eq!(gone["reactions"], json!({}), "reactions are dropped");
        assert_eq!(list[0]["text"], "m1");
        assert_eq!(list[2]["text"], "m3");
        let mut fresh = app.ws(&bob).await;
        let sub = fresh.subscribe(&room).await;
        assert_eq!(seqs(&sub["history"]), [1, 2, 3]);
        assert_eq!(sub["history"][1]["deleted"], true, "{sub}");
        assert_eq!(sub["history"][1]["text"], "", "{sub}");
    }
}

#[actix_web::test]
async fn a_moderator_the_owner_and_an_admin_may_delete_others_messages() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = shared_room(&app, &alice, &bob, true).await;
    assert_eq!(app.join(&carol, &room).await.0, 200);
    set_role(&app, &alice, &room, &carol, "moderator").await;
    let root = admin(&app, "root").await;
    let targets = [
        post_text(&app, &bob, &room, "b1").await,
        post_text(&app, &bob, &room, "b2").await,
        post_text(&app, &bob, &room, "b3").await,
        post_text(&app, &alice, &room, "owner's own").await,
    ];

    for (who, user, m) in [
        ("moderator", &carol, &targets[0]),
        ("owner", &alice, &targets[1]),
        ("admin (not a member)", &root, &targets[2]),
        ("moderator on the owner's", &carol, &targets[3]),
    ] {
        let (status, body) = delete(&app, user, &room, &mid(m)).await;
        assert_eq!(status, 204, "{who}: {body}");
    }
    let (_, list) = app.get(&messages(&room), &bob.token).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|m| m["deleted"] == true),
        "{list}"
    );
}

#[actix_web::test]
async fn a_plain_member_or_a_stranger_deleting_anothers_message_is_403_and_it_stays() {
    let app = spawn_app().await;
    let (alice, bob, eve) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("eve").await,
    );
    let room = shared_room(&app, &alice, &bob, true).await;
    let m = post_text(&app, &alice, &room, "alice's").await;

    for (who, user) in [("member", &bob), ("stranger", &eve)] {
        let (status, body) = delete(&app, user, &room, &mid(&m)).await;
        assert_eq!(status, 403, "{who}: {body}");
        assert_eq!(TestApp::error_code(&body), "forbidden");
    }
    let mut ws = app.ws(&bob).await;
    ws.send(json!({"type": "delete", "room": room, "id": m["id"], "ref": "d"}))
        .await;
    ws.expect_error("forbidden", Some("d")).await;

    let kept = message_at(&app, &alice, &room, 1).await;
    assert_eq!(kept["text"], "alice's");
    assert_eq!(kept["deleted"], false);
}

#[actix_web::test]
async fn deleting_twice_is_204_both_times() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(
        &app.create_room(&alice, "talk", json!({"persistent": true}))
            .await,
    );
    let m = post_text(&app, &alice, &room, "once").await;

    assert_eq!(delete(&app, &alice, &room, &mid(&m)).await.0, 204);
    let (status, body) = delete(&app, &alice, &room, &mid(&m)).await;

    assert_eq!(status, 204, "{body}");
    assert_eq!(message_at(&app, &alice, &room, 1).await["deleted"], true);
}

#[actix_web::test]
async fn a_delete_frame_acks_the_sender_before_message_deleted() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = shared_room(&app, &alice, &bob, true).await;
    let m = post_text(&app, &alice, &room, "oops").await;
    let mut sender = app.ws(&alice).await;
    sender.subscribe(&room).await;
    let mut watcher = app.ws(&bob).await;
    watcher.subscribe(&room).await;

    sender
        .send(json!({"type": "delete", "room": room, "id": m["id"], "ref": "d1"}))
        .await;

    let first = sender.expect_one_of(&["ack", "message_deleted"]).await;
    assert_eq!(first["type"], "ack", "the ack comes first: {first}");
    assert_eq!(
        (&first["ref"], &first["id"], &first["seq"]),
        (&json!("d1"), &m["id"], &json!(1))
    );
    let own = sender.expect("message_deleted").await;
    assert_eq!((&own["id"], &own["seq"]), (&m["id"], &json!(1)));
    let seen = watcher.expect("message_deleted").await;
    assert_eq!(
        (&seen["room"], &seen["id"], &seen["seq"]),
        (&json!(room), &m["id"], &json!(1))
    );
    assert_eq!(message_at(&app, &bob, &room, 1).await["deleted"], true);
}

#[actix_web::test]
async fn deleting_an_unknown_message_is_404_not_found() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "talk", json!({})).await);

    let (status, body) = delete(&app, &alice, &room, UNKNOWN_ID).await;

    assert_eq!(status, 404, "{body}");
    assert_eq!(TestApp::error_code(&body), "not_found");
}

// ---- reactions -----------------------------------------------------------------------------

#[actix_web::test]
async fn reacting_lists_the_user_under_the_emoji_in_order_and_tells_subscribers() {
    for persistent in [false, true] {
        let app = spawn_app().await;
        let (alice, bob) = (app.user("alice").await, app.user("bob").await);
        let room = shared_room(&app, &alice, &bob, persistent).await;
        let m = post_text(&app, &alice, &room, "vote").await;
        let mut watcher = app.ws(&alice).await;
        watcher.subscribe(&room).await;

        let (status, body) = react(&app, &bob, &room, &mid(&m), "👍", true).await;

        assert_eq!(status, 204, "{body}");
        let event = watcher.expect("reaction").await;
        assert_eq!(
            event,
            json!({"type": "reaction", "room": room, "id": m["id"], "emoji": "👍",
                   "user": bob.id, "on": true}),
            "persistent: {persistent}"
        );
        assert_eq!(
            react(&app, &alice, &room, &mid(&m), "👍", true).await.0,
            204
        );
        assert_eq!(
            react(&app, &alice, &room, &mid(&m), "🎉", true).await.0,
            204
        );
        assert_eq!(
            message_at(&app, &bob, &room, 1).await["reactions"],
            json!({"👍": [bob.id, alice.id], "🎉": [alice.id]})
        );
        let sub = app.ws(&bob).await.subscribe(&room).await;
        assert_eq!(
            sub["history"][0]["reactions"],
            json!({"👍": [bob.id, alice.id], "🎉": [alice.id]})
        );
    }
}

#[actix_web::test]
async fn reacting_again_or_removing_an_absent_reaction_is_204_and_sends_nothing() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = shared_room(&app, &alice, &bob, true).await;
    let m = post_text(&app, &alice, &room, "vote").await;
    let mut watcher = app.ws(&alice).await;
    watcher.subscribe(&room).await;
    assert_eq!(react(&app, &bob, &room, &mid(&m), "👍", true).await.0, 204);
    assert_eq!(watcher.expect("reaction").await["emoji"], "👍");

    assert_eq!(react(&app, &bob, &room, &mid(&m), "👍", true).await.0, 204);
    assert_eq!(react(&app, &bob, &room, &mid(&m), "🎉", false).await.0, 204);
    // A change after the no-ops: it must be the next event.
    assert_eq!(react(&app, &bob, &room, &mid(&m), "🔥", true).await.0, 204);

    let next = watcher.next_json().await;
    assert_eq!(next["type"], "reaction", "{next}");
    assert_eq!(
        (&next["emoji"], &next["on"]),
        (&json!("🔥"), &json!(true)),
        "the no-ops were announced: {next}"
    );
    assert_eq!(
        message_at(&app, &alice, &room, 1).await["reactions"],
        json!({"👍": [bob.id], "🔥": [bob.id]})
    );
}

#[actix_web::test]
async fn removing_the_last_reaction_of_an_emoji_drops_its_key() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = shared_room(&app, &alice, &bob, true).await;
    let m = post_text(&app, &alice, &room, "vote").await;
    let mut watcher = app.ws(&alice).await;
    watcher.subscribe(&room).await;
    for u in [&bob, &alice] {
        assert_eq!(react(&app, u, &room, &mid(&m), "👍", true).await.0, 204);
    }

    assert_eq!(react(&app, &bob, &room, &mid(&m), "👍", false).await.0, 204);
    assert_eq!(
        message_at(&app, &alice, &room, 1).await["reactions"],
        json!({"👍": [alice.id]})
    );
    assert_eq!(
        react(&app, &alice, &room, &mid(&m), "👍", false).await.0,
        204
    );
    assert_eq!(
        message_at(&app, &alice, &room, 1).await["reactions"],
        json!({})
    );

    let events: Vec<(Value, Value)> = {
        let mut v = Vec::new();
        while v.len() < 4 {
            let e = watcher.expect("reaction").await;
            v.push((e["user"].clone(), e["on"].clone()));
        }
        v
    };
    assert_eq!(
        events,
        [
            (json!(bob.id), json!(true)),
            (json!(alice.id), json!(true)),
            (json!(bob.id), json!(false)),
            (json!(alice.id), json!(false)),
        ]
    );
}

#[actix_web::test]
async fn a_short_name_is_accepted_and_anything_not_one_emoji_is_422() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = shared_room(&app, &alice, &bob, false).await;
    let m = post_text(&app, &alice, &room, "vote").await;

    let (status, body) = react(&app, &bob, &room, &mid(&m), ":thumbsup:", true).await;
    assert_eq!(status, 204, "{body}");
    let reactions = message_at(&app, &alice, &room, 1).await["reactions"].clone();
    let map = reactions.as_object().unwrap();
    assert_eq!(map.len(), 1, "{reactions}");
    assert_eq!(map.values().next().unwrap(), &json!([bob.id]));

    for bad in ["abc", "👍👍", "👍 ", ":not a name:", "::"] {
        let (status, body) = react(&app, &bob, &room, &mid(&m), bad, true).await;
        assert_eq!(status, 422, "{bad:?}: {body}");
        assert_eq!(TestApp::error_code(&body), "invalid");
    }
    assert_eq!(
        message_at(&app, &alice, &room, 1).await["reactions"],
        reactions
    );
}

#[actix_web::test]
async fn a_non_member_reacting_is_403_forbidden() {
    let app = spawn_app().await;
    let (alice, eve) = (app.user("alice").await, app.user("eve").await);
    let public = id_of(&app.create_room(&alice, "open", json!({})).await);
    let private = id_of(
        &app.create_room(&alice, "closed", json!({"visibility": "private"}))
            .await,
    );

    for room in [&public, &private] {
        let m = post_text(&app, &alice, room, "no strangers").await;
        let (status, body) = react(&app, &eve, room, &mid(&m), "👍", true).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(TestApp::error_code(&body), "forbidden");
        assert_eq!(
            message_at(&app, &alice, room, 1).await["reactions"],
            json!({})
        );
    }
}

#[actix_web::test]
async fn reacting_to_an_unknown_message_is_404_and_to_a_deleted_one_is_409() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = id_of(&app.create_room(&alice, "talk", json!({})).await);
    let m = post_text(&app, &alice, &room, "bye").await;
    assert_eq!(delete(&app, &alice, &room, &mid(&m)).await.0, 204);

    let (status, body) = react(&app, &alice, &room, UNKNOWN_ID, "👍", true).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = react(&app, &alice, &room, &mid(&m), "👍", true).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(TestApp::error_code(&body), "conflict");
}

#[actix_web::test]
async fn a_react_frame_acks_the_sender_before_the_reaction_event() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = shared_room(&app, &alice, &bob, true).await;
    let m = post_text(&app, &alice, &room, "vote").await;
    let mut sender = app.ws(&bob).await;
    sender.subscribe(&room).await;
    let mut watcher = app.ws(&alice).await;
    watcher.subscribe(&room).await;

    for (on, reference) in [(true, "x1"), (false, "x2")] {
        sender
            .send(json!({"type": "react", "room": room, "id": m["id"],
                         "emoji": "👍", "on": on, "ref": reference}))
            .await;
        let first = sender.expect_one_of(&["ack", "reaction"]).await;
        assert_eq!(first["type"], "ack", "the ack comes first: {first}");
        assert_eq!((&first["ref"], &first["id"]), (&json!(reference), &m["id"]));
        let own = sender.expect("reaction").await;
        assert_eq!(own["on"], on);
        let seen = watcher.expect("reaction").await;
        assert_eq!(
            seen,
            json!({"type": "reaction", "room": room, "id": m["id"], "emoji": "👍",
                   "user": bob.id, "on": on})
        );
    }
    sender
        .send(json!({"type": "react", "room": room, "id": m["id"],
                     "emoji": "abc", "on": true, "ref": "x3"}))
        .await;
    sender.expect_error("invalid", Some("x3")).await;
}

#[actix_web::test]
async fn persistent_messages_older_than_the_ring_can_be_edited_deleted_and_reacted_to() {
    let app = spawn_app_with(|s| s.rooms.history_len = 3).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = shared_room(&app, &alice, &bob, true).await;
    let old: Vec<Value> = {
        let mut v = Vec::new();
        for i in 1..=3 {
            v.push(post_text(&app, &alice, &room, &format!("old{i}")).await);
        }
        v
    };
    for i in 4..=10 {
        post_text(&app, &alice, &room, &format!("m{i}")).await;
    }
    let mut watcher = app.ws(&bob).await;
    watcher.subscribe(&room).await;

    let (status, edited) = edit(&app, &alice, &room, &mid(&old[0]), "old1 fixed").await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["seq"], 1);
    assert_eq!(watcher.expect("message_edited").await["message"], edited);
    assert_eq!(delete(&app, &bob, &room, &mid(&old[1])).await.0, 403);
    assert_eq!(delete(&app, &alice, &room, &mid(&old[1])).await.0, 204);
    let gone = watcher.expect("message_deleted").await;
    assert_eq!((&gone["id"], &gone["seq"]), (&old[1]["id"], &json!(2)));
    assert_eq!(
        react(&app, &bob, &room, &mid(&old[2]), "👍", true).await.0,
        204
    );
    assert_eq!(watcher.expect("reaction").await["id"], old[2]["id"]);

    let (_, first) = app
        .get(&format!("{}?before=4", messages(&room)), &bob.token)
        .await;
    assert_eq!(seqs(&first), [1, 2, 3]);
    assert_eq!(first[0]["text"], "old1 fixed");
    assert!(first[0]["edited_at"].is_string(), "{first}");
    assert_eq!(
        (&first[1]["text"], &first[1]["deleted"]),
        (&json!(""), &json!(true))
    );
    assert_eq!(first[2]["reactions"], json!({"👍": [bob.id]}));
    let mut fresh = app.ws(&bob).await;
    fresh
        .send(json!({"type": "subscribe", "room": room, "since_seq": 0}))
        .await;
    let sub = fresh.expect("subscribed").await;
    assert_eq!(seqs(&sub["history"]), (1..=10).collect::<Vec<_>>());
    assert_eq!(
        sub["history"][0], first[0],
        "resume history agrees with paging"
    );
    assert_eq!(sub["history"][1], first[1]);
    assert_eq!(sub["history"][2], first[2]);
}

#[actix_web::test]
async fn a_thread_gathers_replies_from_both_sides_of_the_ring() {
    let app = spawn_app_with(|s| s.rooms.history_len = 3).await;
    let alice = app.user("alice").await;
    let room = id_of(
        &app.create_room(&alice, "deep", json!({"persistent": true}))
            .await,
    );
    let root = post_text(&app, &alice, &room, "root").await;
    let mut replies = Vec::new();
    for i in 1..=6 {
        let (status, r) = app
            .post(
                &messages(&room),
                &alice.token,
                json!({"text": format!("r{i}"), "reply_to": root["id"]}),
            )
            .await;
        assert_eq!(status, 201, "{r}");
        replies.push(r["id"].clone());
        post_text(&app, &alice, &room, "filler").await;
    }

    let (status, thread) = app
        .get(
            &format!("{}/thread", message(&room, &mid(&root))),
            &alice.token,
        )
        .await;

    assert_eq!(status, 200, "{thread}");
    let got: Vec<Value> = thread["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(got, replies);
    assert_eq!(seqs(&thread["replies"]), [2, 4, 6, 8, 10, 12]);
}

#[actix_web::test]
async fn an_edit_keeps_the_messages_reactions() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = shared_room(&app, &alice, &bob, true).await;
    let m = post_text(&app, &alice, &room, "typo").await;
    assert_eq!(react(&app, &bob, &room, &mid(&m), "👍", true).await.0, 204);

    let (status, edited) = edit(&app, &alice, &room, &mid(&m), "fixed").await;

    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["reactions"], json!({"👍": [bob.id]}));
    assert_eq!(
        message_at(&app, &bob, &room, 1).await["reactions"],
        json!({"👍": [bob.id]})
    );
}

#[actix_web::test]
async fn search_works_after_a_restart() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = searchable(&app, &alice, &bob).await;
    let m = post_text(&app, &alice, &room, "before the restart").await;
    let (status, _) = edit(&app, &alice, &room, &mid(&m), "zebra crossing").await;
    assert_eq!(status, 200);

    let app = restart(app).await;

    assert_eq!(
        search_texts(&app, &bob, &room, "zebra").await,
        ["zebra crossing"]
    );
    post_text(&app, &alice, &room, "zebra stripes").await;
    let mut hits = search_texts(&app, &bob, &room, "zebra").await;
    hits.sort();
    assert_eq!(hits, ["zebra crossing", "zebra stripes"]);
}

// ---- survival across a restart ----------------------------------------------------------------

#[actix_web::test]
async fn edits_deletes_and_reactions_of_a_persistent_room_survive_a_restart() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = shared_room(&app, &alice, &bob, true).await;
    let edited = post_text(&app, &alice, &room, "first draft").await;
    let deleted = post_text(&app, &alice, &room, "never mind").await;
    let liked = post_text(&app, &alice, &room, "good idea").await;
    let (status, after_edit) = edit(&app, &alice, &room, &mid(&edited), "final draft").await;
    assert_eq!(status, 200, "{after_edit}");
    assert_eq!(delete(&app, &alice, &room, &mid(&deleted)).await.0, 204);
    for (u, e) in [(&bob, "👍"), (&alice, "👍"), (&bob, ":tada:")] {
        assert_eq!(react(&app, u, &room, &mid(&liked), e, true).await.0, 204);
    }
    let (_, before) = app.get(&messages(&room), &bob.token).await;

    let app = restart(app).await;

    let (status, after) = app.get(&messages(&room), &bob.token).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after, before, "the restart changed the messages");
    assert_eq!(after[0]["text"], "final draft");
    assert_eq!(after[0]["edited_at"], after_edit["edited_at"]);
    assert_eq!(
        (&after[1]["text"], &after[1]["deleted"]),
        (&json!(""), &json!(true))
    );
    assert_eq!(
        after[2]["reactions"],
        json!({"👍": [bob.id, alice.id], ":tada:": [bob.id]})
    );
    assert_eq!(
        react(&app, &bob, &room, &mid(&liked), "👍", false).await.0,
        204
    );
    assert_eq!(
        message_at(&app, &bob, &room, 3).await["reactions"],
        json!({"👍": [alice.id], ":tada:": [bob.id]})
    );
}

// ---- search -----------------------------------------------------------------------------------

/// A persistent room with a few messages to search; returns its id.
async fn searchable(app: &TestApp, alice: &TestUser, bob: &TestUser) -> String {
    let room = shared_room(app, alice, bob, true).await;
    for text in [
        "apple banana cherry date elderberry fig grape honeydew",
        "apple apple apple",
        "nothing to see here",
        "Banana bread recipe",
    ] {
        post_text(app, alice, &room, text).await;
    }
    room
}

#[actix_web::test]
async fn search_finds_a_rooms_messages_by_word_best_match_first() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = searchable(&app, &alice, &bob).await;
    let other = id_of(
        &app.create_room(&alice, "other", json!({"persistent": true}))
            .await,
    );
    post_text(&app, &alice, &other, "apple from another room").await;

    assert_eq!(
        search_texts(&app, &bob, &room, "apple").await,
        [
            "apple apple apple",
            "apple banana cherry date elderberry fig grape honeydew"
        ],
        "only this room, the denser match first"
    );
    let mut banana = search_texts(&app, &bob, &room, "BANANA").await;
    banana.sort();
    assert_eq!(
        banana,
        [
            "Banana bread recipe",
            "apple banana cherry date elderberry fig grape honeydew"
        ],
        "case-insensitive"
    );
    assert_eq!(
        search_texts(&app, &bob, &room, "apple banana").await,
        ["apple banana cherry date elderberry fig grape honeydew"],
        "every word must match"
    );
    assert!(search_texts(&app, &bob, &room, "kiwi").await.is_empty());
    let (_, hits) = search(&app, &bob, &room, "recipe").await;
    assert_eq!(
        hits[0]["room_id"],
        room.as_str(),
        "full message objects: {hits}"
    );
    assert_eq!(hits[0]["seq"], 4);
    assert_eq!(hits[0]["author"]["username"], "alice");
}

#[actix_web::test]
async fn search_finds_edited_text_by_its_new_words_and_not_its_old_ones() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = searchable(&app, &alice, &bob).await;
    let m = post_text(&app, &alice, &room, "meet at the lighthouse").await;

    let (status, body) = edit(&app, &alice, &room, &mid(&m), "meet at the harbour").await;
    assert_eq!(status, 200, "{body}");

    assert_eq!(
        search_texts(&app, &bob, &room, "harbour").await,
        ["meet at the harbour"]
    );
    assert!(
        search_texts(&app, &bob, &room, "lighthouse")
            .await
            .is_empty(),
        "the old words still match"
    );
}

#[actix_web::test]
async fn search_never_matches_deleted_messages() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = searchable(&app, &alice, &bob).await;
    let m = post_text(&app, &alice, &room, "password hunter2 oops").await;
    assert_eq!(
        search_texts(&app, &bob, &room, "hunter2").await.len(),
        1,
        "indexed before the delete"
    );

    assert_eq!(delete(&app, &alice, &room, &mid(&m)).await.0, 204);

    assert!(search_texts(&app, &bob, &room, "hunter2").await.is_empty());
    let (_, hits) = search(&app, &bob, &room, "oops").await;
    assert_eq!(hits, json!([]));
}

#[actix_web::test]
async fn search_in_a_temporary_room_or_with_an_empty_q_is_422_invalid() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let persistent = searchable(&app, &alice, &bob).await;
    let temporary = shared_room(&app, &alice, &bob, false).await;
    post_text(&app, &alice, &temporary, "apple").await;

    for (room, q) in [
        (&temporary, "apple"),
        (&persistent, ""),
        (&persistent, "   "),
    ] {
        let (status, body) = search(&app, &bob, room, q).await;
        assert_eq!(status, 422, "q={q:?}: {body}");
        assert_eq!(TestApp::error_code(&body), "invalid");
    }
}

#[actix_web::test]
async fn a_non_member_searching_is_403_forbidden() {
    let app = spawn_app().await;
    let (alice, bob, eve) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("eve").await,
    );
    let public = searchable(&app, &alice, &bob).await;
    let private = id_of(
        &app.create_room(
            &alice,
            "closed",
            json!({"persistent": true, "visibility": "private"}),
        )
        .await,
    );
    post_text(&app, &alice, &private, "apple").await;

    for room in [&public, &private] {
        let (status, body) = search(&app, &eve, room, "apple").await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(TestApp::error_code(&body), "forbidden");
    }
}

#[actix_web::test]
async fn search_with_fts_syntax_characters_in_q_never_errors() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = searchable(&app, &alice, &bob).await;

    for q in [
        "\"",
        "\"apple",
        "apple\"",
        "*",
        "apple*",
        "AND(",
        "apple AND(",
        "OR",
        "NOT apple",
        "NEAR(apple banana)",
        "-apple",
        "apple:banana",
        "text:apple",
        "^apple",
        "(",
        ")",
        "'",
        "{apple}",
        "apple + banana",
        "%",
        "\\",
    ] {
        let (status, body) = search(&app, &bob, &room, q).await;
        assert_eq!(status, 200, "q={q:?}: {body}");
        assert!(body.is_array(), "q={q:?}: {body}");
    }
}
