//! The async proxy: [`crate::proxy`] as a future, forwarding whole messages both ways.

use super::socket::RETRIES_PER_POLL;
use super::AsyncSocket;
use crate::error::{Error, Result};
use std::future::poll_fn;
use std::task::{Context, Poll};

/// Messages moved one way before the other way, and then other tasks, get their turn.
const TURN: usize = 256;

/// Forwards every message arriving on `frontend` to `backend` and every message arriving on
/// `backend` to `frontend`, whole, until an operation fails (the context shutting down ends
/// it with [`Error::Terminated`]): [`proxy`](crate::proxy) for async code. A side that
/// cannot receive (PUSH, PUB) is only sent to. A busy proxy yields to the executor every
/// few hundred messages.
///
/// Cancel-safe: a message is taken from one side only once the other side has taken every
/// message before it, and is moved into the other side's queue in the same step, with no
/// await in between. Dropping the proxy loses nothing: a message it had taken but the other
/// side had no room for yet stays queued in that [`AsyncSocket`], and goes out with the
/// socket's next send, [`flush`](AsyncSocket::flush), or proxy. Only dropping that socket
/// itself drops the message.
///
/// ```
/// use ferrozmq::{Context, PULL, PUSH};
/// use futures::future::{select, Either};
/// let ctx = Context::new();
/// let mut front = ctx.socket(PULL).unwrap().into_async();
/// front.bind("inproc://proxy-in").unwrap();
/// let mut back = ctx.socket(PUSH).unwrap().into_async();
/// back.bind("inproc://proxy-out").unwrap();
/// let source = ctx.socket(PUSH).unwrap();
/// source.connect("inproc://proxy-in").unwrap();
/// let mut sink = ctx.socket(PULL).unwrap().into_async();
/// sink.connect("inproc://proxy-out").unwrap();
/// source.send_multipart(["a", "b"]).unwrap();
///
/// // Runs the proxy until the message is through, then drops it.
/// let received = futures::executor::block_on(async {
///     let proxy = std::pin::pin!(ferrozmq::proxy_async(&mut front, &mut back));
///     let receive = std::pin::pin!(sink.recv_multipart());
///     match select(proxy, receive).await {
///         Either::Right((received, _proxy)) => received,
///         Either::Left((ended, _)) => panic!("the proxy stopped: {ended:?}"),
///     }
/// });
/// assert_eq!(received.unwrap().len(), 2);
/// ```
pub async fn proxy_async(frontend: &mut AsyncSocket, backend: &mut AsyncSocket) -> Result<()> {
    poll_fn(|cx| poll_proxy(frontend, backend, cx)).await
}

fn poll_proxy(
    frontend: &mut AsyncSocket,
    backend: &mut AsyncSocket,
    cx: &mut Context<'_>,
) -> Poll<Result<()>> {
    for _ in 0..RETRIES_PER_POLL {
        let busy = forward_turn(frontend, backend)? | forward_turn(backend, frontend)?;
        if busy {
            break;
        }
        // Each way waits on its source for messages or on its destination for room: any
        // news about either socket may let something move. Both are asked, so that the
        // task is registered with both.
        let front = frontend.poll_news(cx);
        let back = backend.poll_news(cx);
        if front.is_pending() && back.is_pending() {
            return Poll::Pending;
        }
    }
    cx.waker().wake_by_ref();
    Poll::Pending
}

/// Moves up to a turn's worth of messages from `from` to `to`; true when the turn ran out
/// with messages perhaps still waiting.
fn forward_turn(from: &mut AsyncSocket, to: &mut AsyncSocket) -> Result<bool> {
    for _ in 0..TURN {
        match to.flush_outbound() {
            Err(Error::Again) => return Ok(false),
            flushed => flushed?,
        }
        match from.take_message() {
            Ok(message) => to.queue_message(message),
            // Nothing now, or a side that only sends.
            Err(Error::Again | Error::NotSupported | Error::State) => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    match to.flush_outbound() {
        Ok(()) | Err(Error::Again) => Ok(true),
        Err(e) => Err(e),
    }
}
