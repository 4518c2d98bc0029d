//! An [`AsyncSocket`] as a `futures` [`Stream`] of incoming messages and [`Sink`] of
//! outgoing ones, both carrying whole multipart messages as `Vec<Message>`, so that
//! `stream.forward(sink)` moves messages intact.

use super::AsyncSocket;
use crate::error::{Error, Result};
use crate::message::Message;
use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Whether an error will come back however often the receive is retried: the stream ends
/// after yielding it.
fn ends_stream(error: &Error) -> bool {
    matches!(error, Error::Terminated | Error::NotSupported)
}

/// Every incoming message, whole. A failed receive is yielded as an error; after
/// [`Error::Terminated`] (the context shut down) or [`Error::NotSupported`] (the socket
/// type does not receive) the stream ends. Cancel-safe like
/// [`recv_multipart`](AsyncSocket::recv_multipart).
///
/// ```
/// use ferrozmq::{Context, PULL, PUSH};
/// use futures::StreamExt;
/// let ctx = Context::new();
/// let mut pull = ctx.socket(PULL).unwrap().into_async();
/// pull.bind("inproc://stream").unwrap();
/// let push = ctx.socket(PUSH).unwrap();
/// push.connect("inproc://stream").unwrap();
/// for n in 0..3 {
///     push.send(format!("{n}")).unwrap();
/// }
/// let got: Vec<_> = futures::executor::block_on(pull.by_ref().take(3).collect());
/// assert_eq!(&got[2].as_ref().unwrap()[0][..], b"2");
/// ```
impl Stream for AsyncSocket {
    type Item = Result<Vec<Message>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.stream_ended {
            return Poll::Ready(None);
        }
        this.poll_recv_multipart(cx).map(|received| {
            if let Err(e) = &received {
                this.stream_ended = ends_stream(e);
            }
            Some(received)
        })
    }
}

impl FusedStream for AsyncSocket {
    fn is_terminated(&self) -> bool {
        self.stream_ended
    }
}

/// Outgoing messages, whole, each `Vec<Message>` one multipart message. `poll_ready`
/// accepts the next message once the socket has taken the previous; `poll_flush` waits
/// until it has taken them all; `poll_close` flushes and leaves the socket open (dropping
/// it closes it).
///
/// A message given to `start_send` is queued in the socket, not in a future: cancelling a
/// `SinkExt` future never drops a message already handed over, and never sends half of
/// one. To know whether a message was handed over, use `SinkExt::feed`: once it completes
/// the message is queued, and dropped before that it queued nothing. (A dropped
/// `SinkExt::send` does not tell whether it got as far as handing its message over.)
///
/// Method syntax finds [`AsyncSocket::send`] before `SinkExt::send`: call the latter as
/// `SinkExt::send(&mut socket, message)`, or use `feed`, `send_all` or `forward`.
///
/// ```
/// use ferrozmq::{Context, PULL, PUSH};
/// use futures::SinkExt;
/// let ctx = Context::new();
/// let pull = ctx.socket(PULL).unwrap();
/// pull.bind("inproc://sink").unwrap();
/// let mut push = ctx.socket(PUSH).unwrap().into_async();
/// push.connect("inproc://sink").unwrap();
/// let message = vec!["key".into(), "value".into()];
/// futures::executor::block_on(SinkExt::send(&mut push, message)).unwrap();
/// assert_eq!(pull.recv_multipart().unwrap().len(), 2);
/// ```
impl Sink<Vec<Message>> for AsyncSocket {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_io(cx, AsyncSocket::flush_outbound)
    }

    fn start_send(self: Pin<&mut Self>, message: Vec<Message>) -> Result<()> {
        self.get_mut().queue_message(message);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_io(cx, AsyncSocket::flush_outbound)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.poll_flush(cx)
    }
}
