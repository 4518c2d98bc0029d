//! Real programs on the library: pyzmq, built from its source distribution against this
//! crate's `libzmq.so.5` (staged as `cargo xtask stage` stages it), running the seed's
//! Python programs, pyzmq's asyncio API and its monitor helpers.
//!
//! The seed's programs are taken at test time from the seed itself
//! (`tests/python/seed.txt`, a copy of the project's seed, checked against the original
//! where it exists) and run as written, under Python 3, with two differences, both
//! documented here and in `tests/python/py2_shim/sitecustomize.py`:
//!
//! - the two Python 2 `print "..."` statements (the pipeline's ventilator and worker) are
//!   rewritten as `print("...")` calls, the only change to any program's text (Python 3
//!   cannot parse the statement form);
//! - a `sitecustomize` module on PYTHONPATH gives pyzmq's sockets Python 2's byte strings:
//!   `send` and `setsockopt` take `str` as UTF-8 bytes, and received bytes print as their
//!   text, so each program prints exactly the lines the seed shows.
//!
//! The programs bind fixed ports (5555, 5557, 5558) and loop for ever: each scenario runs
//! in a network namespace of its own when `unshare` allows it (so that the ports collide
//! with nothing), and its programs are killed once they have printed what the seed shows.
//! Every process reports the libzmq it loaded (from `/proc/self/maps`): it must be this
//! crate's library, reporting version 4.3.4.
//!
//! Building pyzmq needs python3 with venv, a C compiler and PyPI (pyzmq's sdist and its
//! build requirements); the wheel is cached (see `xtask::pyzmq`). CI provides all of it;
//! a missing piece fails the test, it does not skip it.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Where cargo put the libraries this test run built: `deps/`, beside the test program.
/// `cargo test` builds the library there as this test's dependency and copies it up to
/// the profile directory only when the library itself is what was asked for (`cargo
/// build`), so the copy up there is missing on a fresh clone and may be stale.
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().to_path_buf()
}

fn python_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python")
}

/// The prefix the library is staged into, and the venv Python whose pyzmq was built
/// against it. The prefix's path is stable (per cargo profile), so the pyzmq wheel,
/// which finds the library by that path, is built once and reused.
fn pyzmq() -> &'static (PathBuf, PathBuf) {
    static BUILT: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let prefix = library_dir().join("pyzmq-prefix");
        xtask::stage::install(&library_dir(), &prefix).expect("stage the library");
        let report = xtask::pyzmq::build(&prefix).expect("build pyzmq from its sdist");
        let imported = report.import.expect("pyzmq imports");
        assert!(
            imported.contains("reports libzmq 4.3.4")
                && imported.contains(&format!("{}/lib/libzmq.so.5", prefix.display())),
            "{imported}"
        );
        assert!(
            report.missing.is_empty(),
            "pyzmq needs functions the library lacks: {:?}",
            report.missing
        );
        (prefix, report.python)
    })
}

/// The Python programs of the seed, in the order it shows them: each starts at its
/// `coding` line and ends before the prose line that introduces the next block.
fn seed_programs() -> Vec<String> {
    let seed = std::fs::read_to_string(python_dir().join("seed.txt")).unwrap();
    if let Ok(dir) = std::fs::read_dir("/work/shared/seed") {
        let originals: Vec<String> = dir
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .collect();
        assert!(
            originals.contains(&seed),
            "tests/python/seed.txt is not the seed"
        );
    }
    let mut programs = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in seed.lines() {
        if line.starts_with("# -*- coding=utf-8 -*-") {
            if let Some(done) = current.take() {
                programs.push(done);
            }
            current = Some(vec![line]);
            continue;
        }
        let prose = !line.starts_with([' ', '\t'])
            && (line.ends_with(':') || line.ends_with('：'))
            && !line.is_ascii();
        if prose {
            if let Some(done) = current.take() {
                programs.push(done);
            }
        } else if let Some(lines) = current.as_mut() {
            lines.push(line);
        }
    }
    programs
        .into_iter()
        .map(|lines| {
            let text = lines.join("\n");
            format!("{}\n", text.trim_end())
        })
        .collect()
}

