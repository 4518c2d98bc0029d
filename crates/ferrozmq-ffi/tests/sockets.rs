//! The socket functions of the C API, called as C calls them: handles, options with
//! libzmq's sizes and errors, sending and receiving, polling, termination, and one socket
//! used from many threads at once.

use std::ffi::{c_int, c_void, CStr};
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zmq::context::{zmq_ctx_new, zmq_ctx_shutdown, zmq_ctx_term};
use zmq::errno::{errno, set_errno, EFSM, ENOCOMPATPROTO, ETERM};
use zmq::message::{
    zmq_msg_close, zmq_msg_data, zmq_msg_get, zmq_msg_gets, zmq_msg_group, zmq_msg_init,
    zmq_msg_init_size, zmq_msg_routing_id, zmq_msg_set_group, zmq_msg_set_routing_id, zmq_msg_size,
};
use zmq::monitor::zmq_socket_monitor;
use zmq::poll::{zmq_poll, ZMQ_POLLIN, ZMQ_POLLOUT};
use zmq::poller::{
    zmq_poller_add, zmq_poller_add_fd, zmq_poller_destroy, zmq_poller_fd, zmq_poller_new,
    zmq_poller_wait_all,
};
use zmq::proxy::zmq_proxy;
use zmq::socket::options::{zmq_getsockopt, zmq_setsockopt};
use zmq::socket::transfer::{
    zmq_msg_recv, zmq_msg_send, zmq_recv, zmq_recviov, zmq_send, zmq_send_const, zmq_sendiov,
    ZMQ_DONTWAIT, ZMQ_SNDMORE,
};
use zmq::socket::{
    zmq_bind, zmq_close, zmq_connect, zmq_connect_peer, zmq_disconnect_peer, zmq_join, zmq_socket,
    zmq_unbind,
};
use zmq::types::{zmq_msg_t, zmq_poller_event_t, zmq_pollitem_t};

const ZMQ_PAIR: c_int = 0;
const ZMQ_PUB: c_int = 1;
const ZMQ_SUB: c_int = 2;
const ZMQ_REQ: c_int = 3;
const ZMQ_REP: c_int = 4;
const ZMQ_PULL: c_int = 7;
const ZMQ_PUSH: c_int = 8;
const ZMQ_STREAM: c_int = 11;
const ZMQ_SERVER: c_int = 12;
const ZMQ_CLIENT: c_int = 13;
const ZMQ_RADIO: c_int = 14;
const ZMQ_DISH: c_int = 15;
const ZMQ_DGRAM: c_int = 18;
const ZMQ_PEER: c_int = 19;

const ZMQ_ROUTING_ID: c_int = 5;
const ZMQ_SUBSCRIBE: c_int = 6;
const ZMQ_RCVMORE: c_int = 13;
const ZMQ_FD: c_int = 14;
const ZMQ_EVENTS: c_int = 15;
const ZMQ_TYPE: c_int = 16;
const ZMQ_LINGER: c_int = 17;
const ZMQ_MAXMSGSIZE: c_int = 22;
const ZMQ_SNDHWM: c_int = 23;
const ZMQ_RCVTIMEO: c_int = 27;
const ZMQ_SNDTIMEO: c_int = 28;
const ZMQ_LAST_ENDPOINT: c_int = 32;
const ZMQ_MECHANISM: c_int = 43;
const ZMQ_CURVE_SERVER: c_int = 47;
const ZMQ_CURVE_SECRETKEY: c_int = 49;
const ZMQ_CURVE_PUBLICKEY: c_int = 48;
const ZMQ_HEARTBEAT_TTL: c_int = 76;
const ZMQ_THREAD_SAFE: c_int = 81;

/// A context that is terminated when the test ends (after its sockets are closed).
struct Ctx(*mut c_void);

impl Ctx {
    fn new() -> Ctx {
        Ctx(zmq_ctx_new())
    }

    fn socket(&self, kind: c_int) -> Sock {
        let handle = unsafe { zmq_socket(self.0, kind) };
        assert!(!handle.is_null(), "zmq_socket({kind}): errno {}", errno());
        let s = Sock(handle);
        s.set_int(ZMQ_LINGER, 0);
        s.set_int(ZMQ_RCVTIMEO, 5000);
        s.set_int(ZMQ_SNDTIMEO, 5000);
        s
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        unsafe { zmq_ctx_term(self.0) };
    }
}

/// A socket handle, closed when dropped (closing a closed one is harmless: ENOTSOCK).
struct Sock(*mut c_void);

// SAFETY: handles may be used from any thread: that is what the tests check.
unsafe impl Send for Sock {}
unsafe impl Sync for Sock {}

impl Drop for Sock {
    fn drop(&mut self) {
        unsafe { zmq_close(self.0) };
    }
}

impl Sock {
    fn set_int(&self, option: c_int, value: c_int) {
        let rc = unsafe {
            zmq_setsockopt(
                self.0,
                option,
                ptr::from_ref(&value).cast(),
                size_of::<c_int>(),
            )
        };
        assert_eq!(rc, 0, "setsockopt {option}: errno {}", errno());
    }

    fn int(&self, option: c_int) -> c_int {
        let mut value: c_int = -7;
        let mut len = size_of::<c_int>();
        let rc =
            unsafe { zmq_getsockopt(self.0, option, ptr::from_mut(&mut value).cast(), &mut len) };
        assert_eq!(rc, 0, "getsockopt {option}: errno {}", errno());
        value
    }

    fn bind(&self, endpoint: &CStr) -> String {
        assert_eq!(
            unsafe { zmq_bind(self.0, endpoint.as_ptr()) },
            0,
            "bind: {}",
            errno()
        );
        self.last_endpoint()
    }

    fn connect(&self, endpoint: &str) {
        let endpoint = std::ffi::CString::new(endpoint).unwrap();
        assert_eq!(
            unsafe { zmq_connect(self.0, endpoint.as_ptr()) },
            0,
            "connect: {}",
            errno()
        );
    }

