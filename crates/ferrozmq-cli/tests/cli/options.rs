//! Socket options as flags: shown by what they do to real processes, refused with one line
//! when their value is wrong, and all listed by `--help`.

use crate::support::{
    assert_fails_with_one_line, ferrozmq, ferrozmq_with_input, free_port, run, tcp,
};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

/// The lines `count` numbered messages make on standard input: `1` to `count`.
fn numbered_lines(count: u32) -> String {
    (1..=count).map(|i| format!("{i}\n")).collect()
}

#[test]
fn sndhwm_bounds_what_a_push_queues_for_a_peer_that_does_not_read() {
    // A listener nobody accepts from: the kernel completes the connection, and nothing
    // is ever read from it.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = silent.local_addr().expect("local address").port();
    let push = |lines| {
        ferrozmq_with_input(
            [
                "push",
                &format!(">{}", tcp(port)),
                "--sndhwm",
                "3",
                "--timeout",
                "300",
            ],
            &numbered_lines(lines),
        )
        .finish()
    };
    // Three messages fit in the queue: every send is taken, and the command fails only at
    // exit, because nobody ever took them from the queue.
    let fits = push(3);
    assert_fails_with_one_line(&fits, 1, "three queued messages, never delivered");
    assert!(
        fits.stderr.contains("3 messages not delivered"),
        "three messages fit: {fits:?}"
    );
    let overflows = push(4);
    assert_fails_with_one_line(&overflows, 1, "a fourth message");
    assert!(
        overflows.stderr.contains("could not send within 300 ms"),
        "{overflows:?}"
    );
}

#[test]
fn conflate_gives_a_late_pull_the_newest_message_and_drops_the_backlog() {
    let port = free_port();
    let sent = 500;
    // Nobody listens yet: the push queues what it reads, waiting to connect.
    let _push = ferrozmq_with_input(
        ["push", &format!(">{}", tcp(port)), "--timeout", "5000"],
        &numbered_lines(sent),
    );
    thread::sleep(Duration::from_millis(500));
    let pull = ferrozmq([
        "pull",
        &format!("@{}", tcp(port)),
        "--conflate",
        "--timeout",
        "1000",
    ])
    .finish();
    // Each message arriving takes the unread one's place. How many the pull catches in
    // passing depends on how the two threads are scheduled (usually none, a few under
    // load, more if the push was too slow to queue everything before the pull came): the
    // newest always arrives last and nothing ever arrives out of order.
    let received: Vec<u32> = pull
        .stdout
        .iter()
        .map(|line| line.parse().expect("a number"))
        .collect();
    assert_eq!(received.last(), Some(&sent), "{pull:?}");
    assert!(received.windows(2).all(|w| w[0] < w[1]), "{pull:?}");
    assert!(received.len() < sent as usize / 2, "{pull:?}");
}

#[test]
fn a_dealer_routing_id_is_what_the_router_prints() {
    let port = free_port();
    let router = ferrozmq(["router", &format!("@{}", tcp(port)), "--count", "1"]);
    let dealer = ferrozmq([
        "dealer",
        &format!(">{}", tcp(port)),
        "--routing-id",
        "alice",
        "--send",
        "hello",
        "--timeout",
        "1000",
    ]);
    let router = router.finish();
    assert!(router.status.success(), "{router:?}");
    assert_eq!(router.stdout, ["alice\thello"]);
    let dealer = dealer.finish();
    assert!(dealer.status.success(), "{dealer:?}");
}

#[test]
fn a_notifying_router_prints_its_peers_coming_and_going_around_their_hello() {
    let port = free_port();
    let router = ferrozmq([
        "router",
        &format!("@{}", tcp(port)),
        "--router-notify",
        "--count",
        "4",
        "--timeout",
        "5000",
    ]);
    let dealer = ferrozmq([
        "dealer",
        &format!(">{}", tcp(port)),
        "--routing-id",
        "alice",
        "--hello-msg",
        "hi",
        "--send",
        "hello",
        "--timeout",
        "1000",
    ]);
    let dealer = dealer.finish();
    assert!(dealer.status.success(), "{dealer:?}");
    let router = router.finish();
    assert!(router.status.success(), "{router:?}");
    assert_eq!(
        router.stdout,
        ["alice\t", "alice\thi", "alice\thello", "alice\t"]
    );
}

