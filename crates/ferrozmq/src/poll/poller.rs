//! `zmq_poller`: long-lived registrations of sockets and descriptors, where a wait costs
//! what is ready, not what is registered.
//!
//! Each registered socket gets a [`Flag`] that observes the socket's signal. A notify (a
//! message arrived, a peer made room or left) raises the flag: the first raise since the
//! poller last looked appends the socket's key to the poller's `flagged` list and rings the
//! poller's own signal, later ones cost one swap. A wait then looks only at:
//!
//! * the flagged sockets, and
//! * the *candidates*: sockets it reported at the previous wait. Readiness is
//!   level-triggered and a socket whose messages were not all received gets no new notify
//!   (its pipes are not asleep), so each is looked at again and dropped once found not
//!   ready. Its next notify flags it again.
//!
//! A socket's own operations can change its readiness with no notify at all: a REP that
//! sends its reply is readable at once if the next request is queued, a REQ that receives
//! its reply becomes writable. So the flag also hears [`Observer::owner_acted`], which
//! every public socket operation raises; that raise only appends the key, since the poller
//! cannot be asleep while its own thread works on the socket.
//!
//! Descriptors sit in a level-triggered epoll instance, created with the first one, that
//! also watches an eventfd the poller's signal writes to while the poller sleeps; without
//! descriptors the poller parks its thread.

use super::events::{PollEvents, POLLERR, POLLIN, POLLOUT};
use super::wake::{self, WakeFd};
use crate::error::{Error, Result};
use crate::signal::{Observer, ObserverId, Signal};
use crate::socket::mailbox::SocketLink;
use crate::socket::Socket;
use crate::sys::poll::{self as os, Epoll};
use slab::Slab;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Waits on many sockets and file descriptors at once (libzmq's `zmq_poller`).
///
/// Register what to watch once, with a token of your choosing; each
/// [`wait`](Self::wait) then reports the tokens of what is ready. Readiness is
/// level-triggered, as with [`poll`](crate::poll()): a socket with a message still queued is
/// reported at every wait until the message is received. Unlike `poll`, a wait costs what
/// is ready: with one socket ready among a thousand registered, it looks at that one.
///
/// The poller holds its sockets as `S`: `&Socket` to borrow them (they cannot be dropped
/// while the poller lives), or `Rc<Socket>` to share them (a socket lives until both the
/// application and the poller let go of it); [`remove`](Self::remove) hands `S` back. So a
/// socket never goes away under a poller. The poller stays on the
/// sockets' thread, and the sockets remain fully usable: a registered socket can still
/// block in its own `recv` or `send` (which keep their own wake-up, apart from the
/// poller's), and it can be registered in several pollers at once; each sees every change.
///
/// ```
/// use ferrozmq::{Context, Poller, PULL, PUSH, POLLIN};
/// use std::time::Duration;
/// let ctx = Context::new();
/// let jobs = ctx.socket(PULL).unwrap();
/// jobs.bind("inproc://jobs").unwrap();
/// let control = ctx.socket(PULL).unwrap();
/// control.bind("inproc://control").unwrap();
///
/// let mut poller = Poller::new();
/// poller.add(&jobs, POLLIN, 1).unwrap();
/// poller.add(&control, POLLIN, 2).unwrap();
///
/// let boss = ctx.socket(PUSH).unwrap();
/// boss.connect("inproc://control").unwrap();
/// boss.send("stop").unwrap();
///
/// let mut events = Vec::new();
/// assert_eq!(poller.wait(&mut events, Some(Duration::from_secs(5))).unwrap(), 1);
/// assert_eq!(events[0].token(), 2);
/// assert!(events[0].is_readable());
/// ```
///
/// Sockets that come and go while the poller lives are best shared or owned:
///
/// ```
/// use ferrozmq::{Context, Poller, PULL, POLLIN};
/// use std::rc::Rc;
/// let ctx = Context::new();
/// let mut poller = Poller::new();
/// let client = Rc::new(ctx.socket(PULL).unwrap());
/// poller.add(client.clone(), POLLIN, 1).unwrap();
/// // ... later, done with it: the poller's share comes back, and the socket closes.
/// drop(poller.remove(&client).unwrap());
/// drop(client);
/// ```
///
/// A borrowed socket cannot be dropped while the poller lives:
///
/// ```compile_fail,E0505
/// use ferrozmq::{Context, Poller, PULL, POLLIN};
/// use std::time::Duration;
/// let ctx = Context::new();
/// let socket = ctx.socket(PULL).unwrap();
/// let mut poller = Poller::new();
/// poller.add(&socket, POLLIN, 1).unwrap();
/// drop(socket);
/// poller.wait(&mut Vec::new(), Some(Duration::ZERO)).unwrap();
/// ```
pub struct Poller<S: Borrow<Socket>> {
    entries: Slab<Entry<S>>,
    /// Registered sockets by the address of their link.
    sockets: HashMap<usize, usize>,
    fds: HashMap<RawFd, usize>,
    hub: Arc<Hub>,
    /// Keys of sockets to look at in the next wait, each once (see [`Entry::candidate`]).
    candidates: Vec<usize>,
    /// The flagged list, swapped out of the hub to be read without holding its lock.
    flagged: Vec<(usize, u64)>,
    next_serial: u64,
    /// Counts waits, to tell what the current one has reported already.
    epoch: u64,
    descriptors: Option<Descriptors>,
}

/// One ready socket or descriptor, as reported by [`Poller::wait`].
///
/// ```
/// use ferrozmq::{Context, Poller, PUSH, POLLIN, POLLOUT};
/// use std::time::Duration;
/// let ctx = Context::new();
/// let push = ctx.socket(PUSH).unwrap();
/// push.bind("inproc://poller-event").unwrap();
/// let pull = ctx.socket(ferrozmq::PULL).unwrap();
/// pull.connect("inproc://poller-event").unwrap();
///
/// let mut poller = Poller::new();
/// poller.add(&push, POLLIN | POLLOUT, 7).unwrap();
/// let mut events = Vec::new();
/// poller.wait(&mut events, Some(Duration::from_secs(5))).unwrap();
/// assert_eq!((events[0].token(), events[0].events()), (7, POLLOUT));
/// assert!(events[0].is_writable() && !events[0].is_readable());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollerEvent {
    token: usize,
    events: PollEvents,
}

