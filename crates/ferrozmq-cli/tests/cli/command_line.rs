//! The command line itself: help per command, suggestions for typos, options before the
//! command, completions and the man page.

use crate::support::{assert_fails_with_one_line, free_port, run, tcp};

#[test]
fn each_command_has_its_own_help() {
    let rep = run(["rep", "--help"]);
    assert!(rep.status.success(), "{rep:?}");
    let text = rep.stdout.join("\n");
    assert!(text.contains("Usage: ferrozmq rep ENDPOINT..."), "{text}");
    let lists = |help: &[String], option: &str| {
        help.iter()
            .any(|line| line.trim_start().starts_with(&format!("{option} ")))
    };
    // Its own options and the socket options every type has ...
    for shown in [
        "--reply",
        "--count",
        "--timeout",
        "--sndhwm",
        "--curve-server",
    ] {
        assert!(
            lists(&rep.stdout, shown),
            "{shown} missing from rep --help:\n{text}"
        );
    }
    // ... and not those of other types.
    for hidden in [
        "--subscribe",
        "--router-mandatory",
        "--group",
        "--wait-peers",
    ] {
        assert!(
            !lists(&rep.stdout, hidden),
            "{hidden} in rep --help:\n{text}"
        );
    }
    let sub = run(["sub", "--help"]).stdout;
    assert!(lists(&sub, "--subscribe"), "{sub:?}");
    assert!(!lists(&sub, "--reply"), "{sub:?}");
    // Far shorter than the overview of everything.
    let overview = run(["--help"]).stdout;
    assert!(rep.stdout.len() < overview.len(), "{overview:?}");
}

#[test]
fn help_subcommand_shows_the_overview_and_each_commands_help() {
    let overview = run(["help"]);
    assert!(overview.status.success(), "{overview:?}");
    assert!(
        overview
            .stdout
            .iter()
            .any(|l| l.trim_start().starts_with("--sndhwm N")),
        "{overview:?}"
    );
    let rep = run(["help", "rep"]);
    assert!(rep.status.success(), "{rep:?}");
    assert_eq!(rep.stdout, run(["rep", "--help"]).stdout);
    let proxy = run(["help", "proxy"]);
    assert!(proxy.status.success(), "{proxy:?}");
    assert!(
        proxy.stdout.iter().any(|l| l.contains("FRONT_TYPE")),
        "{proxy:?}"
    );
}

#[test]
fn typos_get_a_suggestion() {
    let cases: &[(&[&str], &str)] = &[
        (&["rpe", "tcp://127.0.0.1:5555"], "did you mean 'rep'?"),
        (&["dmeo"], "did you mean 'demo'?"),
        (
            &["rep", "tcp://127.0.0.1:5555", "--replay", "x"],
            "'--reply'",
        ),
        (
            &["push", "tcp://127.0.0.1:5555", "--sndhmw", "1"],
            "'--sndhwm'",
        ),
        (
            &["pub", "tcp://127.0.0.1:5555", "--wait-peer", "1"],
            "'--wait-peers'",
        ),
    ];
    for (args, suggestion) in cases {
        let done = run(*args);
        assert_fails_with_one_line(&done, 2, &format!("{args:?}"));
        assert!(done.stderr.contains(suggestion), "{args:?}: {done:?}");
    }
}

#[test]
fn options_may_come_before_the_command() {
    let endpoint = format!("@{}", tcp(free_port()));
    let done = run(["--timeout", "200", "--rcvhwm", "5", "pull", &endpoint]);
    // Taken as pull's options: it waited 200 ms for a message, in vain.
    assert_fails_with_one_line(&done, 1, "options first");
    assert!(done.stderr.contains("within 200 ms"), "{done:?}");
    let inline = run(["--timeout=200", "pull", &format!("@{}", tcp(free_port()))]);
    assert!(inline.stderr.contains("within 200 ms"), "{inline:?}");
}

#[test]
fn completions_are_generated_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef ferrozmq"),
        ("fish", "complete -c ferrozmq"),
        ("elvish", "ferrozmq"),
        ("powershell", "ferrozmq"),
    ] {
        let done = run(["completions", shell]);
        assert!(done.status.success(), "{shell}: {done:?}");
        let script = done.stdout.join("\n");
        assert!(script.contains(marker), "{shell}: {script}");
        // Commands, socket types and options generated from the table are all offered.
        for word in ["monitor", "xpub", "wait-peers", "heartbeat-ivl"] {
            assert!(script.contains(word), "{shell}: {word} missing");
        }
    }
    let done = run(["completions", "tcsh"]);
    assert_fails_with_one_line(&done, 2, "unknown shell");
}

#[test]
fn bash_completion_completes_a_socket_type() {
    // Loads the script into bash and asks it what `ferrozmq pu<TAB>` completes to.
    let script = run(["completions", "bash"]).stdout.join("\n");
    let probe = format!(
        "{script}\nCOMP_WORDS=(ferrozmq pu); COMP_CWORD=1; COMP_LINE='ferrozmq pu'; \
         COMP_POINT=${{#COMP_LINE}}; _ferrozmq ferrozmq pu ferrozmq; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\""
    );
    // On stdin, not as `bash -c`: the script is over the 128 KiB a single argument may be.
    let done = crate::support::Process::spawn("bash", ["-s"], Some(probe.as_str())).finish();
    assert!(done.status.success(), "{done:?}");
    let mut offered = done.stdout.clone();
    offered.sort();
    assert_eq!(offered, ["pub", "pull", "push"], "{done:?}");
}

#[test]
fn man_page_is_roff_describing_the_commands() {
    let done = run(["man"]);
    assert!(done.status.success(), "{done:?}");
    let page = done.stdout.join("\n");
    assert!(page.contains(".TH ferrozmq"), "{page}");
    for word in ["monitor", "proxy", "ZeroMQ"] {
        assert!(page.contains(word), "{word} missing from the man page");
    }
}

#[test]
fn version_prints_the_crate_version() {
    let done = run(["--version"]);
    assert!(done.status.success(), "{done:?}");
    assert_eq!(
        done.stdout,
        [format!("ferrozmq {}", env!("CARGO_PKG_VERSION"))]
    );
}
