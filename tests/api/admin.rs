//! Administrators (SPEC §3 "who" columns, §7 `parlor user add --admin`, §8):
//! made by the real binary against the running app's database, then
//! `GET /api/admin/rooms`, disabling and enabling accounts, and an admin's
//! powers in rooms they are not in.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app, spawn_with_settings};
use crate::ws_client::post_text;

const ADMIN_PASSWORD: &str = "admin password 1";

/// Runs `parlor user add NAME --admin --database <the app's db>` (password
/// on stdin) while the app runs, then logs the new admin in over HTTP.
pub async fn make_admin(app: &TestApp, name: &str) -> TestUser {
    let db = app.db_path.clone();
    let cwd = app.dir.path().to_path_buf();
    let owned = name.to_string();
    let output = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_parlor"));
        cmd.args(["user", "add", &owned, "--admin", "--database"])
            .arg(&db)
            // No ./config.toml and no PARLOR__ variables from the test run.
            .current_dir(&cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PARLOR__") {
                cmd.env_remove(key);
            }
        }
        let mut child = cmd.spawn().expect("parlor user add starts");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(format!("{ADMIN_PASSWORD}\n").as_bytes())
            .expect("password written");
        child.wait_with_output().expect("parlor user add finishes")
    })
    .await
    .expect("user add task");
    assert!(
        output.status.success(),
        "parlor user add {name} --admin: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let (status, body) = login(app, name, ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "admin login: {body}");
    assert_eq!(body["user"]["is_admin"], true, "{body}");
    TestUser {
        id: body["user"]["id"].as_str().unwrap().to_string(),
        username: name.to_string(),
        password: ADMIN_PASSWORD.to_string(),
        token: body["access_token"].as_str().unwrap().to_string(),
        refresh_token: body["refresh_token"].as_str().unwrap().to_string(),
    }
}

async fn login(app: &TestApp, username: &str, password: &str) -> (u16, Value) {
    app.call(
        reqwest::Method::POST,
        "/api/auth/login",
        None,
        Some(json!({"username": username, "password": password})),
    )
    .await
}

async fn disable(app: &TestApp, by: &TestUser, user_id: &str) -> (u16, Value) {
    app.post(
        &format!("/api/admin/users/{user_id}/disable"),
        &by.token,
        json!({}),
    )
    .await
}

async fn enable(app: &TestApp, by: &TestUser, user_id: &str) -> (u16, Value) {
    app.post(
        &format!("/api/admin/users/{user_id}/enable"),
        &by.token,
        json!({}),
    )
    .await
}

fn room_id(room: &Value) -> String {
    room["id"].as_str().expect("room id").to_string()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

// ---- making an admin, listing every room ----

#[actix_web::test]
async fn an_admin_made_by_the_cli_while_the_server_runs_can_log_in_and_is_an_admin() {
    let app = spawn_app().await;

    let root = make_admin(&app, "root").await;

    let (status, me) = app.get("/api/users/me", &root.token).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["is_admin"], true);
    assert_eq!(me["username"], "root");
}

#[actix_web::test]
async fn admin_rooms_lists_every_room_private_ones_included_and_is_403_for_others() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let root = make_admin(&app, "root").await;
    let public = app.create_room(&alice, "open", json!({})).await;
    let private = app
        .create_room(&alice, "hidden", json!({"visibility": "private"}))
        .await;
    let stored = app
        .create_room(
            &bob,
            "stored",
            json!({"visibility": "private", "persistent": true}),
        )
        .await;

    let (status, all) = app.get("/api/admin/rooms", &root.token).await;
    assert_eq!(status, 200, "{all}");
    let all = ids(&all);
    for room in [&public, &private, &stored] {
        assert!(all.contains(&room_id(room)), "{room} missing from {all:?}");
    }
    let (status, listed) = app.get("/api/rooms", &root.token).await;
    assert_eq!(status, 200);
    assert!(
        !ids(&listed).contains(&room_id(&private)),
        "the ordinary listing stays the caller's view: {listed}"
    );

    let (status, body) = app.get("/api/admin/rooms", &alice.token).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(TestApp::error_code(&body), "forbidden");
}

// ---- powers in rooms the admin is not in ----

