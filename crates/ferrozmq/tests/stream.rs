//! STREAM sockets over real connections: raw bytes to and from peers that speak no ZMTP
//! (an HTTP client, a plain tcp server, a peer sending garbage), the connect and disconnect
//! notifications, closing a connection by an empty data part, CONNECT_ROUTING_ID, and
//! libzmq's STREAM on the other side in both directions.

use ferrozmq::{Context, Error, Message, Socket, SocketType, DEALER, STREAM};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(10);

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).expect("socket");
    s.options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    s.options().set_rcvtimeo(Some(TIMEOUT)).expect("rcvtimeo");
    s.options().set_sndtimeo(Some(TIMEOUT)).expect("sndtimeo");
    s
}

/// Receives one `[routing id, data]` message.
fn recv_pair(s: &Socket) -> (Vec<u8>, Vec<u8>) {
    let parts = s.recv_multipart().expect("recv");
    assert_eq!(parts.len(), 2, "a STREAM message is a routing id and data");
    (parts[0].to_vec(), parts[1].to_vec())
}

/// Receives data from one peer until `want` bytes came, skipping notifications.
fn recv_bytes(s: &Socket, want: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < want {
        let (_, data) = recv_pair(s);
        got.extend_from_slice(&data);
    }
    got
}

fn tcp_port(endpoint: &str) -> u16 {
    endpoint.rsplit(':').next().unwrap().parse().unwrap()
}

/// Answers every HTTP request on the first connection with a fixed body, then closes it.
fn serve_one_http_request(server: &Socket) -> Vec<u8> {
    let (id, notice) = recv_pair(server);
    assert!(
        notice.is_empty(),
        "a connection is announced by an empty message"
    );
    let mut request = Vec::new();
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let (from, data) = recv_pair(server);
        assert_eq!(from, id);
        request.extend_from_slice(&data);
    }
    let body = "hello from a ferrozmq STREAM";
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    server.send_more(id.as_slice()).unwrap();
    server.send(response.as_str()).unwrap();
    server.send_more(id.as_slice()).unwrap();
    server.send(Message::new()).unwrap();
    request
}

#[test]
fn stream_server_answers_python_urllib_over_http_1_1() {
    let ctx = Context::new();
    let server = socket(&ctx, STREAM);
    let endpoint = server.bind("tcp://127.0.0.1:*").unwrap();
    let url = format!("http://127.0.0.1:{}/path?q=1", tcp_port(&endpoint));
    let client = std::thread::spawn(move || {
        Command::new("python3")
            .args([
                "-c",
                "import sys, urllib.request\n\
                 r = urllib.request.urlopen(sys.argv[1], timeout=10)\n\
                 sys.stdout.write('%d %s' % (r.status, r.read().decode()))",
                &url,
            ])
            .output()
            .expect("python3 runs")
    });
    let request = serve_one_http_request(&server);
    let output = client.join().unwrap();
    let request = String::from_utf8_lossy(&request);
    assert!(
        request.starts_with("GET /path?q=1 HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "200 hello from a ferrozmq STREAM"
    );
}

#[test]
fn stream_server_answers_curl() {
    let ctx = Context::new();
    let server = socket(&ctx, STREAM);
    let endpoint = server.bind("tcp://127.0.0.1:*").unwrap();
    let url = format!("http://127.0.0.1:{}/", tcp_port(&endpoint));
    let client = std::thread::spawn(move || {
        Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "10", &url])
            .output()
            .expect("curl runs (.ci/run installs it)")
    });
    let request = serve_one_http_request(&server);
    let output = client.join().unwrap();
    assert!(String::from_utf8_lossy(&request).starts_with("GET / HTTP/1.1\r\n"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.stdout, b"hello from a ferrozmq STREAM");
}

#[test]
fn stream_client_talks_to_a_plain_tcp_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut line = [0u8; 5];
        conn.read_exact(&mut line).unwrap();
        assert_eq!(&line, b"ping\n");
        conn.write_all(b"pong\n").unwrap();
        // Then the server hangs up.
    });
    let ctx = Context::new();
    let client = socket(&ctx, STREAM);
    client.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    // The socket names the connection it made in its ROUTING_ID, as in libzmq, and data
    // sent to it before the connection is made waits for it.
    let id = client.options().routing_id();
    assert_eq!(
        id.len(),
        5,
        "a generated id: a zero byte and a 32-bit counter"
    );
    assert_eq!(id[0], 0);
    client.send_more(id.as_slice()).unwrap();
    client.send("ping\n").unwrap();
    assert_eq!(recv_pair(&client), (id.clone(), Vec::new()), "connected");
    assert_eq!(recv_bytes(&client, 5), b"pong\n");
    server.join().unwrap();
    assert_eq!(recv_pair(&client), (id, Vec::new()), "disconnected");
}

