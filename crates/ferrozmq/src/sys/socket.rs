//! The sockets the library makes itself (tcp listeners and connects, udp), and the options
//! set on them, through `socket2`.

use crate::options::Tuning;
use socket2::{Domain, SockAddr, SockRef, Socket, TcpKeepalive, Type};
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// The room an interface name has for SO_BINDTODEVICE, its terminating NUL included.
pub(crate) const IFNAMSIZ: usize = libc::IFNAMSIZ;

/// A non-blocking listening tcp socket with the given backlog. IPv6 wildcards also accept
/// IPv4 (dual stack), as libzmq's do with the IPv6 option.
pub(crate) fn tcp_listen(
    addr: &SocketAddr,
    backlog: i32,
    tuning: &Tuning,
) -> io::Result<TcpListener> {
    let socket = new_socket(addr, Type::STREAM)?;
    // Buffer sizes and the device must be set before bind and listen to take effect (and
    // are inherited by accepted connections).
    apply_tuning(&socket, tuning, true, addr.is_ipv6())?;
    bind_socket(&socket, addr, true)?;
    socket.listen(backlog.max(1))?;
    Ok(socket.into())
}

/// A non-blocking udp socket bound to `addr`. With `share_port`, other sockets may bind the
/// same port too, as every member of a multicast group on one host must.
pub(crate) fn udp_bind(addr: &SocketAddr, share_port: bool) -> io::Result<UdpSocket> {
    let socket = new_socket(addr, Type::DGRAM)?;
    bind_socket(&socket, addr, share_port)?;
    Ok(socket.into())
}

/// Sets how many routers the multicast datagrams `socket` sends may cross (IPv4 TTL or IPv6
/// hop limit; the standard library has only the IPv4 one).
pub(crate) fn set_multicast_hops(socket: &UdpSocket, ipv6: bool, hops: u32) -> io::Result<()> {
    // The kernel takes an int: a larger count would arrive negative.
    if i32::try_from(hops).is_err() {
        return Err(io::ErrorKind::InvalidInput.into());
    }
    let socket = SockRef::from(socket);
    if ipv6 {
        socket.set_multicast_hops_v6(hops)
    } else {
        socket.set_multicast_ttl_v4(hops)
    }
}

/// Starts a non-blocking tcp connect from a socket tuned before it connects (buffer sizes,
/// device and keepalive must precede the handshake to count), bound first to `source` when
/// one is given (port 0: any).
pub(crate) fn tcp_connect(
    addr: &SocketAddr,
    source: Option<&SocketAddr>,
    tuning: &Tuning,
) -> io::Result<TcpStream> {
    let socket = new_socket(addr, Type::STREAM)?;
    apply_tuning(&socket, tuning, true, addr.is_ipv6())?;
    if let Some(source) = source {
        // Connections to different peers may share one source address and port; without
        // SO_REUSEADDR the second bind would fail while the first connection lives.
        socket.set_reuse_address(true)?;
        socket.bind(&SockAddr::from(*source))?;
    }
    match socket.connect(&SockAddr::from(*addr)) {
        Err(e) if e.raw_os_error() != Some(libc::EINPROGRESS) => Err(e),
        _ => Ok(socket.into()),
    }
}

/// A fresh non-blocking, close-on-exec socket of the address's family.
fn new_socket(addr: &SocketAddr, kind: Type) -> io::Result<Socket> {
    // socket2 makes every socket close-on-exec.
    Socket::new(Domain::for_address(*addr), kind.nonblocking(), None)
}

/// Binds `socket` to `addr`; an IPv6 socket takes IPv4 too (dual stack).
fn bind_socket(socket: &Socket, addr: &SocketAddr, reuse_addr: bool) -> io::Result<()> {
    if reuse_addr {
        socket.set_reuse_address(true)?;
    }
    if addr.is_ipv6() {
        socket.set_only_v6(false)?;
    }
    socket.bind(&SockAddr::from(*addr))
}

