//! The context, and the count of its open sockets that `destroy` waits on.

use crate::error::Error;
use crate::socket::{Socket, SocketType};
use crate::Result;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// The container of a set of sockets (`zmq_ctx_new`): its I/O threads and its `inproc://`
/// endpoints. Clones share one context, which may be used from any thread.
///
/// Each socket keeps its context alive, so dropping every `Context` handle while sockets
/// are open neither blocks nor ends them; the context ends with the last of its handles and
/// sockets, after their lingering messages are sent. [`destroy`](Context::destroy) ends it
/// explicitly.
///
/// ```
/// # use ferrozmq_zmq as zmq;
/// let ctx = zmq::Context::new();
/// let pair = ctx.socket(zmq::PAIR).unwrap();
/// pair.bind("inproc://example").unwrap();
/// ```
#[derive(Clone)]
pub struct Context {
    shared: Arc<Shared>,
}

struct Shared {
    native: ferrozmq::Context,
    /// How many sockets of this context are open.
    open: Mutex<usize>,
    /// Told whenever a socket closes.
    closed: Condvar,
}

impl Shared {
    fn open(&self) -> MutexGuard<'_, usize> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Counts a socket as open until it is dropped.
pub(crate) struct OpenSocket(Arc<Shared>);

impl Drop for OpenSocket {
    fn drop(&mut self) {
        *self.0.open() -= 1;
        self.0.closed.notify_all();
    }
}

impl Context {
    /// A new context, with one I/O thread.
    pub fn new() -> Context {
        Context {
            shared: Arc::new(Shared {
                native: ferrozmq::Context::new(),
                open: Mutex::new(0),
                closed: Condvar::new(),
            }),
        }
    }

    /// The number of I/O threads (`ZMQ_IO_THREADS`, default 1).
    pub fn get_io_threads(&self) -> Result<i32> {
        Ok(i32::try_from(self.shared.native.io_threads()).unwrap_or(i32::MAX))
    }

    /// Sets the number of I/O threads, effective until the first tcp or ipc endpoint
    /// starts them; 0 leaves the context for `inproc://` only (other endpoints fail with
    /// [`Error::EMTHREAD`]). Negative numbers fail with [`Error::EINVAL`].
    pub fn set_io_threads(&self, value: i32) -> Result<()> {
        let threads = usize::try_from(value).map_err(|_| Error::EINVAL)?;
        Ok(self.shared.native.set_io_threads(threads)?)
    }

    /// Creates a socket of the given type. After [`destroy`](Context::destroy):
    /// [`Error::ETERM`].
    ///
    /// The socket keeps the context alive while it is open.
    pub fn socket(&self, socket_type: SocketType) -> Result<Socket> {
        let native_type = socket_type.native();
        let socket = self.shared.native.socket(native_type)?;
        *self.shared.open() += 1;
        Ok(Socket::new(
            socket,
            OpenSocket(self.shared.clone()),
            socket_type,
        ))
    }

    /// Ends the context (`zmq_ctx_term`): every blocking call on its sockets, in any
    /// thread, fails with [`Error::ETERM`] from now on, as does [`socket`](Context::socket);
    /// then waits until every socket of the context is closed (dropped). A socket the
    /// calling thread holds open therefore makes this wait for ever, as in libzmq.
    ///
    /// ```
    /// # use ferrozmq_zmq as zmq;
    /// let mut ctx = zmq::Context::new();
    /// let pull = ctx.socket(zmq::PULL).unwrap();
    /// let receiver = std::thread::spawn(move || {
    ///     let result = pull.recv_msg(0); // blocks until the context ends
    ///     drop(pull);
    ///     result
    /// });
    /// std::thread::sleep(std::time::Duration::from_millis(50));
    /// ctx.destroy().unwrap();
    /// assert_eq!(receiver.join().unwrap(), Err(zmq::Error::ETERM));
    /// assert_eq!(ctx.socket(zmq::PUSH).err(), Some(zmq::Error::ETERM));
    /// ```
    pub fn destroy(&mut self) -> Result<()> {
        self.shared.native.shutdown();
        let mut open = self.shared.open();
        while *open > 0 {
            open = self
                .shared
                .closed
                .wait(open)
                .unwrap_or_else(|e| e.into_inner());
        }
        Ok(())
    }
}

impl Default for Context {
    fn default() -> Context {
        Context::new()
    }
}
