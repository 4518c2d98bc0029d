//! `ZMQ_IPC_FILTER_PID`, `_UID` and `_GID`: which processes an ipc listener lets in, judged
//! by the credentials the kernel gives for the connecting process (SO_PEERCRED). With no
//! filter every peer is let in; otherwise a peer is let in when any filter matches it: its
//! process id, its user id, its group id, or a group its user is a member of.

use crate::sys::peer_credentials::{
    peer_credentials, supplementary_groups, Gid, PeerCredentials, Pid, Uid,
};
use std::os::fd::RawFd;

/// The filters of a socket's ipc listeners.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IpcFilters {
    pub(crate) pids: Vec<Pid>,
    pub(crate) uids: Vec<Uid>,
    pub(crate) gids: Vec<Gid>,
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
    fn admits_peer(&self, peer: PeerCredentials, groups_of: impl Fn(Uid) -> Vec<Gid>) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: PeerCredentials = PeerCredentials {
        pid: 100,
        uid: 1000,
        gid: 1000,
    };

    fn groups(_: Uid) -> Vec<Gid> {
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
    fn this_process_is_judged_by_its_own_credentials() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        use std::os::fd::AsRawFd;
        let pid = Pid::try_from(std::process::id()).unwrap();
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
