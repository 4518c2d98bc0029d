//! The context: I/O threads, the inproc namespace and every socket made from it.

use crate::engine::{self, Command, IoThread};
use crate::error::{Error, Result};
use crate::io_thread_settings::IoThreadSettings;
use crate::monitor::FeedPump;
use crate::pipe::{pipe, Limit, Notify, PipeEnd, PipeLimits};
use crate::socket::mailbox::{DeferredTarget, PeerDetails, SocketEvent, SocketLink};
use crate::socket::Socket;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;
use zmtp::{Message, SocketType};

/// The container of a set of sockets, as `zmq_ctx_new` makes one.
///
/// A context owns the background I/O threads (started on first use) and the namespace of
/// `inproc://` endpoints. Clones share the same context; it ends when the last clone and
/// the last of its sockets are dropped, after lingering messages are sent (see
/// [`SocketOptions::set_linger`](crate::SocketOptions::set_linger)).
///
/// ```
/// let ctx = ferrozmq::Context::new();
/// let rep = ctx.socket(ferrozmq::REP).unwrap();
/// rep.bind("inproc://example").unwrap();
/// ```
#[derive(Clone)]
pub struct Context {
    shared: Arc<ContextShared>,
}

/// What a socket needs to know about how its peer on an inproc endpoint is set up.
#[derive(Clone)]
pub(crate) struct InprocSide {
    pub(crate) link: Arc<SocketLink>,
    pub(crate) socket_type: SocketType,
    pub(crate) routing_id: Bytes,
    /// What the socket may queue towards a peer.
    pub(crate) outbound: Limit,
    /// What the socket may queue from a peer.
    pub(crate) inbound: Limit,
    /// HELLO_MSG: written to each new peer first.
    pub(crate) hello: Option<Message>,
    /// DISCONNECT_MSG (binder only): the last message of each connector's pipe.
    pub(crate) disconnect: Option<Message>,
}

impl InprocSide {
    /// Greets the peer of a new pipe and, when this side bound the name, asks the peer
    /// for its farewell, as the socket's options say; `end` is this side's.
    fn open(&self, end: &mut PipeEnd, binder: bool) {
        if let Some(hello) = &self.hello {
            end.send_control(hello.clone());
        }
        if let Some(farewell) = self.disconnect.as_ref().filter(|_| binder) {
            end.set_peer_farewell(farewell.clone());
        }
    }
}

struct Pending {
    /// The binder's end, waiting for a binder.
    end: PipeEnd,
    target: Arc<DeferredTarget>,
    peer: PeerDetails,
}

#[derive(Default)]
struct Inproc {
    bound: HashMap<String, (u64, InprocSide)>,
    pending: HashMap<String, Vec<Pending>>,
}

/// A running I/O thread.
struct Worker {
    io: Arc<IoThread>,
    thread: JoinHandle<()>,
}

/// libzmq's default MAX_SOCKETS.
const DEFAULT_MAX_SOCKETS: usize = 1023;

