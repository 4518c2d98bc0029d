use ferrozmq::*;
use std::time::Duration;

fn ctx() -> Context {
    Context::new()
}

#[test]
fn req_rep_over_tcp() {
    let ctx = ctx();
    let rep = ctx.socket(REP).unwrap();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let ep = rep.get_last_endpoint().unwrap().unwrap();
    let req = ctx.socket(REQ).unwrap();
    req.connect(&ep).unwrap();
    for _ in 0..3 {
        req.send("Are you OK?", 0).unwrap();
        assert_eq!(rep.recv_string(0).unwrap().unwrap(), "Are you OK?");
        rep.send("I am OK!", 0).unwrap();
        assert_eq!(req.recv_string(0).unwrap().unwrap(), "I am OK!");
    }
}

fn push_pull(ep: &str) {
    {
        let ctx = ctx();
        let pull = ctx.socket(PULL).unwrap();
        pull.bind(ep).unwrap();
        let ep = pull.get_last_endpoint().unwrap().unwrap();
        let push = ctx.socket(PUSH).unwrap();
        push.connect(&ep).unwrap();
        let t = std::thread::spawn(move || {
            for i in 0..10000u32 {
                push.send(&i.to_be_bytes()[..], 0).unwrap();
            }
        });
        for i in 0..10000u32 {
            assert_eq!(
                pull.recv_bytes(0).unwrap(),
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
    publisher.bind("tcp://127.0.0.1:*").unwrap();
    let ep = publisher.get_last_endpoint().unwrap().unwrap();
    let sub = ctx.socket(SUB).unwrap();
    sub.connect(&ep).unwrap();
    sub.set_subscribe(b"A").unwrap();
    sub.set_rcvtimeo(100).unwrap();
    let mut got = None;
    for _ in 0..50 {
        publisher.send("B-no", 0).unwrap();
        publisher.send("A-yes", 0).unwrap();
        if let Ok(m) = sub.recv_string(0) {
            got = Some(m.unwrap());
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