#[test]
fn requests_go_through_a_connection_with_heartbeats() {
    let port = free_port();
    let heartbeats = [
        "--heartbeat-ivl",
        "50",
        "--heartbeat-timeout",
        "500",
        "--heartbeat-ttl",
        "1000",
    ];
    let rep_endpoint = format!("@{}", tcp(port));
    let mut rep_args = vec!["rep", &rep_endpoint, "--count", "2"];
    rep_args.extend(heartbeats);
    let rep = ferrozmq(rep_args);
    let req_endpoint = format!(">{}", tcp(port));
    let mut req_args = vec![
        "req",
        &req_endpoint,
        "--send",
        "one",
        "--send",
        "two",
        "--count",
        "2",
        // Long enough for several PINGs and PONGs between the two requests.
        "--interval",
        "400",
        "--timeout",
        "5000",
    ];
    req_args.extend(heartbeats);
    let req = ferrozmq(req_args).finish();
    assert!(req.status.success(), "{req:?}");
    assert_eq!(req.stdout, ["one", "two"]);
    let rep = rep.finish();
    assert!(rep.status.success(), "{rep:?}");
}

#[test]
fn monitor_shows_the_reconnect_interval_doubling_up_to_its_maximum() {
    // Nobody listens: every attempt fails, and each retry reports its interval.
    let monitor = run([
        "monitor",
        "dealer",
        &format!(">{}", tcp(free_port())),
        "--reconnect-ivl",
        "20",
        "--reconnect-ivl-max",
        "80",
        "--count",
        "12",
        "--timeout",
        "5000",
    ]);
    assert!(monitor.status.success(), "{monitor:?}");
    let retries: Vec<_> = monitor
        .stdout
        .iter()
        .filter_map(|line| line.strip_prefix("CONNECT_RETRIED\t"))
        .map(|rest| rest.rsplit('\t').next().unwrap_or_default())
        .collect();
    assert!(retries.len() >= 3, "{monitor:?}");
    assert_eq!(retries[..3], ["20", "40", "80"], "{monitor:?}");
}

#[test]
fn proxy_sockets_take_their_own_options() {
    let front = free_port();
    let back = free_port();
    let _proxy = ferrozmq([
        "proxy",
        "pull",
        &format!("@{}", tcp(front)),
        "--rcvhwm",
        "10",
        "--heartbeat-ivl",
        "100",
        "push",
        &format!("@{}", tcp(back)),
        "--sndhwm",
        "10",
        "--linger",
        "0",
        "--reconnect-ivl",
        "50",
    ]);
    let pull = ferrozmq([
        "pull",
        &format!(">{}", tcp(back)),
        "--count",
        "3",
        "--timeout",
        "5000",
    ]);
    let push = ferrozmq([
        "push",
        &format!(">{}", tcp(front)),
        "--send",
        "a",
        "--send",
        "b",
        "--send",
        "c",
        "--timeout",
        "5000",
    ]);
    let pull = pull.finish();
    assert!(pull.status.success(), "{pull:?}");
    assert_eq!(pull.stdout, ["a", "b", "c"]);
    assert!(push.finish().status.success());
}

