//! The monitor command: a socket that exists only to be watched, and every event that
//! happens to its listeners and connections, printed as it happens.

use crate::args::MonitorArgs;
use crate::endpoints::attach_all;
use crate::error::CliError;
use crate::output::Output;
use ferrozmq::{Context, Error, EventSet, Monitor, Socket};
use std::time::Duration;

/// Opens the socket, then prints its events until `--count` of them have been printed,
/// `--timeout` passes without one, or the process is stopped.
pub fn run(args: &MonitorArgs, out: &mut Output) -> Result<(), CliError> {
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
    let timeout = crate::socket_command::duration(args.timeout);
    for _ in 0..args.count.unwrap_or(u64::MAX) {
        let event = next(&mut monitor, timeout).map_err(|e| match e {
            Error::Again => CliError::failed(format!(
                "timed out: no event within {} ms",
                args.timeout.unwrap_or(0)
            )),
            e => CliError::failed(format!("cannot read the socket's events: {e}")),
        })?;
        out.line(&format!(
            "{}\t{}\t{}",
            event.kind().name(),
            event.endpoint(),
            event.value()
        ))?;
    }
    Ok(())
}

/// The next event, waiting at most `timeout` if given.
fn next(
    monitor: &mut Monitor,
    timeout: Option<Duration>,
) -> ferrozmq::Result<ferrozmq::MonitorEvent> {
    match timeout {
        Some(timeout) => monitor.recv_timeout(timeout),
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
