//! The WebSocket transport: the handshake, the inbound frame stream the
//! session actor reads, and the response body that writes a connection's
//! outbox to its socket.
//!
//! Why not `actix_ws::Session`: it is a second bounded channel (32 frames)
//! behind our outbox, so every delivery would wake a writer task that moves
//! frames from one queue to the other, and every connection would carry that
//! task, its channel and `actix-ws`' own buffers. Here the HTTP dispatcher
//! polls the outbox itself: a room's `try_send` wakes the connection's
//! dispatcher directly, and every frame that is ready is encoded into one
//! buffer and written with one syscall. Frames are still encoded by
//! `actix_http::ws::Codec`, the codec `actix-ws` uses.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_http::ws::{Codec, Frame, Item, Message};
use actix_web::body::{BodyStream, MessageBody};
use actix_web::dev::Payload;
use actix_web::{HttpRequest, HttpResponse};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, ProtocolError};
use bytes::{Bytes, BytesMut};
use bytestring::ByteString;
use futures_util::Stream;
use tokio::sync::mpsc;
use tokio_util::codec::{Decoder, Encoder};

use crate::actors::session::{Outbox, Outgoing};
use crate::error::ApiError;

/// Close code used internally for "the socket is already gone": no close
/// frame is sent.
pub const GONE: u16 = 1006;

/// Coalesce at most this many bytes of ready frames into one write, so one
/// busy connection cannot build an unbounded buffer.
const MAX_WRITE: usize = 64 * 1024;

/// Answers the handshake: the `101` response whose body is the connection's
/// outbox, and the stream of the client's frames (continuations aggregated,
/// each message at most `max_frame_bytes`).
pub fn upgrade(
    req: &HttpRequest,
    payload: Payload,
    outbox: Outbox,
    rx: mpsc::Receiver<Outgoing>,
    max_frame_bytes: usize,
) -> Result<(HttpResponse, Inbound), ApiError> {
    let mut response = actix_http::ws::handshake(req.head())
        .map_err(|e| ApiError::bad_request(format!("websocket handshake failed: {e}")))?;
    let body = Outbound {
        outbox,
        rx,
        codec: Codec::new(),
        done: false,
    };
    let response = response
        .message_body(BodyStream::new(body).boxed())
        .map_err(|e| ApiError::internal(format!("websocket response: {e}")))?;
    let inbound = Inbound {
        payload,
        buf: BytesMut::new(),
        codec: Codec::new().max_size(max_frame_bytes),
        max_size: max_frame_bytes,
        partial: None,
        done: false,
    };
    Ok((response.into(), inbound))
}

/// The response body: the outbox, encoded. Ends after the close frame.
struct Outbound {
    outbox: Outbox,
    rx: mpsc::Receiver<Outgoing>,
    codec: Codec,
    done: bool,
}

impl Outbound {
    fn encode(&mut self, message: Message, buf: &mut BytesMut) {
        // Encoding into a BytesMut only fails for oversized control frames,
        // which the server never builds.
        if let Err(e) = self.codec.encode(message, buf) {
            tracing::warn!(error = %e, "could not encode an outgoing frame");
        }
    }

    fn close_frame(&mut self, buf: &mut BytesMut) {
        let code = self.outbox.close_code().unwrap_or(CloseCode::Normal);
        if u16::from(code) == GONE {
            return;
        }
        let reason = CloseReason {
            code,
            description: close_description(u16::from(code)).map(str::to_owned),
        };
        self.encode(Message::Close(Some(reason)), buf);
    }
}

impl Stream for Outbound {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let mut buf = BytesMut::new();
        // Closing wins over queued frames: a cut-off reader gets its close
        // code, not the backlog that got it cut off. Register before
        // looking, so a close in between still wakes us.
        this.outbox.register_writer(cx.waker());
        if this.outbox.close_code().is_some() {
            this.done = true;
            this.close_frame(&mut buf);
            return Poll::Ready((!buf.is_empty()).then(|| Ok(buf.freeze())));
        }
        while buf.len() < MAX_WRITE {
            match this.rx.poll_recv(cx) {
                Poll::Ready(Some(item)) => {
                    let message = match item {
                        Outgoing::Text(text) => Message::Text(text),
                        Outgoing::Ping => Message::Ping(Bytes::new()),
                        Outgoing::Pong(data) => Message::Pong(data),
                    };
                    this.encode(message, &mut buf);
                }
                Poll::Ready(None) => {
                    this.done = true;
                    this.close_frame(&mut buf);
                    break;
                }
                Poll::Pending => break,
            }
        }
        if buf.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(Some(Ok(buf.freeze())))
        }
    }
}

