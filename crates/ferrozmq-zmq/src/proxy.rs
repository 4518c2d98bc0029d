//! The built-in proxies (`zmq_proxy`, `zmq_proxy_steerable`).

use crate::socket::Socket;
use crate::Result;

/// Forwards messages between `frontend` and `backend`, both ways, in the calling thread
/// (`zmq_proxy`): a broker with ROUTER and DEALER, a forwarder with XSUB and XPUB, a
/// streamer with PULL and PUSH. Returns only when the context ends, with
/// [`Error::ETERM`](crate::Error::ETERM).
pub fn proxy(frontend: &Socket, backend: &Socket) -> Result<()> {
    Ok(ferrozmq::proxy(frontend.native(), backend.native())?)
}

/// [`proxy`], also sending a copy of every message to `capture`.
pub fn proxy_with_capture(
    frontend: &mut Socket,
    backend: &mut Socket,
    capture: &mut Socket,
) -> Result<()> {
    Ok(ferrozmq::proxy_with_capture(
        frontend.native(),
        backend.native(),
        Some(capture.native()),
    )?)
}

/// [`proxy`], steered by messages on `control`: `PAUSE`, `RESUME`, `TERMINATE` (the
/// proxy then returns `Ok(())`) and `STATISTICS` (answered on `control` with eight
/// native-endian u64 parts: messages and bytes in and out, frontend then backend).
pub fn proxy_steerable(
    frontend: &mut Socket,
    backend: &mut Socket,
    control: &mut Socket,
) -> Result<()> {
    Ok(ferrozmq::proxy_steerable(
        frontend.native(),
        backend.native(),
        None,
        control.native(),
    )?)
}

/// [`proxy_steerable`] with a `capture` socket, as in [`proxy_with_capture`].
pub fn proxy_steerable_with_capture(
    frontend: &mut Socket,
    backend: &mut Socket,
    capture: &mut Socket,
    control: &mut Socket,
) -> Result<()> {
    Ok(ferrozmq::proxy_steerable(
        frontend.native(),
        backend.native(),
        Some(capture.native()),
        control.native(),
    )?)
}

#[cfg(test)]
mod tests {
    use crate::{Context, PAIR, PULL, PUSH};

    #[test]
    fn a_steerable_proxy_forwards_captures_and_terminates() {
        let ctx = Context::new();
        let mut front = ctx.socket(PULL).unwrap();
        front.bind("inproc://proxy-front").unwrap();
        let mut back = ctx.socket(PUSH).unwrap();
        back.bind("inproc://proxy-back").unwrap();
        let mut capture = ctx.socket(PUSH).unwrap();
        capture.bind("inproc://proxy-capture").unwrap();
        let mut control = ctx.socket(PAIR).unwrap();
        control.bind("inproc://proxy-control").unwrap();

        let source = ctx.socket(PUSH).unwrap();
        source.connect("inproc://proxy-front").unwrap();
        let sink = ctx.socket(PULL).unwrap();
        sink.connect("inproc://proxy-back").unwrap();
        let tap = ctx.socket(PULL).unwrap();
        tap.connect("inproc://proxy-capture").unwrap();
        let steer = ctx.socket(PAIR).unwrap();
        steer.connect("inproc://proxy-control").unwrap();

        let proxy = std::thread::spawn(move || {
            super::proxy_steerable_with_capture(&mut front, &mut back, &mut capture, &mut control)
        });
        source.send("through", 0).unwrap();
        assert_eq!(sink.recv_bytes(0).unwrap(), b"through");
        assert_eq!(tap.recv_bytes(0).unwrap(), b"through");
        steer.send("TERMINATE", 0).unwrap();
        assert_eq!(proxy.join().unwrap(), Ok(()));
    }
}
