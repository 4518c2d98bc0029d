//! The async socket: the blocking socket's operations as futures that the engine wakes.

use super::waiters::Waiters;
use crate::error::{Error, Result};
use crate::message::Message;
use crate::poll::{POLLIN, POLLOUT};
use crate::socket::mailbox::SocketLink;
use crate::socket::{Socket, TrySend};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::ops::Deref;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// A message part as the socket takes it: its MORE flag set by the send call.
type Part = zmtp::Message;

/// How many times one poll retries an operation that news about the socket keeps
/// interrupting, before it lets the executor run other tasks.
pub(super) const RETRIES_PER_POLL: usize = 16;

/// A [`Socket`] whose sends and receives are futures, for use under any executor (tokio,
/// smol, async-std, `futures::executor`): no runtime is started or needed, since the
/// library's own I/O threads wake the waiting task.
///
/// Made with [`AsyncSocket::new`] or [`Socket::into_async`]; [`into_inner`](Self::into_inner)
/// gives the socket back. Its sends and receives have the blocking socket's names
/// ([`send`](Self::send), [`send_more`](Self::send_more),
/// [`send_multipart`](Self::send_multipart), [`recv`](Self::recv),
/// [`recv_multipart`](Self::recv_multipart), [`send_to`](Self::send_to),
/// [`recv_from`](Self::recv_from), [`send_group`](Self::send_group),
/// [`recv_group`](Self::recv_group)) and wait without blocking the thread. Options, binds
/// and connects go through the blocking API, reached by [`get_ref`](Self::get_ref) or by
/// dereference. SNDTIMEO and RCVTIMEO do not apply to the futures: bound a wait with the
/// runtime's timer (`tokio::time::timeout`) instead. The socket is also a
/// [`Stream`](futures_core::Stream) of incoming messages and a [`Sink`](futures_sink::Sink)
/// of outgoing ones, each item a whole multipart message. (A socket's typed
/// [`Monitor`](crate::Monitor) is a stream of its own.)
///
/// ```
/// use ferrozmq::{AsyncSocket, Context, REP, REQ};
/// # fn main() -> ferrozmq::Result<()> {
/// let ctx = Context::new();
/// let mut server = ctx.socket(REP)?.into_async();
/// server.bind("inproc://async-hello")?;
/// let mut client = AsyncSocket::new(ctx.socket(REQ)?);
/// client.connect("inproc://async-hello")?;
///
/// futures::executor::block_on(async {
///     client.send("Are you OK?").await?;
///     let request = server.recv().await?;
///     assert_eq!(&request[..], b"Are you OK?");
///     server.send("I am OK!").await?;
///     assert_eq!(&client.recv().await?[..], b"I am OK!");
///     Ok(())
/// })
/// # }
/// ```
///
/// # Cancel safety
///
/// Every future of this type may be dropped while pending (by `select!` taking another
/// branch, by a timeout) without losing or duplicating a message:
///
/// * A receive ([`recv`](Self::recv), [`recv_multipart`](Self::recv_multipart),
///   [`recv_from`](Self::recv_from), [`recv_group`](Self::recv_group), the stream) takes a
///   message from the socket only in the poll that returns it. Peers publish the parts of
///   a message together, so once its first part can be received its last one can too, in
///   the same poll; a pending receive holds no part.
/// * A send ([`send`](Self::send), [`send_more`](Self::send_more),
///   [`send_multipart`](Self::send_multipart), [`send_to`](Self::send_to),
///   [`send_group`](Self::send_group)) that is still pending holds its part, none of which
///   was sent: dropping it drops the part unsent. The high-water mark is checked at a
///   message's first part only, so once the socket takes the first part it takes the others
///   in the same poll: [`send_multipart`](Self::send_multipart) never sends a message in
///   part. (A message sent part by part with [`send_more`](Self::send_more) is whole once
///   its last part is sent; an application that gives up half way leaves it unfinished,
///   as with the blocking socket.)
/// * [`readable`](Self::readable) and [`writable`](Self::writable) take nothing.
/// * Messages given to the sink, or taken by [`proxy_async`](crate::proxy_async), are queued
///   in the socket itself, not in a future, and go out with its next send or
///   [`flush`](Self::flush).
///
/// # Waiting on many sockets
///
/// [`readable`](Self::readable) and [`writable`](Self::writable) under `select!` are the
/// async [`Poller`](crate::Poller): the first socket ready wins, and the others' futures
/// are dropped, which costs nothing.
///
/// ```
/// use ferrozmq::{Context, PULL, PUSH};
/// use futures::FutureExt;
/// let ctx = Context::new();
/// let mut pulls = ["a", "b", "c"].map(|name| {
///     let pull = ctx.socket(PULL).unwrap();
///     pull.bind(&format!("inproc://poll-{name}")).unwrap();
///     pull.into_async()
/// });
/// let push = ctx.socket(PUSH).unwrap();
/// push.connect("inproc://poll-b").unwrap();
/// push.send("for b").unwrap();
///
/// futures::executor::block_on(async {
///     let [a, b, c] = &mut pulls;
///     let ready = futures::select! {
///         ready = a.readable().fuse() => ready.map(|()| "a"),
///         ready = b.readable().fuse() => ready.map(|()| "b"),
///         ready = c.readable().fuse() => ready.map(|()| "c"),
///     };
///     assert_eq!(ready.unwrap(), "b");
///     assert_eq!(&b.recv().await.unwrap()[..], b"for b");
/// });
/// ```
///
/// # Sharing
///
/// Like [`Socket`], an `AsyncSocket` may move between threads and tasks but is used by one
/// at a time (operations take `&mut self`). Split with `StreamExt::split`, its stream half
/// and sink half may wait in two different tasks: every task waiting on the socket is
/// woken by what happens to it.
pub struct AsyncSocket {
    socket: Socket,
    link: Arc<SocketLink>,
    waiters: Arc<Waiters>,
    /// `waiters` as a waker, made once: the socket's signal keeps it from wait to wait.
    fan_out: Waker,
    /// Parts of a message whose last part has not been received yet. Parts travel together,
    /// so this is empty between polls; kept in the socket, not in a future, so that a
    /// cancelled receive could never drop part of a message.
    inbound: Vec<Message>,
    /// Parts handed over for sending that the socket has not taken yet: messages given to
    /// the [`Sink`](futures_sink::Sink) or forwarded by [`proxy_async`](crate::proxy_async),
    /// and the rest of a message whose first part was taken. Sent before anything else.
    outbound: VecDeque<Part>,
    /// The [`Stream`](futures_core::Stream) has ended (see `stream_and_sink`).
    pub(super) stream_ended: bool,
}

