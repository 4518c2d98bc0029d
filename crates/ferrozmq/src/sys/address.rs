//! The addresses the kernel reports: the two ends of a connection, as endpoints, and the
//! addresses of a network interface.
//!
//! These call libc directly: [`endpoint_of`] takes the raw descriptor number a monitor event
//! carries, which may be closed by the time it is named (`socket2` needs a borrowed, open
//! descriptor), and `socket2` has no interface list.

use std::mem::MaybeUninit;
use std::os::fd::RawFd;

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
    use std::os::fd::AsRawFd;

    #[test]
    fn both_ends_of_a_connection_are_named_as_endpoints() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
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
