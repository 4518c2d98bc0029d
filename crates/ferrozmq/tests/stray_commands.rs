//! Commands a socket type has no use for never reach its application (issue 12, finding 2).
//!
//! A raw peer completes the NULL handshake as a legitimate peer type, then sends JOIN,
//! LEAVE, SUBSCRIBE, CANCEL and a command nobody defines before an ordinary message. Only
//! data frames may come out of a socket as messages: each type must deliver the message
//! alone, then keep the connection and deliver the next one too (commands that mean
//! nothing to a socket are dropped, as libzmq drops them, not a reason to disconnect).
//! A PUB-side socket (XPUB) and a RADIO, whose peers do send them subscriptions and
//! memberships, must still act on those and only those.

mod common;

use common::*;
use ferrozmq::{
    Context, Socket, SocketType, CLIENT, DEALER, DISH, GATHER, PAIR, PULL, REP, ROUTER, SERVER,
    SUB, XPUB,
};
use std::time::Duration;

/// A command frame named `name` with `data` after the name.
fn command(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name);
    body.extend_from_slice(data);
    frame(FLAG_COMMAND, &body)
}

/// Every command a peer might slip in that most socket types have no use for.
fn stray_commands() -> Vec<u8> {
    [
        command(b"JOIN", b"grp"),
        command(b"LEAVE", b"grp"),
        command(b"SUBSCRIBE", b"topic"),
        command(b"CANCEL", b"topic"),
        command(b"HELLOTHERE", b"xyz"),
    ]
    .concat()
}

/// A socket under test and how a message reaches it.
struct Case {
    ours: SocketType,
    /// The Socket-Type the raw peer announces.
    peer: &'static str,
}

impl Case {
    /// The frames of a message carrying `body`, as the peer type sends it.
    fn message(&self, body: &[u8]) -> Vec<u8> {
        match self.peer {
            // REQ: the empty delimiter first.
            "REQ" => [frame(FLAG_MORE, b""), frame(0, body)].concat(),
            // RADIO: the group first.
            "RADIO" => [frame(FLAG_MORE, b"grp"), frame(0, body)].concat(),
            _ => frame(0, body),
        }
    }

    /// The next message's body as the application sees it (without envelope or address),
    /// or `None` when nothing arrives within `wait`.
    fn receive(&self, socket: &Socket, wait: Duration) -> Option<Vec<Vec<u8>>> {
        socket.options().set_rcvtimeo(Some(wait)).expect("rcvtimeo");
        let parts = match self.ours {
            s if s == SERVER => socket.recv_from().ok().map(|(_, m)| vec![m.to_vec()]),
            s if s == DISH => socket
                .recv_group()
                .ok()
                .map(|(group, m)| vec![group.into_bytes(), m.to_vec()]),
            _ => socket
                .recv_multipart()
                .ok()
                .map(|parts| parts.into_iter().map(|p| p.to_vec()).collect()),
        }?;
        Some(if self.ours == ROUTER {
            // The routing id the ROUTER gave the peer.
            parts[1..].to_vec()
        } else {
            parts
        })
    }

    fn expected(&self, body: &[u8]) -> Vec<Vec<u8>> {
        if self.ours == DISH {
            vec![b"grp".to_vec(), body.to_vec()]
        } else {
            vec![body.to_vec()]
        }
    }
}

fn stray_commands_are_not_messages(case: Case) {
    let ctx = Context::new();
    let socket = ctx.socket(case.ours).expect("socket");
    socket
        .options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    if case.ours == SUB {
        socket.subscribe("").expect("subscribe");
    }
    if case.ours == DISH {
        socket.join("grp").expect("join");
    }
    let endpoint = socket.bind("tcp://127.0.0.1:*").expect("bind");
    let mut peer = RawPeer::connect(&endpoint);
    peer.handshake(case.peer, 1);
    peer.write(&[stray_commands(), case.message(b"after")].concat());
    let what = format!("{} from a {} peer", case.ours, case.peer);
    assert_eq!(
        case.receive(&socket, TIMEOUT),
        Some(case.expected(b"after")),
        "{what}: the message after the commands, and only it"
    );
    assert_eq!(
        case.receive(&socket, Duration::from_millis(100)),
        None,
        "{what}: a command came out as a message"
    );
    if case.ours == REP {
        socket.send("reply").expect("reply");
    }
    // Dropped, not a reason to disconnect: the connection still carries messages.
    peer.write(&case.message(b"again"));
    assert_eq!(
        case.receive(&socket, TIMEOUT),
        Some(case.expected(b"again")),
        "{what}: the connection still works"
    );
}

macro_rules! stray_commands_for {
    ($($name:ident: $ours:expr, $peer:literal;)*) => {
        $(
            #[test]
            fn $name() {
                stray_commands_are_not_messages(Case { ours: $ours, peer: $peer });
            }
        )*
    };
}

stray_commands_for! {
    pull_delivers_only_data: PULL, "PUSH";
    router_delivers_only_data: ROUTER, "DEALER";
    dealer_delivers_only_data: DEALER, "DEALER";
    pair_delivers_only_data: PAIR, "PAIR";
    rep_delivers_only_data: REP, "REQ";
    sub_delivers_only_data: SUB, "PUB";
    server_delivers_only_data: SERVER, "CLIENT";
    client_delivers_only_data: CLIENT, "SERVER";
    gather_delivers_only_data: GATHER, "SCATTER";
    dish_delivers_only_data: DISH, "RADIO";
}

/// An XPUB hears of the subscriptions (its peers' business) and of nothing else.
#[test]
fn xpub_sees_subscriptions_but_no_other_command() {
    let ctx = Context::new();
    let xpub = ctx.socket(XPUB).expect("socket");
    xpub.options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    xpub.options()
        .set_rcvtimeo(Some(TIMEOUT))
        .expect("rcvtimeo");
    let endpoint = xpub.bind("tcp://127.0.0.1:*").expect("bind");
    let mut peer = RawPeer::connect(&endpoint);
    peer.handshake("SUB", 1);
    peer.write(&stray_commands());
    assert_eq!(xpub.recv().expect("subscription"), b"\x01topic");
    assert_eq!(xpub.recv().expect("cancellation"), b"\x00topic");
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        xpub.try_recv().is_err(),
        "JOIN, LEAVE or an unknown command reached the XPUB's application"
    );
}
