//! SPEC §3 over REST: create, list, get, update, delete, participants, join,
//! leave, ownership hand-over, temporary rooms expiring, and restarts.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app, spawn_app_with, spawn_with_settings};

fn path(room: &Value) -> String {
    format!("/api/rooms/{}", room["id"].as_str().unwrap())
}

fn id(room: &Value) -> &str {
    room["id"].as_str().unwrap()
}

fn names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

async fn participants(app: &TestApp, viewer: &TestUser, room: &Value) -> Vec<Value> {
    let (status, list) = app
        .get(&format!("{}/participants", path(room)), &viewer.token)
        .await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

fn role_of(list: &[Value], user: &TestUser) -> Option<String> {
    list.iter()
        .find(|p| p["user"]["id"] == user.id.as_str())
        .map(|p| p["role"].as_str().unwrap().to_string())
}

async fn set_role(app: &TestApp, owner: &TestUser, room: &Value, user: &TestUser, role: &str) {
    let (status, body) = app
        .call(
            reqwest::Method::PUT,
            &format!("{}/members/{}/role", path(room), user.id),
            Some(&owner.token),
            Some(json!({"role": role})),
        )
        .await;
    assert_eq!(status, 200, "set role: {body}");
}

async fn leave(app: &TestApp, user: &TestUser, room: &Value) -> (u16, Value) {
    app.post(&format!("{}/leave", path(room)), &user.token, json!({}))
        .await
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

/// Polls `GET room` until it is 404, within a bound: the effect is timed.
async fn wait_until_gone(app: &TestApp, viewer: &TestUser, room: &Value) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (status, body) = app.get(&path(room), &viewer.token).await;
        if status == 404 {
            return;
        }
        assert_eq!(status, 200, "{body}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "room {} still exists after 5 s",
            id(room)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---- POST /api/rooms ----

#[actix_web::test]
async fn creating_a_room_returns_201_with_the_caller_as_owner_and_member() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, room) = app
        .post("/api/rooms", &alice.token, json!({"name": "lobby"}))
        .await;

    assert_eq!(status, 201, "{room}");
    assert!(uuid::Uuid::parse_str(id(&room)).is_ok());
    assert_eq!(room["name"], "lobby");
    assert_eq!(room["description"], "");
    assert_eq!(room["owner_id"], alice.id.as_str());
    assert_eq!(room["visibility"], "public");
    assert_eq!(room["status"], "active");
    assert_eq!(room["max_participants"], 50);
    assert_eq!(room["participant_count"], 1);
    assert_eq!(room["online_count"], 0);
    assert_eq!(room["persistent"], false);
    assert_eq!(room["role"], "owner");
    assert_eq!(room["unread"], 0);
    let created = room["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
}

#[actix_web::test]
async fn creating_a_room_takes_every_optional_field() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let room = app
        .create_room(
            &alice,
            "  secret club ",
            json!({"description": "  members only ", "visibility": "private",
                   "max_participants": 7, "persistent": false}),
        )
        .await;

    assert_eq!(room["name"], "secret club");
    assert_eq!(room["description"], "members only");
    assert_eq!(room["visibility"], "private");
    assert_eq!(room["max_participants"], 7);
    assert_eq!(room["persistent"], false);
    let (_, fetched) = app.get(&path(&room), &alice.token).await;
    assert_eq!(fetched["name"], "secret club");
    assert_eq!(fetched["max_participants"], 7);
}

#[actix_web::test]
async fn the_default_max_participants_comes_from_the_settings() {
    let app = spawn_app_with(|s| s.rooms.default_max_participants = 3).await;
    let alice = app.user("alice").await;

    let room = app.create_room(&alice, "lobby", json!({})).await;

    assert_eq!(room["max_participants"], 3);
}

#[actix_web::test]
async fn a_room_name_empty_or_over_100_chars_is_422_invalid() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    for name in [String::new(), "   ".to_string(), "x".repeat(101)] {
        let (status, body) = app
            .post("/api/rooms", &alice.token, json!({"name": name}))
            .await;
        assert_eq!(status, 422, "{name:?}: {body}");
        assert_eq!(TestApp::error_code(&body), "invalid");
    }
    let (status, _) = app
        .post("/api/rooms", &alice.token, json!({"name": "é".repeat(100)}))
        .await;
    assert_eq!(status, 201, "100 characters is allowed");
    let (_, rooms) = app.get("/api/rooms", &alice.token).await;
    assert_eq!(
        rooms.as_array().unwrap().len(),
        1,
        "refused rooms leave nothing behind"
    );
}

