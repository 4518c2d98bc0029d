//! Encoded bytes waiting for the transport, kept so that one write moves many messages.
//!
//! Small frames are copied into one growing buffer; large bodies are queued as shared
//! [`Bytes`] segments so they reach the kernel without a copy (vectored writes). The outbox
//! also remembers where each message ends: if the connection dies, the messages not yet
//! completely written can be recovered and sent again on the next connection instead of
//! being lost with the socket.

use bytes::{Buf, Bytes, BytesMut};
use std::collections::VecDeque;
use std::io::IoSlice;

/// Bodies at least this large are queued by reference instead of copied.
pub const SHARE_THRESHOLD: usize = 16 * 1024;

/// A queue of encoded bytes with message boundaries.
#[derive(Debug, Default)]
pub struct Outbox {
    /// Frozen segments, oldest first; `tail` follows them.
    segments: VecDeque<Bytes>,
    /// Where new small frames are copied.
    tail: BytesMut,
    /// Stream offset of the first byte still held (in `segments[0]`, else in `tail`).
    held_from: u64,
    /// Stream offset up to which bytes have been handed to the transport.
    written: u64,
    /// Stream offset one past the last byte queued.
    queued: u64,
    /// Stream offsets where messages end, for those not yet completely written.
    boundaries: VecDeque<u64>,
    /// Stream offset where recoverable traffic begins (after the handshake).
    traffic_from: Option<u64>,
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes queued and not yet written.
    #[inline]
    pub fn len(&self) -> usize {
        (self.queued - self.written) as usize
    }

