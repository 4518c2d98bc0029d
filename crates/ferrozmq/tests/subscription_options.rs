//! The subscription options of libzmq's drafts: ONLY_FIRST_SUBSCRIBE, TOPICS_COUNT and
//! XPUB_MANUAL_LAST_VALUE, over tcp with libzmq (4.3.4, through the `zmq` crate) as the
//! subscribers.

use ferrozmq::{Context, SUB, XPUB, XSUB};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(5);
/// How long "nothing more arrives" is watched for.
const QUIET: Duration = Duration::from_millis(200);

fn zmq_socket(zctx: &zmq::Context, kind: zmq::SocketType) -> zmq::Socket {
    let socket = zctx.socket(kind).unwrap();
    socket.set_rcvtimeo(5000).unwrap();
    socket.set_linger(0).unwrap();
    socket
}

fn xpub(ctx: &Context) -> (ferrozmq::Socket, String) {
    let xpub = ctx.socket(XPUB).unwrap();
    xpub.options().set_rcvtimeo(Some(TIMEOUT)).unwrap();
    let endpoint = xpub.bind("tcp://127.0.0.1:*").unwrap();
    (xpub, endpoint)
}

/// Sets an int option the `zmq` crate has no setter for, through libzmq's C function.
fn set_int(socket: &mut zmq::Socket, option: i32, value: i32) {
    extern "C" {
        fn zmq_setsockopt(
            socket: *mut std::ffi::c_void,
            option: i32,
            value: *const std::ffi::c_void,
            len: usize,
        ) -> i32;
    }
    // SAFETY: the socket pointer is valid while `socket` is borrowed; libzmq reads the
    // four bytes of `value`.
    let rc = unsafe {
        zmq_setsockopt(
            socket.as_mut_ptr(),
            option,
            (&value as *const i32).cast(),
            size_of::<i32>(),
        )
    };
    assert_eq!(rc, 0, "libzmq refused option {option}");
}