#[actix_web::test]
async fn a_room_description_over_1000_chars_is_422_invalid() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, body) = app
        .post(
            "/api/rooms",
            &alice.token,
            json!({"name": "a", "description": "d".repeat(1001)}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(TestApp::error_code(&body), "invalid");

    let (status, _) = app
        .post(
            "/api/rooms",
            &alice.token,
            json!({"name": "a", "description": "d".repeat(1000)}),
        )
        .await;
    assert_eq!(status, 201);
}

#[actix_web::test]
async fn max_participants_outside_1_to_the_cap_is_422_invalid() {
    let app = spawn_app_with(|s| {
        s.rooms.max_participants_cap = 20;
        s.rooms.default_max_participants = 10;
    })
    .await;
    let alice = app.user("alice").await;

    for max in [0, 21] {
        let (status, body) = app
            .post(
                "/api/rooms",
                &alice.token,
                json!({"name": "a", "max_participants": max}),
            )
            .await;
        assert_eq!(status, 422, "max {max}: {body}");
        assert_eq!(TestApp::error_code(&body), "invalid");
    }
    for max in [1, 20] {
        let room = app
            .create_room(&alice, "a", json!({"max_participants": max}))
            .await;
        assert_eq!(room["max_participants"], max);
    }
}

#[actix_web::test]
async fn creating_a_room_with_bad_json_is_400_bad_request() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    for body in [
        json!({}),
        json!({"name": 5}),
        json!({"name": "a", "visibility": "secret"}),
        json!({"name": "a", "persistent": "yes"}),
        json!({"name": "a", "max_participants": "ten"}),
    ] {
        let (status, res) = app.post("/api/rooms", &alice.token, body.clone()).await;
        assert_eq!(status, 400, "{body}: {res}");
        assert_eq!(TestApp::error_code(&res), "bad_request");
    }
    let res = app
        .http
        .post(app.url("/api/rooms"))
        .bearer_auth(&alice.token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(TestApp::error_code(&body), "bad_request");
}

// ---- GET /api/rooms ----

#[actix_web::test]
async fn listing_rooms_shows_public_rooms_and_the_callers_private_rooms() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    app.create_room(&alice, "alice public", json!({})).await;
    app.create_room(&alice, "alice private", json!({"visibility": "private"}))
        .await;
    app.create_room(&bob, "bob private", json!({"visibility": "private"}))
        .await;

    let (status, seen_by_bob) = app.get("/api/rooms", &bob.token).await;
    assert_eq!(status, 200, "{seen_by_bob}");
    assert_eq!(names(&seen_by_bob), ["alice public", "bob private"]);

    let (_, seen_by_alice) = app.get("/api/rooms", &alice.token).await;
    assert_eq!(names(&seen_by_alice), ["alice private", "alice public"]);
}

#[actix_web::test]
async fn listed_rooms_carry_live_participant_counts() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = app.create_room(&alice, "lobby", json!({})).await;
    app.join(&bob, id(&room)).await;
    app.join(&carol, id(&room)).await;

    let (_, list) = app.get("/api/rooms", &alice.token).await;

    assert_eq!(list[0]["id"], room["id"]);
    assert_eq!(list[0]["participant_count"], 3);
    assert_eq!(list[0]["online_count"], 0);
}

#[actix_web::test]
async fn listing_rooms_with_q_matches_name_or_description_case_insensitively() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    app.create_room(&alice, "Rust Lovers", json!({})).await;
    app.create_room(
        &alice,
        "cooking",
        json!({"description": "we TRUST the recipe"}),
    )
    .await;
    app.create_room(&alice, "gardening", json!({})).await;

    let (status, found) = app.get("/api/rooms?q=rust", &alice.token).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(names(&found), ["Rust Lovers", "cooking"]);

    let (_, found) = app.get("/api/rooms?q=RDEN", &alice.token).await;
    assert_eq!(names(&found), ["gardening"]);

    let (_, found) = app.get("/api/rooms?q=nothing%20here", &alice.token).await;
    assert_eq!(found, json!([]));
}