/// The one change to a program's text: Python 2's print statement becomes a call.
fn python3_print(program: &str) -> String {
    program
        .lines()
        .map(|line| {
            let indent = &line[..line.len() - line.trim_start().len()];
            match line.trim_start().strip_prefix("print ") {
                Some(rest) if !rest.starts_with('(') => {
                    format!("{indent}print({})", rest.trim_end())
                }
                _ => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Whether `unshare` can give a scenario its own network namespace.
fn namespaces_work() -> bool {
    Command::new("unshare")
        .args(["-rn", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs programs (name, text, stdout lines awaited) side by side through
/// `tests/python/run_seed.py`; every line they printed, as (name, stream, line).
fn run_scenario(programs: &[(&str, &str, usize)]) -> Vec<(String, String, String)> {
    let (_, python) = pyzmq();
    let dir = xtask::paths::scratch_dir("seed-programs").unwrap();
    let mut args = vec![
        python_dir().join("run_seed.py").display().to_string(),
        "20".to_string(),
        python_dir().join("py2_shim").display().to_string(),
    ];
    for (name, text, lines) in programs {
        let file = dir.join(format!("{name}.py"));
        std::fs::write(&file, python3_print(text)).unwrap();
        args.push(format!("{name}={}:{lines}", file.display()));
    }
    let output = if namespaces_work() {
        Command::new("unshare")
            .args(["-rn", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""])
            .arg(python)
            .args(&args)
            .output()
    } else {
        Command::new(python).args(&args).output()
    }
    .expect("run the seed's programs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            Some((
                fields.next()?.to_string(),
                fields.next()?.to_string(),
                fields.next()?.to_string(),
            ))
        })
        .collect()
}

/// What `name` printed on stdout.
fn printed(lines: &[(String, String, String)], name: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|(n, stream, _)| n == name && stream == "stdout")
        .map(|(_, _, line)| line.clone())
        .collect()
}

/// Checks that every program reported loading this crate's library, and nothing failed.
fn assert_ours(lines: &[(String, String, String)], names: &[&str]) {
    let (prefix, _) = pyzmq();
    let ours = format!("loaded {}/lib/libzmq.so.5", prefix.display());
    for name in names {
        let stderr: Vec<&str> = lines
            .iter()
            .filter(|(n, stream, _)| n == name && stream == "stderr")
            .map(|(_, _, line)| line.as_str())
            .collect();
        assert!(
            stderr
                .iter()
                .any(|l| l.starts_with("py2-shim: libzmq 4.3.4 ") && l.ends_with(&ours)),
            "{name} did not load {ours}: {stderr:?}"
        );
        assert!(
            !stderr
                .iter()
                .any(|l| l.contains("Traceback") || l.contains("Error")),
            "{name} failed: {stderr:?}"
        );
    }
}

/// Asserts that the seed shows `line` as output, so that the expectations below are the
/// seed's own.
fn shown_by_seed(line: &str) -> String {
    let seed = std::fs::read_to_string(python_dir().join("seed.txt")).unwrap();
    assert!(
        seed.lines().any(|l| l == line),
        "the seed never shows {line:?}"
    );
    line.to_string()
}

#[test]
fn the_seed_has_eight_programs_and_only_two_print_statements_change() {
    let programs = seed_programs();
    assert_eq!(programs.len(), 8, "{programs:#?}");
    let changed: Vec<usize> = (0..8)
        .filter(|&i| python3_print(&programs[i]) != programs[i])
        .collect();
    assert_eq!(changed, [5, 6], "the pipeline's ventilator and worker");
    for i in changed {
        let before: Vec<&str> = programs[i].lines().collect();
        let after = python3_print(&programs[i]);
        let differing: Vec<(&str, &str)> = before
            .iter()
            .zip(after.lines())
            .filter(|&(a, b)| *a != b)
            .map(|(a, b)| (*a, b))
            .collect();
        assert_eq!(differing.len(), 1, "{differing:?}");
        assert!(differing[0].0.trim_start().starts_with("print \""));
    }
}

#[test]
fn the_seed_s_request_reply_programs_run_on_pyzmq_over_ferrozmq() {
    let programs = seed_programs();
    let lines = run_scenario(&[("server", &programs[0], 1), ("client", &programs[1], 1)]);
    assert_ours(&lines, &["server", "client"]);
    assert_eq!(
        printed(&lines, "server"),
        [shown_by_seed("Received: Are you OK?")]
    );
    assert_eq!(
        printed(&lines, "client"),
        [shown_by_seed("response: I am OK!")]
    );
}

#[test]
fn the_seed_s_publish_subscribe_programs_run_on_pyzmq_over_ferrozmq() {
    let programs = seed_programs();
    let lines = run_scenario(&[
        ("server", &programs[2], 3),
        ("client1", &programs[3], 2),
        ("client2", &programs[4], 2),
    ]);
    assert_ours(&lines, &["server", "client1", "client2"]);
    let announce = shown_by_seed("发送消息");
    assert!(printed(&lines, "server").iter().all(|l| *l == announce));
    for client in ["client1", "client2"] {
        let got = printed(&lines, client);
        assert!(got.len() >= 2, "{client}: {got:?}");
        assert!(
            got.iter()
                .all(|l| *l == shown_by_seed("response: 消息群发")),
            "{got:?}"
        );
    }
}

#[test]
fn the_seed_s_pipeline_programs_run_on_pyzmq_over_ferrozmq() {
    let programs = seed_programs();
    let lines = run_scenario(&[
        ("client", &programs[7], 2),
        ("work", &programs[6], 2),
        ("server", &programs[5], 2),
    ]);
    assert_ours(&lines, &["client", "work", "server"]);
    let expect = |name: &str, line: &str| {
        let got = printed(&lines, name);
        assert!(got.len() >= 2, "{name}: {got:?}");
        let line = shown_by_seed(line);
        assert!(got.iter().all(|l| *l == line), "{name}: {got:?}");
    };
    expect("server", "已发送");
    expect("work", "正在转发...");
    expect("client", "response: 测试消息");
}

#[test]
fn pyzmq_s_asyncio_api_works_on_zmq_fd_and_zmq_events() {
    let (_, python) = pyzmq();
    let output = Command::new(python)
        .arg(python_dir().join("asyncio_smoke.py"))
        .output()
        .expect("run the asyncio smoke test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.starts_with("ok: libzmq 4.3.4 ticks True"),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn pyzmq_s_monitor_helpers_read_the_wire_feed() {
    let (_, python) = pyzmq();
    let output = Command::new(python)
        .arg(python_dir().join("monitor_helpers.py"))
        .output()
        .expect("run the monitor helpers test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.starts_with("ok: libzmq 4.3.4 events 6"),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
