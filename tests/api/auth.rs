//! SPEC §1 and §2 (auth half): register, login, refresh, logout, bearer
//! tokens, failed-login throttling, and tokens surviving a restart.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with, spawn_with_settings};

const SECRET: &str = "test-secret";

/// An auth route without a bearer token.
async fn anon_post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    app.call(reqwest::Method::POST, path, None, Some(body))
        .await
}

async fn register(app: &TestApp, body: Value) -> (u16, Value) {
    anon_post(app, "/api/auth/register", body).await
}

async fn login(app: &TestApp, username: &str, password: &str) -> (u16, Value) {
    anon_post(
        app,
        "/api/auth/login",
        json!({"username": username, "password": password}),
    )
    .await
}

/// A login whose response headers matter (`Retry-After`).
async fn login_raw(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.http
        .post(app.url("/api/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("request sent")
}

/// Sends `body` verbatim as `application/json`.
async fn post_raw_json(app: &TestApp, path: &str, body: &'static str) -> (u16, Value) {
    let res = app
        .http
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request sent");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

fn hs256(secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("token encodes")
}

fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn is_timestamp(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 24 && s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok()
    })
}

async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.get("/api/users/me", token).await.0
}

async fn assert_unauthorized(app: &TestApp, token: &str) {
    let (status, body) = app.get("/api/users/me", token).await;
    assert_eq!(status, 401, "token {token:?} accepted: {body}");
    assert_eq!(TestApp::error_code(&body), "unauthorized");
}

// ---- register ----

