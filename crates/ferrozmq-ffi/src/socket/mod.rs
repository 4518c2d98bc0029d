//! Sockets: `zmq_socket`, `zmq_close`, the endpoint calls (`zmq_bind`, `zmq_connect`,
//! `zmq_unbind`, `zmq_disconnect`, `zmq_connect_peer`, `zmq_disconnect_peer`, `zmq_join`,
//! `zmq_leave`), and what the other socket functions share: the handle registry and how a
//! call waits ([`wait`]).
//!
//! Ownership, per function:
//!
//! | function | handle before | handle after |
//! |---|---|---|
//! | `zmq_socket` | — | a new socket handle, owned by the caller; counted by its context, whose `zmq_ctx_term` waits for it |
//! | every other socket function | live | live |
//! | `zmq_close` | live | closed (ENOTSOCK from then on); unsent messages are delivered in the background for as long as LINGER allows; calls blocked on it in other threads return ENOTSOCK |
//!
//! A handle that is NULL, closed, or not a socket fails with ENOTSOCK (see
//! [`crate::registry`]). Strings (endpoints, groups) must be NUL-terminated; text that is
//! not UTF-8 fails with EINVAL.
//!
//! # Threads
//! Any socket may be used from any thread, also from several at once: each call holds the
//! socket's lock for one non-blocking operation, so calls are serialised and memory is never
//! shared unguarded, and a call that waits lets go of the lock while it sleeps (see
//! [`wait`]). So a thread blocked receiving on a CLIENT does not stop another sending on it,
//! as libzmq's thread-safe types promise; for the classic types, which libzmq forbids using
//! from two threads at once, the same holds here instead of undefined behaviour (parts of
//! multipart messages sent from two threads at once still interleave: that is the
//! application's to avoid). `zmq_proxy` is the exception: it holds its sockets' locks for as
//! long as it runs, so other calls on those sockets wait until it returns.

pub mod options;
pub mod transfer;
pub mod wait;

use crate::call::{guard, non_null};
use crate::context::{OpenSockets, CONTEXTS};
use crate::errno::{Errno, EMTHREAD, ENOCOMPATPROTO};
use crate::message::properties::MsgProperties;
use crate::registry::{Guard, Registry};
use ferrozmq::{Properties, Socket, SocketType};
use std::ffi::{c_char, c_int, c_void, CStr};
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use wait::{Interest, Waiters};

const SOCKET_TAG: u32 = 0xC7C7_0002;

/// Every socket C holds a handle to.
pub static SOCKETS: Registry<SocketEntry> = Registry::new(SOCKET_TAG);

/// Names every socket ever made, so that a call that slept can tell its socket from a newer
/// one that took its slot meanwhile.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// libzmq's socket type numbers and ferrozmq's types.
const TYPES: [(c_int, SocketType); 21] = [
    (0, SocketType::Pair),
    (1, SocketType::Pub),
    (2, SocketType::Sub),
    (3, SocketType::Req),
    (4, SocketType::Rep),
    (5, SocketType::Dealer),
    (6, SocketType::Router),
    (7, SocketType::Pull),
    (8, SocketType::Push),
    (9, SocketType::XPub),
    (10, SocketType::XSub),
    (11, SocketType::Stream),
    (12, SocketType::Server),
    (13, SocketType::Client),
    (14, SocketType::Radio),
    (15, SocketType::Dish),
    (16, SocketType::Gather),
    (17, SocketType::Scatter),
    (18, SocketType::Dgram),
    (19, SocketType::Peer),
    (20, SocketType::Channel),
];

/// A socket and what the C API keeps beside it.
pub struct SocketEntry {
    /// Dropped by hand in `Drop`, before the context learns the socket is closed.
    socket: ManuallyDrop<Socket>,
    id: u64,
    c_type: c_int,
    kind: SocketType,
    /// The context has I/O threads (libzmq's IO_THREADS 0 allows inproc only).
    io_threads: bool,
    open_sockets: Arc<OpenSockets>,
    /// The threads sleeping on this socket, and what they sleep on.
    pub waiters: Waiters,
    /// The C view of the properties of the connection the last part came through: shared by
    /// every part received from it, made again only when they change.
    properties: Option<Arc<MsgProperties>>,
    /// An endpoint other than inproc was bound or connected: parts may come through
    /// connections that have properties. Until then there are none to look up (inproc
    /// peers have none), which spares every receive the lookup.
    remote_peers: bool,
}

impl SocketEntry {
    fn new(
        socket: Socket,
        c_type: c_int,
        kind: SocketType,
        io_threads: bool,
        open: Arc<OpenSockets>,
    ) -> Self {
        open.opened();
        SocketEntry {
            socket: ManuallyDrop::new(socket),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            c_type,
            kind,
            io_threads,
            open_sockets: open,
            waiters: Waiters::default(),
            properties: None,
            remote_peers: false,
        }
    }

