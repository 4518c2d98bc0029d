//! The built-in proxy: forwards messages between two sockets, both ways, whole messages at
//! a time.

use crate::error::{Error, Result};
use crate::message::Message;
use crate::poll::POLLOUT;
use crate::socket::{wait_any, SendFlags, Socket};

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
    Proxy::new(frontend, backend, capture).run(None)
}

/// [`proxy_with_capture`], steered through `control` (`zmq_proxy_steerable`): a message
/// `PAUSE` stops forwarding (messages wait in the sockets), `RESUME` resumes it, `TERMINATE`
/// makes the proxy return `Ok(())`, and `STATISTICS` is answered on `control` with eight
/// parts, each a native-endian u64, as libzmq answers: messages and bytes received and sent
/// on the frontend, then the same for the backend. A multipart message counts once, as in
/// libzmq; its bytes are those of all its parts.
///
/// ```no_run
/// use ferrozmq::{Context, DEALER, PAIR, ROUTER};
/// let ctx = Context::new();
/// let (front, back, control) = (
///     ctx.socket(ROUTER).unwrap(),
///     ctx.socket(DEALER).unwrap(),
///     ctx.socket(PAIR).unwrap(),
/// );
/// control.bind("inproc://proxy-control").unwrap();
/// ferrozmq::proxy_steerable(&front, &back, None, &control).unwrap();
/// ```
pub fn proxy_steerable(
    frontend: &Socket,
    backend: &Socket,
    capture: Option<&Socket>,
    control: &Socket,
) -> Result<()> {
    Proxy::new(frontend, backend, capture).run(Some(control))
}

/// Traffic through one side of a proxy.
#[derive(Clone, Copy, Default)]
struct SideStats {
    messages_in: u64,
    bytes_in: u64,
    messages_out: u64,
    bytes_out: u64,
}

struct Proxy<'a> {
    frontend: &'a Socket,
    backend: &'a Socket,
    capture: Option<&'a Socket>,
    /// Frontend, backend.
    stats: [SideStats; 2],
}

/// What the control socket asked for.
enum Steering {
    Carry,
    Pause,
    Terminate,
}

impl<'a> Proxy<'a> {
    fn new(frontend: &'a Socket, backend: &'a Socket, capture: Option<&'a Socket>) -> Self {
        Proxy {
            frontend,
            backend,
            capture,
            stats: [SideStats::default(); 2],
        }
    }

    fn run(&mut self, control: Option<&Socket>) -> Result<()> {
        let mut paused = false;
        loop {
            if let Some(control) = control {
                match self.steer(control, paused)? {
                    Steering::Terminate => return Ok(()),
                    Steering::Pause => paused = true,
                    Steering::Carry => paused = false,
                }
            }
            let moved = !paused && self.forward_turn()?;
            if !moved {
                let mut watched = vec![self.frontend, self.backend];
                if let Some(control) = control {
                    watched.push(control);
                }
                wait_any(&watched, None)?;
            }
        }
    }

    /// Applies the commands waiting on the control socket; returns the resulting state.
    fn steer(&mut self, control: &Socket, paused: bool) -> Result<Steering> {
        let mut state = if paused {
            Steering::Pause
        } else {
            Steering::Carry
        };
        loop {
            let command = match control.try_recv_multipart() {
                Ok(parts) => parts,
                Err(Error::Again) => return Ok(state),
                Err(e) => return Err(e),
            };
            match &command[0][..] {
                b"PAUSE" => state = Steering::Pause,
                b"RESUME" => state = Steering::Carry,
                b"TERMINATE" => return Ok(Steering::Terminate),
                b"STATISTICS" => {
                    let numbers = self
                        .stats
                        .iter()
                        .flat_map(|s| [s.messages_in, s.bytes_in, s.messages_out, s.bytes_out]);
                    let parts: Vec<Vec<u8>> = numbers.map(|n| n.to_ne_bytes().to_vec()).collect();
                    control.send_multipart(parts)?;
                }
                // Unknown commands are ignored, as libzmq ignores them.
                _ => {}
            }
        }
    }

    /// Moves up to a turn's worth of messages each way; true when anything moved. A side
    /// is read only while the other side can take a message, as libzmq's proxy does: a
    /// message is never taken that could only wait, blocking the proxy, for a peer that may
    /// never come (the control socket would go unheard). A socket that is both sides (a
    /// REP answering its own requests) can only take its reply once it has the request.
    fn forward_turn(&mut self) -> Result<bool> {
        let mut moved = false;
        let one_socket = std::ptr::eq(self.frontend, self.backend);
        for (from, to, side) in [
            (self.frontend, self.backend, 0),
            (self.backend, self.frontend, 1),
        ] {
            for _ in 0..TURN {
                if !one_socket && !to.readiness()?.contains(POLLOUT) {
                    break;
                }
                match from.try_recv() {
                    Ok(first) => {
                        self.forward(first, from, to, side)?;
                        moved = true;
                    }
                    // Nothing now, or a side that only sends.
                    Err(Error::Again | Error::NotSupported | Error::State) => break,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(moved)
    }

    /// Sends `first` and the rest of its message on, counting the message and its bytes.
    fn forward(&mut self, first: Message, from: &Socket, to: &Socket, side: usize) -> Result<()> {
        let mut part = first;
        loop {
            let more = part.more();
            let len = part.len() as u64;
            let flags = SendFlags::more_if(more);
            if let Some(capture) = self.capture {
                // A slow or absent capture must not stall the proxy.
                let _ = capture.send_with(part.clone(), flags | SendFlags::DONTWAIT);
            }
            self.stats[side].bytes_in += len;
            to.send_with(part, flags)?;
            self.stats[1 - side].bytes_out += len;
            if !more {
                self.stats[side].messages_in += 1;
                self.stats[1 - side].messages_out += 1;
                return Ok(());
            }
            part = from.recv()?;
        }
    }
}
