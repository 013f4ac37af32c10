//! Client frames: parse, validate, rate-limit, and forward to rooms.

use std::time::Duration;

use actix::{ActorContext, ActorFutureExt, AsyncContext, Context, StreamHandler, WrapFuture};
use actix_ws::{AggregatedMessage, ProtocolError};

use super::{Outgoing, SessionActor};
use crate::actors::room::messages::{
    AckTo, DeleteMessage, EditMessage, MarkRead, PostMessage, React, RelaySignal, SetTyping,
    Subscribe, Unsubscribe,
};
use crate::domain::{MessageText, RoomId};
use crate::error::ApiError;
use crate::ws::protocol::{ClientFrame, Envelope, Event};

impl StreamHandler<Result<AggregatedMessage, ProtocolError>> for SessionActor {
    fn handle(&mut self, item: Result<AggregatedMessage, ProtocolError>, ctx: &mut Context<Self>) {
        self.outbox.touch();
        match item {
            Ok(AggregatedMessage::Text(text)) => self.on_text(&text, ctx),
            Ok(AggregatedMessage::Binary(_)) => self.send_error(
                &ApiError::bad_request("binary frames are not supported; send JSON text"),
                None,
            ),
            Ok(AggregatedMessage::Ping(data)) => {
                self.outbox.push(Outgoing::Pong(data));
            }
            Ok(AggregatedMessage::Pong(_)) => {}
            Ok(AggregatedMessage::Close(_)) => self.close(1000, ctx),
            Err(ProtocolError::Overflow) => self.close(1009, ctx),
            Err(ProtocolError::Io(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                self.close(1007, ctx)
            }
            Err(e) => {
                tracing::debug!(error = %e, "websocket protocol error");
                self.close(1002, ctx)
            }
        }
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

impl SessionActor {
    fn send_error(&self, err: &ApiError, reference: Option<&str>) {
        self.send_text(err.to_frame(reference));
    }

    fn on_text(&mut self, text: &str, ctx: &mut Context<Self>) {
        let Envelope { reference, frame } = match serde_json::from_str::<Envelope>(text) {
            Ok(envelope) => envelope,
            Err(e) => {
                let reference = ref_of_broken_frame(text);
                let err = ApiError::bad_request(format!("bad frame: {e}"));
                return self.send_error(&err, reference.as_deref());
            }
        };
        if self.posts.pending() && !matches!(frame, ClientFrame::Message { .. }) {
            return self.hold_behind_posts(reference, frame, ctx);
        }
        self.dispatch(reference, frame, ctx);
    }

    fn dispatch(&mut self, reference: Option<String>, frame: ClientFrame, ctx: &mut Context<Self>) {
        if frame.is_rate_limited() && !self.admit() {
            if self.strikes >= flood_strikes(self.hub.settings.limits.messages_burst) {
                return self.close(1008, ctx);
            }
            let err = ApiError::RateLimited {
                retry_after: Duration::from_secs_f64(self.bucket.wait_secs()),
            };
            return self.send_error(&err, reference.as_deref());
        }
        match frame {
            ClientFrame::Ping => self.send_text(
                Event::Pong {
                    reference: reference.as_deref(),
                }
                .encode()
                .to_string(),
            ),
            ClientFrame::Subscribe {
                room,
                since_seq,
                join,
            } => self.subscribe(room, since_seq, join, reference, ctx),
            ClientFrame::Unsubscribe { room } => {
                // A hibernated room has no subscribers to drop: no revival.
                if self.subscriptions.remove(&room)
                    && let Some(addr) = self.hub.rooms.get(&room).map(|a| a.clone())
                {
                    let session = self.id;
                    ctx.wait(
                        async move { addr.send(Unsubscribe { session }).await }
                            .into_actor(self)
                            .map(|_, _, _| ()),
                    );
                }
            }
            ClientFrame::Message {
                room,
                text,
                reply_to,
            } => {
                let text =
                    match MessageText::parse(&text, self.hub.settings.limits.max_message_chars) {
                        Ok(t) => t,
                        Err(e) => return self.send_error(&e, reference.as_deref()),
                    };
                let ack = AckTo {
                    outbox: self.outbox.clone(),
                    reference: reference.clone(),
                };
                let msg = PostMessage {
                    author: self.user,
                    text,
                    reply_to,
                    ack: Some(ack),
                };
                self.post(room, msg, reference, ctx);
            }
            ClientFrame::Typing { room, typing } => {
                let msg = SetTyping {
                    session: self.id,
                    user: self.user,
                    typing,
                };
                self.ask_room(room, msg, reference, ctx);
            }
            ClientFrame::Read {
                room: Some(room),
                conversation: None,
                seq,
            } => {
                let msg = MarkRead {
                    user: self.user,
                    seq,
                };
                self.ask_room(room, msg, reference, ctx);
            }
            ClientFrame::Read {
                room: None,
                conversation: Some(conversation),
                seq,
            } => {
                let (db, me) = (self.hub.db.clone(), self.user);
                ctx.wait(
                    async move {
                        db.run(move |c| crate::db::dms::mark_read(c, conversation, me, seq))
                            .await
                    }
                    .into_actor(self)
                    .map(move |res, act, _| match res {
                        Ok(true) => {}
                        Ok(false) => act
                            .send_error(&ApiError::NotFound("conversation"), reference.as_deref()),
                        Err(e) => act.send_error(&e, reference.as_deref()),
                    }),
                );
            }
            ClientFrame::Read { .. } => self.send_error(
                &ApiError::bad_request("read needs exactly one of `room` or `conversation`"),
                reference.as_deref(),
            ),
            ClientFrame::Dm {
                conversation,
                text,
                reply_to,
            } => {
                let text =
                    match MessageText::parse(&text, self.hub.settings.limits.max_message_chars) {
                        Ok(t) => t,
                        Err(e) => return self.send_error(&e, reference.as_deref()),
                    };
                let (hub, me, ack) = (self.hub.clone(), self.user, self.ack_to(&reference));
                ctx.wait(
                    async move { crate::dms::send(&hub, me, conversation, text, reply_to, ack).await }
                        .into_actor(self)
                        .map(move |res, act, _| {
                            if let Err(e) = res {
                                act.send_error(&e, reference.as_deref());
                            }
                        }),
                );
            }
            ClientFrame::Edit { room, id, text } => {
                let text =
                    match MessageText::parse(&text, self.hub.settings.limits.max_message_chars) {
                        Ok(t) => t,
                        Err(e) => return self.send_error(&e, reference.as_deref()),
                    };
                let msg = EditMessage {
                    by: self.user,
                    id,
                    text,
                    ack: self.ack_to(&reference),
                };
                self.ask_room(room, msg, reference, ctx);
            }
            ClientFrame::Delete { room, id } => {
                let hub = self.hub.clone();
                let (user, ack) = (self.user, self.ack_to(&reference));
                self.ask_room_with(room, reference, ctx, async move {
                    let by_admin = hub.users.get(&hub.db, user).await?.is_admin;
                    Ok(DeleteMessage {
                        by: user,
                        by_admin,
                        id,
                        ack,
                    })
                });
            }
            ClientFrame::React {
                room,
                id,
                emoji,
                on,
            } => {
                if !crate::actors::room::valid_emoji(&emoji) {
                    let err = ApiError::invalid("emoji must be one emoji or a :short_name:");
                    return self.send_error(&err, reference.as_deref());
                }
                let msg = React {
                    by: self.user,
                    id,
                    emoji,
                    on,
                    ack: self.ack_to(&reference),
                };
                self.ask_room(room, msg, reference, ctx);
            }
            ClientFrame::Signal { room, to, data } => {
                let msg = RelaySignal {
                    from: self.user,
                    to,
                    data,
                };
                self.ask_room(room, msg, reference, ctx);
            }
        }
    }

    /// Where a change's `ack` goes: only frames that carry a `ref` get one.
    fn ack_to(&self, reference: &Option<String>) -> Option<AckTo> {
        reference.as_ref().map(|r| AckTo {
            outbox: self.outbox.clone(),
            reference: Some(r.clone()),
        })
    }

    /// Like `ask_room`, for a message that needs an async step to build.
    fn ask_room_with<M, T, F>(
        &mut self,
        room: RoomId,
        reference: Option<String>,
        ctx: &mut Context<Self>,
        build: F,
    ) where
        F: std::future::Future<Output = Result<M, ApiError>> + 'static,
        M: actix::Message<Result = Result<T, ApiError>> + Send + 'static,
        M::Result: Send,
        T: 'static,
        crate::actors::room::RoomActor: actix::Handler<M>,
    {
        let hub = self.hub.clone();
        ctx.wait(
            async move {
                let msg = build.await?;
                hub.room(room).await?.send(msg).await?
            }
            .into_actor(self)
            .map(move |res: Result<T, ApiError>, act, _| {
                if let Err(e) = res {
                    act.send_error(&e, reference.as_deref());
                }
            }),
        );
    }

    /// True if the bucket lets one more counted frame through.
    fn admit(&mut self) -> bool {
        if self.bucket.take() {
            self.strikes = 0;
            true
        } else {
            self.strikes += 1;
            false
        }
    }

    /// Sends `msg` to `room` and waits for the answer before the next frame,
    /// so one client's frames are handled in order. Errors go back as frames.
    fn ask_room<M, T>(
        &mut self,
        room: RoomId,
        msg: M,
        reference: Option<String>,
        ctx: &mut Context<Self>,
    ) where
        M: actix::Message<Result = Result<T, ApiError>> + Send + 'static,
        M::Result: Send,
        T: 'static,
        crate::actors::room::RoomActor: actix::Handler<M>,
    {
        let hub = self.hub.clone();
        ctx.wait(
            async move { hub.room(room).await?.send(msg).await? }
                .into_actor(self)
                .map(move |res: Result<T, ApiError>, act, _| {
                    if let Err(e) = res {
                        act.send_error(&e, reference.as_deref());
                    }
                }),
        );
    }

    /// Posts without waiting for the room: the room acks or refuses the
    /// post on this connection itself (`AckTo`), so a burst of posts is read
    /// and queued in one go, the room handles them in one wake-up, and each
    /// reader gets them in one write. Order holds: every `send` from a fresh
    /// `Addr` clone is queued before it returns, so posts reach the room in
    /// the order sent; other frames wait until the posts before them are
    /// answered (`hold_behind_posts`), so answers keep the order of frames.
    /// The answer is awaited in a task of its own, not in this actor's
    /// context: a post the room has queued is handled even if this
    /// connection closes first (actix skips a message whose asker is gone).
    /// A room that must first be revived, or a reply, holds later frames
    /// until the post is answered.
    fn post(
        &mut self,
        room: RoomId,
        msg: PostMessage,
        reference: Option<String>,
        ctx: &mut Context<Self>,
    ) {
        // A reply may send the room to SQLite for its parent, after which
        // a later post could overtake it: replies wait for their answer.
        let live = msg
            .reply_to
            .is_none()
            .then(|| self.hub.rooms.get(&room).map(|a| a.value().clone()))
            .flatten();
        if let Some(addr) = live {
            let answer = addr.send(msg);
            let (posts, outbox) = (self.posts.clone(), self.outbox.clone());
            posts.start();
            actix::spawn(async move {
                // Only what the room could not say itself: it stopped
                // before it read the post.
                if let Err(e) = answer.await {
                    outbox.offer(&ApiError::from(e).to_frame(reference.as_deref()).into());
                }
                posts.finish();
            });
            return;
        }
        let hub = self.hub.clone();
        ctx.wait(
            async move {
                // The room's own answer (ack or refusal) went to this
                // connection already.
                let _answered = hub.room(room).await?.send(msg).await?;
                Ok(())
            }
            .into_actor(self)
            .map(move |res: Result<(), ApiError>, act, _| {
                if let Err(e) = res {
                    act.send_error(&e, reference.as_deref());
                }
            }),
        );
    }

    /// Runs `frame` once every post sent before it has been answered.
    fn hold_behind_posts(
        &mut self,
        reference: Option<String>,
        frame: ClientFrame,
        ctx: &mut Context<Self>,
    ) {
        let posts_answered = self.posts.answered();
        ctx.wait(
            async move {
                let _ = posts_answered.await;
            }
            .into_actor(self)
            .map(move |_, act, ctx| act.dispatch(reference, frame, ctx)),
        );
    }

    pub(super) fn subscribe(
        &mut self,
        room: RoomId,
        since_seq: Option<u64>,
        join: bool,
        reference: Option<String>,
        ctx: &mut Context<Self>,
    ) {
        for dropped in self.outbox.take_dropped_rooms() {
            self.subscriptions.remove(&dropped);
        }
        let max = self.hub.settings.limits.max_subscriptions;
        if !self.subscriptions.contains(&room) && self.subscriptions.len() >= max {
            let err =
                ApiError::conflict(format!("a connection may hold at most {max} subscriptions"));
            return self.send_error(&err, reference.as_deref());
        }
        let hub = self.hub.clone();
        let (user, session, outbox) = (self.user, self.id, self.outbox.clone());
        let reference_for_error = reference.clone();
        let fut = async move {
            let addr = hub.room(room).await?;
            let join = if join {
                Some(hub.users.get(&hub.db, user).await?)
            } else {
                None
            };
            addr.send(Subscribe {
                session,
                user,
                outbox,
                since_seq,
                join,
                reference,
            })
            .await?
        };
        ctx.wait(fut.into_actor(self).map(move |res, act, _| match res {
            Ok(()) => {
                act.subscriptions.insert(room);
            }
            Err(e) => act.send_error(&e, reference_for_error.as_deref()),
        }));
    }
}

/// The `ref` of a frame that failed to parse, if it is JSON with a string `ref`.
fn ref_of_broken_frame(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    value.get("ref")?.as_str().map(str::to_owned)
}

/// Consecutive refused frames after which a client counts as flooding and is
/// closed with 1008: twice the burst, and never fewer than 10 so that a client
/// politely retrying a small bucket is not mistaken for a flood.
fn flood_strikes(burst: u32) -> u32 {
    (2 * burst).max(10)
}

/// The posts a connection has sent and not yet seen answered, and the
/// frames waiting for them. Shared with the tasks awaiting the answers, on
/// this connection's thread.
#[derive(Default)]
pub(super) struct PostsInFlight {
    count: std::cell::Cell<u32>,
    waiters: std::cell::RefCell<Vec<tokio::sync::oneshot::Sender<()>>>,
}

impl PostsInFlight {
    fn start(&self) {
        self.count.set(self.count.get() + 1);
    }

    fn finish(&self) {
        self.count.set(self.count.get() - 1);
        if self.count.get() == 0 {
            for waiter in self.waiters.borrow_mut().drain(..) {
                let _ = waiter.send(());
            }
        }
    }

    fn pending(&self) -> bool {
        self.count.get() > 0
    }

    /// Resolves once every post sent so far has been answered.
    fn answered(&self) -> tokio::sync::oneshot::Receiver<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.waiters.borrow_mut().push(tx);
        rx
    }
}