    /// The ferrozmq socket.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Names this socket among every socket ever made (a slot is reused by others).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// libzmq's number for the socket's type (`ZMQ_TYPE`).
    pub fn c_type(&self) -> c_int {
        self.c_type
    }

    /// The socket's type.
    pub fn kind(&self) -> SocketType {
        self.kind
    }

    /// Prepares a sleep on the socket (see [`Waiters::arm`]): the descriptor to sleep on,
    /// and the readiness (`ZMQ_EVENTS`).
    pub fn arm(&mut self) -> Result<(Arc<wait::WakeFd>, ferrozmq::PollEvents), Errno> {
        self.waiters.arm(&self.socket)
    }

    /// The descriptor sleepers on the socket sleep on (see [`Waiters::wake_fd`]).
    pub fn wake_fd(&mut self) -> Result<Arc<wait::WakeFd>, Errno> {
        self.waiters.wake_fd(&self.socket)
    }

    /// The C view of the properties of the connection the last part received came
    /// through; `None` when it has none (inproc).
    #[inline]
    pub fn last_properties(&mut self) -> Option<Arc<MsgProperties>> {
        if !self.remote_peers {
            return None;
        }
        let properties: Properties = self.socket.last_properties();
        if properties.is_empty() && properties.source_fd().is_none() {
            return None;
        }
        match &self.properties {
            Some(cached) if cached.properties() == &properties => Some(cached.clone()),
            _ => {
                let made = Arc::new(MsgProperties::new(properties));
                self.properties = Some(made.clone());
                Some(made)
            }
        }
    }
}

impl Drop for SocketEntry {
    fn drop(&mut self) {
        // SAFETY: dropped once, here, and never used after.
        unsafe { ManuallyDrop::drop(&mut self.socket) };
        self.open_sockets.closed();
        self.waiters.wake_all();
    }
}

/// The socket behind a handle, locked; ENOTSOCK if there is none.
pub fn lock(handle: *mut c_void) -> Result<Guard<'static, SocketEntry>, Errno> {
    SOCKETS.lock(handle).ok_or(Errno::ENOTSOCK)
}

/// Runs `operation` on a socket, waiting while it fails with EAGAIN (unless `dont_wait`),
/// for as long as the socket's SNDTIMEO or RCVTIMEO (by `interest`) allows; see [`wait`].
pub fn blocking<R>(
    handle: *mut c_void,
    interest: Interest,
    dont_wait: bool,
    mut operation: impl FnMut(&mut SocketEntry) -> Result<R, Errno>,
) -> Result<R, Errno> {
    let mut entry = lock(handle)?;
    match operation(&mut entry) {
        Err(Errno::EAGAIN) if !dont_wait => {}
        done => return done,
    }
    let id = entry.id;
    let options = entry.socket.options();
    let timeout = match interest {
        Interest::Recv => options.rcvtimeo(),
        Interest::Send => options.sndtimeo(),
    };
    let deadline = wait::deadline(timeout);
    loop {
        let (wake, _) = entry.arm()?;
        match operation(&mut entry) {
            Err(Errno::EAGAIN) => {}
            done => return done,
        }
        if wait::expired(deadline) {
            return Err(Errno::EAGAIN);
        }
        entry.waiters.enter_for(interest);
        drop(entry);
        let slept = wake.sleep(wait::remaining(deadline));
        entry = match lock(handle) {
            Ok(entry) if entry.id == id => entry,
            // Closed meanwhile (perhaps reopened as another socket).
            _ => return Err(Errno::ENOTSOCK),
        };
        entry.waiters.leave_for(interest);
        slept?;
    }
}

/// Reads a NUL-terminated string argument: EINVAL if it is NULL or not UTF-8.
///
/// # Safety
/// `text` must be NULL or a NUL-terminated string valid for the call.
pub unsafe fn c_str<'a>(text: *const c_char) -> Result<&'a str, Errno> {
    if text.is_null() {
        return Err(Errno::EINVAL);
    }
    CStr::from_ptr(text).to_str().map_err(|_| Errno::EINVAL)
}

/// The socket type behind libzmq's number.
pub fn socket_type(number: c_int) -> Option<SocketType> {
    TYPES
        .iter()
        .find(|(n, _)| *n == number)
        .map(|(_, kind)| *kind)
}

