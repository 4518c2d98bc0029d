//! What a connection says about its peer, for the messages received through it: libzmq's
//! message properties (`zmq_msg_gets`).
//!
//! A [`Message`](crate::Message) stays a bare body and flags: libzmq hangs a reference-counted
//! metadata pointer on every message, which costs an atomic increment and decrement per
//! message whether anyone looks or not. Here the properties belong to the pipe of the
//! connection instead, set once when its handshake completes; the socket remembers which pipe
//! its last part came from, and only [`Socket::recv_with_properties`] (or
//! [`Socket::last_properties`]) pays for looking them up.
//!
//! [`Socket::recv_with_properties`]: crate::Socket::recv_with_properties
//! [`Socket::last_properties`]: crate::Socket::last_properties

use bytes::Bytes;
use std::os::fd::RawFd;
use std::sync::Arc;
use zmtp::PeerInfo;

/// The properties of a peer connection: everything the peer announced in its handshake
/// (`Socket-Type`, `Identity`, application metadata), and what this side learnt: `User-Id`
/// (the ZAP handler's user id), the ZAP handler's metadata, and `Peer-Address` (the peer's IP
/// address on tcp). Names compare without regard to case; `Routing-Id` reads `Identity`.
///
/// Cheap to clone: one reference count.
///
/// ```
/// use ferrozmq::{Context, REP, REQ};
/// let ctx = Context::new();
/// let server = ctx.socket(REP).unwrap();
/// server.bind("tcp://127.0.0.1:*").unwrap();
/// let client = ctx.socket(REQ).unwrap();
/// client.connect(&server.last_endpoint().unwrap()).unwrap();
/// client.send("hello").unwrap();
///
/// let (msg, properties) = server.recv_with_properties().unwrap();
/// assert_eq!(&msg[..], b"hello");
/// assert_eq!(properties.get_str("Socket-Type"), Some("REQ"));
/// assert_eq!(properties.peer_address(), Some("127.0.0.1"));
/// assert_eq!(properties.user_id(), None); // no authentication on this connection
/// ```
#[derive(Clone, Debug, Default, Eq)]
pub struct Properties {
    list: Option<Arc<[(String, Bytes)]>>,
    /// The descriptor of the connection (tcp, ipc, ws), for libzmq's `ZMQ_SRCFD`.
    source_fd: Option<RawFd>,
}

/// Equal when they hold the same names and values. Every part from one connection carries
/// the same list, so the comparison looks at the pointer first: the C API asks, at every
/// receive, whether the part's properties are the ones it already made a C view of, and
/// comparing the lists name by name cost about 100 instructions a part (callgrind of
/// libzmq's local_thr, 64 B over tcp).
impl PartialEq for Properties {
    fn eq(&self, other: &Self) -> bool {
        self.source_fd == other.source_fd
            && match (&self.list, &other.list) {
                (Some(mine), Some(theirs)) => Arc::ptr_eq(mine, theirs) || mine == theirs,
                (None, None) => true,
                _ => false,
            }
    }
}

/// The property a ZAP handler's user id is found under.
pub const USER_ID: &str = "User-Id";
/// The property the peer's IP address is found under.
pub const PEER_ADDRESS: &str = "Peer-Address";

impl Properties {
    /// No properties (an inproc peer, or nothing received yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// The properties of a connection whose handshake produced `peer`, reached at
    /// `address` (empty when the transport has none).
    pub(crate) fn of_peer(peer: &PeerInfo, address: &str) -> Self {
        let mut list: Vec<(String, Bytes)> = peer
            .metadata
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect();
        if !peer.user_id.is_empty() {
            list.push((USER_ID.to_string(), peer.user_id.clone()));
        }
        list.extend(
            peer.auth_metadata
                .iter()
                .map(|(name, value)| (name.to_string(), value.clone())),
        );
        if !address.is_empty() {
            list.push((
                PEER_ADDRESS.to_string(),
                Bytes::copy_from_slice(address.as_bytes()),
            ));
        }
        Properties {
            list: Some(list.into()),
            source_fd: None,
        }
    }

    /// The properties of a raw connection (STREAM), which carries no handshake: only the
    /// peer's address, when the transport has one.
    pub(crate) fn of_address(address: &str) -> Self {
        if address.is_empty() {
            return Self::new();
        }
        let list = [(
            PEER_ADDRESS.to_string(),
            Bytes::copy_from_slice(address.as_bytes()),
        )];
        Properties {
            list: Some(list.into()),
            source_fd: None,
        }
    }