#[actix_web::test]
async fn listing_rooms_filters_by_status() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    app.create_room(&alice, "open", json!({})).await;
    let closed = app.create_room(&alice, "closed", json!({})).await;
    let (status, _) = app
        .patch(&path(&closed), &alice.token, json!({"status": "inactive"}))
        .await;
    assert_eq!(status, 200);

    let (_, all) = app.get("/api/rooms", &alice.token).await;
    let (_, active) = app.get("/api/rooms?status=active", &alice.token).await;
    let (_, inactive) = app.get("/api/rooms?status=inactive", &alice.token).await;

    assert_eq!(names(&all), ["closed", "open"]);
    assert_eq!(names(&active), ["open"]);
    assert_eq!(names(&inactive), ["closed"]);
}

#[actix_web::test]
async fn listing_rooms_with_an_unknown_status_is_400_bad_request() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, body) = app.get("/api/rooms?status=sleeping", &alice.token).await;

    assert_eq!(status, 400, "{body}");
    assert_eq!(TestApp::error_code(&body), "bad_request");
}

// ---- GET /api/rooms/{id} ----

#[actix_web::test]
async fn anyone_can_get_a_room_and_a_member_also_sees_role_and_unread() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create_room(&alice, "lobby", json!({})).await;

    let (status, seen_by_alice) = app.get(&path(&room), &alice.token).await;
    assert_eq!(status, 200, "{seen_by_alice}");
    assert_eq!(seen_by_alice["role"], "owner");
    assert_eq!(seen_by_alice["unread"], 0);

    let (status, seen_by_bob) = app.get(&path(&room), &bob.token).await;
    assert_eq!(status, 200, "{seen_by_bob}");
    assert_eq!(seen_by_bob["name"], "lobby");
    assert_eq!(seen_by_bob["participant_count"], 1);
    assert!(
        seen_by_bob["role"].is_null(),
        "a stranger has no role: {seen_by_bob}"
    );
}

#[actix_web::test]
async fn a_private_room_id_works_as_an_invitation_link() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app
        .create_room(
            &alice,
            "club",
            json!({"visibility": "private", "description": "ask to join"}),
        )
        .await;

    let (status, seen) = app.get(&path(&room), &bob.token).await;

    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["name"], "club");
    assert_eq!(seen["description"], "ask to join");
    assert_eq!(seen["owner_id"], alice.id.as_str());
    assert_eq!(seen["participant_count"], 1);
}

#[actix_web::test]
async fn getting_an_unknown_room_is_404_not_found() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    for p in [
        format!("/api/rooms/{}", uuid::Uuid::new_v4()),
        "/api/rooms/lobby".to_string(),
        format!("/api/rooms/{}/participants", uuid::Uuid::new_v4()),
    ] {
        let (status, body) = app.get(&p, &alice.token).await;
        assert_eq!(status, 404, "{p}: {body}");
        assert_eq!(TestApp::error_code(&body), "not_found");
    }
}

// ---- PATCH /api/rooms/{id} ----

#[actix_web::test]
async fn the_owner_can_patch_every_room_setting() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;

    let (status, updated) = app
        .patch(
            &path(&room),
            &alice.token,
            json!({"name": "hall", "description": "big", "status": "inactive",
                   "max_participants": 5, "visibility": "private"}),
        )
        .await;

    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["id"], room["id"]);
    assert_eq!(updated["name"], "hall");
    assert_eq!(updated["description"], "big");
    assert_eq!(updated["status"], "inactive");
    assert_eq!(updated["max_participants"], 5);
    assert_eq!(updated["visibility"], "private");
    let (_, fetched) = app.get(&path(&room), &alice.token).await;
    assert_eq!(fetched["name"], "hall");
    assert_eq!(fetched["status"], "inactive");
    assert_eq!(fetched["visibility"], "private");
}

#[actix_web::test]
async fn a_partial_patch_changes_only_the_given_fields() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app
        .create_room(&alice, "lobby", json!({"description": "keep me"}))
        .await;

    let (status, updated) = app
        .patch(&path(&room), &alice.token, json!({"name": "hall"}))
        .await;

    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["description"], "keep me");
    assert_eq!(updated["visibility"], "public");
    assert_eq!(updated["status"], "active");
}

#[actix_web::test]
async fn a_member_or_stranger_patching_a_room_is_403_forbidden() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = app.create_room(&alice, "lobby", json!({})).await;
    app.join(&bob, id(&room)).await;

    for user in [&bob, &carol] {
        let (status, body) = app
            .patch(&path(&room), &user.token, json!({"name": "mine"}))
            .await;
        assert_eq!(status, 403, "{}: {body}", user.username);
        assert_eq!(TestApp::error_code(&body), "forbidden");
    }
    let (_, fetched) = app.get(&path(&room), &alice.token).await;
    assert_eq!(fetched["name"], "lobby");
}

