//! What the command does with each socket type: what the socket command does with it,
//! how its messages are addressed, and the side a bare endpoint takes.
//!
//! Supporting a new socket type in the command means adding its row to
//! [`Behaviour::of`].

use crate::endpoints::Side;
use ferrozmq::SocketType;

/// How the socket command drives a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Sends each message, then prints the reply (REQ).
    Request,
    /// Prints each request, then replies (REP).
    Reply,
    /// Only sends (PUB, PUSH, SCATTER; RADIO, to its `--group`).
    Send,
    /// Only receives and prints (SUB, PULL, GATHER; DISH, from its `--group`s).
    Receive,
    /// Sends its `--send` values, if any, and prints every message that arrives (DEALER,
    /// PAIR, XPUB, XSUB, CLIENT, CHANNEL).
    Exchange,
    /// Prints each message with its sender's routing id first; with `--send`, answers each
    /// message to its sender (ROUTER, SERVER).
    Route,
    /// PEER, STREAM: prints each message with its sender's routing id first. With
    /// `--send`, a socket that connected somewhere speaks first, sending the values in turn
    /// to the peers it connected to, as [`Exchange`](Role::Exchange) does; one that only
    /// binds has nobody to speak to first, so it answers each message to its sender, as
    /// [`Route`](Role::Route) does.
    Converse,
}

impl Role {
    /// Whether `--send` means something: messages to send, or answers.
    pub fn takes_send_values(self) -> bool {
        !matches!(self, Role::Reply | Role::Receive)
    }

    /// Whether, without `--send`, each line of standard input is a message to send.
    pub fn reads_standard_input(self) -> bool {
        matches!(self, Role::Request | Role::Send)
    }
}

/// How a socket type's messages say who they are from or for, which decides how the
/// command sends, receives and prints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Messages of any number of parts, printed part by part.
    Parts,
    /// ROUTER: the first part is the routing id of the peer a message came from or goes
    /// to, printed as text or hex.
    RoutingIdPart,
    /// XPUB: what arrives are subscription notices (`\x01PREFIX`, `\x00PREFIX`), printed
    /// as `+PREFIX` and `-PREFIX`; other messages are printed part by part.
    SubscriptionNotices,
    /// SERVER, PEER: single-part messages beside a numeric routing id, printed in decimal.
    RoutingId,
    /// RADIO, DISH: single-part messages beside the group they are sent to.
    Group,
}

/// What the command knows of a socket type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Behaviour {
    /// What the socket command does with it.
    pub role: Role,
    /// How its messages are addressed.
    pub layout: Layout,
    /// The side a bare endpoint takes: the types that are usually the stable end of a
    /// topology bind.
    pub usual_side: Side,
}

impl Behaviour {
    /// What the command does with `socket_type`, or `None` for a type it does not know.
    pub fn of(socket_type: SocketType) -> Option<Behaviour> {
        use Layout::*;
        use Role::*;
        use Side::*;
        // The single-part types (CLIENT, SCATTER, GATHER, CHANNEL) behave as the classic
        // types they restrict. Over udp a DISH can only bind and a RADIO only connect,
        // which is what they do by default over every transport.
        let (role, layout, usual_side) = match socket_type {
            SocketType::Req => (Request, Parts, Connect),
            SocketType::Rep => (Reply, Parts, Bind),
            SocketType::Pub => (Send, Parts, Bind),
            SocketType::Sub => (Receive, Parts, Connect),
            SocketType::Push => (Send, Parts, Connect),
            SocketType::Pull => (Receive, Parts, Bind),
            SocketType::Dealer => (Exchange, Parts, Connect),
            SocketType::Router => (Route, RoutingIdPart, Bind),
            SocketType::Stream => (Converse, RoutingIdPart, Bind),
            SocketType::Pair => (Exchange, Parts, Connect),
            SocketType::XPub => (Exchange, SubscriptionNotices, Bind),
            SocketType::XSub => (Exchange, Parts, Connect),
            SocketType::Server => (Route, RoutingId, Bind),
            SocketType::Client => (Exchange, Parts, Connect),
            SocketType::Scatter => (Send, Parts, Connect),
            SocketType::Gather => (Receive, Parts, Bind),
            SocketType::Peer => (Converse, RoutingId, Connect),
            SocketType::Channel => (Exchange, Parts, Connect),
            SocketType::Radio => (Send, Group, Connect),
            SocketType::Dish => (Receive, Group, Bind),
            _ => return None,
        };
        Some(Behaviour {
            role,
            layout,
            usual_side,
        })
    }
}

/// The side a bare endpoint takes for `socket_type`; a type the command does not know
/// connects.
pub fn usual_side(socket_type: SocketType) -> Side {
    Behaviour::of(socket_type).map_or(Side::Connect, |b| b.usual_side)
}

/// A socket type as the command line writes it: `req`, `xpub`.
pub fn type_name(socket_type: SocketType) -> String {
    socket_type.as_str().to_ascii_lowercase()
}

/// The socket types the command drives, lower case, for help and error messages.
pub fn supported_type_names() -> String {
    SocketType::ALL
        .into_iter()
        .filter(|t| Behaviour::of(*t).is_some())
        .map(type_name)
        .collect::<Vec<_>>()
        .join(", ")
}