    fn last_endpoint(&self) -> String {
        let mut buffer = [0u8; 256];
        let mut len = buffer.len();
        let rc = unsafe {
            zmq_getsockopt(
                self.0,
                ZMQ_LAST_ENDPOINT,
                buffer.as_mut_ptr().cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0);
        CStr::from_bytes_until_nul(&buffer)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    }

    fn send(&self, bytes: &[u8], flags: c_int) -> c_int {
        unsafe { zmq_send(self.0, bytes.as_ptr().cast(), bytes.len(), flags) }
    }

    fn recv(&self) -> Vec<u8> {
        let mut buffer = vec![0u8; 1024];
        let n = unsafe { zmq_recv(self.0, buffer.as_mut_ptr().cast(), buffer.len(), 0) };
        assert!(n >= 0, "recv: errno {}", errno());
        buffer.truncate(n as usize);
        buffer
    }
}

/// A connected pair of sockets over `transport` ("inproc" names a fresh endpoint).
fn pair(ctx: &Ctx, bind_type: c_int, connect_type: c_int, transport: &str) -> (Sock, Sock) {
    let binder = ctx.socket(bind_type);
    let endpoint = match transport {
        "tcp" => binder.bind(c"tcp://127.0.0.1:*"),
        _ => {
            static N: AtomicUsize = AtomicUsize::new(0);
            let name = format!("inproc://sockets-{}\0", N.fetch_add(1, Ordering::Relaxed));
            binder.bind(CStr::from_bytes_with_nul(name.as_bytes()).unwrap())
        }
    };
    let connector = ctx.socket(connect_type);
    connector.connect(&endpoint);
    (binder, connector)
}

fn new_msg() -> Box<MaybeUninit<zmq_msg_t>> {
    let mut storage = Box::new(MaybeUninit::<zmq_msg_t>::uninit());
    assert_eq!(unsafe { zmq_msg_init(storage.as_mut_ptr()) }, 0);
    storage
}

unsafe fn msg_bytes<'a>(msg: *mut zmq_msg_t) -> &'a [u8] {
    std::slice::from_raw_parts(zmq_msg_data(msg).cast::<u8>(), zmq_msg_size(msg))
}

#[test]
fn handles_that_are_no_sockets_fail_with_enotsock() {
    let ctx = Ctx::new();
    let mut not_a_socket = [0u64; 8];
    for handle in [ptr::null_mut(), not_a_socket.as_mut_ptr().cast(), ctx.0] {
        set_errno(0);
        assert_eq!(unsafe { zmq_bind(handle, c"inproc://x".as_ptr()) }, -1);
        assert_eq!(errno(), libc::ENOTSOCK);
        assert_eq!(unsafe { zmq_close(handle) }, -1);
        assert_eq!(errno(), libc::ENOTSOCK);
    }
    let s = unsafe { zmq_socket(ctx.0, ZMQ_PAIR) };
    assert_eq!(unsafe { zmq_close(s) }, 0);
    assert_eq!(unsafe { zmq_close(s) }, -1, "closed twice");
    assert_eq!(errno(), libc::ENOTSOCK);
    assert_eq!(unsafe { zmq_send(s, ptr::null(), 0, 0) }, -1);
    assert_eq!(errno(), libc::ENOTSOCK);
    let stream = unsafe { zmq_socket(ctx.0, ZMQ_STREAM) };
    assert!(!stream.is_null(), "STREAM is a socket type");
    assert_eq!(unsafe { zmq_close(stream) }, 0);
    let dgram = unsafe { zmq_socket(ctx.0, ZMQ_DGRAM) };
    assert!(!dgram.is_null(), "DGRAM is a socket type");
    assert_eq!(unsafe { zmq_close(dgram) }, 0);
    for kind in [-1, 21] {
        assert!(unsafe { zmq_socket(ctx.0, kind) }.is_null());
        assert_eq!(errno(), libc::EINVAL, "type {kind}");
    }
    assert!(unsafe { zmq_socket(ptr::null_mut(), ZMQ_PAIR) }.is_null());
    assert_eq!(errno(), libc::EFAULT);
}

#[test]
fn options_have_libzmq_s_sizes_values_and_errors() {
    let ctx = Ctx::new();
    let s = ctx.socket(ZMQ_PUSH);
    assert_eq!(s.int(ZMQ_TYPE), ZMQ_PUSH);
    assert_eq!(s.int(ZMQ_SNDHWM), 1000);
    s.set_int(ZMQ_SNDHWM, 7);
    assert_eq!(s.int(ZMQ_SNDHWM), 7);
    assert_eq!(s.int(ZMQ_MECHANISM), 0);
    assert_eq!(s.int(ZMQ_THREAD_SAFE), 0);
    // HEARTBEAT_TTL is kept in deciseconds, as libzmq keeps it.
    s.set_int(ZMQ_HEARTBEAT_TTL, 1234);
    assert_eq!(s.int(ZMQ_HEARTBEAT_TTL), 1200);
    unsafe {
        let value: c_int = 5;
        let value_ptr = ptr::from_ref(&value).cast::<c_void>();
        // An int option takes exactly sizeof (int); an unknown option is EINVAL.
        for (option, len) in [(ZMQ_SNDHWM, 2), (ZMQ_SNDHWM, 8), (9999, 4)] {
            set_errno(0);
            assert_eq!(zmq_setsockopt(s.0, option, value_ptr, len), -1);
            assert_eq!(errno(), libc::EINVAL);
        }
        let negative: c_int = -2;
        assert_eq!(
            zmq_setsockopt(s.0, ZMQ_SNDHWM, ptr::from_ref(&negative).cast(), 4),
            -1
        );
        assert_eq!(zmq_setsockopt(s.0, ZMQ_SNDHWM, ptr::null(), 4), -1);
        assert_eq!(errno(), libc::EFAULT);
        // Reading an int needs exactly sizeof (int).
        let mut out = [0u8; 16];
        let mut len = 8usize;
        assert_eq!(
            zmq_getsockopt(s.0, ZMQ_SNDHWM, out.as_mut_ptr().cast(), &mut len),
            -1
        );
        assert_eq!(errno(), libc::EINVAL);
        // MAXMSGSIZE is an int64_t.
        let max: i64 = 1 << 33;
        assert_eq!(
            zmq_setsockopt(s.0, ZMQ_MAXMSGSIZE, ptr::from_ref(&max).cast(), 8),
            0
        );
        let mut read: i64 = 0;
        len = 8;
        assert_eq!(
            zmq_getsockopt(
                s.0,
                ZMQ_MAXMSGSIZE,
                ptr::from_mut(&mut read).cast(),
                &mut len
            ),
            0
        );
        assert_eq!(read, max);
        // Strings: the text and a NUL; *optvallen becomes their length; a buffer too short
        // is EINVAL.
        let endpoint = s.bind(c"tcp://127.0.0.1:*");
        let mut buffer = [0xFFu8; 64];
        len = buffer.len();
        assert_eq!(
            zmq_getsockopt(s.0, ZMQ_LAST_ENDPOINT, buffer.as_mut_ptr().cast(), &mut len),
            0
        );
        assert_eq!(len, endpoint.len() + 1);
        assert_eq!(&buffer[..len], format!("{endpoint}\0").as_bytes());
        assert!(buffer[len..].iter().all(|&b| b == 0), "the rest is zeroed");
        len = 3;
        assert_eq!(
            zmq_getsockopt(s.0, ZMQ_LAST_ENDPOINT, buffer.as_mut_ptr().cast(), &mut len),
            -1
        );
        assert_eq!(errno(), libc::EINVAL);
        // Binary: a routing id of 1 to 255 bytes, no NUL added.
        assert_eq!(
            zmq_setsockopt(s.0, ZMQ_ROUTING_ID, c"abc".as_ptr().cast(), 3),
            0
        );
        len = buffer.len();
        assert_eq!(
            zmq_getsockopt(s.0, ZMQ_ROUTING_ID, buffer.as_mut_ptr().cast(), &mut len),
            0
        );
        assert_eq!(&buffer[..len], b"abc");
        assert_eq!(
            zmq_setsockopt(s.0, ZMQ_ROUTING_ID, c"".as_ptr().cast(), 0),
            -1
        );
        // CURVE keys: 40 characters of Z85 in, 41 bytes (with NUL) or 32 bytes out.
        let secret = c"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
        let public = c"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
        assert_eq!(
            zmq_setsockopt(s.0, ZMQ_CURVE_SECRETKEY, secret.as_ptr().cast(), 40),
            0
        );
        assert_eq!(s.int(ZMQ_MECHANISM), 2);
        let mut key = [0u8; 41];
        len = 41;
        assert_eq!(
            zmq_getsockopt(s.0, ZMQ_CURVE_PUBLICKEY, key.as_mut_ptr().cast(), &mut len),
            0
        );
        assert_eq!(&key[..], public.to_bytes_with_nul());
        len = 32;
        assert_eq!(
            zmq_getsockopt(s.0, ZMQ_CURVE_SECRETKEY, key.as_mut_ptr().cast(), &mut len),
            0
        );
        len = 40;
        assert_eq!(
            zmq_getsockopt(s.0, ZMQ_CURVE_SECRETKEY, key.as_mut_ptr().cast(), &mut len),
            -1
        );
        s.set_int(ZMQ_CURVE_SERVER, 1);
        assert_eq!(s.int(ZMQ_CURVE_SERVER), 1);
    }
    // Thread-safe types have no ZMQ_FD, as in libzmq.
    let client = ctx.socket(ZMQ_CLIENT);
    assert_eq!(client.int(ZMQ_THREAD_SAFE), 1);
    let mut fd: c_int = 0;
    let mut len = size_of::<c_int>();
    assert_eq!(
        unsafe { zmq_getsockopt(client.0, ZMQ_FD, ptr::from_mut(&mut fd).cast(), &mut len) },
        -1
    );
    assert_eq!(errno(), libc::EINVAL);
}

#[test]
fn transports_are_checked_as_libzmq_checks_them() {
    let ctx = Ctx::new();
    let push = ctx.socket(ZMQ_PUSH);
    set_errno(0);
    assert_eq!(
        unsafe { zmq_bind(push.0, c"udp://127.0.0.1:5555".as_ptr()) },
        -1
    );
    assert_eq!(errno(), ENOCOMPATPROTO);
    assert_eq!(
        unsafe { zmq_bind(push.0, c"pgm://x;239.1.1.1:5".as_ptr()) },
        -1
    );
    assert_eq!(errno(), libc::EPROTONOSUPPORT);
    assert_eq!(unsafe { zmq_bind(push.0, c"no transport".as_ptr()) }, -1);
    assert_eq!(errno(), libc::EINVAL);
    assert_eq!(
        unsafe { zmq_unbind(push.0, c"tcp://127.0.0.1:1".as_ptr()) },
        -1
    );
    assert_eq!(errno(), libc::ENOENT);
    // A DGRAM binds udp, and nothing else: libzmq would take a tcp bind and then find no
    // peer it can talk to, ferrozmq says so at once.
    let dgram = ctx.socket(ZMQ_DGRAM);
    for (endpoint, bind) in [
        (c"udp://127.0.0.1:5555", false),
        (c"tcp://127.0.0.1:*", true),
        (c"inproc://dgram", true),
        (c"tcp://127.0.0.1:5555", false),
    ] {
        set_errno(0);
        let rc = unsafe {
            if bind {
                zmq_bind(dgram.0, endpoint.as_ptr())
            } else {
                zmq_connect(dgram.0, endpoint.as_ptr())
            }
        };
        assert_eq!((rc, errno()), (-1, ENOCOMPATPROTO), "{endpoint:?}");
    }
    assert_eq!(
        unsafe { zmq_bind(dgram.0, c"udp://127.0.0.1:*".as_ptr()) },
        0
    );
}

#[test]
fn recv_truncates_to_the_buffer_and_returns_the_full_size() {
    let ctx = Ctx::new();
    let (pull, push) = pair(&ctx, ZMQ_PULL, ZMQ_PUSH, "inproc");
    assert_eq!(push.send(b"0123456789", 0), 10);
    let mut buffer = [0u8; 4];
    let n = unsafe { zmq_recv(pull.0, buffer.as_mut_ptr().cast(), 4, 0) };
    assert_eq!(n, 10);
    assert_eq!(&buffer, b"0123");
    // Constant data is sent without copying: the buffer must outlive the send.
    static CONSTANT: [u8; 100] = [9; 100];
    assert_eq!(
        unsafe { zmq_send_const(push.0, CONSTANT.as_ptr().cast(), 100, 0) },
        100
    );
    assert_eq!(pull.recv(), CONSTANT);
    set_errno(0);
    assert_eq!(
        unsafe { zmq_recv(pull.0, buffer.as_mut_ptr().cast(), 4, ZMQ_DONTWAIT) },
        -1
    );
    assert_eq!(errno(), libc::EAGAIN);
}

#[test]
fn msg_send_empties_the_message_on_success_and_keeps_it_on_failure() {
    let ctx = Ctx::new();
    let push = ctx.socket(ZMQ_PUSH);
    push.bind(c"inproc://msg-send");
    let mut storage = Box::new(MaybeUninit::<zmq_msg_t>::uninit());
    let msg = storage.as_mut_ptr();
    unsafe {
        assert_eq!(zmq_msg_init_size(msg, 100), 0);
        ptr::write_bytes(zmq_msg_data(msg).cast::<u8>(), 7, 100);
        // No peer: a PUSH cannot send; the message stays the caller's.
        assert_eq!(zmq_msg_send(msg, push.0, ZMQ_DONTWAIT), -1);
        assert_eq!(errno(), libc::EAGAIN);
        assert_eq!(msg_bytes(msg), [7u8; 100]);
        let pull = ctx.socket(ZMQ_PULL);
        pull.connect("inproc://msg-send");
        assert_eq!(zmq_msg_send(msg, push.0, 0), 100);
        assert_eq!(zmq_msg_size(msg), 0, "sent: the message is empty");
        assert_eq!(zmq_msg_close(msg), 0);
        let received = new_msg();
        let received = Box::into_raw(received).cast::<zmq_msg_t>();
        assert_eq!(zmq_msg_recv(received, pull.0, 0), 100);
        assert_eq!(msg_bytes(received), [7u8; 100]);
        assert_eq!(zmq_msg_close(received), 0);
        drop(Box::from_raw(received.cast::<MaybeUninit<zmq_msg_t>>()));
    }
}

#[test]
fn multipart_messages_carry_rcvmore_and_iovecs_round_trip() {
    let ctx = Ctx::new();
    let (pull, push) = pair(&ctx, ZMQ_PULL, ZMQ_PUSH, "tcp");
    let mut parts: Vec<libc::iovec> = [&b"a"[..], b"bc", b""]
        .iter()
        .map(|p| libc::iovec {
            iov_base: p.as_ptr().cast_mut().cast(),
            iov_len: p.len(),
        })
        .collect();
    assert_eq!(
        unsafe { zmq_sendiov(push.0, parts.as_mut_ptr(), 3, ZMQ_SNDMORE) },
        0
    );
    assert_eq!(pull.recv(), b"a");
    assert_eq!(pull.int(ZMQ_RCVMORE), 1);
    push.send(b"x", ZMQ_SNDMORE);
    push.send(b"y", 0);
    let mut received = [libc::iovec {
        iov_base: ptr::null_mut(),
        iov_len: 0,
    }; 4];
    let mut count = 4usize;
    // The rest of the first message: two parts.
    assert_eq!(
        unsafe { zmq_recviov(pull.0, received.as_mut_ptr(), &mut count, 0) },
        2
    );
    assert_eq!(count, 2);
    let bytes = |iov: &libc::iovec| unsafe {
        std::slice::from_raw_parts(iov.iov_base.cast::<u8>(), iov.iov_len).to_vec()
    };
    assert_eq!(
        (bytes(&received[0]), bytes(&received[1])),
        (b"bc".to_vec(), Vec::new())
    );
    assert_eq!(pull.int(ZMQ_RCVMORE), 0);
    for iov in &received[..2] {
        unsafe { libc::free(iov.iov_base) };
    }
    assert_eq!(pull.recv(), b"x");
    assert_eq!(pull.recv(), b"y");
}

#[test]
fn server_and_client_address_by_routing_id_and_radio_and_dish_by_group() {
    let ctx = Ctx::new();
    let (server, client) = pair(&ctx, ZMQ_SERVER, ZMQ_CLIENT, "tcp");
    assert_eq!(client.send(b"hello", 0), 5);
    set_errno(0);
    assert_eq!(client.send(b"no parts", ZMQ_SNDMORE), -1);
    assert_eq!(
        errno(),
        libc::EINVAL,
        "thread-safe types send whole messages"
    );
    unsafe {
        let request = Box::into_raw(new_msg()).cast::<zmq_msg_t>();
        assert_eq!(zmq_msg_recv(request, server.0, 0), 5);
        let peer = zmq_msg_routing_id(request);
        assert_ne!(peer, 0);
        let socket_type = zmq_msg_gets(request, c"Socket-Type".as_ptr());
        assert_eq!(CStr::from_ptr(socket_type), c"CLIENT");
        assert!(!zmq_msg_gets(request, c"Peer-Address".as_ptr()).is_null());
        // The reply goes back to the routing id the request came with.
        assert_eq!(zmq_msg_send(request, server.0, 0), 5);
        assert_eq!(client.recv(), b"hello");
        let orphan = Box::into_raw(new_msg()).cast::<zmq_msg_t>();
        assert_eq!(zmq_msg_set_routing_id(orphan, peer + 1000), 0);
        assert_eq!(zmq_msg_send(orphan, server.0, 0), -1);
        assert_eq!(errno(), libc::EHOSTUNREACH);
        zmq_msg_close(orphan);
        zmq_msg_close(request);
        drop(Box::from_raw(orphan.cast::<MaybeUninit<zmq_msg_t>>()));
        drop(Box::from_raw(request.cast::<MaybeUninit<zmq_msg_t>>()));
    }
    let (radio, dish) = pair(&ctx, ZMQ_RADIO, ZMQ_DISH, "inproc");
    assert_eq!(unsafe { zmq_join(dish.0, c"weather".as_ptr()) }, 0);
    std::thread::sleep(Duration::from_millis(50));
    unsafe {
        let news = Box::into_raw(new_msg()).cast::<zmq_msg_t>();
        for (group, body) in [(c"sports", &b"goal"[..]), (c"weather", b"rain")] {
            zmq_msg_close(news);
            zmq_msg_init_size(news, body.len());
            ptr::copy_nonoverlapping(body.as_ptr(), zmq_msg_data(news).cast(), body.len());
            assert_eq!(zmq_msg_set_group(news, group.as_ptr()), 0);
            assert_eq!(zmq_msg_send(news, radio.0, 0), body.len() as c_int);
        }
        assert_eq!(zmq_msg_recv(news, dish.0, 0), 4);
        assert_eq!(msg_bytes(news), b"rain");
        assert_eq!(CStr::from_ptr(zmq_msg_group(news)), c"weather");
        zmq_msg_close(news);
        drop(Box::from_raw(news.cast::<MaybeUninit<zmq_msg_t>>()));
    }
    let peer = ctx.socket(ZMQ_PEER);
    let other = ctx.socket(ZMQ_PEER);
    let endpoint = other.bind(c"tcp://127.0.0.1:*");
    let endpoint = std::ffi::CString::new(endpoint).unwrap();
    assert_ne!(unsafe { zmq_connect_peer(peer.0, endpoint.as_ptr()) }, 0);
    assert_eq!(unsafe { zmq_connect_peer(server.0, endpoint.as_ptr()) }, 0);
    assert_eq!(errno(), libc::ENOTSUP);
}

/// `ZMQ_SRCFD` of the next message `pull` receives, after checking the message is `body`.
fn received_source_fd(pull: &Sock, body: &[u8]) -> c_int {
    const ZMQ_SRCFD: c_int = 2;
    unsafe {
        let msg = Box::into_raw(new_msg()).cast::<zmq_msg_t>();
        assert_eq!(zmq_msg_recv(msg, pull.0, 0), body.len() as c_int);
        assert_eq!(msg_bytes(msg), body);
        let fd = zmq_msg_get(msg, ZMQ_SRCFD);
        zmq_msg_close(msg);
        drop(Box::from_raw(msg.cast::<MaybeUninit<zmq_msg_t>>()));
        fd
    }
}

/// The local address of a descriptor, as `getsockname(2)` gives it.
fn socket_name(fd: c_int) -> libc::sockaddr_storage {
    let mut name = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let rc = unsafe { libc::getsockname(fd, name.as_mut_ptr().cast(), &mut len) };
    assert_eq!(rc, 0, "getsockname({fd}): the descriptor is a live socket");
    unsafe { name.assume_init() }
}

#[test]
fn srcfd_is_the_descriptor_of_the_connection_a_message_came_through() {
    let ctx = Ctx::new();
    // tcp: the accepted connection, whose local port is the listener's.
    let (pull, push) = pair(&ctx, ZMQ_PULL, ZMQ_PUSH, "tcp");
    let port: u16 = pull
        .last_endpoint()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(push.send(b"tcp", 0), 3);
    let fd = received_source_fd(&pull, b"tcp");
    assert!(fd >= 0, "{fd}");
    let name = socket_name(fd);
    assert_eq!(c_int::from(name.ss_family), libc::AF_INET);
    let name: libc::sockaddr_in = unsafe { std::mem::transmute_copy(&name) };
    assert_eq!(u16::from_be(name.sin_port), port);
    // ipc: a unix domain socket.
    let path = format!("ipc:///tmp/ferrozmq-srcfd-{}\0", std::process::id());
    let (ipc_pull, ipc_push) = (ctx.socket(ZMQ_PULL), ctx.socket(ZMQ_PUSH));
    let endpoint = ipc_pull.bind(CStr::from_bytes_with_nul(path.as_bytes()).unwrap());
    ipc_push.connect(&endpoint);
    assert_eq!(ipc_push.send(b"ipc", 0), 3);
    let ipc_fd = received_source_fd(&ipc_pull, b"ipc");
    assert!(ipc_fd >= 0 && ipc_fd != fd, "{ipc_fd}");
    assert_eq!(c_int::from(socket_name(ipc_fd).ss_family), libc::AF_UNIX);
    // inproc has no descriptor, nor has a message the application made.
    let (inproc_pull, inproc_push) = pair(&ctx, ZMQ_PULL, ZMQ_PUSH, "inproc");
    assert_eq!(inproc_push.send(b"inproc", 0), 6);
    assert_eq!(received_source_fd(&inproc_pull, b"inproc"), -1);
    unsafe {
        let made = Box::into_raw(new_msg()).cast::<zmq_msg_t>();
        assert_eq!(zmq_msg_get(made, 2), -1);
        zmq_msg_close(made);
        drop(Box::from_raw(made.cast::<MaybeUninit<zmq_msg_t>>()));
    }
}

#[test]
fn disconnect_peer_drops_one_server_peer_by_routing_id() {
    let ctx = Ctx::new();
    let (server, client) = pair(&ctx, ZMQ_SERVER, ZMQ_CLIENT, "tcp");
    assert_eq!(client.send(b"hello", 0), 5);
    unsafe {
        let request = Box::into_raw(new_msg()).cast::<zmq_msg_t>();
        assert_eq!(zmq_msg_recv(request, server.0, 0), 5);
        let peer = zmq_msg_routing_id(request);
        assert_eq!(zmq_disconnect_peer(server.0, peer), 0);
        set_errno(0);
        assert_eq!(zmq_msg_send(request, server.0, 0), -1);
        assert_eq!(errno(), libc::EHOSTUNREACH, "the peer is gone");
        assert_eq!(zmq_disconnect_peer(server.0, peer), -1);
        assert_eq!(errno(), libc::EHOSTUNREACH, "once only");
        zmq_msg_close(request);
        drop(Box::from_raw(request.cast::<MaybeUninit<zmq_msg_t>>()));
    }
    // The client reconnects and is a new peer (what it sends before it sees the
    // connection close is lost with it, as over any tcp connection that ends).
    server.set_int(ZMQ_RCVTIMEO, 100);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        assert_eq!(client.send(b"again", 0), 5);
        let mut buffer = [0u8; 16];
        let n = unsafe { zmq_recv(server.0, buffer.as_mut_ptr().cast(), buffer.len(), 0) };
        if n == 5 {
            assert_eq!(&buffer[..5], b"again");
            break;
        }
        assert!(Instant::now() < deadline, "the client never came back");
    }
    let push = ctx.socket(ZMQ_PUSH);
    assert_eq!(unsafe { zmq_disconnect_peer(push.0, 1) }, -1);
    assert_eq!(errno(), libc::ENOTSUP);
    assert_eq!(unsafe { zmq_disconnect_peer(ptr::null_mut(), 1) }, -1);
    assert_eq!(errno(), libc::ENOTSOCK);
}

