//! Account fields and the public `user` object.

use serde::Serialize;

use super::{Timestamp, UserId};
use crate::error::ApiError;

/// 3–32 chars of `[A-Za-z0-9_.-]`; unique case-insensitively (the db keeps a
/// lowercased copy under a UNIQUE index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let ok_len = (3..=32).contains(&raw.len());
        let ok_chars = raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if ok_len && ok_chars {
            Ok(Username(raw.to_owned()))
        } else {
            Err(ApiError::invalid(
                "username must be 3-32 characters of letters, digits, '_', '.' or '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn lowercase(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// At least 8 characters; capped so a client cannot make us hash megabytes.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let n = raw.chars().count();
        if n < 8 {
            return Err(ApiError::invalid("password must be at least 8 characters"));
        }
        if n > 1024 {
            return Err(ApiError::invalid(
                "password must be at most 1024 characters",
            ));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// 1–64 characters after trimming, no control characters.
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let t = raw.trim();
        let n = t.chars().count();
        if n == 0 || n > 64 || t.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "display_name must be 1-64 characters without control characters",
            ));
        }
        Ok(DisplayName(t.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let t = raw.trim();
        let valid = t.len() <= 254
            && t.split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
            && !t.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Email(t.to_owned()))
        } else {
            Err(ApiError::invalid("email is not a valid address"))
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The `user` object. `email` is filled only when the viewer is the user.
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub created_at: Timestamp,
    pub is_admin: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl UserView {
    /// The same user as anyone else sees them.
    pub fn public(&self) -> UserView {
        UserView {
            email: None,
            ..self.clone()
        }
    }
}
