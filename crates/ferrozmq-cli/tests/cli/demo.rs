//! `ferrozmq demo`.

use crate::support::run;

/// The lines of `lines` between `header` and the next section header.
fn section<'a>(lines: &'a [String], header: &str) -> &'a [String] {
    let start = lines
        .iter()
        .position(|l| l == header)
        .unwrap_or_else(|| panic!("no '{header}' in {lines:?}"))
        + 1;
    let len = lines[start..]
        .iter()
        .position(|l| l.starts_with("== "))
        .unwrap_or(lines.len() - start);
    &lines[start..start + len]
}

#[test]
fn demo_prints_the_seed_lines_and_exits_0() {
    let done = run(["demo"]);
    assert!(done.status.success(), "{done:?}");
    let lines = &done.stdout;

    assert_eq!(
        section(lines, "== REQ-REP =="),
        ["Received: Are you OK?", "response: I am OK!"]
    );

    let broadcast = section(lines, "== PUB-SUB ==");
    let sent = broadcast.iter().filter(|l| *l == "发送消息").count();
    let received = broadcast
        .iter()
        .filter(|l| *l == "response: 消息群发")
        .count();
    assert_eq!(received, 6, "3 for each subscriber: {broadcast:?}");
    assert!(sent >= 3, "{broadcast:?}");
    assert_eq!(sent + received, broadcast.len(), "{broadcast:?}");
    assert_eq!(broadcast.first().map(String::as_str), Some("发送消息"));

    let pipeline = section(lines, "== PIPELINE ==");
    assert_eq!(pipeline.len(), 9, "{pipeline:?}");
    for step in pipeline.chunks(3) {
        assert_eq!(step, ["已发送", "正在转发...", "response: 测试消息"]);
    }
}
