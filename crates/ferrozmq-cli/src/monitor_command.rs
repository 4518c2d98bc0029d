//! The monitor command: a socket that exists only to be watched, and every event that
//! happens to its listeners and connections, printed as it happens.

use crate::args::MonitorArgs;
use crate::endpoints::attach_all;
use crate::error::CliError;
use crate::output::Output;
use ferrozmq::{Context, Error, EventKind, MonitorEvent, Socket, PAIR};

/// Where the watched socket sends its events; the process has one context, so one name
/// does.
const FEED: &str = "inproc://ferrozmq-monitor";

/// Opens the socket, then prints its events until `--count` of them have been printed,
/// `--timeout` passes without one, or the process is stopped.
pub fn run(args: &MonitorArgs, out: &mut Output) -> Result<(), CliError> {
    let ctx = Context::new();
    let server = crate::socket_command::only_binds(&args.endpoints);
    let _authenticator = args.security.authenticator(&ctx, server)?;
    let watched = open_watched(&ctx, args)?;
    args.security.apply(&watched, server)?;
    let feed = open_feed(&ctx, &watched, args.timeout)
        .map_err(|e| CliError::failed(format!("cannot monitor the socket: {e}")))?;
    // Bound and connected only now: the feed drops events while no reader is connected,
    // and the first ones (LISTENING, CONNECT_DELAYED) come from these calls.
    attach_all(&watched, &args.endpoints)?;
    for _ in 0..args.count.unwrap_or(u64::MAX) {
        let event = MonitorEvent::recv(&feed, 0).map_err(|e| match e {
            // Receives only time out when --timeout set a receive timeout.
            Error::Again => CliError::failed(format!(
                "timed out: no event within {} ms",
                args.timeout.unwrap_or(0)
            )),
            e => CliError::failed(format!("cannot read the socket's events: {e}")),
        })?;
        out.line(&format!(
            "{}\t{}\t{}",
            event.kind.name(),
            event.endpoint,
            event.value
        ))?;
    }
    Ok(())
}

fn open_watched(ctx: &Context, args: &MonitorArgs) -> Result<Socket, CliError> {
    let socket = ctx
        .socket(args.socket_type)
        .map_err(|e| CliError::failed(format!("cannot make a socket: {e}")))?;
    // It sends nothing, so nothing is worth waiting for at exit.
    socket
        .set_linger(0)
        .map_err(|e| CliError::failed(format!("cannot configure the socket: {e}")))?;
    args.options.apply(&socket)?;
    Ok(socket)
}

/// Starts `watched`'s monitor and connects the PAIR that reads it.
fn open_feed(ctx: &Context, watched: &Socket, timeout: Option<i32>) -> Result<Socket, Error> {
    watched.monitor(FEED, EventKind::ALL)?;
    let feed = ctx.socket(PAIR)?;
    feed.set_linger(0)?;
    if let Some(timeout) = timeout {
        feed.set_rcvtimeo(timeout)?;
    }
    feed.connect(FEED)?;
    Ok(feed)
}
