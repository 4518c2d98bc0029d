//! The I/O threads: each runs a reactor that moves messages between pipes and byte streams.
//!
//! Sockets never touch the network themselves. They hand listeners and connect requests to an
//! I/O thread as [`Command`]s; the thread's reactor accepts, connects, runs the ZMTP
//! handshake and then pumps bytes: many messages per read and per write system call, and one
//! wake-up of the socket per batch. RADIO, DISH and DGRAM sockets may also hand it a udp
//! socket, which it pumps datagrams through.

mod backoff;
mod connection;
mod datagram;
mod group_datagram;
mod heartbeat;
pub(crate) mod peer_address;
mod peer_messages;
mod pump;
mod raw;
mod reactor;
mod reason;
mod session;
mod timers;
mod upstream_filters;
mod zap;

pub(crate) use datagram::DatagramDirection;
pub(crate) use reason::Reason;
pub(crate) use zap::{ZapError, ZAP_ENDPOINT};

use crate::context::ZapDirectory;
use crate::options::Options;
use crate::pipe::{Notify, PipeEnd, PipeEvent};
use crate::socket::mailbox::SocketLink;
use crate::transport::{Listener, Target};
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Which socket and endpoint a listener or connection serves.
#[derive(Clone)]
pub(crate) struct Owner {
    pub(crate) socket_id: u64,
    pub(crate) endpoint_id: u64,
    pub(crate) link: Arc<SocketLink>,
    /// The socket's options when the bind or connect was made.
    pub(crate) options: Arc<Options>,
    /// The endpoint as the application wrote it.
    pub(crate) endpoint: Arc<str>,
    /// The way to the context's ZAP handler.
    pub(crate) zap: ZapDirectory,
}

/// Whether the connections of `owner` carry raw bytes (STREAM) rather than ZMTP.
fn is_raw(owner: &Owner) -> bool {
    owner.link.socket_type == zmtp::SocketType::Stream
}

/// Work for an I/O thread.
pub(crate) enum Command {
    /// Accept connections on a bound listener.
    Listen { listener: Listener, owner: Owner },
    /// Connect (and keep reconnecting). `end` is the engine's end of a pipe that outlives
    /// connections, or `None` when each connection gets its own pipe.
    Connect {
        target: Target,
        end: Option<PipeEnd>,
        owner: Owner,
    },
    /// Move messages between a pipe and a udp socket (a RADIO's sender, a DISH's or
    /// DGRAM's bound socket) for as long as the endpoint lasts.
    Datagram {
        socket: mio::net::UdpSocket,
        direction: DatagramDirection,
        end: PipeEnd,
        owner: Owner,
    },
    /// A pipe event for the handler registered with `token`.
    Pipe { token: u64, event: PipeEvent },
    /// Unbind or disconnect: drop the endpoint's listener or connection, and the
    /// connections accepted through it. `done` is told once the listener is closed, so the
    /// address can be bound again as soon as unbind returns.
    CloseEndpoint {
        socket_id: u64,
        endpoint_id: u64,
        done: Sender<()>,
    },
    /// The socket closed: stop listening and connecting for it; then tell `done`.
    CloseSocket { socket_id: u64, done: Sender<()> },
    /// The context is ending: exit once the lingering connections are done.
    Stop,
}

/// The handle other threads use to reach an I/O thread.
pub(crate) struct IoThread {
    commands: Mutex<Vec<Command>>,
    /// The reactor is (about to be) blocked in `poll`, so a new command must wake it.
    sleeping: AtomicBool,
    waker: mio::Waker,
    /// The reactor's poller, for a socket's thread that takes a lent connection's stream out
    /// of it while it reads for itself (see `session::read_through`).
    registry: mio::Registry,
}

impl IoThread {
    fn new(waker: mio::Waker, registry: mio::Registry) -> Self {
        IoThread {
            commands: Mutex::new(Vec::new()),
            sleeping: AtomicBool::new(false),
            waker,
            registry,
        }
    }

    /// Queues a command, waking the thread only if it sleeps.
    pub(crate) fn send(&self, command: Command) {
        self.commands
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(command);
        if self.sleeping.swap(false, Ordering::SeqCst) {
            // A failed wake means the thread is gone, and so is the work.
            let _ = self.waker.wake();
        }
    }

    fn take_commands(&self, into: &mut Vec<Command>) {
        let mut commands = self.commands.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::swap(&mut *commands, into);
    }

    fn has_commands(&self) -> bool {
        !self
            .commands
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }
}

impl Notify for IoThread {
    fn notify(&self, token: u64, event: PipeEvent) {
        self.send(Command::Pipe { token, event });
    }
}

/// How long the start of an I/O thread waits for the thread to take its CPUs and policy.
const SETTLING: std::time::Duration = std::time::Duration::from_secs(1);

/// Starts an I/O thread.
pub(crate) fn spawn(
    index: usize,
    settings: crate::io_thread_settings::IoThreadSettings,
) -> io::Result<(Arc<IoThread>, JoinHandle<()>)> {
    let poll = mio::Poll::new()?;
    let waker = mio::Waker::new(poll.registry(), reactor::WAKER)?;
    let io = Arc::new(IoThread::new(waker, poll.registry().try_clone()?));
    let thread_io = io.clone();
    // The bind or connect that starts the thread returns only once the thread runs on its
    // CPUs and policy: a caller (or a test reading /proc) that looks right after it sees
    // the settings applied, not the inherited ones of a thread that has its name already.
    // Bounded, because the caller holds the context's I/O lock meanwhile: a thread whose
    // CPUs a busy real-time thread keeps from it must not hold up every other socket's
    // first bind with it.
    let (applied, settled) = std::sync::mpsc::sync_channel::<()>(1);
    let handle = std::thread::Builder::new()
        .name(settings.thread_name(index))
        .spawn(move || {
            settings.apply_to_current_thread();
            let _ = applied.send(());
            reactor::Reactor::new(poll, thread_io).run()
        })?;
    match settled.recv_timeout(SETTLING) {
        Ok(()) | Err(RecvTimeoutError::Timeout) => Ok((io, handle)),
        // Ended before its loop began (a panic in the platform calls): nobody would serve
        // the endpoint.
        Err(RecvTimeoutError::Disconnected) => {
            Err(io::Error::other("the I/O thread ended as it started"))
        }
    }
}
