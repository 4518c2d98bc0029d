//! ws:// and wss:// against libzmq's own WebSocket transports, both ways, NULL and CURVE:
//! a small C program on libzmq 4.3.4 (built from the `zeromq-src` crate's vendored source
//! with the draft API, `ENABLE_WS` and GnuTLS, once, into this target directory) and a
//! ferrozmq socket, each binding in turn. The crates.io `zmq` crate's libzmq has no ws transport, hence the separate build.
//! Without cmake or a C compiler the test says so loudly and passes without running.
//! The browser page of `browser.rs` runs against that libzmq too.

mod browser_support;

use ferrozmq::*;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use zmtp::curve_keys::CurveKeyPair;

/// libzmq's cmake options: the draft API (which brings ws), TLS through GnuTLS (which
/// brings wss), nothing else built.
const CMAKE_OPTIONS: &[&str] = &[
    "-DCMAKE_BUILD_TYPE=Release",
    "-DENABLE_DRAFTS=ON",
    "-DENABLE_WS=ON",
    "-DWITH_TLS=ON",
    "-DWITH_LIBSODIUM=OFF",
    "-DBUILD_TESTS=OFF",
    "-DWITH_PERF_TOOL=OFF",
    "-DWITH_DOCS=OFF",
    "-DENABLE_CPACK=OFF",
    "-DBUILD_STATIC=OFF",
    "-DCMAKE_INSTALL_LIBDIR=lib",
];

/// Message sizes across every WebSocket length form (7-bit, 16-bit, 64-bit).
const SIZES: &[usize] = &[0, 1, 125, 126, 65_535, 65_536, 200_000];

