use ferrozmq::*;
use std::time::Duration;

fn ctx() -> Context {
    Context::new()
}

#[test]
fn req_rep_over_tcp() {
    let ctx = ctx();
    let rep = ctx.socket(REP).unwrap();
    let ep = rep.bind("tcp://127.0.0.1:*").unwrap();
    let req = ctx.socket(REQ).unwrap();
    req.connect(&ep).unwrap();
    for _ in 0..3 {
        req.send("Are you OK?").unwrap();
        assert_eq!(rep.recv().unwrap(), "Are you OK?");
        rep.send("I am OK!").unwrap();
        assert_eq!(req.recv().unwrap(), "I am OK!");
    }
}

fn push_pull(ep: &str) {
    {
        let ctx = ctx();
        let pull = ctx.socket(PULL).unwrap();
        let ep = pull.bind(ep).unwrap();
        let push = ctx.socket(PUSH).unwrap();
        push.connect(&ep).unwrap();
        let t = std::thread::spawn(move || {
            for i in 0..10000u32 {
                push.send(&i.to_be_bytes()[..]).unwrap();
            }
        });
        for i in 0..10000u32 {
            assert_eq!(
                pull.recv().map(Vec::from).unwrap(),
                i.to_be_bytes().to_vec(),
                "{ep}"
            );
        }
        t.join().unwrap();
    }
}

#[test]
fn pub_sub_over_tcp() {
    let ctx = ctx();
    let publisher = ctx.socket(PUB).unwrap();
    let ep = publisher.bind("tcp://127.0.0.1:*").unwrap();
    let sub = ctx.socket(SUB).unwrap();
    sub.connect(&ep).unwrap();
    sub.subscribe(b"A").unwrap();
    sub.options()
        .set_rcvtimeo(Some(Duration::from_millis(100)))
        .unwrap();
    let mut got = None;
    for _ in 0..50 {
        publisher.send("B-no").unwrap();
        publisher.send("A-yes").unwrap();
        if let Ok(m) = sub.recv() {
            got = Some(m.as_str().expect("utf8").to_string());
            break;
        }
    }
    assert_eq!(got.as_deref(), Some("A-yes"));
    std::thread::sleep(Duration::from_millis(10));
}

#[test]
fn pp_tcp() {
    push_pull("tcp://127.0.0.1:*")
}
#[test]
fn pp_ipc() {
    push_pull("ipc://*")
}
#[test]
fn pp_inproc() {
    push_pull("inproc://pp")
}
