//! SPEC §7 at the process level: the real `parlor` binary, its `listening on`
//! line, configuration layering (defaults, file, `--config`, environment),
//! `parlor user add`, and graceful exit on SIGTERM/SIGINT.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::process::{parlor, start};

/// `parlor serve` on a free port with its database in `dir`.
fn serve_in(dir: &Path) -> Command {
    let mut cmd = parlor(dir);
    cmd.arg("serve")
        .env("PARLOR__SERVER__BIND", "127.0.0.1:0")
        .env("PARLOR__DATABASE__PATH", dir.join("x.db"));
    cmd
}

/// A config file with a free port and a database in `dir`, plus `extra` TOML.
fn write_config(dir: &Path, name: &str, extra: &str) -> PathBuf {
    let path = dir.join(name);
    let db = dir.join("from-config.db");
    let text = format!(
        "[server]\nbind = \"127.0.0.1:0\"\n\n[database]\npath = '{}'\n{extra}",
        db.display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn healthz(addr: SocketAddr) -> (u16, String) {
    let res = http()
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .expect("healthz answers");
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn post_json(addr: SocketAddr, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = http().post(format!("http://{addr}{path}")).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("request sent");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn get_json(addr: SocketAddr, path: &str, token: &str) -> (u16, Value) {
    let res = http()
        .get(format!("http://{addr}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request sent");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn login(addr: SocketAddr, username: &str, password: &str) -> (u16, Value) {
    post_json(
        addr,
        "/api/auth/login",
        None,
        json!({"username": username, "password": password}),
    )
    .await
}

/// Runs `parlor user add NAME [flags]` with `password` on stdin; asserts it succeeds.
async fn user_add(dir: &Path, db: &Path, name: &str, flags: &[&str], password: &str) {
    let mut cmd = parlor(dir);
    cmd.args(["user", "add", name])
        .args(flags)
        .env("PARLOR__DATABASE__PATH", db);
    let mut proc = start(cmd);
    proc.write_stdin(&format!("{password}\n"));
    let status = proc.exit_status().await;
    assert!(
        status.success(),
        "user add {name} {flags:?}: {status}\nstderr: {}",
        proc.stderr()
    );
}

// ---- serving, the listening line, signals ----

#[actix_web::test]
async fn serve_prints_the_listening_line_answers_healthz_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(serve_in(dir.path()));

    let addr = server.listening_addr().await;
    let (status, body) = healthz(addr).await;
    assert_eq!(status, 200);
    assert_eq!(body.trim(), "ok");

    server.signal("-TERM");
    let status = server.exit_status().await;
    assert!(
        status.success(),
        "exit on SIGTERM: {status}\n{}",
        server.stderr()
    );
    assert!(
        dir.path().join("x.db").exists(),
        "PARLOR__DATABASE__PATH is used"
    );
}

#[actix_web::test]
async fn sigint_also_stops_the_server_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(serve_in(dir.path()));
    server.listening_addr().await;

    server.signal("-INT");

    let status = server.exit_status().await;
    assert!(
        status.success(),
        "exit on SIGINT: {status}\n{}",
        server.stderr()
    );
}

#[actix_web::test]
async fn bare_parlor_serves_with_the_defaults_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = parlor(dir.path());
    cmd.env("PARLOR__SERVER__BIND", "127.0.0.1:0");
    let mut server = start(cmd);

    let addr = server.listening_addr().await;

    assert_eq!(healthz(addr).await.0, 200);
    assert!(
        dir.path().join("parlor.db").exists(),
        "database.path defaults to parlor.db in the working directory"
    );
    server.signal("-TERM");
    assert!(server.exit_status().await.success());
}

#[actix_web::test]
async fn the_metrics_endpoint_exports_the_named_series() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(serve_in(dir.path()));
    let addr = server.listening_addr().await;

    let res = http()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status().as_u16(), 200);
    let text = res.text().await.unwrap();
    for series in [
        "parlor_connections",
        "parlor_rooms",
        "parlor_messages_total",
        "parlor_deliveries_total",
        "parlor_slow_consumers_total",
        "parlor_message_fanout_seconds",
    ] {
        assert!(
            text.contains(series),
            "{series} missing from /metrics:\n{text}"
        );
    }
}

#[actix_web::test]
async fn sigterm_flushes_a_persistent_room_so_a_restart_sees_every_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(serve_in(dir.path()));
    let addr = server.listening_addr().await;
    let (status, reg) = post_json(
        addr,
        "/api/auth/register",
        None,
        json!({"username": "alice", "password": "password1"}),
    )
    .await;
    assert_eq!(status, 201, "{reg}");
    let token = reg["access_token"].as_str().unwrap().to_string();
    let (status, room) = post_json(
        addr,
        "/api/rooms",
        Some(&token),
        json!({"name": "archive", "persistent": true}),
    )
    .await;
    assert_eq!(status, 201, "{room}");
    let messages = format!("/api/rooms/{}/messages", room["id"].as_str().unwrap());
    for i in 1..=5 {
        let (status, _) = post_json(
            addr,
            &messages,
            Some(&token),
            json!({"text": format!("m{i}")}),
        )
        .await;
        assert_eq!(status, 201);
    }

    server.signal("-TERM");
    assert!(server.exit_status().await.success());
    drop(server);
    let mut server = start(serve_in(dir.path()));
    let addr = server.listening_addr().await;

    let (status, list) = get_json(addr, &messages, &token).await;
    assert_eq!(status, 200, "the old access token still works: {list}");
    let seqs: Vec<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
}

