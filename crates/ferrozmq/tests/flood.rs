//! A connection flood against one ROUTER: 10,000 TCP connections opened, greeted and closed
//! in waves, half of them closed gracefully and half reset. The process must survive it
//! without leaking a descriptor (the count in /proc/self/fd returns to where it was), and the
//! ROUTER must keep accepting and serving: one connection of each wave completes a round
//! trip, and a ferrozmq client is served after the flood. The accept rate is printed, not
//! asserted.
//!
//! The only test in this binary, so that no parallel test moves the descriptor count.

mod common;

use common::*;
use ferrozmq::{Context, DEALER, ROUTER};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 10_000;
/// Connections open at once, when the descriptor limit allows it.
const WAVE: usize = 500;

/// Raises the soft descriptor limit to the hard one; returns the soft limit in force.
fn raise_fd_limit() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit on our own process with a valid struct.
    unsafe {
        assert_eq!(
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit),
            0,
            "getrlimit"
        );
        limit.rlim_cur = limit.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
            // Not allowed to: keep what we have, the waves shrink to fit.
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        }
    }
    usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// Makes the coming close a reset instead of a FIN: no TIME_WAIT, and the ROUTER sees
/// ECONNRESET.
fn reset_on_close(stream: &TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: SO_LINGER on a socket we own, with a valid struct of the right size.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// Opens `n` connections that each send a DEALER's greeting and READY and read the
/// ROUTER's (so each was accepted and handed to a session).
fn open_wave(address: &str, n: usize) -> Vec<RawPeer> {
    let handshake: Vec<u8> = greeting(1).iter().copied().chain(ready("DEALER")).collect();
    let mut peers: Vec<RawPeer> = (0..n)
        .map(|_| {
            let stream = TcpStream::connect(address).expect("connect during the flood");
            let mut peer = RawPeer::from_stream(stream);
            peer.write(&handshake);
            peer
        })
        .collect();
    for peer in &mut peers {
        peer.read_greeting();
        assert!(peer.read_frame().body.starts_with(b"\x05READY"), "READY");
    }
    peers
}

#[test]
fn ten_thousand_connections_leave_the_router_serving_without_leaking_descriptors() {
    let limit = raise_fd_limit();
    let ctx = Context::new();
    let router = ctx.socket(ROUTER).expect("router");
    router
        .options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    router
        .options()
        .set_rcvtimeo(Some(TIMEOUT))
        .expect("rcvtimeo");
    router
        .options()
        .set_sndtimeo(Some(TIMEOUT))
        .expect("sndtimeo");
    router.options().set_backlog(1024).expect("backlog");
    let endpoint = router.bind("tcp://127.0.0.1:*").expect("bind");
    let address = tcp_address(&endpoint).to_owned();
    let baseline = open_fds();
    // Each connection costs two descriptors here: ours and the ROUTER's.
    let wave = WAVE.min(limit.saturating_sub(baseline + 64) / 2).max(1);

    let started = Instant::now();
    let mut opened = 0;
    let mut waves = 0;
    while opened < CONNECTIONS {
        let n = wave.min(CONNECTIONS - opened);
        let mut peers = open_wave(&address, n);
        // One connection of the wave proves the ROUTER still routes under the flood.
        let probe = &mut peers[0];
        probe.write(&frame(0, format!("wave {waves}").as_bytes()));
        let request = router.recv_multipart().expect("the probe's message");
        assert_eq!(&request[1][..], format!("wave {waves}").as_bytes());
        router
            .send_multipart([&request[0][..], b"served"])
            .expect("reply to the probe");
        assert_eq!(probe.read_frame().body, b"served");
        let graceful = waves % 2 == 0;
        for peer in peers {
            if !graceful {
                reset_on_close(&peer.stream);
            }
        }
        opened += n;
        waves += 1;
    }
    let elapsed = started.elapsed();
    println!(
        "figure: {CONNECTIONS} connections accepted and through the handshake in {elapsed:?} \
         ({:.0}/s), in {waves} waves of up to {wave} (descriptor limit {limit})",
        CONNECTIONS as f64 / elapsed.as_secs_f64()
    );

    // The ROUTER closes its side as it notices each end; give it a bounded while.
    let deadline = Instant::now() + Duration::from_secs(20);
    while open_fds() > baseline && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        open_fds() <= baseline,
        "descriptors: {baseline} before the flood, {} after",
        open_fds()
    );

    let client = ctx.socket(DEALER).expect("dealer");
    client
        .options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    client
        .options()
        .set_rcvtimeo(Some(TIMEOUT))
        .expect("rcvtimeo");
    client.connect(&endpoint).expect("connect");
    client.send("after the flood").expect("send");
    let request = router.recv_multipart().expect("request after the flood");
    assert_eq!(&request[1][..], b"after the flood");
    router
        .send_multipart([&request[0][..], b"still here"])
        .expect("reply");
    assert_eq!(client.recv().expect("reply"), b"still here");
}
