//! `ZMQ_IPC_FILTER_PID`, `_UID` and `_GID`: which processes an ipc listener lets in, judged
//! by the credentials the kernel gives for the connecting process (SO_PEERCRED). With no
//! filter every peer is let in; otherwise a peer is let in when any filter matches it: its
//! process id, its user id, its group id, or a group its user is a member of.

use std::ffi::CStr;
use std::os::fd::RawFd;

/// The filters of a socket's ipc listeners.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IpcFilters {
    pub(crate) pids: Vec<libc::pid_t>,
    pub(crate) uids: Vec<libc::uid_t>,
    pub(crate) gids: Vec<libc::gid_t>,
}

/// What the kernel says about the process at the other end of a unix-domain socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PeerCredentials {
    pub(crate) pid: libc::pid_t,
    pub(crate) uid: libc::uid_t,
    pub(crate) gid: libc::gid_t,
}

impl IpcFilters {
    fn is_empty(&self) -> bool {
        self.pids.is_empty() && self.uids.is_empty() && self.gids.is_empty()
    }

    /// Whether the peer of the accepted unix-domain socket `fd` may stay connected; a peer
    /// whose credentials cannot be read is refused when there are filters.
    pub(crate) fn admits(&self, fd: RawFd) -> bool {
        if self.is_empty() {
            return true;
        }
        match peer_credentials(fd) {
            Some(peer) => self.admits_peer(peer, supplementary_groups),
            None => false,
        }
    }

    /// The decision, given the peer's credentials and a way to find its user's groups.
    fn admits_peer(
        &self,
        peer: PeerCredentials,
        groups_of: impl Fn(libc::uid_t) -> Vec<libc::gid_t>,
    ) -> bool {
        if self.is_empty()
            || self.pids.contains(&peer.pid)
            || self.uids.contains(&peer.uid)
            || self.gids.contains(&peer.gid)
        {
            return true;
        }
        !self.gids.is_empty() && groups_of(peer.uid).iter().any(|g| self.gids.contains(g))
    }
}

fn peer_credentials(fd: RawFd) -> Option<PeerCredentials> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` is a writable ucred of `len` bytes.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    (rc == 0).then_some(PeerCredentials {
        pid: cred.pid,
        uid: cred.uid,
        gid: cred.gid,
    })
}

/// The groups the user `uid` is a member of, from the system's user and group databases
/// (empty when the user is unknown).
fn supplementary_groups(uid: libc::uid_t) -> Vec<libc::gid_t> {
    let mut buffer = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: an all-zero passwd is a valid value for getpwuid_r to fill.
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is to memory of the size given, alive for the call.
    let rc = unsafe {
        libc::getpwuid_r(
            uid,
            &mut entry,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut found,
        )
    };
    if rc != 0 || found.is_null() {
        return Vec::new();
    }
    // SAFETY: getpwuid_r succeeded: pw_name points to a NUL-terminated name in `buffer`.
    let name = unsafe { CStr::from_ptr(entry.pw_name) };
    let mut groups = vec![0 as libc::gid_t; 64];
    loop {
        let mut count = groups.len() as libc::c_int;
        // SAFETY: `groups` has room for `count` ids; the name is NUL-terminated.
        let rc = unsafe {
            libc::getgrouplist(name.as_ptr(), entry.pw_gid, groups.as_mut_ptr(), &mut count)
        };
        if rc >= 0 {
            groups.truncate(usize::try_from(count).unwrap_or(0));
            return groups;
        }
        // Too small: `count` says how many there are.
        let wanted = usize::try_from(count).unwrap_or(0).max(groups.len() * 2);
        if wanted > 65_536 {
            return Vec::new();
        }
        groups.resize(wanted, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: PeerCredentials = PeerCredentials {
        pid: 100,
        uid: 1000,
        gid: 1000,
    };

    fn groups(_: libc::uid_t) -> Vec<libc::gid_t> {
        vec![1000, 27, 44]
    }

    #[test]
    fn no_filter_lets_everyone_in() {
        assert!(IpcFilters::default().admits_peer(PEER, groups));
    }

    #[test]
    fn any_matching_filter_lets_the_peer_in() {
        let by_pid = IpcFilters {
            pids: vec![7, 100],
            ..IpcFilters::default()
        };
        let by_uid = IpcFilters {
            uids: vec![1000],
            ..IpcFilters::default()
        };
        let by_supplementary_group = IpcFilters {
            gids: vec![44],
            ..IpcFilters::default()
        };
        let mixed = IpcFilters {
            pids: vec![1],
            uids: vec![2],
            gids: vec![1000],
        };
        for filters in [by_pid, by_uid, by_supplementary_group, mixed] {
            assert!(filters.admits_peer(PEER, groups), "{filters:?}");
        }
    }

    #[test]
    fn a_peer_no_filter_matches_is_refused() {
        let filters = IpcFilters {
            pids: vec![101],
            uids: vec![0],
            gids: vec![5],
        };
        assert!(!filters.admits_peer(PEER, groups));
    }

    #[test]
    fn this_process_s_own_credentials_are_read_from_a_socket_pair() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        use std::os::fd::AsRawFd;
        let peer = peer_credentials(a.as_raw_fd()).unwrap();
        // SAFETY: plain queries of this process's ids.
        let (pid, uid, gid) = unsafe { (libc::getpid(), libc::getuid(), libc::getgid()) };
        assert_eq!(peer, PeerCredentials { pid, uid, gid });
        let own = IpcFilters {
            pids: vec![pid],
            ..IpcFilters::default()
        };
        assert!(own.admits(a.as_raw_fd()));
        let other = IpcFilters {
            pids: vec![pid + 1],
            ..IpcFilters::default()
        };
        assert!(!other.admits(a.as_raw_fd()));
    }
}