#[test]
fn a_req_sending_twice_fails_with_efsm() {
    let ctx = Ctx::new();
    let (_rep, req) = pair(&ctx, ZMQ_REP, ZMQ_REQ, "inproc");
    assert_eq!(req.send(b"one", 0), 3);
    assert_eq!(req.send(b"two", 0), -1);
    assert_eq!(errno(), EFSM);
}

#[test]
fn zmq_poll_watches_sockets_and_descriptors_level_triggered() {
    let ctx = Ctx::new();
    let (pull, push) = pair(&ctx, ZMQ_PULL, ZMQ_PUSH, "tcp");
    let mut pipe_fds = [0 as c_int; 2];
    assert_eq!(unsafe { libc::pipe(pipe_fds.as_mut_ptr()) }, 0);
    let mut items = [
        zmq_pollitem_t {
            socket: pull.0,
            fd: 0,
            events: ZMQ_POLLIN,
            revents: 0,
        },
        zmq_pollitem_t {
            socket: ptr::null_mut(),
            fd: pipe_fds[0],
            events: ZMQ_POLLIN,
            revents: 0,
        },
        zmq_pollitem_t {
            socket: push.0,
            fd: 0,
            events: ZMQ_POLLOUT,
            revents: 0,
        },
    ];
    let started = Instant::now();
    assert_eq!(
        unsafe { zmq_poll(items[..2].as_mut_ptr(), 2, 100) },
        0,
        "timeout"
    );
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(unsafe { zmq_poll(items.as_mut_ptr(), 3, -1) }, 1);
    assert_eq!(items[2].revents, ZMQ_POLLOUT);
    // A message arriving while zmq_poll sleeps wakes it.
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        push.send(b"ping", 0);
        push
    });
    assert_eq!(unsafe { zmq_poll(items.as_mut_ptr(), 2, 5000) }, 1);
    assert_eq!((items[0].revents, items[1].revents), (ZMQ_POLLIN, 0));
    // Level-triggered: still readable until received.
    assert_eq!(unsafe { zmq_poll(items.as_mut_ptr(), 2, 0) }, 1);
    assert_eq!(pull.recv(), b"ping");
    let _push = sender.join().unwrap();
    assert_eq!(
        unsafe { libc::write(pipe_fds[1], b"x".as_ptr().cast(), 1) },
        1
    );
    assert_eq!(unsafe { zmq_poll(items.as_mut_ptr(), 2, 5000) }, 1);
    assert_eq!((items[0].revents, items[1].revents), (0, ZMQ_POLLIN));
    unsafe {
        libc::close(pipe_fds[0]);
        libc::close(pipe_fds[1]);
    }
}

