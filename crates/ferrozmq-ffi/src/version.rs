//! What the library is: `zmq_version` and `zmq_has`.

use crate::call::guard;
use std::ffi::{c_char, c_int, CStr};

/// The libzmq version whose API this library implements.
pub const VERSION: (c_int, c_int, c_int) = (4, 3, 4);

/// Writes the libzmq version this library stands in for (4.3.4) through the non-NULL
/// pointers.
///
/// # Safety
/// Each pointer must be NULL or valid for writing an `int`.
#[no_mangle]
pub unsafe extern "C" fn zmq_version(major: *mut c_int, minor: *mut c_int, patch: *mut c_int) {
    guard(|| {
        for (out, value) in [(major, VERSION.0), (minor, VERSION.1), (patch, VERSION.2)] {
            if !out.is_null() {
                *out = value;
            }
        }
        Ok(())
    })
}

/// Whether a capability is available: 1 for `ipc`, `curve`, `draft`, and the WebSocket
/// transports by libzmq's names `WS` and `WSS` (and the schemes' own `ws`, `wss`); 0 for
/// anything else (`pgm`, `tipc`, `norm`, `gssapi`, `vmci`...) and for NULL.
///
/// # Safety
/// `capability` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zmq_has(capability: *const c_char) -> c_int {
    guard(|| {
        if capability.is_null() {
            return Ok(0);
        }
        let name = CStr::from_ptr(capability).to_bytes();
        Ok(c_int::from(matches!(
            name,
            b"ipc" | b"ws" | b"WS" | b"wss" | b"WSS" | b"curve" | b"draft"
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_libzmq_4_3_4_and_what_ferrozmq_has() {
        let (mut major, mut minor, mut patch) = (0, 0, 0);
        unsafe { zmq_version(&mut major, &mut minor, &mut patch) };
        assert_eq!((major, minor, patch), (4, 3, 4));
        unsafe { zmq_version(std::ptr::null_mut(), &mut minor, std::ptr::null_mut()) };
        let has = |name: &CStr| unsafe { zmq_has(name.as_ptr()) };
        assert_eq!(
            (has(c"ipc"), has(c"ws"), has(c"curve"), has(c"draft")),
            (1, 1, 1, 1)
        );
        assert_eq!((has(c"WS"), has(c"WSS"), has(c"wss")), (1, 1, 1));
        assert_eq!(
            (has(c"pgm"), has(c"tipc"), has(c"gssapi"), has(c"Ws")),
            (0, 0, 0, 0)
        );
        assert_eq!(unsafe { zmq_has(std::ptr::null()) }, 0);
    }
}