/// The libzmq side: `peer rep <endpoint>` binds (printing the bound endpoint) or connects
/// (`connect:` prefix) a REP that echoes every message until it has echoed `count`;
/// `peer req <endpoint> <count>` sends `count` two-part messages (an index, then a body of
/// `SIZES[i % n]` octets of value i) and checks each echo. Exit status 0 is success.
/// CURVE (Z85 keys in the environment): `PEER_CURVE_SECRET` alone makes the socket a
/// server; with `PEER_CURVE_SERVERKEY` and `PEER_CURVE_PUBLIC` too, a client. For wss
/// (PEM text and a name in the environment): `PEER_WSS_CERT` and `PEER_WSS_KEY` for a
/// bind, `PEER_WSS_TRUST` and `PEER_WSS_HOSTNAME` for a connect.
/// `peer browser <xpub endpoint> <pull endpoint>` binds both (printing each), prints
/// `subscribed <topic>` when the XPUB gets a subscription, then publishes the two-part
/// messages given on stdin as `topic<TAB>body` lines, and prints each message its PULL gets
/// (parts joined by tabs) until one that starts with `done`.
/// `peer pub <endpoint> <tenths>` publishes `B-no` and `A-yes` every 10 ms for so many
/// tenths of a second; `peer sub <endpoint> <count>` subscribes to `A` and takes `count`
/// messages, each of which must be `A-yes`.
const PEER_C: &str = r#"
/* The WSS options are in the draft API. */
#define ZMQ_BUILD_DRAFT_API
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const size_t sizes[] = {0, 1, 125, 126, 65535, 65536, 200000};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static void fail(const char *what) {
    fprintf(stderr, "peer: %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(1);
}

static void set_text(void *s, int option, const char *name) {
    const char *value = getenv(name);
    if (value && zmq_setsockopt(s, option, value, strlen(value)) != 0) fail(name);
}

static void *open_socket(void *ctx, int type, const char *endpoint) {
    void *s = zmq_socket(ctx, type);
    int timeout = 10000, linger = 0;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    set_text(s, ZMQ_WSS_CERT_PEM, "PEER_WSS_CERT");
    set_text(s, ZMQ_WSS_KEY_PEM, "PEER_WSS_KEY");
    set_text(s, ZMQ_WSS_TRUST_PEM, "PEER_WSS_TRUST");
    set_text(s, ZMQ_WSS_HOSTNAME, "PEER_WSS_HOSTNAME");
    const char *server_key = getenv("PEER_CURVE_SERVERKEY");
    const char *secret = getenv("PEER_CURVE_SECRET");
    if (server_key) {
        const char *public_key = getenv("PEER_CURVE_PUBLIC");
        if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_key, 40) != 0
            || zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, public_key, 40) != 0
            || zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, secret, 40) != 0)
            fail("curve client keys");
    } else if (secret) {
        int on = 1;
        if (zmq_setsockopt(s, ZMQ_CURVE_SERVER, &on, sizeof on) != 0
            || zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, secret, 40) != 0)
            fail("curve server key");
    }
    if (strncmp(endpoint, "connect:", 8) == 0) {
        if (zmq_connect(s, endpoint + 8) != 0) fail("connect");
    } else {
        char bound[256];
        size_t len = sizeof bound;
        if (zmq_bind(s, endpoint) != 0) fail("bind");
        zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, bound, &len);
        printf("%s\n", bound);
        fflush(stdout);
    }
    return s;
}

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    int count = atoi(argv[3]);
    void *ctx = zmq_ctx_new();
    if (strcmp(argv[1], "pub") == 0) {
        void *s = open_socket(ctx, ZMQ_PUB, argv[2]);
        for (int i = 0; i < count * 10; i++) {
            if (zmq_send(s, "B-no", 4, 0) < 0 || zmq_send(s, "A-yes", 5, 0) < 0)
                fail("pub send");
            usleep(10000);
        }
        zmq_close(s);
        zmq_ctx_term(ctx);
        return 0;
    }
    if (strcmp(argv[1], "sub") == 0) {
        void *s = open_socket(ctx, ZMQ_SUB, argv[2]);
        if (zmq_setsockopt(s, ZMQ_SUBSCRIBE, "A", 1) != 0) fail("subscribe");
        char buf[64];
        for (int i = 0; i < count; i++) {
            int n = zmq_recv(s, buf, sizeof buf, 0);
            if (n < 0) fail("sub recv");
            if (n != 5 || memcmp(buf, "A-yes", 5) != 0) {
                fprintf(stderr, "peer: sub got %.*s\n", n, buf);
                exit(1);
            }
        }
        zmq_close(s);
        zmq_ctx_term(ctx);
        return 0;
    }
    if (strcmp(argv[1], "browser") == 0) {
        void *pub = open_socket(ctx, ZMQ_XPUB, argv[2]);
        void *pull = open_socket(ctx, ZMQ_PULL, argv[3]);
        /* A browser takes longer to start than a peer program. */
        int wait = 30000;
        zmq_setsockopt(pub, ZMQ_RCVTIMEO, &wait, sizeof wait);
        zmq_setsockopt(pull, ZMQ_RCVTIMEO, &wait, sizeof wait);
        char line[512], part[512];
        int n = zmq_recv(pub, part, sizeof part - 1, 0);
        if (n < 1 || n >= (int) sizeof part) fail("browser: subscription");
        part[n] = 0;
        printf("subscribed %s\n", part[0] == 1 ? part + 1 : "?");
        fflush(stdout);
        while (fgets(line, sizeof line, stdin)) {
            line[strcspn(line, "\n")] = 0;
            char *body = strchr(line, '\t');
            if (!body) return 2;
            *body++ = 0;
            if (zmq_send(pub, line, strlen(line), ZMQ_SNDMORE) < 0
                || zmq_send(pub, body, strlen(body), 0) < 0)
                fail("browser: publish");
        }
        for (int done = 0; !done;) {
            for (int more = 1, first = 1; more; first = 0) {
                n = zmq_recv(pull, part, sizeof part - 1, 0);
                if (n < 0 || n >= (int) sizeof part) fail("browser: pull");
                part[n] = 0;
                if (first && strcmp(part, "done") == 0) done = 1;
                size_t size = sizeof more;
                zmq_getsockopt(pull, ZMQ_RCVMORE, &more, &size);
                printf("%s%s", part, more ? "\t" : "\n");
            }
        }
        fflush(stdout);
        zmq_close(pub);
        zmq_close(pull);
    } else if (strcmp(argv[1], "rep") == 0) {
        void *s = open_socket(ctx, ZMQ_REP, argv[2]);
        for (int i = 0; i < count; i++) {
            zmq_msg_t parts[16];
            int n = 0, more = 1;
            while (more) {
                if (n == 16) fail("rep: too many parts");
                zmq_msg_init(&parts[n]);
                if (zmq_msg_recv(&parts[n], s, 0) < 0) fail("rep recv");
                more = zmq_msg_more(&parts[n]);
                n++;
            }
            for (int k = 0; k < n; k++)
                if (zmq_msg_send(&parts[k], s, k + 1 < n ? ZMQ_SNDMORE : 0) < 0) fail("rep send");
        }
        /* The last echo may still be queued: let it go out before closing. */
        int linger = 5000;
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(s);
    } else {
        void *s = open_socket(ctx, ZMQ_REQ, argv[2]);
        char *body = malloc(200000);
        for (int i = 0; i < count; i++) {
            size_t size = sizes[i % NSIZES];
            memset(body, i & 0xff, size);
            if (zmq_send(s, &i, sizeof i, ZMQ_SNDMORE) < 0) fail("req send");
            if (zmq_send(s, body, size, 0) < 0) fail("req send");
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, s, 0) != sizeof i || memcmp(zmq_msg_data(&m), &i, sizeof i) != 0
                || !zmq_msg_more(&m))
                fail("req: echoed index");
            if (zmq_msg_recv(&m, s, 0) != (int) size || memcmp(zmq_msg_data(&m), body, size) != 0
                || zmq_msg_more(&m))
                fail("req: echoed body");
            zmq_msg_close(&m);
        }
        free(body);
        zmq_close(s);
    }
    zmq_ctx_term(ctx);
    return 0;
}
"#;