// ---- configuration ----

#[actix_web::test]
async fn config_before_serve_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "custom.toml", "");
    let mut cmd = parlor(dir.path());
    cmd.arg("--config").arg(&config).arg("serve");
    let mut server = start(cmd);

    let addr = server.listening_addr().await;

    assert_eq!(healthz(addr).await.0, 200);
    assert!(dir.path().join("from-config.db").exists());
}

#[actix_web::test]
async fn config_after_serve_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "custom.toml", "");
    let mut cmd = parlor(dir.path());
    cmd.arg("serve").arg("--config").arg(&config);
    let mut server = start(cmd);

    let addr = server.listening_addr().await;

    assert_eq!(healthz(addr).await.0, 200);
    assert!(dir.path().join("from-config.db").exists());
}

#[actix_web::test]
async fn config_toml_in_the_working_directory_is_read_by_default() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "config.toml", "");
    let mut server = start(parlor(dir.path()));

    let addr = server.listening_addr().await;

    assert_eq!(healthz(addr).await.0, 200);
    assert!(dir.path().join("from-config.db").exists());
}

#[actix_web::test]
async fn environment_variables_override_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "custom.toml",
        "\n[limits]\nmax_message_chars = 100\n",
    );
    let mut cmd = parlor(dir.path());
    cmd.arg("serve")
        .arg("--config")
        .arg(&config)
        .env("PARLOR__LIMITS__MAX_MESSAGE_CHARS", "5");
    let mut server = start(cmd);
    let addr = server.listening_addr().await;
    let (_, reg) = post_json(
        addr,
        "/api/auth/register",
        None,
        json!({"username": "alice", "password": "password1"}),
    )
    .await;
    let token = reg["access_token"].as_str().unwrap().to_string();
    let (_, room) = post_json(addr, "/api/rooms", Some(&token), json!({"name": "r"})).await;
    let messages = format!("/api/rooms/{}/messages", room["id"].as_str().unwrap());

    let (ok, _) = post_json(addr, &messages, Some(&token), json!({"text": "12345"})).await;
    let (too_long, body) =
        post_json(addr, &messages, Some(&token), json!({"text": "123456"})).await;

    assert_eq!(ok, 201);
    assert_eq!(
        too_long, 413,
        "the env value (5) wins over the file (100): {body}"
    );
}

#[actix_web::test]
async fn the_repos_config_toml_parses_and_equals_the_defaults() {
    use parlor::config::Settings;
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"));

    let loaded = Settings::load(Some(path)).expect("config.toml loads");

    assert_eq!(
        serde_json::to_value(&loaded).unwrap(),
        serde_json::to_value(Settings::default()).unwrap()
    );
}