/// A new socket of libzmq type `type_` in a context: PAIR 0 ... XSUB 10, STREAM 11,
/// SERVER 12 ... SCATTER 17, PEER 19, CHANNEL 20. DGRAM (18) and unknown numbers fail with
/// EINVAL; a shut-down context with ETERM, a NULL or closed one with EFAULT; MAX_SOCKETS
/// open already with EMFILE. The socket takes the context's IPV6 (and, through ferrozmq,
/// BLOCKY: LINGER 0 when it is off).
///
/// # Safety
/// `context` must be NULL or a value `zmq_ctx_new` returned (closed or not).
#[no_mangle]
pub unsafe extern "C" fn zmq_socket(context: *mut c_void, type_: c_int) -> *mut c_void {
    guard(|| {
        let (ctx, options, open) = {
            let entry = CONTEXTS.lock(context).ok_or(Errno::EFAULT)?;
            (
                entry.context().clone(),
                entry.options(),
                entry.sockets().clone(),
            )
        };
        let kind = socket_type(type_).ok_or(Errno::EINVAL)?;
        let socket = ctx.socket(kind)?;
        if options.ipv6 {
            socket.options().set_ipv6(true)?;
        }
        SOCKETS.insert(SocketEntry::new(
            socket,
            type_,
            kind,
            options.io_threads > 0,
            open,
        ))
    })
}

/// Closes a socket: unsent messages are delivered in the background for as long as LINGER
/// allows; the context's `zmq_ctx_term` stops waiting for it. A call blocked on the socket
/// in another thread returns -1 with ENOTSOCK.
///
/// # Safety
/// `socket` must be NULL or a value `zmq_socket` returned (closed or not).
#[no_mangle]
pub unsafe extern "C" fn zmq_close(socket: *mut c_void) -> c_int {
    guard(|| {
        let entry = SOCKETS.remove(socket).ok_or(Errno::ENOTSOCK)?;
        drop(entry);
        Ok(0)
    })
}

/// Which way an endpoint is used.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Bind,
    Connect,
}

/// What an endpoint needs before ferrozmq sees it, checked as libzmq checks it: udp only
/// for a DISH or DGRAM to bind and a RADIO to connect, and a DGRAM on udp only (else
/// ENOCOMPATPROTO); and no tcp, ipc or udp in a context with IO_THREADS 0 (EMTHREAD).
fn check_endpoint(entry: &SocketEntry, endpoint: &str, direction: Direction) -> Result<(), Errno> {
    let (transport, _) = endpoint.split_once("://").ok_or(Errno::EINVAL)?;
    let compatible = match (transport, direction) {
        ("udp", Direction::Bind) => matches!(entry.kind, SocketType::Dish | SocketType::Dgram),
        ("udp", Direction::Connect) => entry.kind == SocketType::Radio,
        _ => entry.kind != SocketType::Dgram,
    };
    if !compatible {
        return Err(Errno(ENOCOMPATPROTO));
    }
    if matches!(transport, "tcp" | "ipc" | "udp" | "ws") && !entry.io_threads {
        return Err(Errno(EMTHREAD));
    }
    Ok(())
}

/// Checks an endpoint (see [`check_endpoint`]) and notes whether it may bring peers whose
/// connections have properties.
fn use_endpoint(
    entry: &mut SocketEntry,
    endpoint: &str,
    direction: Direction,
) -> Result<(), Errno> {
    check_endpoint(entry, endpoint, direction)?;
    if !endpoint.starts_with("inproc://") {
        entry.remote_peers = true;
    }
    Ok(())
}

unsafe fn on_endpoint(
    socket: *mut c_void,
    endpoint: *const c_char,
    direction: Direction,
    action: impl FnOnce(&Socket, &str) -> Result<(), ferrozmq::Error>,
) -> Result<c_int, Errno> {
    let mut entry = lock(socket)?;
    let endpoint = c_str(endpoint)?;
    use_endpoint(&mut entry, endpoint, direction)?;
    action(&entry.socket, endpoint)?;
    Ok(0)
}

/// Accepts connections on an endpoint (`tcp://`, `ipc://`, `inproc://`; `udp://` for a
/// DISH). `ZMQ_LAST_ENDPOINT` then names it, with a wildcard port resolved.
///
/// # Safety
/// `socket` as in [`zmq_close`]; `endpoint` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zmq_bind(socket: *mut c_void, endpoint: *const c_char) -> c_int {
    guard(|| {
        on_endpoint(socket, endpoint, Direction::Bind, |s, e| {
            s.bind(e).map(drop)
        })
    })
}

/// Connects to an endpoint; the connection is made (and remade) in the background.
///
/// # Safety
/// As [`zmq_bind`].
#[no_mangle]
pub unsafe extern "C" fn zmq_connect(socket: *mut c_void, endpoint: *const c_char) -> c_int {
    guard(|| on_endpoint(socket, endpoint, Direction::Connect, |s, e| s.connect(e)))
}

