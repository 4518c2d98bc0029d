//! The security flags and `keygen`: CURVE and PLAIN between two processes of the command,
//! the keys and users a server accepts, and flags that do not go together.

use crate::support::{ferrozmq, free_port, run, tcp};

/// A key pair from `ferrozmq keygen`: (public, secret).
fn keygen() -> (String, String) {
    let done = run(["keygen"]);
    assert!(done.status.success(), "{done:?}");
    let [public, secret] = done.stdout.as_slice() else {
        panic!("keygen printed {:?}", done.stdout)
    };
    let public = public.strip_prefix("public: ").expect("public line");
    let secret = secret.strip_prefix("secret: ").expect("secret line");
    (public.to_string(), secret.to_string())
}

#[test]
fn keygen_prints_a_z85_pair_whose_halves_belong_together() {
    let (public, secret) = keygen();
    assert_eq!((public.len(), secret.len()), (40, 40));
    let secret = ferrozmq::CurveSecretKey::from_z85(&secret).expect("a Z85 secret key");
    assert_eq!(secret.public_key().to_z85(), public);
    assert_ne!(keygen().0, public, "every run makes a new pair");
}

/// A CURVE rep server that lets in `allowed`, answering "sealed" once.
fn curve_rep(port: u16, server_secret: &str, allowed: &str) -> crate::support::Process {
    ferrozmq([
        "rep",
        &format!("@{}", tcp(port)),
        "--reply",
        "sealed",
        "--count",
        "1",
        "--curve-server",
        server_secret,
        "--allow-key",
        allowed,
    ])
}

fn curve_req(port: u16, secret: &str, server_public: &str) -> crate::support::Finished {
    run([
        "req",
        &format!(">{}", tcp(port)),
        "--send",
        "hello",
        "--timeout",
        "2000",
        "--curve-client",
        secret,
        "--curve-serverkey",
        server_public,
    ])
}

#[test]
fn curve_client_with_an_allowed_key_gets_its_reply() {
    let port = free_port();
    let (server_public, server_secret) = keygen();
    let (client_public, client_secret) = keygen();
    let rep = curve_rep(port, &server_secret, &client_public);
    let req = curve_req(port, &client_secret, &server_public);
    assert!(req.status.success(), "{req:?}");
    assert_eq!(req.stdout, ["sealed"]);
    let rep = rep.finish();
    assert_eq!(rep.stdout, ["hello"]);
}

#[test]
fn curve_client_whose_key_is_not_allowed_times_out() {
    let port = free_port();
    let (server_public, server_secret) = keygen();
    let (allowed, _) = keygen();
    let (_, stranger_secret) = keygen();
    let _rep = curve_rep(port, &server_secret, &allowed);
    let req = curve_req(port, &stranger_secret, &server_public);
    assert_eq!(req.status.code(), Some(1), "{req:?}");
    assert!(req.stdout.is_empty());
}

#[test]
fn plain_server_accepts_the_user_it_was_given() {
    let port = free_port();
    let rep = ferrozmq([
        "rep",
        &format!("@{}", tcp(port)),
        "--count",
        "1",
        "--plain-user",
        "admin",
        "--plain-password",
        "secret",
    ]);
    let login = |password: &str| {
        run([
            "req",
            &format!(">{}", tcp(port)),
            "--send",
            "let me in",
            "--timeout",
            "1500",
            "--plain-user",
            "admin",
            "--plain-password",
            password,
        ])
    };
    let refused = login("guess");
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let admitted = login("secret");
    assert!(admitted.status.success(), "{admitted:?}");
    assert_eq!(admitted.stdout, ["let me in"]);
    assert_eq!(rep.finish().stdout, ["let me in"]);
}

#[test]
fn security_flags_that_do_not_go_together_are_usage_errors() {
    let (public, secret) = keygen();
    for args in [
        vec!["req", ">tcp://127.0.0.1:1", "--curve-client", &secret],
        vec!["rep", "@tcp://127.0.0.1:1", "--allow-key", &public],
        vec!["req", ">tcp://127.0.0.1:1", "--plain-user", "admin"],
        vec!["rep", "@tcp://127.0.0.1:1", "--curve-server", "not a key"],
    ] {
        let done = run(&args);
        assert_eq!(done.status.code(), Some(2), "{args:?}: {done:?}");
    }
}

#[test]
fn keys_and_passwords_may_start_with_a_hyphen() {
    // '-' is a Z85 digit: one key in 85 from keygen starts with it. A valid key of that
    // form, and a server nobody runs: the request times out (1), it is not refused (2).
    let key = format!("-{}", "0".repeat(39));
    let done = run([
        "req",
        ">tcp://127.0.0.1:1",
        "--send",
        "hello",
        "--timeout",
        "200",
        "--curve-client",
        &key,
        "--curve-serverkey",
        &key,
    ]);
    assert_eq!(done.status.code(), Some(1), "{done:?}");
    let done = run([
        "req",
        ">tcp://127.0.0.1:1",
        "--send",
        "hello",
        "--timeout",
        "200",
        "--plain-user",
        "-admin",
        "--plain-password",
        "-secret",
    ]);
    assert_eq!(done.status.code(), Some(1), "{done:?}");
}