fn available(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run(command: &mut Command) {
    let status = command.status().expect("run a build tool");
    assert!(status.success(), "{command:?} failed: {status}");
}

/// libzmq's source as the `zeromq-src` crate (a dependency of the `zmq` dev-dependency)
/// vendors it, found through cargo's own view of the dependency graph.
fn vendored_libzmq() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .output()
        .expect("cargo metadata");
    assert!(output.status.success(), "cargo metadata failed");
    let json = String::from_utf8_lossy(&output.stdout);
    json.split("\"manifest_path\":\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(Path::new)
        .find(|manifest| {
            manifest
                .parent()
                .and_then(|dir| dir.file_name())
                .is_some_and(|name| name.to_string_lossy().starts_with("zeromq-src-"))
        })
        .and_then(|manifest| manifest.parent())
        .map(|dir| dir.join("vendor"))
        .expect("zeromq-src in the dependency graph")
}

/// The peer program, built once per test binary (the tests share its files).
fn libzmq_peer() -> Option<PathBuf> {
    static PEER: OnceLock<Option<PathBuf>> = OnceLock::new();
    PEER.get_or_init(build_libzmq_peer).clone()
}

/// Whether libzmq's build finds GnuTLS, without which it has no wss transport.
fn gnutls_available() -> bool {
    let found = Command::new("pkg-config")
        .args(["--exists", "gnutls"])
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!(
            "\n*** SKIPPED: wss interop with libzmq needs GnuTLS (apt-get install libgnutls28-dev pkg-config) ***\n"
        );
    }
    found
}

