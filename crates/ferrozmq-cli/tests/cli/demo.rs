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
    // A broadcast nobody received is said to be lost, by design, right after it.
    let lost: Vec<usize> = (0..broadcast.len())
        .filter(|&i| broadcast[i].starts_with("(lost, by design"))
        .collect();
    for &i in &lost {
        assert_eq!(broadcast[i - 1], "发送消息", "{broadcast:?}");
    }
    let unanswered = (0..broadcast.len())
        .filter(|&i| {
            broadcast[i] == "发送消息"
                && !broadcast
                    .get(i + 1)
                    .is_some_and(|next| next.starts_with("response: "))
        })
        .count();
    assert_eq!(lost.len(), unanswered, "{broadcast:?}");
    assert_eq!(
        sent + received + lost.len(),
        broadcast.len(),
        "{broadcast:?}"
    );
    assert_eq!(broadcast.first().map(String::as_str), Some("发送消息"));

    let pipeline = section(lines, "== PIPELINE ==");
    assert_eq!(pipeline.len(), 9, "{pipeline:?}");
    for step in pipeline.chunks(3) {
        assert_eq!(step, ["已发送", "正在转发...", "response: 测试消息"]);
    }
}