pub(crate) struct ContextShared {
    /// IO_THREADS: how many I/O threads to start when the first is needed.
    io_threads: AtomicUsize,
    /// MAX_SOCKETS: how many sockets may be open at once.
    max_sockets: AtomicUsize,
    /// BLOCKY: whether new sockets linger for ever by default (libzmq's default) or not at
    /// all.
    blocky: AtomicBool,
    io: Mutex<Vec<Worker>>,
    /// How the I/O threads are started (THREAD_* options).
    io_thread_settings: Mutex<IoThreadSettings>,
    next_io: AtomicUsize,
    next_id: AtomicU64,
    /// Shared with the I/O threads through [`ZapDirectory`].
    inproc: Arc<Mutex<Inproc>>,
    sockets: Mutex<HashMap<u64, Weak<SocketLink>>>,
    terminated: AtomicBool,
    /// The thread that sends every wire monitor feed of the context.
    feed_pump: Arc<FeedPump>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Context {
    /// A context with one I/O thread, libzmq's default.
    pub fn new() -> Context {
        Self::with_io_threads(1)
    }

    /// A context with `n` I/O threads. Threads start when the first tcp, ipc or udp
    /// endpoint is bound or connected. With 0, as in libzmq, the context is for `inproc://`
    /// only: binding or connecting anything else fails with [`Error::NoIoThread`].
    ///
    /// ```
    /// use ferrozmq::{Context, Error, PAIR};
    /// let ctx = Context::with_io_threads(0);
    /// let pair = ctx.socket(PAIR).unwrap();
    /// pair.bind("inproc://no-threads-needed").unwrap();
    /// assert_eq!(pair.bind("tcp://127.0.0.1:*"), Err(Error::NoIoThread));
    /// ```
    pub fn with_io_threads(n: usize) -> Context {
        Context {
            shared: Arc::new(ContextShared {
                io_threads: AtomicUsize::new(n),
                max_sockets: AtomicUsize::new(DEFAULT_MAX_SOCKETS),
                blocky: AtomicBool::new(true),
                io: Mutex::new(Vec::new()),
                io_thread_settings: Mutex::new(IoThreadSettings::default()),
                next_io: AtomicUsize::new(0),
                next_id: AtomicU64::new(1),
                inproc: Arc::new(Mutex::new(Inproc::default())),
                sockets: Mutex::new(HashMap::new()),
                terminated: AtomicBool::new(false),
                feed_pump: Arc::default(),
            }),
        }
    }

    /// Creates a socket of the given type. Fails with [`Error::TooManySockets`] when
    /// MAX_SOCKETS sockets are open.
    pub fn socket(&self, socket_type: SocketType) -> Result<Socket> {
        if self.shared.terminated.load(Ordering::Acquire) {
            return Err(Error::Terminated);
        }
        let open = lock(&self.shared.sockets).len();
        if open >= self.shared.max_sockets.load(Ordering::Relaxed) {
            return Err(Error::TooManySockets);
        }
        let socket = Socket::new(self.shared.clone(), socket_type)?;
        if !self.shared.blocky.load(Ordering::Relaxed) {
            socket
                .options()
                .set_linger(Some(std::time::Duration::ZERO))?;
        }
        Ok(socket)
    }

    /// How many I/O threads to run (`ZMQ_IO_THREADS`, default 1); only effective before
    /// the first tcp, ipc or udp endpoint starts them. 0 makes the context inproc-only (see
    /// [`with_io_threads`](Self::with_io_threads)).
    pub fn set_io_threads(&self, n: usize) -> Result<()> {
        self.shared.io_threads.store(n, Ordering::Relaxed);
        Ok(())
    }

    /// See [`set_io_threads`](Self::set_io_threads).
    pub fn io_threads(&self) -> usize {
        self.shared.io_threads.load(Ordering::Relaxed)
    }

    /// How many sockets may be open at once (`ZMQ_MAX_SOCKETS`, default 1023).
    pub fn set_max_sockets(&self, n: usize) -> Result<()> {
        if n == 0 {
            return Err(Error::InvalidArgument("MAX_SOCKETS must be at least 1"));
        }
        self.shared.max_sockets.store(n, Ordering::Relaxed);
        Ok(())
    }

    /// See [`set_max_sockets`](Self::set_max_sockets).
    pub fn max_sockets(&self) -> usize {
        self.shared.max_sockets.load(Ordering::Relaxed)
    }

    /// Names the I/O threads `PREFIX/ferrozmq-io-N` (`ZMQ_THREAD_NAME_PREFIX`), as `top -H`
    /// and `ps -L` show them (the kernel keeps 15 bytes). Like every I/O thread setting,
    /// it applies to threads started later: set it before the first tcp, ipc or udp
    /// endpoint.
    pub fn set_io_thread_name_prefix(&self, prefix: &str) {
        lock(&self.shared.io_thread_settings).name_prefix = prefix.to_string();
    }

    /// See [`set_io_thread_name_prefix`](Self::set_io_thread_name_prefix).
    pub fn io_thread_name_prefix(&self) -> String {
        lock(&self.shared.io_thread_settings).name_prefix.clone()
    }

    /// Lets the I/O threads run on `cpu` (`ZMQ_THREAD_AFFINITY_CPU_ADD`); with no CPU
    /// added they run anywhere. CPUs the process may not use are ignored when the threads
    /// start.
    ///
    /// ```
    /// let ctx = ferrozmq::Context::new();
    /// ctx.add_io_thread_cpu(0);
    /// assert_eq!(ctx.io_thread_cpus(), [0]);
    /// ctx.remove_io_thread_cpu(0);
    /// assert!(ctx.io_thread_cpus().is_empty());
    /// ```
    pub fn add_io_thread_cpu(&self, cpu: usize) {
        lock(&self.shared.io_thread_settings).cpus.insert(cpu);
    }

    /// Takes back an [`add_io_thread_cpu`](Self::add_io_thread_cpu)
    /// (`ZMQ_THREAD_AFFINITY_CPU_REMOVE`).
    pub fn remove_io_thread_cpu(&self, cpu: usize) {
        lock(&self.shared.io_thread_settings).cpus.remove(&cpu);
    }

    /// The CPUs added, in order.
    pub fn io_thread_cpus(&self) -> Vec<usize> {
        lock(&self.shared.io_thread_settings)
            .cpus
            .iter()
            .copied()
            .collect()
    }

    /// The I/O threads' scheduling policy, one of the system's `SCHED_*` values
    /// (`ZMQ_THREAD_SCHED_POLICY`); `None`: the system's default.
    pub fn set_io_thread_sched_policy(&self, policy: Option<i32>) -> Result<()> {
        if policy.is_some_and(|p| p < 0) {
            return Err(Error::InvalidArgument(
                "a scheduling policy is not negative",
            ));
        }
        lock(&self.shared.io_thread_settings).policy = policy;
        Ok(())
    }

    /// See [`set_io_thread_sched_policy`](Self::set_io_thread_sched_policy).
    pub fn io_thread_sched_policy(&self) -> Option<i32> {
        lock(&self.shared.io_thread_settings).policy
    }

    /// The I/O threads' priority within their policy (`ZMQ_THREAD_PRIORITY`); under the
    /// time-sharing policies, which have none, any priority raises the threads' nice value
    /// to the highest the process may give. Raising needs privileges; without them the
    /// threads start as they would have.
    pub fn set_io_thread_priority(&self, priority: Option<i32>) -> Result<()> {
        if priority.is_some_and(|p| p < 0) {
            return Err(Error::InvalidArgument("a thread priority is not negative"));
        }
        lock(&self.shared.io_thread_settings).priority = priority;
        Ok(())
    }

    /// See [`set_io_thread_priority`](Self::set_io_thread_priority).
    pub fn io_thread_priority(&self) -> Option<i32> {
        lock(&self.shared.io_thread_settings).priority
    }

    /// Whether ending the context waits for queued messages (`ZMQ_BLOCKY`, default true).
    /// With false, sockets made afterwards start with LINGER 0, so the last drop of the
    /// context returns at once, dropping what was not sent.
    pub fn set_blocky(&self, on: bool) {
        self.shared.blocky.store(on, Ordering::Relaxed);
    }

    /// See [`set_blocky`](Self::set_blocky).
    pub fn blocky(&self) -> bool {
        self.shared.blocky.load(Ordering::Relaxed)
    }

    /// Shuts the context down (`zmq_ctx_shutdown`): every blocking call on its sockets, now
    /// and later, returns [`Error::Terminated`], and no new socket can be made. Sockets must
    /// still be dropped by their owners.
    pub fn shutdown(&self) {
        self.shared.terminated.store(true, Ordering::Release);
        let sockets: Vec<_> = lock(&self.shared.sockets).values().cloned().collect();
        for link in sockets.iter().filter_map(Weak::upgrade) {
            link.terminate();
        }
    }
}

impl Default for Context {
    fn default() -> Self {
        Context::new()
    }
}

impl ContextShared {
    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.terminated.load(Ordering::Acquire)
    }

