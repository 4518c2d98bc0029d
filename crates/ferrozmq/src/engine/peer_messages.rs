//! The messages a connection makes up for its socket as peers come and go (ROUTER_NOTIFY,
//! DISCONNECT_MSG, HICCUP_MSG), and the greeting it sends first (HELLO_MSG). Messages for
//! the socket go into the connection's pipe like the peer's own, so they reach the
//! application in order with them: a connect notice before the peer's first message, a
//! disconnect notice after its last.

use crate::options::Options;
use crate::pipe::PipeEnd;
use crate::RouterNotify;
use zmtp::Message;

/// HELLO_MSG, for the peer of a connection that just completed its handshake.
pub(super) fn hello(options: &Options) -> Option<Message> {
    options.hello_msg.clone().map(Message::from_bytes)
}

/// A connection completed its handshake: ROUTER_NOTIFY's connect notice.
pub(super) fn connected(options: &Options, end: &mut PipeEnd) {
    if options.router_notify.contains(RouterNotify::CONNECT) {
        end.send_control(Message::new());
    }
}

/// How a connection that had completed its handshake ended.
pub(super) struct Loss {
    /// A listener accepted it (DISCONNECT_MSG is about those).
    pub(super) accepted: bool,
    /// A connect made it, and its pipe waits for the next connection (HICCUP_MSG).
    pub(super) reconnecting: bool,
}

/// A connection that had completed its handshake is gone: the notices its socket asked
/// for, after whatever whole messages the peer sent (the caller dropped any half one).
pub(super) fn lost(options: &Options, loss: Loss, end: &mut PipeEnd) {
    if options.router_notify.contains(RouterNotify::DISCONNECT) {
        end.write_unchecked(Message::new());
    }
    if let Some(farewell) = options.disconnect_msg.clone().filter(|_| loss.accepted) {
        end.write_unchecked(Message::from_bytes(farewell));
    }
    if let Some(hiccup) = options.hiccup_msg.clone().filter(|_| loss.reconnecting) {
        end.write_unchecked(Message::from_bytes(hiccup));
    }
    end.flush();
}
