//! Frames on the wire. Client frames are parsed into `ClientFrame`; server
//! events are built as `Event`s and serialised once into a `ByteString` that
//! every recipient shares.

use std::sync::Arc;

use bytestring::ByteString;
use serde::{Deserialize, Serialize};

use crate::domain::{
    JoinRequestView, MessageId, MessageView, ParticipantView, RoomId, RoomView, UserId, UserView,
};

/// A client frame: `{"type": …, "ref"?: …, …}`.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    #[serde(flatten)]
    pub frame: ClientFrame,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    Subscribe {
        room: RoomId,
        since_seq: Option<u64>,
        #[serde(default)]
        join: bool,
    },
    Unsubscribe {
        room: RoomId,
    },
    Message {
        room: RoomId,
        text: String,
        reply_to: Option<MessageId>,
    },
    Typing {
        room: RoomId,
        typing: bool,
    },
    /// Marks a room (`room`) or a DM conversation (`conversation`) read.
    Read {
        room: Option<RoomId>,
        conversation: Option<uuid::Uuid>,
        seq: u64,
    },
    Edit {
        room: RoomId,
        id: MessageId,
        text: String,
    },
    Delete {
        room: RoomId,
        id: MessageId,
    },
    React {
        room: RoomId,
        id: MessageId,
        emoji: String,
        on: bool,
    },
    Dm {
        conversation: uuid::Uuid,
        text: String,
        reply_to: Option<MessageId>,
    },
    Signal {
        room: RoomId,
        to: UserId,
        data: serde_json::Value,
    },
    Ping,
}

impl ClientFrame {
    /// Frames that reach other people count against the token bucket.
    pub fn is_rate_limited(&self) -> bool {
        matches!(
            self,
            ClientFrame::Message { .. }
                | ClientFrame::Typing { .. }
                | ClientFrame::Dm { .. }
                | ClientFrame::Edit { .. }
                | ClientFrame::Delete { .. }
                | ClientFrame::React { .. }
                | ClientFrame::Signal { .. }
        )
    }
}

/// Server → client events (SPEC §8 "WebSocket events").
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event<'a> {
    Subscribed {
        room: RoomId,
        members: &'a [ParticipantView],
        history: &'a [Arc<MessageView>],
        more: bool,
        gap: bool,
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<&'a str>,
    },
    Ack {
        #[serde(rename = "ref")]
        reference: Option<&'a str>,
        id: MessageId,
        seq: u64,
    },
    Message {
        room: RoomId,
        message: &'a MessageView,
    },
    MessageEdited {
        room: RoomId,
        message: &'a MessageView,
    },
    MessageDeleted {
        room: RoomId,
        id: MessageId,
        seq: u64,
    },
    Reaction {
        room: RoomId,
        id: MessageId,
        emoji: &'a str,
        user: UserId,
        on: bool,
    },
    MemberJoined {
        room: RoomId,
        member: &'a ParticipantView,
    },
    MemberLeft {
        room: RoomId,
        user: UserId,
    },
    Presence {
        room: RoomId,
        user: UserId,
        online: bool,
    },
    Typing {
        room: RoomId,
        user: UserId,
        typing: bool,
    },
    RoomUpdated {
        room: RoomId,
        info: &'a RoomView,
    },
    RoomDeleted {
        room: RoomId,
    },
    Kicked {
        room: RoomId,
        reason: Option<&'a str>,
        banned: bool,
    },
    JoinRequest {
        room: RoomId,
        request: &'a JoinRequestView,
    },
    JoinApproved {
        room: RoomId,
        info: &'a RoomView,
    },
    JoinDenied {
        room: RoomId,
    },
    Invited {
        room: RoomId,
        info: &'a RoomView,
        by: &'a UserView,
    },
    Signal {
        room: RoomId,
        from: UserId,
        data: &'a serde_json::Value,
    },
    Pong {
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<&'a str>,
    },
}

impl Event<'_> {
    pub fn encode(&self) -> ByteString {
        // Serialising plain data structs cannot fail.
        serde_json::to_string(self)
            .expect("invariant: events serialise")
            .into()
    }
}
