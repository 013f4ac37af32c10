//! SPEC §4 and §8 over REST: posting messages, `seq` numbering, paging,
//! temporary-room history limits, replies, unread counts and restarts.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app, spawn_app_with, spawn_with_settings};

fn messages_path(room: &Value) -> String {
    format!("/api/rooms/{}/messages", room["id"].as_str().unwrap())
}

async fn post(app: &TestApp, user: &TestUser, room: &Value, text: &str) -> (u16, Value) {
    app.post(&messages_path(room), &user.token, json!({"text": text}))
        .await
}

/// Posts and asserts 201; returns the message.
async fn say(app: &TestApp, user: &TestUser, room: &Value, text: &str) -> Value {
    let (status, msg) = post(app, user, room, text).await;
    assert_eq!(status, 201, "post {text:?}: {msg}");
    msg
}

/// Posts `n` numbered messages, "m1" … "mN".
async fn say_many(app: &TestApp, user: &TestUser, room: &Value, n: u64) {
    for i in 1..=n {
        say(app, user, room, &format!("m{i}")).await;
    }
}

/// `GET …/messages?{query}`, asserting 200; returns the seqs in answer order.
async fn page(app: &TestApp, user: &TestUser, room: &Value, query: &str) -> Vec<u64> {
    let (status, list) = app
        .get(&format!("{}?{query}", messages_path(room)), &user.token)
        .await;
    assert_eq!(status, 200, "{query}: {list}");
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect()
}

fn seqs(range: std::ops::RangeInclusive<u64>) -> Vec<u64> {
    range.collect()
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

// ---- POST /api/rooms/{id}/messages ----

#[actix_web::test]
async fn posting_a_message_returns_201_with_the_full_message_object() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;

    let (status, msg) = post(&app, &alice, &room, "  hello world \n").await;

    assert_eq!(status, 201, "{msg}");
    assert!(uuid::Uuid::parse_str(msg["id"].as_str().unwrap()).is_ok());
    assert_eq!(msg["room_id"], room["id"]);
    assert_eq!(msg["seq"], 1);
    assert_eq!(
        msg["author"],
        json!({"id": alice.id, "username": "alice", "display_name": "alice"})
    );
    assert_eq!(msg["text"], "hello world", "text is trimmed");
    assert_eq!(msg["reply_to"], Value::Null);
    assert_eq!(msg["attachments"], json!([]));
    assert_eq!(msg["reactions"], json!({}));
    assert_eq!(msg["edited_at"], Value::Null);
    assert_eq!(msg["deleted"], false);
    let created = msg["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
}

#[actix_web::test]
async fn seq_starts_at_1_and_grows_by_1_per_message_in_each_room() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let lobby = app.create_room(&alice, "lobby", json!({})).await;
    let other = app.create_room(&bob, "other", json!({})).await;
    app.join(&bob, lobby["id"].as_str().unwrap()).await;

    let mut got = Vec::new();
    for (user, text) in [(&alice, "a"), (&bob, "b"), (&alice, "c")] {
        got.push(say(&app, user, &lobby, text).await["seq"].as_u64().unwrap());
    }
    let first_elsewhere = say(&app, &bob, &other, "x").await;

    assert_eq!(got, [1, 2, 3]);
    assert_eq!(first_elsewhere["seq"], 1, "seq is per room");
}

#[actix_web::test]
async fn the_author_reflects_the_current_display_name() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;
    app.patch(
        "/api/users/me",
        &alice.token,
        json!({"display_name": "Queen A"}),
    )
    .await;

    let msg = say(&app, &alice, &room, "hi").await;

    assert_eq!(msg["author"]["display_name"], "Queen A");
}

#[actix_web::test]
async fn a_non_member_posting_to_a_public_room_is_403_forbidden() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create_room(&alice, "lobby", json!({})).await;

    let (status, body) = post(&app, &bob, &room, "let me in").await;

    assert_eq!(status, 403, "{body}");
    assert_eq!(TestApp::error_code(&body), "forbidden");
    assert_eq!(page(&app, &alice, &room, "").await, Vec::<u64>::new());
}

#[actix_web::test]
async fn a_non_member_posting_to_a_private_room_is_403_forbidden() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app
        .create_room(&alice, "club", json!({"visibility": "private"}))
        .await;

    let (status, body) = post(&app, &bob, &room, "let me in").await;

    assert_eq!(status, 403, "{body}");
}

