//! The socket command: one socket, driven according to its role.

use crate::args::SocketArgs;
use crate::endpoints::attach_all;
use crate::error::CliError;
use crate::outgoing::Outgoing;
use crate::output::Output;
use crate::role::{Layout, Role};
use ferrozmq::{Context, Error, Message, Socket, SocketType};
use std::time::{Duration, Instant};

/// Opens the socket `args` describe and drives it until its work is done.
pub fn run(args: &SocketArgs, out: &mut Output) -> Result<(), CliError> {
    let ctx = Context::new();
    // Before the socket binds: servers ask it about every client.
    let _authenticator = args
        .security
        .authenticator(&ctx, only_binds(&args.endpoints))?;
    // Declared after the context so that it closes first: dropping the context then waits
    // for the socket's lingering messages.
    let (socket, destination) = open(&ctx, args)?;
    match args.role {
        Role::Request => request(&socket, args, out),
        Role::Reply => reply(&socket, args, out),
        Role::Send => send(&socket, &destination, args),
        Role::Receive => receive(&socket, args, out),
        Role::Exchange => exchange(&socket, &destination, args, out),
        Role::Route => route(&socket, args, out),
        Role::Converse => match &destination {
            Destination::Peers(_) => exchange(&socket, &destination, args, out),
            _ => route(&socket, args, out),
        },
    }
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
        }
    }
}

fn open(ctx: &Context, args: &SocketArgs) -> Result<(Socket, Destination), CliError> {
    let socket = ctx
        .socket(args.socket_type)
        .map_err(|e| CliError::failed(format!("cannot make a socket: {e}")))?;
    configure(&socket, args)
        .map_err(|e| CliError::failed(format!("cannot configure the socket: {e}")))?;
    // After the defaults `configure` sets, so that `--linger` overrides the one `--timeout`
    // implies; before binding and connecting, which the options have to precede.
    args.options.apply(&socket)?;
    args.security.apply(&socket, only_binds(&args.endpoints))?;
    let destination = match (args.role, args.groups.as_slice()) {
        (Role::Converse, _) => {
            let mut peers = Vec::new();
            for endpoint in &args.endpoints {
                peers.extend(endpoint.attach_peer(&socket)?);
            }
            // A peer that only binds has nobody to speak to first.
            let destination = if peers.is_empty() {
                Destination::Socket
            } else {
                Destination::Peers(peers)
            };
            return Ok((socket, destination));
        }
        (Role::Send, [group]) => Destination::Group(group.clone()),
        _ => Destination::Socket,
    };
    attach_all(&socket, &args.endpoints)?;
    Ok((socket, destination))
}

/// A socket that only binds is a server, for the security flags.
pub fn only_binds(endpoints: &[crate::endpoints::Endpoint]) -> bool {
    endpoints
        .iter()
        .all(|e| e.side == crate::endpoints::Side::Bind)
}