impl Drop for Outbound {
    /// The dispatcher drops the body when the socket is gone; the session
    /// actor learns it through the outbox.
    fn drop(&mut self) {
        self.outbox.close(GONE);
    }
}

fn close_description(code: u16) -> Option<&'static str> {
    match code {
        1001 => Some("server shutting down"),
        1007 => Some("invalid UTF-8 in a text frame"),
        1008 => Some("flooding"),
        1009 => Some("frame too large"),
        crate::actors::session::CLOSE_SLOW_CONSUMER => Some("slow consumer: outbox overflowed"),
        _ => None,
    }
}

/// The client's frames, decoded, continuations joined into whole messages.
/// Yields one error and then ends on a protocol violation.
pub struct Inbound {
    payload: Payload,
    buf: BytesMut,
    codec: Codec,
    max_size: usize,
    /// A fragmented message being joined: whether it is text, and its bytes.
    partial: Option<(bool, BytesMut)>,
    done: bool,
}

impl Inbound {
    /// What one decoded frame contributes: a whole message, nothing yet (a
    /// fragment), or a violation.
    fn aggregate(&mut self, frame: Frame) -> Result<Option<AggregatedMessage>, ProtocolError> {
        Ok(Some(match frame {
            Frame::Text(bytes) => AggregatedMessage::Text(text(bytes)?),
            Frame::Binary(bytes) => AggregatedMessage::Binary(bytes),
            Frame::Ping(bytes) => AggregatedMessage::Ping(bytes),
            Frame::Pong(bytes) => AggregatedMessage::Pong(bytes),
            Frame::Close(reason) => AggregatedMessage::Close(reason),
            Frame::Continuation(item) => {
                let (first, is_text, bytes, last) = match item {
                    Item::FirstText(b) => (true, true, b, false),
                    Item::FirstBinary(b) => (true, false, b, false),
                    Item::Continue(b) => (false, false, b, false),
                    Item::Last(b) => (false, false, b, true),
                };
                if first {
                    self.partial = Some((is_text, BytesMut::new()));
                }
                let Some((is_text, joined)) = self.partial.as_mut() else {
                    return Err(ProtocolError::ContinuationNotStarted);
                };
                if joined.len() + bytes.len() > self.max_size {
                    return Err(ProtocolError::Overflow);
                }
                joined.extend_from_slice(&bytes);
                if !last {
                    return Ok(None);
                }
                let (is_text, joined) = (*is_text, std::mem::take(joined));
                self.partial = None;
                if is_text {
                    AggregatedMessage::Text(text(joined.freeze())?)
                } else {
                    AggregatedMessage::Binary(joined.freeze())
                }
            }
        }))
    }
}

fn text(bytes: Bytes) -> Result<ByteString, ProtocolError> {
    ByteString::try_from(bytes).map_err(|_| {
        ProtocolError::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            "invalid UTF-8 in a text frame",
        ))
    })
}

impl Stream for Inbound {
    type Item = Result<AggregatedMessage, ProtocolError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            match this.codec.decode(&mut this.buf) {
                Ok(Some(frame)) => match this.aggregate(frame) {
                    Ok(Some(message)) => {
                        if matches!(message, AggregatedMessage::Close(_)) {
                            this.done = true;
                        }
                        return Poll::Ready(Some(Ok(message)));
                    }
                    Ok(None) => continue,
                    Err(e) => {
                        this.done = true;
                        return Poll::Ready(Some(Err(e)));
                    }
                },
                Ok(None) => {}
                Err(e) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
            }
            if this.buf.is_empty() {
                // An idle connection keeps no read buffer.
                this.buf = BytesMut::new();
            }
            match ready!(Pin::new(&mut this.payload).poll_next(cx)) {
                Some(Ok(chunk)) => this.buf.extend_from_slice(&chunk),
                Some(Err(e)) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(ProtocolError::Io(io::Error::other(e)))));
                }
                None => {
                    this.done = true;
                    return Poll::Ready(None);
                }
            }
        }
    }
}