    /// True when everything queued has been written.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.queued == self.written
    }

    /// Copies `bytes` to the end of the queue.
    #[inline]
    pub fn push_slice(&mut self, bytes: &[u8]) {
        self.tail.extend_from_slice(bytes);
        self.queued += bytes.len() as u64;
    }

    /// Gives the copy buffer to an encoder that appends to it directly; the caller must
    /// call [`commit_tail`](Self::commit_tail) with how many bytes it appended.
    #[inline]
    pub(crate) fn tail_mut(&mut self) -> &mut BytesMut {
        &mut self.tail
    }

    #[inline]
    pub(crate) fn commit_tail(&mut self, appended: usize) {
        self.queued += appended as u64;
    }

    /// Queues `bytes` by reference (no copy).
    pub fn push_bytes(&mut self, bytes: Bytes) {
        if bytes.is_empty() {
            return;
        }
        if !self.tail.is_empty() {
            self.segments.push_back(self.tail.split().freeze());
        }
        self.queued += bytes.len() as u64;
        self.segments.push_back(bytes);
    }

    /// Marks the end of a message (or of a command): bytes before it belong to messages that
    /// are complete on the queue.
    #[inline]
    pub fn end_message(&mut self) {
        if self.traffic_from.is_some() {
            self.boundaries.push_back(self.queued);
        }
    }

    /// Marks the start of traffic: everything queued before is handshake and is never
    /// recovered.
    pub fn start_traffic(&mut self) {
        self.traffic_from = Some(self.queued);
        if self.boundaries.is_empty() && self.written == self.queued {
            self.discard_to(self.written);
        }
    }

    /// Fills `dst` with the unwritten bytes, oldest first; returns how many slices it used.
    pub fn io_slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut skip = (self.written - self.held_from) as usize;
        let mut used = 0;
        let chunks = self
            .segments
            .iter()
            .map(|b| &b[..])
            .chain(std::iter::once(&self.tail[..]));
        for chunk in chunks {
            if used == dst.len() {
                break;
            }
            if skip >= chunk.len() {
                skip -= chunk.len();
                continue;
            }
            dst[used] = IoSlice::new(&chunk[skip..]);
            skip = 0;
            used += 1;
        }
        used
    }

    /// The first contiguous run of unwritten bytes (the whole queue when no large body is
    /// queued by reference).
    pub fn first_chunk(&self) -> &[u8] {
        let mut skip = (self.written - self.held_from) as usize;
        for seg in &self.segments {
            if skip < seg.len() {
                return &seg[skip..];
            }
            skip -= seg.len();
        }
        &self.tail[skip.min(self.tail.len())..]
    }

    /// Records that the transport accepted `n` more bytes.
    pub fn advance(&mut self, n: usize) {
        debug_assert!(n <= self.len());
        self.written += n as u64;
        let keep_from = if self.traffic_from.is_some_and(|t| self.written > t) {
            let mut last_complete = None;
            while let Some(&end) = self.boundaries.front() {
                if end > self.written {
                    break;
                }
                last_complete = Some(end);
                self.boundaries.pop_front();
            }
            match last_complete {
                Some(end) => end,
                None => self.held_from.max(self.traffic_from.unwrap_or(0)),
            }
        } else {
            self.written
        };
        self.discard_to(keep_from.min(self.written));
    }

    fn discard_to(&mut self, offset: u64) {
        let mut drop = (offset.saturating_sub(self.held_from)) as usize;
        self.held_from += drop as u64;
        while drop > 0 {
            match self.segments.front_mut() {
                Some(seg) if seg.len() <= drop => {
                    drop -= seg.len();
                    self.segments.pop_front();
                }
                Some(seg) => {
                    seg.advance(drop);
                    drop = 0;
                }
                None => {
                    self.tail.advance(drop);
                    drop = 0;
                }
            }
        }
        if self.tail.is_empty() && self.segments.is_empty() {
            // Lets the next append reuse the buffer from its start.
            self.tail.clear();
        }
    }

    /// Takes the bytes of every message that was not completely written, in order, leaving
    /// the outbox empty. Handshake bytes are never part of it.
    pub fn take_unsent_traffic(&mut self) -> BytesMut {
        let Some(traffic_from) = self.traffic_from else {
            *self = Outbox::new();
            return BytesMut::new();
        };
        // Whole messages only: bytes after the last boundary are an incomplete message that
        // the encoder never finished, which cannot happen, but is cheap to guard.
        let end = self.boundaries.back().copied().unwrap_or(self.held_from);
        let start = self.held_from.max(traffic_from);
        let mut out = BytesMut::with_capacity(end.saturating_sub(start) as usize);
        let mut pos = self.held_from;
        let chunks = self
            .segments
            .iter()
            .map(|b| &b[..])
            .chain(std::iter::once(&self.tail[..]));
        for chunk in chunks {
            let chunk_end = pos + chunk.len() as u64;
            let from = start.max(pos).min(chunk_end);
            let to = end.max(pos).min(chunk_end);
            if from < to {
                out.extend_from_slice(&chunk[(from - pos) as usize..(to - pos) as usize]);
            }
            pos = chunk_end;
        }
        *self = Outbox::new();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unwritten(outbox: &Outbox) -> Vec<u8> {
        let mut slices = [IoSlice::new(&[]); 16];
        let n = outbox.io_slices(&mut slices);
        slices[..n].iter().flat_map(|s| s.iter().copied()).collect()
    }

    #[test]
    fn small_and_shared_bytes_come_out_in_order() {
        let mut o = Outbox::new();
        o.push_slice(b"ab");
        o.push_bytes(Bytes::from_static(b"CDEF"));
        o.push_slice(b"gh");
        assert_eq!(unwritten(&o), b"abCDEFgh");
        assert_eq!(o.len(), 8);
        o.advance(3);
        assert_eq!(unwritten(&o), b"DEFgh");
        assert_eq!(o.first_chunk(), b"DEF");
        o.advance(5);
        assert!(o.is_empty());
        assert_eq!(unwritten(&o), b"");
    }

    #[test]
    fn handshake_bytes_are_never_recovered() {
        let mut o = Outbox::new();
        o.push_slice(b"greeting");
        o.start_traffic();
        assert!(o.take_unsent_traffic().is_empty());
    }

    #[test]
    fn unsent_tail_starts_at_the_first_incompletely_written_message() {
        let mut o = Outbox::new();
        o.push_slice(b"HS");
        o.advance(2);
        o.start_traffic();
        for m in [&b"one"[..], b"two", b"three"] {
            o.push_slice(m);
            o.end_message();
        }
        // "one" fully written, "two" half written.
        o.advance(4);
        assert_eq!(unwritten(&o), b"wothree");
        assert_eq!(&o.take_unsent_traffic()[..], b"twothree");
        assert!(o.is_empty());
    }

    #[test]
    fn completely_written_messages_are_released() {
        let mut o = Outbox::new();
        o.start_traffic();
        o.push_bytes(Bytes::from(vec![1u8; 100]));
        o.end_message();
        o.push_slice(b"x");
        o.end_message();
        o.advance(100);
        assert_eq!(o.segments.len(), 0);
        assert_eq!(&o.take_unsent_traffic()[..], b"x");
    }
}
