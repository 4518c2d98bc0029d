//! Options libzmq without PGM/NORM accepts and reports (AFFINITY, RATE, RECOVERY_IVL), and
//! PRIORITY, USE_FD, the SOCKS and WSS options: sizes, defaults, read-back and errors as libzmq
//! 4.3.5 has them.

use std::ffi::{c_int, c_void};
use std::ptr;
use zmq::context::{zmq_ctx_new, zmq_ctx_term};
use zmq::errno::{errno, set_errno};
use zmq::socket::options::{zmq_getsockopt, zmq_setsockopt};
use zmq::socket::{zmq_bind, zmq_close, zmq_connect, zmq_socket};
use zmq::version::zmq_has;

const ZMQ_PUSH: c_int = 8;
const ZMQ_AFFINITY: c_int = 4;
const ZMQ_RATE: c_int = 8;
const ZMQ_RECOVERY_IVL: c_int = 9;
const ZMQ_SOCKS_PROXY: c_int = 68;
const ZMQ_USE_FD: c_int = 89;
const ZMQ_SOCKS_USERNAME: c_int = 99;
const ZMQ_PRIORITY: c_int = 112;

unsafe fn set<T>(s: *mut c_void, option: c_int, value: &T) -> c_int {
    zmq_setsockopt(s, option, ptr::from_ref(value).cast(), size_of::<T>())
}

unsafe fn get<T: Copy>(s: *mut c_void, option: c_int, mut value: T) -> T {
    let mut len = size_of::<T>();
    let rc = zmq_getsockopt(s, option, ptr::from_mut(&mut value).cast(), &mut len);
    assert_eq!(rc, 0, "getsockopt {option}: errno {}", errno());
    assert_eq!(len, size_of::<T>());
    value
}

#[test]
fn kept_options_read_back_with_libzmq_s_defaults_sizes_and_errors() {
    unsafe {
        let ctx = zmq_ctx_new();
        let s = zmq_socket(ctx, ZMQ_PUSH);
        assert_eq!(get(s, ZMQ_AFFINITY, 7u64), 0);
        assert_eq!(set(s, ZMQ_AFFINITY, &3u64), 0);
        assert_eq!(get(s, ZMQ_AFFINITY, 0u64), 3);
        assert_eq!(get(s, ZMQ_RATE, 0 as c_int), 100);
        assert_eq!(get(s, ZMQ_RECOVERY_IVL, 0 as c_int), 10_000);
        assert_eq!(set(s, ZMQ_RATE, &(500 as c_int)), 0);
        assert_eq!(set(s, ZMQ_RECOVERY_IVL, &(0 as c_int)), 0);
        assert_eq!(get(s, ZMQ_RATE, 0 as c_int), 500);
        assert_eq!(get(s, ZMQ_RECOVERY_IVL, 9 as c_int), 0);
        assert_eq!(get(s, ZMQ_PRIORITY, 9 as c_int), 0);
        assert_eq!(set(s, ZMQ_PRIORITY, &(3 as c_int)), 0);
        assert_eq!(get(s, ZMQ_PRIORITY, 0 as c_int), 3);
        assert_eq!(get(s, ZMQ_USE_FD, 0 as c_int), -1);
        // Out of range, or the wrong size: EINVAL, nothing changed.
        for (option, value) in [(ZMQ_RATE, 0), (ZMQ_RECOVERY_IVL, -1), (ZMQ_PRIORITY, -1)] {
            set_errno(0);
            assert_eq!(set(s, option, &(value as c_int)), -1);
            assert_eq!(errno(), libc::EINVAL);
        }
        assert_eq!(set(s, ZMQ_AFFINITY, &(1 as c_int)), -1);
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(get(s, ZMQ_RATE, 0 as c_int), 500);
        // Strings: a NUL-terminated read-back; an empty proxy is refused, NULL clears it.
        let mut buffer = [0xAAu8; 32];
        let mut len = buffer.len();
        assert_eq!(
            zmq_setsockopt(s, ZMQ_SOCKS_PROXY, c"proxy:1080".as_ptr().cast(), 10),
            0
        );
        let rc = zmq_getsockopt(s, ZMQ_SOCKS_PROXY, buffer.as_mut_ptr().cast(), &mut len);
        assert_eq!((rc, len, &buffer[..11]), (0, 11, &b"proxy:1080\0"[..]));
        assert_eq!(
            zmq_setsockopt(s, ZMQ_SOCKS_PROXY, c"".as_ptr().cast(), 0),
            -1
        );
        assert_eq!(zmq_setsockopt(s, ZMQ_SOCKS_PROXY, ptr::null(), 0), 0);
        let long = [b'u'; 256];
        assert_eq!(
            zmq_setsockopt(s, ZMQ_SOCKS_USERNAME, long.as_ptr().cast(), 256),
            -1
        );
        assert_eq!(
            zmq_setsockopt(s, ZMQ_SOCKS_USERNAME, long.as_ptr().cast(), 255),
            0
        );
        assert_eq!(zmq_close(s), 0);
        assert_eq!(zmq_ctx_term(ctx), 0);
    }
}

