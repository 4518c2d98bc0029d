//! The loop of an I/O thread: readiness events, commands and timers, dispatched to
//! listeners and message pumps (ZMTP sessions, raw STREAM connections, udp sockets).

use super::datagram::Datagram;
use super::pump::{Ctx, MessagePump, Readiness, Step};
use super::raw::RawConnection;
use super::session::Session;
use super::timers::Timers;
use super::{is_raw, Command, IoThread, Owner};
use crate::monitor::{errno_of, EventKind};
use crate::transport::{Listener, Stream};
use mio::{Events, Poll, Token};
use slab::Slab;
use std::collections::{HashSet, VecDeque};
use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// The token of the thread's waker.
pub(super) const WAKER: Token = Token(usize::MAX);

struct ListenerEntry {
    listener: Listener,
    owner: Owner,
}

enum Handler {
    Listener(ListenerEntry),
    Pump(Box<dyn MessagePump>),
}

impl Handler {
    fn owner(&self) -> &Owner {
        match self {
            Handler::Listener(l) => &l.owner,
            Handler::Pump(p) => p.owner(),
        }
    }
}

struct Entry {
    generation: u32,
    handler: Handler,
}

/// See the module documentation.
pub(super) struct Reactor {
    poll: Poll,
    io: Arc<IoThread>,
    handlers: Slab<Entry>,
    generation: u32,
    timers: Timers,
    runnable: VecDeque<u64>,
    stopping: bool,
}

fn token_of(key: usize, generation: u32) -> u64 {
    (u64::from(generation) << 32) | key as u64
}

impl Reactor {
    pub(super) fn new(poll: Poll, io: Arc<IoThread>) -> Self {
        Reactor {
            poll,
            io,
            handlers: Slab::new(),
            generation: 0,
            timers: Timers::default(),
            runnable: VecDeque::new(),
            stopping: false,
        }
    }

    pub(super) fn run(mut self) {
        let mut events = Events::with_capacity(256);
        let mut commands = Vec::new();
        let mut woken = HashSet::new();
        loop {
            self.io.take_commands(&mut commands);
            woken.clear();
            for command in commands.drain(..) {
                // A pipe wakes its handler each time it finds it asleep, and a socket that
                // keeps sending does so many times between two turns: one call per handler
                // and kind of event sees all that came.
                if let Command::Pipe { token, event } = &command {
                    if !woken.insert((*token, *event)) {
                        continue;
                    }
                }
                self.command(command);
            }
            if self.stopping && self.handlers.is_empty() {
                return;
            }
            self.run_runnable();
            self.io.sleeping.store(true, Ordering::SeqCst);
            // Commands that came meanwhile are taken on the next turn, but the network is
            // looked at on every turn: a socket whose sends keep waking this thread (a busy
            // publisher) must not starve accepts, reads and writes of its other connections,
            // nor the timers (a turn that skipped the poll skipped those too).
            let busy = !self.runnable.is_empty() || self.io.has_commands();
            let timeout = if busy {
                Some(std::time::Duration::ZERO)
            } else {
                self.timers
                    .next()
                    .map(|when| when.saturating_duration_since(Instant::now()))
            };
            let polled = self.poll.poll(&mut events, timeout);
            self.io.sleeping.store(false, Ordering::SeqCst);
            if let Err(e) = polled {
                if e.kind() != io::ErrorKind::Interrupted {
                    // The poller itself failed: nothing this thread can do any more.
                    return;
                }
            }
            for event in events.iter() {
                if event.token() == WAKER {
                    continue;
                }
                let token = event.token().0 as u64;
                let readable = event.is_readable() || event.is_read_closed() || event.is_error();
                let writable = event.is_writable() || event.is_write_closed() || event.is_error();
                let hung_up = event.is_read_closed() || event.is_error();
                self.ready(
                    token,
                    Readiness {
                        readable,
                        writable,
                        hung_up,
                    },
                );
            }
            self.fire_timers();
        }
    }

    /// The handler a token names, if it still exists.
    fn lookup(&self, token: u64) -> Option<usize> {
        let key = (token & 0xFFFF_FFFF) as usize;
        let entry = self.handlers.get(key)?;
        (u64::from(entry.generation) == token >> 32).then_some(key)
    }

