//! Message text and the `message` object.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{MessageId, RoomId, Timestamp, UserId};
use crate::error::ApiError;

/// Trimmed, then 1..=max Unicode scalar values.
#[derive(Debug, Clone)]
pub struct MessageText(String);

impl MessageText {
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, ApiError> {
        let t = raw.trim();
        if t.is_empty() {
            return Err(ApiError::invalid("text must not be empty"));
        }
        // Cheap bound first: a char is at most 4 bytes.
        if t.len() > max_chars && t.chars().count() > max_chars {
            return Err(ApiError::TooLarge(format!(
                "text is longer than {max_chars} characters"
            )));
        }
        Ok(MessageText(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthorView {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
}

/// The `message` object of SPEC §4.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub id: MessageId,
    pub room_id: RoomId,
    pub seq: u64,
    pub author: AuthorView,
    pub text: String,
    pub reply_to: Option<MessageId>,
    pub attachments: Vec<serde_json::Value>,
    pub reactions: BTreeMap<String, Vec<UserId>>,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
    pub deleted: bool,
}