impl PollerEvent {
    /// The token given when the socket or descriptor was registered.
    pub fn token(&self) -> usize {
        self.token
    }

    /// What it is ready for, among the events it was registered for (descriptors also
    /// report [`POLLERR`]).
    pub fn events(&self) -> PollEvents {
        self.events
    }

    /// Whether a message can be received (or data read).
    pub fn is_readable(&self) -> bool {
        self.events.contains(POLLIN)
    }

    /// Whether a message can be sent (or data written).
    pub fn is_writable(&self) -> bool {
        self.events.contains(POLLOUT)
    }

    /// Whether the descriptor reported an error or hang-up.
    pub fn is_error(&self) -> bool {
        self.events.contains(POLLERR)
    }
}

struct Entry<S> {
    source: Source<S>,
    events: PollEvents,
    token: usize,
    /// In `candidates`: it may be ready and must be looked at in the next wait.
    candidate: bool,
    /// The epoch of the last wait that reported it.
    reported_in: u64,
}

enum Source<S> {
    Socket {
        socket: S,
        link: Arc<SocketLink>,
        flag: Arc<Flag>,
        observer: ObserverId,
    },
    Fd,
}

/// What the poller shares with its flags.
struct Hub {
    /// Rung by the first notify that raises a flag; the poller sleeps on it.
    signal: Signal,
    /// `(key, serial)` of every raised flag, in order of raising.
    flagged: Mutex<Vec<(usize, u64)>>,
}

