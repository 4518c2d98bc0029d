//! The `zmq_ctx_*` functions (and the legacy `zmq_init`, `zmq_term`, `zmq_ctx_destroy`):
//! a ferrozmq [`Context`] behind a handle.
//!
//! Ownership, per function:
//!
//! | function | handle before | handle after |
//! |---|---|---|
//! | `zmq_ctx_new`, `zmq_init` | — | a new context handle, owned by the caller |
//! | `zmq_ctx_set`, `_get`, `_set_ext`, `_get_ext` | live | live |
//! | `zmq_ctx_shutdown` | live | live: blocking calls on its sockets fail with ETERM, new sockets too; must still be terminated |
//! | `zmq_ctx_term`, `zmq_term`, `zmq_ctx_destroy` | live | closed (EFAULT from then on), once every socket of the context is closed and lingering messages are sent |
//!
//! A handle that is NULL, closed, or not a context fails with EFAULT (see
//! [`crate::registry`]).

use crate::call::guard;
use crate::errno::Errno;
use crate::registry::{Guard, Registry};
use ferrozmq::Context;
use std::ffi::{c_int, c_void};
use std::sync::{Arc, Condvar, Mutex};

/// Context option: I/O threads for new connections (`ZMQ_IO_THREADS`).
pub const ZMQ_IO_THREADS: c_int = 1;
/// Context option: sockets open at once (`ZMQ_MAX_SOCKETS`).
pub const ZMQ_MAX_SOCKETS: c_int = 2;
/// Context option, read-only: the largest MAX_SOCKETS (`ZMQ_SOCKET_LIMIT`).
pub const ZMQ_SOCKET_LIMIT: c_int = 3;
/// Context option: the largest message its sockets accept (`ZMQ_MAX_MSGSZ`).
pub const ZMQ_MAX_MSGSZ: c_int = 5;
/// Context option, read-only: `sizeof (zmq_msg_t)` (`ZMQ_MSG_T_SIZE`).
pub const ZMQ_MSG_T_SIZE: c_int = 6;
/// Context option: whether new sockets use IPv6 (`ZMQ_IPV6`).
pub const ZMQ_IPV6: c_int = 42;
/// Context option: whether terminating waits for unsent messages (`ZMQ_BLOCKY`).
pub const ZMQ_BLOCKY: c_int = 70;
/// Context option (draft): receive without copying (`ZMQ_ZERO_COPY_RECV`).
pub const ZMQ_ZERO_COPY_RECV: c_int = 10;
/// zmq.h's ZMQ_THREAD_PRIORITY: set only, its number is SOCKET_LIMIT's when read (as in
/// libzmq).
pub const ZMQ_THREAD_PRIORITY: c_int = 3;
/// zmq.h's ZMQ_THREAD_SCHED_POLICY.
pub const ZMQ_THREAD_SCHED_POLICY: c_int = 4;
/// zmq.h's ZMQ_THREAD_AFFINITY_CPU_ADD.
pub const ZMQ_THREAD_AFFINITY_CPU_ADD: c_int = 7;
/// zmq.h's ZMQ_THREAD_AFFINITY_CPU_REMOVE.
pub const ZMQ_THREAD_AFFINITY_CPU_REMOVE: c_int = 8;
/// zmq.h's ZMQ_THREAD_NAME_PREFIX.
pub const ZMQ_THREAD_NAME_PREFIX: c_int = 9;
/// Longest THREAD_NAME_PREFIX `zmq_ctx_set_ext` takes, its NUL included (libzmq's).
const NAME_PREFIX_MAX: usize = 16;

/// libzmq's SOCKET_LIMIT with an epoll or poll I/O thread poller.
const SOCKET_LIMIT: c_int = 65535;

const CONTEXT_TAG: u32 = 0xC7C7_0001;

/// Every context C holds a handle to.
pub static CONTEXTS: Registry<ContextEntry> = Registry::new(CONTEXT_TAG);

/// A context and what the C API keeps beside it.
pub struct ContextEntry {
    context: Context,
    options: ContextOptions,
    sockets: Arc<OpenSockets>,
}

