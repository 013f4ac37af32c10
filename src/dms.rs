//! Direct messages: the one place that sends a DM, used by REST and by the
//! WebSocket `dm` frame. DMs are always stored; both users' connections get
//! the `dm` event.

use serde::Serialize;

use crate::db::dms::{self, DmMessageView};
use crate::domain::{MessageId, MessageText, UserId};
use crate::error::{ApiError, ApiResult};
use crate::state::Hub;

#[derive(Serialize)]
struct DmEvent<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    conversation: uuid::Uuid,
    message: &'a DmMessageView,
}

/// Stores and delivers a DM from `me`. Not a participant → 404; the peer
/// has blocked `me` → 403.
pub async fn send(
    hub: &Hub,
    me: UserId,
    conversation: uuid::Uuid,
    text: MessageText,
    reply_to: Option<MessageId>,
    ack: Option<crate::actors::room::messages::AckTo>,
) -> ApiResult<DmMessageView> {
    let (message, peer) = hub
        .db
        .run(move |c| {
            let peer =
                dms::peer_of(c, conversation, me)?.ok_or(ApiError::NotFound("conversation"))?;
            if crate::db::users::is_blocked(c, peer, me)? {
                return Err(ApiError::Forbidden(
                    "this user does not accept messages from you",
                ));
            }
            Ok((
                dms::insert(c, conversation, me, text.as_str(), reply_to)?,
                peer,
            ))
        })
        .await?;
    let frame: bytestring::ByteString = serde_json::to_string(&DmEvent {
        kind: "dm",
        conversation,
        message: &message,
    })
    .map_err(ApiError::internal)?
    .into();
    // The sender's ack precedes the event, as for room messages.
    if let Some(ack) = ack {
        let frame = crate::ws::protocol::Event::Ack {
            reference: ack.reference.as_deref(),
            id: message.id,
            seq: message.seq,
        }
        .encode();
        ack.outbox.offer(&frame);
    }
    hub.sessions.send_to_user(me, &frame);
    if peer != me {
        hub.sessions.send_to_user(peer, &frame);
    }
    Ok(message)
}