impl Hub {
    fn flagged(&self) -> MutexGuard<'_, Vec<(usize, u64)>> {
        self.flagged.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Observes one registered socket for the poller.
struct Flag {
    hub: Arc<Hub>,
    key: usize,
    /// Tells this registration from a later one that reuses its key.
    serial: u64,
    /// In the hub's flagged list and not yet taken out by the poller.
    raised: AtomicBool,
}

impl Flag {
    /// Lists the socket for the poller's next look; false when already listed.
    fn raise(&self) -> bool {
        if self.raised.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.hub.flagged().push((self.key, self.serial));
        true
    }
}

impl Observer for Flag {
    fn notified(&self) {
        // A flag already raised needs no ring: either its raiser rings, or the poller has
        // yet to take it out, which it does before it sleeps.
        if self.raise() {
            self.hub.signal.notify();
        }
    }

    fn wants_owner_acts(&self) -> bool {
        true
    }

    fn owner_acted(&self) {
        // The poller runs on this thread, so it is not asleep: listing is enough.
        self.raise();
    }
}

/// The epoll instance for descriptors, with the eventfd that wakes it for sockets.
struct Descriptors {
    epoll: Epoll,
    wake: WakeFd,
}

/// What identifies a socket while it lives: the address of its link.
fn link_address(socket: &Socket) -> usize {
    Arc::as_ptr(&socket.link()) as usize
}

/// The epoll data of the wake eventfd; registrations use their slab key.
const WAKE: u64 = u64::MAX;

impl<S: Borrow<Socket>> Default for Poller<S> {
    fn default() -> Self {
        Poller::new()
    }
}

impl<S: Borrow<Socket>> Poller<S> {
    /// An empty poller.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut poller: ferrozmq::Poller<&ferrozmq::Socket> = ferrozmq::Poller::new();
    /// assert_eq!(poller.wait(&mut Vec::new(), Some(Duration::ZERO)).unwrap(), 0);
    /// ```
    pub fn new() -> Poller<S> {
        Poller {
            entries: Slab::new(),
            sockets: HashMap::new(),
            fds: HashMap::new(),
            hub: Arc::new(Hub {
                signal: Signal::new(),
                flagged: Mutex::new(Vec::new()),
            }),
            candidates: Vec::new(),
            flagged: Vec::new(),
            next_serial: 0,
            epoch: 0,
            descriptors: None,
        }
    }

    /// Watches `socket` for `events`; waits report it with `token`. A socket can be in a
    /// poller once ([`Error::InvalidArgument`] otherwise) and in any number of pollers.
    ///
    /// ```
    /// use ferrozmq::{Context, Poller, PULL, POLLIN};
    /// let ctx = Context::new();
    /// let socket = ctx.socket(PULL).unwrap();
    /// let mut poller = Poller::new();
    /// poller.add(&socket, POLLIN, 1).unwrap();
    /// assert!(poller.add(&socket, POLLIN, 2).is_err());
    /// ```
    pub fn add(&mut self, socket: S, events: PollEvents, token: usize) -> Result<()> {
        let link = socket.borrow().link();
        let address = Arc::as_ptr(&link) as usize;
        if self.sockets.contains_key(&address) {
            return Err(Error::InvalidArgument(
                "the socket is in this poller already",
            ));
        }
        let key = self.entries.vacant_key();
        let flag = Arc::new(Flag {
            hub: self.hub.clone(),
            key,
            serial: self.next_serial,
            raised: AtomicBool::new(false),
        });
        self.next_serial += 1;
        let observer = link.add_observer(flag.clone());
        self.entries.insert(Entry {
            source: Source::Socket {
                socket,
                link,
                flag,
                observer,
            },
            events,
            token,
            candidate: true,
            reported_in: 0,
        });
        // Looked at in the next wait, after the observer is in place: nothing is missed.
        self.candidates.push(key);
        self.sockets.insert(address, key);
        Ok(())
    }