#[actix_web::test]
async fn register_returns_201_with_the_user_and_a_token_pair() {
    let app = spawn_app().await;

    let (status, body) = register(
        &app,
        json!({"username": "alice", "password": "correct horse battery"}),
    )
    .await;

    assert_eq!(status, 201, "{body}");
    let user = &body["user"];
    assert!(
        uuid::Uuid::parse_str(user["id"].as_str().unwrap()).is_ok(),
        "{user}"
    );
    assert_eq!(user["username"], "alice");
    assert_eq!(user["display_name"], "alice");
    assert_eq!(user["is_admin"], false);
    assert!(is_timestamp(&user["created_at"]), "{user}");
    assert!(body["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(body["expires_in"], 900);
    let (status, me) = app
        .get("/api/users/me", body["access_token"].as_str().unwrap())
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["id"], user["id"]);
}

#[actix_web::test]
async fn expires_in_follows_the_configured_access_ttl() {
    let app = spawn_app_with(|s| s.auth.access_ttl = Duration::from_secs(120)).await;

    let (_, body) = register(&app, json!({"username": "alice", "password": "password1"})).await;
    let (_, login_body) = login(&app, "alice", "password1").await;

    assert_eq!(body["expires_in"], 120);
    assert_eq!(login_body["expires_in"], 120);
}

#[actix_web::test]
async fn registering_never_makes_an_admin() {
    let app = spawn_app().await;

    let alice = app.user("alice").await;
    let (_, me) = app.get("/api/users/me", &alice.token).await;

    assert_eq!(me["is_admin"], false);
}

#[actix_web::test]
async fn register_accepts_usernames_of_3_to_32_allowed_characters() {
    let app = spawn_app().await;

    for name in ["abc", "a_b.c-D9", &"x".repeat(32)] {
        let (status, body) =
            register(&app, json!({"username": name, "password": "password1"})).await;
        assert_eq!(status, 201, "{name}: {body}");
        assert_eq!(body["user"]["username"], *name);
    }
}

#[actix_web::test]
async fn register_with_an_invalid_username_is_422_invalid() {
    let app = spawn_app().await;

    let long = "x".repeat(33);
    for name in [
        "ab",
        "",
        long.as_str(),
        "has space",
        "bang!",
        "émile",
        "a/b",
    ] {
        let (status, body) =
            register(&app, json!({"username": name, "password": "password1"})).await;
        assert_eq!(status, 422, "{name:?}: {body}");
        assert_eq!(TestApp::error_code(&body), "invalid");
    }
}

#[actix_web::test]
async fn register_with_a_taken_username_in_any_case_is_409_conflict() {
    let app = spawn_app().await;
    app.user("Alice").await;

    for name in ["Alice", "alice", "ALICE"] {
        let (status, body) =
            register(&app, json!({"username": name, "password": "password1"})).await;
        assert_eq!(status, 409, "{name}: {body}");
        assert_eq!(TestApp::error_code(&body), "conflict");
    }
}

#[actix_web::test]
async fn register_with_a_password_under_8_chars_is_422_invalid() {
    let app = spawn_app().await;

    let (status, body) = register(&app, json!({"username": "alice", "password": "1234567"})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(TestApp::error_code(&body), "invalid");

    let (status, body) = register(&app, json!({"username": "alice", "password": "12345678"})).await;
    assert_eq!(status, 201, "8 chars is enough: {body}");
}

#[actix_web::test]
async fn a_failed_register_leaves_the_username_free() {
    let app = spawn_app().await;

    let (status, _) = register(&app, json!({"username": "alice", "password": "short"})).await;
    assert_eq!(status, 422);

    let (status, body) =
        register(&app, json!({"username": "alice", "password": "password1"})).await;
    assert_eq!(status, 201, "{body}");
}

#[actix_web::test]
async fn register_with_an_email_shows_it_to_its_owner_only() {
    let app = spawn_app().await;
    let bob = app.user("bob").await;

    let (status, body) = register(
        &app,
        json!({"username": "alice", "password": "password1", "email": "alice@example.com"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["user"]["email"], "alice@example.com");
    let alice_id = body["user"]["id"].as_str().unwrap().to_string();
    let alice_token = body["access_token"].as_str().unwrap().to_string();

    let (_, me) = app.get("/api/users/me", &alice_token).await;
    assert_eq!(me["email"], "alice@example.com");
    let (_, logged_in) = login(&app, "alice", "password1").await;
    assert_eq!(logged_in["user"]["email"], "alice@example.com");

    let (status, seen_by_bob) = app.get(&format!("/api/users/{alice_id}"), &bob.token).await;
    assert_eq!(status, 200);
    assert!(seen_by_bob.get("email").is_none(), "{seen_by_bob}");
    let (_, found) = app.get("/api/users?q=ali", &bob.token).await;
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert!(found[0].get("email").is_none(), "{found}");
}

#[actix_web::test]
async fn register_with_an_email_without_at_sign_is_422_invalid() {
    let app = spawn_app().await;

    let (status, body) = register(
        &app,
        json!({"username": "alice", "password": "password1", "email": "alice.example.com"}),
    )
    .await;

    assert_eq!(status, 422, "{body}");
    assert_eq!(TestApp::error_code(&body), "invalid");
}

#[actix_web::test]
async fn register_with_malformed_json_is_400_bad_request() {
    let app = spawn_app().await;

    for raw in [
        "{",
        "not json",
        r#"{"username": "alice", "password": }"#,
        "[]",
    ] {
        let (status, body) = post_raw_json(&app, "/api/auth/register", raw).await;
        assert_eq!(status, 400, "{raw}: {body}");
        assert_eq!(TestApp::error_code(&body), "bad_request");
    }
}

#[actix_web::test]
async fn register_with_a_missing_field_or_wrong_type_is_400_bad_request() {
    let app = spawn_app().await;

    for body in [
        json!({"username": "alice"}),
        json!({"password": "password1"}),
        json!({"username": 42, "password": "password1"}),
        json!({"username": "alice", "password": ["password1"]}),
    ] {
        let (status, res) = register(&app, body.clone()).await;
        assert_eq!(status, 400, "{body}: {res}");
        assert_eq!(TestApp::error_code(&res), "bad_request");
    }
}

// ---- login ----

#[actix_web::test]
async fn login_returns_200_with_the_user_and_a_token_pair() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, body) = login(&app, "alice", &alice.password).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], alice.id.as_str());
    assert_eq!(body["user"]["username"], "alice");
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"].as_str().unwrap();
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(me_status(&app, token).await, 200);
}

#[actix_web::test]
async fn login_with_a_wrong_password_or_unknown_user_is_the_same_401() {
    let app = spawn_app().await;
    app.user("alice").await;

    let (wrong_status, wrong) = login(&app, "alice", "not the password").await;
    let (unknown_status, unknown) = login(&app, "nobody", "not the password").await;

    assert_eq!(wrong_status, 401, "{wrong}");
    assert_eq!(unknown_status, 401, "{unknown}");
    assert_eq!(TestApp::error_code(&wrong), "unauthorized");
    assert_eq!(wrong, unknown, "the answers must not tell the cases apart");
}

