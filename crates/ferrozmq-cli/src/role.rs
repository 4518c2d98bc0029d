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
}

impl Role {
    /// The role of `socket_type`, or `None` when the command does not drive that type yet.
    pub fn of(socket_type: SocketType) -> Option<Role> {
        match socket_type {
            SocketType::Req => Some(Role::Request),
            SocketType::Rep => Some(Role::Reply),
            SocketType::Pub | SocketType::Push => Some(Role::Send),
            SocketType::Sub | SocketType::Pull => Some(Role::Receive),
            _ => None,
        }
    }

    /// Whether the command sends messages of its own (`--send`, standard input,
    /// `--interval`).
    pub fn originates_messages(self) -> bool {
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