#[actix_web::test]
async fn patching_a_room_with_invalid_values_is_422_or_400() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create_room(&alice, "lobby", json!({})).await;

    for (body, want) in [
        (json!({"name": ""}), 422),
        (json!({"name": "x".repeat(101)}), 422),
        (json!({"description": "x".repeat(1001)}), 422),
        (json!({"max_participants": 0}), 422),
        (json!({"max_participants": 10_001}), 422),
        (json!({"status": "paused"}), 400),
        (json!({"visibility": "hidden"}), 400),
        (json!({"name": 3}), 400),
    ] {
        let (status, res) = app.patch(&path(&room), &alice.token, body.clone()).await;
        assert_eq!(status, want, "{body}: {res}");
        let code = if want == 422 {
            "invalid"
        } else {
            "bad_request"
        };
        assert_eq!(TestApp::error_code(&res), code);
    }
    let (_, fetched) = app.get(&path(&room), &alice.token).await;
    assert_eq!(fetched["name"], "lobby");
    assert_eq!(fetched["max_participants"], 50);
}

#[actix_web::test]
async fn patching_an_unknown_room_is_404_not_found() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, body) = app
        .patch(
            &format!("/api/rooms/{}", uuid::Uuid::new_v4()),
            &alice.token,
            json!({"name": "x"}),
        )
        .await;

    assert_eq!(status, 404, "{body}");
    assert_eq!(TestApp::error_code(&body), "not_found");
}

// ---- DELETE /api/rooms/{id} ----

#[actix_web::test]
async fn the_owner_deleting_a_room_is_204_and_the_room_is_gone() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create_room(&alice, "lobby", json!({})).await;
    app.join(&bob, id(&room)).await;

    let (status, body) = app.delete(&path(&room), &alice.token).await;

    assert_eq!(status, 204, "{body}");
    let (status, body) = app.get(&path(&room), &bob.token).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(TestApp::error_code(&body), "not_found");
    let (_, list) = app.get("/api/rooms", &bob.token).await;
    assert_eq!(list, json!([]));
    let (status, _) = app.join(&bob, id(&room)).await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn deleting_a_persistent_room_removes_it_for_good() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app
        .create_room(&alice, "archive", json!({"persistent": true}))
        .await;

    assert_eq!(app.delete(&path(&room), &alice.token).await.0, 204);
    let app = restart(app).await;

    assert_eq!(app.get(&path(&room), &alice.token).await.0, 404);
}

#[actix_web::test]
async fn a_member_or_stranger_deleting_a_room_is_403_forbidden() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = app.create_room(&alice, "lobby", json!({})).await;
    app.join(&bob, id(&room)).await;

    for user in [&bob, &carol] {
        let (status, body) = app.delete(&path(&room), &user.token).await;
        assert_eq!(status, 403, "{}: {body}", user.username);
        assert_eq!(TestApp::error_code(&body), "forbidden");
    }
    assert_eq!(app.get(&path(&room), &alice.token).await.0, 200);
}

#[actix_web::test]
async fn deleting_an_unknown_room_is_404_not_found() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, body) = app
        .delete(
            &format!("/api/rooms/{}", uuid::Uuid::new_v4()),
            &alice.token,
        )
        .await;

    assert_eq!(status, 404, "{body}");
}

// ---- GET /api/rooms/{id}/participants ----

#[actix_web::test]
async fn members_see_participants_with_user_role_joined_at_and_online() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create_room(&alice, "lobby", json!({})).await;
    app.join(&bob, id(&room)).await;

    let list = participants(&app, &bob, &room).await;

    assert_eq!(list.len(), 2);
    assert_eq!(role_of(&list, &alice).as_deref(), Some("owner"));
    assert_eq!(role_of(&list, &bob).as_deref(), Some("member"));
    for p in &list {
        assert!(p["user"]["username"].is_string(), "{p}");
        assert!(p["user"]["display_name"].is_string(), "{p}");
        assert!(p["user"].get("email").is_none(), "{p}");
        assert!(
            p["joined_at"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{p}"
        );
        assert_eq!(p["online"], false, "nobody is subscribed: {p}");
    }
}

