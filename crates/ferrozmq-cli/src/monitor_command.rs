//! The monitor command: a socket that exists only to be watched, and every event that
//! happens to its listeners and connections, printed as it happens.

use crate::args::MonitorArgs;
use crate::endpoints::attach_all;
use crate::error::CliError;
use crate::output::{Format, Output};
use ferrozmq::{Context, Error, EventSet, Monitor, Socket};
use std::time::{Duration, Instant};

/// Opens the socket, then prints its events until `--count` of them have been printed,
/// `--timeout` has passed (a failure unless the count was reached), or the process is
/// stopped.
pub fn run(args: &MonitorArgs) -> Result<(), CliError> {
    let mut out = Output::stdout(Format::Text);
    let ctx = Context::new();
    let server = crate::socket_command::only_binds(&args.endpoints);
    let _authenticator = args.security.authenticator(&ctx, server)?;
    let watched = open_watched(&ctx, args)?;
    args.security.apply(&watched, server)?;
    let mut monitor = watched
        .monitor(EventSet::ALL)
        .map_err(|e| CliError::failed(format!("cannot monitor the socket: {e}")))?;
    // Bound and connected only now, so that the first events (LISTENING,
    // CONNECT_DELAYED), which come from these calls, are reported.
    attach_all(&watched, &args.endpoints)?;
    // A deadline for the whole command: a socket that keeps reconnecting reports events
    // for ever, so the time since the last one would never run out.
    let deadline = crate::socket_command::duration(args.timeout).map(|t| Instant::now() + t);
    let wanted = args.count.unwrap_or(u64::MAX);
    let mut printed = 0;
    while printed < wanted {
        let event = next(&mut monitor, deadline).map_err(|e| match e {
            Error::Again => CliError::failed(match args.count {
                Some(count) => format!(
                    "timed out: {printed} of {count} events within {} ms",
                    args.timeout.unwrap_or(0)
                ),
                None => format!(
                    "timed out after {} ms ({printed} events)",
                    args.timeout.unwrap_or(0)
                ),
            }),
            e => CliError::failed(format!("cannot read the socket's events: {e}")),
        })?;
        out.event(&event, args.format)?;
        printed += 1;
    }
    Ok(())
}

/// The next event, waiting until `deadline` at most if given.
fn next(
    monitor: &mut Monitor,
    deadline: Option<Instant>,
) -> ferrozmq::Result<ferrozmq::MonitorEvent> {
    match deadline {
        Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => monitor.recv_timeout(left),
            _ => Err(Error::Again),
        },
        None => monitor.recv(),
    }
}

fn open_watched(ctx: &Context, args: &MonitorArgs) -> Result<Socket, CliError> {
    let socket = ctx
        .socket(args.socket_type)
        .map_err(|e| CliError::failed(format!("cannot make a socket: {e}")))?;
    // It sends nothing, so nothing is worth waiting for at exit.
    socket
        .options()
        .set_linger(Some(Duration::ZERO))
        .map_err(|e| CliError::failed(format!("cannot configure the socket: {e}")))?;
    args.options.apply(&socket)?;
    Ok(socket)
}
