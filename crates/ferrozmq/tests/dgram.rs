//! DGRAM (draft): raw udp datagrams, each message the peer's `ip:port` and the body, over
//! real udp sockets — between two DGRAMs, with a plain `std::net::UdpSocket` on the other
//! side, and with libzmq 4.3's DGRAM (which its library builds without the draft API too;
//! the `zmq` crate has no name for the type, so it is made through the C function).

use ferrozmq::{Context, Error, EventKind, EventSet, Socket, DGRAM};
use std::net::UdpSocket;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(5);

fn dgram(ctx: &Context) -> Socket {
    let s = ctx.socket(DGRAM).expect("socket");
    s.options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    s.options().set_rcvtimeo(Some(TIMEOUT)).expect("rcvtimeo");
    s.options().set_sndtimeo(Some(TIMEOUT)).expect("sndtimeo");
    s
}

/// Binds an ephemeral udp port on loopback; returns the `ip:port` it is reached at.
fn bind(s: &Socket) -> String {
    let endpoint = s.bind("udp://127.0.0.1:*").expect("bind");
    let address = endpoint.strip_prefix("udp://").expect("udp endpoint");
    assert!(!address.ends_with(":0"), "the port chosen is reported");
    address.to_string()
}

fn send_to(s: &Socket, address: &str, body: &[u8]) {
    s.send_more(address).expect("address part");
    s.send(body).expect("body part");
}

/// The next message: its address (without the NUL that ends it, as in libzmq) and body,
/// checking there are exactly two parts.
fn recv_from(s: &Socket) -> (String, Vec<u8>) {
    let parts = s.recv_multipart().expect("recv");
    let [address, body] = &parts[..] else {
        panic!("a DGRAM message is two parts, got {}", parts.len());
    };
    let address = address.strip_suffix(b"\0").expect("NUL-terminated");
    let address = String::from_utf8(address.to_vec()).expect("address text");
    (address, body.to_vec())
}

fn plain_udp() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("udp");
    socket.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    socket
}

#[test]
fn two_dgrams_exchange_datagrams_and_name_each_other() {
    let ctx = Context::new();
    let (asker, listener) = (dgram(&ctx), dgram(&ctx));
    let asker_address = bind(&asker);
    let listener_address = bind(&listener);
    send_to(&asker, &listener_address, b"Is someone there ?");
    let (from, question) = recv_from(&listener);
    assert_eq!(question, b"Is someone there ?");
    assert_eq!(
        from, asker_address,
        "the sender is named by the port it bound"
    );
    send_to(&listener, &from, b"Yes, there is !");
    assert_eq!(
        recv_from(&asker),
        (listener_address, b"Yes, there is !".to_vec())
    );
}

#[test]
fn a_plain_udp_program_sees_only_the_body_and_is_answered_by_its_address() {
    let ctx = Context::new();
    let s = dgram(&ctx);
    let address = bind(&s);
    let peer = plain_udp();
    let peer_address = peer.local_addr().expect("local").to_string();
    for body in [&b"hello"[..], b"", b"\x00\xff\x01 binary", &[7; 8192]] {
        peer.send_to(body, &address).expect("send_to");
        let (from, got) = recv_from(&s);
        assert_eq!(from, peer_address);
        assert_eq!(got, body, "the datagram byte for byte");
        send_to(&s, &from, &got);
        let mut buf = vec![0; 9000];
        let (n, sender) = peer.recv_from(&mut buf).expect("echo");
        assert_eq!(&buf[..n], body, "no framing added");
        assert_eq!(sender.to_string(), address, "sent from the bound port");
    }
}

#[test]
fn datagrams_too_large_or_from_anyone_never_stop_the_socket() {
    let ctx = Context::new();
    let s = dgram(&ctx);
    let address = bind(&s);
    let noisy = plain_udp();
    // Larger than libzmq's udp limit (8192 bytes): dropped, as the kernel cuts it.
    noisy.send_to(&[1; 8193], &address).expect("oversize");
    noisy.send_to(&[2; 60_000], &address).expect("oversize");
    let peer = plain_udp();
    peer.send_to(b"after", &address).expect("send");
    let (from, body) = recv_from(&s);
    assert_eq!(
        (from, body),
        (peer.local_addr().unwrap().to_string(), b"after".to_vec())
    );
    // Nothing else was queued.
    s.options()
        .set_rcvtimeo(Some(Duration::from_millis(100)))
        .unwrap();
    assert_eq!(s.recv().err(), Some(Error::Again));
}

#[test]
fn a_burst_keeps_its_order_and_every_datagram() {
    let ctx = Context::new();
    let s = dgram(&ctx);
    let address = bind(&s);
    let peer = plain_udp();
    let to = peer.local_addr().unwrap().to_string();
    // Well under loopback's socket buffers: none of these is lost.
    for i in 0..200u32 {
        send_to(&s, &to, &i.to_be_bytes());
    }
    let mut buf = [0; 16];
    for i in 0..200u32 {
        let (n, from) = peer.recv_from(&mut buf).expect("datagram");
        assert_eq!(&buf[..n], i.to_be_bytes());
        assert_eq!(from.to_string(), address);
    }
}