#[actix_web::test]
async fn a_config_file_with_an_unknown_key_fails_to_start() {
    let dir = tempfile::tempdir().unwrap();
    for (name, extra) in [
        ("key.toml", "bogus_key = 1\n"),
        ("section.toml", "\n[nonsense]\nx = 1\n"),
    ] {
        let config = write_config(dir.path(), name, extra);
        let mut cmd = parlor(dir.path());
        cmd.arg("serve").arg("--config").arg(&config);
        let mut proc = start(cmd);

        let status = proc.exit_status().await;

        assert!(!status.success(), "{name} was accepted");
    }
}

#[actix_web::test]
async fn a_missing_config_file_fails_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = parlor(dir.path());
    cmd.arg("serve")
        .arg("--config")
        .arg(dir.path().join("nope.toml"));
    let mut proc = start(cmd);

    let status = proc.exit_status().await;

    assert!(!status.success());
}

#[actix_web::test]
async fn help_lists_the_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = parlor(dir.path());
    cmd.arg("--help");
    let mut proc = start(cmd);

    let status = proc.exit_status().await;

    assert!(status.success());
    let mut out = String::new();
    while let Ok(line) = proc.stdout.recv_timeout(Duration::from_secs(5)) {
        out.push_str(&line);
        out.push('\n');
    }
    assert!(out.contains("serve") && out.contains("user"), "{out}");
}

// ---- parlor user add ----

#[actix_web::test]
async fn user_add_admin_reads_the_password_from_stdin_and_makes_an_admin() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    user_add(dir.path(), &db, "root", &["--admin"], "s3cret-admin-pw").await;
    let mut server = start(serve_in(dir.path()));
    let addr = server.listening_addr().await;

    let (status, body) = login(addr, "root", "s3cret-admin-pw").await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["username"], "root");
    assert_eq!(body["user"]["is_admin"], true);
}

#[actix_web::test]
async fn user_add_without_admin_makes_a_plain_user_and_accepts_password_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    user_add(
        dir.path(),
        &db,
        "plain",
        &["--password-stdin"],
        "plain-password",
    )
    .await;
    let mut server = start(serve_in(dir.path()));
    let addr = server.listening_addr().await;

    let (status, body) = login(addr, "plain", "plain-password").await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["is_admin"], false);
}

#[actix_web::test]
async fn user_add_works_while_the_server_runs_and_the_admin_can_manage_any_room() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let mut server = start(serve_in(dir.path()));
    let addr = server.listening_addr().await;
    let (_, reg) = post_json(
        addr,
        "/api/auth/register",
        None,
        json!({"username": "alice", "password": "password1"}),
    )
    .await;
    let alice = reg["access_token"].as_str().unwrap().to_string();
    let (_, room) = post_json(addr, "/api/rooms", Some(&alice), json!({"name": "hers"})).await;

    user_add(dir.path(), &db, "root", &["--admin"], "s3cret-admin-pw").await;
    let (status, body) = login(addr, "root", "s3cret-admin-pw").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["is_admin"], true);
    let root = body["access_token"].as_str().unwrap().to_string();

    let room_url = format!("http://{addr}/api/rooms/{}", room["id"].as_str().unwrap());
    let res = http()
        .patch(&room_url)
        .bearer_auth(&root)
        .json(&json!({"name": "moderated"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "an admin may patch any room");
    let res = http()
        .delete(&room_url)
        .bearer_auth(&root)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204, "an admin may delete any room");
}

#[actix_web::test]
async fn user_add_with_a_taken_name_fails() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    user_add(dir.path(), &db, "root", &[], "s3cret-admin-pw").await;

    let mut cmd = parlor(dir.path());
    cmd.args(["user", "add", "ROOT"])
        .env("PARLOR__DATABASE__PATH", &db);
    let mut proc = start(cmd);
    proc.write_stdin("another-password\n");

    assert!(!proc.exit_status().await.success());
}
