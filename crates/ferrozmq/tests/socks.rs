//! tcp connects through a real SOCKS5 proxy (`ZMQ_SOCKS_PROXY`, `ZMQ_SOCKS_USERNAME`,
//! `ZMQ_SOCKS_PASSWORD`): `pproxy` from PyPI (installed by `.ci/run`), started by each test
//! on a port of its own, with and without username/password. The proxy's log shows that the
//! connection went through it; the server behind is ferrozmq or libzmq (the `zmq` crate).
//! A proxy that refuses, is down, or never answers is a failed connect that is retried, never
//! a hang.
//!
//! Every wait is bounded, and every socket has LINGER 0.

use ferrozmq::{
    Context, EventKind, EventSet, Monitor, MonitorEvent, Socket, SocketType, PULL, PUSH,
};
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(5);

/// A pproxy SOCKS5 server, killed when dropped; its log is gathered as it runs.
struct Proxy {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Proxy {
    /// Starts a SOCKS5 proxy on `port` (any free one if `None`), asking for `credentials`
    /// if given; returns once it accepts connections.
    fn start(port: Option<u16>, credentials: Option<(&str, &str)>) -> Proxy {
        let port = port.unwrap_or_else(free_port);
        let auth = credentials.map_or(String::new(), |(u, p)| format!("#{u}:{p}"));
        let mut child = Command::new("python3")
            .args(["-u", "-m", "pproxy", "-v", "-l"])
            .arg(format!("socks5://127.0.0.1:{port}{auth}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start python3 -m pproxy (pip install pproxy)");
        let log = Arc::new(Mutex::new(String::new()));
        for pipe in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut pipe = pipe;
                let mut chunk = [0; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                    log.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&chunk[..n]));
                }
            });
        }
        let mut proxy = Proxy { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = proxy.child.try_wait() {
                panic!("pproxy exited ({status}): {}", proxy.log());
            }
            assert!(
                Instant::now() < deadline,
                "pproxy did not start: {}",
                proxy.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        proxy
    }

    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log shows a connection relayed to `destination` (`host:port`).
    fn assert_relayed(&self, destination: &str) {
        self.assert_logged(&format!("-> {destination}"));
    }

    /// Waits until the log contains `text`: pproxy writes its line about a connection
    /// some time after relaying it, so the line may come after the messages did.
    fn assert_logged(&self, text: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while !self.log().contains(text) {
            assert!(
                Instant::now() < deadline,
                "the proxy never logged {text:?}: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let probe = TcpListener::bind("127.0.0.1:0").expect("probe a free port");
    probe.local_addr().expect("probe address").port()
}

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).expect("socket");
    s.options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    s.options().set_rcvtimeo(Some(TIMEOUT)).expect("rcvtimeo");
    s.options().set_sndtimeo(Some(TIMEOUT)).expect("sndtimeo");
    s
}

/// A ferrozmq PUSH bound on an ephemeral port; returns it and its port.
fn push_server(ctx: &Context) -> (Socket, u16) {
    let push = socket(ctx, PUSH);
    push.bind("tcp://127.0.0.1:*").expect("bind");
    let endpoint = push.last_endpoint().expect("last endpoint");
    let port = endpoint.rsplit(':').next().unwrap().parse().unwrap();
    (push, port)
}

/// A PULL whose connects go through `proxy`.
fn pull_via(ctx: &Context, proxy: &str, credentials: Option<(&str, &str)>) -> Socket {
    let pull = socket(ctx, PULL);
    pull.options().set_socks_proxy(Some(proxy)).expect("proxy");
    if let Some((user, password)) = credentials {
        pull.options().set_socks_username(user).expect("username");
        pull.options()
            .set_socks_password(password)
            .expect("password");
    }
    pull
}

fn exchange(push: &Socket, pull: &Socket) {
    for text in ["ABC", "DEF"] {
        push.send(text).expect("send");
    }
    for text in ["ABC", "DEF"] {
        let got = pull.recv();
        assert_eq!(
            got.expect("recv through the proxy").as_ref(),
            text.as_bytes()
        );
    }
}

fn next_event(monitor: &mut Monitor) -> MonitorEvent {
    monitor
        .recv_timeout(TIMEOUT)
        .expect("a monitor event within the timeout")
}

/// The connect was closed and retried, twice over (so the retries go on), and never got
/// as far as a connection: what a refused connect looks like.
fn assert_failing_connect(monitor: &mut Monitor) {
    let mut retried = 0;
    while retried < 2 {
        let event = next_event(monitor);
        match event.kind() {
            EventKind::ConnectDelayed | EventKind::Closed => {}
            EventKind::ConnectRetried => retried += 1,
            other => panic!("a failing connect reported {other:?}: {event:?}"),
        }
    }
}

#[test]
fn a_pull_reaches_a_push_through_a_socks5_proxy_without_authentication() {
    let proxy = Proxy::start(None, None);
    let ctx = Context::new();
    let (push, port) = push_server(&ctx);
    let pull = pull_via(&ctx, &proxy.address(), None);
    let mut monitor = pull.monitor(EventSet::ALL).expect("monitor");
    pull.connect(&format!("tcp://127.0.0.1:{port}"))
        .expect("connect");
    exchange(&push, &pull);
    proxy.assert_relayed(&format!("127.0.0.1:{port}"));
    // CONNECTED comes once the proxy has connected onwards, then the ZMTP handshake.
    let mut kinds = Vec::new();
    while kinds.last() != Some(&EventKind::HandshakeSucceeded) {
        kinds.push(next_event(&mut monitor).kind());
    }
    assert_eq!(
        kinds,
        [
            EventKind::ConnectDelayed,
            EventKind::Connected,
            EventKind::HandshakeSucceeded
        ]
    );
}

#[test]
fn username_and_password_authenticate_with_the_proxy() {
    let proxy = Proxy::start(None, Some(("alice", "s3cret")));
    let ctx = Context::new();
    let (push, port) = push_server(&ctx);
    let pull = pull_via(&ctx, &proxy.address(), Some(("alice", "s3cret")));
    pull.connect(&format!("tcp://127.0.0.1:{port}"))
        .expect("connect");
    exchange(&push, &pull);
    proxy.assert_relayed(&format!("127.0.0.1:{port}"));
}

#[test]
fn a_wrong_password_is_refused_and_reported_as_a_failed_connect() {
    let proxy = Proxy::start(None, Some(("alice", "s3cret")));
    let ctx = Context::new();
    let (push, port) = push_server(&ctx);
    let pull = pull_via(&ctx, &proxy.address(), Some(("alice", "wrong")));
    pull.options()
        .set_reconnect_ivl(Some(Duration::from_millis(50)))
        .expect("reconnect ivl");
    let mut monitor = pull.monitor(EventSet::ALL).expect("monitor");
    pull.connect(&format!("tcp://127.0.0.1:{port}"))
        .expect("connect");
    assert_failing_connect(&mut monitor);
    push.options()
        .set_sndtimeo(Some(Duration::ZERO))
        .expect("sndtimeo");
    assert!(push.send("nobody").is_err(), "the server never got a peer");
}

#[test]
fn a_proxy_that_requires_authentication_refuses_a_client_without_credentials() {
    let proxy = Proxy::start(None, Some(("alice", "s3cret")));
    let ctx = Context::new();
    let (_push, port) = push_server(&ctx);
    let pull = pull_via(&ctx, &proxy.address(), None);
    pull.options()
        .set_reconnect_ivl(Some(Duration::from_millis(50)))
        .expect("reconnect ivl");
    let mut monitor = pull.monitor(EventSet::ALL).expect("monitor");
    pull.connect(&format!("tcp://127.0.0.1:{port}"))
        .expect("connect");
    assert_failing_connect(&mut monitor);
}

#[test]
fn a_proxy_that_is_down_is_retried_until_it_comes_up() {
    let ctx = Context::new();
    let (push, port) = push_server(&ctx);
    let proxy_port = free_port();
    let pull = pull_via(&ctx, &format!("127.0.0.1:{proxy_port}"), None);
    pull.options()
        .set_reconnect_ivl(Some(Duration::from_millis(50)))
        .expect("reconnect ivl");
    let mut monitor = pull.monitor(EventSet::ALL).expect("monitor");
    pull.connect(&format!("tcp://127.0.0.1:{port}"))
        .expect("connect");
    assert_failing_connect(&mut monitor);
    let proxy = Proxy::start(Some(proxy_port), None);
    exchange(&push, &pull);
    proxy.assert_relayed(&format!("127.0.0.1:{port}"));
}

#[test]
fn a_proxy_that_never_answers_costs_only_the_handshake_interval() {
    // Accepts, reads the greeting, answers nothing.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = silent.local_addr().unwrap().to_string();
    let held = std::thread::spawn(move || {
        let mut held = Vec::new();
        silent.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            if let Ok((stream, _)) = silent.accept() {
                held.push(stream);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        held.len()
    });
    let ctx = Context::new();
    let pull = pull_via(&ctx, &address, None);
    pull.options()
        .set_handshake_ivl(Duration::from_millis(200))
        .expect("handshake ivl");
    pull.options()
        .set_reconnect_ivl(Some(Duration::from_millis(50)))
        .expect("reconnect ivl");
    let mut monitor = pull.monitor(EventSet::ALL).expect("monitor");
    let started = Instant::now();
    pull.connect("tcp://127.0.0.1:5").expect("connect");
    assert_failing_connect(&mut monitor);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        held.join().unwrap() >= 2,
        "each retry reached the silent proxy"
    );
}

#[test]
fn host_names_are_resolved_by_the_proxy() {
    let proxy = Proxy::start(None, None);
    let ctx = Context::new();
    let (push, port) = push_server(&ctx);
    let pull = pull_via(&ctx, &proxy.address(), None);
    pull.connect(&format!("tcp://localhost:{port}"))
        .expect("connect");
    exchange(&push, &pull);
    proxy.assert_relayed(&format!("localhost:{port}"));
}

#[test]
fn a_name_only_the_proxy_could_resolve_is_not_resolved_locally() {
    // The connect succeeds (the name goes to the proxy as it is); the proxy cannot resolve
    // it either, so the connect fails and is retried.
    let proxy = Proxy::start(None, None);
    let ctx = Context::new();
    let pull = pull_via(&ctx, &proxy.address(), None);
    pull.options()
        .set_reconnect_ivl(Some(Duration::from_millis(50)))
        .expect("reconnect ivl");
    let mut monitor = pull.monitor(EventSet::ALL).expect("monitor");
    pull.connect("tcp://no-such-host.invalid:5555")
        .expect("connect");
    proxy.assert_relayed("no-such-host.invalid:5555");
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let event = next_event(&mut monitor);
        assert!(
            !matches!(event.kind(), EventKind::HandshakeSucceeded),
            "{event:?}"
        );
        if event.kind() == EventKind::Disconnected || event.kind() == EventKind::ConnectRetried {
            break;
        }
        assert!(Instant::now() < deadline);
    }
}

