//! The socket command: one socket, driven according to its role.

use crate::args::SocketArgs;
use crate::endpoints::attach_all;
use crate::error::CliError;
use crate::outgoing::Outgoing;
use crate::output::Output;
use crate::role::Role;
use ferrozmq::{Context, Error, Message, Socket, SocketType};
use std::time::Instant;

/// Opens the socket `args` describe and drives it until its work is done.
pub fn run(args: &SocketArgs, out: &mut Output) -> Result<(), CliError> {
    let ctx = Context::new();
    // Declared after the context so that it closes first: dropping the context then waits
    // for the socket's lingering messages.
    let socket = open(&ctx, args)?;
    match args.role {
        Role::Request => request(&socket, args, out),
        Role::Reply => reply(&socket, args, out),
        Role::Send => send(&socket, args),
        Role::Receive => receive(&socket, args, out),
        Role::Exchange => exchange(&socket, args, out),
        Role::Route => route(&socket, args, out),
    }
}

fn open(ctx: &Context, args: &SocketArgs) -> Result<Socket, CliError> {
    let socket = ctx
        .socket(args.socket_type)
        .map_err(|e| CliError::failed(format!("cannot make a socket: {e}")))?;
    configure(&socket, args)
        .map_err(|e| CliError::failed(format!("cannot configure the socket: {e}")))?;
    attach_all(&socket, &args.endpoints)?;
    Ok(socket)
}

fn configure(socket: &Socket, args: &SocketArgs) -> Result<(), Error> {
    socket.set_linger(args.linger())?;
    if let Some(timeout) = args.timeout {
        socket.set_rcvtimeo(timeout)?;
        socket.set_sndtimeo(timeout)?;
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
                socket.set_subscribe(prefix)?;
            }
        }
        SocketType::XSub => {
            // An XSUB subscribes by sending `\x01prefix` upstream; it remembers them, and
            // sends them again to every publisher it connects to later.
            for prefix in prefixes {
                let mut subscription = vec![1];
                subscription.extend_from_slice(prefix);
                socket.send(subscription, 0)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// REQ: each outgoing message is a request; print its reply before sending the next.
fn request(socket: &Socket, args: &SocketArgs, out: &mut Output) -> Result<(), CliError> {
    for (i, message) in Outgoing::new(args.send.clone(), args.count).enumerate() {
        pause_between_sends(i, args);
        send_one(socket, message?, args.timeout)?;
        let reply = recv_one(socket, "reply", args.timeout)?;
        out.message(&reply)?;
    }
    Ok(())
}

/// REP: print each request and answer it with `--reply`, or with the request itself.
fn reply(socket: &Socket, args: &SocketArgs, out: &mut Output) -> Result<(), CliError> {
    for _ in 0..rounds(args) {
        let request = recv_one(socket, "request", args.timeout)?;
        out.message(&request)?;
        let sent = match &args.reply {
            Some(reply) => socket.send(reply.clone(), 0),
            None => socket.send_multipart(request, 0),
        };
        sent.map_err(|e| send_failed(e, args.timeout))?;
    }
    Ok(())
}

/// PUB, PUSH: send every outgoing message.
fn send(socket: &Socket, args: &SocketArgs) -> Result<(), CliError> {
    for (i, message) in Outgoing::new(args.send.clone(), args.count).enumerate() {
        pause_between_sends(i, args);
        send_one(socket, message?, args.timeout)?;
    }
    Ok(())
}

/// SUB, PULL, and the two-way types without `--send`: print every message that arrives.
fn receive(socket: &Socket, args: &SocketArgs, out: &mut Output) -> Result<(), CliError> {
    for _ in 0..rounds(args) {
        let message = recv_one(socket, "message", args.timeout)?;
        print(out, args.socket_type, &message)?;
    }
    Ok(())
}

/// DEALER, PAIR, XPUB, XSUB: send the `--send` values, printing what arrives meanwhile,
/// then go on printing until `--timeout` passes with nothing arriving (or for ever).
fn exchange(socket: &Socket, args: &SocketArgs, out: &mut Output) -> Result<(), CliError> {
    if args.send.is_empty() {
        return receive(socket, args, out);
    }
    for (i, message) in Outgoing::new(args.send.clone(), args.count).enumerate() {
        if let (true, Some(interval)) = (i > 0, args.interval) {
            print_arrivals_until(socket, args, out, Instant::now() + interval)?;
        }
        send_one(socket, message?, args.timeout)?;
    }
    // Everything is sent: silence for the receive timeout now ends the command, and is no
    // failure.
    loop {
        match socket.recv_multipart(0) {
            Ok(message) => print(out, args.socket_type, &message)?,
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
        // At least a millisecond: a receive timeout of 0 would not wait at all.
        let wait = i32::try_from(left.as_millis()).unwrap_or(i32::MAX).max(1);
        set_rcvtimeo(socket, wait)?;
        match socket.recv_multipart(0) {
            Ok(message) => print(out, args.socket_type, &message)?,
            Err(Error::Again) => break,
            Err(e) => return Err(CliError::failed(format!("cannot receive: {e}"))),
        }
    }
    set_rcvtimeo(socket, args.timeout.unwrap_or(-1))
}

fn set_rcvtimeo(socket: &Socket, millis: i32) -> Result<(), CliError> {
    socket
        .set_rcvtimeo(millis)
        .map_err(|e| CliError::failed(format!("cannot set the receive timeout: {e}")))
}

/// ROUTER: print each message with its sender's routing id; with `--send`, answer each with
/// the next value, along the envelope the message came with.
fn route(socket: &Socket, args: &SocketArgs, out: &mut Output) -> Result<(), CliError> {
    for i in 0..rounds(args) {
        let message = recv_one(socket, "message", args.timeout)?;
        out.routed(&message)?;
        if args.send.is_empty() {
            continue;
        }
        let answer = &args.send[(i % args.send.len() as u64) as usize];
        let reply = envelope(&message)
            .iter()
            .cloned()
            .chain([Message::from(answer.clone())]);
        socket
            .send_multipart(reply, 0)
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

/// Prints a received message as the socket type's output shows it.
fn print(out: &mut Output, socket_type: SocketType, message: &[Message]) -> Result<(), CliError> {
    match socket_type {
        SocketType::Router => out.routed(message),
        SocketType::XPub => out.xpub_message(message),
        _ => out.message(message),
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
    socket.send(message, 0).map_err(|e| send_failed(e, timeout))
}

fn recv_one(
    socket: &Socket,
    waiting_for: &str,
    timeout: Option<i32>,
) -> Result<Vec<Message>, CliError> {
    socket.recv_multipart(0).map_err(|e| match e {
        // Receives only time out when --timeout set a receive timeout.
        Error::Again => CliError::failed(format!(
            "timed out: no {waiting_for} arrived within {} ms",
            timeout.unwrap_or(0)
        )),
        e => CliError::failed(format!("cannot receive: {e}")),
    })
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