#[actix_web::test]
async fn login_with_a_missing_field_is_400_bad_request() {
    let app = spawn_app().await;

    let (status, body) = anon_post(&app, "/api/auth/login", json!({"username": "alice"})).await;

    assert_eq!(status, 400, "{body}");
    assert_eq!(TestApp::error_code(&body), "bad_request");
}

// ---- refresh and logout ----

#[actix_web::test]
async fn refresh_returns_a_new_pair_and_kills_the_old_refresh_token() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, body) = anon_post(
        &app,
        "/api/auth/refresh",
        json!({"refresh_token": alice.refresh_token}),
    )
    .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], alice.id.as_str());
    assert_eq!(body["expires_in"], 900);
    let new_refresh = body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(new_refresh, alice.refresh_token);
    assert_eq!(
        me_status(&app, body["access_token"].as_str().unwrap()).await,
        200
    );

    let (status, body) = anon_post(
        &app,
        "/api/auth/refresh",
        json!({"refresh_token": alice.refresh_token}),
    )
    .await;
    assert_eq!(status, 401, "old refresh token still works: {body}");
    assert_eq!(TestApp::error_code(&body), "unauthorized");

    let (status, body) = anon_post(
        &app,
        "/api/auth/refresh",
        json!({"refresh_token": new_refresh}),
    )
    .await;
    assert_eq!(status, 200, "the rotated token works once: {body}");
}

#[actix_web::test]
async fn refresh_with_an_unknown_token_is_401_unauthorized() {
    let app = spawn_app().await;

    let (status, body) = anon_post(
        &app,
        "/api/auth/refresh",
        json!({"refresh_token": "no-such-token"}),
    )
    .await;

    assert_eq!(status, 401, "{body}");
    assert_eq!(TestApp::error_code(&body), "unauthorized");
}

#[actix_web::test]
async fn an_access_token_is_not_a_refresh_token() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, body) = anon_post(
        &app,
        "/api/auth/refresh",
        json!({"refresh_token": alice.token}),
    )
    .await;

    assert_eq!(status, 401, "{body}");
}

#[actix_web::test]
async fn logout_is_204_and_kills_the_refresh_token() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, body) = anon_post(
        &app,
        "/api/auth/logout",
        json!({"refresh_token": alice.refresh_token}),
    )
    .await;
    assert_eq!(status, 204, "{body}");

    let (status, body) = anon_post(
        &app,
        "/api/auth/refresh",
        json!({"refresh_token": alice.refresh_token}),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(TestApp::error_code(&body), "unauthorized");
}

#[actix_web::test]
async fn logout_leaves_the_users_other_sessions_alone() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let (_, second) = login(&app, "alice", &alice.password).await;

    let (status, _) = anon_post(
        &app,
        "/api/auth/logout",
        json!({"refresh_token": alice.refresh_token}),
    )
    .await;
    assert_eq!(status, 204);

    let (status, body) = anon_post(
        &app,
        "/api/auth/refresh",
        json!({"refresh_token": second["refresh_token"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[actix_web::test]
async fn logout_with_an_unknown_or_dead_token_is_401_unauthorized() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (status, body) = anon_post(
        &app,
        "/api/auth/logout",
        json!({"refresh_token": "no-such-token"}),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(TestApp::error_code(&body), "unauthorized");

    let logout = json!({"refresh_token": alice.refresh_token});
    assert_eq!(
        anon_post(&app, "/api/auth/logout", logout.clone()).await.0,
        204
    );
    let (status, body) = anon_post(&app, "/api/auth/logout", logout).await;
    assert_eq!(status, 401, "second logout: {body}");
}

// ---- bearer tokens ----

#[actix_web::test]
async fn an_api_route_without_a_token_is_401_unauthorized() {
    let app = spawn_app().await;

    for path in ["/api/users/me", "/api/rooms", "/api/users?q=a"] {
        let (status, body) = app.call(reqwest::Method::GET, path, None, None).await;
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(TestApp::error_code(&body), "unauthorized");
    }
}

#[actix_web::test]
async fn a_garbage_token_is_401_unauthorized() {
    let app = spawn_app().await;

    for token in ["garbage", "a.b.c", "", "Bearer"] {
        assert_unauthorized(&app, token).await;
    }
}

#[actix_web::test]
async fn a_non_bearer_authorization_header_is_401_unauthorized() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let res = app
        .http
        .get(app.url("/api/users/me"))
        .header("authorization", format!("Basic {}", alice.token))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status().as_u16(), 401);
}

#[actix_web::test]
async fn a_token_signed_with_the_server_secret_is_accepted() {
    // Proves the forging below is right, so the 401s that follow mean something.
    let app = spawn_app_with(|s| s.auth.jwt_secret = SECRET.into()).await;
    let alice = app.user("alice").await;

    let token = hs256(
        SECRET,
        &json!({"sub": alice.id, "iat": now_secs(), "exp": now_secs() + 300}),
    );

    assert_eq!(me_status(&app, &token).await, 200);
}

#[actix_web::test]
async fn a_token_signed_with_another_secret_is_401_unauthorized() {
    let app = spawn_app_with(|s| s.auth.jwt_secret = SECRET.into()).await;
    let alice = app.user("alice").await;

    let token = hs256(
        "some-other-secret",
        &json!({"sub": alice.id, "iat": now_secs(), "exp": now_secs() + 300}),
    );

    assert_unauthorized(&app, &token).await;
}

#[actix_web::test]
async fn a_token_with_a_swapped_payload_is_401_unauthorized() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);

    let parts: Vec<&str> = alice.token.split('.').collect();
    assert_eq!(parts.len(), 3, "an access token is a JWT");
    let payload = json!({"sub": bob.id, "iat": now_secs(), "exp": now_secs() + 300});
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64url(payload.to_string().as_bytes()),
        parts[2]
    );

    assert_unauthorized(&app, &forged).await;
}

