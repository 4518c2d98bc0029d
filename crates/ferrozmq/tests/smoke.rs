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

/// Over ipc the I/O thread watches a connection for writability only while a write is
/// blocked (a unix-domain stream is reported writable each time the peer reads, which
/// would wake it once per message). Messages of 1 MiB, each larger than the socket
/// buffers, block the writer many times over; every time, the reader's progress must wake
/// it again, in both directions.
#[test]
fn ipc_writes_resume_each_time_the_socket_buffer_fills() {
    const PARTS: u8 = 32;
    let ctx = ctx();
    let near = ctx.socket(PAIR).unwrap();
    let endpoint = near.bind("ipc://*").unwrap();
    let far = ctx.socket(PAIR).unwrap();
    far.connect(&endpoint).unwrap();
    for socket in [&near, &far] {
        let options = socket.options();
        options.set_sndhwm(2).unwrap();
        options.set_rcvhwm(2).unwrap();
        options.set_rcvtimeo(Some(Duration::from_secs(10))).unwrap();
    }
    let body = |i: u8| vec![i; 1 << 20];
    let sender = std::thread::spawn(move || {
        for i in 0..PARTS {
            near.send(body(i)).unwrap();
        }
        for i in 0..PARTS {
            assert_eq!(&near.recv().unwrap()[..], &body(i)[..], "reply {i}");
        }
    });
    for i in 0..PARTS {
        assert_eq!(&far.recv().unwrap()[..], &body(i)[..], "message {i}");
    }
    for i in 0..PARTS {
        far.send(body(i)).unwrap();
    }
    sender.join().unwrap();
}