    /// Adds the handler `make` builds, if it builds one; returns its token.
    fn insert(&mut self, make: impl FnOnce(&mut Ctx<'_>) -> Option<Handler>) -> Option<u64> {
        self.generation = self.generation.wrapping_add(1);
        let entry = self.handlers.vacant_entry();
        let token = token_of(entry.key(), self.generation);
        let mut ctx = Ctx {
            registry: self.poll.registry(),
            io: &self.io,
            token,
            timers: &mut self.timers,
            runnable: &mut self.runnable,
        };
        let handler = make(&mut ctx)?;
        entry.insert(Entry {
            generation: self.generation,
            handler,
        });
        Some(token)
    }

    /// Runs `f` on the message pump behind `token`, removing it when it is done.
    fn with_pump(
        &mut self,
        token: u64,
        f: impl FnOnce(&mut dyn MessagePump, &mut Ctx<'_>) -> Step,
    ) {
        let Some(key) = self.lookup(token) else {
            return;
        };
        let Handler::Pump(pump) = &mut self.handlers[key].handler else {
            return;
        };
        let mut ctx = Ctx {
            registry: self.poll.registry(),
            io: &self.io,
            token,
            timers: &mut self.timers,
            runnable: &mut self.runnable,
        };
        if let Step::Remove = f(pump.as_mut(), &mut ctx) {
            let entry = self.handlers.remove(key);
            if let Handler::Pump(mut pump) = entry.handler {
                pump.shutdown(self.poll.registry());
            }
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Listen {
                mut listener,
                owner,
            } => {
                if self.stopping {
                    return;
                }
                self.insert(|ctx| {
                    // Registration of a fresh listener only fails when the system is out of
                    // resources; the listener then simply never accepts.
                    let _ = listener.register(ctx.registry, Token(ctx.token as usize));
                    Some(Handler::Listener(ListenerEntry { listener, owner }))
                });
            }
            Command::Connect { target, end, owner } => {
                if self.stopping {
                    return;
                }
                self.insert(|ctx| {
                    Some(Handler::Pump(if is_raw(&owner) {
                        Box::new(RawConnection::connect(owner, target, end, ctx))
                    } else {
                        Box::new(Session::connect(owner, target, end, ctx))
                    }))
                });
            }
            Command::Datagram {
                socket,
                direction,
                end,
                owner,
            } => {
                if self.stopping {
                    return;
                }
                self.insert(|ctx| {
                    // A socket that cannot be registered is dropped, and its pipe with it:
                    // the application's socket sees the pipe close.
                    let datagram = Datagram::new(owner, socket, direction, end, ctx).ok()?;
                    Some(Handler::Pump(Box::new(datagram)))
                });
            }
            Command::Pipe { token, event } => {
                self.with_pump(token, |pump, ctx| pump.on_pipe(event, ctx));
            }
            Command::CloseEndpoint {
                socket_id,
                endpoint_id,
                done,
            } => {
                self.close_where(|owner| {
                    owner.socket_id == socket_id && owner.endpoint_id == endpoint_id
                });
                // The socket may have stopped waiting; nothing to do then.
                let _ = done.send(());
            }
            Command::CloseSocket { socket_id, done } => {
                self.close_where(|owner| owner.socket_id == socket_id);
                let _ = done.send(());
            }
            Command::Stop => self.stopping = true,
        }
    }

    /// Closes the listeners and connections of an endpoint or socket. Connections with
    /// messages still to deliver stay until their pipe tells them the socket is gone and
    /// their linger ends.
    fn close_where(&mut self, matches: impl Fn(&Owner) -> bool) {
        let tokens: Vec<u64> = self
            .handlers
            .iter()
            .filter(|(_, e)| matches(e.handler.owner()))
            .map(|(key, e)| token_of(key, e.generation))
            .collect();
        for token in tokens {
            let Some(key) = self.lookup(token) else {
                continue;
            };
            match &self.handlers[key].handler {
                Handler::Listener(_) => {
                    let entry = self.handlers.remove(key);
                    if let Handler::Listener(mut l) = entry.handler {
                        l.listener.deregister(self.poll.registry());
                        let Owner { link, endpoint, .. } = &l.owner;
                        let fd = l.listener.as_raw_fd() as u32;
                        link.monitor.emit(EventKind::Closed, fd, endpoint);
                    }
                }
                Handler::Pump(_) => self.with_pump(token, |p, ctx| p.on_close(ctx)),
            }
        }
    }

    fn ready(&mut self, token: u64, readiness: Readiness) {
        let Some(key) = self.lookup(token) else {
            return;
        };
        match &self.handlers[key].handler {
            Handler::Listener(_) => self.accept(key),
            Handler::Pump(_) => self.with_pump(token, |p, ctx| p.on_ready(readiness, ctx)),
        }
    }

    fn accept(&mut self, key: usize) {
        loop {
            let Handler::Listener(entry) = &self.handlers[key].handler else {
                return;
            };
            match entry.listener.accept() {
                Ok(stream) => {
                    let owner = entry.owner.clone();
                    if owner.link.is_closed() {
                        continue;
                    }
                    // A peer the IPC_FILTER_* or TCP_ACCEPT_FILTER options do not let in is
                    // closed at once; as in libzmq, the monitor sees an accept that failed
                    // (here: EACCES). A ws connection is a tcp one to the filter.
                    let tcp_admits = |tcp: &mio::net::TcpStream| {
                        tcp.peer_addr()
                            .is_ok_and(|peer| owner.options.tcp_accept_filters.admits(peer.ip()))
                    };
                    let admitted = match &stream {
                        Stream::Unix(_) => owner.options.ipc_filters.admits(stream.as_raw_fd()),
                        Stream::Tcp(tcp) => tcp_admits(tcp),
                        Stream::Ws(ws) => tcp_admits(&ws.tcp),
                    };
                    if !admitted {
                        let Owner { link, endpoint, .. } = &owner;
                        link.monitor.emit(
                            EventKind::AcceptFailed,
                            crate::sys::errno::EACCES as u32,
                            endpoint,
                        );
                        continue;
                    }
                    let Owner { link, endpoint, .. } = &owner;
                    link.monitor
                        .emit(EventKind::Accepted, stream.as_raw_fd() as u32, endpoint);
                    // A connection whose stream cannot be registered is dropped at once.
                    self.insert(|ctx| {
                        Some(Handler::Pump(if is_raw(&owner) {
                            Box::new(RawConnection::accepted(owner, stream, ctx).ok()?)
                        } else {
                            Box::new(Session::accepted(owner, stream, ctx)?)
                        }))
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                // Out of descriptors, a connection reset before it was accepted: this must
                // not stop the listener; readiness comes again with the next connection.
                Err(e) => {
                    let Owner { link, endpoint, .. } = &entry.owner;
                    link.monitor
                        .emit(EventKind::AcceptFailed, errno_of(&e), endpoint);
                    return;
                }
            }
        }
    }

    fn run_runnable(&mut self) {
        for _ in 0..self.runnable.len() {
            let Some(token) = self.runnable.pop_front() else {
                break;
            };
            self.with_pump(token, |p, ctx| p.on_ready(Readiness::AGAIN, ctx));
        }
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some(token) = self.timers.pop_due(now) {
            self.with_pump(token, |p, ctx| p.on_timer(now, ctx));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::ZapDirectory;
    use crate::options::Options;
    use crate::pipe::PipeEvent;
    use crate::socket::mailbox::SocketLink;
    use mio::Registry;
    use std::io::Write;
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc;
    use std::time::Duration;

    /// A handler that keeps its I/O thread busy: each pipe event it gets queues another
    /// one, as a socket that never stops sending does. It reports its stream's readiness.
    struct Busy {
        owner: Owner,
        stream: mio::net::UnixStream,
        stop: Arc<AtomicBool>,
        readable: mpsc::Sender<()>,
    }

    impl MessagePump for Busy {
        fn owner(&self) -> &Owner {
            &self.owner
        }

        fn on_ready(&mut self, readiness: Readiness, _ctx: &mut Ctx<'_>) -> Step {
            if readiness.readable {
                let _ = self.readable.send(());
            }
            Step::Keep
        }

        fn on_pipe(&mut self, event: PipeEvent, ctx: &mut Ctx<'_>) -> Step {
            if self.stop.load(Ordering::Relaxed) {
                return Step::Remove;
            }
            ctx.io.send(Command::Pipe {
                token: ctx.token,
                event,
            });
            Step::Keep
        }

        fn on_close(&mut self, _ctx: &mut Ctx<'_>) -> Step {
            Step::Remove
        }

        fn on_timer(&mut self, _now: Instant, _ctx: &mut Ctx<'_>) -> Step {
            Step::Keep
        }

        fn shutdown(&mut self, registry: &Registry) {
            let _ = registry.deregister(&mut self.stream);
        }
    }

    #[test]
    fn a_stream_of_commands_does_not_starve_the_network() {
        let (ours, mut theirs) = mio::net::UnixStream::pair().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (readable, became_readable) = mpsc::channel();
        let busy = Busy {
            owner: Owner {
                socket_id: 1,
                endpoint_id: 1,
                link: Arc::new(SocketLink::new(zmtp::SocketType::Pair, 0)),
                options: Arc::new(Options::default()),
                endpoint: Arc::from("test"),
                zap: ZapDirectory::empty(),
            },
            stream: ours,
            stop: stop.clone(),
            readable,
        };
        let (started, reactor_started) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let poll = Poll::new().unwrap();
            let waker = mio::Waker::new(poll.registry(), WAKER).unwrap();
            let io = Arc::new(IoThread::new(waker, poll.registry().try_clone().unwrap()));
            let mut reactor = Reactor::new(poll, io.clone());
            let token = reactor.insert(|ctx| {
                let mut busy = busy;
                let interest = mio::Interest::READABLE;
                ctx.registry
                    .register(&mut busy.stream, Token(ctx.token as usize), interest)
                    .unwrap();
                Some(Handler::Pump(Box::new(busy)))
            });
            started.send((io, token.unwrap())).unwrap();
            reactor.run();
        });
        let (io, token) = reactor_started.recv().unwrap();
        io.send(Command::Pipe {
            token,
            event: PipeEvent::Readable,
        });
        // The handler keeps a command queued from now on: while it does, the reactor must
        // still see that its stream became readable.
        std::thread::sleep(Duration::from_millis(20));
        theirs.write_all(b"x").unwrap();
        let seen = became_readable.recv_timeout(Duration::from_secs(2));
        stop.store(true, Ordering::Relaxed);
        io.send(Command::Stop);
        thread.join().unwrap();
        assert!(
            seen.is_ok(),
            "readiness went unseen while commands kept coming"
        );
    }
}