/// Waits until `count` reads `want`.
fn settles_at(want: usize, count: impl Fn() -> usize) {
    let deadline = Instant::now() + TIMEOUT;
    while count() != want {
        assert!(
            Instant::now() < deadline,
            "stayed at {} instead of {want}",
            count()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn only_first_subscribe_reads_a_libzmq_xsubs_multipart_message_by_its_first_part() {
    let ctx = Context::new();
    let (xpub, endpoint) = xpub(&ctx);
    xpub.options().set_only_first_subscribe(true).unwrap();
    let zctx = zmq::Context::new();
    let mut xsub = zmq_socket(&zctx, zmq::XSUB);
    // libzmq's XSUB takes the option too (its number is public, its constant a draft).
    set_int(&mut xsub, 108, 1);
    xsub.connect(&endpoint).unwrap();
    // libzmq's XSUB drops what it sends before it is connected: subscribe until the XPUB
    // hears of it (repeats are no news to it), then cancel.
    xpub.options()
        .set_rcvtimeo(Some(Duration::from_millis(50)))
        .unwrap();
    loop {
        xsub.send(&b"\x01sync"[..], 0).unwrap();
        if let Ok(notice) = xpub.recv() {
            assert_eq!(notice, &b"\x01sync"[..]);
            break;
        }
    }
    xpub.options().set_rcvtimeo(Some(TIMEOUT)).unwrap();
    xsub.send(&b"\x00sync"[..], 0).unwrap();
    assert_eq!(xpub.recv().unwrap(), &b"\x00sync"[..]);
    // Data whose second part starts with 0: data, both parts.
    xsub.send(&b"ABC"[..], zmq::SNDMORE).unwrap();
    xsub.send(&b"\x00BC"[..], 0).unwrap();
    assert_eq!(xpub.recv().unwrap(), &b"ABC"[..]);
    assert_eq!(xpub.recv().unwrap(), &b"\x00BC"[..]);
    // A subscription as first part: the subscription (news to the XPUB), then the data.
    xsub.send(&b"\x01BC"[..], zmq::SNDMORE).unwrap();
    xsub.send(&b"\x01CD"[..], 0).unwrap();
    assert_eq!(xpub.recv().unwrap(), &b"\x01BC"[..]);
    assert_eq!(xpub.recv().unwrap(), &b"\x01CD"[..]);
    assert_eq!(xpub.options().topics_count().unwrap(), 1, "BC, not CD");
    // The subscription took effect: BC reaches the subscriber.
    xpub.send("BC news").unwrap();
    assert_eq!(xsub.recv_bytes(0).unwrap(), b"BC news");
    // A cancellation as first part.
    xsub.send(&b"\x00BC"[..], zmq::SNDMORE).unwrap();
    xsub.send(&b"\x00CD"[..], 0).unwrap();
    assert_eq!(xpub.recv().unwrap(), &b"\x00BC"[..]);
    assert_eq!(xpub.recv().unwrap(), &b"\x00CD"[..]);
    assert_eq!(xpub.options().topics_count().unwrap(), 0);
}

#[test]
fn only_first_subscribe_on_an_xsub_sends_the_message_whole_and_keeps_the_subscription() {
    let ctx = Context::new();
    let (xpub, endpoint) = xpub(&ctx);
    xpub.options().set_only_first_subscribe(true).unwrap();
    let xsub = ctx.socket(XSUB).unwrap();
    xsub.options().set_only_first_subscribe(true).unwrap();
    xsub.connect(&endpoint).unwrap();
    xsub.send_more(&b"\x01T"[..]).unwrap();
    xsub.send(&b"\x01payload"[..]).unwrap();
    assert_eq!(xpub.recv().unwrap(), &b"\x01T"[..]);
    assert_eq!(xpub.recv().unwrap(), &b"\x01payload"[..]);
    assert_eq!(xsub.options().topics_count().unwrap(), 1);
    assert_eq!(xpub.options().topics_count().unwrap(), 1);
}

#[test]
fn topics_count_follows_libzmq_subscribers_as_they_come_and_go() {
    let ctx = Context::new();
    let (xpub, endpoint) = xpub(&ctx);
    assert_eq!(xpub.options().topics_count().unwrap(), 0);
    let zctx = zmq::Context::new();
    let first = zmq_socket(&zctx, zmq::SUB);
    first.connect(&endpoint).unwrap();
    first.set_subscribe(b"a").unwrap();
    first.set_subscribe(b"b").unwrap();
    let second = zmq_socket(&zctx, zmq::SUB);
    second.connect(&endpoint).unwrap();
    second.set_subscribe(b"b").unwrap();
    second.set_subscribe(b"c").unwrap();
    settles_at(3, || xpub.options().topics_count().unwrap());
    drop(first);
    settles_at(2, || xpub.options().topics_count().unwrap());
    second.set_unsubscribe(b"c").unwrap();
    settles_at(1, || xpub.options().topics_count().unwrap());

    let sub = ctx.socket(SUB).unwrap();
    sub.subscribe("x").unwrap();
    sub.subscribe("x").unwrap();
    sub.subscribe("").unwrap();
    assert_eq!(sub.options().topics_count().unwrap(), 2);
    sub.unsubscribe("x").unwrap();
    assert_eq!(
        sub.options().topics_count().unwrap(),
        2,
        "x was subscribed twice"
    );
    sub.unsubscribe("x").unwrap();
    assert_eq!(sub.options().topics_count().unwrap(), 1);
    let dealer = ctx.socket(ferrozmq::DEALER).unwrap();
    assert!(dealer.options().topics_count().is_err());
}

#[test]
fn manual_last_value_sends_the_first_message_to_the_newest_libzmq_subscriber_only() {
    let ctx = Context::new();
    let (xpub, endpoint) = xpub(&ctx);
    xpub.options().set_xpub_manual_last_value(true).unwrap();
    let zctx = zmq::Context::new();
    let first = zmq_socket(&zctx, zmq::SUB);
    first.connect(&endpoint).unwrap();
    first.set_subscribe(b"1").unwrap();
    assert_eq!(xpub.recv().unwrap(), &b"\x011"[..]);
    xpub.subscribe("1").unwrap();
    let second = zmq_socket(&zctx, zmq::SUB);
    second.connect(&endpoint).unwrap();
    second.set_subscribe(b"1").unwrap();
    assert_eq!(xpub.recv().unwrap(), &b"\x011"[..]);
    xpub.subscribe("1").unwrap();
    // The cache answers the newcomer once; then both get the stream.
    xpub.send_multipart(["1", "cached"]).unwrap();
    xpub.send_multipart(["1", "live"]).unwrap();
    assert_eq!(
        second.recv_multipart(0).unwrap(),
        [b"1".to_vec(), b"cached".to_vec()]
    );
    assert_eq!(
        second.recv_multipart(0).unwrap(),
        [b"1".to_vec(), b"live".to_vec()]
    );
    assert_eq!(
        first.recv_multipart(0).unwrap(),
        [b"1".to_vec(), b"live".to_vec()]
    );
    first.set_rcvtimeo(QUIET.as_millis() as i32).unwrap();
    assert!(
        first.recv_bytes(0).is_err(),
        "the cached value went to the newcomer only"
    );
}