#[test]
fn notifications_can_be_turned_off() {
    let ctx = Context::new();
    let server = socket(&ctx, STREAM);
    server.options().set_stream_notify(false).unwrap();
    let endpoint = server.bind("tcp://127.0.0.1:*").unwrap();
    let mut peer = TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
    peer.write_all(b"first").unwrap();
    let (id, data) = recv_pair(&server);
    assert_eq!(data, b"first", "no empty message before the data");
    drop(peer);
    // Nothing announces the loss; a second peer's data is what comes next.
    let mut second = TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
    second.write_all(b"second").unwrap();
    let (other, data) = recv_pair(&server);
    assert_eq!(data, b"second");
    assert_ne!(other, id, "each connection has its own routing id");
}

#[test]
fn notifications_mark_connect_and_disconnect_of_each_peer() {
    let ctx = Context::new();
    let server = socket(&ctx, STREAM);
    let endpoint = server.bind("tcp://127.0.0.1:*").unwrap();
    let mut peer = TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
    let (id, data) = recv_pair(&server);
    assert!(data.is_empty());
    peer.write_all(b"x").unwrap();
    // The routing id part carries the connection's properties, as in libzmq.
    let (routing_id, properties) = server.recv_with_properties().unwrap();
    assert_eq!(routing_id.as_slice(), id.as_slice());
    assert_eq!(properties.peer_address(), Some("127.0.0.1"));
    assert_eq!(server.recv().unwrap().as_slice(), b"x");
    drop(peer);
    assert_eq!(recv_pair(&server), (id.clone(), Vec::new()), "disconnected");
    // The connection is gone: its id routes nowhere now (once the I/O thread has let go
    // of the pipe, which it does right after the notification).
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match server.send_more(id.as_slice()) {
            Err(Error::HostUnreachable) => break,
            Ok(()) => server.send("dropped").unwrap(),
            Err(e) => panic!("{e}"),
        }
        assert!(
            Instant::now() < deadline,
            "the lost connection still routes"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn an_empty_data_part_closes_the_connection_after_what_was_sent_before() {
    let ctx = Context::new();
    let server = socket(&ctx, STREAM);
    server.options().set_sndbuf(Some(16 * 1024)).unwrap();
    let endpoint = server.bind("tcp://127.0.0.1:*").unwrap();
    let mut peer = TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
    peer.set_read_timeout(Some(TIMEOUT)).unwrap();
    let (id, _) = recv_pair(&server);
    // Many messages, more than the kernel's buffers hold, and a peer that reads only once
    // the close was asked for: most of the data is still queued then.
    let chunk = vec![b'z'; 32 * 1024];
    for _ in 0..200 {
        server.send_more(id.as_slice()).unwrap();
        server.send(chunk.as_slice()).unwrap();
    }
    server.send_more(id.as_slice()).unwrap();
    server.send(Message::new()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut received = Vec::new();
    peer.read_to_end(&mut received).expect("the server closes");
    assert_eq!(
        received.len(),
        200 * chunk.len(),
        "everything queued before the close"
    );
    // The socket let go of the connection: sending to it fails, and no disconnect
    // notification follows.
    assert_eq!(
        server.send_more(id.as_slice()).unwrap_err(),
        Error::HostUnreachable
    );
    server
        .options()
        .set_rcvtimeo(Some(Duration::from_millis(200)))
        .unwrap();
    assert_eq!(server.recv().unwrap_err(), Error::Again);
}

#[test]
fn closing_the_socket_ends_a_connection_still_flushing_to_a_peer_that_never_reads() {
    let ctx = Context::new();
    let server = socket(&ctx, STREAM);
    server.options().set_sndbuf(Some(16 * 1024)).unwrap();
    let endpoint = server.bind("tcp://127.0.0.1:*").unwrap();
    let mut peer = TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
    peer.set_read_timeout(Some(TIMEOUT)).unwrap();
    let (id, _) = recv_pair(&server);
    // More than the kernel holds: the rest waits in the engine for a peer that never reads.
    let chunk = vec![b'q'; 1024 * 1024];
    for _ in 0..16 {
        server.send_more(id.as_slice()).unwrap();
        server.send(chunk.as_slice()).unwrap();
    }
    server.send_more(id.as_slice()).unwrap();
    server.send(Message::new()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // LINGER 0: closing the socket drops the connection at once, flushed or not.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(server);
        drop(ctx);
        let _ = done_tx.send(());
    });
    done_rx
        .recv_timeout(TIMEOUT)
        .expect("the context ended without waiting for the peer");
    let mut sink = Vec::new();
    let ended = peer.read_to_end(&mut sink);
    assert!(
        ended.is_ok()
            || ended
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "the connection ends: {ended:?}"
    );
    assert!(sink.len() < 16 * chunk.len(), "not everything was written");
}

#[test]
fn unknown_routing_id_is_host_unreachable() {
    let ctx = Context::new();
    let s = socket(&ctx, STREAM);
    s.bind("tcp://127.0.0.1:*").unwrap();
    assert_eq!(s.send_more("nobody").unwrap_err(), Error::HostUnreachable);
    // The socket still works: a whole message to an unknown id after a failed one.
    assert_eq!(
        s.send_more(&b"\0\0\0\0\x01"[..]).unwrap_err(),
        Error::HostUnreachable
    );
}

#[test]
fn stream_refuses_transports_without_a_byte_stream() {
    let ctx = Context::new();
    let s = socket(&ctx, STREAM);
    assert!(matches!(
        s.bind("inproc://stream-refused"),
        Err(Error::ProtocolNotSupported(_))
    ));
    assert!(matches!(
        s.connect("inproc://stream-refused"),
        Err(Error::ProtocolNotSupported(_))
    ));
}

#[test]
fn stream_works_over_ipc() {
    let ctx = Context::new();
    let server = socket(&ctx, STREAM);
    let path = std::env::temp_dir().join(format!("ferrozmq-stream-{}.ipc", std::process::id()));
    let endpoint = format!("ipc://{}", path.display());
    server.bind(&endpoint).unwrap();
    let mut peer = std::os::unix::net::UnixStream::connect(&path).unwrap();
    peer.set_read_timeout(Some(TIMEOUT)).unwrap();
    peer.write_all(b"over ipc").unwrap();
    let (id, _) = recv_pair(&server);
    assert_eq!(recv_bytes(&server, 8), b"over ipc");
    server.send_more(id.as_slice()).unwrap();
    server.send("back").unwrap();
    let mut back = [0u8; 4];
    peer.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"back");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn connect_routing_id_names_the_connection_and_takes_data_before_it_exists() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let ctx = Context::new();
    let client = socket(&ctx, STREAM);
    client.options().set_stream_notify(false).unwrap();
    client.options().set_connect_routing_id("web").unwrap();
    client.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    client.send_more("web").unwrap();
    client.send("queued").unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut got = [0u8; 6];
    conn.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"queued");
    conn.write_all(b"reply").unwrap();
    assert_eq!(recv_pair(&client), (b"web".to_vec(), b"reply".to_vec()));
}

