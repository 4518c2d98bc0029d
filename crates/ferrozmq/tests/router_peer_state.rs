//! A ROUTER's view of one peer (`Socket::peer_writable`, libzmq's draft
//! `zmq_socket_get_peer_state`): writable until the peer's pipe is full, unknown ids
//! unreachable, other types unsupported. The peer is libzmq's DEALER over tcp, which never
//! reads, so that only the high-water marks decide.

use ferrozmq::{Context, Error, DEALER, ROUTER};
use std::time::{Duration, Instant};

#[test]
fn a_peer_that_never_reads_stops_being_writable_at_the_high_water_mark() {
    let ctx = Context::new();
    let router = ctx.socket(ROUTER).unwrap();
    router.options().set_router_mandatory(true).unwrap();
    router.options().set_sndhwm(10).unwrap();
    router.options().set_linger(Some(Duration::ZERO)).unwrap();
    let endpoint = router.bind("tcp://127.0.0.1:*").unwrap();

    let zctx = zmq::Context::new();
    let dealer = zctx.socket(zmq::DEALER).unwrap();
    dealer.set_identity(b"slow").unwrap();
    dealer.set_rcvhwm(10).unwrap();
    dealer.set_linger(0).unwrap();
    dealer.connect(&endpoint).unwrap();
    dealer.send("hello", 0).unwrap();
    router
        .options()
        .set_rcvtimeo(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(router.recv_multipart().unwrap().len(), 2);

    assert!(router.peer_writable(b"slow").unwrap());
    // Send while it says there is room; the kernel's buffers take some, then the two
    // high-water marks, then it must say no. The I/O thread may still move a message into
    // the kernel just after a "no" (room again), so the "no" must hold for a while: then
    // the kernel's buffers are full too and nothing drains any more.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut sent = 0;
    let mut full_since: Option<Instant> = None;
    loop {
        assert!(
            Instant::now() < deadline,
            "still writable after {sent} messages"
        );
        if router.peer_writable(b"slow").unwrap() {
            full_since = None;
            router
                .try_send_multipart([&b"slow"[..], &[0u8; 64 * 1024][..]])
                .expect("a peer said to be writable takes a message");
            sent += 1;
        } else if full_since.get_or_insert_with(Instant::now).elapsed() > Duration::from_millis(500)
        {
            break;
        } else {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    assert!(sent >= 10, "full after only {sent} messages");
    // What it says matches what a send does: a mandatory send now has to wait.
    assert!(matches!(
        router.try_send_multipart(["slow", "more"]),
        Err(Error::Again)
    ));

    assert!(matches!(
        router.peer_writable(b"nobody"),
        Err(Error::HostUnreachable)
    ));
    let other = ctx.socket(DEALER).unwrap();
    assert!(matches!(
        other.peer_writable(b"slow"),
        Err(Error::NotSupported)
    ));
}
