//! Frames on the wire. Client frames are parsed into `ClientFrame`; server
//! events are built as `Event`s and serialised once into a `ByteString` that
//! every recipient shares.

use std::sync::Arc;

use bytestring::ByteString;
use serde::{Deserialize, Serialize};

use crate::domain::{MessageId, MessageView, ParticipantView, RoomId, RoomView, UserId};

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
    Read {
        room: RoomId,
        seq: u64,
    },
    Ping,
}

impl ClientFrame {
    /// Frames that reach other people count against the token bucket.
    pub fn is_rate_limited(&self) -> bool {
        matches!(
            self,
            ClientFrame::Message { .. } | ClientFrame::Typing { .. }
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
