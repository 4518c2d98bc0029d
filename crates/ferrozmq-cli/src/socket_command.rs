//! The socket command: one socket, driven according to its role.

use crate::args::SocketArgs;
use crate::endpoints::attach_all;
use crate::error::CliError;
use crate::outgoing::Outgoing;
use crate::output::Output;
use crate::role::Role;
use ferrozmq::{Context, Error, Message, Socket};

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
    if args.socket_type == ferrozmq::SUB {
        if args.subscribe.is_empty() {
            socket.set_subscribe(b"")?;
        }
        for prefix in &args.subscribe {
            socket.set_subscribe(prefix)?;
        }
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

/// SUB, PULL: print every message that arrives.
fn receive(socket: &Socket, args: &SocketArgs, out: &mut Output) -> Result<(), CliError> {
    for _ in 0..rounds(args) {
        let message = recv_one(socket, "message", args.timeout)?;
        out.message(&message)?;
    }
    Ok(())
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