#[actix_web::test]
async fn an_admin_may_patch_kick_invite_and_approve_in_a_private_room_they_are_not_in() {
    let app = spawn_app().await;
    let (owner, member, guest, asker) = (
        app.user("owner").await,
        app.user("member").await,
        app.user("guest").await,
        app.user("asker").await,
    );
    let root = make_admin(&app, "root").await;
    let room = app
        .create_room(&owner, "secret", json!({"visibility": "private"}))
        .await;
    let id = room_id(&room);
    let (s, _) = app
        .post(
            &format!("/api/rooms/{id}/invites"),
            &owner.token,
            json!({"user_id": member.id}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(app.join(&member, &id).await.0, 200);

    let (status, patched) = app
        .patch(
            &format!("/api/rooms/{id}"),
            &root.token,
            json!({"name": "moderated"}),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["name"], "moderated");

    let (status, body) = app
        .post(
            &format!("/api/rooms/{id}/kick/{}", member.id),
            &root.token,
            json!({"reason": "admin says so"}),
        )
        .await;
    assert_eq!(status, 204, "{body}");

    let (status, invite) = app
        .post(
            &format!("/api/rooms/{id}/invites"),
            &root.token,
            json!({"user_id": guest.id}),
        )
        .await;
    assert_eq!(status, 201, "{invite}");
    assert_eq!(invite["by"]["id"], root.id.as_str());
    assert_eq!(
        app.join(&guest, &id).await.0,
        200,
        "the admin's invite works"
    );

    let (status, request) = app
        .post(
            &format!("/api/rooms/{id}/join-requests"),
            &asker.token,
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{request}");
    let (status, listed) = app
        .get(&format!("/api/rooms/{id}/join-requests"), &root.token)
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(ids(&listed), vec![request["id"].as_str().unwrap()]);
    let (status, decided) = app
        .post(
            &format!(
                "/api/rooms/{id}/join-requests/{}/approve",
                request["id"].as_str().unwrap()
            ),
            &root.token,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["status"], "approved");

    let (status, people) = app
        .get(&format!("/api/rooms/{id}/participants"), &owner.token)
        .await;
    assert_eq!(status, 200);
    let mut in_room: Vec<String> = people
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["user"]["username"].as_str().unwrap().to_string())
        .collect();
    in_room.sort();
    assert_eq!(in_room, vec!["asker", "guest", "owner"]);
}

#[actix_web::test]
async fn an_admin_may_delete_any_message_and_room_but_not_kick_the_owner() {
    let app = spawn_app().await;
    let (owner, member) = (app.user("owner").await, app.user("member").await);
    let root = make_admin(&app, "root").await;
    let room = app.create_room(&owner, "lobby", json!({})).await;
    let id = room_id(&room);
    assert_eq!(app.join(&member, &id).await.0, 200);
    let message = post_text(&app, &member, &id, "rude words").await;

    let (status, body) = app
        .delete(
            &format!(
                "/api/rooms/{id}/messages/{}",
                message["id"].as_str().unwrap()
            ),
            &root.token,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (_, page) = app
        .get(&format!("/api/rooms/{id}/messages"), &owner.token)
        .await;
    assert_eq!(page[0]["deleted"], true, "{page}");

    let (status, body) = app
        .post(
            &format!("/api/rooms/{id}/kick/{}", owner.id),
            &root.token,
            json!({}),
        )
        .await;
    assert_eq!(
        status, 403,
        "the owner cannot be kicked, even by an admin: {body}"
    );
    assert_eq!(TestApp::error_code(&body), "forbidden");

    let (status, body) = app.delete(&format!("/api/rooms/{id}"), &root.token).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        app.get(&format!("/api/rooms/{id}"), &owner.token).await.0,
        404
    );
}

#[actix_web::test]
async fn an_admin_cannot_decide_their_own_join_request() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let root = make_admin(&app, "root").await;
    let room = app
        .create_room(&owner, "secret", json!({"visibility": "private"}))
        .await;
    let id = room_id(&room);
    let (status, request) = app
        .post(
            &format!("/api/rooms/{id}/join-requests"),
            &root.token,
            json!({"message": "let me in"}),
        )
        .await;
    assert_eq!(status, 201, "{request}");
    let rid = request["id"].as_str().unwrap();

    for verb in ["approve", "deny"] {
        let (status, body) = app
            .post(
                &format!("/api/rooms/{id}/join-requests/{rid}/{verb}"),
                &root.token,
                json!({}),
            )
            .await;
        assert_eq!(status, 403, "{verb} own request: {body}");
        assert_eq!(TestApp::error_code(&body), "forbidden");
    }
    assert_eq!(app.join(&root, &id).await.0, 403, "still not a member");
}

// ---- disabling and enabling accounts ----

#[actix_web::test]
async fn disabling_a_user_kills_their_token_connections_login_and_refresh_at_once() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let root = make_admin(&app, "root").await;
    let room = app.create_room(&bob, "lobby", json!({})).await;
    let id = room_id(&room);
    assert_eq!(app.join(&alice, &id).await.0, 200);
    let mut subscribed = app.ws(&alice).await;
    subscribed.subscribe(&id).await;
    let mut idle = app.ws(&alice).await;
    idle.sync().await;
    let mut bystander = app.ws(&bob).await;
    bystander.subscribe(&id).await;

    let (status, user) = disable(&app, &root, &alice.id).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["id"], alice.id.as_str());
    assert_eq!(user["username"], "alice");

    assert_eq!(subscribed.expect_close().await, Some(1008));
    assert_eq!(idle.expect_close().await, Some(1008));
    for (method, path) in [
        (reqwest::Method::GET, "/api/users/me".to_string()),
        (reqwest::Method::GET, "/api/rooms".to_string()),
        (reqwest::Method::GET, format!("/api/rooms/{id}/messages")),
    ] {
        let (status, body) = app.call(method, &path, Some(&alice.token), None).await;
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(TestApp::error_code(&body), "unauthorized");
    }
    let (status, body) = app
        .post(
            &format!("/api/rooms/{id}/messages"),
            &alice.token,
            json!({"text": "still here?"}),
        )
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        app.ws_refused_status(&format!("/ws?token={}", alice.token))
            .await,
        401
    );
    let (status, body) = login(&app, "alice", &alice.password).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(TestApp::error_code(&body), "forbidden");
    let (status, body) = app
        .call(
            reqwest::Method::POST,
            "/api/auth/refresh",
            None,
            Some(json!({"refresh_token": alice.refresh_token})),
        )
        .await;
    assert_eq!(status, 401, "{body}");

    // The room goes on for everyone else.
    let sent = post_text(&app, &bob, &id, "after alice").await;
    let frame = bystander.expect("message").await;
    assert_eq!(frame["message"]["id"], sent["id"]);
}