    pub(crate) fn feed_pump(&self) -> &Arc<FeedPump> {
        &self.feed_pump
    }

    pub(crate) fn register_socket(&self, id: u64, link: &Arc<SocketLink>) {
        lock(&self.sockets).insert(id, Arc::downgrade(link));
        if self.is_terminated() {
            link.terminate();
        }
    }

    pub(crate) fn unregister_socket(&self, id: u64) {
        lock(&self.sockets).remove(&id);
        let mut inproc = lock(&self.inproc);
        inproc.bound.retain(|_, (owner, _)| *owner != id);
    }

    /// An I/O thread for a socket, starting the threads on first use: in turn among those
    /// `affinity` allows (bit `i` for thread `i`; 0 for any, libzmq's AFFINITY).
    pub(crate) fn io_thread(&self, affinity: u64) -> Result<Arc<IoThread>> {
        let mut io = lock(&self.io);
        while io.len() < self.io_threads.load(Ordering::Relaxed) {
            let settings = lock(&self.io_thread_settings).clone();
            let (thread, handle) = engine::spawn(io.len(), settings)?;
            io.push(Worker {
                io: thread,
                thread: handle,
            });
        }
        let allowed: Vec<&Worker> = io
            .iter()
            .enumerate()
            .filter(|(i, _)| affinity == 0 || (*i < 64 && affinity & (1 << i) != 0))
            .map(|(_, worker)| worker)
            .collect();
        if allowed.is_empty() {
            return Err(Error::NoIoThread);
        }
        let i = self.next_io.fetch_add(1, Ordering::Relaxed) % allowed.len();
        Ok(allowed[i].io.clone())
    }