/// Context options libzmq keeps that ferrozmq's [`Context`] does not: they are defaults
/// `zmq_socket` gives new sockets, or values only read back.
#[derive(Clone, Copy, Debug)]
pub struct ContextOptions {
    /// IO_THREADS as set: libzmq accepts 0 (a context for inproc only); ferrozmq runs at
    /// least one I/O thread.
    pub io_threads: c_int,
    /// IPV6 for new sockets.
    pub ipv6: bool,
    /// MAX_MSGSZ for new sockets' MAXMSGSIZE (`c_int::MAX`: no limit).
    pub max_msgsz: c_int,
    /// ZERO_COPY_RECV: ferrozmq always receives large parts without copying; the value is
    /// kept to be read back.
    pub zero_copy_recv: bool,
}

impl Default for ContextOptions {
    fn default() -> Self {
        ContextOptions {
            io_threads: 1,
            ipv6: false,
            max_msgsz: c_int::MAX,
            zero_copy_recv: true,
        }
    }
}

/// How many sockets of a context are open: `zmq_ctx_term` waits for none.
#[derive(Default)]
pub struct OpenSockets {
    count: Mutex<usize>,
    all_closed: Condvar,
}

impl OpenSockets {
    /// Counts a socket made from the context.
    pub fn opened(&self) {
        *self.count.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    }

    /// Counts a socket closed.
    pub fn closed(&self) {
        let mut count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        *count = count.saturating_sub(1);
        if *count == 0 {
            self.all_closed.notify_all();
        }
    }

    fn wait_until_all_closed(&self) {
        let count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        drop(
            self.all_closed
                .wait_while(count, |count| *count > 0)
                .unwrap_or_else(|e| e.into_inner()),
        );
    }
}

impl ContextEntry {
    fn new() -> Self {
        ContextEntry {
            context: Context::new(),
            options: ContextOptions::default(),
            sockets: Arc::default(),
        }
    }

    /// The ferrozmq context.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The options kept beside the context.
    pub fn options(&self) -> ContextOptions {
        self.options
    }

    /// The count of the context's open sockets.
    pub fn sockets(&self) -> &Arc<OpenSockets> {
        &self.sockets
    }

    fn set(&mut self, option: c_int, value: c_int) -> Result<(), Errno> {
        match option {
            ZMQ_IO_THREADS if value >= 0 => {
                self.context.set_io_threads(value.max(1) as usize)?;
                self.options.io_threads = value;
            }
            ZMQ_MAX_SOCKETS if value >= 1 => self.context.set_max_sockets(value as usize)?,
            ZMQ_IPV6 if value >= 0 => self.options.ipv6 = value != 0,
            ZMQ_BLOCKY if value >= 0 => self.context.set_blocky(value != 0),
            ZMQ_MAX_MSGSZ if value >= 0 => self.options.max_msgsz = value,
            ZMQ_ZERO_COPY_RECV if value >= 0 => self.options.zero_copy_recv = value != 0,
            // The defaults (-1) cannot be set back, as in libzmq.
            ZMQ_THREAD_PRIORITY if value >= 0 => {
                self.context.set_io_thread_priority(Some(value))?
            }
            ZMQ_THREAD_SCHED_POLICY if value >= 0 => {
                self.context.set_io_thread_sched_policy(Some(value))?
            }
            ZMQ_THREAD_AFFINITY_CPU_ADD if value >= 0 => {
                self.context.add_io_thread_cpu(value as usize)
            }
            ZMQ_THREAD_AFFINITY_CPU_REMOVE if value >= 0 => {
                self.context.remove_io_thread_cpu(value as usize)
            }
            ZMQ_THREAD_NAME_PREFIX if value >= 0 => {
                self.context.set_io_thread_name_prefix(&value.to_string())
            }
            _ => return Err(Errno::EINVAL),
        }
        Ok(())
    }

