//! The socket command: one socket, driven according to its role.
//!
//! Every wait is bounded by `--timeout` when it is given: a receive, a send, the wait for
//! `--wait-peers`, and the wait at exit for messages still queued. A command that fails
//! drops what is left at once (the failure is told; lingering would only delay it); one
//! that succeeded waits for its messages to be taken by a connection, and fails if they
//! were not, except PUB, XPUB and RADIO, which drop for a subscriber that does not read
//! anyway and so only linger for a bounded time.

use crate::args::SocketArgs;
use crate::endpoints::attach_all;
use crate::error::CliError;
use crate::outgoing::Outgoing;
use crate::output::{Address, Output};
use crate::role::{Layout, Role};
use crate::stats::{Directions, Meter, Reporter};
use ferrozmq::{Context, Error, EventKind, Message, Monitor, MonitorEvent, Socket, SocketType};
use std::collections::HashSet;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

/// How long PUB, XPUB and RADIO keep delivering at exit when neither `--linger` nor
/// `--timeout` says: enough for what is in flight to reach subscribers that read, and an
/// end for one that has stalled (for which they drop messages anyway).
const PUBLISHER_LINGER: Duration = Duration::from_secs(1);

/// How often the wait at exit looks at what is still queued.
const DELIVERY_POLL: Duration = Duration::from_millis(10);

/// Opens the socket `args` describe and drives it until its work is done.
pub fn run(args: &SocketArgs) -> Result<(), CliError> {
    let ctx = Context::new();
    // Before the socket binds: servers ask it about every client.
    let _authenticator = args
        .security
        .authenticator(&ctx, only_binds(&args.endpoints))?;
    let (meter, reporter) = match args.stats {
        true => {
            let (meter, reporter) = Reporter::start(directions(args.role));
            (meter, Some(reporter))
        }
        false => (Meter::default(), None),
    };
    // Declared after the context so that it closes first: dropping the context then waits
    // for the socket's lingering messages.
    let (socket, destination, peers) = open(&ctx, args)?;
    let mut driver = Driver {
        socket: &socket,
        args,
        out: Output::stdout(args.format),
        meter,
        destination,
        peers,
    };
    let result = driver.drive().and_then(|()| driver.deliver_queued());
    if result.is_err() {
        // The command has failed and says so: nothing is worth waiting for.
        let _ = socket.options().set_linger(Some(Duration::ZERO));
    }
    if let Some(reporter) = reporter {
        reporter.finish();
    }
    result
}

/// What `--stats` reports for a role.
fn directions(role: Role) -> Directions {
    Directions {
        sent: role != Role::Receive,
        received: role != Role::Send,
    }
}

/// The types that send to subscribers: they drop for a subscriber that does not keep up,
/// and their peers count for `--wait-peers` once they subscribed.
fn publishes(socket_type: SocketType) -> bool {
    matches!(
        socket_type,
        SocketType::Pub | SocketType::XPub | SocketType::Radio
    )
}

/// Where the messages the command sends of its own accord go (answers go back to where
/// the message they answer came from).
enum Destination {
    /// Wherever the socket's type sends them.
    Socket,
    /// RADIO: to the dishes that joined this group.
    Group(String),
    /// PEER: to the peers it connected to, in turn; at least one.
    Peers(Vec<u32>),
    /// STREAM: to the connections it made, by routing id, in turn; at least one.
    Connections(Vec<Vec<u8>>),
}

impl Destination {
    /// Sends `body`, the `index`th message sent.
    fn send(&self, socket: &Socket, index: usize, body: Vec<u8>) -> Result<(), Error> {
        match self {
            Destination::Socket => socket.send(body),
            Destination::Group(group) => socket.send_group(group, body),
            Destination::Peers(peers) => {
                // `checked_rem` rather than `%`: an empty list would be a bug, not a panic.
                let peer = index.checked_rem(peers.len()).map(|i| peers[i]);
                socket.send_to(peer.ok_or(Error::HostUnreachable)?, body)
            }
            Destination::Connections(ids) => {
                let id = index.checked_rem(ids.len()).map(|i| &ids[i]);
                socket.send_more(id.ok_or(Error::HostUnreachable)?.as_slice())?;
                socket.send(body)
            }
        }
    }
}

