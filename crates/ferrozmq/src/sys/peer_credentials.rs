//! Who is at the other end of a unix-domain socket (SO_PEERCRED), and which groups a user
//! is a member of: what the ipc filters judge a connecting process by.

use std::ffi::CStr;
use std::os::fd::RawFd;

/// A process id.
pub(crate) type Pid = libc::pid_t;
/// A user id.
pub(crate) type Uid = libc::uid_t;
/// A group id.
pub(crate) type Gid = libc::gid_t;

/// What the kernel says about the process at the other end of a unix-domain socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PeerCredentials {
    pub(crate) pid: Pid,
    pub(crate) uid: Uid,
    pub(crate) gid: Gid,
}

/// The credentials of the process at the other end of the unix-domain socket `fd`, as the
/// kernel recorded them when it connected; `None` when the kernel cannot say.
pub(crate) fn peer_credentials(fd: RawFd) -> Option<PeerCredentials> {
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
pub(crate) fn supplementary_groups(uid: Uid) -> Vec<Gid> {
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
    use std::os::fd::AsRawFd;

    #[test]
    fn this_process_s_own_credentials_are_read_from_a_socket_pair() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let peer = peer_credentials(a.as_raw_fd()).unwrap();
        // SAFETY: plain queries of this process's ids.
        let (pid, uid, gid) = unsafe { (libc::getpid(), libc::getuid(), libc::getgid()) };
        assert_eq!(peer, PeerCredentials { pid, uid, gid });
        assert_eq!(peer_credentials(-1), None);
    }
}