#[actix_web::test]
async fn anyone_can_see_the_participants_of_a_public_room() {
    let app = spawn_app().await;
    let (alice, carol) = (app.user("alice").await, app.user("carol").await);
    let room = app.create_room(&alice, "lobby", json!({})).await;

    let list = participants(&app, &carol, &room).await;

    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["user"]["id"], alice.id.as_str());
}

#[actix_web::test]
async fn a_stranger_listing_a_private_rooms_participants_is_403_forbidden() {
    let app = spawn_app().await;
    let (alice, carol) = (app.user("alice").await, app.user("carol").await);
    let room = app
        .create_room(&alice, "club", json!({"visibility": "private"}))
        .await;

    let (status, body) = app
        .get(&format!("{}/participants", path(&room)), &carol.token)
        .await;

    assert_eq!(status, 403, "{body}");
    assert_eq!(TestApp::error_code(&body), "forbidden");
}

// ---- POST /api/rooms/{id}/join ----

#[actix_web::test]
async fn joining_a_public_active_room_with_space_is_200_with_the_room() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create_room(&alice, "lobby", json!({})).await;

    let (status, joined) = app.join(&bob, id(&room)).await;

    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["id"], room["id"]);
    assert_eq!(joined["role"], "member");
    assert_eq!(joined["participant_count"], 2);
    let list = participants(&app, &alice, &room).await;
    assert_eq!(role_of(&list, &bob).as_deref(), Some("member"));
    let (_, listed) = app.get("/api/rooms", &bob.token).await;
    assert_eq!(listed[0]["role"], "member");
}

#[actix_web::test]
async fn joining_a_room_one_is_already_in_is_409_conflict() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create_room(&alice, "lobby", json!({})).await;
    app.join(&bob, id(&room)).await;

    for user in [&alice, &bob] {
        let (status, body) = app.join(user, id(&room)).await;
        assert_eq!(status, 409, "{}: {body}", user.username);
        assert_eq!(TestApp::error_code(&body), "conflict");
    }
    let (_, fetched) = app.get(&path(&room), &alice.token).await;
    assert_eq!(fetched["participant_count"], 2);
}

#[actix_web::test]
async fn joining_a_full_room_is_409_conflict() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = app
        .create_room(&alice, "pair", json!({"max_participants": 2}))
        .await;
    assert_eq!(app.join(&bob, id(&room)).await.0, 200);

    let (status, body) = app.join(&carol, id(&room)).await;

    assert_eq!(status, 409, "{body}");
    assert_eq!(TestApp::error_code(&body), "conflict");
    let (_, fetched) = app.get(&path(&room), &alice.token).await;
    assert_eq!(fetched["participant_count"], 2);
}

#[actix_web::test]
async fn concurrent_joins_never_overfill_a_room() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app
        .create_room(&alice, "small", json!({"max_participants": 4}))
        .await;
    let mut users = Vec::new();
    for i in 0..10 {
        users.push(app.user(&format!("user{i}")).await);
    }

    let results =
        futures_util::future::join_all(users.iter().map(|u| app.join(u, id(&room)))).await;

    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let full = results.iter().filter(|(s, _)| *s == 409).count();
    assert_eq!((ok, full), (3, 7), "{results:?}");
    let (_, fetched) = app.get(&path(&room), &alice.token).await;
    assert_eq!(fetched["participant_count"], 4);
    assert_eq!(participants(&app, &alice, &room).await.len(), 4);
}

#[actix_web::test]
async fn joining_an_inactive_room_is_409_conflict() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create_room(&alice, "lobby", json!({})).await;
    app.patch(&path(&room), &alice.token, json!({"status": "inactive"}))
        .await;

    let (status, body) = app.join(&bob, id(&room)).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(TestApp::error_code(&body), "conflict");

    app.patch(&path(&room), &alice.token, json!({"status": "active"}))
        .await;
    assert_eq!(app.join(&bob, id(&room)).await.0, 200, "reactivated");
}

#[actix_web::test]
async fn joining_a_private_room_without_an_invite_is_403_forbidden() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app
        .create_room(&alice, "club", json!({"visibility": "private"}))
        .await;

    let (status, body) = app.join(&bob, id(&room)).await;

    assert_eq!(status, 403, "{body}");
    assert_eq!(TestApp::error_code(&body), "forbidden");
}