#[test]
fn zmq_fd_is_edge_triggered_as_libzmq_documents() {
    let ctx = Ctx::new();
    let (pull, push) = pair(&ctx, ZMQ_PULL, ZMQ_PUSH, "tcp");
    let fd = pull.int(ZMQ_FD);
    let readable = |timeout: c_int| {
        let mut item = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        unsafe { libc::poll(&mut item, 1, timeout) == 1 }
    };
    assert!(readable(0), "it starts readable");
    assert_eq!(pull.int(ZMQ_EVENTS) & c_int::from(ZMQ_POLLIN), 0);
    assert!(!readable(0), "ZMQ_EVENTS cleared it");
    push.send(b"one", 0);
    // What an event loop does: sleep until readable, then look; readable is a hint (the
    // connection coming up makes it readable too), so look again until the message is in.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        assert!(readable(5000), "news makes it readable");
        if pull.int(ZMQ_EVENTS) & c_int::from(ZMQ_POLLIN) != 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the message never showed");
    }
    assert!(!readable(0), "ZMQ_EVENTS cleared it again");
    assert_eq!(pull.recv(), b"one");
}

#[test]
fn the_poller_reports_sockets_and_descriptors_with_their_user_data() {
    let ctx = Ctx::new();
    let (server, client) = pair(&ctx, ZMQ_SERVER, ZMQ_CLIENT, "inproc");
    let mut pipe_fds = [0 as c_int; 2];
    assert_eq!(unsafe { libc::pipe(pipe_fds.as_mut_ptr()) }, 0);
    let mut poller = zmq_poller_new();
    unsafe {
        assert_eq!(
            zmq_poller_add(poller, server.0, 42usize as *mut c_void, ZMQ_POLLIN),
            0
        );
        assert_eq!(
            zmq_poller_add_fd(poller, pipe_fds[0], 43usize as *mut c_void, ZMQ_POLLIN),
            0
        );
        let mut fd: c_int = -1;
        assert_eq!(
            zmq_poller_fd(poller, &mut fd),
            0,
            "a thread-safe socket is registered"
        );
        let mut events = [MaybeUninit::<zmq_poller_event_t>::zeroed().assume_init(); 4];
        assert_eq!(zmq_poller_wait_all(poller, events.as_mut_ptr(), 4, 0), -1);
        assert_eq!(errno(), libc::EAGAIN);
        client.send(b"hi", 0);
        libc::write(pipe_fds[1], b"x".as_ptr().cast(), 1);
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut seen = Vec::new();
        while seen.len() < 2 && Instant::now() < deadline {
            let n = zmq_poller_wait_all(poller, events.as_mut_ptr(), 4, 1000);
            seen = events[..n.max(0) as usize]
                .iter()
                .map(|e| (e.user_data as usize, e.events))
                .collect();
        }
        assert_eq!(seen, [(42, ZMQ_POLLIN), (43, ZMQ_POLLIN)]);
        assert_eq!(zmq_poller_destroy(&mut poller), 0);
        assert!(poller.is_null());
        libc::close(pipe_fds[0]);
        libc::close(pipe_fds[1]);
    }
}

