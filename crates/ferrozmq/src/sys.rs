//! The few operating-system calls the standard library and mio do not offer.

use crate::options::Tuning;
use bytes::BytesMut;
use std::io;
use std::mem::MaybeUninit;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Hands memory the allocator holds free back to the operating system (glibc keeps what a
/// thread freed in that thread's arena, so a burst of allocation stays resident). Elsewhere
/// the allocator decides alone.
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists, under its locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Reads from `fd` straight into the spare capacity of `buf` (no zero-filling, no
/// intermediate copy), at most `limit` bytes, and extends `buf` by what was read.
pub(crate) fn read_into(fd: RawFd, buf: &mut BytesMut, limit: usize) -> io::Result<usize> {
    let n = read_spare(fd, buf.spare_capacity_mut(), limit)?;
    // SAFETY: `n` bytes after the current length were just initialised by `read`.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// [`read_into`] for a plain vector.
pub(crate) fn read_into_vec(fd: RawFd, buf: &mut Vec<u8>, limit: usize) -> io::Result<usize> {
    let n = read_spare(fd, buf.spare_capacity_mut(), limit)?;
    // SAFETY: `n` bytes after the current length were just initialised by `read`.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// Reads at most `limit` bytes into `spare`; returns how many the kernel wrote there.
fn read_spare(fd: RawFd, spare: &mut [MaybeUninit<u8>], limit: usize) -> io::Result<usize> {
    let len = limit.min(spare.len());
    // SAFETY: the kernel writes at most `len` bytes into memory we own.
    let n = unsafe { libc::read(fd, spare.as_mut_ptr().cast(), len) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// Writes as much of `bufs` to the stream socket `fd` as the kernel takes. With
/// `MSG_NOSIGNAL`: writing to a connection the peer closed fails with `EPIPE` instead of
/// raising SIGPIPE, whose default action kills the process. Rust programs ignore SIGPIPE,
/// but C programs using the library through its C API (and Python) do not.
pub(crate) fn send_vectored(fd: RawFd, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: an all-zero msghdr is valid (no address, no control data).
    let mut header: libc::msghdr = unsafe { std::mem::zeroed() };
    // IoSlice is guaranteed to be ABI-compatible with iovec on Unix; sendmsg only reads it.
    header.msg_iov = bufs.as_ptr().cast_mut().cast();
    header.msg_iovlen = bufs.len() as _;
    // SAFETY: the header points to `bufs.len()` live iovecs describing readable memory.
    let n = unsafe { libc::sendmsg(fd, &header, libc::MSG_NOSIGNAL) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

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
    apply_tuning(fd.as_raw_fd(), tuning, true, addr.is_ipv6())?;
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

/// A non-blocking socket of `kind` bound to `addr`; IPv6 ones also take IPv4 (dual stack).
/// Starts a non-blocking tcp connect from a socket tuned before it connects (buffer sizes,
/// device and keepalive must precede the handshake to count), bound first to `source` when
/// one is given (port 0: any).
pub(crate) fn tcp_connect(
    addr: &SocketAddr,
    source: Option<&SocketAddr>,
    tuning: &Tuning,
) -> io::Result<TcpStream> {
    let fd = new_socket(addr, libc::SOCK_STREAM)?;
    apply_tuning(fd.as_raw_fd(), tuning, true, addr.is_ipv6())?;
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
pub(crate) fn apply_tuning(fd: RawFd, tuning: &Tuning, tcp: bool, ipv6: bool) -> io::Result<()> {
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
pub(crate) fn get_int_option(fd: RawFd, level: i32, name: i32) -> io::Result<i32> {
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

/// Which end of a connection [`endpoint_of`] names.
#[derive(Clone, Copy)]
pub(crate) enum SocketEnd {
    Local,
    Peer,
}

/// The endpoint (`tcp://host:port`, `ipc://path`) one end of the stream socket `fd` is at,
/// as the kernel reports it: `ipc://` for an unnamed unix socket (a client's), `ipc://@name`
/// for an abstract one. `None` when the kernel cannot say (the peer is gone, not a socket).
pub(crate) fn endpoint_of(fd: RawFd, end: SocketEnd) -> Option<String> {
    let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let addr = storage.as_mut_ptr().cast::<libc::sockaddr>();
    // SAFETY: `addr` points to `len` writable bytes; the kernel writes at most that many.
    let rc = unsafe {
        match end {
            SocketEnd::Local => libc::getsockname(fd, addr, &mut len),
            SocketEnd::Peer => libc::getpeername(fd, addr, &mut len),
        }
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: zero-initialised storage of the right type, filled by the kernel.
    let storage = unsafe { storage.assume_init() };
    let len = len as usize;
    match i32::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a `sockaddr_in`.
            let sin = unsafe { &*(&storage as *const _ as *const libc::sockaddr_in) };
            let ip = std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(format!("tcp://{ip}:{}", u16::from_be(sin.sin_port)))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a `sockaddr_in6`.
            let sin6 = unsafe { &*(&storage as *const _ as *const libc::sockaddr_in6) };
            let ip = std::net::Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(format!("tcp://[{ip}]:{}", u16::from_be(sin6.sin6_port)))
        }
        libc::AF_UNIX => {
            // SAFETY: the family says the storage holds a `sockaddr_un`.
            let sun = unsafe { &*(&storage as *const _ as *const libc::sockaddr_un) };
            let offset = std::mem::offset_of!(libc::sockaddr_un, sun_path);
            let path: Vec<u8> = sun.sun_path[..len.saturating_sub(offset).min(sun.sun_path.len())]
                .iter()
                .map(|&c| c as u8)
                .collect();
            let name = match path.split_first() {
                None => String::new(),
                Some((0, abstract_name)) => {
                    format!("@{}", String::from_utf8_lossy(abstract_name))
                }
                Some(_) => {
                    let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
                    String::from_utf8_lossy(&path[..end]).into_owned()
                }
            };
            Some(format!("ipc://{name}"))
        }
        _ => None,
    }
}

/// The first address of the network interface `name` (`lo`, `eth0`), IPv4 before IPv6
/// (IPv6 only with the IPv6 option, as for names); `None` when no interface has that name
/// or it has no such address.
pub(crate) fn interface_address(name: &str, ipv6: bool) -> Option<std::net::IpAddr> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a list we free below.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return None;
    }
    let mut found: Vec<IpAddr> = Vec::new();
    let mut entry = list;
    while !entry.is_null() {
        // SAFETY: `entry` is a node of the list getifaddrs returned, not yet freed.
        let ifa = unsafe { &*entry };
        entry = ifa.ifa_next;
        if ifa.ifa_name.is_null() || ifa.ifa_addr.is_null() {
            continue;
        }
        // SAFETY: a NUL-terminated name owned by the list.
        let ifa_name = unsafe { std::ffi::CStr::from_ptr(ifa.ifa_name) };
        if ifa_name.to_bytes() != name.as_bytes() {
            continue;
        }
        // SAFETY: `ifa_addr` points at a socket address whose family says its layout.
        match i32::from(unsafe { (*ifa.ifa_addr).sa_family }) {
            libc::AF_INET => {
                // SAFETY: an AF_INET address is a sockaddr_in.
                let v4 = unsafe { &*ifa.ifa_addr.cast::<libc::sockaddr_in>() };
                found.push(IpAddr::V4(Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr))));
            }
            libc::AF_INET6 if ipv6 => {
                // SAFETY: an AF_INET6 address is a sockaddr_in6.
                let v6 = unsafe { &*ifa.ifa_addr.cast::<libc::sockaddr_in6>() };
                found.push(IpAddr::V6(Ipv6Addr::from(v6.sin6_addr.s6_addr)));
            }
            _ => {}
        }
    }
    // SAFETY: `list` came from getifaddrs and is freed once; no reference into it remains.
    unsafe { libc::freeifaddrs(list) };
    found.sort_by_key(IpAddr::is_ipv6);
    found.first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

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

    #[test]
    fn read_into_appends_what_arrived() {
        let l = tcp_listen(&"127.0.0.1:0".parse().unwrap(), 10, &Tuning::default()).unwrap();
        let mut client = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        l.set_nonblocking(false).unwrap();
        let (server, _) = l.accept().unwrap();
        client.write_all(b"hello").unwrap();
        let mut buf = BytesMut::with_capacity(16);
        buf.extend_from_slice(b">");
        let mut total = 0;
        while total < 5 {
            total += read_into(server.as_raw_fd(), &mut buf, usize::MAX).unwrap();
        }
        assert_eq!(&buf[..], b">hello");
    }

    #[test]
    fn both_ends_of_a_connection_are_named_as_endpoints() {
        let l = tcp_listen(&"127.0.0.1:0".parse().unwrap(), 10, &Tuning::default()).unwrap();
        let client = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let fd = client.as_raw_fd();
        let local = format!("tcp://{}", client.local_addr().unwrap());
        let peer = format!("tcp://{}", l.local_addr().unwrap());
        assert_eq!(endpoint_of(fd, SocketEnd::Local), Some(local));
        assert_eq!(endpoint_of(fd, SocketEnd::Peer), Some(peer));

        let path = std::env::temp_dir().join(format!("ferrozmq-sys-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let ul = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let uc = std::os::unix::net::UnixStream::connect(&path).unwrap();
        let (accepted, _) = ul.accept().unwrap();
        let named = format!("ipc://{}", path.display());
        assert_eq!(
            endpoint_of(uc.as_raw_fd(), SocketEnd::Peer),
            Some(named.clone())
        );
        assert_eq!(
            endpoint_of(uc.as_raw_fd(), SocketEnd::Local),
            Some("ipc://".into())
        );
        assert_eq!(
            endpoint_of(accepted.as_raw_fd(), SocketEnd::Local),
            Some(named)
        );
        assert_eq!(endpoint_of(-1, SocketEnd::Local), None);
        std::fs::remove_file(&path).unwrap();
    }
}