/// Builds libzmq with ws and wss (unless this target directory has it already) and the
/// peer program against it; returns the program, or `None` when the tools are missing.
fn build_libzmq_peer() -> Option<PathBuf> {
    for tool in ["cmake", "cc"] {
        if !available(tool) {
            eprintln!(
                "\n*** SKIPPED: ws interop with libzmq needs `{tool}` (apt-get install cmake gcc) ***\n"
            );
            return None;
        }
    }
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("libzmq-4.3.4-ws");
    let prefix = root.join("prefix");
    let stamp = root.join("stamp");
    let wanted = CMAKE_OPTIONS.join(" ");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        let build = root.join("build");
        let _ = std::fs::remove_dir_all(&build);
        run(Command::new("cmake")
            .arg("-S")
            .arg(vendored_libzmq())
            .arg("-B")
            .arg(&build)
            .args(CMAKE_OPTIONS)
            .arg(format!("-DCMAKE_INSTALL_PREFIX={}", prefix.display()))
            .stdout(Stdio::null()));
        run(Command::new("cmake")
            .arg("--build")
            .arg(&build)
            .arg("-j2")
            .stdout(Stdio::null()));
        run(Command::new("cmake")
            .arg("--install")
            .arg(&build)
            .stdout(Stdio::null()));
        // The objects are not needed once installed.
        let _ = std::fs::remove_dir_all(&build);
        std::fs::write(&stamp, &wanted).expect("write the stamp");
    }
    let source = root.join("peer.c");
    let program = root.join("peer");
    std::fs::write(&source, PEER_C).expect("write peer.c");
    let lib = prefix.join("lib");
    run(Command::new("cc")
        .arg("-O1")
        .arg("-o")
        .arg(&program)
        .arg(&source)
        .arg(format!("-I{}", prefix.join("include").display()))
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lzmq"));
    Some(program)
}

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).unwrap();
    s.options().set_linger(Some(Duration::ZERO)).unwrap();
    s.options()
        .set_rcvtimeo(Some(Duration::from_secs(10)))
        .unwrap();
    s.options()
        .set_sndtimeo(Some(Duration::from_secs(10)))
        .unwrap();
    s
}

const COUNT: usize = 3 * SIZES.len();

/// Both sides' keys when a run uses CURVE.
struct Curve {
    server: CurveKeyPair,
    client: CurveKeyPair,
}

impl Curve {
    fn new() -> Curve {
        Curve {
            server: CurveKeyPair::generate().unwrap(),
            client: CurveKeyPair::generate().unwrap(),
        }
    }

    fn serve(&self, socket: &Socket) {
        socket.options().set_curve_server(true).unwrap();
        socket
            .options()
            .set_curve_secretkey(self.server.secret.as_bytes())
            .unwrap();
    }

    fn client(&self, socket: &Socket) {
        let options = socket.options();
        options
            .set_curve_serverkey(self.server.public.as_bytes())
            .unwrap();
        options
            .set_curve_publickey(self.client.public.as_bytes())
            .unwrap();
        options
            .set_curve_secretkey(self.client.secret.as_bytes())
            .unwrap();
    }

    /// The libzmq peer as a server.
    fn serve_peer(&self, peer: &mut Command) {
        peer.env("PEER_CURVE_SECRET", self.server.secret.to_z85());
    }

    /// The libzmq peer as a client.
    fn client_peer(&self, peer: &mut Command) {
        peer.env("PEER_CURVE_SERVERKEY", self.server.public.to_z85())
            .env("PEER_CURVE_PUBLIC", self.client.public.to_z85())
            .env("PEER_CURVE_SECRET", self.client.secret.to_z85());
    }
}

/// For wss: a test authority and a certificate it signed for `localhost`, as PEM.
struct Tls {
    authority: String,
    cert: String,
    key: String,
}

impl Tls {
    fn new() -> Tls {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        let authority_key = KeyPair::generate().unwrap();
        let mut authority = CertificateParams::new(Vec::<String>::new()).unwrap();
        authority.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let authority_pem = authority.self_signed(&authority_key).unwrap().pem();
        let issuer = Issuer::new(authority, authority_key);
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        Tls {
            authority: authority_pem,
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }

    fn scheme(tls: Option<&Tls>) -> &'static str {
        if tls.is_some() {
            "wss"
        } else {
            "ws"
        }
    }
}