#[test]
fn transports_and_mechanisms_that_need_libraries_ferrozmq_lacks_are_refused_as_libzmq_built_without_them_does(
) {
    const ZMQ_GSSAPI_SERVER: c_int = 62;
    const ZMQ_GSSAPI_PRINCIPAL: c_int = 63;
    const ZMQ_GSSAPI_PLAINTEXT: c_int = 65;
    const ZMQ_VMCI_BUFFER_SIZE: c_int = 85;
    unsafe {
        let ctx = zmq_ctx_new();
        let s = zmq_socket(ctx, ZMQ_PUSH);
        for endpoint in [
            c"pgm://eth0;239.192.1.1:5555",
            c"epgm://eth0;239.192.1.1:5555",
            c"norm://eth0;239.192.1.1:5555",
            c"tipc://{5560,0,0}",
            c"vmci://1:5555",
        ] {
            for call in [zmq_bind, zmq_connect] {
                set_errno(0);
                assert_eq!(call(s, endpoint.as_ptr()), -1, "{endpoint:?}");
                assert_eq!(errno(), libc::EPROTONOSUPPORT, "{endpoint:?}");
            }
        }
        for option in [
            ZMQ_GSSAPI_SERVER,
            ZMQ_GSSAPI_PLAINTEXT,
            ZMQ_VMCI_BUFFER_SIZE,
        ] {
            set_errno(0);
            assert_eq!(set(s, option, &(1 as c_int)), -1);
            assert_eq!(errno(), libc::EINVAL);
        }
        assert_eq!(
            zmq_setsockopt(s, ZMQ_GSSAPI_PRINCIPAL, c"me".as_ptr().cast(), 2),
            -1
        );
        assert_eq!(errno(), libc::EINVAL);
        for capability in [c"pgm", c"norm", c"tipc", c"vmci", c"gssapi"] {
            assert_eq!(zmq_has(capability.as_ptr()), 0, "{capability:?}");
        }
        assert_eq!(zmq_close(s), 0);
        assert_eq!(zmq_ctx_term(ctx), 0);
    }
}

#[test]
fn wss_options_take_pem_text_and_a_wss_bind_needs_a_certificate() {
    const ZMQ_REP: c_int = 4;
    const ZMQ_WSS_KEY_PEM: c_int = 103;
    const ZMQ_WSS_CERT_PEM: c_int = 104;
    const ZMQ_WSS_TRUST_PEM: c_int = 105;
    const ZMQ_WSS_HOSTNAME: c_int = 106;
    const ZMQ_WSS_TRUST_SYSTEM: c_int = 107;
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .pem();
    let key = key.serialize_pem();
    unsafe {
        let ctx = zmq_ctx_new();
        let s = zmq_socket(ctx, ZMQ_REP);
        set_errno(0);
        assert_eq!(zmq_bind(s, c"wss://127.0.0.1:*/zmq".as_ptr()), -1);
        assert_eq!(errno(), libc::EINVAL);
        // Text that is not PEM of the right kind: EINVAL.
        for option in [ZMQ_WSS_CERT_PEM, ZMQ_WSS_KEY_PEM, ZMQ_WSS_TRUST_PEM] {
            set_errno(0);
            assert_eq!(zmq_setsockopt(s, option, c"nope".as_ptr().cast(), 4), -1);
            assert_eq!(errno(), libc::EINVAL);
        }
        set_errno(0);
        assert_eq!(
            zmq_setsockopt(s, ZMQ_WSS_KEY_PEM, cert.as_ptr().cast(), cert.len()),
            -1
        );
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(
            zmq_setsockopt(s, ZMQ_WSS_CERT_PEM, cert.as_ptr().cast(), cert.len()),
            0
        );
        // With its NUL counted, as C callers may pass it.
        let key_c = std::ffi::CString::new(key).unwrap();
        let key_len = key_c.as_bytes_with_nul().len();
        assert_eq!(
            zmq_setsockopt(s, ZMQ_WSS_KEY_PEM, key_c.as_ptr().cast(), key_len),
            0
        );
        assert_eq!(zmq_bind(s, c"wss://127.0.0.1:*/zmq".as_ptr()), 0);
        // The PEM options are write-only; the hostname and the switch read back.
        let mut buffer = [0u8; 64];
        let mut len = buffer.len();
        let rc = zmq_getsockopt(s, ZMQ_WSS_CERT_PEM, buffer.as_mut_ptr().cast(), &mut len);
        assert_eq!((rc, errno()), (-1, libc::EINVAL));
        assert_eq!(
            zmq_setsockopt(s, ZMQ_WSS_HOSTNAME, c"zeromq.org".as_ptr().cast(), 10),
            0
        );
        let rc = zmq_getsockopt(s, ZMQ_WSS_HOSTNAME, buffer.as_mut_ptr().cast(), &mut len);
        assert_eq!((rc, len, &buffer[..11]), (0, 11, &b"zeromq.org\0"[..]));
        assert_eq!(get(s, ZMQ_WSS_TRUST_SYSTEM, 9 as c_int), 0);
        assert_eq!(set(s, ZMQ_WSS_TRUST_SYSTEM, &(1 as c_int)), 0);
        assert_eq!(get(s, ZMQ_WSS_TRUST_SYSTEM, 0 as c_int), 1);
        assert_eq!(set(s, ZMQ_WSS_TRUST_SYSTEM, &(2 as c_int)), -1);
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(zmq_close(s), 0);
        assert_eq!(zmq_ctx_term(ctx), 0);
    }
}