#[test]
fn a_message_is_an_address_with_more_then_exactly_one_body() {
    let ctx = Context::new();
    let s = dgram(&ctx);
    let address = bind(&s);
    let invalid = |r: ferrozmq::Result<()>| matches!(r, Err(Error::InvalidArgument(_)));
    assert!(invalid(s.send(address.as_str())), "an address without MORE");
    assert!(
        invalid(s.send_more("localhost:5555")),
        "names are not resolved"
    );
    assert!(invalid(s.send_more("127.0.0.1")), "no port");
    s.send_more(address.as_str()).expect("address");
    assert!(invalid(s.send_more("second part")), "a third part");
    s.send("to myself").expect("the body may still follow");
    assert_eq!(recv_from(&s), (address, b"to myself".to_vec()));
}

#[test]
fn a_dgram_binds_udp_only_and_never_connects() {
    let ctx = Context::new();
    let s = dgram(&ctx);
    let unsupported = |r: ferrozmq::Result<()>| matches!(r, Err(Error::ProtocolNotSupported(_)));
    assert!(unsupported(s.connect("udp://127.0.0.1:5559")));
    assert!(unsupported(s.bind("tcp://127.0.0.1:*").map(drop)));
    assert!(unsupported(s.bind("inproc://dgram-refused").map(drop)));
    assert!(unsupported(s.connect("tcp://127.0.0.1:5559")));
    // Nothing to send through yet: the send waits, as for any socket without a peer.
    s.options()
        .set_sndtimeo(Some(Duration::from_millis(50)))
        .unwrap();
    assert_eq!(s.send_more("127.0.0.1:9").err(), Some(Error::Again));
}

#[test]
fn over_ipv6_the_peer_is_named_in_brackets() {
    let Ok(peer) = UdpSocket::bind("[::1]:0") else {
        eprintln!("no IPv6 loopback here: skipped");
        return;
    };
    peer.set_read_timeout(Some(TIMEOUT)).unwrap();
    let ctx = Context::new();
    let s = dgram(&ctx);
    s.options().set_ipv6(true).unwrap();
    let endpoint = s.bind("udp://[::1]:*").expect("bind");
    let address = endpoint.strip_prefix("udp://").unwrap();
    peer.send_to(b"six", address).unwrap();
    let (from, body) = recv_from(&s);
    assert_eq!(from, peer.local_addr().unwrap().to_string());
    assert!(from.starts_with("[::1]:"), "{from}");
    assert_eq!(body, b"six");
    send_to(&s, &from, b"back");
    let mut buf = [0; 8];
    let n = peer.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"back");
}

#[test]
fn a_udp_bind_and_its_end_are_reported_as_a_listener_s() {
    let ctx = Context::new();
    let s = dgram(&ctx);
    let mut events = s.monitor(EventSet::ALL).expect("monitor");
    let endpoint = s.bind("udp://127.0.0.1:*").expect("bind");
    let listening = events.recv_timeout(TIMEOUT).expect("event");
    assert_eq!(listening.kind(), EventKind::Listening);
    assert_eq!(listening.endpoint(), endpoint);
    s.unbind(&endpoint).expect("unbind");
    let closed = events.recv_timeout(TIMEOUT).expect("event");
    assert_eq!(closed.kind(), EventKind::Closed);
}

/// libzmq 4.3's DGRAM, made through the C function the `zmq` crate links in: the crate
/// knows no socket type 18, though the library has it in every build.
mod libzmq_dgram {
    use std::os::raw::{c_int, c_void};

    extern "C" {
        fn zmq_ctx_new() -> *mut c_void;
        fn zmq_socket(context: *mut c_void, socket_type: c_int) -> *mut c_void;
    }

    /// A libzmq DGRAM in a context of its own, which is left to the end of the process
    /// (terminating it would wait for sockets the crate closes on drop).
    pub fn socket() -> zmq::Socket {
        // SAFETY: zmq_ctx_new has no preconditions; zmq_socket gets the context it made,
        // and its result is checked before the crate takes ownership of it.
        unsafe {
            let context = zmq_ctx_new();
            assert!(!context.is_null(), "zmq_ctx_new");
            let socket = zmq_socket(context, 18);
            assert!(!socket.is_null(), "zmq_socket(ZMQ_DGRAM)");
            zmq::Socket::from_raw(socket)
        }
    }
}

#[test]
fn libzmq_and_ferrozmq_dgrams_talk_both_ways() {
    let ctx = Context::new();
    let ours = dgram(&ctx);
    let our_address = bind(&ours);
    let theirs = libzmq_dgram::socket();
    theirs.set_rcvtimeo(5000).unwrap();
    theirs.set_linger(0).unwrap();
    // libzmq binds `*` but reports it unresolved: it gets a port found free.
    let their_address = loop {
        let free = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        if theirs.bind(&format!("udp://{free}")).is_ok() {
            break free.to_string();
        }
    };

    theirs.send(our_address.as_bytes(), zmq::SNDMORE).unwrap();
    theirs.send(&b"from libzmq"[..], 0).unwrap();
    let (from, body) = recv_from(&ours);
    assert_eq!(
        (from.as_str(), body.as_slice()),
        (their_address.as_str(), &b"from libzmq"[..])
    );

    // The address part as libzmq wrote it, NUL and all, is sent back unchanged.
    let with_nul = format!("{from}\0");
    send_to(&ours, &with_nul, b"from ferrozmq");
    let parts = theirs.recv_multipart(0).expect("libzmq recv");
    assert_eq!(
        parts,
        [
            format!("{our_address}\0").into_bytes(),
            b"from ferrozmq".to_vec()
        ],
        "libzmq ends the address with a NUL, as ferrozmq does"
    );
}