#[test]
fn values_out_of_range_exit_2_with_the_reason() {
    // Negative values are refused while reading the command line (the library's types
    // cannot hold them); the others by the library, with its reason.
    let cases: &[(&[&str], &str)] = &[
        (&["--sndhwm", "-1"], "a whole number of 0 or more"),
        (&["--rcvhwm", "-5"], "a whole number of 0 or more"),
        (
            &["--reconnect-ivl-max", "-1"],
            "a whole number of 0 or more",
        ),
        (&["--sndbuf", "-2"], "a whole number of -1 or more"),
        (&["--heartbeat-ivl", "-1"], "a whole number of 0 or more"),
        (&["--routing-id", ""], "routing id must be 1 to 255 bytes"),
        (&["--sndbuf", "3000000000"], "SNDBUF is at most"),
        (
            &["--heartbeat-ivl", "3000000000"],
            "HEARTBEAT_IVL is at most",
        ),
        (&["--reconnect-ivl-max", "3000000000"], "RECONNECT_IVL_MAX"),
    ];
    for (options, reason) in cases {
        let mut args = vec!["dealer", "tcp://127.0.0.1:5555"];
        args.extend_from_slice(options);
        let done = run(&args);
        assert_fails_with_one_line(&done, 2, &format!("{args:?}"));
        assert!(done.stderr.contains(reason), "{args:?}: {done:?}");
        assert!(done.stderr.contains(options[0]), "{args:?}: {done:?}");
    }
}

#[test]
fn bad_option_values_exit_2_with_one_line() {
    let cases: &[&[&str]] = &[
        &["pull", "tcp://127.0.0.1:5555", "--sndhwm"],
        &["pull", "tcp://127.0.0.1:5555", "--sndhwm", "many"],
        &["pull", "tcp://127.0.0.1:5555", "--sndhwm", "+5"],
        &["pull", "tcp://127.0.0.1:5555", "--sndhwm", "99999999999"],
        &[
            "pull",
            "tcp://127.0.0.1:5555",
            "--sndhwm",
            "1",
            "--sndhwm=2",
        ],
        &["pull", "tcp://127.0.0.1:5555", "--linger", "-2"],
        &["pull", "tcp://127.0.0.1:5555", "--reconnect-ivl", "-2"],
        &["pull", "tcp://127.0.0.1:5555", "--maxmsgsize", "-2"],
        &["pull", "tcp://127.0.0.1:5555", "--tcp-keepalive", "2"],
        &["pull", "tcp://127.0.0.1:5555", "--immediate=1"],
        &["pull", "tcp://127.0.0.1:5555", "--conflate=yes"],
        &["monitor", "pull", "tcp://127.0.0.1:5555", "--rcvhwm", "-1"],
        &["monitor", "pull", "tcp://127.0.0.1:5555", "--heartbeat-ivl"],
        &[
            "proxy",
            "--sndhwm",
            "1",
            "pull",
            "@tcp://127.0.0.1:5557",
            "push",
            "@tcp://127.0.0.1:5558",
        ],
        &[
            "proxy",
            "pull",
            "@tcp://127.0.0.1:5557",
            "push",
            "@tcp://127.0.0.1:5558",
            "--sndhwm",
            "-1",
        ],
        &[
            "proxy",
            "pull",
            "@tcp://127.0.0.1:5557",
            "--frobnicate",
            "push",
            "@tcp://127.0.0.1:5558",
        ],
    ];
    for args in cases {
        let done = run(*args);
        assert_fails_with_one_line(&done, 2, &format!("{args:?}"));
    }
}

#[test]
fn a_type_specific_flag_on_another_type_exits_2() {
    let cases: &[&[&str]] = &[
        &["dealer", "tcp://127.0.0.1:5555", "--router-mandatory"],
        &["pub", "tcp://127.0.0.1:5555", "--xpub-verbose"],
        &["rep", "tcp://127.0.0.1:5555", "--req-relaxed"],
        &["dealer", "tcp://127.0.0.1:5555", "--req-correlate"],
        &["pull", "tcp://127.0.0.1:5555", "--invert-matching"],
        &["router", "tcp://127.0.0.1:5555", "--conflate"],
        &[
            "monitor",
            "rep",
            "tcp://127.0.0.1:5555",
            "--router-mandatory",
        ],
        &[
            "proxy",
            "router",
            "@tcp://127.0.0.1:5557",
            "dealer",
            "@tcp://127.0.0.1:5558",
            "--router-mandatory",
        ],
    ];
    for args in cases {
        let done = run(*args);
        assert_fails_with_one_line(&done, 2, &format!("{args:?}"));
        assert!(done.stderr.contains("does not apply"), "{args:?}: {done:?}");
    }
}