    /// These properties, of a connection over the descriptor `fd`.
    pub(crate) fn with_source_fd(self, fd: RawFd) -> Self {
        Properties {
            source_fd: Some(fd),
            ..self
        }
    }

    /// The descriptor of the connection (tcp, ipc, ws) the messages came through, as
    /// libzmq's deprecated `ZMQ_SRCFD` gives it: for `getpeername(2)` and the like. It is
    /// the engine's, not the application's: never close it, and expect it to be closed, or
    /// even reused by another connection, once this one ends. `None` for inproc peers.
    pub fn source_fd(&self) -> Option<RawFd> {
        self.source_fd
    }

    /// The value of a property, as bytes.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        let list = self.list.as_deref()?;
        let find = |wanted: &str| {
            list.iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
                .map(|(_, v)| &v[..])
        };
        find(name).or_else(|| {
            // libzmq 4.3 renamed Identity to Routing-Id; peers still send Identity.
            name.eq_ignore_ascii_case("Routing-Id")
                .then(|| find("Identity"))
                .flatten()
        })
    }

    /// The value of a property, when it is text.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The user id the ZAP handler gave the peer (`User-Id`), if it gave one.
    pub fn user_id(&self) -> Option<&str> {
        self.get_str(USER_ID)
    }

    /// The peer's IP address (`Peer-Address`), for tcp connections.
    pub fn peer_address(&self) -> Option<&str> {
        self.get_str(PEER_ADDRESS)
    }

    /// Every property, in order: the peer's, then this side's.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.list
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|(n, v)| (n.as_str(), &v[..]))
    }

    /// True when there are no properties (a [`source_fd`](Self::source_fd) is not one).
    pub fn is_empty(&self) -> bool {
        self.list.as_deref().is_none_or(|l| l.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zmtp::greeting::MechanismName;
    use zmtp::{Metadata, SocketType};

    #[test]
    fn peer_and_authenticator_properties_are_found_by_any_case() {
        let mut metadata = Metadata::new();
        metadata.insert("Socket-Type", "DEALER").unwrap();
        metadata.insert("Identity", "worker-1").unwrap();
        let mut auth_metadata = Metadata::new();
        auth_metadata.insert("Department", "ops").unwrap();
        let peer = PeerInfo {
            socket_type: Some(SocketType::Dealer),
            identity: Bytes::from_static(b"worker-1"),
            version: (3, 1),
            metadata,
            mechanism: MechanismName::PLAIN,
            user_id: Bytes::from_static(b"alice"),
            auth_metadata,
            peer_key: None,
        };
        let properties = Properties::of_peer(&peer, "10.0.0.7");
        assert_eq!(properties.get_str("socket-type"), Some("DEALER"));
        assert_eq!(properties.get_str("Routing-Id"), Some("worker-1"));
        assert_eq!(properties.user_id(), Some("alice"));
        assert_eq!(properties.get_str("DEPARTMENT"), Some("ops"));
        assert_eq!(properties.peer_address(), Some("10.0.0.7"));
        assert_eq!(properties.iter().count(), 5);
        assert!(Properties::new().get("Socket-Type").is_none());
        assert!(Properties::new().is_empty());
        assert_eq!(properties.source_fd(), None);
        assert_eq!(properties.with_source_fd(7).source_fd(), Some(7));
        let descriptor_only = Properties::of_address("").with_source_fd(3);
        assert!(descriptor_only.is_empty());
        assert_ne!(
            descriptor_only,
            Properties::of_address("").with_source_fd(4)
        );
    }

    #[test]
    fn equal_means_the_same_names_and_values_shared_or_not() {
        let first = Properties::of_address("10.0.0.7");
        // A clone shares the list; another connection from the same address has its own.
        assert_eq!(first, first.clone());
        assert_eq!(first, Properties::of_address("10.0.0.7"));
        assert_ne!(first, Properties::of_address("10.0.0.8"));
        assert_ne!(first, Properties::new());
        assert_ne!(first, first.clone().with_source_fd(5));
        assert_eq!(
            first.clone().with_source_fd(5),
            Properties::of_address("10.0.0.7").with_source_fd(5)
        );
    }
}
