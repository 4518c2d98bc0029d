//! A udp socket serving a RADIO (sending), a DISH (receiving) or a DGRAM (both ways).
//!
//! A RADIO's message is one datagram as [`group_datagram`] lays it out; a DGRAM's message is
//! the peer's address and a body, and only the body goes on the wire, as
//! [`peer_address`] says. There is no connection to make, lose or remake, and no group
//! membership on the wire: a RADIO sends every group to its address, and each DISH keeps
//! what it joined. Delivery is udp's: a datagram the network, the kernel or a full pipe has
//! no room for is lost, and nothing a peer sends can stop the socket from taking the next one.

use super::group_datagram::{self, MAX_DATAGRAM};
use super::peer_address;
use super::pump::{Ctx, MessagePump, Readiness, Step};
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
    /// A DGRAM's: both, each message naming the peer it goes to or came from.
    Addressed,
}

impl DatagramDirection {
    fn sends(self) -> bool {
        !matches!(self, DatagramDirection::Receive)
    }

    fn receives(self) -> bool {
        !matches!(self, DatagramDirection::Send { .. })
    }
}

/// See the module documentation.
pub(super) struct Datagram {
    owner: Owner,
    socket: UdpSocket,
    direction: DatagramDirection,
    /// The engine's end of the socket's pipe.
    end: PipeEnd,
    /// Room for one datagram more than the largest accepted, so that a longer one (which
    /// the kernel cuts to fit) shows as such; empty for a socket that only sends.
    inbound: Vec<u8>,
    /// The datagram being sent.
    outbound: Vec<u8>,
    /// `outbound` holds a datagram for this address that the kernel had no room for yet.
    pending: Option<SocketAddr>,
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
        let interest = match direction {
            DatagramDirection::Send { .. } => Interest::WRITABLE,
            DatagramDirection::Receive => Interest::READABLE,
            DatagramDirection::Addressed => Interest::READABLE | Interest::WRITABLE,
        };
        ctx.registry
            .register(&mut socket, Token(ctx.token as usize), interest)?;
        end.register(ctx.token);
        let inbound = if direction.receives() {
            vec![0; MAX_DATAGRAM + 1]
        } else {
            Vec::new()
        };
        let outbound = if direction.sends() {
            Vec::with_capacity(MAX_DATAGRAM)
        } else {
            Vec::new()
        };
        let mut datagram = Datagram {
            owner,
            socket,
            direction,
            end,
            inbound,
            outbound,
            pending: None,
            drained: false,
        };
        // The socket wrote before the pipe had an owner here (a RADIO's or DGRAM's first
        // messages, a DISH's joins), so no pipe event will tell of it.
        datagram.take_socket_output(ctx);
        Ok(datagram)
    }

    /// Takes what the socket wrote: a RADIO's or DGRAM's messages go out, a DISH's joins
    /// and leaves are dropped (they mean nothing on udp, where the DISH filters for itself).
    fn take_socket_output(&mut self, ctx: &mut Ctx<'_>) {
        if self.direction.sends() {
            self.send_queued(ctx);
        } else {
            while self.read_part().is_some() {}
        }
    }

    /// Sends what the socket queued until the pipe is empty, the kernel has no room or the
    /// turn is over.
    fn send_queued(&mut self, ctx: &mut Ctx<'_>) {
        for _ in 0..TURN_DATAGRAMS {
            let to = match self.pending {
                Some(to) => to,
                None => match self.take_outgoing() {
                    Some(to) => to,
                    None => return,
                },
            };
            self.pending = Some(to);
            match self.socket.send_to(&self.outbound, to) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // Sent, or refused for good (no route, no one listening, an address of the
                // other family): either way this datagram is done with; udp promises no
                // delivery.
                Ok(_) | Err(_) => self.pending = None,
            }
        }
        ctx.run_again();
    }

    /// Reads the next message from the pipe into `outbound` as a datagram and returns where
    /// it goes; `None` when the pipe has nothing now. Messages too large for a datagram
    /// are dropped.
    fn take_outgoing(&mut self) -> Option<SocketAddr> {
        loop {
            let head = self.read_part()?;
            if !head.more() {
                // Not a group (or an address) and a body: nothing the socket writes.
                continue;
            }
            // The parts of a message are flushed together: the body is there.
            let body = self.read_part()?;
            if body.more() {
                self.skip_rest_of_message();
                continue;
            }
            match self.direction {
                DatagramDirection::Send { to } => {
                    if group_datagram::encode(&head, &body, &mut self.outbound) {
                        return Some(to);
                    }
                }
                DatagramDirection::Addressed => {
                    // The DGRAM checked the address when it was sent.
                    if let Some(to) = peer_address::parse(&head) {
                        if body.len() <= MAX_DATAGRAM {
                            self.outbound.clear();
                            self.outbound.extend_from_slice(&body);
                            return Some(to);
                        }
                    }
                }
                DatagramDirection::Receive => {}
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

    /// Hands the datagrams that arrived to the socket until none is left or the turn is
    /// over.
    fn receive(&mut self, ctx: &mut Ctx<'_>) {
        let mut delivered = false;
        let mut turn_over = true;
        for _ in 0..TURN_DATAGRAMS {
            match self.socket.recv_from(&mut self.inbound) {
                Ok((n, from)) => delivered |= self.deliver(n, from),
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

    /// Writes the first `len` bytes of `inbound` to the pipe as a message: a group and a
    /// body (DISH), or the sender's address and the datagram (DGRAM). False when the
    /// datagram was malformed, oversize, or found the socket a high-water mark behind
    /// (RFC 48: the message is dropped).
    fn deliver(&mut self, len: usize, from: SocketAddr) -> bool {
        let (head, body) = match self.direction {
            DatagramDirection::Addressed => {
                if len > MAX_DATAGRAM {
                    return false;
                }
                let address = peer_address::text(&from);
                (
                    Message::from_slice(&address),
                    Message::from_slice(&self.inbound[..len]),
                )
            }
            _ => {
                let decoded = self.inbound.get(..len).and_then(group_datagram::decode);
                let Some((group, body)) = decoded else {
                    return false;
                };
                (Message::from_slice(group), Message::from_slice(body))
            }
        };
        let head = head.with_more(true);
        // Once the first part is in, the second is admitted whatever the high-water mark;
        // a closed pipe comes back as a pipe event.
        self.end.write(head).is_ok() && self.end.write(body).is_ok()
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

    fn on_ready(&mut self, readiness: Readiness, ctx: &mut Ctx<'_>) -> Step {
        if self.direction.receives() && readiness.readable {
            self.receive(ctx);
        }
        if self.direction.sends() && readiness.writable {
            self.send_queued(ctx);
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
        if self.direction.receives() {
            // A bound udp socket ends as a listener does.
            let Owner { link, endpoint, .. } = &self.owner;
            let fd = self.socket.as_raw_fd() as u32;
            link.monitor.emit(EventKind::Closed, fd, endpoint);
        }
    }
}