#[test]
fn type_specific_flags_are_taken_by_their_types() {
    // Each binds to a port nobody uses and has nothing to do: accepted, it times out.
    let cases: &[&[&str]] = &[
        &["router", "--router-mandatory"],
        &["xpub", "--xpub-verbose"],
        &["sub", "--invert-matching"],
        &["pull", "--conflate"],
    ];
    for case in cases {
        let endpoint = format!("@{}", tcp(free_port()));
        let mut args = vec![case[0], &endpoint, "--timeout", "200"];
        args.extend_from_slice(&case[1..]);
        let done = run(&args);
        assert_fails_with_one_line(&done, 1, &format!("{args:?}"));
        assert!(done.stderr.contains("timed out"), "{args:?}: {done:?}");
    }
    let req = run([
        "req",
        &format!(">{}", tcp(free_port())),
        "--req-relaxed",
        "--req-correlate",
        "--send",
        "anyone?",
        "--timeout",
        "200",
    ]);
    assert_fails_with_one_line(&req, 1, "req with its options");
    assert!(req.stderr.contains("timed out"), "{req:?}");
}

#[test]
fn help_lists_every_socket_option() {
    let help = run(["--help"]);
    assert!(help.status.success(), "{help:?}");
    for flag in [
        "--sndhwm N",
        "--rcvhwm N",
        "--linger MS",
        "--heartbeat-ivl MS",
        "--heartbeat-timeout MS",
        "--heartbeat-ttl MS",
        "--reconnect-ivl MS",
        "--reconnect-ivl-max MS",
        "--connect-timeout MS",
        "--handshake-ivl MS",
        "--immediate",
        "--conflate",
        "--maxmsgsize BYTES",
        "--maxmsgparts N",
        "--maxmultipartsize BYTES",
        "--ipv6",
        "--routing-id ID",
        "--tcp-keepalive 0|1",
        "--sndbuf BYTES",
        "--rcvbuf BYTES",
        "--router-mandatory",
        "--router-notify",
        "--hello-msg TEXT",
        "--disconnect-msg TEXT",
        "--hiccup-msg TEXT",
        "--xpub-verbose",
        "--req-relaxed",
        "--req-correlate",
        "--invert-matching",
    ] {
        assert!(
            help.stdout
                .iter()
                .any(|line| line.trim_start().starts_with(flag)),
            "{flag} missing from --help: {help:?}"
        );
    }
}

#[test]
fn socks_proxy_flags_connect_through_a_real_socks5_proxy_with_a_password() {
    use crate::support::Process;
    let proxy_port = free_port();
    let mut proxy = Process::spawn(
        "python3",
        [
            "-u",
            "-m",
            "pproxy",
            "-v",
            "-l",
            &format!("socks5://127.0.0.1:{proxy_port}#alice:s3cret"),
        ],
        None,
    );
    proxy.expect_lines(1); // "Serving on ...": it listens.
    let port = free_port();
    let _push = ferrozmq_with_input(["push", &format!("@{}", tcp(port))], "through the proxy\n");
    let mut pull = ferrozmq([
        "pull",
        &format!(">{}", tcp(port)),
        "--socks-proxy",
        &format!("127.0.0.1:{proxy_port}"),
        "--socks-username",
        "alice",
        "--socks-password",
        "s3cret",
    ]);
    assert_eq!(pull.expect_lines(1), ["through the proxy"]);
    let relayed = proxy.expect_lines(1);
    assert!(
        relayed[0].ends_with(&format!("-> 127.0.0.1:{port}")),
        "{relayed:?}"
    );
}