    /// Watches the file descriptor `fd` (a tcp stream, a pipe, another library's socket)
    /// for `events`; waits report it with `token`. Errors and hang-ups are reported as
    /// [`POLLERR`] without asking. Remove it before closing it.
    ///
    /// ```
    /// use ferrozmq::{Poller, POLLIN};
    /// use std::io::Write;
    /// use std::os::fd::AsRawFd;
    /// use std::time::Duration;
    /// let (mut a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let mut poller: Poller<&ferrozmq::Socket> = Poller::new();
    /// poller.add_fd(b.as_raw_fd(), POLLIN, 9).unwrap();
    /// a.write_all(b"x").unwrap();
    /// let mut events = Vec::new();
    /// assert_eq!(poller.wait(&mut events, Some(Duration::from_secs(5))).unwrap(), 1);
    /// assert_eq!(events[0].token(), 9);
    /// ```
    pub fn add_fd(&mut self, fd: RawFd, events: PollEvents, token: usize) -> Result<()> {
        if self.fds.contains_key(&fd) {
            return Err(Error::InvalidArgument(
                "the descriptor is in this poller already",
            ));
        }
        let key = self.entries.vacant_key();
        self.descriptors()?.epoll.add(fd, events, key as u64)?;
        self.entries.insert(Entry {
            source: Source::Fd,
            events,
            token,
            candidate: false,
            reported_in: 0,
        });
        self.fds.insert(fd, key);
        Ok(())
    }

    /// Changes the events `socket` is watched for.
    ///
    /// ```
    /// use ferrozmq::{Context, Poller, PULL, POLLIN, POLLOUT};
    /// let ctx = Context::new();
    /// let socket = ctx.socket(PULL).unwrap();
    /// let mut poller = Poller::new();
    /// poller.add(&socket, POLLIN, 1).unwrap();
    /// poller.modify(&socket, POLLIN | POLLOUT).unwrap();
    /// ```
    pub fn modify(&mut self, socket: &Socket, events: PollEvents) -> Result<()> {
        let key = self.socket_key(socket)?;
        self.entries[key].events = events;
        self.make_candidate(key);
        Ok(())
    }

    /// Changes the events the descriptor `fd` is watched for.
    ///
    /// ```
    /// use ferrozmq::{Poller, POLLIN, POLLOUT};
    /// use std::os::fd::AsRawFd;
    /// use std::time::Duration;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let mut poller: Poller<&ferrozmq::Socket> = Poller::new();
    /// poller.add_fd(a.as_raw_fd(), POLLIN, 1).unwrap();
    /// poller.modify_fd(a.as_raw_fd(), POLLOUT).unwrap();
    /// let mut events = Vec::new();
    /// assert_eq!(poller.wait(&mut events, Some(Duration::from_secs(5))).unwrap(), 1);
    /// assert!(events[0].is_writable());
    /// poller.remove_fd(a.as_raw_fd()).unwrap();
    /// assert!(poller.is_empty());
    /// ```
    pub fn modify_fd(&mut self, fd: RawFd, events: PollEvents) -> Result<()> {
        let key = self.fd_key(fd)?;
        if let Some(descriptors) = &self.descriptors {
            descriptors.epoll.modify(fd, events, key as u64)?;
        }
        self.entries[key].events = events;
        Ok(())
    }

    /// Stops watching `socket` and hands back what [`add`](Self::add) was given; the
    /// socket is not reported again, even by a wait that follows at once.
    ///
    /// ```
    /// use ferrozmq::{Context, Poller, PULL, POLLIN};
    /// use std::rc::Rc;
    /// let ctx = Context::new();
    /// let socket = Rc::new(ctx.socket(PULL).unwrap());
    /// let mut poller = Poller::new();
    /// poller.add(socket.clone(), POLLIN, 1).unwrap();
    /// let share = poller.remove(&socket).unwrap();
    /// assert!(Rc::ptr_eq(&share, &socket));
    /// assert!(poller.remove(&socket).is_err());
    /// ```
    pub fn remove(&mut self, socket: &Socket) -> Result<S> {
        let key = self
            .sockets
            .remove(&link_address(socket))
            .ok_or(Error::InvalidArgument("the socket is not in this poller"))?;
        match self.forget(key) {
            Source::Socket { socket, .. } => Ok(socket),
            Source::Fd => Err(Error::InvalidArgument("the socket is not in this poller")),
        }
    }

