//! Which pipe a routing id names, for the sockets that address peers (ROUTER, SERVER).

use super::PipeId;
use bytes::Bytes;
use std::collections::HashMap;

/// What became of a pipe that asked for a routing id.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Assignment {
    /// The pipe is known by this id.
    Assigned(Bytes),
    /// The pipe took the id over from `displaced`, which is now unnamed and should be
    /// closed (ROUTER_HANDOVER).
    TookOver { id: Bytes, displaced: PipeId },
    /// The id is taken and handover is off: the pipe stays unnamed (libzmq ignores such
    /// peers rather than letting them steal another peer's messages).
    Refused,
}

/// Routing ids ↔ pipes. Peers that announce no id get a generated one: a zero byte (the
/// RFC reserves ids starting with zero for this) followed by a 32-bit counter.
#[derive(Debug)]
pub(crate) struct RoutingTable {
    by_id: HashMap<Bytes, PipeId>,
    by_pipe: HashMap<PipeId, Bytes>,
    next_generated: u32,
}

impl RoutingTable {
    /// An empty table; generated ids count up from `seed` (random per socket in practice,
    /// so that ids of a restarted socket are unlikely to repeat).
    pub(crate) fn new(seed: u32) -> Self {
        RoutingTable {
            by_id: HashMap::new(),
            by_pipe: HashMap::new(),
            next_generated: seed,
        }
    }

    /// Names a new pipe: `announced` when the peer (or CONNECT_ROUTING_ID) gave one, else a
    /// generated id.
    pub(crate) fn assign(&mut self, pipe: PipeId, announced: &[u8], handover: bool) -> Assignment {
        if announced.is_empty() {
            let id = self.generate();
            self.insert(pipe, id.clone());
            return Assignment::Assigned(id);
        }
        let id = Bytes::copy_from_slice(announced);
        match self.by_id.get(&id).copied() {
            None => {
                self.insert(pipe, id.clone());
                Assignment::Assigned(id)
            }
            Some(_) if !handover => Assignment::Refused,
            Some(displaced) => {
                self.by_pipe.remove(&displaced);
                self.insert(pipe, id.clone());
                Assignment::TookOver { id, displaced }
            }
        }
    }

    fn generate(&mut self) -> Bytes {
        loop {
            let n = self.next_generated;
            self.next_generated = self.next_generated.wrapping_add(1);
            let mut id = vec![0u8];
            id.extend_from_slice(&n.to_be_bytes());
            let id = Bytes::from(id);
            if !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }

    fn insert(&mut self, pipe: PipeId, id: Bytes) {
        self.by_id.insert(id.clone(), pipe);
        self.by_pipe.insert(pipe, id);
    }

    /// The pipe an id names.
    pub(crate) fn lookup(&self, id: &[u8]) -> Option<PipeId> {
        self.by_id.get(id).copied()
    }

    /// The id of a pipe.
    pub(crate) fn id_of(&self, pipe: PipeId) -> Option<&Bytes> {
        self.by_pipe.get(&pipe)
    }

    /// Forgets a pipe; its id becomes free.
    pub(crate) fn remove(&mut self, pipe: PipeId) -> Option<Bytes> {
        let id = self.by_pipe.remove(&pipe)?;
        if self.by_id.get(&id) == Some(&pipe) {
            self.by_id.remove(&id);
        }
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announced_ids_name_their_pipe() {
        let mut t = RoutingTable::new(0);
        assert_eq!(
            t.assign(3, b"worker-a", false),
            Assignment::Assigned(Bytes::from_static(b"worker-a"))
        );
        assert_eq!(t.lookup(b"worker-a"), Some(3));
        assert_eq!(t.id_of(3).map(|b| &b[..]), Some(&b"worker-a"[..]));
    }

    #[test]
    fn anonymous_peers_get_distinct_ids_starting_with_zero() {
        let mut t = RoutingTable::new(u32::MAX);
        let Assignment::Assigned(a) = t.assign(1, b"", false) else {
            panic!("assigned")
        };
        let Assignment::Assigned(b) = t.assign(2, b"", false) else {
            panic!("assigned")
        };
        assert_eq!(a.len(), 5);
        assert_eq!(a[0], 0);
        assert_ne!(a, b, "the counter wraps without repeating a live id");
        assert_eq!(t.lookup(&b), Some(2));
    }

    #[test]
    fn a_duplicate_id_is_refused_without_handover() {
        let mut t = RoutingTable::new(0);
        t.assign(1, b"x", false);
        assert_eq!(t.assign(2, b"x", false), Assignment::Refused);
        assert_eq!(t.lookup(b"x"), Some(1));
        assert_eq!(t.id_of(2), None);
    }

    #[test]
    fn handover_moves_the_id_to_the_newcomer() {
        let mut t = RoutingTable::new(0);
        t.assign(1, b"x", true);
        assert_eq!(
            t.assign(2, b"x", true),
            Assignment::TookOver {
                id: Bytes::from_static(b"x"),
                displaced: 1
            }
        );
        assert_eq!(t.lookup(b"x"), Some(2));
        assert_eq!(t.id_of(1), None);
        // The displaced pipe's later removal must not free the newcomer's id.
        assert_eq!(t.remove(1), None);
        assert_eq!(t.lookup(b"x"), Some(2));
    }

    #[test]
    fn removal_frees_the_id() {
        let mut t = RoutingTable::new(0);
        t.assign(1, b"x", false);
        assert_eq!(t.remove(1), Some(Bytes::from_static(b"x")));
        assert_eq!(t.lookup(b"x"), None);
        assert!(matches!(t.assign(2, b"x", false), Assignment::Assigned(_)));
    }
}
