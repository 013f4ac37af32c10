//! REST routes, one file per URL segment, and the framework error handlers
//! that keep every refusal in the SPEC's error envelope.

mod admin;
mod auth;
mod dms;
mod messages;
mod moderation;
mod ops;
mod rooms;
mod users;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{HttpRequest, web};

use crate::error::ApiError;

/// The whole route table.
pub fn routes(cfg: &mut web::ServiceConfig, max_body_bytes: usize) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(max_body_bytes)
            .error_handler(json_error),
    )
    .app_data(web::PathConfig::default().error_handler(path_error))
    .app_data(web::QueryConfig::default().error_handler(query_error))
    .configure(crate::web::routes)
    .route("/healthz", web::get().to(ops::healthz))
    .route("/metrics", web::get().to(ops::metrics))
    .route("/ws", web::get().to(crate::ws::upgrade::connect))
    .route(
        "/ws/rooms/{id}",
        web::get().to(crate::ws::upgrade::connect_to_room),
    )
    .service(
        web::scope("/api")
            .route("/auth/register", web::post().to(auth::register))
            .route("/auth/login", web::post().to(auth::login))
            .route("/auth/refresh", web::post().to(auth::refresh))
            .route("/auth/logout", web::post().to(auth::logout))
            .route("/users/me", web::get().to(users::get_me))
            .route("/users/me", web::patch().to(users::update_me))
            .route("/users", web::get().to(users::search_users))
            .route("/users/{id}", web::get().to(users::get_user))
            .route("/rooms", web::get().to(rooms::list_rooms))
            .route("/rooms", web::post().to(rooms::create_room))
            .route("/rooms/{id}", web::get().to(rooms::get_room))
            .route("/rooms/{id}", web::patch().to(rooms::update_room))
            .route("/rooms/{id}", web::delete().to(rooms::delete_room))
            .route(
                "/rooms/{id}/participants",
                web::get().to(rooms::list_participants),
            )
            .route("/rooms/{id}/join", web::post().to(rooms::join_room))
            .route("/rooms/{id}/leave", web::post().to(rooms::leave_room))
            .route(
                "/rooms/{id}/members/{user_id}/role",
                web::put().to(rooms::set_member_role),
            )
            .route(
                "/rooms/{id}/kick/{user_id}",
                web::post().to(moderation::kick_member),
            )
            .route("/rooms/{id}/bans", web::get().to(moderation::list_bans))
            .route(
                "/rooms/{id}/bans/{user_id}",
                web::delete().to(moderation::unban_member),
            )
            .route(
                "/rooms/{id}/join-requests",
                web::post().to(moderation::request_to_join),
            )
            .route(
                "/rooms/{id}/join-requests",
                web::get().to(moderation::list_join_requests),
            )
            .route(
                "/rooms/{id}/join-requests/{rid}/approve",
                web::post().to(moderation::approve_join_request),
            )
            .route(
                "/rooms/{id}/join-requests/{rid}/deny",
                web::post().to(moderation::deny_join_request),
            )
            .route(
                "/rooms/{id}/invites",
                web::post().to(moderation::invite_user),
            )
            .route("/users/{id}/block", web::post().to(users::block_user))
            .route("/users/{id}/block", web::delete().to(users::unblock_user))
            .route("/admin/rooms", web::get().to(admin::list_all_rooms))
            .route(
                "/admin/users/{id}/disable",
                web::post().to(admin::disable_user),
            )
            .route(
                "/admin/users/{id}/enable",
                web::post().to(admin::enable_user),
            )
            .route(
                "/rooms/{id}/messages/search",
                web::get().to(messages::search_messages),
            )
            .route(
                "/rooms/{id}/messages/{mid}",
                web::patch().to(messages::edit_message),
            )
            .route(
                "/rooms/{id}/messages/{mid}",
                web::delete().to(messages::delete_message),
            )
            .route(
                "/rooms/{id}/messages/{mid}/reactions/{emoji}",
                web::put().to(messages::add_reaction),
            )
            .route(
                "/rooms/{id}/messages/{mid}/reactions/{emoji}",
                web::delete().to(messages::remove_reaction),
            )
            .route(
                "/rooms/{id}/messages/{mid}/thread",
                web::get().to(messages::get_thread),
            )
            .route("/dms", web::post().to(dms::open_conversation))
            .route("/dms", web::get().to(dms::list_conversations))
            .route("/dms/{id}/messages", web::get().to(dms::list_dm_messages))
            .route("/dms/{id}/messages", web::post().to(dms::send_dm))
            .route(
                "/rooms/{id}/messages",
                web::get().to(messages::list_messages),
            )
            .route(
                "/rooms/{id}/messages",
                web::post().to(messages::post_message),
            ),
    )
    .default_service(web::to(not_found));
}

/// A JSON body that may be left out entirely (empty → defaults).
fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("route"))
}

fn json_error(err: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    match err {
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            ApiError::TooLarge(format!("request body is larger than {limit} bytes"))
        }
        JsonPayloadError::ContentType => {
            ApiError::bad_request("expected a JSON body (Content-Type: application/json)")
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::bad_request(format!("invalid JSON body: {e}"))
        }
        other => ApiError::bad_request(format!("invalid JSON body: {other}")),
    }
    .into()
}

/// A path id that does not parse names nothing: 404.
fn path_error(_: PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound("resource").into()
}

fn query_error(err: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request(format!("invalid query string: {err}")).into()
}