impl AsyncSocket {
    /// Wraps a socket for async use.
    ///
    /// ```
    /// use ferrozmq::{AsyncSocket, Context, PULL};
    /// let pull = AsyncSocket::new(Context::new().socket(PULL).unwrap());
    /// assert_eq!(pull.socket_type(), PULL);
    /// ```
    pub fn new(socket: Socket) -> AsyncSocket {
        let link = socket.link();
        let waiters = Arc::new(Waiters::default());
        AsyncSocket {
            socket,
            link,
            fan_out: Waker::from(waiters.clone()),
            waiters,
            inbound: Vec::new(),
            outbound: VecDeque::new(),
            stream_ended: false,
        }
    }

    /// The blocking socket, for options, binds and connects (also reached by dereference).
    ///
    /// ```
    /// use ferrozmq::{Context, PUSH};
    /// let push = Context::new().socket(PUSH).unwrap().into_async();
    /// push.get_ref().options().set_sndhwm(10).unwrap();
    /// assert_eq!(push.options().sndhwm(), 10);
    /// ```
    pub fn get_ref(&self) -> &Socket {
        &self.socket
    }

    /// Gives the blocking socket back. Parts handed over but not yet taken by the socket
    /// (see [`flush`](Self::flush)) are dropped.
    ///
    /// ```
    /// use ferrozmq::{Context, PAIR};
    /// use std::time::Duration;
    /// let pair = Context::new().socket(PAIR).unwrap().into_async();
    /// let pair = pair.into_inner();
    /// pair.options().set_linger(Some(Duration::ZERO)).unwrap();
    /// ```
    pub fn into_inner(self) -> Socket {
        self.socket
    }

    /// Sends `msg` as the last (or only) part of a message, as [`Socket::send`] does. Waits
    /// while no peer has room.
    ///
    /// ```
    /// use ferrozmq::{Context, PULL, PUSH};
    /// let ctx = Context::new();
    /// let mut pull = ctx.socket(PULL).unwrap().into_async();
    /// pull.bind("inproc://async-send").unwrap();
    /// let mut push = ctx.socket(PUSH).unwrap().into_async();
    /// push.connect("inproc://async-send").unwrap();
    /// futures::executor::block_on(async {
    ///     push.send("work").await.unwrap();
    ///     assert_eq!(&pull.recv().await.unwrap()[..], b"work");
    /// });
    /// ```
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<()> {
        let mut first = Some(msg.into().into_part().with_more(false));
        let mut rest = std::iter::empty();
        poll_fn(|cx| self.poll_send_message(cx, &mut first, &mut rest)).await
    }

