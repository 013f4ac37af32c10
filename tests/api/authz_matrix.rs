//! The authorization matrix: for every route of the app and every WebSocket
//! command, what each kind of caller gets (SPEC §1–§6, §8).
//!
//! Callers: anonymous (no token), a stranger, a user holding an invite, a
//! user with a pending join request, a plain member, a moderator, the owner,
//! a server admin (not in the room), a banned user and a disabled account.
//! Rows that touch a room run twice: against a private persistent room and a
//! public temporary one. Every call that may change state gets a fresh room
//! (users are registered once per test: Argon2 is the expensive part).
//!
//! The route list is read from `src/api/mod.rs` and the WebSocket command
//! list from `src/ws/protocol.rs`, so a new route or command without a row
//! here fails `every_route_and_websocket_command_has_a_row_in_the_matrix`.

use std::cell::RefCell;
use std::collections::BTreeSet;

use futures_util::future::join_all;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite;

use crate::admin::make_admin;
use crate::helpers::{TestApp, TestUser, WAIT, spawn_app_with};
use crate::ws_client::{WsClient, post_text};

const CALLERS: [&str; 10] = [
    "anonymous",
    "stranger",
    "invited",
    "pending",
    "member",
    "moderator",
    "owner",
    "admin",
    "banned",
    "disabled",
];
const ANON: usize = 0;
const STRANGER: usize = 1;
const INVITED: usize = 2;
const PENDING: usize = 3;
const MEMBER: usize = 4;
const MODERATOR: usize = 5;
const OWNER: usize = 6;
const ADMIN: usize = 7;
const BANNED: usize = 8;
const DISABLED: usize = 9;

/// A join request id that names no request.
const NO_REQUEST: &str = "01900000-0000-7000-8000-000000000000";
/// A room id that names no room (for callers refused before any lookup).
const NO_ROOM: &str = "01900000-0000-7000-8000-0000000000ff";
/// A reaction, percent-encoded for the path (👍).
const EMOJI: &str = "%F0%9F%91%8D";

// ---- the table ----

/// Expected answers per caller, in `CALLERS` order: the same for every
/// room (or no room at all), or one row for a private and one for a public room.
#[derive(Clone, Copy)]
enum Want<T> {
    Global(T),
    Room { private: T, public: T },
}

fn both<T: Copy>(w: T) -> Want<T> {
    Want::Room {
        private: w,
        public: w,
    }
}

/// Builds the path (and JSON body) of one call for one caller.
type Build = fn(&Cast, usize, &Fx) -> (String, Option<Value>);

struct HttpRow {
    method: &'static str,
    route: &'static str,
    build: Build,
    want: Want<[u16; 10]>,
}

fn row(method: &'static str, route: &'static str, build: Build, want: Want<[u16; 10]>) -> HttpRow {
    HttpRow {
        method,
        route,
        build,
        want,
    }
}