    /// Stops watching the descriptor `fd` (see [`modify_fd`](Self::modify_fd) for an
    /// example). A descriptor closed while registered has left the kernel's watch already;
    /// removing it is still needed, and succeeds.
    pub fn remove_fd(&mut self, fd: RawFd) -> Result<()> {
        let key = self.fd_key(fd)?;
        self.fds.remove(&fd);
        if let Some(descriptors) = &self.descriptors {
            // Fails only for a descriptor closed meanwhile, which epoll dropped itself.
            let _ = descriptors.epoll.delete(fd);
        }
        drop(self.forget(key));
        Ok(())
    }

    /// How many sockets and descriptors are registered.
    ///
    /// ```
    /// use ferrozmq::{Context, Poller, PULL, POLLIN};
    /// let ctx = Context::new();
    /// let socket = ctx.socket(PULL).unwrap();
    /// let mut poller = Poller::new();
    /// poller.add(&socket, POLLIN, 1).unwrap();
    /// assert_eq!(poller.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is registered (see [`modify_fd`](Self::modify_fd) for an example).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Waits until something registered is ready for one of its events, or `timeout`
    /// passes: `None` waits for ever, zero looks once. Replaces the contents of
    /// `events` with what is ready, one entry per socket or descriptor, and returns how
    /// many; 0 means the timeout passed.
    ///
    /// Fails with [`Error::Terminated`] once the sockets' context is shut down, and with
    /// [`Error::InvalidArgument`] when asked to wait for ever on nothing.
    ///
    /// ```
    /// use ferrozmq::{Context, Poller, PULL, POLLIN};
    /// use std::time::Duration;
    /// let ctx = Context::new();
    /// let socket = ctx.socket(PULL).unwrap();
    /// let mut poller = Poller::new();
    /// poller.add(&socket, POLLIN, 1).unwrap();
    /// let mut events = Vec::new();
    /// assert_eq!(poller.wait(&mut events, Some(Duration::from_millis(10))).unwrap(), 0);
    /// assert!(events.is_empty());
    /// ```
    pub fn wait(
        &mut self,
        events: &mut Vec<PollerEvent>,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        events.clear();
        let deadline = wake::deadline(timeout);
        if self.entries.is_empty() && deadline.is_none() {
            return Err(Error::InvalidArgument(
                "waiting for ever on an empty poller never returns",
            ));
        }
        self.epoch += 1;
        loop {
            self.take_flagged();
            self.check_candidates(events)?;
            let must_return = !events.is_empty() || wake::expired(deadline);
            let Some(descriptors) = &mut self.descriptors else {
                if must_return {
                    return Ok(events.len());
                }
                self.hub.signal.wait(deadline);
                continue;
            };
            let slept = !must_return && !descriptors.wake.arm(&self.hub.signal);
            let timeout = if slept {
                os::timeout_ms(wake::remaining(deadline))
            } else {
                0
            };
            let before = events.len();
            descriptors.collect(&self.entries, events, timeout)?;
            if must_return || events.len() > before {
                if slept {
                    // Sockets may have become ready while the descriptors woke us.
                    self.take_flagged();
                    self.check_candidates(events)?;
                }
                return Ok(events.len());
            }
        }
    }

    fn descriptors(&mut self) -> Result<&mut Descriptors> {
        let descriptors = match self.descriptors.take() {
            Some(descriptors) => descriptors,
            None => {
                let epoll = Epoll::new()?;
                let wake = WakeFd::new()?;
                epoll.add(wake.raw_fd(), POLLIN, WAKE)?;
                Descriptors { epoll, wake }
            }
        };
        Ok(self.descriptors.insert(descriptors))
    }

