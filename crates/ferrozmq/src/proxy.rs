//! The built-in proxy: forwards messages between two sockets, both ways, whole messages at
//! a time.

use crate::error::{Error, Result};
use crate::socket::{wait_any, Socket, DONTWAIT, SNDMORE};

/// Messages taken from one side before the other side gets its turn.
const TURN: usize = 256;

/// Forwards every message arriving on `frontend` to `backend` and every message arriving on
/// `backend` to `frontend`, until the context shuts down (`zmq_proxy`). Typical pairs:
/// ROUTER/DEALER (a broker), XSUB/XPUB (a forwarder), PULL/PUSH (a streamer, as the seed's
/// pipeline worker). A side that cannot receive (PUSH, PUB) is only sent to.
///
/// ```no_run
/// use ferrozmq::{Context, PULL, PUSH};
/// let ctx = Context::new();
/// let from = ctx.socket(PULL).unwrap();
/// from.connect("tcp://127.0.0.1:5557").unwrap();
/// let to = ctx.socket(PUSH).unwrap();
/// to.connect("tcp://127.0.0.1:5558").unwrap();
/// ferrozmq::proxy(&from, &to).unwrap();
/// ```
pub fn proxy(frontend: &Socket, backend: &Socket) -> Result<()> {
    proxy_with_capture(frontend, backend, None)
}

/// [`proxy`], also sending a copy of every message to `capture` (typically a PUB or PUSH).
pub fn proxy_with_capture(
    frontend: &Socket,
    backend: &Socket,
    capture: Option<&Socket>,
) -> Result<()> {
    loop {
        let mut moved = false;
        for (from, to) in [(frontend, backend), (backend, frontend)] {
            for _ in 0..TURN {
                match from.recv_msg(DONTWAIT) {
                    Ok(first) => {
                        forward(first, from, to, capture)?;
                        moved = true;
                    }
                    // Nothing now, or a side that only sends.
                    Err(Error::Again | Error::NotSupported | Error::State) => break,
                    Err(e) => return Err(e),
                }
            }
        }
        if !moved {
            wait_any(&[frontend, backend], None)?;
        }
    }
}

/// Sends `first` and the rest of its message on.
fn forward(
    first: zmtp::Message,
    from: &Socket,
    to: &Socket,
    capture: Option<&Socket>,
) -> Result<()> {
    let mut part = first;
    loop {
        let more = part.more();
        let flags = if more { SNDMORE } else { 0 };
        if let Some(capture) = capture {
            // A slow or absent capture must not stall the proxy.
            let _ = capture.send(part.clone(), flags | DONTWAIT);
        }
        to.send(part, flags)?;
        if !more {
            return Ok(());
        }
        part = from.recv_msg(0)?;
    }
}