fn http_rows() -> Vec<HttpRow> {
    use Want::Global;
    vec![
        // ---- no bearer token needed: auth (the body carries the credentials) and ops
        row(
            "POST",
            "/api/auth/register",
            |_, c, _| {
                let body = json!({"username": format!("mx_new_{c}"), "password": "short"});
                ("/api/auth/register".into(), Some(body))
            },
            // anon strg invt pend memb mod  ownr admn bann disa
            Global([422, 422, 422, 422, 422, 422, 422, 422, 422, 422]),
        ),
        row(
            "POST",
            "/api/auth/login",
            |cast, c, _| {
                let u = cast.user(if c == ANON { STRANGER } else { c });
                let body = json!({"username": u.username, "password": u.password});
                ("/api/auth/login".into(), Some(body))
            },
            Global([200, 200, 200, 200, 200, 200, 200, 200, 200, 403]),
        ),
        row(
            "POST",
            "/api/auth/refresh",
            |cast, c, _| {
                let body = json!({"refresh_token": cast.refresh.borrow()[c]});
                ("/api/auth/refresh".into(), Some(body))
            },
            Global([200, 200, 200, 200, 200, 200, 200, 200, 200, 401]),
        ),
        row(
            "POST",
            "/api/auth/logout",
            |cast, c, _| {
                let body = json!({"refresh_token": cast.refresh.borrow()[c]});
                ("/api/auth/logout".into(), Some(body))
            },
            Global([204, 204, 204, 204, 204, 204, 204, 204, 204, 401]),
        ),
        row(
            "GET",
            "/healthz",
            |_, _, _| ("/healthz".into(), None),
            Global([200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        ),
        row(
            "GET",
            "/metrics",
            |_, _, _| ("/metrics".into(), None),
            Global([200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        ),
        // ---- users
        row(
            "GET",
            "/api/users/me",
            |_, _, _| ("/api/users/me".into(), None),
            Global([401, 200, 200, 200, 200, 200, 200, 200, 200, 401]),
        ),
        row(
            "PATCH",
            "/api/users/me",
            |_, c, _| {
                let body = json!({"display_name": format!("Matrix {}", CALLERS[c])});
                ("/api/users/me".into(), Some(body))
            },
            Global([401, 200, 200, 200, 200, 200, 200, 200, 200, 401]),
        ),
        row(
            "GET",
            "/api/users",
            |_, _, _| ("/api/users?q=mx".into(), None),
            Global([401, 200, 200, 200, 200, 200, 200, 200, 200, 401]),
        ),
        row(
            "GET",
            "/api/users/{id}",
            |cast, _, _| (format!("/api/users/{}", cast.id(OWNER)), None),
            Global([401, 200, 200, 200, 200, 200, 200, 200, 200, 401]),
        ),
        // Blocking the disabled account changes nothing for the other rows.
        row(
            "POST",
            "/api/users/{id}/block",
            |cast, _, _| (format!("/api/users/{}/block", cast.id(DISABLED)), None),
            Global([401, 204, 204, 204, 204, 204, 204, 204, 204, 401]),
        ),
        row(
            "DELETE",
            "/api/users/{id}/block",
            |cast, _, _| (format!("/api/users/{}/block", cast.id(DISABLED)), None),
            Global([401, 204, 204, 204, 204, 204, 204, 204, 204, 401]),
        ),
        // ---- rooms without an id
        row(
            "GET",
            "/api/rooms",
            |_, _, _| ("/api/rooms".into(), None),
            Global([401, 200, 200, 200, 200, 200, 200, 200, 200, 401]),
        ),
        row(
            "POST",
            "/api/rooms",
            |_, _, _| {
                (
                    "/api/rooms".into(),
                    Some(json!({"name": "made by the matrix"})),
                )
            },
            Global([401, 201, 201, 201, 201, 201, 201, 201, 201, 401]),
        ),
        // ---- admin (targets chosen so that the admin's 200 changes nothing)
        row(
            "GET",
            "/api/admin/rooms",
            |_, _, _| ("/api/admin/rooms".into(), None),
            Global([401, 403, 403, 403, 403, 403, 403, 200, 403, 401]),
        ),
        row(
            "POST",
            "/api/admin/users/{id}/disable",
            |cast, _, _| {
                let path = format!("/api/admin/users/{}/disable", cast.id(DISABLED));
                (path, None)
            },
            Global([401, 403, 403, 403, 403, 403, 403, 200, 403, 401]),
        ),
        row(
            "POST",
            "/api/admin/users/{id}/enable",
            |cast, _, _| {
                let path = format!("/api/admin/users/{}/enable", cast.id(STRANGER));
                (path, None)
            },
            Global([401, 403, 403, 403, 403, 403, 403, 200, 403, 401]),
        ),
        // ---- DMs: the conversation is the owner's with the member
        row(
            "POST",
            "/api/dms",
            |cast, _, _| {
                let body = json!({"user_id": cast.id(MEMBER)});
                ("/api/dms".into(), Some(body))
            },
            // the member: oneself 422; the owner: existing 200; others: created 201
            Global([401, 201, 201, 201, 422, 201, 200, 201, 201, 401]),
        ),
        row(
            "GET",
            "/api/dms",
            |_, _, _| ("/api/dms".into(), None),
            Global([401, 200, 200, 200, 200, 200, 200, 200, 200, 401]),
        ),
        row(
            "GET",
            "/api/dms/{id}/messages",
            |cast, _, _| (format!("/api/dms/{}/messages", cast.conversation), None),
            Global([401, 404, 404, 404, 200, 404, 200, 404, 404, 401]),
        ),
        row(
            "POST",
            "/api/dms/{id}/messages",
            |cast, _, _| {
                let path = format!("/api/dms/{}/messages", cast.conversation);
                (path, Some(json!({"text": "a matrix dm"})))
            },
            Global([401, 404, 404, 404, 201, 404, 201, 404, 404, 401]),
        ),
        // ---- one room
        row(
            "GET",
            "/api/rooms/{id}",
            |_, _, fx| (format!("/api/rooms/{}", fx.room), None),
            both([401, 200, 200, 200, 200, 200, 200, 200, 200, 401]),
        ),
        row(
            "PATCH",
            "/api/rooms/{id}",
            |_, _, fx| {
                let body = json!({"description": "patched by the matrix"});
                (format!("/api/rooms/{}", fx.room), Some(body))
            },
            both([401, 403, 403, 403, 403, 403, 200, 200, 403, 401]),
        ),
        row(
            "DELETE",
            "/api/rooms/{id}",
            |_, _, fx| (format!("/api/rooms/{}", fx.room), None),
            both([401, 403, 403, 403, 403, 403, 204, 204, 403, 401]),
        ),
        row(
            "GET",
            "/api/rooms/{id}/participants",
            |_, _, fx| (format!("/api/rooms/{}/participants", fx.room), None),
            Want::Room {
                private: [401, 403, 403, 403, 200, 200, 200, 403, 403, 401],
                public: [401, 200, 200, 200, 200, 200, 200, 200, 200, 401],
            },
        ),
        row(
            "POST",
            "/api/rooms/{id}/join",
            |_, _, fx| (format!("/api/rooms/{}/join", fx.room), Some(json!({}))),
            Want::Room {
                private: [401, 403, 200, 403, 409, 409, 409, 403, 403, 401],
                public: [401, 200, 200, 200, 409, 409, 409, 200, 403, 401],
            },
        ),
        row(
            "POST",
            "/api/rooms/{id}/leave",
            |_, _, fx| (format!("/api/rooms/{}/leave", fx.room), None),
            both([401, 409, 409, 409, 204, 204, 204, 409, 409, 401]),
        ),
        row(
            "PUT",
            "/api/rooms/{id}/members/{user_id}/role",
            |cast, _, fx| {
                let path = format!("/api/rooms/{}/members/{}/role", fx.room, cast.id(MEMBER));
                (path, Some(json!({"role": "moderator"})))
            },
            both([401, 403, 403, 403, 403, 403, 200, 403, 403, 401]),
        ),
        row(
            "POST",
            "/api/rooms/{id}/kick/{user_id}",
            |cast, _, fx| {
                let path = format!("/api/rooms/{}/kick/{}", fx.room, cast.id(MEMBER));
                (path, Some(json!({"reason": "matrix"})))
            },
            both([401, 403, 403, 403, 403, 204, 204, 204, 403, 401]),
        ),
        row(
            "GET",
            "/api/rooms/{id}/bans",
            |_, _, fx| (format!("/api/rooms/{}/bans", fx.room), None),
            both([401, 403, 403, 403, 403, 200, 200, 200, 403, 401]),
        ),
        row(
            "DELETE",
            "/api/rooms/{id}/bans/{user_id}",
            |cast, _, fx| {
                let path = format!("/api/rooms/{}/bans/{}", fx.room, cast.id(BANNED));
                (path, None)
            },
            both([401, 403, 403, 403, 403, 204, 204, 204, 403, 401]),
        ),
        row(
            "POST",
            "/api/rooms/{id}/join-requests",
            |_, _, fx| {
                let body = json!({"message": "let me in"});
                (format!("/api/rooms/{}/join-requests", fx.room), Some(body))
            },
            Want::Room {
                private: [401, 201, 201, 409, 409, 409, 409, 201, 403, 401],
                public: [401, 422, 422, 422, 422, 422, 422, 422, 422, 401],
            },
        ),
        row(
            "GET",
            "/api/rooms/{id}/join-requests",
            |_, _, fx| (format!("/api/rooms/{}/join-requests", fx.room), None),
            both([401, 403, 403, 403, 403, 200, 200, 200, 403, 401]),
        ),
        row(
            "POST",
            "/api/rooms/{id}/join-requests/{rid}/approve",
            |_, _, fx| {
                let path = format!(
                    "/api/rooms/{}/join-requests/{}/approve",
                    fx.room, fx.request
                );
                (path, None)
            },
            // a public room has no request to decide: 404 for those who may decide
            Want::Room {
                private: [401, 403, 403, 403, 403, 200, 200, 200, 403, 401],
                public: [401, 403, 403, 403, 403, 404, 404, 404, 403, 401],
            },
        ),
        row(
            "POST",
            "/api/rooms/{id}/join-requests/{rid}/deny",
            |_, _, fx| {
                let path = format!("/api/rooms/{}/join-requests/{}/deny", fx.room, fx.request);
                (path, None)
            },
            Want::Room {
                private: [401, 403, 403, 403, 403, 200, 200, 200, 403, 401],
                public: [401, 403, 403, 403, 403, 404, 404, 404, 403, 401],
            },
        ),
        row(
            "POST",
            "/api/rooms/{id}/invites",
            |cast, _, fx| {
                let body = json!({"user_id": cast.id(STRANGER)});
                (format!("/api/rooms/{}/invites", fx.room), Some(body))
            },
            both([401, 403, 403, 403, 403, 201, 201, 201, 403, 401]),
        ),
        // ---- the room's messages (`fx.message` is the member's)
        row(
            "GET",
            "/api/rooms/{id}/messages",
            |_, _, fx| (format!("/api/rooms/{}/messages", fx.room), None),
            Want::Room {
                private: [401, 403, 403, 403, 200, 200, 200, 403, 403, 401],
                public: [401, 200, 200, 200, 200, 200, 200, 200, 200, 401],
            },
        ),
        row(
            "POST",
            "/api/rooms/{id}/messages",
            |_, _, fx| {
                let body = json!({"text": "matrix says hi"});
                (format!("/api/rooms/{}/messages", fx.room), Some(body))
            },
            both([401, 403, 403, 403, 201, 201, 201, 403, 403, 401]),
        ),
        row(
            "GET",
            "/api/rooms/{id}/messages/search",
            |_, _, fx| {
                (
                    format!("/api/rooms/{}/messages/search?q=hello", fx.room),
                    None,
                )
            },
            // search covers persistent rooms only: the public room is temporary
            Want::Room {
                private: [401, 403, 403, 403, 200, 200, 200, 403, 403, 401],
                public: [401, 403, 403, 403, 422, 422, 422, 403, 403, 401],
            },
        ),
        row(
            "PATCH",
            "/api/rooms/{id}/messages/{mid}",
            |_, _, fx| {
                let path = format!("/api/rooms/{}/messages/{}", fx.room, fx.message);
                (path, Some(json!({"text": "edited by the matrix"})))
            },
            both([401, 403, 403, 403, 200, 403, 403, 403, 403, 401]),
        ),
        row(
            "DELETE",
            "/api/rooms/{id}/messages/{mid}",
            |_, _, fx| {
                let path = format!("/api/rooms/{}/messages/{}", fx.room, fx.message);
                (path, None)
            },
            both([401, 403, 403, 403, 204, 204, 204, 204, 403, 401]),
        ),
        row(
            "PUT",
            "/api/rooms/{id}/messages/{mid}/reactions/{emoji}",
            |_, _, fx| {
                let path = format!(
                    "/api/rooms/{}/messages/{}/reactions/{EMOJI}",
                    fx.room, fx.message
                );
                (path, None)
            },
            both([401, 403, 403, 403, 204, 204, 204, 403, 403, 401]),
        ),
        row(
            "DELETE",
            "/api/rooms/{id}/messages/{mid}/reactions/{emoji}",
            |_, _, fx| {
                let path = format!(
                    "/api/rooms/{}/messages/{}/reactions/{EMOJI}",
                    fx.room, fx.message
                );
                (path, None)
            },
            both([401, 403, 403, 403, 204, 204, 204, 403, 403, 401]),
        ),
        row(
            "GET",
            "/api/rooms/{id}/messages/{mid}/thread",
            |_, _, fx| {
                let path = format!("/api/rooms/{}/messages/{}/thread", fx.room, fx.message);
                (path, None)
            },
            Want::Room {
                private: [401, 403, 403, 403, 200, 200, 200, 403, 403, 401],
                public: [401, 200, 200, 200, 200, 200, 200, 200, 200, 401],
            },
        ),
    ]
}

/// What a WebSocket row does.
enum WsAct {
    /// `GET /ws`, then a ping.
    Upgrade,
    /// `GET /ws/rooms/{id}`: the first `subscribed` or `error`.
    RoomPath,
    /// Sends this frame (its `type` is the command) on the caller's connection.
    Frame(fn(&Cast, &Fx) -> Value),
}

struct WsRow {
    label: &'static str,
    act: WsAct,
    /// "401" upgrade refused, "101" upgraded, a reply type carrying the
    /// frame's `ref` ("ack", "subscribed", "pong"), "!code" an `error`
    /// frame with that code, "quiet" no reply at all.
    want: Want<[&'static str; 10]>,
}

fn ws_row(label: &'static str, act: WsAct, want: Want<[&'static str; 10]>) -> WsRow {
    WsRow { label, act, want }
}

const U401: &str = "401";
const U101: &str = "101";
const F: &str = "!forbidden";
const NF: &str = "!not_found";
const Q: &str = "quiet";
const PONG: &str = "pong";
const ACK: &str = "ack";
const SUB: &str = "subscribed";

fn ws_rows() -> Vec<WsRow> {
    use Want::Global;
    use WsAct::Frame;
    vec![
        ws_row(
            "GET /ws",
            WsAct::Upgrade,
            // anon strg  invt  pend  memb  mod   ownr  admn  bann  disa
            Global([U401, U101, U101, U101, U101, U101, U101, U101, U101, U401]),
        ),
        ws_row(
            "GET /ws/rooms/{id}",
            WsAct::RoomPath,
            both([U401, F, F, F, SUB, SUB, SUB, F, F, U401]),
        ),
        ws_row(
            "ping",
            Frame(|_, _| json!({"type": "ping"})),
            Global([U401, PONG, PONG, PONG, PONG, PONG, PONG, PONG, PONG, U401]),
        ),
        ws_row(
            "subscribe",
            Frame(|_, fx| json!({"type": "subscribe", "room": fx.room})),
            both([U401, F, F, F, SUB, SUB, SUB, F, F, U401]),
        ),
        ws_row(
            "subscribe join:true",
            Frame(|_, fx| json!({"type": "subscribe", "room": fx.room, "join": true})),
            Want::Room {
                private: [U401, F, SUB, F, SUB, SUB, SUB, F, F, U401],
                public: [U401, SUB, SUB, SUB, SUB, SUB, SUB, SUB, F, U401],
            },
        ),
        ws_row(
            "unsubscribe",
            Frame(|_, fx| json!({"type": "unsubscribe", "room": fx.room})),
            both([U401, Q, Q, Q, Q, Q, Q, Q, Q, U401]),
        ),
        ws_row(
            "message",
            Frame(|_, fx| json!({"type": "message", "room": fx.room, "text": "hi"})),
            both([U401, F, F, F, ACK, ACK, ACK, F, F, U401]),
        ),
        ws_row(
            "typing",
            Frame(|_, fx| json!({"type": "typing", "room": fx.room, "typing": true})),
            both([U401, F, F, F, Q, Q, Q, F, F, U401]),
        ),
        ws_row(
            "read (room)",
            Frame(|_, fx| json!({"type": "read", "room": fx.room, "seq": 1})),
            both([U401, F, F, F, Q, Q, Q, F, F, U401]),
        ),
        ws_row(
            "edit",
            Frame(|_, fx| json!({"type": "edit", "room": fx.room, "id": fx.message, "text": "e"})),
            both([U401, F, F, F, ACK, F, F, F, F, U401]),
        ),
        ws_row(
            "delete",
            Frame(|_, fx| json!({"type": "delete", "room": fx.room, "id": fx.message})),
            both([U401, F, F, F, ACK, ACK, ACK, ACK, F, U401]),
        ),
        ws_row(
            "react",
            Frame(
                |_, fx| json!({"type": "react", "room": fx.room, "id": fx.message, "emoji": "👍", "on": true}),
            ),
            both([U401, F, F, F, ACK, ACK, ACK, F, F, U401]),
        ),
        ws_row(
            "signal",
            Frame(
                |cast, fx| json!({"type": "signal", "room": fx.room, "to": cast.id(MEMBER), "data": {"sdp": "x"}}),
            ),
            both([U401, F, F, F, Q, Q, Q, F, F, U401]),
        ),
        ws_row(
            "dm",
            Frame(
                |cast, _| json!({"type": "dm", "conversation": cast.conversation, "text": "hey"}),
            ),
            Global([U401, NF, NF, NF, ACK, NF, ACK, NF, NF, U401]),
        ),
        ws_row(
            "read (conversation)",
            Frame(|cast, _| json!({"type": "read", "conversation": cast.conversation, "seq": 1})),
            Global([U401, NF, NF, NF, Q, NF, Q, NF, NF, U401]),
        ),
    ]
}

// ---- the people and the rooms ----

struct Cast {
    /// By caller index; anonymous has no account.
    users: Vec<Option<TestUser>>,
    /// The owner's conversation with the member.
    conversation: String,
    /// Each caller's current refresh token (the auth rows rotate them).
    refresh: RefCell<Vec<String>>,
}

impl Cast {
    fn user(&self, c: usize) -> &TestUser {
        self.users[c]
            .as_ref()
            .unwrap_or_else(|| panic!("{} has no account", CALLERS[c]))
    }

    fn id(&self, c: usize) -> &str {
        &self.user(c).id
    }

    fn token(&self, c: usize) -> Option<&str> {
        self.users[c].as_ref().map(|u| u.token.as_str())
    }
}

/// Registers everyone once, makes the admin with the CLI, disables the
/// disabled account and opens the owner's conversation with the member.
async fn cast(app: &TestApp) -> Cast {
    let registered = join_all(
        [
            STRANGER, INVITED, PENDING, MEMBER, MODERATOR, OWNER, BANNED, DISABLED,
        ]
        .map(|c| async move { (c, app.user(&format!("mx_{}", CALLERS[c])).await) }),
    )
    .await;
    let mut users: Vec<Option<TestUser>> = vec![None; CALLERS.len()];
    for (c, user) in registered {
        users[c] = Some(user);
    }
    users[ADMIN] = Some(make_admin(app, "mx_admin").await);
    let mut cast = Cast {
        users,
        conversation: String::new(),
        refresh: RefCell::new(Vec::new()),
    };
    must(
        app.post(
            &format!("/api/admin/users/{}/disable", cast.id(DISABLED)),
            &cast.user(ADMIN).token,
            json!({}),
        )
        .await,
        200,
        "disable",
    );
    let (status, conversation) = app
        .post(
            "/api/dms",
            &cast.user(OWNER).token,
            json!({"user_id": cast.id(MEMBER)}),
        )
        .await;
    assert_eq!(status, 201, "open dm: {conversation}");
    cast.conversation = conversation["id"].as_str().unwrap().to_string();
    let refresh = cast
        .users
        .iter()
        .map(|u| {
            u.as_ref()
                .map_or_else(String::new, |u| u.refresh_token.clone())
        })
        .collect();
    cast.refresh = RefCell::new(refresh);
    cast
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Private,
    Public,
}

/// One room with somebody in every role, and a message by the member.
struct Fx {
    room: String,
    message: String,
    /// The pending user's join request (a private room), else an unknown id.
    request: String,
}

impl Fx {
    fn none() -> Fx {
        Fx {
            room: NO_ROOM.into(),
            message: NO_ROOM.into(),
            request: NO_REQUEST.into(),
        }
    }
}

fn must(res: (u16, Value), want: u16, what: &str) -> Value {
    assert_eq!(res.0, want, "fixture step {what}: {}", res.1);
    res.1
}

/// A private room is persistent (its reads go through SQLite), a public one
/// temporary (reads from the room actor), so both paths are covered.
async fn fixture(app: &TestApp, cast: &Cast, kind: Kind) -> Fx {
    let owner = cast.user(OWNER);
    let private = kind == Kind::Private;
    let room = app
        .create_room(
            owner,
            "matrix room",
            json!({"visibility": if private { "private" } else { "public" }, "persistent": private}),
        )
        .await;
    let room = room["id"].as_str().unwrap().to_string();
    let base = format!("/api/rooms/{room}");
    let invite = |c: usize| {
        let path = format!("{base}/invites");
        async move {
            let body = json!({"user_id": cast.id(c)});
            must(app.post(&path, &owner.token, body).await, 201, "invite");
        }
    };
    for c in [MODERATOR, MEMBER] {
        if private {
            invite(c).await;
        }
        must(app.join(cast.user(c), &room).await, 200, "join");
    }
    must(
        app.call(
            reqwest::Method::PUT,
            &format!("{base}/members/{}/role", cast.id(MODERATOR)),
            Some(&owner.token),
            Some(json!({"role": "moderator"})),
        )
        .await,
        200,
        "promote",
    );
    invite(INVITED).await;
    let request = if private {
        let body = must(
            app.post(
                &format!("{base}/join-requests"),
                &cast.user(PENDING).token,
                json!({"message": "please"}),
            )
            .await,
            201,
            "join request",
        );
        body["id"].as_str().unwrap().to_string()
    } else {
        NO_REQUEST.to_string()
    };
    must(
        app.post(
            &format!("{base}/kick/{}", cast.id(BANNED)),
            &owner.token,
            json!({"ban": true, "reason": "matrix"}),
        )
        .await,
        204,
        "ban",
    );
    let message = post_text(app, cast.user(MEMBER), &room, "hello matrix").await;
    Fx {
        room,
        message: message["id"].as_str().unwrap().to_string(),
        request,
    }
}

// ---- running rows ----

fn code_for(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        413 => "too_large",
        422 => "invalid",
        429 => "rate_limited",
        _ => return None,
    })
}

/// One call; returns the status, or a description of a bad error envelope.
async fn http_cell(app: &TestApp, cast: &Cast, row: &HttpRow, c: usize, fx: &Fx) -> String {
    let (path, body) = (row.build)(cast, c, fx);
    let method = reqwest::Method::from_bytes(row.method.as_bytes()).unwrap();
    let (status, answer) = app.call(method, &path, cast.token(c), body).await;
    if let Some(token) = answer["refresh_token"].as_str() {
        cast.refresh.borrow_mut()[c] = token.to_string();
    }
    if let Some(code) = code_for(status)
        && (answer["error"]["code"] != code || !answer["error"]["message"].is_string())
    {
        return format!("{status} without a `{code}` envelope: {answer}");
    }
    status.to_string()
}

async fn run_http_row(
    app: &TestApp,
    cast: &Cast,
    row: &HttpRow,
    shared: &[Fx; 2],
    failures: &mut Vec<String>,
    grid: &mut Vec<String>,
) -> usize {
    let label = format!("{} {}", row.method, row.route);
    let runs: Vec<(Option<Kind>, [u16; 10])> = match row.want {
        Want::Global(w) => vec![(None, w)],
        Want::Room { private, public } => {
            vec![(Some(Kind::Private), private), (Some(Kind::Public), public)]
        }
    };
    let mut cells = 0;
    for (kind, want) in runs {
        let got = join_all((0..CALLERS.len()).map(|c| async move {
            match kind {
                None => http_cell(app, cast, row, c, &Fx::none()).await,
                // Reads share one room per kind; anything else gets its own.
                Some(k) if row.method == "GET" => {
                    http_cell(app, cast, row, c, &shared[k as usize]).await
                }
                Some(k) => {
                    let fx = fixture(app, cast, k).await;
                    http_cell(app, cast, row, c, &fx).await
                }
            }
        }))
        .await;
        let want: Vec<String> = want.iter().map(u16::to_string).collect();
        cells += compare(&label, kind, &want, &got, failures, grid);
    }
    cells
}

async fn try_upgrade(app: &TestApp, path: &str) -> Result<WsClient, u16> {
    let connect = tokio_tungstenite::connect_async(app.ws_url(path));
    match tokio::time::timeout(WAIT, connect)
        .await
        .expect("ws upgrade answered in time")
    {
        Ok((stream, _)) => Ok(WsClient { stream }),
        Err(tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("unexpected ws error on {path}: {e}"),
    }
}

fn with_token(cast: &Cast, c: usize, path: &str) -> String {
    match cast.token(c) {
        Some(t) => format!("{path}?token={t}"),
        None => path.to_string(),
    }
}

fn describe(frame: &Value) -> String {
    match frame["type"].as_str() {
        Some("error") => format!("!{}", frame["code"].as_str().unwrap_or("?")),
        Some(t) => t.to_string(),
        None => format!("?{frame}"),
    }
}

async fn ws_cell(
    app: &TestApp,
    cast: &Cast,
    row: &WsRow,
    c: usize,
    client: Option<&mut WsClient>,
    fx: &Fx,
    tag: &str,
) -> String {
    match (&row.act, client) {
        (WsAct::Upgrade, _) => match try_upgrade(app, &with_token(cast, c, "/ws")).await {
            Ok(mut ws) => {
                ws.sync().await;
                ws.close().await;
                "101".into()
            }
            Err(status) => status.to_string(),
        },
        (WsAct::RoomPath, _) => {
            let path = with_token(cast, c, &format!("/ws/rooms/{}", fx.room));
            match try_upgrade(app, &path).await {
                Ok(mut ws) => {
                    let first = ws.expect_one_of(&["subscribed", "error"]).await;
                    ws.close().await;
                    describe(&first)
                }
                Err(status) => status.to_string(),
            }
        }
        // No connection: the upgrade itself is what this caller gets.
        (WsAct::Frame(_), None) => match try_upgrade(app, &with_token(cast, c, "/ws")).await {
            Ok(ws) => {
                ws.close().await;
                "101 (no connection was expected)".into()
            }
            Err(status) => status.to_string(),
        },
        (WsAct::Frame(build), Some(ws)) => {
            let mut frame = build(cast, fx);
            frame["ref"] = json!(tag);
            ws.send(frame).await;
            // Frames are handled in order, so every reply precedes the pong.
            let replies: Vec<String> = ws
                .sync()
                .await
                .iter()
                .filter(|f| f["ref"] == tag)
                .map(describe)
                .collect();
            if replies.is_empty() {
                Q.into()
            } else {
                replies.join("+")
            }
        }
    }
}

async fn run_ws_row(
    app: &TestApp,
    cast: &Cast,
    row: &WsRow,
    clients: &mut [Option<WsClient>],
    failures: &mut Vec<String>,
    grid: &mut Vec<String>,
) -> usize {
    let runs: Vec<(Option<Kind>, [&str; 10])> = match row.want {
        Want::Global(w) => vec![(None, w)],
        Want::Room { private, public } => {
            vec![(Some(Kind::Private), private), (Some(Kind::Public), public)]
        }
    };
    let mut cells = 0;
    for (kind, want) in runs {
        let got = join_all(
            clients
                .iter_mut()
                .enumerate()
                .map(|(c, client)| async move {
                    let tag = format!("{}-{kind:?}-{c}", row.label);
                    let has_account = c != ANON && c != DISABLED;
                    let fx = match kind {
                        Some(k) if has_account => fixture(app, cast, k).await,
                        _ => Fx::none(),
                    };
                    ws_cell(app, cast, row, c, client.as_mut(), &fx, &tag).await
                }),
        )
        .await;
        let want: Vec<String> = want.iter().map(|w| w.to_string()).collect();
        cells += compare(row.label, kind, &want, &got, failures, grid);
    }
    cells
}

/// Records mismatches and one grid line; returns the number of cells.
fn compare(
    label: &str,
    kind: Option<Kind>,
    want: &[String],
    got: &[String],
    failures: &mut Vec<String>,
    grid: &mut Vec<String>,
) -> usize {
    let scope = kind.map_or(String::new(), |k| {
        format!(" [{}]", format!("{k:?}").to_lowercase())
    });
    for c in 0..CALLERS.len() {
        if want[c] != got[c] {
            failures.push(format!(
                "{label}{scope} as {}: got {}, want {}",
                CALLERS[c], got[c], want[c]
            ));
        }
    }
    let cells: Vec<String> = got.iter().map(|g| format!("{g:>10.10}")).collect();
    grid.push(format!(
        "{:<66.66} {}",
        format!("{label}{scope}"),
        cells.join(" ")
    ));
    CALLERS.len()
}

fn report(what: &str, rows: usize, cells: usize, failures: &[String], grid: &[String]) {
    let header: Vec<String> = CALLERS.iter().map(|c| format!("{c:>10.10}")).collect();
    println!("{:<66} {}", what, header.join(" "));
    for line in grid {
        println!("{line}");
    }
    println!(
        "{what}: {rows} rows, {} runs (room rows run for a private and a public room) \
         x {} callers = {cells} cells checked",
        grid.len(),
        CALLERS.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {cells} cells differ from the matrix:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

async fn matrix_app() -> TestApp {
    spawn_app_with(|s| {
        // One connection per caller sends every command: no rate limiting here.
        s.limits.messages_per_sec = 10_000.0;
        s.limits.messages_burst = 10_000;
    })
    .await
}

// ---- the tests ----

#[actix_web::test]
async fn every_http_route_answers_each_kind_of_caller_as_the_matrix_says() {
    let app = matrix_app().await;
    let cast = cast(&app).await;
    let shared = [
        fixture(&app, &cast, Kind::Private).await,
        fixture(&app, &cast, Kind::Public).await,
    ];
    let rows = http_rows();
    let (mut failures, mut grid, mut cells) = (Vec::new(), Vec::new(), 0);

    for row in &rows {
        cells += run_http_row(&app, &cast, row, &shared, &mut failures, &mut grid).await;
    }

    report("HTTP routes", rows.len(), cells, &failures, &grid);
}

#[actix_web::test]
async fn every_websocket_command_answers_each_kind_of_caller_as_the_matrix_says() {
    let app = matrix_app().await;
    let cast = cast(&app).await;
    let mut clients = Vec::new();
    for c in 0..CALLERS.len() {
        clients.push(if c == ANON || c == DISABLED {
            None
        } else {
            Some(app.ws(cast.user(c)).await)
        });
    }
    let rows = ws_rows();
    let (mut failures, mut grid, mut cells) = (Vec::new(), Vec::new(), 0);

    for row in &rows {
        cells += run_ws_row(&app, &cast, row, &mut clients, &mut failures, &mut grid).await;
    }

    report("WebSocket", rows.len(), cells, &failures, &grid);
}

// ---- coverage: the table against the source ----

/// Every `(METHOD, full path)` registered with `.route(…)` in `src/api/mod.rs`,
/// with the prefixes of the `web::scope(…)`s they sit in.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/mod.rs"))
        .expect("read src/api/mod.rs");
    assert!(
        !src.contains("web::resource(") && !src.contains("#[get(") && !src.contains("#[post("),
        "src/api/mod.rs registers routes in a way this parser does not read; extend it"
    );
    let b = src.as_bytes();
    let mut routes = BTreeSet::new();
    let mut depth = 0usize;
    // (prefix, paren depth of the call the scope is an argument of)
    let mut scopes: Vec<(String, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let rest = &src[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
            continue;
        }
        if b[i] == b'\'' && i + 2 < b.len() && b[i + 2] == b'\'' {
            i += 3; // a char literal such as '"' or '('
            continue;
        }
        if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            continue;
        }
        if let Some(after) = rest.strip_prefix("web::scope(") {
            scopes.push((string_literal(after).0, depth));
        }
        if let Some(after) = rest.strip_prefix(".route(") {
            let (path, tail) = string_literal(after);
            let tail = tail
                .trim_start()
                .strip_prefix(',')
                .unwrap_or(tail)
                .trim_start();
            let method = tail
                .strip_prefix("web::")
                .and_then(|t| t.split_once("()"))
                .map(|(m, _)| m.to_uppercase())
                .unwrap_or_else(|| panic!("cannot read the method of .route({path:?}, …)"));
            let prefix: String = scopes.iter().map(|(p, _)| p.as_str()).collect();
            routes.insert((method, format!("{prefix}{path}")));
        }
        match b[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                scopes.retain(|(_, d)| *d <= depth);
            }
            _ => {}
        }
        i += 1;
    }
    routes
}

/// The string literal at the start of `s` (after whitespace), and the rest.
fn string_literal(s: &str) -> (String, &str) {
    let s = s.trim_start();
    let inner = s
        .strip_prefix('"')
        .unwrap_or_else(|| panic!("expected a string literal at {:?}", &s[..s.len().min(40)]));
    let end = inner.find('"').expect("closing quote");
    (inner[..end].to_string(), &inner[end + 1..])
}

/// The `type`s of the client frames in `src/ws/protocol.rs` (`ClientFrame`).
fn client_frame_types() -> BTreeSet<String> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/ws/protocol.rs"))
        .expect("read src/ws/protocol.rs");
    let body = src
        .split_once("pub enum ClientFrame {")
        .expect("ClientFrame in protocol.rs")
        .1;
    let mut types = BTreeSet::new();
    let mut depth = 1;
    for line in body.lines() {
        let t = line.trim();
        if depth == 1 && t.starts_with(|ch: char| ch.is_ascii_uppercase()) {
            let name: String = t.chars().take_while(|ch| ch.is_alphanumeric()).collect();
            let mut snake = String::new();
            for (k, ch) in name.chars().enumerate() {
                if ch.is_uppercase() && k > 0 {
                    snake.push('_');
                }
                snake.push(ch.to_ascii_lowercase());
            }
            types.insert(snake);
        }
        depth += t.matches('{').count();
        depth -= t.matches('}').count();
        if depth == 0 {
            break;
        }
    }
    types
}

/// A cast of placeholder users, to build frames without a server.
fn probe_cast() -> Cast {
    let nobody = TestUser {
        id: NO_ROOM.into(),
        username: "nobody".into(),
        password: String::new(),
        token: String::new(),
        refresh_token: String::new(),
    };
    Cast {
        users: vec![Some(nobody); CALLERS.len()],
        conversation: NO_ROOM.into(),
        refresh: RefCell::new(vec![String::new(); CALLERS.len()]),
    }
}

#[test]
fn every_route_and_websocket_command_has_a_row_in_the_matrix() {
    let in_source = routes_in_source();
    assert!(
        in_source.len() >= 40,
        "the route parser found too few routes: {in_source:?}"
    );
    let mut in_table: BTreeSet<(String, String)> = http_rows()
        .iter()
        .map(|r| (r.method.to_string(), r.route.to_string()))
        .collect();
    in_table.insert(("GET".into(), "/ws".into()));
    in_table.insert(("GET".into(), "/ws/rooms/{id}".into()));

    let missing: Vec<_> = in_source.difference(&in_table).collect();
    let stale: Vec<_> = in_table.difference(&in_source).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorization matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix rows for routes the app does not have: {stale:?}"
    );

    let commands = client_frame_types();
    let (probe_cast, probe) = (probe_cast(), Fx::none());
    let covered: BTreeSet<String> = ws_rows()
        .iter()
        .filter_map(|r| match &r.act {
            WsAct::Frame(build) => build(&probe_cast, &probe)["type"]
                .as_str()
                .map(str::to_string),
            _ => None,
        })
        .collect();
    let uncovered: Vec<_> = commands.difference(&covered).collect();
    assert!(
        uncovered.is_empty(),
        "WebSocket commands without a row in the authorization matrix: {uncovered:?}"
    );

    let room_rows = http_rows()
        .iter()
        .filter(|r| matches!(r.want, Want::Room { .. }))
        .count();
    let ws_room_rows = ws_rows()
        .iter()
        .filter(|r| matches!(r.want, Want::Room { .. }))
        .count();
    let http_cells = (in_table.len() - 2 + room_rows) * CALLERS.len();
    let ws_cells = (ws_rows().len() + ws_room_rows) * CALLERS.len();
    println!(
        "authorization matrix: {} routes ({} HTTP + /ws + /ws/rooms/{{id}}) and {} WebSocket \
         commands ({:?}) x {} callers; {} room-scoped rows run for a private and a public \
         room: {} HTTP cells + {} WebSocket cells = {} cells",
        in_table.len(),
        in_table.len() - 2,
        commands.len(),
        commands,
        CALLERS.len(),
        room_rows + ws_room_rows,
        http_cells,
        ws_cells,
        http_cells + ws_cells,
    );
}
