//! A udp socket serving a RADIO (sending) or a DISH (receiving), one message per datagram
//! as [`group_datagram`] lays it out.
//!
//! There is no connection to make, lose or remake, and no group membership on the wire: a
//! RADIO sends every group to its address, and each DISH keeps what it joined. Delivery is
//! udp's: a datagram the network, the kernel or a full pipe has no room for is lost, and
//! nothing a peer sends can stop the socket from taking the next one.

use super::group_datagram::{self, MAX_DATAGRAM};
use super::reactor::{Ctx, MessagePump, Readiness, Step};
use super::Owner;
use crate::monitor::EventKind;
use crate::pipe::{PipeEnd, PipeEvent, Read};
use mio::net::UdpSocket;
use mio::{Interest, Registry, Token};
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::Instant;
use zmtp::Message;

/// Datagrams a socket may send or receive in one turn before other handlers get theirs.
const TURN_DATAGRAMS: usize = 256;

/// Which way messages flow through a udp socket.
#[derive(Clone, Copy, Debug)]
pub(crate) enum DatagramDirection {
    /// A RADIO's: messages from the pipe go to this address.
    Send { to: SocketAddr },
    /// A DISH's: datagrams that arrive go into the pipe.
    Receive,
}

/// See the module documentation.
pub(super) struct Datagram {
    owner: Owner,
    socket: UdpSocket,
    direction: DatagramDirection,
    /// The engine's end of the socket's pipe.
    end: PipeEnd,
    /// Sending: the datagram being sent. Receiving: room for one datagram more than the
    /// largest accepted, so that a longer one (which the kernel cuts to fit) shows as such.
    buf: Vec<u8>,
    /// Sending: `buf` holds a datagram the kernel had no room for yet.
    pending: bool,
    /// The socket closed and everything it wrote has been read from the pipe.
    drained: bool,
}

impl Datagram {
    /// Takes over `socket` and the engine's `end` of the pipe.
    pub(super) fn new(
        owner: Owner,
        mut socket: UdpSocket,
        direction: DatagramDirection,
        end: PipeEnd,
        ctx: &mut Ctx<'_>,
    ) -> io::Result<Datagram> {
        let (interest, buf) = match direction {
            DatagramDirection::Send { .. } => {
                (Interest::WRITABLE, Vec::with_capacity(MAX_DATAGRAM))
            }
            DatagramDirection::Receive => (Interest::READABLE, vec![0; MAX_DATAGRAM + 1]),
        };
        ctx.registry
            .register(&mut socket, Token(ctx.token as usize), interest)?;
        end.register(ctx.token);
        let mut datagram = Datagram {
            owner,
            socket,
            direction,
            end,
            buf,
            pending: false,
            drained: false,
        };
        // The socket wrote before the pipe had an owner here (a RADIO's first messages, a
        // DISH's joins), so no pipe event will tell of it.
        datagram.take_socket_output(ctx);
        Ok(datagram)
    }

    /// Takes what the socket wrote: a RADIO's messages go out, a DISH's joins and leaves
    /// are dropped (they mean nothing on udp, where the DISH filters for itself).
    fn take_socket_output(&mut self, ctx: &mut Ctx<'_>) {
        match self.direction {
            DatagramDirection::Send { to } => self.send_queued(to, ctx),
            DatagramDirection::Receive => while self.read_part().is_some() {},
        }
    }