#[test]
fn a_ferrozmq_client_reaches_a_libzmq_server_through_the_proxy() {
    let proxy = Proxy::start(None, Some(("bob", "pw")));
    let zctx = zmq::Context::new();
    let push = zctx.socket(zmq::PUSH).expect("libzmq socket");
    push.set_linger(0).unwrap();
    push.bind("tcp://127.0.0.1:*").expect("libzmq bind");
    let endpoint = push.get_last_endpoint().unwrap().unwrap();
    let port = endpoint.rsplit(':').next().unwrap().to_string();
    let ctx = Context::new();
    let pull = pull_via(&ctx, &proxy.address(), Some(("bob", "pw")));
    pull.connect(&format!("tcp://127.0.0.1:{port}"))
        .expect("connect");
    push.send("from libzmq", 0).unwrap();
    assert_eq!(pull.recv().expect("recv").as_ref(), b"from libzmq");
    proxy.assert_relayed(&format!("127.0.0.1:{port}"));
}

#[test]
fn socks_options_read_back_and_refuse_what_libzmq_refuses() {
    let ctx = Context::new();
    let s = socket(&ctx, PULL);
    let o = s.options();
    assert_eq!(o.socks_proxy(), None);
    assert!(o.set_socks_proxy(Some("")).is_err());
    o.set_socks_proxy(Some("somehost:1080")).unwrap();
    assert_eq!(o.socks_proxy().as_deref(), Some("somehost:1080"));
    o.set_socks_proxy(None).unwrap();
    assert_eq!(o.socks_proxy(), None);
    let long = "x".repeat(256);
    assert!(o.set_socks_username(&long).is_err());
    assert!(o.set_socks_password(&long).is_err());
    o.set_socks_username(&long[..255]).unwrap();
    o.set_socks_password("").unwrap();
    assert_eq!(o.socks_username().len(), 255);
    // A proxy address that is not host:port makes the connect fail, not hang.
    o.set_socks_proxy(Some("no-port")).unwrap();
    assert!(s.connect("tcp://127.0.0.1:5555").is_err());
}

#[test]
fn the_proxy_is_reached_from_a_source_address_given_before_a_semicolon() {
    let proxy = Proxy::start(None, None);
    let ctx = Context::new();
    let (push, port) = push_server(&ctx);
    let source_port = free_port();
    let pull = pull_via(
        &ctx,
        &format!("127.0.0.1:{source_port};{}", proxy.address()),
        None,
    );
    pull.connect(&format!("tcp://127.0.0.1:{port}"))
        .expect("connect");
    exchange(&push, &pull);
    // pproxy logs each client's address: the connection came from the source port.
    proxy.assert_logged(&format!("127.0.0.1:{source_port} -> "));
}
