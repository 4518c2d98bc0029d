//! The wss:// transport (ZWS 2.0 inside TLS) over real sockets, ferrozmq on both ends: a
//! test authority and server certificate made at test time, NULL and CURVE through them,
//! and the clients TLS must turn away (an untrusted certificate, another host's name, a
//! handshake that never finishes) refused without a hang, each costing only its
//! connection.

mod common;

use ferrozmq::*;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A certificate authority and a server certificate it signed, as PEM.
struct Pki {
    authority: String,
    cert: String,
    key: String,
}

/// A fresh authority and a certificate from it for `names`.
fn pki(names: &[&str]) -> Pki {
    let authority_key = KeyPair::generate().unwrap();
    let mut authority = CertificateParams::new(Vec::<String>::new()).unwrap();
    authority.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    authority
        .distinguished_name
        .push(DnType::CommonName, "ferrozmq test authority");
    let authority_pem = authority.self_signed(&authority_key).unwrap().pem();
    let issuer = Issuer::new(authority, authority_key);
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let cert = CertificateParams::new(names)
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    Pki {
        authority: authority_pem,
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

fn timeout(socket: &Socket) {
    socket
        .options()
        .set_rcvtimeo(Some(Duration::from_secs(10)))
        .unwrap();
    socket.options().set_linger(Some(Duration::ZERO)).unwrap();
}

/// Binds `socket` on wss with `pki`'s certificate; returns the endpoint to connect to.
fn bind(socket: &Socket, pki: &Pki) -> String {
    socket
        .options()
        .set_wss_cert_pem(pki.cert.as_bytes())
        .unwrap();
    socket
        .options()
        .set_wss_key_pem(pki.key.as_bytes())
        .unwrap();
    let endpoint = socket.bind("wss://127.0.0.1:*/zmq").unwrap();
    assert!(endpoint.starts_with("wss://127.0.0.1:"), "{endpoint}");
    assert!(endpoint.ends_with("/zmq"), "{endpoint}");
    endpoint
}

/// The same endpoint by the name the certificate carries.
fn by_name(endpoint: &str) -> String {
    endpoint.replace("127.0.0.1", "localhost")
}

fn trust(socket: &Socket, pki: &Pki) {
    socket
        .options()
        .set_wss_trust_pem(pki.authority.as_bytes())
        .unwrap();
}

#[test]
fn req_rep_over_wss() {
    let pki = pki(&["localhost"]);
    let ctx = Context::new();
    let rep = ctx.socket(REP).unwrap();
    timeout(&rep);
    let endpoint = bind(&rep, &pki);
    let req = ctx.socket(REQ).unwrap();
    timeout(&req);
    trust(&req, &pki);
    req.connect(&by_name(&endpoint)).unwrap();
    for i in 0..5 {
        req.send(format!("request {i}").as_str()).unwrap();
        assert_eq!(rep.recv().unwrap(), format!("request {i}").as_str());
        rep.send("reply").unwrap();
        assert_eq!(req.recv().unwrap(), "reply");
    }
}

/// ZMQ_USE_FD over wss: TLS and ZWS on a listening socket the application made.
#[test]
fn a_wss_bind_listens_on_the_socket_the_application_made() {
    use std::os::fd::AsRawFd;
    let pki = pki(&["localhost"]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ctx = Context::new();
    let rep = ctx.socket(REP).unwrap();
    timeout(&rep);
    rep.options()
        .set_use_fd(Some(listener.as_raw_fd()))
        .unwrap();
    let endpoint = bind(&rep, &pki);
    assert_eq!(
        endpoint,
        format!("wss://{}/zmq", listener.local_addr().unwrap())
    );
    let req = ctx.socket(REQ).unwrap();
    timeout(&req);
    trust(&req, &pki);
    req.connect(&by_name(&endpoint)).unwrap();
    req.send("over the given socket").unwrap();
    assert_eq!(rep.recv().unwrap(), "over the given socket");
    rep.send("reply").unwrap();
    assert_eq!(req.recv().unwrap(), "reply");
}

/// Messages of every WebSocket length form, many of them, through partial writes and
/// TLS records of every fill.
#[test]
fn push_pull_over_wss_keeps_order_and_sizes() {
    let pki = pki(&["localhost"]);
    let ctx = Context::new();
    let pull = ctx.socket(PULL).unwrap();
    timeout(&pull);
    let endpoint = bind(&pull, &pki);
    let push = ctx.socket(PUSH).unwrap();
    trust(&push, &pki);
    push.connect(&by_name(&endpoint)).unwrap();
    drop(common::stream_sized_parts(
        push,
        &pull,
        &[0usize, 1, 125, 126, 16_384, 65_536, 300_000],
        600,
    ));
}

#[test]
fn pub_sub_and_dealer_router_over_wss() {
    let pki = pki(&["localhost"]);
    let ctx = Context::new();
    let publisher = ctx.socket(PUB).unwrap();
    let endpoint = bind(&publisher, &pki);
    let sub = ctx.socket(SUB).unwrap();
    trust(&sub, &pki);
    sub.options()
        .set_rcvtimeo(Some(Duration::from_millis(100)))
        .unwrap();
    sub.connect(&by_name(&endpoint)).unwrap();
    sub.subscribe(b"A").unwrap();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while got.len() < 3 && Instant::now() < deadline {
        publisher.send("B-no").unwrap();
        publisher.send("A-yes").unwrap();
        if let Ok(m) = sub.recv() {
            got.push(m.as_str().unwrap().to_string());
        }
    }
    assert_eq!(got, ["A-yes"; 3]);

    let router = ctx.socket(ROUTER).unwrap();
    timeout(&router);
    let endpoint = bind(&router, &pki);
    let dealer = ctx.socket(DEALER).unwrap();
    timeout(&dealer);
    trust(&dealer, &pki);
    dealer.options().set_routing_id(b"d1").unwrap();
    dealer.connect(&by_name(&endpoint)).unwrap();
    dealer.send("hi").unwrap();
    let parts = router.recv_multipart().unwrap();
    assert_eq!((&parts[0][..], &parts[1][..]), (&b"d1"[..], &b"hi"[..]));
    router.send_multipart([&b"d1"[..], b"back"]).unwrap();
    assert_eq!(dealer.recv().unwrap(), "back");
}

#[test]
fn curve_over_wss() {
    use zmtp::curve_keys::CurveKeyPair;
    let pki = pki(&["localhost"]);
    let ctx = Context::new();
    let server = CurveKeyPair::generate().unwrap();
    let client = CurveKeyPair::generate().unwrap();
    let rep = ctx.socket(REP).unwrap();
    rep.options().set_curve_server(true).unwrap();
    rep.options()
        .set_curve_secretkey(server.secret.as_bytes())
        .unwrap();
    timeout(&rep);
    let endpoint = bind(&rep, &pki);
    let req = ctx.socket(REQ).unwrap();
    let options = req.options();
    options
        .set_curve_serverkey(server.public.as_bytes())
        .unwrap();
    options
        .set_curve_publickey(client.public.as_bytes())
        .unwrap();
    options
        .set_curve_secretkey(client.secret.as_bytes())
        .unwrap();
    timeout(&req);
    trust(&req, &pki);
    req.connect(&by_name(&endpoint)).unwrap();
    req.send("curve").unwrap();
    let (request, properties) = rep.recv_with_properties().unwrap();
    assert_eq!(request, "curve");
    assert!(properties.peer_address().is_some());
    rep.send("ok").unwrap();
    assert_eq!(req.recv().unwrap(), "ok");
}

/// WSS_HOSTNAME names the certificate's host when the endpoint is an address; a server's
/// own self-signed certificate may be trusted as it is.
#[test]
fn hostname_option_and_a_trusted_self_signed_certificate() {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["zeromq.example".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let pki = Pki {
        authority: cert.pem(),
        cert: cert.pem(),
        key: key.serialize_pem(),
    };
    let ctx = Context::new();
    let rep = ctx.socket(REP).unwrap();
    timeout(&rep);
    let endpoint = bind(&rep, &pki);
    let req = ctx.socket(REQ).unwrap();
    timeout(&req);
    trust(&req, &pki);
    req.options().set_wss_hostname("zeromq.example").unwrap();
    req.connect(&endpoint).unwrap();
    req.send("named").unwrap();
    assert_eq!(rep.recv().unwrap(), "named");
    rep.send("ok").unwrap();
    assert_eq!(req.recv().unwrap(), "ok");
}

/// What a client's monitor shows within `wait`.
fn events_within(monitor: &mut Monitor, wait: Duration) -> Vec<EventKind> {
    let until = Instant::now() + wait;
    let mut kinds = Vec::new();
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        match monitor.recv_timeout(left) {
            Ok(event) => kinds.push(event.kind()),
            Err(_) => break,
        }
    }
    kinds
}

/// A client `configure`d so that TLS must refuse the server: nothing gets through, the
/// client's monitor reports a failed handshake (and retries), and the server lives on for
/// a client that trusts it.
fn refused(configure: impl FnOnce(&Socket, &Pki) -> String) {
    let pki = pki(&["localhost"]);
    let ctx = Context::new();
    let pull = ctx.socket(PULL).unwrap();
    pull.options().set_linger(Some(Duration::ZERO)).unwrap();
    pull.options()
        .set_rcvtimeo(Some(Duration::from_millis(500)))
        .unwrap();
    let endpoint = bind(&pull, &pki);
    let push = ctx.socket(PUSH).unwrap();
    push.options().set_linger(Some(Duration::ZERO)).unwrap();
    let mut monitor = push.monitor(EventSet::ALL).unwrap();
    let target = configure(&push, &pki);
    push.connect(&target.replace("{}", &endpoint["wss://127.0.0.1".len()..]))
        .unwrap();
    push.send("must not arrive").unwrap();
    assert_eq!(pull.recv().map(|m| m.to_vec()).err(), Some(Error::Again));
    let seen = events_within(&mut monitor, Duration::from_secs(1));
    assert!(
        seen.contains(&EventKind::HandshakeFailedNoDetail),
        "{seen:?}"
    );
    assert!(!seen.contains(&EventKind::HandshakeSucceeded), "{seen:?}");

    let good = ctx.socket(PUSH).unwrap();
    good.options().set_linger(Some(Duration::ZERO)).unwrap();
    trust(&good, &pki);
    good.connect(&by_name(&endpoint)).unwrap();
    good.send("trusted").unwrap();
    pull.options()
        .set_rcvtimeo(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(pull.recv().unwrap(), "trusted");
}

#[test]
fn a_certificate_from_an_untrusted_authority_is_refused() {
    refused(|push, _| {
        trust(push, &pki(&["localhost"]));
        "wss://localhost{}".to_string()
    });
}

#[test]
fn a_client_that_trusts_nothing_is_refused() {
    refused(|_, _| "wss://localhost{}".to_string());
}

#[test]
fn a_certificate_for_another_host_is_refused() {
    refused(|push, pki| {
        trust(push, pki);
        // The certificate names localhost, not 127.0.0.1.
        "wss://127.0.0.1{}".to_string()
    });
}

#[test]
fn a_hostname_option_the_certificate_lacks_is_refused() {
    refused(|push, pki| {
        trust(push, pki);
        push.options()
            .set_wss_hostname("elsewhere.example")
            .unwrap();
        "wss://localhost{}".to_string()
    });
}

#[test]
fn a_wss_bind_needs_a_certificate_and_its_key() {
    let ctx = Context::new();
    let rep = ctx.socket(REP).unwrap();
    let mut monitor = rep.monitor(EventSet::ALL).unwrap();
    let err = rep.bind("wss://127.0.0.1:*/zmq").unwrap_err();
    assert_eq!(err.errno(), EINVAL);
    assert!(err.to_string().contains("WSS_CERT_PEM"), "{err}");
    let pki = pki(&["localhost"]);
    rep.options().set_wss_cert_pem(pki.cert.as_bytes()).unwrap();
    assert!(rep.bind("wss://127.0.0.1:*/zmq").is_err());
    // A key that is not the certificate's.
    let other = pki_key();
    rep.options().set_wss_key_pem(other.as_bytes()).unwrap();
    assert!(rep.bind("wss://127.0.0.1:*/zmq").is_err());
    rep.options().set_wss_key_pem(pki.key.as_bytes()).unwrap();
    assert!(rep.bind("wss://127.0.0.1:*/zmq").is_ok());
    let kinds = events_within(&mut monitor, Duration::from_millis(200));
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == EventKind::BindFailed)
            .count(),
        3,
        "{kinds:?}"
    );
    assert!(kinds.contains(&EventKind::Listening), "{kinds:?}");
}

fn pki_key() -> String {
    KeyPair::generate().unwrap().serialize_pem()
}

const EINVAL: i32 = 22;

/// Clients that never finish TLS: one sends a ClientHello's first bytes and stops, one
/// sends plain HTTP to the TLS port. Each costs only its own connection.
#[test]
fn a_tls_handshake_that_never_finishes_costs_only_its_connection() {
    let pki = pki(&["localhost"]);
    let ctx = Context::new();
    let pull = ctx.socket(PULL).unwrap();
    timeout(&pull);
    pull.options()
        .set_handshake_ivl(Duration::from_millis(300))
        .unwrap();
    let endpoint = bind(&pull, &pki);
    let address = &endpoint["wss://".len()..endpoint.len() - "/zmq".len()];
    let mut stalled = TcpStream::connect(address).unwrap();
    stalled
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .unwrap();
    let mut http = TcpStream::connect(address).unwrap();
    http.write_all(b"GET /zmq HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    for stream in [&mut stalled, &mut http] {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let started = Instant::now();
        let mut sink = Vec::new();
        // The server closes it (after an alert, for the HTTP one): the read ends.
        let _ = stream.read_to_end(&mut sink);
        assert!(started.elapsed() < Duration::from_secs(9));
    }
    let push = ctx.socket(PUSH).unwrap();
    trust(&push, &pki);
    push.connect(&by_name(&endpoint)).unwrap();
    push.send("still serving").unwrap();
    assert_eq!(pull.recv().unwrap(), "still serving");
}

/// ws:// and wss:// are different protocols on the wire: a ws client to a wss listener
/// gets nowhere, and the listener lives on.
#[test]
fn a_ws_client_at_a_wss_listener_is_refused() {
    let pki = pki(&["localhost"]);
    let ctx = Context::new();
    let pull = ctx.socket(PULL).unwrap();
    pull.options().set_linger(Some(Duration::ZERO)).unwrap();
    pull.options()
        .set_rcvtimeo(Some(Duration::from_millis(500)))
        .unwrap();
    let endpoint = bind(&pull, &pki);
    let push = ctx.socket(PUSH).unwrap();
    push.options().set_linger(Some(Duration::ZERO)).unwrap();
    push.connect(&endpoint.replace("wss://", "ws://")).unwrap();
    push.send("must not arrive").unwrap();
    assert_eq!(pull.recv().map(|m| m.to_vec()).err(), Some(Error::Again));
}

/// STREAM carries a connection's raw bytes; ws:// and wss:// frame them, so a STREAM
/// socket refuses both, on bind and connect, as libzmq's transports it lacks.
#[test]
fn stream_sockets_refuse_ws_and_wss() {
    let ctx = Context::new();
    let stream = ctx.socket(STREAM).unwrap();
    for endpoint in ["ws://127.0.0.1:*/zmq", "wss://127.0.0.1:*/zmq"] {
        let err = stream.bind(endpoint).unwrap_err();
        assert!(matches!(err, Error::ProtocolNotSupported(_)), "{err}");
        assert!(
            err.to_string().contains("only tcp and ipc for a STREAM"),
            "{err}"
        );
    }
    for endpoint in ["ws://127.0.0.1:5555/zmq", "wss://127.0.0.1:5555/zmq"] {
        let err = stream.connect(endpoint).unwrap_err();
        assert!(matches!(err, Error::ProtocolNotSupported(_)), "{err}");
    }
}