#[actix_web::test]
async fn joining_an_unknown_room_is_404_not_found() {
    let app = spawn_app().await;
    let bob = app.user("bob").await;

    let (status, body) = app.join(&bob, &uuid::Uuid::new_v4().to_string()).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(TestApp::error_code(&body), "not_found");

    let (status, _) = app.join(&bob, "not-a-uuid").await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn lowering_max_participants_below_the_count_only_blocks_new_joins() {
    let app = spawn_app().await;
    let (alice, bob, carol, dave) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
        app.user("dave").await,
    );
    let room = app.create_room(&alice, "lobby", json!({})).await;
    app.join(&bob, id(&room)).await;
    app.join(&carol, id(&room)).await;

    let (status, updated) = app
        .patch(&path(&room), &alice.token, json!({"max_participants": 1}))
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["max_participants"], 1);
    assert_eq!(updated["participant_count"], 3, "nobody is removed");
    assert_eq!(participants(&app, &alice, &room).await.len(), 3);

    let (status, _) = app.join(&dave, id(&room)).await;
    assert_eq!(status, 409);

    app.patch(&path(&room), &alice.token, json!({"max_participants": 10}))
        .await;
    assert_eq!(app.join(&dave, id(&room)).await.0, 200);
}

// ---- POST /api/rooms/{id}/leave ----

#[actix_web::test]
async fn a_member_leaving_is_204_and_drops_out_of_participants() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create_room(&alice, "lobby", json!({})).await;
    app.join(&bob, id(&room)).await;

    let (status, body) = leave(&app, &bob, &room).await;

    assert_eq!(status, 204, "{body}");
    let list = participants(&app, &alice, &room).await;
    assert_eq!(list.len(), 1);
    assert_eq!(role_of(&list, &bob), None);
    let (_, fetched) = app.get(&path(&room), &alice.token).await;
    assert_eq!(fetched["participant_count"], 1);
    assert_eq!(app.join(&bob, id(&room)).await.0, 200, "may come back");
}

#[actix_web::test]
async fn leaving_a_room_one_is_not_in_is_409_conflict() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create_room(&alice, "lobby", json!({})).await;

    let (status, body) = leave(&app, &bob, &room).await;

    assert_eq!(status, 409, "{body}");
    assert_eq!(TestApp::error_code(&body), "conflict");
}

#[actix_web::test]
async fn leaving_an_unknown_room_is_404_not_found() {
    let app = spawn_app().await;
    let bob = app.user("bob").await;

    let (status, body) = app
        .post(
            &format!("/api/rooms/{}/leave", uuid::Uuid::new_v4()),
            &bob.token,
            json!({}),
        )
        .await;

    assert_eq!(status, 404, "{body}");
}

#[actix_web::test]
async fn an_owner_leaving_passes_ownership_to_the_moderator_over_older_members() {
    let app = spawn_app().await;
    let (alice, bob, carol, dave) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
        app.user("dave").await,
    );
    let room = app.create_room(&alice, "lobby", json!({})).await;
    for u in [&bob, &carol, &dave] {
        app.join(u, id(&room)).await;
    }
    set_role(&app, &alice, &room, &dave, "moderator").await;

    assert_eq!(leave(&app, &alice, &room).await.0, 204);

    let (_, fetched) = app.get(&path(&room), &dave.token).await;
    assert_eq!(fetched["owner_id"], dave.id.as_str());
    assert_eq!(fetched["role"], "owner");
    let list = participants(&app, &bob, &room).await;
    assert_eq!(list.len(), 3);
    assert_eq!(role_of(&list, &dave).as_deref(), Some("owner"));
    assert_eq!(role_of(&list, &bob).as_deref(), Some("member"));
    assert_eq!(role_of(&list, &carol).as_deref(), Some("member"));
    let (status, _) = app
        .patch(&path(&room), &dave.token, json!({"name": "dave's"}))
        .await;
    assert_eq!(status, 200, "the new owner can manage the room");
}

#[actix_web::test]
async fn an_owner_leaving_passes_ownership_to_the_longest_standing_moderator() {
    let app = spawn_app().await;
    let (alice, bob, carol, dave) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
        app.user("dave").await,
    );
    let room = app.create_room(&alice, "lobby", json!({})).await;
    for u in [&bob, &carol, &dave] {
        app.join(u, id(&room)).await;
    }
    // Promoted in the opposite order to joining: joined_at decides, not promotion time.
    set_role(&app, &alice, &room, &dave, "moderator").await;
    set_role(&app, &alice, &room, &carol, "moderator").await;

    assert_eq!(leave(&app, &alice, &room).await.0, 204);

    let (_, fetched) = app.get(&path(&room), &bob.token).await;
    assert_eq!(fetched["owner_id"], carol.id.as_str());
    let list = participants(&app, &bob, &room).await;
    assert_eq!(role_of(&list, &carol).as_deref(), Some("owner"));
    assert_eq!(role_of(&list, &dave).as_deref(), Some("moderator"));
}

