//! SPEC §3 governance rows and the events of §6/§8: kicks and bans, join
//! requests, invites, roles, private rooms, and WebRTC signalling. Who may
//! call what is the authorization matrix's job (authz_matrix.rs); these
//! tests follow the effects: state, live events, and what reaches whom.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app, spawn_with_settings};
use crate::ws_client::{WsClient, post_text};

fn room_id(room: &Value) -> String {
    room["id"].as_str().expect("room id").to_string()
}

async fn private_room(app: &TestApp, owner: &TestUser, extra: Value) -> String {
    let mut body = json!({"visibility": "private"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    room_id(&app.create_room(owner, "backstage", body).await)
}

async fn invite(app: &TestApp, by: &TestUser, room: &str, user_id: &str) -> (u16, Value) {
    app.post(
        &format!("/api/rooms/{room}/invites"),
        &by.token,
        json!({"user_id": user_id}),
    )
    .await
}

/// Invites `user` (as `owner`) and joins: a member of a private room.
async fn admit(app: &TestApp, owner: &TestUser, room: &str, user: &TestUser) {
    let (status, body) = invite(app, owner, room, &user.id).await;
    assert_eq!(status, 201, "invite {}: {body}", user.username);
    let (status, body) = app.join(user, room).await;
    assert_eq!(status, 200, "join {}: {body}", user.username);
}

async fn kick(
    app: &TestApp,
    by: &TestUser,
    room: &str,
    user_id: &str,
    body: Value,
) -> (u16, Value) {
    app.post(
        &format!("/api/rooms/{room}/kick/{user_id}"),
        &by.token,
        body,
    )
    .await
}

async fn request_join(app: &TestApp, user: &TestUser, room: &str, body: Value) -> (u16, Value) {
    app.post(
        &format!("/api/rooms/{room}/join-requests"),
        &user.token,
        body,
    )
    .await
}

async fn decide(app: &TestApp, by: &TestUser, room: &str, rid: &str, verb: &str) -> (u16, Value) {
    app.post(
        &format!("/api/rooms/{room}/join-requests/{rid}/{verb}"),
        &by.token,
        json!({}),
    )
    .await
}

async fn set_role(
    app: &TestApp,
    by: &TestUser,
    room: &str,
    user_id: &str,
    role: &str,
) -> (u16, Value) {
    app.call(
        reqwest::Method::PUT,
        &format!("/api/rooms/{room}/members/{user_id}/role"),
        Some(&by.token),
        Some(json!({"role": role})),
    )
    .await
}

async fn members(app: &TestApp, viewer: &TestUser, room: &str) -> Vec<String> {
    let (status, list) = app
        .get(&format!("/api/rooms/{room}/participants"), &viewer.token)
        .await;
    assert_eq!(status, 200, "{list}");
    let mut names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["user"]["username"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// A user id, whether given as an id string or as a user object.
fn user_ref(v: &Value) -> &str {
    v.as_str()
        .or_else(|| v["id"].as_str())
        .unwrap_or_else(|| panic!("not a user reference: {v}"))
}

/// Frames received up to a ping barrier, of type `kind`.
async fn frames_of(ws: &mut WsClient, kind: &str) -> Vec<Value> {
    ws.sync()
        .await
        .into_iter()
        .filter(|f| f["type"] == kind)
        .collect()
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

// ---- kicks and bans ----

#[actix_web::test]
async fn a_kick_tells_every_connection_of_the_user_and_the_room_then_stops_their_events() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = room_id(&app.create_room(&alice, "lobby", json!({})).await);
    for u in [&bob, &carol] {
        assert_eq!(app.join(u, &room).await.0, 200);
    }
    let mut bob_sub = app.ws(&bob).await;
    bob_sub.subscribe(&room).await;
    let mut bob_idle = app.ws(&bob).await;
    bob_idle.sync().await;
    let mut carol_ws = app.ws(&carol).await;
    carol_ws.subscribe(&room).await;

    let (status, body) = kick(&app, &alice, &room, &bob.id, json!({"reason": "spam"})).await;
    assert_eq!(status, 204, "{body}");

    for ws in [&mut bob_sub, &mut bob_idle] {
        let kicked = ws.expect("kicked").await;
        assert_eq!(kicked["room"], room.as_str());
        assert_eq!(kicked["reason"], "spam");
        assert_eq!(kicked["banned"], false);
    }
    let left = carol_ws.expect("member_left").await;
    assert_eq!(left["room"], room.as_str());
    assert_eq!(left["user"], bob.id.as_str());

    let sent = post_text(&app, &alice, &room, "bob is gone").await;
    assert_eq!(
        carol_ws.expect("message").await["message"]["id"],
        sent["id"]
    );
    assert!(
        frames_of(&mut bob_sub, "message").await.is_empty(),
        "a kicked connection stops receiving the room"
    );
    assert_eq!(members(&app, &alice, &room).await, vec!["alice", "carol"]);
    let (status, body) = app
        .post(
            &format!("/api/rooms/{room}/messages"),
            &bob.token,
            json!({"text": "still here?"}),
        )
        .await;
    assert_eq!(status, 403, "{body}");

    let (status, body) = app.join(&bob, &room).await;
    assert_eq!(
        status, 200,
        "a kick without a ban lets the user rejoin: {body}"
    );
}

#[actix_web::test]
async fn a_ban_keeps_the_user_out_and_is_listed_until_it_is_lifted() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = room_id(&app.create_room(&alice, "lobby", json!({})).await);
    assert_eq!(app.join(&bob, &room).await.0, 200);
    let mut bob_ws = app.ws(&bob).await;
    bob_ws.sync().await;

    let (status, body) = kick(
        &app,
        &alice,
        &room,
        &bob.id,
        json!({"ban": true, "reason": "abuse"}),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let kicked = bob_ws.expect("kicked").await;
    assert_eq!(kicked["banned"], true);
    assert_eq!(kicked["reason"], "abuse");

    let (status, body) = app.join(&bob, &room).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(TestApp::error_code(&body), "forbidden");
    bob_ws
        .send(json!({"type": "subscribe", "room": room, "join": true, "ref": "again"}))
        .await;
    bob_ws.expect_error("forbidden", Some("again")).await;

    let (status, bans) = app
        .get(&format!("/api/rooms/{room}/bans"), &alice.token)
        .await;
    assert_eq!(status, 200, "{bans}");
    let bans = bans.as_array().unwrap();
    assert_eq!(bans.len(), 1, "{bans:?}");
    assert_eq!(user_ref(&bans[0]["user"]), bob.id);
    assert_eq!(user_ref(&bans[0]["by"]), alice.id);
    assert_eq!(bans[0]["reason"], "abuse");
    assert!(bans[0]["created_at"].is_string(), "{}", bans[0]);

    let unban = format!("/api/rooms/{room}/bans/{}", bob.id);
    let (status, body) = app.delete(&unban, &alice.token).await;
    assert_eq!(status, 204, "{body}");
    let (_, bans) = app
        .get(&format!("/api/rooms/{room}/bans"), &alice.token)
        .await;
    assert_eq!(bans, json!([]));
    assert_eq!(app.join(&bob, &room).await.0, 200);
    let (status, body) = app.delete(&unban, &alice.token).await;
    assert_eq!(status, 404, "no ban left to lift: {body}");
    assert_eq!(TestApp::error_code(&body), "not_found");
}

#[actix_web::test]
async fn a_pre_emptive_ban_of_a_non_member_refuses_their_joins_requests_and_invites() {
    let app = spawn_app().await;
    let (alice, dave) = (app.user("alice").await, app.user("dave").await);
    let public = room_id(&app.create_room(&alice, "open", json!({})).await);
    let private = private_room(&app, &alice, json!({})).await;

    for room in [&public, &private] {
        let (status, body) = kick(&app, &alice, room, &dave.id, json!({})).await;
        assert_eq!(status, 404, "a plain kick of a non-member: {body}");
        assert_eq!(TestApp::error_code(&body), "not_found");
        let (status, body) = kick(&app, &alice, room, &dave.id, json!({"ban": true})).await;
        assert_eq!(status, 204, "a pre-emptive ban: {body}");
    }

    let (status, body) = app.join(&dave, &public).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = request_join(&app, &dave, &private, json!({})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(TestApp::error_code(&body), "forbidden");
    let (status, body) = invite(&app, &alice, &private, &dave.id).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(TestApp::error_code(&body), "forbidden");

    let (status, _) = app
        .delete(
            &format!("/api/rooms/{private}/bans/{}", dave.id),
            &alice.token,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(invite(&app, &alice, &private, &dave.id).await.0, 201);
    assert_eq!(app.join(&dave, &private).await.0, 200);
}

#[actix_web::test]
async fn a_ban_drops_the_users_pending_request_and_open_invite() {
    let app = spawn_app().await;
    let (alice, carol, dave) = (
        app.user("alice").await,
        app.user("carol").await,
        app.user("dave").await,
    );
    let room = private_room(&app, &alice, json!({})).await;
    assert_eq!(request_join(&app, &carol, &room, json!({})).await.0, 201);
    assert_eq!(invite(&app, &alice, &room, &dave.id).await.0, 201);

    for u in [&carol, &dave] {
        let (status, body) = kick(&app, &alice, &room, &u.id, json!({"ban": true})).await;
        assert_eq!(status, 204, "{body}");
    }
    let (_, pending) = app
        .get(&format!("/api/rooms/{room}/join-requests"), &alice.token)
        .await;
    assert_eq!(pending, json!([]), "the banned user's request is gone");

    for u in [&carol, &dave] {
        let (status, _) = app
            .delete(&format!("/api/rooms/{room}/bans/{}", u.id), &alice.token)
            .await;
        assert_eq!(status, 204);
    }
    let (status, body) = app.join(&dave, &room).await;
    assert_eq!(status, 403, "the invite did not outlive the ban: {body}");
    assert_eq!(
        request_join(&app, &carol, &room, json!({})).await.0,
        201,
        "unbanned, carol may ask again"
    );
}

#[actix_web::test]
async fn moderators_kick_members_only_and_nobody_kicks_the_owner_or_themselves() {
    let app = spawn_app().await;
    let (alice, mod1, mod2, bob) = (
        app.user("alice").await,
        app.user("mod1").await,
        app.user("mod2").await,
        app.user("bob").await,
    );
    let room = room_id(&app.create_room(&alice, "lobby", json!({})).await);
    for u in [&mod1, &mod2, &bob] {
        assert_eq!(app.join(u, &room).await.0, 200);
    }
    for m in [&mod1, &mod2] {
        assert_eq!(
            set_role(&app, &alice, &room, &m.id, "moderator").await.0,
            200
        );
    }

    let refusals = [
        (
            &mod1,
            &mod2.id,
            403,
            "forbidden",
            "a moderator kicking a moderator",
        ),
        (
            &mod1,
            &alice.id,
            403,
            "forbidden",
            "a moderator kicking the owner",
        ),
        (
            &mod1,
            &mod1.id,
            422,
            "invalid",
            "a moderator kicking themselves",
        ),
        (
            &alice,
            &alice.id,
            422,
            "invalid",
            "the owner kicking themselves",
        ),
    ];
    for (by, target, status, code, what) in refusals {
        let (got, body) = kick(&app, by, &room, target, json!({})).await;
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(TestApp::error_code(&body), code, "{what}");
    }
    assert_eq!(kick(&app, &mod1, &room, &bob.id, json!({})).await.0, 204);
    assert_eq!(kick(&app, &alice, &room, &mod2.id, json!({})).await.0, 204);
    assert_eq!(members(&app, &alice, &room).await, vec!["alice", "mod1"]);

    let nobody = "00000000-0000-4000-8000-000000000000";
    let (status, body) = kick(&app, &alice, &room, nobody, json!({"ban": true})).await;
    assert_eq!(status, 404, "an unknown user: {body}");
    let (status, body) = kick(&app, &alice, nobody, &bob.id, json!({})).await;
    assert_eq!(status, 404, "an unknown room: {body}");
}

// ---- join requests ----

#[actix_web::test]
async fn a_join_request_reaches_owner_and_moderators_live_and_approval_admits_the_requester() {
    let app = spawn_app().await;
    let (alice, mo, bob, carol) = (
        app.user("alice").await,
        app.user("mona").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = private_room(&app, &alice, json!({})).await;
    admit(&app, &alice, &room, &mo).await;
    admit(&app, &alice, &room, &bob).await;
    assert_eq!(
        set_role(&app, &alice, &room, &mo.id, "moderator").await.0,
        200
    );
    let mut alice_ws = app.ws(&alice).await;
    alice_ws.sync().await;
    let mut mo_ws = app.ws(&mo).await;
    mo_ws.sync().await;
    let mut bob_ws = app.ws(&bob).await;
    bob_ws.subscribe(&room).await;
    let mut carol_ws = [app.ws(&carol).await, app.ws(&carol).await];

    let (status, request) = request_join(
        &app,
        &carol,
        &room,
        json!({"message": "  hi, it's carol  "}),
    )
    .await;

    assert_eq!(status, 201, "{request}");
    let rid = request["id"].as_str().expect("request id").to_string();
    assert_eq!(request["room"], room.as_str());
    assert_eq!(request["user"]["id"], carol.id.as_str());
    assert_eq!(request["user"]["username"], "carol");
    assert_eq!(request["message"], "hi, it's carol");
    assert_eq!(request["status"], "pending");
    assert!(request["created_at"].is_string(), "{request}");
    assert!(request["decided_at"].is_null(), "{request}");
    for ws in [&mut alice_ws, &mut mo_ws] {
        let told = ws.expect("join_request").await;
        assert_eq!(told["room"], room.as_str());
        assert_eq!(told["request"], request);
    }
    assert!(
        frames_of(&mut bob_ws, "join_request").await.is_empty(),
        "plain members are not told"
    );
    let (status, pending) = app
        .get(&format!("/api/rooms/{room}/join-requests"), &mo.token)
        .await;
    assert_eq!(status, 200, "{pending}");
    assert_eq!(pending, json!([request]));

    let (status, decided) = decide(&app, &mo, &room, &rid, "approve").await;

    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["id"], rid.as_str());
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["user"]["id"], carol.id.as_str());
    assert!(decided["decided_at"].is_string(), "{decided}");
    for ws in &mut carol_ws {
        let approved = ws.expect("join_approved").await;
        assert_eq!(approved["room"], room.as_str());
        assert_eq!(approved["info"]["id"], room.as_str());
        assert_eq!(approved["info"]["name"], "backstage");
    }
    let joined = bob_ws.expect("member_joined").await;
    assert_eq!(joined["member"]["user"]["id"], carol.id.as_str());
    assert_eq!(joined["member"]["role"], "member");
    assert_eq!(
        members(&app, &carol, &room).await,
        vec!["alice", "bob", "carol", "mona"]
    );
    let (_, pending) = app
        .get(&format!("/api/rooms/{room}/join-requests"), &alice.token)
        .await;
    assert_eq!(pending, json!([]));
    let (status, body) = decide(&app, &alice, &room, &rid, "approve").await;
    assert_eq!(status, 404, "a decided request is gone: {body}");
}

#[actix_web::test]
async fn a_denied_request_tells_the_requester_who_stays_out_and_may_ask_again() {
    let app = spawn_app().await;
    let (alice, carol) = (app.user("alice").await, app.user("carol").await);
    let room = private_room(&app, &alice, json!({})).await;
    let mut carol_ws = app.ws(&carol).await;
    carol_ws.sync().await;
    let (_, request) = request_join(&app, &carol, &room, json!({})).await;
    let rid = request["id"].as_str().unwrap();
    assert_eq!(
        request["message"], "",
        "message defaults to empty: {request}"
    );

    let (status, decided) = decide(&app, &alice, &room, rid, "deny").await;

    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["status"], "denied");
    assert!(decided["decided_at"].is_string(), "{decided}");
    let denied = carol_ws.expect("join_denied").await;
    assert_eq!(denied["room"], room.as_str());
    let (status, _) = app
        .get(&format!("/api/rooms/{room}/participants"), &carol.token)
        .await;
    assert_eq!(status, 403, "a denied requester is not a member");
    assert_eq!(app.join(&carol, &room).await.0, 403);
    let (status, again) = request_join(&app, &carol, &room, json!({})).await;
    assert_eq!(status, 201, "{again}");
    assert_ne!(again["id"], request["id"]);
}

#[actix_web::test]
async fn join_requests_are_refused_for_public_rooms_members_duplicates_and_unknown_ids() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let public = room_id(&app.create_room(&alice, "open", json!({})).await);
    let room = private_room(&app, &alice, json!({})).await;
    admit(&app, &alice, &room, &bob).await;

    let (status, body) = request_join(&app, &carol, &public, json!({})).await;
    assert_eq!(status, 422, "a public room is joined directly: {body}");
    assert_eq!(TestApp::error_code(&body), "invalid");
    let (status, body) = request_join(&app, &bob, &room, json!({})).await;
    assert_eq!(status, 409, "already a member: {body}");
    assert_eq!(TestApp::error_code(&body), "conflict");
    assert_eq!(request_join(&app, &carol, &room, json!({})).await.0, 201);
    let (status, body) = request_join(&app, &carol, &room, json!({})).await;
    assert_eq!(status, 409, "one pending request at a time: {body}");
    assert_eq!(TestApp::error_code(&body), "conflict");

    let unknown = "01900000-0000-7000-8000-000000000000";
    for verb in ["approve", "deny"] {
        let (status, body) = decide(&app, &alice, &room, unknown, verb).await;
        assert_eq!(status, 404, "{verb} an unknown request: {body}");
        assert_eq!(TestApp::error_code(&body), "not_found");
    }
    let (status, body) = request_join(
        &app,
        &carol,
        "00000000-0000-4000-8000-000000000000",
        json!({}),
    )
    .await;
    assert_eq!(status, 404, "an unknown room: {body}");
}

#[actix_web::test]
async fn approving_into_a_full_room_is_409_and_leaves_the_request_pending() {
    let app = spawn_app().await;
    let (alice, carol) = (app.user("alice").await, app.user("carol").await);
    let room = private_room(&app, &alice, json!({"max_participants": 1})).await;
    let (_, request) = request_join(&app, &carol, &room, json!({})).await;
    let rid = request["id"].as_str().unwrap();

    let (status, body) = decide(&app, &alice, &room, rid, "approve").await;

    assert_eq!(status, 409, "{body}");
    assert_eq!(TestApp::error_code(&body), "conflict");
    let (_, pending) = app
        .get(&format!("/api/rooms/{room}/join-requests"), &alice.token)
        .await;
    assert_eq!(ids(&pending), vec![rid]);
    let (status, _) = app
        .patch(
            &format!("/api/rooms/{room}"),
            &alice.token,
            json!({"max_participants": 2}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(decide(&app, &alice, &room, rid, "approve").await.0, 200);
    assert_eq!(members(&app, &alice, &room).await, vec!["alice", "carol"]);
}

// ---- invites ----

#[actix_web::test]
async fn an_invite_reaches_every_connection_of_the_invitee_who_may_then_join_once() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = private_room(&app, &alice, json!({})).await;
    let mut bob_ws = [app.ws(&bob).await, app.ws(&bob).await];

    let (status, inv) = invite(&app, &alice, &room, &bob.id).await;

    assert_eq!(status, 201, "{inv}");
    assert!(inv["id"].is_string(), "{inv}");
    assert_eq!(inv["room"], room.as_str());
    assert_eq!(inv["user"]["id"], bob.id.as_str());
    assert_eq!(inv["by"]["id"], alice.id.as_str());
    assert!(inv["created_at"].is_string(), "{inv}");
    for ws in &mut bob_ws {
        let told = ws.expect("invited").await;
        assert_eq!(told["room"], room.as_str());
        assert_eq!(told["info"]["id"], room.as_str());
        assert_eq!(told["info"]["name"], "backstage");
        assert_eq!(told["by"]["id"], alice.id.as_str());
        assert_eq!(told["by"]["username"], "alice");
    }

    let (status, joined) = app.join(&bob, &room).await;
    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["role"], "member");
    let (status, _) = app
        .post(&format!("/api/rooms/{room}/leave"), &bob.token, json!({}))
        .await;
    assert_eq!(status, 204);
    let (status, body) = app.join(&bob, &room).await;
    assert_eq!(status, 403, "the invite was used up: {body}");
    assert_eq!(TestApp::error_code(&body), "forbidden");
}

#[actix_web::test]
async fn an_invite_also_works_through_subscribe_with_join() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = private_room(&app, &alice, json!({})).await;
    assert_eq!(invite(&app, &alice, &room, &bob.id).await.0, 201);
    let mut bob_ws = app.ws(&bob).await;

    let subscribed = bob_ws.subscribe_joining(&room).await;

    assert_eq!(subscribed["room"], room.as_str());
    assert_eq!(members(&app, &alice, &room).await, vec!["alice", "bob"]);
}

#[actix_web::test]
async fn invites_are_refused_for_members_unknown_users_banned_users_and_blockers() {
    let app = spawn_app().await;
    let (alice, mo, bob, dave) = (
        app.user("alice").await,
        app.user("mona").await,
        app.user("bob").await,
        app.user("dave").await,
    );
    let room = private_room(&app, &alice, json!({})).await;
    admit(&app, &alice, &room, &mo).await;
    assert_eq!(
        set_role(&app, &alice, &room, &mo.id, "moderator").await.0,
        200
    );

    let (status, body) = invite(&app, &alice, &room, &mo.id).await;
    assert_eq!(status, 409, "a member: {body}");
    assert_eq!(TestApp::error_code(&body), "conflict");
    let (status, body) = invite(&app, &alice, &room, "00000000-0000-4000-8000-000000000000").await;
    assert_eq!(status, 404, "an unknown user: {body}");
    assert_eq!(TestApp::error_code(&body), "not_found");
    assert_eq!(
        kick(&app, &alice, &room, &dave.id, json!({"ban": true}))
            .await
            .0,
        204
    );
    let (status, body) = invite(&app, &alice, &room, &dave.id).await;
    assert_eq!(status, 403, "a banned user: {body}");

    let (status, _) = app
        .post(
            &format!("/api/users/{}/block", alice.id),
            &bob.token,
            json!({}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = invite(&app, &alice, &room, &bob.id).await;
    assert_eq!(status, 403, "bob blocked alice: {body}");
    assert_eq!(TestApp::error_code(&body), "forbidden");
    let (status, body) = invite(&app, &mo, &room, &bob.id).await;
    assert_eq!(status, 201, "bob did not block the moderator: {body}");
    let (status, _) = app
        .delete(&format!("/api/users/{}/block", alice.id), &bob.token)
        .await;
    assert_eq!(status, 204);
    assert_eq!(invite(&app, &alice, &room, &bob.id).await.0, 201);
}

// ---- roles ----

#[actix_web::test]
async fn the_owner_promotes_and_demotes_moderators_who_then_gain_and_lose_their_powers() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = room_id(&app.create_room(&alice, "lobby", json!({})).await);
    for u in [&bob, &carol] {
        assert_eq!(app.join(u, &room).await.0, 200);
    }
    let bans = format!("/api/rooms/{room}/bans");
    assert_eq!(app.get(&bans, &bob.token).await.0, 403);

    let (status, participant) = set_role(&app, &alice, &room, &bob.id, "moderator").await;

    assert_eq!(status, 200, "{participant}");
    assert_eq!(participant["user"]["id"], bob.id.as_str());
    assert_eq!(participant["role"], "moderator");
    assert!(participant["joined_at"].is_string(), "{participant}");
    assert!(participant["online"].is_boolean(), "{participant}");
    assert_eq!(app.get(&bans, &bob.token).await.0, 200);
    let (status, body) = set_role(&app, &bob, &room, &carol.id, "moderator").await;
    assert_eq!(status, 403, "only the owner sets roles: {body}");

    let (status, participant) = set_role(&app, &alice, &room, &bob.id, "member").await;
    assert_eq!(status, 200, "{participant}");
    assert_eq!(participant["role"], "member");
    assert_eq!(app.get(&bans, &bob.token).await.0, 403);
    assert_eq!(
        kick(&app, &bob, &room, &carol.id, json!({})).await.0,
        403,
        "a demoted moderator cannot kick"
    );
}

#[actix_web::test]
async fn role_changes_refuse_non_members_the_owner_role_and_unknown_roles() {
    let app = spawn_app().await;
    let (alice, bob, dave) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("dave").await,
    );
    let room = room_id(&app.create_room(&alice, "lobby", json!({})).await);
    assert_eq!(app.join(&bob, &room).await.0, 200);

    let (status, body) = set_role(&app, &alice, &room, &dave.id, "moderator").await;
    assert_eq!(status, 404, "a non-member: {body}");
    assert_eq!(TestApp::error_code(&body), "not_found");
    let (status, body) = set_role(&app, &alice, &room, &bob.id, "owner").await;
    assert_eq!(status, 422, "ownership is not handed out by role: {body}");
    assert_eq!(TestApp::error_code(&body), "invalid");
    let (status, body) = set_role(&app, &alice, &room, &bob.id, "emperor").await;
    assert_eq!(status, 400, "an unknown enum value: {body}");
    assert_eq!(TestApp::error_code(&body), "bad_request");
    let list = app
        .get(&format!("/api/rooms/{room}/participants"), &alice.token)
        .await
        .1;
    let bob_role = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["user"]["id"] == bob.id.as_str())
        .map(|p| p["role"].clone());
    assert_eq!(bob_role, Some(json!("member")), "nothing changed: {list}");
}

// ---- private rooms ----

#[actix_web::test]
async fn a_private_room_shows_strangers_its_card_but_not_its_members_messages_or_listing() {
    let app = spawn_app().await;
    let (alice, bob, dave) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("dave").await,
    );
    let room = private_room(&app, &alice, json!({"persistent": true})).await;
    admit(&app, &alice, &room, &bob).await;
    let message = post_text(&app, &bob, &room, "secret plans").await;
    let mid = message["id"].as_str().unwrap();

    let (status, card) = app.get(&format!("/api/rooms/{room}"), &dave.token).await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["name"], "backstage");
    assert_eq!(card["owner_id"], alice.id.as_str());
    assert_eq!(card["visibility"], "private");
    assert_eq!(card["participant_count"], 2);
    assert!(card["role"].is_null(), "a stranger has no role: {card}");
    assert!(card["unread"].is_null(), "a stranger has no unread: {card}");
    let (_, mine) = app.get(&format!("/api/rooms/{room}"), &bob.token).await;
    assert_eq!(mine["role"], "member");

    for path in [
        format!("/api/rooms/{room}/participants"),
        format!("/api/rooms/{room}/messages"),
        format!("/api/rooms/{room}/messages/{mid}/thread"),
        format!("/api/rooms/{room}/messages/search?q=secret"),
    ] {
        let (status, body) = app.get(&path, &dave.token).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(TestApp::error_code(&body), "forbidden");
    }
    let mut dave_ws = app.ws(&dave).await;
    dave_ws
        .send(json!({"type": "subscribe", "room": room, "ref": "peek"}))
        .await;
    dave_ws.expect_error("forbidden", Some("peek")).await;

    let listed = |list: &Value| ids(list).contains(&room);
    assert!(!listed(&app.get("/api/rooms", &dave.token).await.1));
    assert!(listed(&app.get("/api/rooms", &bob.token).await.1));
    assert!(listed(&app.get("/api/rooms", &alice.token).await.1));
}

