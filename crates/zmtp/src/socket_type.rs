//! ZeroMQ socket types, their wire names and which of them may talk to which.

use crate::message::Kind;
use std::fmt;
use std::str::FromStr;

/// A ZeroMQ socket type, as announced in the READY command's `Socket-Type` property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketType {
    /// Exclusive pair.
    Pair,
    /// Publisher.
    Pub,
    /// Subscriber.
    Sub,
    /// Requester.
    Req,
    /// Replier.
    Rep,
    /// Asynchronous requester.
    Dealer,
    /// Asynchronous replier, addressing peers by routing id.
    Router,
    /// Pipeline consumer.
    Pull,
    /// Pipeline producer.
    Push,
    /// Publisher that sees subscriptions.
    XPub,
    /// Subscriber that sends subscriptions as messages.
    XSub,
    /// Raw byte streams to peers that speak no ZMTP (plain tcp clients and servers).
    /// It never takes part in a ZMTP handshake, so no type is compatible with it.
    Stream,
    /// Thread-safe server (draft).
    Server,
    /// Thread-safe client (draft).
    Client,
    /// Group publisher (draft).
    Radio,
    /// Group subscriber (draft).
    Dish,
    /// Thread-safe pipeline consumer (draft).
    Gather,
    /// Thread-safe pipeline producer (draft).
    Scatter,
    /// Raw udp datagrams, each message the peer's address and a body (draft). Like
    /// [`Stream`](SocketType::Stream) it speaks no ZMTP, so no type is compatible with it.
    Dgram,
    /// Peer-to-peer (draft).
    Peer,
    /// Thread-safe exclusive pair (draft).
    Channel,
}

impl SocketType {
    /// Every socket type, in libzmq's numbering order.
    pub const ALL: [SocketType; 21] = [
        SocketType::Pair,
        SocketType::Pub,
        SocketType::Sub,
        SocketType::Req,
        SocketType::Rep,
        SocketType::Dealer,
        SocketType::Router,
        SocketType::Pull,
        SocketType::Push,
        SocketType::XPub,
        SocketType::XSub,
        SocketType::Stream,
        SocketType::Server,
        SocketType::Client,
        SocketType::Radio,
        SocketType::Dish,
        SocketType::Gather,
        SocketType::Scatter,
        SocketType::Dgram,
        SocketType::Peer,
        SocketType::Channel,
    ];