/// Stops accepting on an endpoint given to `zmq_bind` (as given, or as
/// `ZMQ_LAST_ENDPOINT` reported it); ENOENT if it is not bound.
///
/// # Safety
/// As [`zmq_bind`].
#[no_mangle]
pub unsafe extern "C" fn zmq_unbind(socket: *mut c_void, endpoint: *const c_char) -> c_int {
    guard(|| on_endpoint(socket, endpoint, Direction::Bind, |s, e| s.unbind(e)))
}

/// Stops connecting to an endpoint given to `zmq_connect`; ENOENT if it is not connected.
///
/// # Safety
/// As [`zmq_bind`].
#[no_mangle]
pub unsafe extern "C" fn zmq_disconnect(socket: *mut c_void, endpoint: *const c_char) -> c_int {
    guard(|| on_endpoint(socket, endpoint, Direction::Connect, |s, e| s.disconnect(e)))
}

/// PEER (draft API): connects and returns the routing id the peer will have; 0 with errno
/// on failure (ENOTSUP on another socket type).
///
/// # Safety
/// As [`zmq_bind`].
#[no_mangle]
pub unsafe extern "C" fn zmq_connect_peer(socket: *mut c_void, endpoint: *const c_char) -> u32 {
    guard(|| {
        let mut entry = lock(socket)?;
        let endpoint = c_str(endpoint)?;
        use_endpoint(&mut entry, endpoint, Direction::Connect)?;
        Ok(entry.socket.connect_peer(endpoint)?)
    })
}

/// SERVER, PEER: closes the connection of the peer with this routing id (libzmq's draft
/// API after 4.3.5, so not declared in this 4.3.4 `zmq.h`: a C program declares it as
/// `int zmq_disconnect_peer (void *socket, uint32_t routing_id);`). Sends to that id fail
/// with EHOSTUNREACH from then on. EHOSTUNREACH for an id no peer has, ENOTSUP on another
/// socket type.
///
/// # Safety
/// `socket` as in [`zmq_close`].
#[no_mangle]
pub unsafe extern "C" fn zmq_disconnect_peer(socket: *mut c_void, routing_id: u32) -> c_int {
    guard(|| {
        let entry = lock(socket)?;
        entry.socket.disconnect_peer(routing_id)?;
        Ok(0)
    })
}

/// DISH (draft API): receives the messages of a group (1 to 255 bytes) from now on; EINVAL
/// if it is joined already, ENOTSUP on another socket type.
///
/// # Safety
/// `socket` as in [`zmq_close`]; `group` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zmq_join(socket: *mut c_void, group: *const c_char) -> c_int {
    guard(|| {
        let entry = lock(socket)?;
        entry.socket.join(c_str(group)?)?;
        Ok(0)
    })
}

/// DISH (draft API): stops receiving a group's messages; EINVAL if it is not joined.
///
/// # Safety
/// As [`zmq_join`].
#[no_mangle]
pub unsafe extern "C" fn zmq_leave(socket: *mut c_void, group: *const c_char) -> c_int {
    guard(|| {
        let entry = lock(socket)?;
        entry.socket.leave(c_str(group)?)?;
        Ok(0)
    })
}

/// A ROUTER's view of one peer (draft): `ZMQ_POLLOUT` when a message to it would go now,
/// 0 when its pipe is full; EHOSTUNREACH for a routing id no peer has, ENOTSUP on other
/// socket types (as in libzmq).
///
/// # Safety
/// `socket` must be NULL or a value `zmq_socket` returned; `routing_id` must be valid for
/// reads of `routing_id_size` bytes (or NULL with size 0).
#[no_mangle]
pub unsafe extern "C" fn zmq_socket_get_peer_state(
    socket: *mut c_void,
    routing_id: *const c_void,
    routing_id_size: usize,
) -> c_int {
    guard(|| {
        let entry = lock(socket)?;
        let routing_id: &[u8] = match routing_id_size {
            0 => &[],
            _ => {
                needed(routing_id)?;
                // SAFETY: the caller guarantees `routing_id_size` readable bytes.
                unsafe { std::slice::from_raw_parts(routing_id.cast(), routing_id_size) }
            }
        };
        const ZMQ_POLLOUT: c_int = 2;
        Ok(if entry.socket.peer_writable(routing_id)? {
            ZMQ_POLLOUT
        } else {
            0
        })
    })
}

/// Fails with `errno` unless `pointer` is non-NULL; for the output arguments of the socket
/// functions.
pub fn needed<T>(pointer: *const T) -> Result<(), Errno> {
    non_null(pointer, Errno::EFAULT)
}
