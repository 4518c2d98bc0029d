//! The proxy command: two sockets, messages forwarded both ways between them.

use crate::args::{ProxyArgs, ProxySide};
use crate::error::CliError;
use ferrozmq::{Context, Error, Socket};

/// Opens both sides and forwards until the process is stopped or a socket fails.
pub fn run(args: &ProxyArgs) -> Result<(), CliError> {
    let ctx = Context::new();
    // One ZAP handler serves the process: the sides' accepted users and keys go together.
    let server = |side: &ProxySide| side.endpoint.side == crate::endpoints::Side::Bind;
    let _authenticators = [
        args.front
            .security
            .authenticator(&ctx, server(&args.front))?,
        args.back.security.authenticator(&ctx, server(&args.back))?,
    ];
    let front = open(&ctx, &args.front)?;
    let back = open(&ctx, &args.back)?;
    args.front.security.apply(&front, server(&args.front))?;
    args.back.security.apply(&back, server(&args.back))?;
    // Attached only once both are configured, so that an option the library refuses is
    // reported before either side binds or connects.
    args.front.endpoint.attach(&front)?;
    args.back.endpoint.attach(&back)?;
    ferrozmq::proxy(&front, &back).map_err(|e| CliError::failed(format!("proxy stopped: {e}")))
}

/// Makes one side's socket and sets its options.
fn open(ctx: &Context, side: &ProxySide) -> Result<Socket, CliError> {
    let name = side.socket_type.as_str().to_ascii_lowercase();
    let socket = ctx.socket(side.socket_type).map_err(|e| match e {
        Error::NotSupported => {
            CliError::usage(format!("socket type '{name}' is not supported yet"))
        }
        e => CliError::failed(format!("cannot make a {name} socket: {e}")),
    })?;
    side.options.apply(&socket)?;
    Ok(socket)
}