/// libzmq connects its REQ to a ferrozmq REP that echoes.
fn libzmq_connects(peer: &Path, curve: Option<&Curve>, tls: Option<&Tls>) {
    let ctx = Context::new();
    let rep = socket(&ctx, REP);
    let mut command = Command::new(peer);
    if let Some(curve) = curve {
        curve.serve(&rep);
        curve.client_peer(&mut command);
    }
    if let Some(tls) = tls {
        rep.options().set_wss_cert_pem(tls.cert.as_bytes()).unwrap();
        rep.options().set_wss_key_pem(tls.key.as_bytes()).unwrap();
        command
            .env("PEER_WSS_TRUST", &tls.authority)
            .env("PEER_WSS_HOSTNAME", "localhost");
    }
    let scheme = Tls::scheme(tls);
    let endpoint = rep.bind(&format!("{scheme}://127.0.0.1:*/zmq")).unwrap();
    let mut child = command
        .args(["req", &format!("connect:{endpoint}"), &COUNT.to_string()])
        .spawn()
        .unwrap();
    for i in 0..COUNT {
        let parts = rep.recv_multipart().expect("libzmq's request");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].to_vec(), (i as i32).to_ne_bytes());
        assert_eq!(parts[1].to_vec(), vec![i as u8; SIZES[i % SIZES.len()]]);
        rep.send_multipart(parts).unwrap();
    }
    assert!(child.wait().unwrap().success(), "libzmq's REQ failed");
}

