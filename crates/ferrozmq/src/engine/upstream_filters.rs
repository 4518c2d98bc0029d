//! What a receiving socket has asked its peer to send it: a SUB's or XSUB's subscriptions, a
//! DISH's groups.
//!
//! The socket says each change once, into a pipe that outlives connections; the peer of a
//! new connection knows nothing of what the last one was told, so the connection notes what
//! is in force as it goes by and says it all again after each handshake.

use bytes::Bytes;
use std::collections::HashSet;
use zmtp::{Kind, Message, SocketType};

/// See the module documentation.
pub(super) struct UpstreamFilters {
    groups: bool,
    /// Prefixes subscribed, or groups joined. Publishers count a prefix once per peer, and
    /// a group is joined or not, so a set is the whole state.
    in_force: HashSet<Bytes>,
}

impl UpstreamFilters {
    /// The record for a socket of this type, if the type tells its peers what to send.
    pub(super) fn for_socket(socket_type: SocketType) -> Option<Self> {
        let groups = match socket_type {
            SocketType::Sub | SocketType::XSub => false,
            SocketType::Dish => true,
            _ => return None,
        };
        Some(UpstreamFilters {
            groups,
            in_force: HashSet::new(),
        })
    }

    /// Notes a message on its way to the peer: subscriptions and joins add, cancellations
    /// and leaves remove, data changes nothing.
    #[inline]
    pub(super) fn track(&mut self, msg: &Message) {
        match msg.kind() {
            Kind::Data => {}
            Kind::Subscribe | Kind::Join => {
                self.in_force.insert(Bytes::copy_from_slice(msg));
            }
            Kind::Cancel | Kind::Leave => {
                self.in_force.remove(msg.as_slice());
            }
        }
    }

    /// The messages that tell a new peer everything in force.
    pub(super) fn announcements(&self) -> impl Iterator<Item = Message> + '_ {
        self.in_force.iter().map(|filter| {
            if self.groups {
                Message::membership(filter, true)
            } else {
                Message::subscription(filter, true)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announced(filters: &UpstreamFilters) -> Vec<(Kind, Vec<u8>)> {
        let mut all: Vec<_> = filters
            .announcements()
            .map(|m| (m.kind(), m.to_vec()))
            .collect();
        all.sort_by(|a, b| a.1.cmp(&b.1));
        all
    }

    #[test]
    fn a_dish_announces_the_groups_it_still_joins() {
        let mut filters = UpstreamFilters::for_socket(SocketType::Dish).unwrap();
        filters.track(&Message::membership(b"news", true));
        filters.track(&Message::membership(b"sport", true));
        filters.track(&Message::from("data changes nothing"));
        filters.track(&Message::membership(b"news", false));
        assert_eq!(announced(&filters), vec![(Kind::Join, b"sport".to_vec())]);
    }

    #[test]
    fn a_subscriber_announces_its_prefixes_once_each() {
        let mut filters = UpstreamFilters::for_socket(SocketType::Sub).unwrap();
        filters.track(&Message::subscription(b"a", true));
        filters.track(&Message::subscription(b"a", true));
        filters.track(&Message::subscription(b"b", true));
        filters.track(&Message::subscription(b"b", false));
        assert_eq!(announced(&filters), vec![(Kind::Subscribe, b"a".to_vec())]);
    }

    #[test]
    fn senders_keep_no_record() {
        for socket_type in [SocketType::Pub, SocketType::Radio, SocketType::Push] {
            assert!(UpstreamFilters::for_socket(socket_type).is_none());
        }
    }
}