#[actix_web::test]
async fn a_token_with_alg_none_is_401_unauthorized() {
    let app = spawn_app_with(|s| s.auth.jwt_secret = SECRET.into()).await;
    let alice = app.user("alice").await;

    let payload = json!({"sub": alice.id, "iat": now_secs(), "exp": now_secs() + 300});
    let body = format!(
        "{}.{}",
        b64url(br#"{"alg":"none","typ":"JWT"}"#),
        b64url(payload.to_string().as_bytes())
    );
    let signed = hs256(SECRET, &payload);
    let real_signature = signed.rsplit('.').next().unwrap();

    assert_unauthorized(&app, &format!("{body}.")).await;
    assert_unauthorized(&app, &body).await;
    assert_unauthorized(&app, &format!("{body}.{real_signature}")).await;
}

#[actix_web::test]
async fn an_expired_access_token_is_401_unauthorized() {
    let app = spawn_app_with(|s| s.auth.jwt_secret = SECRET.into()).await;
    let alice = app.user("alice").await;

    // Leeway is 0: a token that expired a couple of seconds ago is dead.
    let token = hs256(
        SECRET,
        &json!({"sub": alice.id, "iat": now_secs() - 60, "exp": now_secs() - 2}),
    );

    assert_unauthorized(&app, &token).await;
}

#[actix_web::test]
async fn a_token_without_exp_is_401_unauthorized() {
    let app = spawn_app_with(|s| s.auth.jwt_secret = SECRET.into()).await;
    let alice = app.user("alice").await;

    let token = hs256(SECRET, &json!({"sub": alice.id, "iat": now_secs()}));

    assert_unauthorized(&app, &token).await;
}

#[actix_web::test]
async fn a_valid_token_for_a_user_that_does_not_exist_is_401_unauthorized() {
    let app = spawn_app_with(|s| s.auth.jwt_secret = SECRET.into()).await;

    let token = hs256(
        SECRET,
        &json!({"sub": uuid::Uuid::new_v4().to_string(), "iat": now_secs(), "exp": now_secs() + 300}),
    );

    assert_unauthorized(&app, &token).await;
}

#[actix_web::test]
async fn an_issued_access_token_stops_working_after_access_ttl() {
    let app = spawn_app_with(|s| s.auth.access_ttl = Duration::from_secs(1)).await;
    let alice = app.user("alice").await;
    assert_eq!(me_status(&app, &alice.token).await, 200);

    // Expiry is the behaviour under test: poll until it happens, bounded.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if me_status(&app, &alice.token).await == 401 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "a 1 s access token still works after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let (status, body) = anon_post(
        &app,
        "/api/auth/refresh",
        json!({"refresh_token": alice.refresh_token}),
    )
    .await;
    assert_eq!(
        status, 200,
        "the refresh token outlives the access token: {body}"
    );
}