/// Applies the operating-system knobs of [`Tuning`] that are set; `tcp` says whether the
/// tcp-only ones (keepalive, retransmission timeout) apply. Failures are returned: the
/// caller decides whether a refused knob matters.
pub(crate) fn apply_tuning(
    socket: &impl AsFd,
    tuning: &Tuning,
    tcp: bool,
    ipv6: bool,
) -> io::Result<()> {
    let socket = SockRef::from(socket);
    // The set knobs are never negative (the option setters take unsigned values or -1 for
    // "leave"), so the conversions below keep the value the kernel gets.
    if tuning.sndbuf >= 0 {
        socket.set_send_buffer_size(tuning.sndbuf as usize)?;
    }
    if tuning.rcvbuf >= 0 {
        socket.set_recv_buffer_size(tuning.rcvbuf as usize)?;
    }
    // The type of service goes first: on Linux, IP_TOS also sets SO_PRIORITY from its bits,
    // so a priority the application asked for must come after it to hold.
    if tcp && tuning.tos != 0 {
        if ipv6 {
            socket.set_tclass_v6(tuning.tos as u32)?;
        } else {
            socket.set_tos_v4(tuning.tos as u32)?;
        }
    }
    if tuning.priority != 0 {
        socket.set_priority(tuning.priority as u32)?;
    }
    if !tcp {
        return Ok(());
    }
    if tuning.tcp_keepalive >= 0 {
        socket.set_keepalive(tuning.tcp_keepalive != 0)?;
    }
    if tuning.tcp_keepalive == 1 {
        let seconds = |value: i32| Duration::from_secs(value as u64);
        let mut keepalive = TcpKeepalive::new();
        if tuning.tcp_keepalive_idle > 0 {
            keepalive = keepalive.with_time(seconds(tuning.tcp_keepalive_idle));
        }
        if tuning.tcp_keepalive_intvl > 0 {
            keepalive = keepalive.with_interval(seconds(tuning.tcp_keepalive_intvl));
        }
        if tuning.tcp_keepalive_cnt > 0 {
            keepalive = keepalive.with_retries(tuning.tcp_keepalive_cnt as u32);
        }
        // Sets only the knobs given (and SO_KEEPALIVE again, already on).
        socket.set_tcp_keepalive(&keepalive)?;
    }
    if tuning.tcp_maxrt > 0 {
        let timeout = Duration::from_millis(tuning.tcp_maxrt as u64);
        socket.set_tcp_user_timeout(Some(timeout))?;
    }
    if !tuning.bind_to_device.is_empty() {
        socket.bind_device(Some(tuning.bind_to_device.as_bytes()))?;
    }
    Ok(())
}

/// A close-on-exec duplicate of `fd`, a descriptor the application keeps (`ZMQ_USE_FD`).
pub(crate) fn duplicate(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC only reads `fd`; a bad one fails with EBADF.
    let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if dup < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `dup` is a fresh descriptor nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(dup) })
}