/// The live connections of a socket, from its monitor: for `--wait-peers` on the types
/// whose peers do not subscribe. A connection counts from its completed handshake (a
/// STREAM's, which has none, from when it is made) until it is lost; the descriptor the
/// events carry tells connections apart.
struct PeerWatch {
    monitor: Monitor,
    live: HashSet<RawFd>,
}

impl PeerWatch {
    fn new(socket: &Socket) -> Result<PeerWatch, CliError> {
        let up = if socket.socket_type() == SocketType::Stream {
            EventKind::Connected | EventKind::Accepted
        } else {
            EventKind::HandshakeSucceeded.into()
        };
        let monitor = socket
            .monitor(up | EventKind::Disconnected)
            .map_err(|e| CliError::failed(format!("cannot watch the connections: {e}")))?;
        Ok(PeerWatch {
            monitor,
            live: HashSet::new(),
        })
    }

    /// Waits until `count` connections are live, until `timeout` at most.
    fn wait(&mut self, count: usize, timeout: Option<Duration>) -> Result<(), Error> {
        let deadline = timeout.map(|timeout| Instant::now() + timeout);
        while self.live.len() < count {
            let event = match deadline {
                Some(deadline) => self
                    .monitor
                    .recv_timeout(deadline.saturating_duration_since(Instant::now()))?,
                None => self.monitor.recv()?,
            };
            match event {
                MonitorEvent::HandshakeSucceeded { fd, .. }
                | MonitorEvent::Connected { fd, .. }
                | MonitorEvent::Accepted { fd, .. } => {
                    self.live.insert(fd);
                }
                MonitorEvent::Disconnected { fd, .. } => {
                    self.live.remove(&fd);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn open(
    ctx: &Context,
    args: &SocketArgs,
) -> Result<(Socket, Destination, Option<PeerWatch>), CliError> {
    let socket = ctx
        .socket(args.socket_type)
        .map_err(|e| CliError::failed(format!("cannot make a socket: {e}")))?;
    configure(&socket, args)
        .map_err(|e| CliError::failed(format!("cannot configure the socket: {e}")))?;
    // After the defaults `configure` sets, so that `--linger` overrides the one `--timeout`
    // implies; before binding and connecting, which the options have to precede.
    args.options.apply(&socket)?;
    args.security.apply(&socket, only_binds(&args.endpoints))?;
    // Watching from before the first bind or connect, so that no connection is missed.
    let peers = match args.wait_peers {
        Some(_) if !publishes(args.socket_type) => Some(PeerWatch::new(&socket)?),
        _ => None,
    };
    let destination = if args.role == Role::Converse && args.socket_type == SocketType::Stream {
        // Each connect names its connection in the socket's routing id.
        let mut connections = Vec::new();
        for endpoint in &args.endpoints {
            endpoint.attach(&socket)?;
            if endpoint.side == crate::endpoints::Side::Connect {
                connections.push(socket.options().routing_id());
            }
        }
        if connections.is_empty() {
            Destination::Socket
        } else {
            Destination::Connections(connections)
        }
    } else if args.role == Role::Converse {
        let mut peers = Vec::new();
        for endpoint in &args.endpoints {
            peers.extend(endpoint.attach_peer(&socket)?);
        }
        // A peer that only binds has nobody to speak to first.
        if peers.is_empty() {
            Destination::Socket
        } else {
            Destination::Peers(peers)
        }
    } else {
        attach_all(&socket, &args.endpoints)?;
        match (args.role, args.groups.as_slice()) {
            (Role::Send, [group]) => Destination::Group(group.clone()),
            _ => Destination::Socket,
        }
    };
    Ok((socket, destination, peers))
}

/// A socket that only binds is a server, for the security flags.
pub fn only_binds(endpoints: &[crate::endpoints::Endpoint]) -> bool {
    endpoints
        .iter()
        .all(|e| e.side == crate::endpoints::Side::Bind)
}

fn configure(socket: &Socket, args: &SocketArgs) -> Result<(), Error> {
    let timeout = duration(args.timeout);
    // At exit, what is still queued gets as long as anything else (`--timeout`), else
    // until it is delivered; publishers, a bounded time.
    let linger = match (timeout, publishes(args.socket_type)) {
        (Some(timeout), _) => Some(timeout),
        (None, true) => Some(PUBLISHER_LINGER),
        (None, false) => None,
    };
    socket.options().set_linger(linger)?;
    socket.options().set_rcvtimeo(timeout)?;
    socket.options().set_sndtimeo(timeout)?;
    if args.role == Role::Receive {
        // A DISH's groups, joined before it binds or connects so that every RADIO hears
        // of them as soon as it is attached.
        for group in &args.groups {
            socket.join(group)?;
        }
    }
    let everything = [Vec::new()];
    let prefixes = if args.subscribe.is_empty() {
        &everything[..]
    } else {
        &args.subscribe
    };
    match args.socket_type {
        SocketType::Sub => {
            for prefix in prefixes {
                socket.subscribe(prefix)?;
            }
        }
        SocketType::XSub => {
            // An XSUB subscribes by sending `\x01prefix` upstream; it remembers them, and
            // sends them again to every publisher it connects to later.
            for prefix in prefixes {
                let mut subscription = vec![1];
                subscription.extend_from_slice(prefix);
                socket.send(subscription)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A message as received, with what addresses it.
enum Incoming {
    /// Every part of a message; a ROUTER's first part is its sender's routing id.
    Parts(Vec<Message>),
    /// SERVER, PEER: a message and its sender's routing id.
    FromPeer(u32, Message),
    /// DISH: a message and its group.
    InGroup(String, Message),
}

impl Incoming {
    /// Receives the next message as `layout` says the socket's messages come.
    fn recv(socket: &Socket, layout: Layout) -> Result<Incoming, Error> {
        match layout {
            Layout::Parts | Layout::RoutingIdPart | Layout::SubscriptionNotices => {
                socket.recv_multipart().map(Incoming::Parts)
            }
            Layout::RoutingId => socket
                .recv_from()
                .map(|(peer, body)| Incoming::FromPeer(peer, body)),
            Layout::Group => socket
                .recv_group()
                .map(|(group, body)| Incoming::InGroup(group, body)),
        }
    }

    /// The message's size in bytes, every part counted.
    fn len(&self) -> usize {
        match self {
            Incoming::Parts(parts) => parts.iter().map(|part| part.len()).sum(),
            Incoming::FromPeer(_, body) | Incoming::InGroup(_, body) => body.len(),
        }
    }

    /// Prints the message as `layout` says the socket's messages are shown.
    fn print(&self, layout: Layout, out: &mut Output) -> Result<(), CliError> {
        match self {
            Incoming::Parts(parts) => match layout {
                Layout::RoutingIdPart => out.routed(parts),
                Layout::SubscriptionNotices => out.xpub_message(parts),
                _ => out.message(parts),
            },
            Incoming::FromPeer(peer, body) => out.addressed(Address::Peer(*peer), body),
            Incoming::InGroup(group, body) => out.addressed(Address::Group(group), body),
        }
    }

    /// Sends `answer` back to where this message came from: a ROUTER's along the envelope
    /// the message came with, a SERVER's or PEER's to its sender, a group's to the group.
    fn answer(&self, socket: &Socket, answer: &[u8]) -> Result<(), Error> {
        match self {
            Incoming::Parts(parts) => {
                let reply = envelope(parts)
                    .iter()
                    .cloned()
                    .chain([Message::from(answer.to_vec())]);
                socket.send_multipart(reply)
            }
            Incoming::FromPeer(peer, _) => socket.send_to(*peer, answer.to_vec()),
            Incoming::InGroup(group, _) => socket.send_group(group, answer.to_vec()),
        }
    }
}

/// One socket at work: what it was asked to do, where it prints, what it counts.
struct Driver<'a> {
    socket: &'a Socket,
    args: &'a SocketArgs,
    out: Output,
    meter: Meter,
    destination: Destination,
    /// The connections `--wait-peers` waits for (not for publishers: they count
    /// subscribers).
    peers: Option<PeerWatch>,
}

impl Driver<'_> {
    fn drive(&mut self) -> Result<(), CliError> {
        match self.args.role {
            Role::Request => self.request(),
            Role::Reply => self.reply(),
            Role::Send => self.send(),
            Role::Receive => self.receive(),
            Role::Exchange => self.exchange(),
            Role::Route => self.route(),
            Role::Converse => match &self.destination {
                Destination::Peers(_) | Destination::Connections(_) => self.exchange(),
                _ => self.route(),
            },
        }
    }

    /// REQ: each outgoing message is a request; print its reply before sending the next.
    fn request(&mut self) -> Result<(), CliError> {
        self.wait_for_peers()?;
        for (i, message) in self.outgoing().enumerate() {
            self.pause_between_sends(i);
            let message = message?;
            let len = message.len();
            self.socket
                .send(message)
                .map_err(|e| send_failed(e, self.args.timeout))?;
            self.meter.sent(len);
            let reply = self.recv_one("reply")?;
            reply.print(self.args.layout, &mut self.out)?;
        }
        Ok(())
    }

    /// REP: print each request and answer it with `--reply`, or with the request itself.
    fn reply(&mut self) -> Result<(), CliError> {
        for _ in 0..self.rounds() {
            let Incoming::Parts(request) = self.recv_one("request")? else {
                return Err(CliError::failed("a REP received an addressed message"));
            };
            self.out.message(&request)?;
            let (sent, len) = match &self.args.reply {
                Some(reply) => (self.socket.send(reply.clone()), reply.len()),
                None => {
                    let len = request.iter().map(|part| part.len()).sum();
                    (self.socket.send_multipart(request), len)
                }
            };
            sent.map_err(|e| send_failed(e, self.args.timeout))?;
            self.meter.sent(len);
        }
        Ok(())
    }

    /// PUB, PUSH, SCATTER, RADIO: send every outgoing message.
    fn send(&mut self) -> Result<(), CliError> {
        self.wait_for_peers()?;
        for (i, message) in self.outgoing().enumerate() {
            self.pause_between_sends(i);
            self.send_own(i, message?)?;
        }
        Ok(())
    }

    /// SUB, PULL, GATHER, DISH, and the two-way types without `--send`: print every
    /// message that arrives.
    fn receive(&mut self) -> Result<(), CliError> {
        for _ in 0..self.rounds() {
            let message = self.recv_one("message")?;
            message.print(self.args.layout, &mut self.out)?;
        }
        Ok(())
    }

    /// The two-way types, and a PEER that connected: send the `--send` values, printing
    /// what arrives meanwhile, then go on printing until `--timeout` passes with nothing
    /// arriving (or for ever).
    fn exchange(&mut self) -> Result<(), CliError> {
        if self.args.send.is_empty() {
            return self.receive();
        }
        self.wait_for_peers()?;
        for (i, message) in self.outgoing().enumerate() {
            if let (true, Some(interval)) = (i > 0, self.args.interval) {
                self.print_arrivals_until(Instant::now() + interval)?;
            }
            self.send_own(i, message?)?;
        }
        // Everything is sent: silence for the receive timeout now ends the command, and is
        // no failure.
        loop {
            match Incoming::recv(self.socket, self.args.layout) {
                Ok(message) => self.print_received(&message)?,
                Err(Error::Again) => return Ok(()),
                Err(e) => return Err(CliError::failed(format!("cannot receive: {e}"))),
            }
        }
    }

    /// ROUTER, SERVER, and a PEER that only binds: print each message with its sender's
    /// routing id; with `--send`, answer each with the next value, to its sender.
    fn route(&mut self) -> Result<(), CliError> {
        for i in 0..self.rounds() {
            let message = self.recv_one("message")?;
            message.print(self.args.layout, &mut self.out)?;
            if self.args.send.is_empty() || self.is_stream_notice(&message) {
                continue;
            }
            let answer = &self.args.send[(i % self.args.send.len() as u64) as usize];
            message
                .answer(self.socket, answer)
                .map_err(|e| send_failed(e, self.args.timeout))?;
            self.meter.sent(answer.len());
        }
        Ok(())
    }

    /// A STREAM's empty data part: a connection was made or lost. It is printed (the
    /// routing id and nothing), but it is news, not a message to answer.
    fn is_stream_notice(&self, message: &Incoming) -> bool {
        self.args.socket_type == SocketType::Stream
            && matches!(message, Incoming::Parts(parts) if parts.last().is_some_and(|p| p.is_empty()))
    }

    /// `--wait-peers`: waits, before the first message sent, for that many subscribers
    /// (publishers) or live connections (the others), as long as `--timeout` allows.
    fn wait_for_peers(&mut self) -> Result<(), CliError> {
        let Some(count) = self.args.wait_peers else {
            return Ok(());
        };
        let wanted = usize::try_from(count).unwrap_or(usize::MAX);
        let timeout = duration(self.args.timeout);
        let (waited, what) = match &mut self.peers {
            Some(peers) => (peers.wait(wanted, timeout), "connected peers"),
            None => (
                self.socket.wait_for_subscribers(wanted, timeout),
                "subscribers",
            ),
        };
        waited.map_err(|e| match e {
            Error::Again => CliError::failed(format!(
                "timed out: fewer than {count} {what} within {} ms",
                self.args.timeout.unwrap_or(0)
            )),
            e => CliError::failed(format!("cannot wait for peers: {e}")),
        })
    }

    /// At exit, for the types that do not drop by design: waits until a connection has
    /// taken every message sent, as long as LINGER (`--linger`, else `--timeout`, else for
    /// ever) allows; fails if some were not.
    fn deliver_queued(&self) -> Result<(), CliError> {
        if publishes(self.args.socket_type) || self.args.role == Role::Receive {
            return Ok(());
        }
        let bound = self.socket.options().linger();
        let started = Instant::now();
        loop {
            let unsent = self.socket.unsent();
            if unsent == 0 {
                return Ok(());
            }
            if let Some(bound) = bound {
                if started.elapsed() >= bound {
                    let messages = if unsent == 1 { "message" } else { "messages" };
                    return Err(CliError::failed(format!(
                        "{unsent} {messages} not delivered: no peer took them within {} ms",
                        bound.as_millis()
                    )));
                }
            }
            std::thread::sleep(DELIVERY_POLL);
        }
    }

    /// Sends a message of the command's own (not an answer) to its destination.
    fn send_own(&mut self, index: usize, body: Vec<u8>) -> Result<(), CliError> {
        let len = body.len();
        self.destination
            .send(self.socket, index, body)
            .map_err(|e| send_failed(e, self.args.timeout))?;
        self.meter.sent(len);
        Ok(())
    }

    /// Prints what arrives until `deadline`, then restores the receive timeout `--timeout`
    /// set.
    fn print_arrivals_until(&mut self, deadline: Instant) -> Result<(), CliError> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            // A receive timeout of zero would not wait at all; the option rounds up to a
            // millisecond whatever is left.
            set_rcvtimeo(self.socket, Some(left))?;
            match Incoming::recv(self.socket, self.args.layout) {
                Ok(message) => self.print_received(&message)?,
                Err(Error::Again) => break,
                Err(e) => return Err(CliError::failed(format!("cannot receive: {e}"))),
            }
        }
        set_rcvtimeo(self.socket, duration(self.args.timeout))
    }

    fn print_received(&mut self, message: &Incoming) -> Result<(), CliError> {
        self.meter.received(message.len());
        message.print(self.args.layout, &mut self.out)
    }

    /// Receives the next message as the socket's layout has it.
    fn recv_one(&mut self, waiting_for: &str) -> Result<Incoming, CliError> {
        let message = Incoming::recv(self.socket, self.args.layout)
            .map_err(|e| recv_failed(e, waiting_for, self.args.timeout))?;
        self.meter.received(message.len());
        Ok(message)
    }

    /// The messages to send: the `--send` values, else standard input.
    fn outgoing(&self) -> Outgoing {
        Outgoing::new(self.args.send.clone(), self.args.count)
    }

    /// How many messages (or round trips) to handle: `--count`, else as good as for ever.
    fn rounds(&self) -> u64 {
        self.args.count.unwrap_or(u64::MAX)
    }

    fn pause_between_sends(&self, index: usize) {
        if let (true, Some(interval)) = (index > 0, self.args.interval) {
            std::thread::sleep(interval);
        }
    }
}

/// `--timeout`'s milliseconds as a time; none when not given.
pub fn duration(millis: Option<i32>) -> Option<Duration> {
    millis.map(|ms| Duration::from_millis(ms.unsigned_abs().into()))
}

fn set_rcvtimeo(socket: &Socket, timeout: Option<Duration>) -> Result<(), CliError> {
    socket
        .options()
        .set_rcvtimeo(timeout)
        .map_err(|e| CliError::failed(format!("cannot set the receive timeout: {e}")))
}

/// The parts of a message received on a ROUTER that address its sender: the routing id,
/// and, when an empty delimiter separates an envelope from the body (as a REQ sends), every
/// part up to and including the delimiter.
fn envelope(message: &[Message]) -> &[Message] {
    let delimiter = message.iter().skip(1).position(|part| part.is_empty());
    match delimiter {
        Some(at) if at + 2 < message.len() => &message[..at + 2],
        _ => &message[..message.len().min(1)],
    }
}

fn recv_failed(e: Error, waiting_for: &str, timeout: Option<i32>) -> CliError {
    match e {
        // Receives only time out when --timeout set a receive timeout.
        Error::Again => CliError::failed(format!(
            "timed out: no {waiting_for} arrived within {} ms",
            timeout.unwrap_or(0)
        )),
        e => CliError::failed(format!("cannot receive: {e}")),
    }
}

fn send_failed(e: Error, timeout: Option<i32>) -> CliError {
    match e {
        // Sends only time out when --timeout set a send timeout.
        Error::Again => CliError::failed(format!(
            "timed out: could not send within {} ms (no peer ready)",
            timeout.unwrap_or(0)
        )),
        e => CliError::failed(format!("cannot send: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::envelope;
    use ferrozmq::Message;

    fn message(parts: &[&str]) -> Vec<Message> {
        parts.iter().map(|p| Message::from(*p)).collect()
    }

    #[test]
    fn a_dealer_message_is_addressed_by_its_routing_id_alone() {
        assert_eq!(envelope(&message(&["id", "hello"])), &message(&["id"])[..]);
        assert_eq!(envelope(&message(&["id", "a", "b"])), &message(&["id"])[..]);
    }

    #[test]
    fn a_req_envelope_is_kept_up_to_the_delimiter() {
        assert_eq!(
            envelope(&message(&["id", "", "hello"])),
            &message(&["id", ""])[..]
        );
        assert_eq!(
            envelope(&message(&["id", "hop", "", "hello"])),
            &message(&["id", "hop", ""])[..]
        );
    }

    #[test]
    fn an_empty_last_part_is_body_not_delimiter() {
        assert_eq!(envelope(&message(&["id", ""])), &message(&["id"])[..]);
    }
}
