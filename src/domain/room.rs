//! Room fields: names, visibility, status and member roles.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// 1–100 characters after trimming, no control characters.
#[derive(Debug, Clone)]
pub struct RoomName(String);

impl RoomName {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let t = raw.trim();
        let n = t.chars().count();
        if n == 0 || n > 100 || t.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "name must be 1-100 characters without control characters",
            ));
        }
        Ok(RoomName(t.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Up to 1000 characters after trimming.
#[derive(Debug, Clone)]
pub struct Description(String);

impl Description {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let t = raw.trim();
        if t.chars().count() > 1000 {
            return Err(ApiError::invalid(
                "description must be at most 1000 characters",
            ));
        }
        Ok(Description(t.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[default]
    Public,
    Private,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RoomStatus {
    #[default]
    Active,
    Inactive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Moderator,
    Owner,
}

/// The `room` object; `role` and `unread` only for a member viewing it.
#[derive(Debug, Clone, Serialize)]
pub struct RoomView {
    pub id: super::RoomId,
    pub name: String,
    pub description: String,
    pub owner_id: super::UserId,
    pub visibility: Visibility,
    pub status: RoomStatus,
    pub max_participants: u32,
    pub participant_count: usize,
    pub online_count: usize,
    pub persistent: bool,
    pub created_at: super::Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread: Option<u64>,
}

/// A `participant`: `{user, role, joined_at, online}`.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantView {
    pub user: std::sync::Arc<super::UserView>,
    pub role: Role,
    pub joined_at: super::Timestamp,
    pub online: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Approved,
    Denied,
}

/// A `join request`: `{id, room, user, message, status, created_at, decided_at}`.
#[derive(Debug, Clone, Serialize)]
pub struct JoinRequestView {
    pub id: uuid::Uuid,
    pub room: super::RoomId,
    pub user: std::sync::Arc<super::UserView>,
    pub message: String,
    pub status: RequestStatus,
    pub created_at: super::Timestamp,
    pub decided_at: Option<super::Timestamp>,
}

/// An `invite`: `{id, room, user, by, created_at}`.
#[derive(Debug, Clone, Serialize)]
pub struct InviteView {
    pub id: uuid::Uuid,
    pub room: super::RoomId,
    pub user: std::sync::Arc<super::UserView>,
    pub by: std::sync::Arc<super::UserView>,
    pub created_at: super::Timestamp,
}

/// A ban: `{user, by, reason, created_at}`.
#[derive(Debug, Clone, Serialize)]
pub struct BanView {
    pub user: std::sync::Arc<super::UserView>,
    pub by: super::UserId,
    pub reason: Option<String>,
    pub created_at: super::Timestamp,
}