    fn get(&self, option: c_int) -> Result<c_int, Errno> {
        let clamp = |n: usize| c_int::try_from(n).unwrap_or(c_int::MAX);
        Ok(match option {
            ZMQ_IO_THREADS => self.options.io_threads,
            ZMQ_MAX_SOCKETS => clamp(self.context.max_sockets()),
            ZMQ_SOCKET_LIMIT => SOCKET_LIMIT,
            ZMQ_IPV6 => c_int::from(self.options.ipv6),
            ZMQ_BLOCKY => c_int::from(self.context.blocky()),
            ZMQ_MAX_MSGSZ => self.options.max_msgsz,
            ZMQ_MSG_T_SIZE => std::mem::size_of::<crate::types::zmq_msg_t>() as c_int,
            ZMQ_ZERO_COPY_RECV => c_int::from(self.options.zero_copy_recv),
            ZMQ_THREAD_SCHED_POLICY => self.context.io_thread_sched_policy().unwrap_or(-1),
            // As an `int`, the prefix's leading number (libzmq reads it with atoi).
            ZMQ_THREAD_NAME_PREFIX => leading_number(&self.context.io_thread_name_prefix()),
            _ => return Err(Errno::EINVAL),
        })
    }
}

/// The number a text starts with, as C's `atoi` reads it (0 when there is none).
fn leading_number(text: &str) -> c_int {
    let text = text.trim_start();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse::<i64>().map_or(0, |n| {
        (sign * n).clamp(c_int::MIN.into(), c_int::MAX.into()) as c_int
    })
}

fn context(handle: *mut c_void) -> Result<Guard<'static, ContextEntry>, Errno> {
    CONTEXTS.lock(handle).ok_or(Errno::EFAULT)
}

/// A new context.
///
/// # Safety
/// None.
#[no_mangle]
pub extern "C" fn zmq_ctx_new() -> *mut c_void {
    guard(|| CONTEXTS.insert(ContextEntry::new()))
}

/// Terminates a context: blocking calls on its sockets fail with ETERM; then waits until
/// every socket of it is closed and their lingering messages are sent; then the handle is
/// closed.
///
/// # Safety
/// `context` must be NULL or a value `zmq_ctx_new` returned (closed or not).
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_term(handle: *mut c_void) -> c_int {
    guard(|| {
        let (context, sockets) = {
            let entry = context(handle)?;
            (entry.context.clone(), entry.sockets.clone())
        };
        context.shutdown();
        sockets.wait_until_all_closed();
        // Two threads terminating one context: the second finds it gone.
        let entry = CONTEXTS.remove(handle).ok_or(Errno::EFAULT)?;
        drop(entry);
        // The last clone: dropping it waits for the I/O threads to deliver what lingers.
        drop(context);
        Ok(0)
    })
}

/// Shuts a context down: blocking calls on its sockets, and new sockets, fail with ETERM.
/// The context must still be terminated.
///
/// # Safety
/// As [`zmq_ctx_term`].
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_shutdown(handle: *mut c_void) -> c_int {
    guard(|| {
        let context = context(handle)?.context.clone();
        context.shutdown();
        Ok(0)
    })
}

/// Sets a context option.
///
/// # Safety
/// As [`zmq_ctx_term`].
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_set(handle: *mut c_void, option: c_int, value: c_int) -> c_int {
    guard(|| {
        context(handle)?.set(option, value)?;
        Ok(0)
    })
}

/// A context option's value.
///
/// # Safety
/// As [`zmq_ctx_term`].
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_get(handle: *mut c_void, option: c_int) -> c_int {
    guard(|| context(handle)?.get(option))
}

