//! A socket as an opaque pointer, to travel through C code and come back.

use crate::socket::{Handle, Socket};
use std::ffi::c_void;

impl Socket {
    /// Gives the socket up as an opaque pointer, for [`from_raw`](Self::from_raw) to take
    /// back (through a C callback's user data, say). Until then the socket stays open, and
    /// its context counts it open.
    ///
    /// The pointer is this library's: there is no libzmq here, so it is not a socket for
    /// libzmq's C functions (`zmq-sys`), unlike the `zmq` crate's.
    ///
    /// ```
    /// # use ferrozmq_zmq as zmq;
    /// let ctx = zmq::Context::new();
    /// let mut socket = ctx.socket(zmq::REQ).unwrap();
    /// let ptr = socket.as_mut_ptr();
    /// let raw = socket.into_raw();
    /// assert_eq!(ptr, raw);
    /// let socket = unsafe { zmq::Socket::from_raw(raw) };
    /// assert_eq!(socket.get_socket_type(), Ok(zmq::REQ));
    /// ```
    pub fn into_raw(self) -> *mut c_void {
        Box::into_raw(self.handle).cast()
    }

    /// Takes back a socket given up by [`into_raw`](Self::into_raw).
    ///
    /// # Safety
    ///
    /// `sock` must come from [`into_raw`](Self::into_raw), and be taken back once: the
    /// socket returned owns it, and closes the socket when dropped.
    pub unsafe fn from_raw(sock: *mut c_void) -> Socket {
        // SAFETY: the caller vouches that `sock` is `into_raw`'s box, not yet taken back.
        Socket {
            handle: unsafe { Box::from_raw(sock.cast::<Handle>()) },
        }
    }

    /// The pointer [`into_raw`](Self::into_raw) will give, without giving the socket up;
    /// it is valid for as long as the socket lives.
    pub fn as_mut_ptr(&mut self) -> *mut c_void {
        let handle: *mut Handle = &mut *self.handle;
        handle.cast()
    }
}