// ---- signalling ----

#[actix_web::test]
async fn a_signal_reaches_every_connection_of_the_target_member_and_nobody_else() {
    let app = spawn_app().await;
    let (alice, bob, carol, dave) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
        app.user("dave").await,
    );
    let room = room_id(&app.create_room(&alice, "call", json!({})).await);
    for u in [&bob, &carol] {
        assert_eq!(app.join(u, &room).await.0, 200);
    }
    let mut alice_ws = app.ws(&alice).await;
    let mut bob_sub = app.ws(&bob).await;
    bob_sub.subscribe(&room).await;
    let mut bob_idle = app.ws(&bob).await;
    bob_idle.sync().await;
    let mut carol_ws = app.ws(&carol).await;
    carol_ws.subscribe(&room).await;
    let data = json!({"kind": "offer", "sdp": "v=0\r\n...", "n": [1, 2]});

    alice_ws
        .send(json!({"type": "signal", "room": room, "to": bob.id, "data": data, "ref": "s1"}))
        .await;

    for ws in [&mut bob_sub, &mut bob_idle] {
        let signal = ws.expect("signal").await;
        assert_eq!(signal["room"], room.as_str());
        assert_eq!(signal["from"], alice.id.as_str());
        assert_eq!(signal["data"], data);
    }
    let replies: Vec<Value> = alice_ws
        .sync()
        .await
        .into_iter()
        .filter(|f| f["ref"] == "s1")
        .collect();
    assert!(
        replies.is_empty(),
        "a relayed signal has no reply: {replies:?}"
    );
    assert!(frames_of(&mut carol_ws, "signal").await.is_empty());

    alice_ws
        .send(json!({"type": "signal", "room": room, "to": dave.id, "data": {}, "ref": "s2"}))
        .await;
    alice_ws.expect_error("not_found", Some("s2")).await;
    let mut dave_ws = app.ws(&dave).await;
    dave_ws
        .send(json!({"type": "signal", "room": room, "to": bob.id, "data": {}, "ref": "s3"}))
        .await;
    dave_ws.expect_error("forbidden", Some("s3")).await;
    assert!(frames_of(&mut bob_idle, "signal").await.is_empty());
}