    /// Binds an inproc name; returns the pipes of sockets that connected before the bind,
    /// for the binder to attach.
    pub(crate) fn inproc_bind(
        &self,
        name: &str,
        socket_id: u64,
        binder: InprocSide,
    ) -> Result<Vec<(PipeEnd, PeerDetails)>> {
        let mut inproc = lock(&self.inproc);
        if inproc.bound.contains_key(name) {
            return Err(Error::AddrInUse(format!("inproc://{name}")));
        }
        inproc
            .bound
            .insert(name.to_string(), (socket_id, binder.clone()));
        let waiting = inproc.pending.remove(name).unwrap_or_default();
        drop(inproc);
        let mut attach = Vec::new();
        for mut pending in waiting {
            // A connector that closed before the bind leaves its flushed messages behind, as
            // in libzmq; one that left nothing leaves nothing to attach.
            if pending.end.peer_closed() && !pending.end.has_message() {
                continue;
            }
            // The pipe was made with the connector's shares of the high-water marks; the
            // binder adds its own, as libzmq does at the bind.
            if let Limit::Messages(share) = binder.inbound {
                pending.end.set_recv_share(share);
            }
            if let Limit::Messages(share) = binder.outbound {
                pending.end.set_send_share(share);
            }
            binder.open(&mut pending.end, true);
            pending.target.set(binder.link.clone());
            attach.push((pending.end, pending.peer));
        }
        Ok(attach)
    }

    pub(crate) fn inproc_unbind(&self, name: &str, socket_id: u64) -> Result<()> {
        let mut inproc = lock(&self.inproc);
        match inproc.bound.get(name) {
            Some((owner, _)) if *owner == socket_id => {
                inproc.bound.remove(name);
                Ok(())
            }
            _ => Err(Error::NoSuchEndpoint(format!("inproc://{name}"))),
        }
    }

    /// Connects to an inproc name, bound or not yet; returns the connector's end and the
    /// binder's routing id (empty while nobody is bound).
    pub(crate) fn inproc_connect(
        &self,
        name: &str,
        connector: InprocSide,
    ) -> Result<(PipeEnd, Bytes)> {
        let endpoint: Arc<str> = Arc::from(format!("inproc://{name}"));
        let mut inproc = lock(&self.inproc);
        // No socket types are compared: as in libzmq, inproc joins whatever two sockets
        // meet at a name (only the ZMTP handshake of tcp and ipc refuses incompatible peers).
        if let Some((_, binder)) = inproc.bound.get(name) {
            let binder = binder.clone();
            drop(inproc);
            let (mut mine, mut theirs) = pipe(
                connector.link.clone(),
                binder.link.clone(),
                PipeLimits {
                    a_to_b: connector.outbound.join(Some(binder.inbound)),
                    b_to_a: binder.outbound.join(Some(connector.inbound)),
                },
            );
            connector.open(&mut mine, false);
            binder.open(&mut theirs, true);
            binder.link.post(SocketEvent::Attach(
                theirs,
                PeerDetails {
                    routing_id: connector.routing_id.clone(),
                    endpoint,
                },
            ));
            return Ok((mine, binder.routing_id));
        }
        let target = Arc::new(DeferredTarget::default());
        let (mut mine, theirs) = pipe(
            connector.link.clone(),
            target.clone(),
            // The binder's shares come when it binds (see `inproc_bind`).
            PipeLimits {
                a_to_b: connector.outbound.join(None),
                b_to_a: connector.inbound.with_writer_unknown(),
            },
        );
        connector.open(&mut mine, false);
        let waiting = inproc.pending.entry(name.to_string()).or_default();
        // Connectors that closed before any bind, leaving nothing to read, are forgotten.
        waiting.retain_mut(|p| !p.end.peer_closed() || p.end.has_message());
        waiting.push(Pending {
            end: theirs,
            target,
            peer: PeerDetails {
                routing_id: connector.routing_id,
                endpoint,
            },
        });
        Ok((mine, Bytes::new()))
    }
}

