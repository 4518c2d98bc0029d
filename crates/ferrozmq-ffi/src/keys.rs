//! Z85 text and CURVE keys: `zmq_z85_encode`, `zmq_z85_decode`, `zmq_curve_keypair`,
//! `zmq_curve_public`.
//!
//! Ownership: the caller provides every buffer and keeps it; nothing is allocated for C.

use crate::call::{guard, non_null};
use crate::errno::Errno;
use std::ffi::{c_char, c_int, CStr};

/// Length of a Z85 key with its NUL: the buffers `zmq_curve_*` fill.
const KEY_BUFFER: usize = 41;

/// Writes `text` and a NUL at `dest`.
///
/// # Safety
/// `dest` must be valid for writes of `text.len() + 1` bytes.
unsafe fn write_c_string(dest: *mut c_char, text: &str) {
    std::ptr::copy_nonoverlapping(text.as_ptr(), dest.cast::<u8>(), text.len());
    *dest.add(text.len()) = 0;
}

/// Encodes `size` bytes (a multiple of 4, else EINVAL) as Z85 text into `dest`, which must
/// hold `size * 5 / 4 + 1` bytes; returns `dest`, or NULL.
///
/// # Safety
/// `data` must be valid for reads of `size` bytes and `dest` for writes of
/// `size * 5 / 4 + 1` bytes.
#[no_mangle]
pub unsafe extern "C" fn zmq_z85_encode(
    dest: *mut c_char,
    data: *const u8,
    size: usize,
) -> *mut c_char {
    guard(|| {
        // The length is checked first, as libzmq does (its tests pass NULL buffers).
        if size % 4 != 0 {
            return Err(Errno::EINVAL);
        }
        non_null(dest, Errno::EFAULT)?;
        let data = if size == 0 {
            &[][..]
        } else {
            non_null(data, Errno::EFAULT)?;
            std::slice::from_raw_parts(data, size)
        };
        let text = ferrozmq::z85::encode(data).map_err(|_| Errno::EINVAL)?;
        write_c_string(dest, &text);
        Ok(dest)
    })
}

/// Decodes Z85 text (a non-zero multiple of 5 characters, else EINVAL) into `dest`,
/// which must hold `strlen (string) * 4 / 5` bytes; returns `dest`, or NULL with EINVAL
/// for text that is not Z85.
///
/// # Safety
/// `string` must be a NUL-terminated string and `dest` valid for writes of
/// `strlen (string) * 4 / 5` bytes.
#[no_mangle]
pub unsafe extern "C" fn zmq_z85_decode(dest: *mut u8, string: *const c_char) -> *mut u8 {
    guard(|| {
        non_null(string, Errno::EFAULT)?;
        let text = CStr::from_ptr(string).to_bytes();
        if text.len() < 5 || text.len() % 5 != 0 {
            return Err(Errno::EINVAL);
        }
        // Bytes outside ASCII are no Z85 characters.
        let text = std::str::from_utf8(text).map_err(|_| Errno::EINVAL)?;
        let data = ferrozmq::z85::decode(text).map_err(|_| Errno::EINVAL)?;
        non_null(dest, Errno::EFAULT)?;
        std::ptr::copy_nonoverlapping(data.as_ptr(), dest, data.len());
        Ok(dest)
    })
}

/// A new CURVE key pair, each key as 40 characters of Z85 and a NUL into 41-byte buffers.
///
/// # Safety
/// Both buffers must be valid for writes of 41 bytes.
#[no_mangle]
pub unsafe extern "C" fn zmq_curve_keypair(public: *mut c_char, secret: *mut c_char) -> c_int {
    guard(|| {
        non_null(public, Errno::EFAULT)?;
        non_null(secret, Errno::EFAULT)?;
        let pair = ferrozmq::curve_keypair()?;
        let (public_key, secret_key) = (pair.public.to_z85(), pair.secret.to_z85());
        debug_assert!(public_key.len() < KEY_BUFFER && secret_key.len() < KEY_BUFFER);
        write_c_string(public, &public_key);
        write_c_string(secret, &secret_key);
        Ok(0)
    })
}

/// The public key of a secret key, both as 40 characters of Z85 (EINVAL for a secret key
/// that is not).
///
/// # Safety
/// `public` must be valid for writes of 41 bytes; `secret` must be a NUL-terminated
/// string.
#[no_mangle]
pub unsafe extern "C" fn zmq_curve_public(public: *mut c_char, secret: *const c_char) -> c_int {
    guard(|| {
        non_null(public, Errno::EFAULT)?;
        non_null(secret, Errno::EFAULT)?;
        let secret = CStr::from_ptr(secret).to_str().map_err(|_| Errno::EINVAL)?;
        let secret = ferrozmq::CurveSecretKey::from_z85(secret).map_err(|_| Errno::EINVAL)?;
        let public_key = secret.public_key().to_z85();
        write_c_string(public, &public_key);
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errno::{errno, set_errno};

    #[test]
    fn z85_follows_rfc_32_and_libzmq_s_errors() {
        let data = [0x86u8, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
        let mut text = [0 as c_char; 11];
        let dest = text.as_mut_ptr();
        set_errno(0);
        let out = unsafe { zmq_z85_encode(dest, data.as_ptr(), 8) };
        assert_eq!(out, dest);
        assert_eq!(unsafe { CStr::from_ptr(out) }, c"HelloWorld");
        assert_eq!(errno(), 0);

        let mut decoded = [0u8; 8];
        let dest = decoded.as_mut_ptr();
        let out = unsafe { zmq_z85_decode(dest, c"HelloWorld".as_ptr()) };
        assert_eq!(out, dest);
        assert_eq!(decoded, data);

        assert!(unsafe { zmq_z85_encode(std::ptr::null_mut(), std::ptr::null(), 42) }.is_null());
        assert_eq!(errno(), libc::EINVAL);
        for bad in [
            c"",
            c"0",
            c"01234567",
            c"#####",
            c"%nSc1",
            c"####\x047",
            c"\xff\xff\xff\xff\xff",
        ] {
            set_errno(0);
            assert!(unsafe { zmq_z85_decode(decoded.as_mut_ptr(), bad.as_ptr()) }.is_null());
            assert_eq!(errno(), libc::EINVAL, "{bad:?}");
        }
    }

    #[test]
    fn a_key_pair_s_public_key_is_derived_from_its_secret_key() {
        let mut public = [0 as c_char; KEY_BUFFER];
        let mut secret = [0 as c_char; KEY_BUFFER];
        assert_eq!(
            unsafe { zmq_curve_keypair(public.as_mut_ptr(), secret.as_mut_ptr()) },
            0
        );
        let mut derived = [0 as c_char; KEY_BUFFER];
        assert_eq!(
            unsafe { zmq_curve_public(derived.as_mut_ptr(), secret.as_ptr()) },
            0
        );
        assert_eq!(public, derived);
        assert_eq!(
            unsafe { CStr::from_ptr(public.as_ptr()) }.to_bytes().len(),
            40
        );

        assert_eq!(
            unsafe { zmq_curve_public(derived.as_mut_ptr(), c"too short".as_ptr()) },
            -1
        );
        assert_eq!(errno(), libc::EINVAL);
    }
}