#[actix_web::test]
async fn a_former_member_cannot_post() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create_room(&alice, "lobby", json!({})).await;
    app.join(&bob, room["id"].as_str().unwrap()).await;
    say(&app, &bob, &room, "bye").await;
    app.post(
        &format!("/api/rooms/{}/leave", room["id"].as_str().unwrap()),
        &bob.token,
        json!({}),
    )
    .await;

    let (status, _) = post(&app, &bob, &room, "still here?").await;

    assert_eq!(status, 403);
}

#[actix_web::test]
async fn posting_to_an_unknown_room_is_404_not_found() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    for p in [
        format!("/api/rooms/{}/messages", uuid::Uuid::new_v4()),
        "/api/rooms/lobby/messages".to_string(),
    ] {
        let (status, body) = app.post(&p, &alice.token, json!({"text": "hi"})).await;
        assert_eq!(status, 404, "{p}: {body}");
        assert_eq!(TestApp::error_code(&body), "not_found");
    }
}

#[actix_web::test]
async fn posting_to_an_inactive_room_is_409_conflict() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;
    say(&app, &alice, &room, "before").await;
    let room_path = format!("/api/rooms/{}", room["id"].as_str().unwrap());
    app.patch(&room_path, &alice.token, json!({"status": "inactive"}))
        .await;

    let (status, body) = post(&app, &alice, &room, "while closed").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(TestApp::error_code(&body), "conflict");
    assert_eq!(page(&app, &alice, &room, "").await, [1], "history is kept");

    app.patch(&room_path, &alice.token, json!({"status": "active"}))
        .await;
    let msg = say(&app, &alice, &room, "after").await;
    assert_eq!(msg["seq"], 2, "a refused post uses no seq");
}

#[actix_web::test]
async fn posting_empty_or_blank_text_is_422_invalid() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;

    for text in ["", "   ", "\n\t "] {
        let (status, body) = post(&app, &alice, &room, text).await;
        assert_eq!(status, 422, "{text:?}: {body}");
        assert_eq!(TestApp::error_code(&body), "invalid");
    }
    assert_eq!(say(&app, &alice, &room, "x").await["seq"], 1);
}

#[actix_web::test]
async fn posting_without_text_or_with_a_non_string_is_400_bad_request() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;

    for body in [
        json!({}),
        json!({"text": 5}),
        json!({"text": null}),
        json!("hi"),
    ] {
        let (status, res) = app
            .post(&messages_path(&room), &alice.token, body.clone())
            .await;
        assert_eq!(status, 400, "{body}: {res}");
        assert_eq!(TestApp::error_code(&res), "bad_request");
    }
}

#[actix_web::test]
async fn text_over_max_message_chars_is_413_too_large() {
    let app = spawn_app_with(|s| s.limits.max_message_chars = 10).await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;

    for text in ["x".repeat(11), "😀".repeat(11)] {
        let (status, body) = post(&app, &alice, &room, &text).await;
        assert_eq!(status, 413, "{text}: {body}");
        assert_eq!(TestApp::error_code(&body), "too_large");
    }
}

#[actix_web::test]
async fn text_of_exactly_max_message_chars_is_accepted_counting_unicode_scalars() {
    let app = spawn_app_with(|s| s.limits.max_message_chars = 10).await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;

    // 10 emoji are 40 bytes: the limit is in characters, not bytes.
    let emoji = "😀".repeat(10);
    let msg = say(&app, &alice, &room, &emoji).await;
    assert_eq!(msg["text"], emoji.as_str());

    // The limit applies after trimming.
    let padded = format!("   {}   ", "y".repeat(10));
    let msg = say(&app, &alice, &room, &padded).await;
    assert_eq!(msg["text"], "y".repeat(10));
}

#[actix_web::test]
async fn the_default_limit_is_4000_chars() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;

    assert_eq!(post(&app, &alice, &room, &"z".repeat(4000)).await.0, 201);
    assert_eq!(post(&app, &alice, &room, &"z".repeat(4001)).await.0, 413);
}

// ---- replies ----

#[actix_web::test]
async fn a_reply_carries_the_id_of_the_message_it_answers() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;
    let root = say(&app, &alice, &room, "question?").await;

    let (status, reply) = app
        .post(
            &messages_path(&room),
            &alice.token,
            json!({"text": "answer", "reply_to": root["id"]}),
        )
        .await;

    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["reply_to"], root["id"]);
    assert_eq!(reply["seq"], 2);
}

