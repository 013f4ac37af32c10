//! `spawn_app`: a real Parlor on 127.0.0.1:0 with a temporary database, and
//! small HTTP helpers. Every wait is bounded by a timeout.

#![allow(dead_code)] // each test module uses a different subset

use std::net::SocketAddr;
use std::sync::Once;
use std::time::Duration;

use parlor::config::Settings;
use parlor::startup::{Application, ShutdownHandle};
use serde_json::{Value, json};

/// Upper bound for any single wait in a test.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub stop: ShutdownHandle,
    /// Keeps the temporary database alive for the test's lifetime.
    pub dir: tempfile::TempDir,
    pub db_path: std::path::PathBuf,
}

/// A registered user with a valid access token.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: String,
    pub username: String,
    pub password: String,
    pub token: String,
    pub refresh_token: String,
}

fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter("info,parlor=debug")
                .with_test_writer()
                .try_init();
        }
    });
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app with test-friendly settings, after `tweak` adjusts them.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_path = dir.path().join("parlor.db");
    let mut s = Settings::default();
    s.server.bind = "127.0.0.1:0".parse().unwrap();
    s.server.workers = 2;
    s.server.room_threads = 2;
    s.database.path = db_path.clone();
    // Tests register many users and post quickly; raise what would get in the way.
    s.limits.auth_attempts_per_min = 1000;
    tweak(&mut s);
    spawn_with_settings(s, dir, db_path).await
}

/// Starts the app on an existing database directory (restart tests).
pub async fn spawn_with_settings(
    s: Settings,
    dir: tempfile::TempDir,
    db_path: std::path::PathBuf,
) -> TestApp {
    init_tracing();
    let app = Application::build(s).await.expect("app builds");
    let addr = app.addr();
    let stop = app.shutdown_handle();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        addr,
        http: reqwest::Client::builder().timeout(WAIT).build().unwrap(),
        stop,
        dir,
        db_path,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{}", self.addr, path)
    }

    /// Stops the server gracefully and waits for it.
    pub async fn shutdown(&self) {
        tokio::time::timeout(WAIT, self.stop.shutdown())
            .await
            .expect("shutdown finishes in time");
    }

    /// Any request; returns status and JSON body (Null when empty or not JSON).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(reqwest::Method::DELETE, path, Some(token), None)
            .await
    }

    /// Registers `username` with a fixed good password.
    pub async fn user(&self, username: &str) -> TestUser {
        let password = "correct horse battery".to_string();
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/auth/register",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(status, 201, "register {username}: {body}");
        TestUser {
            id: body["user"]["id"].as_str().unwrap().to_string(),
            username: username.to_string(),
            password,
            token: body["access_token"].as_str().unwrap().to_string(),
            refresh_token: body["refresh_token"].as_str().unwrap().to_string(),
        }
    }

    /// Creates a room owned by `owner` with extra fields merged in; returns the room.
    pub async fn create_room(&self, owner: &TestUser, name: &str, extra: Value) -> Value {
        let mut body = json!({"name": name});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let (status, room) = self.post("/api/rooms", &owner.token, body).await;
        assert_eq!(status, 201, "create room: {room}");
        room
    }

    pub async fn join(&self, user: &TestUser, room_id: &str) -> (u16, Value) {
        self.post(
            &format!("/api/rooms/{room_id}/join"),
            &user.token,
            json!({}),
        )
        .await
    }

    /// Asserts the SPEC error envelope and returns its code.
    pub fn error_code(body: &Value) -> &str {
        let code = body["error"]["code"].as_str().unwrap_or_else(|| {
            panic!("not an error envelope: {body}");
        });
        assert!(
            body["error"]["message"].is_string(),
            "error without message: {body}"
        );
        code
    }
}
