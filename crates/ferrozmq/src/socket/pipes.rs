//! A socket's table of pipes, addressed by small integers that the routing strategies use.

use super::mailbox::PeerDetails;
use crate::monitor::NameSlot;
use crate::patterns::PipeId;
use crate::pipe::{PipeEnd, Read, ReadThrough};
use crate::properties::Properties;
use std::sync::Arc;

/// One attached pipe.
pub(crate) struct Pipe {
    pub(crate) end: PipeEnd,
    pub(crate) peer: PeerDetails,
    /// Where the endpoints of the connection behind it are found, for pipe statistics on a
    /// version 2 monitor feed (see [`MonitorHub::pipe_attached`]).
    ///
    /// [`MonitorHub::pipe_attached`]: crate::monitor::MonitorHub::pipe_attached
    pub(crate) names: Option<NameSlot>,
}

struct Slot {
    generation: u32,
    pipe: Option<Pipe>,
}

/// Pipes by [`PipeId`]. Ids are reused after removal; the tokens handed to the pipes carry a
/// generation as well, so a late event for a removed pipe is never taken for its successor.
#[derive(Default)]
pub(crate) struct PipeTable {
    slots: Vec<Slot>,
    free: Vec<usize>,
    /// Pipes found dead during an operation, removed by the socket once it is done.
    retired: Vec<PipeId>,
    /// The pipe the last part handed to the application came from: what
    /// [`last_read_properties`](Self::last_read_properties) describes.
    last_read: Option<PipeId>,
    /// The properties of that pipe, kept when it is removed (`last_read` is then `None`);
    /// a read from another pipe makes them stale, and `last_read` says so.
    last_read_removed: Option<Properties>,
}

impl PipeTable {
    /// The endpoint a pipe came through, for diagnostics (empty once it is removed).
    #[cfg(feature = "tracing")]
    pub(crate) fn endpoint(&self, id: PipeId) -> &str {
        let slot = self.slots.get(id).and_then(|s| s.pipe.as_ref());
        slot.map_or("", |pipe| &pipe.peer.endpoint)
    }

    /// Adds a pipe and registers it with its token; returns its id.
    pub(crate) fn insert(&mut self, pipe: Pipe) -> PipeId {
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    pipe: None,
                });
                self.slots.len() - 1
            }
        };
        let slot = &mut self.slots[id];
        slot.generation = slot.generation.wrapping_add(1);
        pipe.end.register(token(id, slot.generation));
        slot.pipe = Some(pipe);
        id
    }

    /// The pipe a token names, if it is still the same pipe.
    pub(crate) fn resolve(&self, token: u64) -> Option<PipeId> {
        let id = (token & 0xFFFF_FFFF) as usize;
        let slot = self.slots.get(id)?;
        (slot.pipe.is_some() && u64::from(slot.generation) == token >> 32).then_some(id)
    }

    /// The token naming this pipe (its id and generation), stable while the pipe lives.
    pub(crate) fn token(&self, id: PipeId) -> u64 {
        token(id, self.slots[id].generation)
    }

    #[inline]
    pub(crate) fn get(&mut self, id: PipeId) -> Option<&mut Pipe> {
        self.slots.get_mut(id)?.pipe.as_mut()
    }

    /// The pipe's end. Routing strategies only hold ids of live pipes, so a miss is a bug.
    #[inline]
    pub(crate) fn end(&mut self, id: PipeId) -> &mut PipeEnd {
        &mut self.slots[id]
            .pipe
            .as_mut()
            .expect("routing strategy holds a removed pipe")
            .end
    }

    /// Reads a part from a pipe for the application, remembering where it came from (one
    /// store per part; the properties are looked up only when asked for).
    #[inline]
    pub(crate) fn read(&mut self, id: PipeId) -> Read {
        let read = self.end(id).read();
        if let Read::Message(_) = read {
            self.last_read = Some(id);
        }
        read
    }

    /// The properties of the connection the last part read with [`read`](Self::read) came
    /// through, even if its pipe is gone since.
    pub(crate) fn last_read_properties(&mut self) -> Properties {
        match self.last_read {
            Some(id) => self
                .get(id)
                .map(|pipe| pipe.end.properties())
                .unwrap_or_default(),
            // The pipe was removed since (or nothing was read yet).
            None => self.last_read_removed.clone().unwrap_or_default(),
        }
    }

    /// Marks a pipe dead; the socket removes it after the current operation.
    pub(crate) fn retire(&mut self, id: PipeId) {
        if !self.retired.contains(&id) {
            self.retired.push(id);
        }
    }

    /// Takes the pipes retired since the last call.
    pub(crate) fn take_retired(&mut self) -> Vec<PipeId> {
        std::mem::take(&mut self.retired)
    }

    pub(crate) fn has_retired(&self) -> bool {
        !self.retired.is_empty()
    }

    /// Removes a pipe, closing its end.
    pub(crate) fn remove(&mut self, id: PipeId) -> Option<Pipe> {
        let pipe = self.slots.get_mut(id)?.pipe.take()?;
        if self.last_read == Some(id) {
            self.last_read = None;
            self.last_read_removed = Some(pipe.end.properties());
        }
        self.free.push(id);
        Some(pipe)
    }

    /// The owner of the other end of the socket's only pipe, if the socket has exactly one
    /// and that owner lets the socket's thread read for it (see [`ReadThrough`]).
    pub(crate) fn sole_read_through(&self) -> Option<Arc<dyn ReadThrough>> {
        let mut live = self.slots.iter().filter_map(|slot| slot.pipe.as_ref());
        let pipe = live.next()?;
        if live.next().is_some() {
            return None;
        }
        pipe.end.peer_read_through()
    }

    /// Ids of every pipe.
    pub(crate) fn ids(&self) -> Vec<PipeId> {
        (0..self.slots.len())
            .filter(|&id| self.slots[id].pipe.is_some())
            .collect()
    }

    /// Removes every pipe.
    pub(crate) fn drain(&mut self) -> Vec<Pipe> {
        self.free.clear();
        self.retired.clear();
        self.last_read = None;
        self.last_read_removed = None;
        self.slots.drain(..).filter_map(|s| s.pipe).collect()
    }
}

fn token(id: usize, generation: u32) -> u64 {
    (u64::from(generation) << 32) | id as u64
}