#[actix_web::test]
async fn a_reply_to_no_message_or_another_rooms_message_is_422_invalid() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;
    let other = app.create_room(&alice, "other", json!({})).await;
    let elsewhere = say(&app, &alice, &other, "over here").await;

    for reply_to in [
        json!(uuid::Uuid::new_v4().to_string()),
        elsewhere["id"].clone(),
    ] {
        let (status, body) = app
            .post(
                &messages_path(&room),
                &alice.token,
                json!({"text": "answer", "reply_to": reply_to}),
            )
            .await;
        assert_eq!(status, 422, "{reply_to}: {body}");
        assert_eq!(TestApp::error_code(&body), "invalid");
    }
    assert_eq!(page(&app, &alice, &room, "").await, Vec::<u64>::new());
}

// ---- GET /api/rooms/{id}/messages ----

#[actix_web::test]
async fn anyone_can_read_a_public_rooms_messages() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create_room(&alice, "lobby", json!({})).await;
    say(&app, &alice, &room, "hello").await;

    let (status, list) = app.get(&messages_path(&room), &bob.token).await;

    assert_eq!(status, 200, "{list}");
    assert_eq!(list[0]["text"], "hello");
    assert_eq!(list[0]["author"]["username"], "alice");
}

#[actix_web::test]
async fn a_stranger_reading_a_private_rooms_messages_is_403_forbidden() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app
        .create_room(&alice, "club", json!({"visibility": "private"}))
        .await;
    say(&app, &alice, &room, "secret").await;

    let (status, body) = app.get(&messages_path(&room), &bob.token).await;

    assert_eq!(status, 403, "{body}");
    assert_eq!(TestApp::error_code(&body), "forbidden");
}

#[actix_web::test]
async fn reading_an_unknown_rooms_messages_is_404_not_found() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, body) = app
        .get(
            &format!("/api/rooms/{}/messages", uuid::Uuid::new_v4()),
            &alice.token,
        )
        .await;

    assert_eq!(status, 404, "{body}");
}

#[actix_web::test]
async fn message_pages_follow_the_cursor_rules() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;
    say_many(&app, &alice, &room, 120).await;

    // No cursor: the latest `limit` (default 50), ascending.
    assert_eq!(page(&app, &alice, &room, "").await, seqs(71..=120));
    assert_eq!(page(&app, &alice, &room, "limit=10").await, seqs(111..=120));
    // before=S: the `limit` largest seqs below S.
    assert_eq!(
        page(&app, &alice, &room, "before=50&limit=10").await,
        seqs(40..=49)
    );
    assert_eq!(page(&app, &alice, &room, "before=5").await, seqs(1..=4));
    assert_eq!(
        page(&app, &alice, &room, "before=1").await,
        Vec::<u64>::new()
    );
    // after=S: the `limit` smallest seqs above S.
    assert_eq!(
        page(&app, &alice, &room, "after=50&limit=10").await,
        seqs(51..=60)
    );
    assert_eq!(page(&app, &alice, &room, "after=0").await, seqs(1..=50));
    assert_eq!(
        page(&app, &alice, &room, "after=115").await,
        seqs(116..=120)
    );
    assert_eq!(
        page(&app, &alice, &room, "after=120").await,
        Vec::<u64>::new()
    );
    // limit above 100 is clamped.
    assert_eq!(
        page(&app, &alice, &room, "limit=1000").await,
        seqs(21..=120)
    );
    assert_eq!(
        page(&app, &alice, &room, "after=0&limit=101").await,
        seqs(1..=100)
    );
}

#[actix_web::test]
async fn paging_backwards_with_before_walks_the_whole_history() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;
    say_many(&app, &alice, &room, 25).await;

    let mut all = page(&app, &alice, &room, "limit=10").await;
    while let Some(&oldest) = all.first() {
        let older = page(&app, &alice, &room, &format!("before={oldest}&limit=10")).await;
        if older.is_empty() {
            break;
        }
        all.splice(0..0, older);
    }

    assert_eq!(all, seqs(1..=25));
}

#[actix_web::test]
async fn a_page_holds_full_message_objects_in_order() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;
    say_many(&app, &alice, &room, 3).await;

    let (_, list) = app.get(&messages_path(&room), &alice.token).await;

    let texts: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["m1", "m2", "m3"]);
    assert_eq!(list[0]["room_id"], json!(room["id"]));
    assert_eq!(list[0]["deleted"], false);
}