#[test]
fn a_peer_flooding_garbage_is_read_in_bounded_chunks_and_held_back_by_rcvhwm() {
    let ctx = Context::new();
    let server = socket(&ctx, STREAM);
    server.options().set_rcvhwm(4).unwrap();
    server.options().set_rcvbuf(Some(64 * 1024)).unwrap();
    let endpoint = server.bind("tcp://127.0.0.1:*").unwrap();
    let total: usize = 64 * 1024 * 1024;
    let addr = endpoint.trim_start_matches("tcp://").to_string();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let flood = std::thread::spawn(move || {
        let mut peer = TcpStream::connect(addr).unwrap();
        // Bytes no protocol would accept: a ZMTP engine would have dropped this peer.
        let mut state = 0x2545_f491_u32;
        let chunk: Vec<u8> = (0..1 << 20)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect();
        let mut sent = 0;
        while sent < total {
            peer.write_all(&chunk).unwrap();
            sent += chunk.len();
        }
        done_tx.send(()).unwrap();
        chunk
    });
    let (id, _) = recv_pair(&server);
    // The socket does not read: the I/O thread stops reading too, and the kernel buffers
    // fill, so the peer cannot finish.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        done_rx.try_recv().is_err(),
        "64 MiB went through while the socket read nothing"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut received = 0usize;
    let mut largest = 0usize;
    while received < total {
        assert!(Instant::now() < deadline, "flood not delivered in time");
        let (from, data) = recv_pair(&server);
        assert_eq!(from, id);
        largest = largest.max(data.len());
        received += data.len();
    }
    assert_eq!(received, total);
    assert!(
        largest <= 64 * 1024,
        "one read is at most 64 KiB, got {largest}"
    );
    let chunk = flood.join().unwrap();
    assert_eq!(chunk.len(), 1 << 20);
    // The socket lives on.
    server.send_more(id.as_slice()).unwrap();
    server.send("still here").unwrap();
}