#[actix_web::test]
async fn enabling_a_user_restores_login_but_not_the_tokens_revoked_on_disable() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let root = make_admin(&app, "root").await;
    assert_eq!(disable(&app, &root, &alice.id).await.0, 200);

    let (status, user) = enable(&app, &root, &alice.id).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["id"], alice.id.as_str());

    let (status, body) = login(&app, "alice", &alice.password).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let (status, me) = app.get("/api/users/me", token).await;
    assert_eq!(status, 200, "{me}");
    let mut ws = app.ws_path(&format!("/ws?token={token}")).await;
    ws.sync().await;
    let (status, body) = app
        .call(
            reqwest::Method::POST,
            "/api/auth/refresh",
            None,
            Some(json!({"refresh_token": alice.refresh_token})),
        )
        .await;
    assert_eq!(
        status, 401,
        "a refresh token revoked by the disable stays dead: {body}"
    );
}

#[actix_web::test]
async fn disable_and_enable_refuse_non_admins_unknown_users_and_self_disable() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let root = make_admin(&app, "root").await;
    let nobody = "00000000-0000-4000-8000-000000000000";

    for (status, body) in [
        disable(&app, &alice, &bob.id).await,
        enable(&app, &alice, &bob.id).await,
    ] {
        assert_eq!(status, 403, "{body}");
        assert_eq!(TestApp::error_code(&body), "forbidden");
    }
    for (status, body) in [
        disable(&app, &root, nobody).await,
        enable(&app, &root, nobody).await,
    ] {
        assert_eq!(status, 404, "{body}");
        assert_eq!(TestApp::error_code(&body), "not_found");
    }
    let (status, body) = disable(&app, &root, &root.id).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(TestApp::error_code(&body), "invalid");
    assert_eq!(app.get("/api/users/me", &root.token).await.0, 200);
    assert_eq!(
        app.get("/api/users/me", &bob.token).await.0,
        200,
        "a refused disable changes nothing"
    );
}

#[actix_web::test]
async fn a_disabled_account_stays_disabled_after_a_restart() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let root = make_admin(&app, "root").await;
    assert_eq!(disable(&app, &root, &alice.id).await.0, 200);

    app.shutdown().await;
    let mut s = parlor::config::Settings::default();
    s.server.bind = "127.0.0.1:0".parse().unwrap();
    s.server.workers = 2;
    s.server.room_threads = 2;
    s.database.path = app.db_path.clone();
    s.limits.auth_attempts_per_min = 1000;
    let app = spawn_with_settings(s, app.dir, app.db_path).await;

    let (status, body) = app.get("/api/users/me", &alice.token).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(login(&app, "alice", &alice.password).await.0, 403);
    let (status, body) = app.get("/api/admin/rooms", &root.token).await;
    assert_eq!(status, 200, "the admin survives too: {body}");
}