    /// Sends what the RADIO queued until the pipe is empty, the kernel has no room or the
    /// turn is over.
    fn send_queued(&mut self, to: SocketAddr, ctx: &mut Ctx<'_>) {
        for _ in 0..TURN_DATAGRAMS {
            if !self.pending {
                if !self.take_outgoing() {
                    return;
                }
                self.pending = true;
            }
            match self.socket.send_to(&self.buf, to) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // Sent, or refused for good (no route, no one listening): either way this
                // datagram is done with; udp promises no delivery.
                Ok(_) | Err(_) => self.pending = false,
            }
        }
        ctx.run_again();
    }

    /// Reads the next group and body from the pipe into `buf` as a datagram; false when the
    /// pipe has nothing now. Messages too large for a datagram are dropped.
    fn take_outgoing(&mut self) -> bool {
        loop {
            let Some(group) = self.read_part() else {
                return false;
            };
            if !group.more() {
                // Not a group and a body: nothing a RADIO writes; skip it.
                continue;
            }
            // The parts of a message are flushed together: the body is there.
            let Some(body) = self.read_part() else {
                return false;
            };
            if body.more() {
                self.skip_rest_of_message();
                continue;
            }
            if group_datagram::encode(&group, &body, &mut self.buf) {
                return true;
            }
        }
    }

    fn skip_rest_of_message(&mut self) {
        while self.read_part().is_some_and(|part| part.more()) {}
    }

    /// The next part from the pipe, noting when the socket has closed it.
    fn read_part(&mut self) -> Option<Message> {
        match self.end.read() {
            Read::Message(part) => Some(part),
            Read::Empty => None,
            Read::Closed => {
                self.drained = true;
                None
            }
        }
    }

    /// Hands the datagrams that arrived to the DISH until none is left or the turn is over.
    fn receive(&mut self, ctx: &mut Ctx<'_>) {
        let mut delivered = false;
        let mut turn_over = true;
        for _ in 0..TURN_DATAGRAMS {
            match self.socket.recv(&mut self.buf) {
                Ok(n) => delivered |= self.deliver(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    turn_over = false;
                    break;
                }
                // Interrupted, or an error the kernel queued on the socket (an ICMP report):
                // the next datagram is unaffected.
                Err(_) => {}
            }
        }
        if delivered {
            self.end.flush();
        }
        if turn_over {
            ctx.run_again();
        }
    }

    /// Writes the first `len` bytes of `buf` to the pipe as a group and a body; false when
    /// the datagram was malformed, oversize, or found the DISH a high-water mark behind
    /// (RFC 48: the message is dropped).
    fn deliver(&mut self, len: usize) -> bool {
        let Some((group, body)) = self.buf.get(..len).and_then(group_datagram::decode) else {
            return false;
        };
        let group = Message::from_slice(group).with_more(true);
        let body = Message::from_slice(body);
        // Once the first part is in, the second is admitted whatever the high-water mark;
        // a closed pipe comes back as a pipe event.
        self.end.write(group).is_ok() && self.end.write(body).is_ok()
    }

    fn step(&self) -> Step {
        if self.drained {
            Step::Remove
        } else {
            Step::Keep
        }
    }
}

impl MessagePump for Datagram {
    fn owner(&self) -> &Owner {
        &self.owner
    }

    fn on_ready(&mut self, _readiness: Readiness, ctx: &mut Ctx<'_>) -> Step {
        match self.direction {
            DatagramDirection::Send { to } => self.send_queued(to, ctx),
            DatagramDirection::Receive => self.receive(ctx),
        }
        self.step()
    }

    fn on_pipe(&mut self, event: PipeEvent, ctx: &mut Ctx<'_>) -> Step {
        match event {
            // Nothing waits for room: a DISH a high-water mark behind loses datagrams.
            PipeEvent::Writable => {}
            PipeEvent::Readable | PipeEvent::Closed => self.take_socket_output(ctx),
        }
        self.step()
    }

    fn on_close(&mut self, ctx: &mut Ctx<'_>) -> Step {
        // What the RADIO sent before closing goes out if the kernel takes it now.
        self.take_socket_output(ctx);
        Step::Remove
    }

    fn on_timer(&mut self, _now: Instant, _ctx: &mut Ctx<'_>) -> Step {
        self.step()
    }

    fn shutdown(&mut self, registry: &Registry) {
        // Closing the descriptor removes it from epoll anyway.
        let _ = registry.deregister(&mut self.socket);
        if let DatagramDirection::Receive = self.direction {
            // A bound udp socket ends as a listener does.
            let Owner { link, endpoint, .. } = &self.owner;
            let fd = self.socket.as_raw_fd() as u32;
            link.monitor.emit(EventKind::Closed, fd, endpoint);
        }
    }
}
