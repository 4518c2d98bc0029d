//! The browser side of the ws:// browser tests: headless Chromium loading
//! `tests/browser/zws.html` (plain JavaScript, ZWS 2.0 over the browser's own WebSocket),
//! which subscribes to an XPUB under [`TOPIC`] and forwards each message it gets to a PULL,
//! then sends `done` and its count. Used against ferrozmq (`browser.rs`) and against
//! libzmq's own ws transport (`ws_libzmq.rs`).
//!
//! Chromium is Debian's `chromium` package (`chromium` on the PATH, or the program named by
//! `FERROZMQ_CHROMIUM`). Without it [`chromium`] fails the test when `CI` is set or
//! `FERROZMQ_REQUIRE_BROWSER=1`, and otherwise prints a notice and lets it pass: a developer
//! without a browser can still run the suite, and CI, which installs it, cannot lose the test
//! silently.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long any step of one exchange may take.
pub const LIMIT: Duration = Duration::from_secs(30);
/// The prefix the page subscribes to.
pub const TOPIC: &str = "weather/";

/// What the tests publish: two-part messages, three of them under [`TOPIC`].
pub const PUBLISHED: [[&str; 2]; 6] = [
    ["sports/paris", "0-0"],
    ["weather/paris", "12 °C"],
    ["weatherman", "not under the prefix"],
    ["weather/oslo", "-3 °C"],
    ["weather", "not under the prefix either"],
    ["weather/lima", "19 °C"],
];

/// The published messages under [`TOPIC`].
pub fn matching() -> Vec<Vec<String>> {
    PUBLISHED
        .iter()
        .filter(|m| m[0].starts_with(TOPIC))
        .map(|m| m.iter().map(|s| s.to_string()).collect())
        .collect()
}

/// The browser, or `None` (after a notice) when it is missing and not required.
pub fn chromium() -> Option<PathBuf> {
    let found = match std::env::var_os("FERROZMQ_CHROMIUM") {
        Some(path) => Some(PathBuf::from(path)),
        None => {
            let path = std::env::var_os("PATH").unwrap_or_default();
            std::env::split_paths(&path)
                .map(|dir| dir.join("chromium"))
                .find(|p| p.is_file())
        }
    };
    let required = std::env::var_os("CI").is_some_and(|v| !v.is_empty())
        || std::env::var("FERROZMQ_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    if found.is_none() {
        assert!(
            !required,
            "chromium is required (CI or FERROZMQ_REQUIRE_BROWSER=1) but not installed: \
             apt-get install chromium, or set FERROZMQ_CHROMIUM"
        );
        println!("*** SKIPPED: the browser test needs chromium (Debian package `chromium`) ***");
    }
    found
}

/// The page loaded in a headless Chromium, talking to the XPUB at `sub` and the PULL at
/// `push`; `mode` is `--dump-dom` or `--screenshot=...`.
pub struct Page {
    // Dropped first: the browser dies before the hold server is released.
    browser: Browser,
    hold: Hold,
}

impl Page {
    pub fn load(program: &Path, mode: &str, sub: &str, push: &str) -> Page {
        let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/zws.html");
        let hold = Hold::start();
        let url = format!(
            "file://{}?sub={sub}&push={push}&topic={TOPIC}&expect={}&hold={}",
            page.display(),
            matching().len(),
            hold.url
        );
        Page {
            browser: Browser::start(program, mode, &url),
            hold,
        }
    }

    /// Chromium's diagnostics, killing it.
    pub fn log(&mut self) -> String {
        self.browser.log()
    }

    /// Lets the page finish loading once the exchange is over; Chromium's output.
    pub fn finish(mut self) -> String {
        self.hold.release();
        self.browser.finish()
    }
}

/// Checks what a PULL got from the page and what the page showed (its dumped DOM).
pub fn check(pulled: &[Vec<String>], dom: &str) {
    // The PULL got exactly what the page forwarded, then its closing message.
    let mut expected = matching();
    expected.push(vec!["done".into(), matching().len().to_string()]);
    assert_eq!(pulled, expected);
    // The page shows exactly the messages under the prefix: the publisher filtered them.
    let shown: Vec<String> = matching().iter().map(|m| m.join(" | ")).collect();
    let items: Vec<String> = dom
        .split("<li>")
        .skip(1)
        .map(|rest| rest.split("</li>").next().unwrap().to_string())
        .collect();
    assert_eq!(items, shown, "{dom}");
    assert!(dom.contains("<title>done</title>"), "{dom}");
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
