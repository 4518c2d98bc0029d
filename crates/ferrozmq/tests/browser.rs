//! A real browser speaks ws:// to ferrozmq: headless Chromium loads `tests/browser/zws.html`
//! (plain JavaScript over the browser's own WebSocket, ZWS 2.0 without a mechanism — the only
//! ZWS subprotocol a browser can offer), subscribes to a ferrozmq XPUB and forwards what it
//! receives to a ferrozmq PULL. The test checks the subscription, what the PULL got and what
//! the page shows.
//!
//! Chromium is Debian's `chromium` package (`chromium` on the PATH, or the program named by
//! `FERROZMQ_CHROMIUM`). Without it the test fails when `CI` is set or
//! `FERROZMQ_REQUIRE_BROWSER=1`, and otherwise prints a notice and passes: a developer
//! without a browser can still run the suite, and CI, which installs it, cannot lose the test
//! silently.
//!
//! `FERROZMQ_BROWSER_SCREENSHOT=/abs/path.png` also saves a screenshot of the page after a
//! second exchange (how `docs/browser-ws.png` is made).

use ferrozmq::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long anything in one exchange may take.
const LIMIT: Duration = Duration::from_secs(30);
const TOPIC: &str = "weather/";

/// What the test publishes: two-part messages, three of them under [`TOPIC`].
const PUBLISHED: [[&str; 2]; 6] = [
    ["sports/paris", "0-0"],
    ["weather/paris", "12 °C"],
    ["weatherman", "not under the prefix"],
    ["weather/oslo", "-3 °C"],
    ["weather", "not under the prefix either"],
    ["weather/lima", "19 °C"],
];

fn matching() -> Vec<Vec<String>> {
    PUBLISHED
        .iter()
        .filter(|m| m[0].starts_with(TOPIC))
        .map(|m| m.iter().map(|s| s.to_string()).collect())
        .collect()
}

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FERROZMQ_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file())
}