    /// The name used on the wire ("REQ", "XPUB", ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            SocketType::Pair => "PAIR",
            SocketType::Pub => "PUB",
            SocketType::Sub => "SUB",
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
            SocketType::Pull => "PULL",
            SocketType::Push => "PUSH",
            SocketType::XPub => "XPUB",
            SocketType::XSub => "XSUB",
            SocketType::Stream => "STREAM",
            SocketType::Server => "SERVER",
            SocketType::Client => "CLIENT",
            SocketType::Radio => "RADIO",
            SocketType::Dish => "DISH",
            SocketType::Gather => "GATHER",
            SocketType::Scatter => "SCATTER",
            SocketType::Dgram => "DGRAM",
            SocketType::Peer => "PEER",
            SocketType::Channel => "CHANNEL",
        }
    }

    /// Parses a wire name. Matching is exact: the RFC spells socket types in capitals.
    pub fn from_wire(name: &[u8]) -> Option<SocketType> {
        SocketType::ALL
            .into_iter()
            .find(|t| t.as_str().as_bytes() == name)
    }

    /// Whether a socket of this type may exchange messages with a peer of type `peer`
    /// (the table of RFC 37, "The Socket-Type Property").
    pub const fn is_compatible_with(self, peer: SocketType) -> bool {
        use SocketType::*;
        match self {
            Req => matches!(peer, Rep | Router),
            Rep => matches!(peer, Req | Dealer),
            Dealer => matches!(peer, Rep | Dealer | Router),
            Router => matches!(peer, Req | Dealer | Router),
            Pub | XPub => matches!(peer, Sub | XSub),
            Sub | XSub => matches!(peer, Pub | XPub),
            Push => matches!(peer, Pull),
            Pull => matches!(peer, Push),
            Pair => matches!(peer, Pair),
            Client => matches!(peer, Server),
            Server => matches!(peer, Client),
            Radio => matches!(peer, Dish),
            Dish => matches!(peer, Radio),
            Scatter => matches!(peer, Gather),
            Gather => matches!(peer, Scatter),
            Peer => matches!(peer, Peer),
            Channel => matches!(peer, Channel),
            Stream | Dgram => false,
        }
    }

    /// libzmq's number for the type (`ZMQ_PAIR` is 0, `ZMQ_XSUB` 10, `ZMQ_SERVER` 12, ...),
    /// which a ZMTP 2.0 greeting carries.
    pub const fn number(self) -> u8 {
        match self {
            SocketType::Pair => 0,
            SocketType::Pub => 1,
            SocketType::Sub => 2,
            SocketType::Req => 3,
            SocketType::Rep => 4,
            SocketType::Dealer => 5,
            SocketType::Router => 6,
            SocketType::Pull => 7,
            SocketType::Push => 8,
            SocketType::XPub => 9,
            SocketType::XSub => 10,
            SocketType::Stream => 11,
            SocketType::Server => 12,
            SocketType::Client => 13,
            SocketType::Radio => 14,
            SocketType::Dish => 15,
            SocketType::Gather => 16,
            SocketType::Scatter => 17,
            SocketType::Dgram => 18,
            SocketType::Peer => 19,
            SocketType::Channel => 20,
        }
    }

    /// Whether this type existed when peers spoke ZMTP 1.0 and 2.0 (libzmq 2.x and 3.x):
    /// PAIR to XSUB. Only these talk to such peers; the draft types never had one.
    pub const fn has_legacy_peers(self) -> bool {
        self.number() <= SocketType::XSub.number()
    }

    /// The type a ZMTP 2.0 greeting names by its number: one of the types of its time.
    pub fn from_legacy_number(number: u8) -> Option<SocketType> {
        SocketType::ALL
            .into_iter()
            .find(|t| t.has_legacy_peers() && t.number() == number)
    }

    /// Whether this type sends subscriptions upstream.
    pub const fn sends_subscriptions(self) -> bool {
        matches!(self, SocketType::Sub | SocketType::XSub)
    }

    /// Whether this type puts parts of `kind` on the wire as what they are: subscriptions
    /// come from SUB and XSUB, group memberships from DISH, data from everyone.
    pub const fn sends(self, kind: Kind) -> bool {
        match kind {
            Kind::Data => true,
            Kind::Subscribe | Kind::Cancel => self.sends_subscriptions(),
            Kind::Join | Kind::Leave => matches!(self, SocketType::Dish),
        }
    }

    /// Whether parts of `kind` from a peer mean something to this type: subscriptions to PUB
    /// and XPUB, group memberships to RADIO. Commands carrying anything else are dropped.
    ///
    /// ```
    /// use ferrozmq_zmtp::{Kind, SocketType};
    /// assert!(SocketType::XPub.takes(Kind::Subscribe));
    /// assert!(!SocketType::Pull.takes(Kind::Join));
    /// ```
    pub const fn takes(self, kind: Kind) -> bool {
        match kind {
            Kind::Data => true,
            Kind::Subscribe | Kind::Cancel => matches!(self, SocketType::Pub | SocketType::XPub),
            Kind::Join | Kind::Leave => matches!(self, SocketType::Radio),
        }
    }

    /// Whether this type announces its routing id in the READY `Identity` property
    /// (the types a ROUTER can address by a chosen id).
    pub const fn sends_identity(self) -> bool {
        matches!(
            self,
            SocketType::Req | SocketType::Dealer | SocketType::Router
        )
    }
}

impl fmt::Display for SocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown socket type name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownSocketType(pub String);

impl fmt::Display for UnknownSocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown socket type '{}'", self.0)
    }
}

impl std::error::Error for UnknownSocketType {}

impl FromStr for SocketType {
    type Err = UnknownSocketType;

    /// Parses a socket type name in any case ("req", "XPUB").
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SocketType::from_wire(s.to_ascii_uppercase().as_bytes())
            .ok_or_else(|| UnknownSocketType(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for t in SocketType::ALL {
            assert_eq!(SocketType::from_wire(t.as_str().as_bytes()), Some(t));
            assert_eq!(t.as_str().to_lowercase().parse::<SocketType>(), Ok(t));
        }
        assert_eq!(SocketType::from_wire(b"req"), None);
        assert!("bogus".parse::<SocketType>().is_err());
    }

    #[test]
    fn compatibility_is_symmetric() {
        for a in SocketType::ALL {
            for b in SocketType::ALL {
                assert_eq!(
                    a.is_compatible_with(b),
                    b.is_compatible_with(a),
                    "{a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn seed_patterns_are_compatible_and_mismatches_are_not() {
        use SocketType::*;
        assert!(Req.is_compatible_with(Rep));
        assert!(Pub.is_compatible_with(Sub));
        assert!(Push.is_compatible_with(Pull));
        assert!(!Req.is_compatible_with(Req));
        assert!(!Push.is_compatible_with(Sub));
        assert!(!Pub.is_compatible_with(Pub));
    }
}