#[actix_web::test]
async fn an_owner_leaving_without_moderators_passes_ownership_to_the_longest_standing_member() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = app.create_room(&alice, "lobby", json!({})).await;
    app.join(&bob, id(&room)).await;
    app.join(&carol, id(&room)).await;

    assert_eq!(leave(&app, &alice, &room).await.0, 204);

    let (_, fetched) = app.get(&path(&room), &carol.token).await;
    assert_eq!(fetched["owner_id"], bob.id.as_str());
    let list = participants(&app, &carol, &room).await;
    assert_eq!(role_of(&list, &bob).as_deref(), Some("owner"));
    assert_eq!(role_of(&list, &carol).as_deref(), Some("member"));
}

#[actix_web::test]
async fn a_temporary_room_left_empty_is_destroyed_after_empty_ttl() {
    let app = spawn_app_with(|s| s.rooms.empty_ttl = Duration::from_millis(300)).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create_room(&alice, "pop-up", json!({})).await;

    assert_eq!(leave(&app, &alice, &room).await.0, 204);
    wait_until_gone(&app, &bob, &room).await;

    let (_, list) = app.get("/api/rooms", &bob.token).await;
    assert_eq!(list, json!([]));
    assert_eq!(app.join(&bob, id(&room)).await.0, 404);
}

#[actix_web::test]
async fn a_persistent_room_left_empty_outlives_empty_ttl() {
    let app = spawn_app_with(|s| s.rooms.empty_ttl = Duration::from_millis(300)).await;
    let alice = app.user("alice").await;
    let persistent = app
        .create_room(&alice, "archive", json!({"persistent": true}))
        .await;
    // The temporary room is the clock: once it is gone, empty_ttl has passed.
    let temporary = app.create_room(&alice, "pop-up", json!({})).await;

    assert_eq!(leave(&app, &alice, &persistent).await.0, 204);
    assert_eq!(leave(&app, &alice, &temporary).await.0, 204);
    wait_until_gone(&app, &alice, &temporary).await;

    let (status, body) = app.get(&path(&persistent), &alice.token).await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = app.get("/api/rooms", &alice.token).await;
    assert_eq!(names(&list), ["archive"]);
}

#[actix_web::test]
async fn an_empty_temporary_room_is_still_there_before_empty_ttl() {
    let app = spawn_app_with(|s| s.rooms.empty_ttl = Duration::from_secs(600)).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create_room(&alice, "pop-up", json!({})).await;

    assert_eq!(leave(&app, &alice, &room).await.0, 204);

    let (status, fetched) = app.get(&path(&room), &bob.token).await;
    assert_eq!(status, 200, "{fetched}");
    assert_eq!(fetched["participant_count"], 0);
    assert_eq!(
        app.join(&bob, id(&room)).await.0,
        200,
        "an empty room can be rejoined"
    );
}

// ---- restarts ----

#[actix_web::test]
async fn a_persistent_room_and_its_members_survive_a_restart_and_a_temporary_one_does_not() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let persistent = app
        .create_room(
            &alice,
            "archive",
            json!({"persistent": true, "description": "kept", "max_participants": 9}),
        )
        .await;
    let temporary = app.create_room(&alice, "pop-up", json!({})).await;
    app.join(&bob, id(&persistent)).await;
    set_role(&app, &alice, &persistent, &bob, "moderator").await;

    let app = restart(app).await;

    let (status, room) = app.get(&path(&persistent), &bob.token).await;
    assert_eq!(status, 200, "{room}");
    assert_eq!(room["name"], "archive");
    assert_eq!(room["persistent"], true);
    assert_eq!(room["description"], "kept");
    assert_eq!(room["max_participants"], 9);
    assert_eq!(room["owner_id"], alice.id.as_str());
    assert_eq!(room["participant_count"], 2);
    assert_eq!(room["role"], "moderator");
    assert_eq!(app.get(&path(&temporary), &alice.token).await.0, 404);
}