#[test]
fn shutdown_wakes_blocked_calls_with_eterm_and_term_waits_for_every_socket() {
    let ctx = zmq_ctx_new();
    let s = unsafe { zmq_socket(ctx, ZMQ_PULL) };
    let handle = s as usize;
    let blocked = std::thread::spawn(move || {
        let mut buffer = [0u8; 8];
        let rc = unsafe { zmq_recv(handle as *mut c_void, buffer.as_mut_ptr().cast(), 8, 0) };
        (rc, errno())
    });
    std::thread::sleep(Duration::from_millis(100));
    let context = ctx as usize;
    let terminating = std::thread::spawn(move || unsafe { zmq_ctx_term(context as *mut c_void) });
    assert_eq!(blocked.join().unwrap(), (-1, ETERM));
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !terminating.is_finished(),
        "term waits for the socket to close"
    );
    assert!(unsafe { zmq_socket(ctx, ZMQ_PUSH) }.is_null());
    assert_eq!(errno(), ETERM);
    assert_eq!(unsafe { zmq_close(s) }, 0);
    assert_eq!(terminating.join().unwrap(), 0);
}

#[test]
fn closing_a_socket_another_thread_is_blocked_on_returns_enotsock_there() {
    let ctx = Ctx::new();
    let s = ctx.socket(ZMQ_PULL);
    s.set_int(ZMQ_RCVTIMEO, -1);
    let handle = s.0 as usize;
    let blocked = std::thread::spawn(move || {
        let mut buffer = [0u8; 8];
        let rc = unsafe { zmq_recv(handle as *mut c_void, buffer.as_mut_ptr().cast(), 8, 0) };
        (rc, errno())
    });
    std::thread::sleep(Duration::from_millis(100));
    drop(s);
    assert_eq!(blocked.join().unwrap(), (-1, libc::ENOTSOCK));
}