fn configure(socket: &Socket, args: &SocketArgs) -> Result<(), Error> {
    // Waiting at exit as long as for anything else: until delivered, unless `--timeout`
    // says how long is too long.
    let timeout = duration(args.timeout);
    socket.options().set_linger(timeout)?;
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

    /// Prints the message as `layout` says the socket's messages are shown.
    fn print(&self, layout: Layout, out: &mut Output) -> Result<(), CliError> {
        match self {
            Incoming::Parts(parts) => match layout {
                Layout::RoutingIdPart => out.routed(parts),
                Layout::SubscriptionNotices => out.xpub_message(parts),
                _ => out.message(parts),
            },
            Incoming::FromPeer(peer, body) => out.addressed(&peer.to_string(), body),
            Incoming::InGroup(group, body) => out.addressed(group, body),
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

/// REQ: each outgoing message is a request; print its reply before sending the next.
fn request(socket: &Socket, args: &SocketArgs, out: &mut Output) -> Result<(), CliError> {
    for (i, message) in Outgoing::new(args.send.clone(), args.count).enumerate() {
        pause_between_sends(i, args);
        send_one(socket, message?, args.timeout)?;
        let reply = recv_parts(socket, "reply", args.timeout)?;
        out.message(&reply)?;
    }
    Ok(())
}

/// REP: print each request and answer it with `--reply`, or with the request itself.
fn reply(socket: &Socket, args: &SocketArgs, out: &mut Output) -> Result<(), CliError> {
    for _ in 0..rounds(args) {
        let request = recv_parts(socket, "request", args.timeout)?;
        out.message(&request)?;
        let sent = match &args.reply {
            Some(reply) => socket.send(reply.clone()),
            None => socket.send_multipart(request),
        };
        sent.map_err(|e| send_failed(e, args.timeout))?;
    }
    Ok(())
}

/// PUB, PUSH, SCATTER, RADIO: send every outgoing message.
fn send(socket: &Socket, destination: &Destination, args: &SocketArgs) -> Result<(), CliError> {
    for (i, message) in Outgoing::new(args.send.clone(), args.count).enumerate() {
        pause_between_sends(i, args);
        destination
            .send(socket, i, message?)
            .map_err(|e| send_failed(e, args.timeout))?;
    }
    Ok(())
}

/// SUB, PULL, GATHER, DISH, and the two-way types without `--send`: print every message
/// that arrives.
fn receive(socket: &Socket, args: &SocketArgs, out: &mut Output) -> Result<(), CliError> {
    for _ in 0..rounds(args) {
        recv_one(socket, args, "message")?.print(args.layout, out)?;
    }
    Ok(())
}

/// The two-way types, and a PEER that connected: send the `--send` values, printing what
/// arrives meanwhile, then go on printing until `--timeout` passes with nothing arriving
/// (or for ever).
fn exchange(
    socket: &Socket,
    destination: &Destination,
    args: &SocketArgs,
    out: &mut Output,
) -> Result<(), CliError> {
    if args.send.is_empty() {
        return receive(socket, args, out);
    }
    for (i, message) in Outgoing::new(args.send.clone(), args.count).enumerate() {
        if let (true, Some(interval)) = (i > 0, args.interval) {
            print_arrivals_until(socket, args, out, Instant::now() + interval)?;
        }
        destination
            .send(socket, i, message?)
            .map_err(|e| send_failed(e, args.timeout))?;
    }
    // Everything is sent: silence for the receive timeout now ends the command, and is no
    // failure.
    loop {
        match Incoming::recv(socket, args.layout) {
            Ok(message) => message.print(args.layout, out)?,
            Err(Error::Again) => return Ok(()),
            Err(e) => return Err(CliError::failed(format!("cannot receive: {e}"))),
        }
    }
}

/// Prints what arrives until `deadline`, then restores the receive timeout `--timeout`
/// set.
fn print_arrivals_until(
    socket: &Socket,
    args: &SocketArgs,
    out: &mut Output,
    deadline: Instant,
) -> Result<(), CliError> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        // A receive timeout of zero would not wait at all; the option rounds up to a
        // millisecond whatever is left.
        set_rcvtimeo(socket, Some(left))?;
        match Incoming::recv(socket, args.layout) {
            Ok(message) => message.print(args.layout, out)?,
            Err(Error::Again) => break,
            Err(e) => return Err(CliError::failed(format!("cannot receive: {e}"))),
        }
    }
    set_rcvtimeo(socket, duration(args.timeout))
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

/// ROUTER, SERVER, and a PEER that only binds: print each message with its sender's
/// routing id; with `--send`, answer each with the next value, to its sender.
fn route(socket: &Socket, args: &SocketArgs, out: &mut Output) -> Result<(), CliError> {
    for i in 0..rounds(args) {
        let message = recv_one(socket, args, "message")?;
        message.print(args.layout, out)?;
        if args.send.is_empty() {
            continue;
        }
        let answer = &args.send[(i % args.send.len() as u64) as usize];
        message
            .answer(socket, answer)
            .map_err(|e| send_failed(e, args.timeout))?;
    }
    Ok(())
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

/// How many messages (or round trips) to handle: `--count`, else as good as for ever.
fn rounds(args: &SocketArgs) -> u64 {
    args.count.unwrap_or(u64::MAX)
}

fn pause_between_sends(index: usize, args: &SocketArgs) {
    if let (true, Some(interval)) = (index > 0, args.interval) {
        std::thread::sleep(interval);
    }
}

fn send_one(socket: &Socket, message: Vec<u8>, timeout: Option<i32>) -> Result<(), CliError> {
    socket.send(message).map_err(|e| send_failed(e, timeout))
}

/// Receives a REQ's reply or a REP's request, every part of it.
fn recv_parts(
    socket: &Socket,
    waiting_for: &str,
    timeout: Option<i32>,
) -> Result<Vec<Message>, CliError> {
    socket
        .recv_multipart()
        .map_err(|e| recv_failed(e, waiting_for, timeout))
}

/// Receives the next message as the socket's layout has it.
fn recv_one(socket: &Socket, args: &SocketArgs, waiting_for: &str) -> Result<Incoming, CliError> {
    Incoming::recv(socket, args.layout).map_err(|e| recv_failed(e, waiting_for, args.timeout))
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
