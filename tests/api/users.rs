//! SPEC §2 (users half): `GET`/`PATCH /api/users/me`, user search and lookup.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

async fn login(app: &TestApp, username: &str, password: &str) -> (u16, Value) {
    app.call(
        reqwest::Method::POST,
        "/api/auth/login",
        None,
        Some(json!({"username": username, "password": password})),
    )
    .await
}

fn usernames(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

// ---- GET /api/users/me ----

#[actix_web::test]
async fn get_me_returns_the_callers_user() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, me) = app.get("/api/users/me", &alice.token).await;

    assert_eq!(status, 200, "{me}");
    assert_eq!(me["id"], alice.id.as_str());
    assert_eq!(me["username"], "alice");
    assert_eq!(me["display_name"], "alice");
    assert_eq!(me["is_admin"], false);
    let created = me["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
    assert!(me.get("password").is_none() && me.get("password_hash").is_none());
}

// ---- PATCH /api/users/me ----

#[actix_web::test]
async fn patch_me_changes_the_display_name_everyone_sees() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);

    let (status, me) = app
        .patch(
            "/api/users/me",
            &alice.token,
            json!({"display_name": "  Alice Liddell "}),
        )
        .await;

    assert_eq!(status, 200, "{me}");
    assert_eq!(me["display_name"], "Alice Liddell");
    assert_eq!(me["username"], "alice");
    let (_, seen) = app
        .get(&format!("/api/users/{}", alice.id), &bob.token)
        .await;
    assert_eq!(seen["display_name"], "Alice Liddell");
    let (_, me) = app.get("/api/users/me", &alice.token).await;
    assert_eq!(me["display_name"], "Alice Liddell");
}

#[actix_web::test]
async fn patch_me_with_an_empty_body_changes_nothing() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, me) = app.patch("/api/users/me", &alice.token, json!({})).await;

    assert_eq!(status, 200, "{me}");
    assert_eq!(me["display_name"], "alice");
}

#[actix_web::test]
async fn a_display_name_of_64_chars_is_accepted() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let name = "é".repeat(64);

    let (status, me) = app
        .patch("/api/users/me", &alice.token, json!({"display_name": name}))
        .await;

    assert_eq!(status, 200, "{me}");
    assert_eq!(me["display_name"], name.as_str());
}

#[actix_web::test]
async fn a_display_name_empty_or_over_64_chars_is_422_invalid() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    for name in [String::new(), "   ".to_string(), "x".repeat(65)] {
        let (status, body) = app
            .patch("/api/users/me", &alice.token, json!({"display_name": name}))
            .await;
        assert_eq!(status, 422, "{name:?}: {body}");
        assert_eq!(TestApp::error_code(&body), "invalid");
    }
    let (_, me) = app.get("/api/users/me", &alice.token).await;
    assert_eq!(
        me["display_name"], "alice",
        "a refused change leaves no trace"
    );
}

#[actix_web::test]
async fn a_display_name_of_the_wrong_type_is_400_bad_request() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, body) = app
        .patch("/api/users/me", &alice.token, json!({"display_name": 7}))
        .await;

    assert_eq!(status, 400, "{body}");
    assert_eq!(TestApp::error_code(&body), "bad_request");
}

#[actix_web::test]
async fn a_body_over_the_size_limit_is_413_too_large() {
    let app = spawn_app_with(|s| s.limits.max_body_bytes = 4096).await;
    let alice = app.user("alice").await;

    let (status, body) = app
        .patch(
            "/api/users/me",
            &alice.token,
            json!({"display_name": "x".repeat(8192)}),
        )
        .await;

    assert_eq!(status, 413, "{body}");
    assert_eq!(TestApp::error_code(&body), "too_large");
}

#[actix_web::test]
async fn changing_the_password_lets_the_new_one_log_in_and_not_the_old() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, me) = app
        .patch(
            "/api/users/me",
            &alice.token,
            json!({"password": "a brand new secret", "current_password": alice.password}),
        )
        .await;

    assert_eq!(status, 200, "{me}");
    assert_eq!(me["id"], alice.id.as_str());
    assert_eq!(login(&app, "alice", "a brand new secret").await.0, 200);
    assert_eq!(login(&app, "alice", &alice.password).await.0, 401);
}

#[actix_web::test]
async fn changing_the_password_without_current_password_is_400_bad_request() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, body) = app
        .patch(
            "/api/users/me",
            &alice.token,
            json!({"password": "a brand new secret"}),
        )
        .await;

    assert_eq!(status, 400, "{body}");
    assert_eq!(TestApp::error_code(&body), "bad_request");
    assert_eq!(login(&app, "alice", &alice.password).await.0, 200);
}

