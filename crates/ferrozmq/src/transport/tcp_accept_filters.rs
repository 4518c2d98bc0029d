//! `ZMQ_TCP_ACCEPT_FILTER`: which addresses a tcp listener lets in, as numeric addresses
//! with an optional prefix length (`192.168.1.0/24`, `::1`, `0.0.0.0/0`). With no filter
//! every peer is let in; otherwise a peer is let in when any filter matches its address.
//! (libzmq deprecates the option in favour of ZAP; it stays because programs still set it.)

use std::net::IpAddr;
use std::str::FromStr;

/// One address and how many of its leading bits a peer's address must share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TcpAcceptFilter {
    network: IpAddr,
    prefix_len: u8,
}

impl FromStr for TcpAcceptFilter {
    type Err = ();

    /// `address` or `address/prefix`, the address numeric (no names: a filter is checked
    /// on every accept and must not wait for a resolver), the prefix at most the address's
    /// bit length.
    fn from_str(text: &str) -> Result<Self, ()> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().map_err(|_| ())?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix_len = match prefix {
            None => bits,
            // `u8::from_str` takes a leading `+`; a prefix is digits only.
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().map_err(|_| ())?
            }
            Some(_) => return Err(()),
        };
        if prefix_len > bits {
            return Err(());
        }
        Ok(TcpAcceptFilter {
            network,
            prefix_len,
        })
    }
}

impl TcpAcceptFilter {
    /// Whether `peer` is in this filter's network. An IPv4 peer reaching an IPv6 listener
    /// arrives as `::ffff:a.b.c.d`; it is compared as the IPv4 address it is.
    fn matches(&self, peer: IpAddr) -> bool {
        match (self.network, peer.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(peer)) => {
                same_prefix(&net.octets(), &peer.octets(), self.prefix_len)
            }
            (IpAddr::V6(net), IpAddr::V6(peer)) => {
                same_prefix(&net.octets(), &peer.octets(), self.prefix_len)
            }
            _ => false,
        }
    }
}

/// Whether the first `bits` bits of `a` and `b` agree.
fn same_prefix(a: &[u8], b: &[u8], bits: u8) -> bool {
    let whole = usize::from(bits / 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    let rest = bits % 8;
    rest == 0 || (a[whole] ^ b[whole]) >> (8 - rest) == 0
}

/// The filters of a socket's tcp listeners.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TcpAcceptFilters(pub(crate) Vec<TcpAcceptFilter>);

impl TcpAcceptFilters {
    /// Whether a peer at `peer` may stay connected.
    pub(crate) fn admits(&self, peer: IpAddr) -> bool {
        self.0.is_empty() || self.0.iter().any(|f| f.matches(peer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(list: &[&str]) -> TcpAcceptFilters {
        TcpAcceptFilters(list.iter().map(|f| f.parse().unwrap()).collect())
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn malformed_filters_are_refused() {
        for bad in [
            "foo",
            "0.0.0.0foo",
            "0.0.0.0/foo",
            "0.0.0.0/",
            "0.0.0.0/-1",
            "0.0.0.0/+8",
            "0.0.0.0/33",
            "::1/129",
            "localhost",
            "",
            "/8",
        ] {
            assert!(bad.parse::<TcpAcceptFilter>().is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses_match_by_prefix() {
        let lan = filters(&["192.168.1.0/24"]);
        assert!(lan.admits(ip("192.168.1.77")));
        assert!(!lan.admits(ip("192.168.2.1")));
        let odd = filters(&["10.0.0.0/9"]);
        assert!(odd.admits(ip("10.127.255.255")));
        assert!(!odd.admits(ip("10.128.0.0")));
        let host = filters(&["127.0.0.1"]);
        assert!(host.admits(ip("127.0.0.1")));
        assert!(!host.admits(ip("127.0.0.2")));
        assert!(filters(&["0.0.0.0/0"]).admits(ip("203.0.113.9")));
    }

    #[test]
    fn any_filter_lets_a_peer_in_and_none_lets_everyone_in() {
        let two = filters(&["127.0.0.255/32", "127.0.0.1/32"]);
        assert!(two.admits(ip("127.0.0.1")));
        assert!(!two.admits(ip("127.0.0.3")));
        assert!(TcpAcceptFilters::default().admits(ip("198.51.100.1")));
    }

    #[test]
    fn ipv4_peers_of_ipv6_listeners_match_ipv4_filters_and_families_stay_apart() {
        let v4 = filters(&["127.0.0.0/8"]);
        assert!(v4.admits(ip("::ffff:127.0.0.1")));
        assert!(!v4.admits(ip("::1")));
        let v6 = filters(&["fe80::/10"]);
        assert!(v6.admits(ip("fe80::1")));
        assert!(!v6.admits(ip("127.0.0.1")));
    }
}
