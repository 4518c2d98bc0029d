//! What the socket command does with each socket type.
//!
//! Supporting a new socket type in the command means giving it a role here (and, if it
//! binds by default, listing it in `endpoints`).

use ferrozmq::SocketType;

/// How the socket command drives a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Sends each message, then prints the reply (REQ).
    Request,
    /// Prints each request, then replies (REP).
    Reply,
    /// Only sends (PUB, PUSH).
    Send,
    /// Only receives and prints (SUB, PULL).
    Receive,
    /// Sends its `--send` values, if any, and prints every message that arrives (DEALER,
    /// PAIR, XPUB, XSUB).
    Exchange,
    /// Prints each message with its sender's routing id first; with `--send`, answers each
    /// message to its sender (ROUTER).
    Route,
}

impl Role {
    /// The role of `socket_type`, or `None` when the command does not drive that type yet.
    pub fn of(socket_type: SocketType) -> Option<Role> {
        match socket_type {
            SocketType::Req => Some(Role::Request),
            SocketType::Rep => Some(Role::Reply),
            SocketType::Pub | SocketType::Push => Some(Role::Send),
            SocketType::Sub | SocketType::Pull => Some(Role::Receive),
            SocketType::Dealer | SocketType::Pair | SocketType::XPub | SocketType::XSub => {
                Some(Role::Exchange)
            }
            SocketType::Router => Some(Role::Route),
            _ => None,
        }
    }

    /// Whether `--send` means something: messages to send, or a ROUTER's answers.
    pub fn takes_send_values(self) -> bool {
        !matches!(self, Role::Reply | Role::Receive)
    }

    /// Whether, without `--send`, each line of standard input is a message to send.
    pub fn reads_standard_input(self) -> bool {
        matches!(self, Role::Request | Role::Send)
    }
}

/// The socket types the command drives, lower case, for help and error messages.
pub fn supported_type_names() -> String {
    SocketType::ALL
        .into_iter()
        .filter(|t| Role::of(*t).is_some())
        .map(|t| t.as_str().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}