    fn socket_key(&self, socket: &Socket) -> Result<usize> {
        self.sockets
            .get(&link_address(socket))
            .copied()
            .ok_or(Error::InvalidArgument("the socket is not in this poller"))
    }

    fn fd_key(&self, fd: RawFd) -> Result<usize> {
        self.fds.get(&fd).copied().ok_or(Error::InvalidArgument(
            "the descriptor is not in this poller",
        ))
    }

    fn make_candidate(&mut self, key: usize) {
        if let Some(entry) = self.entries.get_mut(key) {
            if !entry.candidate {
                entry.candidate = true;
                self.candidates.push(key);
            }
        }
    }

    /// Removes an entry and every trace of it, and returns what it watched. Its flag may
    /// still be listed in the hub; its serial tells it from a later entry with the same key.
    fn forget(&mut self, key: usize) -> Source<S> {
        let entry = self.entries.remove(key);
        if entry.candidate {
            self.candidates.retain(|k| *k != key);
        }
        if let Source::Socket { link, observer, .. } = &entry.source {
            link.remove_observer(*observer);
        }
        entry.source
    }

    /// Makes candidates of the sockets flagged since the last look.
    fn take_flagged(&mut self) {
        std::mem::swap(&mut *self.hub.flagged(), &mut self.flagged);
        for (key, serial) in self.flagged.drain(..) {
            let Some(entry) = self.entries.get_mut(key) else {
                continue;
            };
            let Source::Socket { flag, .. } = &entry.source else {
                continue;
            };
            if flag.serial != serial {
                continue;
            }
            // Lowered before the look at the socket, so that a notify after the look raises
            // it again; a swap, to acquire the news of a notify that found it still raised.
            flag.raised.swap(false, Ordering::AcqRel);
            if !entry.candidate {
                entry.candidate = true;
                self.candidates.push(key);
            }
        }
    }

    /// Looks at each candidate not yet reported by this wait: reports it if ready, else
    /// drops it until its next flag.
    fn check_candidates(&mut self, events: &mut Vec<PollerEvent>) -> Result<()> {
        let mut i = 0;
        while i < self.candidates.len() {
            let key = self.candidates[i];
            let entry = &mut self.entries[key];
            if entry.reported_in == self.epoch {
                i += 1;
                continue;
            }
            let ready = match &entry.source {
                Source::Socket { socket, .. } => socket.borrow().readiness()? & entry.events,
                Source::Fd => PollEvents::empty(),
            };
            if ready.is_empty() {
                entry.candidate = false;
                self.candidates.swap_remove(i);
            } else {
                entry.reported_in = self.epoch;
                events.push(PollerEvent {
                    token: entry.token,
                    events: ready,
                });
                i += 1;
            }
        }
        Ok(())
    }
}

impl Descriptors {
    /// Waits up to `timeout_ms` for descriptors and reports the ready ones.
    fn collect<S>(
        &mut self,
        entries: &Slab<Entry<S>>,
        events: &mut Vec<PollerEvent>,
        timeout_ms: i32,
    ) -> Result<()> {
        for (data, revents) in self.epoll.wait(timeout_ms)? {
            if data == WAKE {
                self.wake.drain();
                continue;
            }
            let Some(entry) = usize::try_from(data).ok().and_then(|k| entries.get(k)) else {
                continue;
            };
            let ready = revents & (entry.events | POLLERR);
            if !ready.is_empty() {
                events.push(PollerEvent {
                    token: entry.token,
                    events: ready,
                });
            }
        }
        Ok(())
    }
}

impl<S: Borrow<Socket>> Drop for Poller<S> {
    fn drop(&mut self) {
        for (_, entry) in self.entries.iter() {
            if let Source::Socket { link, observer, .. } = &entry.source {
                link.remove_observer(*observer);
            }
        }
    }
}

impl<S: Borrow<Socket>> std::fmt::Debug for Poller<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("sockets", &self.sockets.len())
            .field("fds", &self.fds.len())
            .finish()
    }
}
