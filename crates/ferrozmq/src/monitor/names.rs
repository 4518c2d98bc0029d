//! The two endpoints of each connection, as the version 2 wire feed names them: what the
//! engine reports (one endpoint: the listener's for connections it accepted, the one given
//! to connect for connections made) completed with what the kernel says of the connection.

use crate::sys::{endpoint_of, SocketEnd};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, OnceLock, Weak};

use super::EventKind;

/// A connection's (or a listener's) local and remote endpoint; either may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ConnectionNames {
    pub(crate) local: String,
    pub(crate) remote: String,
}

/// Where the names of an accepted connection go once known: the socket's pipe for it.
pub(crate) type NameSlot = Arc<OnceLock<ConnectionNames>>;

struct Connection {
    endpoint: String,
    names: ConnectionNames,
    accepted: bool,
    handshaken: bool,
}

/// What a monitor hub has learnt of its socket's listeners and connections, while a
/// version 2 feed runs.
#[derive(Default)]
pub(super) struct NameBook {
    /// Listening descriptors and their endpoints, from LISTENING to CLOSED.
    listeners: HashMap<u32, String>,
    /// Connections by descriptor, from CONNECTED or ACCEPTED to DISCONNECTED (a descriptor
    /// reused by a later connection replaces the entry).
    connections: HashMap<u32, Connection>,
    /// Per bound endpoint, pipes the socket attached whose connection has not reported its
    /// handshake yet, and connections that reported theirs before their pipe was attached.
    /// Both come in handshake order, so the n-th of each belong together.
    waiting_pipes: HashMap<String, VecDeque<Weak<OnceLock<ConnectionNames>>>>,
    waiting_connections: HashMap<String, VecDeque<(u32, ConnectionNames)>>,
}

impl NameBook {
    fn is_bound(&self, endpoint: &str) -> bool {
        self.listeners.values().any(|e| e == endpoint)
    }

    /// The names of an event the engine reported with `endpoint` (and, for events about
    /// one connection, its descriptor), learning what it tells.
    pub(super) fn observe(
        &mut self,
        kind: EventKind,
        connection: Option<u32>,
        endpoint: &str,
    ) -> ConnectionNames {
        let fallback = |book: &Self| {
            if book.is_bound(endpoint) {
                ConnectionNames {
                    local: endpoint.to_string(),
                    remote: String::new(),
                }
            } else {
                ConnectionNames {
                    local: String::new(),
                    remote: endpoint.to_string(),
                }
            }
        };
        match (kind, connection) {
            (EventKind::MonitorStopped, _) => ConnectionNames::default(),
            (EventKind::Listening, Some(fd)) => {
                self.listeners.insert(fd, endpoint.to_string());
                fallback(self)
            }
            (EventKind::Closed, Some(fd))
                if self.listeners.get(&fd).is_some_and(|e| e == endpoint) =>
            {
                let names = fallback(self);
                self.listeners.remove(&fd);
                names
            }
            (EventKind::Accepted, Some(fd)) => {
                let names = ConnectionNames {
                    local: endpoint.to_string(),
                    remote: kernel_name(fd, SocketEnd::Peer, endpoint),
                };
                self.remember(fd, endpoint, &names, true);
                names
            }
            (EventKind::Connected, Some(fd)) => {
                let names = ConnectionNames {
                    local: kernel_name(fd, SocketEnd::Local, endpoint),
                    remote: endpoint.to_string(),
                };
                self.remember(fd, endpoint, &names, false);
                names
            }
            (EventKind::HandshakeSucceeded, Some(fd)) => match self.connections.get_mut(&fd) {
                Some(c) if c.endpoint == endpoint => {
                    c.handshaken = true;
                    let (names, accepted) = (c.names.clone(), c.accepted);
                    if accepted {
                        self.handshaken(fd, endpoint, &names);
                    }
                    names
                }
                _ => fallback(self),
            },
            (EventKind::Disconnected, Some(fd)) => match self.connections.remove(&fd) {
                Some(c) if c.endpoint == endpoint => {
                    if let Some(queue) = self.waiting_connections.get_mut(endpoint) {
                        queue.retain(|(waiting, _)| *waiting != fd);
                    }
                    c.names
                }
                _ => fallback(self),
            },
            _ => fallback(self),
        }
    }

    fn remember(&mut self, fd: u32, endpoint: &str, names: &ConnectionNames, accepted: bool) {
        let connection = Connection {
            endpoint: endpoint.to_string(),
            names: names.clone(),
            accepted,
            handshaken: false,
        };
        self.connections.insert(fd, connection);
    }

    /// An accepted connection completed its handshake: its pipe is (or will be) the next
    /// one the socket attaches from this endpoint.
    fn handshaken(&mut self, fd: u32, endpoint: &str, names: &ConnectionNames) {
        if let Some(pipes) = self.waiting_pipes.get_mut(endpoint) {
            while let Some(slot) = pipes.pop_front() {
                if let Some(slot) = slot.upgrade() {
                    let _ = slot.set(names.clone());
                    return;
                }
            }
        }
        self.waiting_connections
            .entry(endpoint.to_string())
            .or_default()
            .push_back((fd, names.clone()));
    }

    /// The socket attached a pipe that came through `endpoint`: a slot that receives its
    /// connection's names, when the endpoint is one the socket listens on (each of its
    /// connections has a pipe of its own). `None` for other endpoints, whose names
    /// [`pipe_names`](Self::pipe_names) finds when asked.
    pub(super) fn attached(&mut self, endpoint: &str) -> Option<NameSlot> {
        if !self.is_bound(endpoint) {
            return None;
        }
        let slot = NameSlot::default();
        let early = self
            .waiting_connections
            .get_mut(endpoint)
            .and_then(VecDeque::pop_front);
        match early {
            Some((_, names)) => {
                let _ = slot.set(names);
            }
            None => {
                let pipes = self.waiting_pipes.entry(endpoint.to_string()).or_default();
                pipes.retain(|p| p.strong_count() > 0);
                pipes.push_back(Arc::downgrade(&slot));
            }
        }
        Some(slot)
    }

    /// The names of a pipe that came through `endpoint`: those its slot received, or for a
    /// connect, those of the endpoint's current connection.
    pub(super) fn pipe_names(&self, endpoint: &str, slot: Option<&NameSlot>) -> ConnectionNames {
        if let Some(names) = slot.and_then(|s| s.get()) {
            return names.clone();
        }
        if self.is_bound(endpoint) {
            return ConnectionNames {
                local: endpoint.to_string(),
                remote: String::new(),
            };
        }
        self.connections
            .values()
            .find(|c| !c.accepted && c.handshaken && c.endpoint == endpoint)
            .map(|c| c.names.clone())
            .unwrap_or_else(|| ConnectionNames {
                local: String::new(),
                remote: endpoint.to_string(),
            })
    }
}

/// The kernel's name for one end of the connection `fd`, in the scheme of its `endpoint`:
/// a ws:// connection is tcp to the kernel, and libzmq names its ends `ws://address:port`.
fn kernel_name(fd: u32, end: SocketEnd, endpoint: &str) -> String {
    let name = endpoint_of(fd as i32, end).unwrap_or_default();
    match name.strip_prefix("tcp://") {
        Some(address) if endpoint.starts_with("ws://") => format!("ws://{address}"),
        _ => name,
    }
}