#[actix_web::test]
async fn users_and_their_tokens_survive_a_restart() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    app.shutdown().await;

    let mut s = parlor::config::Settings::default();
    s.server.bind = "127.0.0.1:0".parse().unwrap();
    s.server.workers = 2;
    s.server.room_threads = 2;
    s.database.path = app.db_path.clone();
    s.limits.auth_attempts_per_min = 1000;
    let app = spawn_with_settings(s, app.dir, app.db_path).await;

    let (status, me) = app.get("/api/users/me", &alice.token).await;
    assert_eq!(status, 200, "access token from before the restart: {me}");
    assert_eq!(me["id"], alice.id.as_str());
    assert_eq!(login(&app, "alice", &alice.password).await.0, 200);
    let (status, _) = anon_post(
        &app,
        "/api/auth/refresh",
        json!({"refresh_token": alice.refresh_token}),
    )
    .await;
    assert_eq!(status, 200, "refresh token from before the restart");
}

// ---- failed-login throttling ----

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get("retry-after")
        .expect("429 carries Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After is whole seconds")
}

#[actix_web::test]
async fn after_too_many_failures_for_a_username_even_the_right_password_is_429() {
    let app = spawn_app_with(|s| s.limits.auth_attempts_per_min = 3).await;
    let alice = app.user("alice").await;

    for _ in 0..3 {
        assert_eq!(login(&app, "alice", "wrong password").await.0, 401);
    }
    let res = login_raw(&app, "alice", &alice.password).await;

    assert_eq!(res.status().as_u16(), 429);
    let wait = retry_after(&res);
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(TestApp::error_code(&body), "rate_limited");
}

#[actix_web::test]
async fn failures_below_the_limit_do_not_block_the_right_password() {
    let app = spawn_app_with(|s| s.limits.auth_attempts_per_min = 3).await;
    let alice = app.user("alice").await;

    for _ in 0..2 {
        assert_eq!(login(&app, "alice", "wrong password").await.0, 401);
    }

    assert_eq!(login(&app, "alice", &alice.password).await.0, 200);
}

#[actix_web::test]
async fn an_unknown_username_is_throttled_like_a_known_one() {
    let app = spawn_app_with(|s| s.limits.auth_attempts_per_min = 3).await;

    for _ in 0..3 {
        assert_eq!(login(&app, "ghost", "wrong password").await.0, 401);
    }
    let res = login_raw(&app, "ghost", "wrong password").await;

    assert_eq!(res.status().as_u16(), 429);
    retry_after(&res);
}

#[actix_web::test]
async fn username_throttling_ignores_case() {
    let app = spawn_app_with(|s| s.limits.auth_attempts_per_min = 3).await;
    let alice = app.user("alice").await;

    for name in ["alice", "ALICE", "Alice"] {
        assert_eq!(login(&app, name, "wrong password").await.0, 401);
    }

    assert_eq!(
        login_raw(&app, "alice", &alice.password).await.status(),
        429
    );
}

#[actix_web::test]
async fn failures_across_usernames_from_one_ip_are_throttled() {
    let app = spawn_app_with(|s| s.limits.auth_attempts_per_min = 3).await;
    let alice = app.user("alice").await;

    for name in ["ghost1", "ghost2", "ghost3"] {
        assert_eq!(login(&app, name, "wrong password").await.0, 401);
    }
    let res = login_raw(&app, "alice", &alice.password).await;

    assert_eq!(res.status().as_u16(), 429);
    retry_after(&res);
}

#[actix_web::test]
async fn a_throttled_user_keeps_using_their_access_token() {
    let app = spawn_app_with(|s| s.limits.auth_attempts_per_min = 3).await;
    let alice = app.user("alice").await;

    for _ in 0..4 {
        login(&app, "alice", "wrong password").await;
    }

    assert_eq!(me_status(&app, &alice.token).await, 200);
}

// ---- generic error handling ----

#[actix_web::test]
async fn an_unknown_route_is_a_404_not_found_envelope() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    for path in ["/api/nope", "/api/users/me/extra", "/api/rooms/x/y/z"] {
        let (status, body) = app.get(path, &alice.token).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(TestApp::error_code(&body), "not_found");
    }
}
