//! Validated domain types and the JSON views the API returns. No I/O here.

mod ids;
mod message;
mod room;
mod time;
mod user;

pub use ids::{MessageId, RoomId, SessionId, UserId};
pub use message::{AuthorView, MessageText, MessageView};
pub use room::{
    BanView, Description, InviteView, JoinRequestView, ParticipantView, RequestStatus, Role,
    RoomName, RoomStatus, RoomView, Visibility,
};
pub use time::{Timestamp, now};
pub use user::{DisplayName, Email, Password, UserView, Username};