#[test]
fn maxmsgsize_bounds_each_chunk() {
    let ctx = Context::new();
    let server = socket(&ctx, STREAM);
    server.options().set_maxmsgsize(Some(1000)).unwrap();
    let endpoint = server.bind("tcp://127.0.0.1:*").unwrap();
    let mut peer = TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
    peer.write_all(&[7u8; 10_000]).unwrap();
    let mut got = 0;
    while got < 10_000 {
        let (_, data) = recv_pair(&server);
        assert!(data.len() <= 1000, "chunk of {} bytes", data.len());
        got += data.len();
    }
    assert_eq!(got, 10_000);
}

#[test]
fn stream_notify_is_refused_by_other_types() {
    let ctx = Context::new();
    let dealer = socket(&ctx, DEALER);
    assert!(dealer.options().set_stream_notify(true).is_err());
}

#[test]
fn ferrozmq_stream_server_with_libzmq_stream_client() {
    let ctx = Context::new();
    let server = socket(&ctx, STREAM);
    let endpoint = server.bind("tcp://127.0.0.1:*").unwrap();
    let zctx = zmq::Context::new();
    let client = zctx.socket(zmq::STREAM).unwrap();
    client.set_rcvtimeo(10_000).unwrap();
    client.set_linger(0).unwrap();
    client.connect(&endpoint).unwrap();
    let connected = client.recv_multipart(0).unwrap();
    assert!(connected[1].is_empty(), "libzmq announces the connection");
    let their_id = connected[0].clone();
    assert_eq!(client.get_identity().unwrap(), their_id);
    let (id, notice) = recv_pair(&server);
    assert!(notice.is_empty());
    client.send(&their_id, zmq::SNDMORE).unwrap();
    client.send("GET / HTTP/1.0\r\n\r\n", 0).unwrap();
    assert_eq!(recv_bytes(&server, 18), b"GET / HTTP/1.0\r\n\r\n");
    server.send_more(id.as_slice()).unwrap();
    server.send("HTTP/1.0 204 No Content\r\n\r\n").unwrap();
    server.send_more(id.as_slice()).unwrap();
    server.send(Message::new()).unwrap();
    let mut reply = Vec::new();
    loop {
        let parts = client.recv_multipart(0).unwrap();
        if parts[1].is_empty() {
            break; // libzmq's disconnect notification
        }
        reply.extend_from_slice(&parts[1]);
    }
    assert_eq!(reply, b"HTTP/1.0 204 No Content\r\n\r\n");
}

#[test]
fn libzmq_stream_server_with_ferrozmq_stream_client() {
    let zctx = zmq::Context::new();
    let server = zctx.socket(zmq::STREAM).unwrap();
    server.set_rcvtimeo(10_000).unwrap();
    server.set_linger(0).unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = server.get_last_endpoint().unwrap().unwrap();
    let ctx = Context::new();
    let client = socket(&ctx, STREAM);
    client
        .options()
        .set_connect_routing_id("to-libzmq")
        .unwrap();
    client.connect(&endpoint).unwrap();
    client.send_more("to-libzmq").unwrap();
    client.send("hello libzmq").unwrap();
    let connected = server.recv_multipart(0).unwrap();
    assert!(connected[1].is_empty());
    let id = connected[0].clone();
    let mut got = Vec::new();
    while got.len() < 12 {
        let parts = server.recv_multipart(0).unwrap();
        assert_eq!(parts[0], id);
        got.extend_from_slice(&parts[1]);
    }
    assert_eq!(got, b"hello libzmq");
    server.send(&id, zmq::SNDMORE).unwrap();
    server.send("hello ferrozmq", 0).unwrap();
    assert_eq!(recv_pair(&client), (b"to-libzmq".to_vec(), Vec::new()));
    assert_eq!(recv_bytes(&client, 14), b"hello ferrozmq");
    // libzmq closes the connection by the same empty part (once its socket is called
    // again to finish the pipe's termination); this side hears of it.
    server.send(&id, zmq::SNDMORE).unwrap();
    server.send("", 0).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let lost = loop {
        assert!(Instant::now() < deadline, "no disconnect notification");
        let _ = server.get_events();
        match client.try_recv_multipart() {
            Ok(parts) => break parts,
            Err(Error::Again) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(lost, [&b"to-libzmq"[..], b""]);
}