fn browser_required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
        || std::env::var("FERROZMQ_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

/// A headless Chromium with a profile of its own, killed and cleaned up on drop.
struct Browser {
    child: Child,
    profile: PathBuf,
    stdout: Option<std::thread::JoinHandle<String>>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Browser {
    /// Loads `url`; `mode` is `--dump-dom` or `--screenshot=...`.
    fn start(program: &Path, mode: &str, url: &str) -> Browser {
        let profile = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "chromium-profile-{}-{:?}",
            std::process::id(),
            Instant::now()
        ));
        std::fs::create_dir_all(&profile).unwrap();
        let mut child = Command::new(program)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                // Containers often have a small /dev/shm.
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--window-size=720,290",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(mode)
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text);
                text
            })
        };
        let stdout = drain(Box::new(child.stdout.take().unwrap()));
        let stderr = drain(Box::new(child.stderr.take().unwrap()));
        Browser {
            child,
            profile,
            stdout: Some(stdout),
            stderr: Some(stderr),
        }
    }

    /// Waits (bounded) for the browser to exit; its standard output.
    fn finish(&mut self) -> String {
        let deadline = Instant::now() + LIMIT;
        loop {
            match self.child.try_wait().unwrap() {
                Some(status) => {
                    let out = self.stdout.take().unwrap().join().unwrap();
                    assert!(
                        status.success(),
                        "chromium failed ({status}):\n{}",
                        self.log()
                    );
                    return out;
                }
                None if Instant::now() > deadline => {
                    panic!("chromium did not exit within {LIMIT:?}:\n{}", self.log())
                }
                None => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Chromium's diagnostics (after it exited, or killing it first).
    fn log(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr
            .take()
            .map(|t| t.join().unwrap_or_default())
            .unwrap_or_default()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// An HTTP server for the page's `hold` image that answers only once released (or after
/// [`LIMIT`]): the page's load event, which Chromium waits for before it dumps or
/// screenshots the page, cannot come before the exchange is over.
struct Hold {
    url: String,
    release: mpsc::Sender<()>,
    server: Option<std::thread::JoinHandle<()>>,
}

impl Hold {
    fn start() -> Hold {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hold", listener.local_addr().unwrap());
        let (release, released) = mpsc::channel::<()>();
        let server = std::thread::spawn(move || {
            listener.set_nonblocking(true).unwrap();
            let deadline = Instant::now() + LIMIT;
            let mut held = Vec::new();
            loop {
                match listener.accept() {
                    Ok((stream, _)) => held.push(stream),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("hold server: {e}"),
                }
                match released.recv_timeout(Duration::from_millis(20)) {
                    Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
                    _ => break,
                }
            }
            for mut stream in held {
                let _ = stream.write_all(
                    b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        Hold {
            url,
            release,
            server: Some(server),
        }
    }

    fn release(&mut self) {
        let _ = self.release.send(());
        if let Some(server) = self.server.take() {
            // A failed hold server shows as a page dumped too early, with the DOM printed.
            let _ = server.join();
        }
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.release();
    }
}

fn strings(message: Vec<Message>) -> Vec<String> {
    message
        .iter()
        .map(|part| part.as_str().unwrap().to_string())
        .collect()
}

/// One exchange with the page loaded in `mode`: returns what the PULL received and the
/// browser's standard output.
fn exchange(program: &Path, mode: &str) -> (Vec<Vec<String>>, String) {
    let ctx = Context::new();
    let publisher = ctx.socket(XPUB).unwrap();
    let pull = ctx.socket(PULL).unwrap();
    for socket in [&publisher, &pull] {
        socket.options().set_rcvtimeo(Some(LIMIT)).unwrap();
        socket.options().set_linger(Some(Duration::ZERO)).unwrap();
    }
    let sub_endpoint = publisher.bind("ws://127.0.0.1:*/sub").unwrap();
    let push_endpoint = pull.bind("ws://127.0.0.1:*/push").unwrap();
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/zws.html");
    let mut hold = Hold::start();
    let url = format!(
        "file://{}?sub={sub_endpoint}&push={push_endpoint}&topic={TOPIC}&expect={}&hold={}",
        page.display(),
        matching().len(),
        hold.url
    );
    let mut browser = Browser::start(program, mode, &url);

    // The page subscribes once both its WebSockets are open; publishing starts then.
    let subscription = match publisher.recv() {
        Ok(m) => m,
        Err(e) => panic!("no subscription from the page ({e}):\n{}", browser.log()),
    };
    assert_eq!(
        subscription.as_slice(),
        &[b"\x01", TOPIC.as_bytes()].concat()[..]
    );
    for message in PUBLISHED {
        publisher.send_multipart(message).unwrap();
    }
    let mut pulled = Vec::new();
    while pulled.last().is_none_or(|m: &Vec<String>| m[0] != "done") {
        match pull.recv_multipart() {
            Ok(m) => pulled.push(strings(m)),
            Err(e) => panic!(
                "the page sent {pulled:?}, then nothing ({e}):\n{}",
                browser.log()
            ),
        }
    }
    hold.release();
    (pulled, browser.finish())
}

/// The texts of the page's list items.
fn list_items(dom: &str) -> Vec<String> {
    dom.split("<li>")
        .skip(1)
        .map(|rest| rest.split("</li>").next().unwrap().to_string())
        .collect()
}

#[test]
fn a_browser_subscribes_and_pushes_over_ws() {
    let Some(program) = chromium() else {
        assert!(
            !browser_required(),
            "chromium is required (CI or FERROZMQ_REQUIRE_BROWSER=1) but not installed: \
             apt-get install chromium, or set FERROZMQ_CHROMIUM"
        );
        println!("*** SKIPPED: the browser test needs chromium (Debian package `chromium`) ***");
        return;
    };
    let (pulled, dom) = exchange(&program, "--dump-dom");
    // The PULL got exactly what the page forwarded, then its closing message.
    let mut expected = matching();
    expected.push(vec!["done".into(), matching().len().to_string()]);
    assert_eq!(pulled, expected);
    // The page shows exactly the messages under the prefix: the XPUB filtered them.
    let shown: Vec<String> = matching().iter().map(|m| m.join(" | ")).collect();
    assert_eq!(list_items(&dom), shown, "{dom}");
    assert!(dom.contains("<title>done</title>"), "{dom}");

    if let Some(path) = std::env::var_os("FERROZMQ_BROWSER_SCREENSHOT") {
        let path = PathBuf::from(path);
        let _ = std::fs::remove_file(&path);
        let (pulled, _) = exchange(&program, &format!("--screenshot={}", path.display()));
        assert_eq!(pulled, expected);
        let png = std::fs::read(&path).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{}", path.display());
    }
}