#[test]
fn a_proxy_forwards_until_the_context_shuts_down() {
    let ctx = Ctx::new();
    let front = ctx.socket(ZMQ_PULL);
    front.bind(c"inproc://ffi-proxy-front");
    let back = ctx.socket(ZMQ_PUSH);
    back.bind(c"inproc://ffi-proxy-back");
    let (front_handle, back_handle) = (front.0 as usize, back.0 as usize);
    let proxy = std::thread::spawn(move || {
        let rc = unsafe {
            zmq_proxy(
                front_handle as *mut c_void,
                back_handle as *mut c_void,
                ptr::null_mut(),
            )
        };
        (rc, errno())
    });
    let producer = ctx.socket(ZMQ_PUSH);
    producer.connect("inproc://ffi-proxy-front");
    let consumer = ctx.socket(ZMQ_PULL);
    consumer.connect("inproc://ffi-proxy-back");
    producer.send(b"through", 0);
    assert_eq!(consumer.recv(), b"through");
    unsafe { zmq_ctx_shutdown(ctx.0) };
    assert_eq!(proxy.join().unwrap(), (-1, ETERM));
}

/// Many threads on one socket at once — sending, receiving, reading options, polling and
/// finally closing it — as C programs (and pyzmq users) do by mistake: every call is
/// serialised, nothing is corrupted, and once it is closed every call fails cleanly.
#[test]
fn one_socket_hammered_from_many_threads() {
    let ctx = Ctx::new();
    for (bind_type, connect_type) in [(ZMQ_PAIR, ZMQ_PAIR), (ZMQ_SERVER, ZMQ_CLIENT)] {
        let (peer, shared) = pair(&ctx, bind_type, connect_type, "tcp");
        shared.set_int(ZMQ_RCVTIMEO, 10);
        shared.set_int(ZMQ_SNDTIMEO, 10);
        let shared = Arc::new(shared);
        let sent = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..6)
            .map(|worker| {
                let (shared, sent) = (shared.clone(), sent.clone());
                std::thread::spawn(move || {
                    let mut buffer = [0u8; 16];
                    for round in 0..300 {
                        let h = shared.0;
                        match (worker + round) % 4 {
                            0 => {
                                if unsafe { zmq_send(h, b"x".as_ptr().cast(), 1, ZMQ_DONTWAIT) }
                                    == 1
                                {
                                    sent.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            1 => unsafe {
                                zmq_recv(h, buffer.as_mut_ptr().cast(), 16, 0);
                            },
                            2 => {
                                let mut value: c_int = 0;
                                let mut len = size_of::<c_int>();
                                unsafe {
                                    zmq_getsockopt(
                                        h,
                                        ZMQ_EVENTS,
                                        ptr::from_mut(&mut value).cast(),
                                        &mut len,
                                    )
                                };
                            }
                            _ => {
                                let mut item = zmq_pollitem_t {
                                    socket: h,
                                    fd: 0,
                                    events: ZMQ_POLLIN | ZMQ_POLLOUT,
                                    revents: 0,
                                };
                                unsafe { zmq_poll(&mut item, 1, 1) };
                            }
                        }
                    }
                })
            })
            .collect();
        // The peer echoes whatever arrives, so that receivers have something to take.
        let echo = {
            let peer_handle = peer.0 as usize;
            std::thread::spawn(move || {
                let peer = peer_handle as *mut c_void;
                let mut echoed = 0;
                let msg = Box::into_raw(new_msg()).cast::<zmq_msg_t>();
                while unsafe { zmq_msg_recv(msg, peer, 0) } >= 0 {
                    unsafe { zmq_msg_send(msg, peer, ZMQ_DONTWAIT) };
                    echoed += 1;
                }
                unsafe {
                    zmq_msg_close(msg);
                    drop(Box::from_raw(msg.cast::<MaybeUninit<zmq_msg_t>>()));
                }
                echoed
            })
        };
        for worker in workers {
            worker.join().unwrap();
        }
        // Closed from here while nothing else runs on it: later calls are ENOTSOCK.
        let handle = shared.0;
        assert_eq!(unsafe { zmq_close(handle) }, 0);
        assert_eq!(unsafe { zmq_send(handle, b"x".as_ptr().cast(), 1, 0) }, -1);
        assert_eq!(errno(), libc::ENOTSOCK);
        drop(peer);
        let echoed = echo.join().unwrap();
        assert!(sent.load(Ordering::Relaxed) > 0);
        assert!(echoed <= sent.load(Ordering::Relaxed));
    }
}

/// A thread blocked receiving on a thread-safe socket while another keeps asking for
/// ZMQ_EVENTS (each ask clears the shared wake-up descriptor): the sleeper still wakes for
/// its message, because whoever clears the descriptor wakes the sleepers it finds ready.
#[test]
fn a_sleeper_is_not_robbed_of_its_wake_up_by_another_thread_looking() {
    let ctx = Ctx::new();
    for _ in 0..5 {
        let (server, client) = pair(&ctx, ZMQ_SERVER, ZMQ_CLIENT, "inproc");
        client.set_int(ZMQ_RCVTIMEO, -1);
        // The server learns the client's routing id from a first message.
        client.send(b"hello", 0);
        let request = Box::into_raw(new_msg()).cast::<zmq_msg_t>();
        assert_eq!(unsafe { zmq_msg_recv(request, server.0, 0) }, 5);
        let client = Arc::new(client);
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let receiver = {
            let (client, done) = (client.clone(), done.clone());
            std::thread::spawn(move || {
                let got = client.recv();
                done.store(true, Ordering::Release);
                got
            })
        };
        let looker = {
            let (client, done) = (client.clone(), done.clone());
            std::thread::spawn(move || {
                let until = Instant::now() + Duration::from_secs(5);
                while !done.load(Ordering::Acquire) && Instant::now() < until {
                    client.int(ZMQ_EVENTS);
                }
            })
        };
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(unsafe { zmq_msg_send(request, server.0, 0) }, 5);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !receiver.is_finished() {
            assert!(
                Instant::now() < deadline,
                "the sleeper never woke for its message"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(receiver.join().unwrap(), b"hello");
        looker.join().unwrap();
        unsafe {
            zmq_msg_close(request);
            drop(Box::from_raw(request.cast::<MaybeUninit<zmq_msg_t>>()));
        }
    }
}

/// Closing a socket while other threads are inside calls on it (not libzmq's contract,
/// undefined behaviour there): they return, and the memory stays sound.
#[test]
fn closing_under_concurrent_calls_is_memory_safe() {
    let ctx = Ctx::new();
    for _ in 0..20 {
        let (_peer, shared) = pair(&ctx, ZMQ_PAIR, ZMQ_PAIR, "inproc");
        let handle = shared.0 as usize;
        let workers: Vec<_> = (0..4)
            .map(|i| {
                std::thread::spawn(move || {
                    let h = handle as *mut c_void;
                    let mut buffer = [0u8; 8];
                    for _ in 0..200 {
                        if i % 2 == 0 {
                            unsafe { zmq_send(h, b"y".as_ptr().cast(), 1, ZMQ_DONTWAIT) };
                        } else {
                            unsafe { zmq_recv(h, buffer.as_mut_ptr().cast(), 8, ZMQ_DONTWAIT) };
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_micros(200));
        drop(shared);
        for worker in workers {
            worker.join().unwrap();
        }
    }
}

#[test]
fn subscriptions_filter_what_a_sub_receives() {
    let ctx = Ctx::new();
    let (publisher, subscriber) = pair(&ctx, ZMQ_PUB, ZMQ_SUB, "inproc");
    let prefix = b"weather";
    let rc = unsafe {
        zmq_setsockopt(
            subscriber.0,
            ZMQ_SUBSCRIBE,
            prefix.as_ptr().cast(),
            prefix.len(),
        )
    };
    assert_eq!(rc, 0);
    std::thread::sleep(Duration::from_millis(50));
    publisher.send(b"sports goal", 0);
    publisher.send(b"weather rain", 0);
    assert_eq!(subscriber.recv(), b"weather rain");
}

/// libzmq sends LISTENING from `zmq_bind` itself: a program that binds and then reads its
/// monitor with ZMQ_DONTWAIT finds the event there.
#[test]
fn listening_is_on_the_monitor_when_zmq_bind_returns() {
    const ZMQ_EVENT_LISTENING: u16 = 0x0008;
    let ctx = Ctx::new();
    let watched = ctx.socket(ZMQ_PULL);
    let rc = unsafe {
        zmq_socket_monitor(
            watched.0,
            c"inproc://listening-at-once".as_ptr(),
            c_int::from(ZMQ_EVENT_LISTENING),
        )
    };
    assert_eq!(rc, 0, "zmq_socket_monitor: errno {}", errno());
    let reader = ctx.socket(ZMQ_PAIR);
    reader.connect("inproc://listening-at-once");
    for _ in 0..20 {
        let endpoint = watched.bind(c"tcp://127.0.0.1:*");
        let mut header = [0u8; 6];
        let n = unsafe { zmq_recv(reader.0, header.as_mut_ptr().cast(), 6, ZMQ_DONTWAIT) };
        assert_eq!(n, 6, "no event when zmq_bind returned: errno {}", errno());
        assert_eq!(
            u16::from_le_bytes([header[0], header[1]]),
            ZMQ_EVENT_LISTENING
        );
        let mut address = [0u8; 256];
        let n = unsafe { zmq_recv(reader.0, address.as_mut_ptr().cast(), 256, ZMQ_DONTWAIT) };
        assert!(n > 0, "the endpoint part: errno {}", errno());
        assert_eq!(&address[..n as usize], endpoint.as_bytes());
    }
}

/// The socket whose receive releases a `zmq_msg_init_data` buffer, for its free function.
static RELEASING_SOCKET: std::sync::atomic::AtomicPtr<c_void> =
    std::sync::atomic::AtomicPtr::new(ptr::null_mut());
/// What the free function's call on that socket returned (0: not called yet).
static FREE_FN_CALL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

unsafe extern "C" fn free_using_the_socket(data: *mut c_void, _hint: *mut c_void) {
    let mut more: c_int = -1;
    let mut len = std::mem::size_of::<c_int>();
    const ZMQ_RCVMORE: c_int = 13;
    let rc = zmq_getsockopt(
        RELEASING_SOCKET.load(Ordering::SeqCst),
        ZMQ_RCVMORE,
        (&raw mut more).cast(),
        &mut len,
    );
    FREE_FN_CALL.store(if rc == 0 { 1 } else { -1 }, Ordering::SeqCst);
    drop(Box::from_raw(data.cast::<[u8; 100]>()));
}

/// A receive into a message that holds C's buffer releases it as libzmq does, outside the
/// socket: a free function that calls the receiving socket neither hangs nor fails.
#[test]
fn a_free_function_run_by_zmq_msg_recv_may_use_the_receiving_socket() {
    use zmq::message::zmq_msg_init_data;
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || unsafe {
        let ctx = zmq_ctx_new();
        let receiver = zmq_socket(ctx, ZMQ_PAIR);
        let sender = zmq_socket(ctx, ZMQ_PAIR);
        assert_eq!(zmq_bind(receiver, c"inproc://free-fn".as_ptr()), 0);
        assert_eq!(zmq_connect(sender, c"inproc://free-fn".as_ptr()), 0);
        assert_eq!(zmq_send(sender, b"hello".as_ptr().cast(), 5, 0), 5);
        RELEASING_SOCKET.store(receiver, Ordering::SeqCst);
        let mut msg = MaybeUninit::<zmq_msg_t>::uninit();
        let data = Box::into_raw(Box::new([b'x'; 100]));
        assert_eq!(
            zmq_msg_init_data(
                msg.as_mut_ptr(),
                data.cast(),
                100,
                Some(free_using_the_socket),
                ptr::null_mut()
            ),
            0
        );
        assert_eq!(zmq_msg_recv(msg.as_mut_ptr(), receiver, 0), 5);
        assert_eq!(zmq_msg_size(msg.as_mut_ptr()), 5);
        zmq_msg_close(msg.as_mut_ptr());
        zmq_close(receiver);
        zmq_close(sender);
        zmq_ctx_term(ctx);
        done_tx.send(()).unwrap();
    });
    done_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("zmq_msg_recv returned (its free function did not wait on the socket)");
    assert_eq!(
        FREE_FN_CALL.load(Ordering::SeqCst),
        1,
        "the free function's call succeeded"
    );
}