/// A ferrozmq REQ connects to libzmq's REP, which echoes.
fn ferrozmq_connects(peer: &Path, curve: Option<&Curve>, tls: Option<&Tls>) {
    let mut command = Command::new(peer);
    if let Some(curve) = curve {
        curve.serve_peer(&mut command);
    }
    if let Some(tls) = tls {
        command
            .env("PEER_WSS_CERT", &tls.cert)
            .env("PEER_WSS_KEY", &tls.key);
    }
    let scheme = Tls::scheme(tls);
    let mut child = command
        .args([
            "rep",
            &format!("{scheme}://127.0.0.1:*/zmq"),
            &COUNT.to_string(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut endpoint = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut endpoint)
        .unwrap();
    let endpoint = endpoint.trim();
    assert!(
        endpoint.starts_with(&format!("{scheme}://127.0.0.1:")),
        "{endpoint:?}"
    );
    let ctx = Context::new();
    let req = socket(&ctx, REQ);
    if let Some(curve) = curve {
        curve.client(&req);
    }
    if let Some(tls) = tls {
        req.options()
            .set_wss_trust_pem(tls.authority.as_bytes())
            .unwrap();
        req.options().set_wss_hostname("localhost").unwrap();
    }
    req.connect(endpoint).unwrap();
    for i in 0..COUNT {
        let index = (i as i32).to_ne_bytes();
        let body = vec![i as u8; SIZES[i % SIZES.len()]];
        req.send_multipart([&index[..], &body[..]]).unwrap();
        let echo = req.recv_multipart().expect("libzmq's echo");
        assert_eq!(echo.len(), 2);
        assert_eq!(echo[0].to_vec(), index);
        assert_eq!(echo[1].to_vec(), body);
    }
    assert!(child.wait().unwrap().success(), "libzmq's REP failed");
}

#[test]
fn ws_both_ways_with_libzmq() {
    let Some(peer) = libzmq_peer() else {
        return;
    };
    libzmq_connects(&peer, None, None);
    ferrozmq_connects(&peer, None, None);
    let curve = Curve::new();
    libzmq_connects(&peer, Some(&curve), None);
    ferrozmq_connects(&peer, Some(&curve), None);
}

#[test]
fn wss_both_ways_with_libzmq() {
    if !gnutls_available() {
        return;
    }
    let Some(peer) = libzmq_peer() else {
        return;
    };
    let tls = Tls::new();
    libzmq_connects(&peer, None, Some(&tls));
    ferrozmq_connects(&peer, None, Some(&tls));
    let curve = Curve::new();
    libzmq_connects(&peer, Some(&curve), Some(&tls));
    ferrozmq_connects(&peer, Some(&curve), Some(&tls));
}

/// The browser page of `browser.rs` against libzmq's XPUB and PULL instead of ferrozmq's:
/// libzmq 4.3.4 takes the page's bare `ZWS2.0` (RFC 45 "No Mechanism") as ferrozmq does,
/// so the page speaks ZWS 2.0 as libzmq does, not merely as ferrozmq reads it.
#[test]
fn the_browser_page_talks_to_libzmq_too() {
    let Some(peer) = libzmq_peer() else {
        return;
    };
    let Some(chromium) = browser_support::chromium() else {
        return;
    };
    let mut child = Command::new(peer)
        .args(["browser", "ws://127.0.0.1:*/sub", "ws://127.0.0.1:*/push"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Every read is bounded: the peer gives up (and exits) after 30 s without traffic.
    let mut line = || lines.next().expect("the peer exited early").unwrap();
    let (sub, push) = (line(), line());
    let page = browser_support::Page::load(&chromium, "--dump-dom", &sub, &push);
    assert_eq!(line(), format!("subscribed {}", browser_support::TOPIC));
    let mut stdin = child.stdin.take().unwrap();
    for [topic, body] in browser_support::PUBLISHED {
        writeln!(stdin, "{topic}\t{body}").unwrap();
    }
    drop(stdin);
    let mut pulled: Vec<Vec<String>> = Vec::new();
    while pulled.last().is_none_or(|m| m[0] != "done") {
        pulled.push(line().split('\t').map(String::from).collect());
    }
    assert!(child.wait().unwrap().success(), "libzmq's side failed");
    browser_support::check(&pulled, &page.finish());
}

/// Subscriptions cross as RFC 45 has them, messages starting with 1 (libzmq 4.3.4's ws
/// transport drops SUBSCRIBE commands): a ferrozmq SUB gets exactly what it subscribed to
/// from a libzmq PUB, and a libzmq SUB from a ferrozmq PUB.
#[test]
fn pub_sub_with_libzmq_both_ways() {
    let Some(peer) = libzmq_peer() else {
        return;
    };
    // libzmq publishes for up to 10 s.
    let mut child = Command::new(&peer)
        .args(["pub", "ws://127.0.0.1:*/zmq", "100"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut endpoint = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut endpoint)
        .unwrap();
    let ctx = Context::new();
    let sub = socket(&ctx, SUB);
    sub.connect(endpoint.trim()).unwrap();
    sub.subscribe(b"A").unwrap();
    for _ in 0..3 {
        assert_eq!(sub.recv().expect("libzmq's publication"), "A-yes");
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let publisher = socket(&ctx, PUB);
    let endpoint = publisher.bind("ws://127.0.0.1:*/zmq").unwrap();
    let mut child = Command::new(&peer)
        .args(["sub", &format!("connect:{endpoint}"), "3"])
        .spawn()
        .unwrap();
    let until = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > until {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        publisher.send("B-no").unwrap();
        publisher.send("A-yes").unwrap();
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(
        status.is_some_and(|s| s.success()),
        "libzmq's SUB failed: {status:?}"
    );
}

/// Heartbeats over ws are WebSocket pings and pongs (libzmq's ws transport drops PING
/// commands): a ferrozmq REQ pinging every 100 ms, giving up after 300 ms of silence, keeps
/// an idle connection to libzmq's REP.
#[test]
fn heartbeats_keep_an_idle_libzmq_peer() {
    let Some(peer) = libzmq_peer() else {
        return;
    };
    let mut child = Command::new(&peer)
        .args(["rep", "ws://127.0.0.1:*/zmq", "3"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut endpoint = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut endpoint)
        .unwrap();
    let ctx = Context::new();
    let req = socket(&ctx, REQ);
    req.options()
        .set_heartbeat_ivl(Duration::from_millis(100))
        .unwrap();
    req.options()
        .set_heartbeat_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut events = req.monitor(EventSet::ALL).unwrap();
    req.connect(endpoint.trim()).unwrap();
    req.send("one").unwrap();
    assert_eq!(req.recv().unwrap(), "one");
    std::thread::sleep(Duration::from_millis(1500));
    req.send("two").unwrap();
    assert_eq!(req.recv().unwrap(), "two");
    // What the connection went through while libzmq's side is still there.
    let mut kinds = Vec::new();
    while let Ok(event) = events.recv_timeout(Duration::from_millis(100)) {
        kinds.push(event.kind());
    }
    assert!(kinds.contains(&EventKind::HandshakeSucceeded), "{kinds:?}");
    assert!(!kinds.contains(&EventKind::Disconnected), "{kinds:?}");
    req.send("three").unwrap();
    assert_eq!(req.recv().unwrap(), "three");
    assert!(child.wait().unwrap().success(), "libzmq's REP failed");
}