/// Sets a context option from a buffer (draft API): the options of [`zmq_ctx_set`], as an
/// `int` of `sizeof (int)` bytes.
///
/// # Safety
/// As [`zmq_ctx_term`]; `value` must be valid for reads of `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_set_ext(
    handle: *mut c_void,
    option: c_int,
    value: *const c_void,
    size: usize,
) -> c_int {
    guard(|| {
        let mut entry = context(handle)?;
        if option == ZMQ_THREAD_NAME_PREFIX {
            // A text: up to its NUL, if any.
            if size == 0 || size > NAME_PREFIX_MAX {
                return Err(Errno::EINVAL);
            }
            crate::call::usable(value.cast::<u8>(), Errno::EFAULT)?;
            let bytes = std::slice::from_raw_parts(value.cast::<u8>(), size);
            let text = bytes.split(|&b| b == 0).next().unwrap_or_default();
            let prefix = std::str::from_utf8(text).map_err(|_| Errno::EINVAL)?;
            entry.context.set_io_thread_name_prefix(prefix);
            return Ok(0);
        }
        if size != std::mem::size_of::<c_int>() {
            return Err(Errno::EINVAL);
        }
        crate::call::usable(value.cast::<c_int>(), Errno::EFAULT)?;
        entry.set(option, *value.cast::<c_int>())?;
        Ok(0)
    })
}

/// A context option's value into a buffer (draft API): the options of [`zmq_ctx_get`], as
/// an `int`; `*size` must be at least `sizeof (int)` and is set to it.
///
/// # Safety
/// As [`zmq_ctx_term`]; `value` must be valid for writes of `*size` bytes.
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_get_ext(
    handle: *mut c_void,
    option: c_int,
    value: *mut c_void,
    size: *mut usize,
) -> c_int {
    guard(|| {
        let entry = context(handle)?;
        crate::call::usable(size, Errno::EFAULT)?;
        if option == ZMQ_THREAD_NAME_PREFIX {
            // The text and its NUL.
            let prefix = entry.context.io_thread_name_prefix();
            if *size < prefix.len() + 1 {
                return Err(Errno::EINVAL);
            }
            crate::call::usable(value.cast::<u8>(), Errno::EFAULT)?;
            let out = value.cast::<u8>();
            std::ptr::copy_nonoverlapping(prefix.as_ptr(), out, prefix.len());
            *out.add(prefix.len()) = 0;
            *size = prefix.len() + 1;
            return Ok(0);
        }
        if *size < std::mem::size_of::<c_int>() {
            return Err(Errno::EINVAL);
        }
        crate::call::usable(value.cast::<c_int>(), Errno::EFAULT)?;
        *value.cast::<c_int>() = entry.get(option)?;
        *size = std::mem::size_of::<c_int>();
        Ok(0)
    })
}

/// A new context with `io_threads` I/O threads (legacy API).
///
/// # Safety
/// None.
#[no_mangle]
pub extern "C" fn zmq_init(io_threads: c_int) -> *mut c_void {
    guard(|| {
        if io_threads < 0 {
            return Err(Errno::EINVAL);
        }
        let mut entry = ContextEntry::new();
        entry.set(ZMQ_IO_THREADS, io_threads)?;
        CONTEXTS.insert(entry)
    })
}

/// [`zmq_ctx_term`] (legacy API).
///
/// # Safety
/// As [`zmq_ctx_term`].
#[no_mangle]
pub unsafe extern "C" fn zmq_term(handle: *mut c_void) -> c_int {
    zmq_ctx_term(handle)
}

