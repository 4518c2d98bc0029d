//! A real browser speaks ws:// to ferrozmq: headless Chromium loads `tests/browser/zws.html`
//! (plain JavaScript over the browser's own WebSocket, ZWS 2.0 without a mechanism — the only
//! ZWS subprotocol a browser can offer), subscribes to a ferrozmq XPUB and forwards what it
//! receives to a ferrozmq PULL. The test checks the subscription, what the PULL got and what
//! the page shows. Without chromium it skips, or fails under CI (see `browser_support`).
//!
//! `FERROZMQ_BROWSER_SCREENSHOT=/abs/path.png` also saves a screenshot of the page after a
//! second exchange (how `docs/browser-ws.png` is made).

mod browser_support;

use browser_support::{Page, LIMIT, PUBLISHED, TOPIC};
use ferrozmq::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    let sub = publisher.bind("ws://127.0.0.1:*/sub").unwrap();
    let push = pull.bind("ws://127.0.0.1:*/push").unwrap();
    let mut page = Page::load(program, mode, &sub, &push);

    // The page subscribes once both its WebSockets are open; publishing starts then.
    let subscription = match publisher.recv() {
        Ok(m) => m,
        Err(e) => panic!("no subscription from the page ({e}):\n{}", page.log()),
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
                page.log()
            ),
        }
    }
    (pulled, page.finish())
}

#[test]
fn a_browser_subscribes_and_pushes_over_ws() {
    let Some(program) = browser_support::chromium() else {
        return;
    };
    let (pulled, dom) = exchange(&program, "--dump-dom");
    browser_support::check(&pulled, &dom);

    if let Some(path) = std::env::var_os("FERROZMQ_BROWSER_SCREENSHOT") {
        let path = PathBuf::from(path);
        let _ = std::fs::remove_file(&path);
        let (again, _) = exchange(&program, &format!("--screenshot={}", path.display()));
        assert_eq!(again, pulled);
        let png = std::fs::read(&path).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{}", path.display());
    }
}