    /// Sends `msg` as a part that more parts of the same message follow, as
    /// [`Socket::send_more`] does. Waits while no peer has room.
    ///
    /// ```
    /// use ferrozmq::{Context, PULL, PUSH};
    /// let ctx = Context::new();
    /// let mut pull = ctx.socket(PULL).unwrap().into_async();
    /// pull.bind("inproc://async-send-more").unwrap();
    /// let mut push = ctx.socket(PUSH).unwrap().into_async();
    /// push.connect("inproc://async-send-more").unwrap();
    /// futures::executor::block_on(async {
    ///     push.send_more("key").await.unwrap();
    ///     push.send("value").await.unwrap();
    ///     assert_eq!(pull.recv_multipart().await.unwrap(), ["key", "value"]);
    /// });
    /// ```
    pub async fn send_more(&mut self, msg: impl Into<Message>) -> Result<()> {
        let mut first = Some(msg.into().into_part().with_more(true));
        let mut rest = std::iter::empty();
        poll_fn(|cx| self.poll_send_message(cx, &mut first, &mut rest)).await
    }

    /// Sends every part of a multipart message; the parts go whole or not at all. Waits
    /// while no peer has room.
    ///
    /// ```
    /// use ferrozmq::{Context, DEALER, ROUTER};
    /// let ctx = Context::new();
    /// let mut router = ctx.socket(ROUTER).unwrap().into_async();
    /// router.bind("inproc://async-multipart").unwrap();
    /// let mut dealer = ctx.socket(DEALER).unwrap().into_async();
    /// dealer.options().set_routing_id("d1").unwrap();
    /// dealer.connect("inproc://async-multipart").unwrap();
    /// futures::executor::block_on(async {
    ///     dealer.send_multipart(["", "job"]).await.unwrap();
    ///     let envelope = router.recv_multipart().await.unwrap();
    ///     assert_eq!(envelope.len(), 3);
    ///     assert_eq!(envelope[0], "d1");
    ///     router.send_multipart(envelope).await.unwrap();
    ///     let reply = dealer.recv_multipart().await.unwrap();
    ///     assert_eq!(reply[1], "job");
    /// });
    /// ```
    pub async fn send_multipart<I, T>(&mut self, parts: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: Into<Message>,
    {
        let mut rest = whole_message(parts).into_iter();
        let mut first = rest.next();
        poll_fn(|cx| self.poll_send_message(cx, &mut first, &mut rest)).await
    }

    /// Receives a message part; [`Message::more`] tells whether more parts follow. Waits
    /// until one comes.
    ///
    /// See [`AsyncSocket`] for an example.
    pub async fn recv(&mut self) -> Result<Message> {
        poll_fn(|cx| self.poll_io(cx, Self::take_part)).await
    }

    /// Receives every part of the next message. Waits until one comes.
    ///
    /// See [`send_multipart`](Self::send_multipart) for an example.
    pub async fn recv_multipart(&mut self) -> Result<Vec<Message>> {
        poll_fn(|cx| self.poll_recv_multipart(cx)).await
    }

    /// SERVER, PEER: sends a single-part message to the peer with this routing id (see
    /// [`Socket::send_to`]). Waits while that peer has no room.
    ///
    /// ```
    /// use ferrozmq::{Context, CLIENT, SERVER};
    /// let ctx = Context::new();
    /// let mut server = ctx.socket(SERVER).unwrap().into_async();
    /// server.bind("inproc://async-server").unwrap();
    /// let mut client = ctx.socket(CLIENT).unwrap().into_async();
    /// client.connect("inproc://async-server").unwrap();
    /// futures::executor::block_on(async {
    ///     client.send("ping").await.unwrap();
    ///     let (peer, request) = server.recv_from().await.unwrap();
    ///     server.send_to(peer, request).await.unwrap();
    ///     assert_eq!(&client.recv().await.unwrap()[..], b"ping");
    /// });
    /// ```
    pub async fn send_to(&mut self, routing_id: u32, msg: impl Into<Message>) -> Result<()> {
        let pending = Some(msg.into().into_part().with_more(false));
        self.send_addressed(pending, |socket, part| socket.offer_to(routing_id, part))
            .await
    }

    /// SERVER, PEER: receives a single-part message and the routing id of the peer that
    /// sent it. Waits until one comes.
    ///
    /// See [`send_to`](Self::send_to) for an example.
    pub async fn recv_from(&mut self) -> Result<(u32, Message)> {
        poll_fn(|cx| self.poll_io(cx, |this| this.socket.try_recv_from())).await
    }

    /// RADIO: sends a message to the dishes that joined `group` (see
    /// [`Socket::send_group`]).
    ///
    /// ```
    /// use ferrozmq::{Context, DISH, RADIO};
    /// let ctx = Context::new();
    /// let mut radio = ctx.socket(RADIO).unwrap().into_async();
    /// radio.bind("inproc://async-radio").unwrap();
    /// let mut dish = ctx.socket(DISH).unwrap().into_async();
    /// dish.join("weather").unwrap();
    /// dish.connect("inproc://async-radio").unwrap();
    /// futures::executor::block_on(async {
    ///     radio.send_group("weather", "rain").await.unwrap();
    ///     let (group, msg) = dish.recv_group().await.unwrap();
    ///     assert_eq!((group.as_str(), msg.as_str()), ("weather", Some("rain")));
    /// });
    /// ```
    pub async fn send_group(&mut self, group: &str, msg: impl Into<Message>) -> Result<()> {
        let pending = Some(msg.into().into_part().with_more(false));
        self.send_addressed(pending, |socket, part| socket.offer_to_group(group, part))
            .await
    }

    /// DISH: receives a message of a joined group, and the group (see
    /// [`Socket::recv_group`]). Waits until one comes.
    ///
    /// See [`send_group`](Self::send_group) for an example.
    pub async fn recv_group(&mut self) -> Result<(String, Message)> {
        poll_fn(|cx| self.poll_io(cx, |this| this.socket.try_recv_group())).await
    }

    /// Sends a single-part message with `offer` once the socket takes it.
    async fn send_addressed(
        &mut self,
        mut pending: Option<Part>,
        offer: impl Fn(&Socket, Part) -> Result<TrySend>,
    ) -> Result<()> {
        poll_fn(|cx| {
            self.poll_io(cx, |this| {
                this.flush_outbound()?;
                let Some(part) = pending.take() else {
                    return Ok(());
                };
                match offer(&this.socket, part)? {
                    TrySend::Sent => Ok(()),
                    TrySend::Full(part) => {
                        pending = Some(part);
                        Err(Error::Again)
                    }
                }
            })
        })
        .await
    }

    /// Waits until a message can be received (`POLLIN`). With `select!` over several
    /// sockets, this is the async form of the [`Poller`](crate::Poller): see
    /// [Waiting on many sockets](Self#waiting-on-many-sockets).
    pub async fn readable(&mut self) -> Result<()> {
        poll_fn(|cx| {
            self.poll_io(cx, |this| {
                if !this.inbound.is_empty() || this.socket.readiness()?.contains(POLLIN) {
                    Ok(())
                } else {
                    Err(Error::Again)
                }
            })
        })
        .await
    }

    /// Waits until a message can be sent (`POLLOUT`), first handing the socket what the
    /// [`Sink`](futures_sink::Sink) or a proxy left waiting.
    ///
    /// ```
    /// use ferrozmq::{Context, PUSH};
    /// let push = Context::new().socket(PUSH).unwrap();
    /// push.connect("tcp://127.0.0.1:5999").unwrap();
    /// let mut push = push.into_async();
    /// // Messages queue for a peer that has not answered yet: there is room.
    /// futures::executor::block_on(push.writable()).unwrap();
    /// ```
    pub async fn writable(&mut self) -> Result<()> {
        poll_fn(|cx| {
            self.poll_io(cx, |this| {
                this.flush_outbound()?;
                if this.socket.readiness()?.contains(POLLOUT) {
                    Ok(())
                } else {
                    Err(Error::Again)
                }
            })
        })
        .await
    }

    /// Waits until the socket has taken every part handed over without a send future of
    /// its own: messages given to the [`Sink`](futures_sink::Sink), and those a dropped
    /// [`proxy_async`](crate::proxy_async) had taken from the other side. Any operation
    /// that sends does this first, so order is kept; an error sending one of those
    /// messages is reported by the operation that met it, and the message is dropped.
    pub async fn flush(&mut self) -> Result<()> {
        poll_fn(|cx| self.poll_io(cx, Self::flush_outbound)).await
    }

    pub(super) fn poll_recv_multipart(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Vec<Message>>> {
        self.poll_io(cx, Self::take_message)
    }

    /// Runs `attempt` until it completes, or fails with anything but [`Error::Again`],
    /// waiting for news about the socket between tries. `attempt` must leave nothing
    /// half done when it fails with `Again`: the future may be dropped then.
    pub(super) fn poll_io<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut attempt: impl FnMut(&mut Self) -> Result<T>,
    ) -> Poll<Result<T>> {
        for _ in 0..RETRIES_PER_POLL {
            match attempt(self) {
                Err(Error::Again) => {}
                done => return Poll::Ready(done),
            }
            if self.poll_news(cx).is_pending() {
                return Poll::Pending;
            }
        }
        // News keeps coming and the operation still cannot complete: let other tasks run,
        // and try again after them.
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Arranges for the task to be woken by the next news about the socket (a message, room,
    /// a peer coming or going, the context shutting down): `Pending`. `Ready` when news came
    /// since the last look, and the caller should look again.
    pub(super) fn poll_news(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.waiters.add(cx.waker());
        let news = self.link.poll_wait(&mut Context::from_waker(&self.fan_out));
        if news.is_ready() {
            // The news may have found nobody registered to wake (this task was between
            // looks), so the other tasks waiting on this socket are woken to look again.
            self.waiters.wake_others(cx.waker());
        }
        news
    }

    /// Takes the next part now, or fails with [`Error::Again`].
    fn take_part(&mut self) -> Result<Message> {
        if self.inbound.is_empty() {
            self.socket.try_recv()
        } else {
            Ok(self.inbound.remove(0))
        }
    }

    /// Takes the next whole message now, or fails with [`Error::Again`].
    pub(super) fn take_message(&mut self) -> Result<Vec<Message>> {
        loop {
            let part = self.socket.try_recv()?;
            let more = part.more();
            self.inbound.push(part);
            if !more {
                return Ok(std::mem::take(&mut self.inbound));
            }
        }
    }

    /// Queues a whole message to go out after what is already queued.
    pub(super) fn queue_message(&mut self, parts: Vec<Message>) {
        self.outbound.extend(whole_message(parts));
    }

    /// Hands the queued parts to the socket, in order; [`Error::Again`] while it has no
    /// room. A message the socket refuses is dropped, all of it.
    #[inline]
    pub(super) fn flush_outbound(&mut self) -> Result<()> {
        if self.outbound.is_empty() {
            return Ok(());
        }
        self.flush_queued()
    }

    fn flush_queued(&mut self) -> Result<()> {
        while let Some(part) = self.outbound.pop_front() {
            let more = part.more();
            match self.socket.offer(part) {
                Ok(TrySend::Sent) => {}
                Ok(TrySend::Full(part)) => {
                    self.outbound.push_front(part);
                    return Err(Error::Again);
                }
                Err(e) => {
                    if more {
                        self.drop_rest_of_message();
                    }
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn drop_rest_of_message(&mut self) {
        while let Some(part) = self.outbound.pop_front() {
            if !part.more() {
                return;
            }
        }
    }

    /// Sends `first` once the socket takes it, then `rest`. The socket checks its high-water
    /// mark at a message's first part only, so once `first` is taken the rest goes through
    /// in the same poll; `rest` is moved into the socket's queue before that, so that a
    /// dropped future could not leave a message half sent.
    fn poll_send_message(
        &mut self,
        cx: &mut Context<'_>,
        first: &mut Option<Part>,
        rest: &mut impl ExactSizeIterator<Item = Part>,
    ) -> Poll<Result<()>> {
        self.poll_io(cx, |this| {
            this.flush_outbound()?;
            let Some(part) = first.take() else {
                return Ok(());
            };
            match this.socket.offer(part)? {
                TrySend::Full(part) => {
                    *first = Some(part);
                    Err(Error::Again)
                }
                TrySend::Sent if rest.len() == 0 => Ok(()),
                TrySend::Sent => {
                    this.outbound.extend(rest.by_ref());
                    this.flush_outbound()
                }
            }
        })
    }
}

/// The parts of a message, each but the last marked as having more after it.
fn whole_message<I, T>(parts: I) -> Vec<Part>
where
    I: IntoIterator<Item = T>,
    T: Into<Message>,
{
    let mut parts: Vec<Part> = parts
        .into_iter()
        .map(|p| p.into().into_part().with_more(true))
        .collect();
    if let Some(last) = parts.last_mut() {
        last.set_more(false);
    }
    parts
}

impl From<Socket> for AsyncSocket {
    fn from(socket: Socket) -> AsyncSocket {
        AsyncSocket::new(socket)
    }
}

impl Deref for AsyncSocket {
    type Target = Socket;

    fn deref(&self) -> &Socket {
        &self.socket
    }
}

impl std::fmt::Debug for AsyncSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncSocket")
            .field("socket", &self.socket)
            .field("queued_parts", &self.outbound.len())
            .finish()
    }
}