/// [`zmq_ctx_term`] (legacy API).
///
/// # Safety
/// As [`zmq_ctx_term`].
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_destroy(handle: *mut c_void) -> c_int {
    zmq_ctx_term(handle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errno::errno;
    use std::time::Duration;

    #[test]
    fn options_read_back_libzmq_s_defaults_and_what_was_set() {
        let ctx = zmq_ctx_new();
        unsafe {
            assert_eq!(zmq_ctx_get(ctx, ZMQ_IO_THREADS), 1);
            assert_eq!(zmq_ctx_get(ctx, ZMQ_MAX_SOCKETS), 1023);
            assert_eq!(zmq_ctx_get(ctx, ZMQ_SOCKET_LIMIT), 65535);
            assert_eq!(zmq_ctx_get(ctx, ZMQ_IPV6), 0);
            assert_eq!(zmq_ctx_get(ctx, ZMQ_BLOCKY), 1);
            assert_eq!(zmq_ctx_get(ctx, ZMQ_MAX_MSGSZ), c_int::MAX);
            assert_eq!(zmq_ctx_get(ctx, ZMQ_MSG_T_SIZE), 64);

            assert_eq!(zmq_ctx_set(ctx, ZMQ_IO_THREADS, 0), 0);
            assert_eq!(zmq_ctx_get(ctx, ZMQ_IO_THREADS), 0);
            assert_eq!(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 12), 0);
            assert_eq!(zmq_ctx_get(ctx, ZMQ_MAX_SOCKETS), 12);
            assert_eq!(zmq_ctx_set(ctx, ZMQ_BLOCKY, 0), 0);
            assert_eq!(zmq_ctx_get(ctx, ZMQ_BLOCKY), 0);
            assert_eq!(zmq_ctx_set(ctx, ZMQ_IPV6, 1), 0);
            assert_eq!(zmq_ctx_get(ctx, ZMQ_IPV6), 1);

            assert_eq!(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 0), -1);
            assert_eq!(errno(), libc::EINVAL);
            assert_eq!(zmq_ctx_set(ctx, ZMQ_MSG_T_SIZE, 64), -1);
            assert_eq!(zmq_ctx_get(ctx, 999), -1);
            assert_eq!(errno(), libc::EINVAL);

            let mut value: c_int = 0;
            let mut size = std::mem::size_of::<c_int>();
            let value_ptr = std::ptr::from_mut(&mut value).cast();
            assert_eq!(
                zmq_ctx_get_ext(ctx, ZMQ_MAX_SOCKETS, value_ptr, &mut size),
                0
            );
            assert_eq!(value_ptr.cast::<c_int>().read(), 12);
            value_ptr.cast::<c_int>().write(77);
            assert_eq!(zmq_ctx_set_ext(ctx, ZMQ_MAX_SOCKETS, value_ptr, size), 0);
            assert_eq!(zmq_ctx_get(ctx, ZMQ_MAX_SOCKETS), 77);
            assert_eq!(zmq_ctx_term(ctx), 0);
        }
    }

    #[test]
    fn null_terminated_and_foreign_handles_fail_with_efault() {
        unsafe {
            assert_eq!(zmq_ctx_term(std::ptr::null_mut()), -1);
            assert_eq!(errno(), libc::EFAULT);
            let ctx = zmq_ctx_new();
            assert_eq!(zmq_ctx_term(ctx), 0);
            assert_eq!(zmq_ctx_get(ctx, ZMQ_IO_THREADS), -1);
            assert_eq!(errno(), libc::EFAULT);
            assert_eq!(zmq_ctx_term(ctx), -1);
            assert_eq!(errno(), libc::EFAULT);
            let mut not_a_context = [0u64; 8];
            assert_eq!(zmq_ctx_shutdown(not_a_context.as_mut_ptr().cast()), -1);
            assert_eq!(errno(), libc::EFAULT);
        }
    }

    #[test]
    fn legacy_init_checks_its_thread_count() {
        assert!(zmq_init(-1).is_null());
        assert_eq!(errno(), libc::EINVAL);
        let ctx = zmq_init(0);
        assert!(!ctx.is_null());
        unsafe {
            assert_eq!(zmq_ctx_get(ctx, ZMQ_IO_THREADS), 0);
            assert_eq!(zmq_term(ctx), 0);
        }
    }

    #[test]
    fn termination_waits_for_the_context_s_sockets_to_close() {
        let ctx = zmq_ctx_new();
        let sockets = CONTEXTS.lock(ctx).unwrap().sockets().clone();
        sockets.opened();
        let handle = ctx as usize;
        let terminating =
            std::thread::spawn(move || unsafe { zmq_ctx_term(handle as *mut c_void) });
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            !terminating.is_finished(),
            "term returned with a socket open"
        );
        // Shut down meanwhile: a new socket would fail with ETERM.
        assert!(CONTEXTS
            .lock(ctx)
            .unwrap()
            .context()
            .socket(ferrozmq::PAIR)
            .is_err());
        sockets.closed();
        assert_eq!(terminating.join().unwrap(), 0);
        assert!(CONTEXTS.lock(ctx).is_none());
    }
}