/// Whether `socket` is a socket that listens (SO_ACCEPTCONN); an error when it is no
/// socket at all.
pub(crate) fn is_listening(socket: &impl AsFd) -> io::Result<bool> {
    SockRef::from(socket).is_listener()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listens_on_an_ephemeral_port_and_refuses_a_second_bind() {
        let l = tcp_listen(&"127.0.0.1:0".parse().unwrap(), 10, &Tuning::default()).unwrap();
        let addr = l.local_addr().unwrap();
        assert_ne!(addr.port(), 0);
        assert!(is_listening(&l).unwrap());
        let err = tcp_listen(&addr, 10, &Tuning::default()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    }

    #[test]
    fn udp_ports_are_shared_only_when_asked() {
        let first = udp_bind(&"127.0.0.1:0".parse().unwrap(), true).unwrap();
        let addr = first.local_addr().unwrap();
        assert!(udp_bind(&addr, true).is_ok());
        let lone = udp_bind(&"127.0.0.1:0".parse().unwrap(), false).unwrap();
        let err = udp_bind(&lone.local_addr().unwrap(), false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    }

    #[test]
    fn ipv6_listeners_take_ipv4_too() {
        let Ok(l) = tcp_listen(&"[::]:0".parse().unwrap(), 10, &Tuning::default()) else {
            return; // no IPv6 on this host
        };
        assert!(!SockRef::from(&l).only_v6().unwrap());
    }

    #[test]
    fn tuning_reaches_the_socket_before_it_connects() {
        let l = tcp_listen(&"127.0.0.1:0".parse().unwrap(), 10, &Tuning::default()).unwrap();
        let tuning = Tuning {
            tcp_keepalive: 1,
            tcp_keepalive_idle: 77,
            tcp_keepalive_intvl: 9,
            tcp_keepalive_cnt: 4,
            sndbuf: 65536,
            tcp_maxrt: 1234,
            priority: 5,
            ..Tuning::default()
        };
        let stream = tcp_connect(&l.local_addr().unwrap(), None, &tuning).unwrap();
        let socket = SockRef::from(&stream);
        assert!(socket.keepalive().unwrap());
        assert_eq!(
            socket.tcp_keepalive_time().unwrap(),
            Duration::from_secs(77)
        );
        assert_eq!(
            socket.tcp_keepalive_interval().unwrap(),
            Duration::from_secs(9)
        );
        assert_eq!(socket.tcp_keepalive_retries().unwrap(), 4);
        assert_eq!(
            socket.tcp_user_timeout().unwrap(),
            Some(Duration::from_millis(1234))
        );
        assert_eq!(socket.priority().unwrap(), 5);
        // Linux doubles the requested size for its own bookkeeping.
        assert!(socket.send_buffer_size().unwrap() >= 65536);
        assert!(!is_listening(&stream).unwrap());

        // Both: IP_TOS also sets SO_PRIORITY on Linux, so the priority asked for must
        // still be there after the type of service.
        let both = Tuning {
            tos: 0x28,
            priority: 5,
            ..Tuning::default()
        };
        let stream = tcp_connect(&l.local_addr().unwrap(), None, &both).unwrap();
        assert_eq!(SockRef::from(&stream).tos_v4().unwrap(), 0x28);
        assert_eq!(SockRef::from(&stream).priority().unwrap(), 5);
    }

    #[test]
    fn a_connect_from_a_source_address_binds_it() {
        let l = tcp_listen(&"127.0.0.1:0".parse().unwrap(), 10, &Tuning::default()).unwrap();
        let source: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let stream =
            tcp_connect(&l.local_addr().unwrap(), Some(&source), &Tuning::default()).unwrap();
        let socket = SockRef::from(&stream);
        assert!(socket.reuse_address().unwrap());
        let bound = socket.local_addr().unwrap().as_socket().unwrap();
        assert_eq!(bound.ip(), source.ip());
    }

    #[test]
    fn multicast_hops_beyond_an_int_are_refused() {
        let socket = udp_bind(&"127.0.0.1:0".parse().unwrap(), false).unwrap();
        set_multicast_hops(&socket, false, 3).unwrap();
        assert_eq!(SockRef::from(&socket).multicast_ttl_v4().unwrap(), 3);
        let err = set_multicast_hops(&socket, false, u32::MAX).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn a_duplicate_is_a_separate_descriptor_of_the_same_socket() {
        use std::os::fd::AsRawFd;
        let l = tcp_listen(&"127.0.0.1:0".parse().unwrap(), 10, &Tuning::default()).unwrap();
        let dup = duplicate(l.as_raw_fd()).unwrap();
        assert_ne!(dup.as_raw_fd(), l.as_raw_fd());
        assert!(is_listening(&dup).unwrap());
        assert!(duplicate(-1).is_err());
    }
}