#[actix_web::test]
async fn a_limit_below_1_is_422_invalid() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;

    for query in ["limit=0", "limit=-1"] {
        let (status, body) = app
            .get(&format!("{}?{query}", messages_path(&room)), &alice.token)
            .await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(TestApp::error_code(&body), "invalid");
    }
}

#[actix_web::test]
async fn a_non_integer_cursor_or_limit_is_400_bad_request() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;

    for query in ["limit=ten", "before=abc", "after=1.5", "before=-"] {
        let (status, body) = app
            .get(&format!("{}?{query}", messages_path(&room)), &alice.token)
            .await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(TestApp::error_code(&body), "bad_request");
    }
}

#[actix_web::test]
async fn a_temporary_room_keeps_only_the_last_history_len_messages() {
    let app = spawn_app_with(|s| s.rooms.history_len = 5).await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "pop-up", json!({})).await;
    say_many(&app, &alice, &room, 8).await;

    assert_eq!(page(&app, &alice, &room, "").await, seqs(4..=8));
    assert_eq!(page(&app, &alice, &room, "after=0").await, seqs(4..=8));
    assert_eq!(page(&app, &alice, &room, "after=5").await, seqs(6..=8));
    assert_eq!(
        page(&app, &alice, &room, "before=4").await,
        Vec::<u64>::new()
    );
    assert_eq!(page(&app, &alice, &room, "before=6").await, seqs(4..=5));
    let next = say(&app, &alice, &room, "still counting").await;
    assert_eq!(next["seq"], 9, "seq keeps growing past the ring");
}

#[actix_web::test]
async fn a_persistent_room_keeps_every_message() {
    let app = spawn_app_with(|s| s.rooms.history_len = 5).await;
    let alice = app.user("alice").await;
    let room = app
        .create_room(&alice, "archive", json!({"persistent": true}))
        .await;
    say_many(&app, &alice, &room, 8).await;

    assert_eq!(page(&app, &alice, &room, "").await, seqs(1..=8));
    assert_eq!(page(&app, &alice, &room, "before=4").await, seqs(1..=3));
}

#[actix_web::test]
async fn a_persistent_rooms_messages_survive_a_restart_and_seq_continues() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app
        .create_room(&alice, "archive", json!({"persistent": true}))
        .await;
    say_many(&app, &alice, &room, 3).await;

    let app = restart(app).await;

    let (status, list) = app.get(&messages_path(&room), &alice.token).await;
    assert_eq!(status, 200, "{list}");
    let texts: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["m1", "m2", "m3"]);
    assert_eq!(say(&app, &alice, &room, "m4").await["seq"], 4);
}

#[actix_web::test]
async fn concurrent_posters_get_gapless_unique_seqs() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let room = app.create_room(&owner, "busy", json!({})).await;
    let mut posters = Vec::new();
    for i in 0..10 {
        let user = app.user(&format!("poster{i}")).await;
        assert_eq!(app.join(&user, room["id"].as_str().unwrap()).await.0, 200);
        posters.push(user);
    }

    let per_user = futures_util::future::join_all(posters.iter().map(|user| {
        let (app, room) = (&app, &room);
        async move {
            let mut mine = Vec::new();
            for n in 0..20 {
                let msg = say(app, user, room, &format!("{} #{n}", user.username)).await;
                mine.push(msg["seq"].as_u64().unwrap());
            }
            mine
        }
    }))
    .await;

    for mine in &per_user {
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "one poster's messages are in order: {mine:?}"
        );
    }
    let mut all: Vec<u64> = per_user.into_iter().flatten().collect();
    all.sort_unstable();
    assert_eq!(all, seqs(1..=200));
    let mut stored = page(&app, &owner, &room, "after=0&limit=100").await;
    stored.extend(page(&app, &owner, &room, "after=100&limit=100").await);
    assert_eq!(stored, seqs(1..=200));
}

// ---- unread ----

#[actix_web::test]
async fn unread_counts_others_messages_since_joining() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create_room(&alice, "lobby", json!({})).await;
    say_many(&app, &alice, &room, 2).await;
    app.join(&bob, room["id"].as_str().unwrap()).await;
    say_many(&app, &alice, &room, 3).await;
    say(&app, &bob, &room, "mine").await;

    let room_path = format!("/api/rooms/{}", room["id"].as_str().unwrap());
    let (_, seen_by_bob) = app.get(&room_path, &bob.token).await;
    let (_, seen_by_alice) = app.get(&room_path, &alice.token).await;

    assert_eq!(seen_by_bob["unread"], 3);
    assert_eq!(seen_by_alice["unread"], 1);
}