/// The way from the I/O threads to the context's ZAP handler. It holds the inproc
/// namespace, not the context: an I/O thread must never hold the last reference to a
/// context, whose end waits for the I/O threads to finish.
#[derive(Clone)]
pub(crate) struct ZapDirectory {
    inproc: Arc<Mutex<Inproc>>,
}

impl ZapDirectory {
    /// A directory of its own, where no handler is ever bound (for engine tests).
    #[cfg(test)]
    pub(crate) fn empty() -> Self {
        ZapDirectory {
            inproc: Arc::default(),
        }
    }

    /// Connects a pipe to the ZAP handler, for one request: `None` when no REP or ROUTER is
    /// bound at `inproc://zeromq.zap.01` (libzmq's rule: the handler starts before the
    /// servers). Events of the new pipe's end go to `notify`. The handler's socket sees a
    /// new peer, as if a DEALER had connected.
    pub(crate) fn connect(&self, notify: Arc<dyn Notify>) -> Option<PipeEnd> {
        let inproc = lock(&self.inproc);
        let (_, handler) = inproc.bound.get(crate::engine::ZAP_ENDPOINT)?;
        if !handler.socket_type.is_compatible_with(SocketType::Dealer) {
            return None;
        }
        let handler = handler.clone();
        drop(inproc);
        let (mine, theirs) = pipe(
            notify,
            handler.link.clone(),
            PipeLimits {
                a_to_b: Limit::Messages(0),
                b_to_a: Limit::Messages(0),
            },
        );
        handler.link.post(SocketEvent::Attach(
            theirs,
            PeerDetails {
                routing_id: Bytes::new(),
                endpoint: Arc::from(format!("inproc://{}", crate::engine::ZAP_ENDPOINT)),
            },
        ));
        Some(mine)
    }
}

impl ContextShared {
    /// See [`ZapDirectory`].
    pub(crate) fn zap_directory(&self) -> ZapDirectory {
        ZapDirectory {
            inproc: self.inproc.clone(),
        }
    }
}

impl Drop for ContextShared {
    fn drop(&mut self) {
        let workers = std::mem::take(&mut *lock(&self.io));
        for worker in &workers {
            worker.io.send(Command::Stop);
        }
        for worker in workers {
            // Joining waits for lingering messages, as zmq_ctx_term does. An I/O thread that
            // panicked has nothing left to deliver.
            let _ = worker.thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinity_chooses_among_the_threads_it_names() {
        let ctx = Context::with_io_threads(3);
        let shared = &ctx.shared;
        let first = shared.io_thread(0b001).unwrap();
        for _ in 0..4 {
            assert!(Arc::ptr_eq(&shared.io_thread(0b001).unwrap(), &first));
        }
        let others: Vec<_> = (0..4).map(|_| shared.io_thread(0b110).unwrap()).collect();
        assert!(others.iter().all(|io| !Arc::ptr_eq(io, &first)));
        assert!(
            !Arc::ptr_eq(&others[0], &others[1]),
            "in turn among the threads allowed"
        );
        let any: Vec<_> = (0..3).map(|_| shared.io_thread(0).unwrap()).collect();
        assert!(any.iter().any(|io| Arc::ptr_eq(io, &first)));
        assert!(matches!(shared.io_thread(0b1000), Err(Error::NoIoThread)));
    }

    #[test]
    fn no_io_threads_means_none_to_choose() {
        let ctx = Context::with_io_threads(0);
        assert!(matches!(ctx.shared.io_thread(0), Err(Error::NoIoThread)));
    }
}
