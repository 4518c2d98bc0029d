//! The sockets the library makes itself (tcp listeners and connects, udp), and the options
//! set on them.

use crate::options::Tuning;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};

/// The room an interface name has for SO_BINDTODEVICE, its terminating NUL included.
pub(crate) const IFNAMSIZ: usize = libc::IFNAMSIZ;

/// A non-blocking listening tcp socket with the given backlog. IPv6 wildcards also accept
/// IPv4 (dual stack), as libzmq's do with the IPv6 option.
pub(crate) fn tcp_listen(
    addr: &SocketAddr,
    backlog: i32,
    tuning: &Tuning,
) -> io::Result<TcpListener> {
    let fd = new_socket(addr, libc::SOCK_STREAM)?;
    // Buffer sizes and the device must be set before bind and listen to take effect (and
    // are inherited by accepted connections).
    apply_tuning(&fd, tuning, true, addr.is_ipv6())?;
    bind_socket(&fd, addr, true)?;
    // SAFETY: listening on a bound socket we own.
    if unsafe { libc::listen(fd.as_raw_fd(), backlog.max(1)) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(TcpListener::from(fd))
}

/// A non-blocking udp socket bound to `addr`. With `share_port`, other sockets may bind the
/// same port too, as every member of a multicast group on one host must.
pub(crate) fn udp_bind(addr: &SocketAddr, share_port: bool) -> io::Result<UdpSocket> {
    bound_socket(addr, libc::SOCK_DGRAM, share_port).map(UdpSocket::from)
}

/// Sets how many routers the multicast datagrams `socket` sends may cross (IPv4 TTL or IPv6
/// hop limit; the standard library has only the IPv4 one).
pub(crate) fn set_multicast_hops(socket: &UdpSocket, ipv6: bool, hops: u32) -> io::Result<()> {
    let hops = i32::try_from(hops).map_err(|_| io::ErrorKind::InvalidInput)?;
    if ipv6 {
        set_int_option(
            socket.as_raw_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_HOPS,
            hops,
        )
    } else {
        set_int_option(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_TTL,
            hops,
        )
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
    let fd = new_socket(addr, libc::SOCK_STREAM)?;
    apply_tuning(&fd, tuning, true, addr.is_ipv6())?;
    if let Some(source) = source {
        // Connections to different peers may share one source address and port; without
        // SO_REUSEADDR the second bind would fail while the first connection lives.
        set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
        let (storage, len) = sockaddr(source);
        // SAFETY: `storage` holds a valid socket address of `len` bytes.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&storage as *const libc::sockaddr_storage).cast(),
                len,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    let (storage, len) = sockaddr(addr);
    // SAFETY: `storage` holds a valid socket address of `len` bytes.
    let rc = unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&storage as *const libc::sockaddr_storage).cast(),
            len,
        )
    };
    if rc < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(e);
        }
    }
    Ok(TcpStream::from(fd))
}