// ---- persistence ----

#[actix_web::test]
async fn bans_invites_and_pending_requests_of_a_persistent_room_survive_a_restart() {
    let app = spawn_app().await;
    let (alice, bob, carol, dave) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
        app.user("dave").await,
    );
    let room = private_room(&app, &alice, json!({"persistent": true})).await;
    assert_eq!(
        kick(
            &app,
            &alice,
            &room,
            &dave.id,
            json!({"ban": true, "reason": "troll"})
        )
        .await
        .0,
        204
    );
    assert_eq!(invite(&app, &alice, &room, &bob.id).await.0, 201);
    let (_, request) = request_join(&app, &carol, &room, json!({"message": "me too"})).await;

    let app = restart(app).await;

    let (status, bans) = app
        .get(&format!("/api/rooms/{room}/bans"), &alice.token)
        .await;
    assert_eq!(status, 200, "{bans}");
    assert_eq!(user_ref(&bans[0]["user"]), dave.id, "{bans}");
    assert_eq!(bans[0]["reason"], "troll");
    assert_eq!(app.join(&dave, &room).await.0, 403);
    let (_, pending) = app
        .get(&format!("/api/rooms/{room}/join-requests"), &alice.token)
        .await;
    assert_eq!(ids(&pending), vec![request["id"].as_str().unwrap()]);
    assert_eq!(pending[0]["message"], "me too");
    assert_eq!(app.join(&bob, &room).await.0, 200, "the invite survived");
    let rid = request["id"].as_str().unwrap();
    assert_eq!(decide(&app, &alice, &room, rid, "approve").await.0, 200);
    assert_eq!(
        members(&app, &alice, &room).await,
        vec!["alice", "bob", "carol"]
    );
}