#[actix_web::test]
async fn changing_the_password_with_a_wrong_current_password_is_403_forbidden() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, body) = app
        .patch(
            "/api/users/me",
            &alice.token,
            json!({"password": "a brand new secret", "current_password": "not it at all"}),
        )
        .await;

    assert_eq!(status, 403, "{body}");
    assert_eq!(TestApp::error_code(&body), "forbidden");
    assert_eq!(login(&app, "alice", &alice.password).await.0, 200);
    assert_eq!(login(&app, "alice", "a brand new secret").await.0, 401);
}

#[actix_web::test]
async fn changing_to_a_password_under_8_chars_is_422_invalid() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, body) = app
        .patch(
            "/api/users/me",
            &alice.token,
            json!({"password": "short", "current_password": alice.password}),
        )
        .await;

    assert_eq!(status, 422, "{body}");
    assert_eq!(TestApp::error_code(&body), "invalid");
    assert_eq!(login(&app, "alice", &alice.password).await.0, 200);
}

#[actix_web::test]
async fn a_failed_patch_changes_nothing_at_all() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, _) = app
        .patch(
            "/api/users/me",
            &alice.token,
            json!({"display_name": "New Name", "password": "short", "current_password": alice.password}),
        )
        .await;

    assert_eq!(status, 422);
    let (_, me) = app.get("/api/users/me", &alice.token).await;
    assert_eq!(me["display_name"], "alice");
}

// ---- GET /api/users?q= ----

#[actix_web::test]
async fn user_search_is_a_case_insensitive_prefix_match_on_username_and_display_name() {
    let app = spawn_app().await;
    let carol = app.user("carol").await;
    app.user("alice").await;
    app.user("Alina").await;
    let bob = app.user("bob").await;
    app.user("malcolm").await;
    app.patch(
        "/api/users/me",
        &bob.token,
        json!({"display_name": "Alfred"}),
    )
    .await;

    let (status, found) = app.get("/api/users?q=al", &carol.token).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(usernames(&found), ["Alina", "alice", "bob"]);

    let (_, found) = app.get("/api/users?q=AL", &carol.token).await;
    assert_eq!(usernames(&found), ["Alina", "alice", "bob"]);

    let (_, found) = app.get("/api/users?q=lice", &carol.token).await;
    assert_eq!(
        usernames(&found),
        Vec::<String>::new(),
        "prefix, not substring"
    );

    let (_, found) = app.get("/api/users?q=zzz", &carol.token).await;
    assert_eq!(found, json!([]));
}

#[actix_web::test]
async fn user_search_excludes_the_caller() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    app.user("alina").await;

    let (status, found) = app.get("/api/users?q=ali", &alice.token).await;

    assert_eq!(status, 200, "{found}");
    assert_eq!(usernames(&found), ["alina"]);
}

#[actix_web::test]
async fn user_search_results_are_public_user_objects() {
    let app = spawn_app().await;
    let bob = app.user("bob").await;
    app.call(
        reqwest::Method::POST,
        "/api/auth/register",
        None,
        Some(json!({"username": "alice", "password": "password1", "email": "a@example.com"})),
    )
    .await;

    let (_, found) = app.get("/api/users?q=alice", &bob.token).await;

    let user = &found[0];
    assert_eq!(user["username"], "alice");
    for key in ["id", "display_name", "created_at", "is_admin"] {
        assert!(user.get(key).is_some(), "{key} missing: {user}");
    }
    assert!(user.get("email").is_none(), "{user}");
}

// ---- GET /api/users/{id} ----

#[actix_web::test]
async fn get_user_by_id_returns_that_user() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);

    let (status, user) = app
        .get(&format!("/api/users/{}", bob.id), &alice.token)
        .await;

    assert_eq!(status, 200, "{user}");
    assert_eq!(user["id"], bob.id.as_str());
    assert_eq!(user["username"], "bob");
    assert_eq!(user["display_name"], "bob");
    assert_eq!(user["is_admin"], false);
}

#[actix_web::test]
async fn get_user_with_an_unknown_id_is_404_not_found() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let unknown = uuid::Uuid::new_v4();
    for path in [
        format!("/api/users/{unknown}"),
        "/api/users/not-a-uuid".to_string(),
    ] {
        let (status, body) = app.get(&path, &alice.token).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(TestApp::error_code(&body), "not_found");
    }
}