/// A fresh non-blocking, close-on-exec socket of the address's family.
fn new_socket(addr: &SocketAddr, kind: i32) -> io::Result<OwnedFd> {
    let domain = if addr.is_ipv6() {
        libc::AF_INET6
    } else {
        libc::AF_INET
    };
    // SAFETY: plain socket creation; ownership goes to `OwnedFd` at once.
    let fd = unsafe { libc::socket(domain, kind | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn bound_socket(addr: &SocketAddr, kind: i32, reuse_addr: bool) -> io::Result<OwnedFd> {
    let fd = new_socket(addr, kind)?;
    bind_socket(&fd, addr, reuse_addr)?;
    Ok(fd)
}

fn bind_socket(fd: &OwnedFd, addr: &SocketAddr, reuse_addr: bool) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    if reuse_addr {
        set_int_option(raw, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    }
    if addr.is_ipv6() {
        set_int_option(raw, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 0)?;
    }
    let (storage, len) = sockaddr(addr);
    // SAFETY: `storage` holds a valid socket address of `len` bytes.
    if unsafe { libc::bind(raw, (&storage as *const libc::sockaddr_storage).cast(), len) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
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
    let fd = socket.as_fd().as_raw_fd();
    if tuning.sndbuf >= 0 {
        set_int_option(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, tuning.sndbuf)?;
    }
    if tuning.rcvbuf >= 0 {
        set_int_option(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, tuning.rcvbuf)?;
    }
    if tuning.priority != 0 {
        set_int_option(fd, libc::SOL_SOCKET, libc::SO_PRIORITY, tuning.priority)?;
    }
    if !tcp {
        return Ok(());
    }
    if tuning.tos != 0 {
        if ipv6 {
            set_int_option(fd, libc::IPPROTO_IPV6, libc::IPV6_TCLASS, tuning.tos)?;
        } else {
            set_int_option(fd, libc::IPPROTO_IP, libc::IP_TOS, tuning.tos)?;
        }
    }
    if tuning.tcp_keepalive >= 0 {
        set_int_option(
            fd,
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            tuning.tcp_keepalive,
        )?;
    }
    if tuning.tcp_keepalive == 1 {
        for (name, value) in [
            (libc::TCP_KEEPIDLE, tuning.tcp_keepalive_idle),
            (libc::TCP_KEEPCNT, tuning.tcp_keepalive_cnt),
            (libc::TCP_KEEPINTVL, tuning.tcp_keepalive_intvl),
        ] {
            if value > 0 {
                set_int_option(fd, libc::IPPROTO_TCP, name, value)?;
            }
        }
    }
    if tuning.tcp_maxrt > 0 {
        set_int_option(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_USER_TIMEOUT,
            tuning.tcp_maxrt,
        )?;
    }
    if !tuning.bind_to_device.is_empty() {
        let name = tuning.bind_to_device.as_bytes();
        // SAFETY: the option value is a byte string that outlives the call.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_BINDTODEVICE,
                name.as_ptr().cast(),
                name.len() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Reads an integer socket option.
fn get_int_option(fd: RawFd, level: i32, name: i32) -> io::Result<i32> {
    let mut value: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
    // SAFETY: `value` and `len` are valid for writes of their sizes.
    let rc =
        unsafe { libc::getsockopt(fd, level, name, (&mut value as *mut i32).cast(), &mut len) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(value)
    }
}

fn set_int_option(fd: RawFd, level: i32, name: i32, value: i32) -> io::Result<()> {
    // SAFETY: the option value is a plain int that outlives the call.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn sockaddr(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
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
    let fd = socket.as_fd().as_raw_fd();
    get_int_option(fd, libc::SOL_SOCKET, libc::SO_ACCEPTCONN).map(|v| v != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listens_on_an_ephemeral_port_and_refuses_a_second_bind() {
        let l = tcp_listen(&"127.0.0.1:0".parse().unwrap(), 10, &Tuning::default()).unwrap();
        let addr = l.local_addr().unwrap();
        assert_ne!(addr.port(), 0);
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
    fn tuning_reaches_the_socket_before_it_connects() {
        let l = tcp_listen(&"127.0.0.1:0".parse().unwrap(), 10, &Tuning::default()).unwrap();
        let tuning = Tuning {
            tcp_keepalive: 1,
            tcp_keepalive_idle: 77,
            sndbuf: 65536,
            tcp_maxrt: 1234,
            priority: 5,
            ..Tuning::default()
        };
        let stream = tcp_connect(&l.local_addr().unwrap(), None, &tuning).unwrap();
        let fd = stream.as_raw_fd();
        assert_eq!(
            get_int_option(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE).unwrap(),
            1
        );
        assert_eq!(
            get_int_option(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE).unwrap(),
            77
        );
        assert_eq!(
            get_int_option(fd, libc::IPPROTO_TCP, libc::TCP_USER_TIMEOUT).unwrap(),
            1234
        );
        assert_eq!(
            get_int_option(fd, libc::SOL_SOCKET, libc::SO_PRIORITY).unwrap(),
            5
        );
        // Linux doubles the requested size for its own bookkeeping.
        assert!(get_int_option(fd, libc::SOL_SOCKET, libc::SO_SNDBUF).unwrap() >= 65536);
    }
}
