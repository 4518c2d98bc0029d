//! udp sockets for RADIO and DISH: a DISH binds an address (and joins the multicast group
//! when the address is one), a RADIO sends to one address, unicast or multicast.

use super::bind_error;
use crate::endpoint::{self, Endpoint};
use crate::error::{Error, Result};
use crate::sys;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

/// Binds a DISH's udp endpoint; returns the socket and the endpoint as bound (ephemeral
/// port resolved). A multicast address binds its port on every interface, shared with the
/// host's other members, and joins the group on the interface the routing table picks.
pub(crate) fn bind(endpoint: &Endpoint, ipv6: bool) -> Result<(mio::net::UdpSocket, String)> {
    let Endpoint::Udp { host, port } = endpoint else {
        return Err(Error::InvalidEndpoint(endpoint.to_string()));
    };
    let addr = Endpoint::bind_addr(host, *port, ipv6)?;
    let group = addr.ip();
    let socket = if group.is_multicast() {
        let every_interface = match group {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        let socket = sys::udp_bind(&SocketAddr::new(every_interface, addr.port()), true)
            .map_err(|e| bind_error(e, endpoint))?;
        match group {
            IpAddr::V4(group) => socket.join_multicast_v4(&group, &Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(group) => socket.join_multicast_v6(&group, 0),
        }
        .map_err(|e| bind_error(e, endpoint))?;
        socket
    } else {
        sys::udp_bind(&addr, false).map_err(|e| bind_error(e, endpoint))?
    };
    let port = socket.local_addr()?.port();
    let bound = SocketAddr::new(group, port);
    Ok((
        mio::net::UdpSocket::from_std(socket),
        endpoint::udp_text(&bound),
    ))
}

/// Opens a RADIO's udp socket for sending to `endpoint`; returns it with the destination.
/// Multicast datagrams cross at most `hops` routers and loop back to members on this host.
pub(crate) fn sender(
    endpoint: &Endpoint,
    ipv6: bool,
    hops: u32,
    multicast_loop: bool,
) -> Result<(mio::net::UdpSocket, SocketAddr)> {
    let to = endpoint
        .connect_addrs(ipv6)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::AddrNotAvailable(endpoint.to_string()))?;
    let any_port = match to {
        SocketAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        SocketAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    };
    let socket = UdpSocket::bind(any_port)?;
    socket.set_nonblocking(true)?;
    if to.ip().is_multicast() {
        sys::set_multicast_hops(&socket, to.is_ipv6(), hops)?;
        if to.is_ipv6() {
            socket.set_multicast_loop_v6(multicast_loop)?;
        } else {
            socket.set_multicast_loop_v4(multicast_loop)?;
        }
    }
    Ok((mio::net::UdpSocket::from_std(socket), to))
}
