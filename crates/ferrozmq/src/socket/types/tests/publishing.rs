//! PUB, XPUB, SUB, XSUB, RADIO and DISH: filtering by subscription or group, where the
//! subscriptions travel, and dropping (not blocking) for a slow subscriber.

use super::*;

fn subscribe(peer: &mut Peer, prefix: &[u8]) {
    peer.send_control(Message::subscription(prefix, true));
}

fn cancel(peer: &mut Peer, prefix: &[u8]) {
    peer.send_control(Message::subscription(prefix, false));
}

/// What the XPUB application receives now, each message as bytes.
fn notices(xpub: &mut Socket) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| xpub.recv())
        .map(|m| m.concat())
        .collect()
}

#[test]
fn pub_sends_each_message_to_the_subscribers_of_a_prefix_of_it() {
    let mut publisher = Socket::new(SocketType::Pub);
    let mut news = publisher.connect(b"", 10);
    let mut all = publisher.connect(b"", 10);
    let mut none = publisher.connect(b"", 10);
    subscribe(&mut news, b"news");
    subscribe(&mut all, b"");
    publisher.send(&[b"news.today", b"body"]);
    publisher.send(&[b"weather"]);
    publisher.send(&[b"new"]);
    assert_eq!(news.recv_all(), vec![msg(&[b"news.today", b"body"])]);
    assert_eq!(
        all.recv_all(),
        vec![
            msg(&[b"news.today", b"body"]),
            msg(&[b"weather"]),
            msg(&[b"new"])
        ]
    );
    assert!(none.recv_all().is_empty());
    assert_eq!(publisher.pattern.subscribers(), Some(2));
}

#[test]
fn pub_understands_zmtp_3_0_subscription_messages() {
    let mut publisher = Socket::new(SocketType::Pub);
    let mut peer = publisher.connect(b"", 10);
    peer.send(&[b"\x01a"]);
    publisher.send(&[b"abc"]);
    peer.send(&[b"\x00a"]);
    publisher.send(&[b"abd"]);
    assert_eq!(peer.recv_all(), vec![msg(&[b"abc"])]);
}

#[test]
fn pub_stops_sending_once_the_subscription_is_cancelled() {
    let mut publisher = Socket::new(SocketType::Pub);
    let mut peer = publisher.connect(b"", 10);
    subscribe(&mut peer, b"a");
    publisher.send(&[b"a1"]);
    // Per peer a prefix is subscribed or not, as in libzmq: one cancel ends two subscribes
    // (a SUB counts its own and sends only the last cancel).
    subscribe(&mut peer, b"a");
    cancel(&mut peer, b"a");
    publisher.send(&[b"a2"]);
    assert_eq!(peer.recv_all(), vec![msg(&[b"a1"])]);
    assert_eq!(publisher.pattern.subscribers(), Some(0));
}

#[test]
fn pub_drops_for_a_full_subscriber_and_never_blocks() {
    let mut publisher = Socket::new(SocketType::Pub);
    let mut slow = publisher.connect(b"", 1);
    let mut fast = publisher.connect(b"", 10);
    subscribe(&mut slow, b"");
    subscribe(&mut fast, b"");
    for i in 0..3u8 {
        assert!(publisher.has_out());
        publisher.send(&[&[i], b"part"]);
    }
    assert_eq!(slow.recv_all(), vec![msg(&[&[0], b"part"])]);
    assert_eq!(fast.recv_all().len(), 3);
    publisher.send(&[b"after"]);
    assert_eq!(
        slow.recv_all(),
        vec![msg(&[b"after"])],
        "room again: it gets the next"
    );
}

#[test]
fn pub_with_invert_matching_sends_what_matches_no_subscription() {
    let mut publisher = Socket::new(SocketType::Pub).with(PatternOption::InvertMatching(true));
    let mut peer = publisher.connect(b"", 10);
    subscribe(&mut peer, b"skip");
    publisher.send(&[b"skip me"]);
    publisher.send(&[b"keep me"]);
    assert_eq!(peer.recv_all(), vec![msg(&[b"keep me"])]);
}

#[test]
fn pub_refuses_to_receive() {
    let mut publisher = Socket::new(SocketType::Pub);
    assert!(matches!(
        publisher.recv_part(),
        Err(RecvError::Fail(Error::NotSupported))
    ));
}

#[test]
fn xpub_passes_a_prefix_s_first_subscription_and_last_cancel() {
    let mut xpub = Socket::new(SocketType::XPub);
    let mut a = xpub.connect(b"", 10);
    let mut b = xpub.connect(b"", 10);
    subscribe(&mut a, b"t");
    subscribe(&mut b, b"t");
    assert_eq!(notices(&mut xpub), vec![b"\x01t".to_vec()]);
    cancel(&mut a, b"t");
    assert!(notices(&mut xpub).is_empty());
    cancel(&mut b, b"t");
    assert_eq!(notices(&mut xpub), vec![b"\x00t".to_vec()]);
}

#[test]
fn xpub_verbose_passes_every_subscription_and_verboser_every_cancel() {
    let mut xpub = Socket::new(SocketType::XPub)
        .with(PatternOption::XpubVerbose(true))
        .with(PatternOption::XpubVerboser(true));
    let mut a = xpub.connect(b"", 10);
    let mut b = xpub.connect(b"", 10);
    subscribe(&mut a, b"t");
    assert_eq!(notices(&mut xpub), vec![b"\x01t".to_vec()]);
    subscribe(&mut b, b"t");
    assert_eq!(
        notices(&mut xpub),
        vec![b"\x01t".to_vec()],
        "not new, passed anyway"
    );
    cancel(&mut a, b"t");
    assert_eq!(
        notices(&mut xpub),
        vec![b"\x00t".to_vec()],
        "not the last, passed"
    );
}

#[test]
fn xpub_announces_the_prefixes_a_departed_subscriber_leaves_empty() {
    let mut xpub = Socket::new(SocketType::XPub);
    let mut a = xpub.connect(b"", 10);
    let mut b = xpub.connect(b"", 10);
    subscribe(&mut a, b"only a");
    subscribe(&mut a, b"shared");
    subscribe(&mut b, b"shared");
    assert_eq!(notices(&mut xpub).len(), 2);
    drop(a);
    assert_eq!(notices(&mut xpub), vec![b"\x00only a".to_vec()]);
    xpub.send(&[b"shared news"]);
    assert_eq!(b.recv_all(), vec![msg(&[b"shared news"])]);
}

#[test]
fn xpub_manual_delivers_only_what_the_application_applied() {
    let mut xpub = Socket::new(SocketType::XPub).with(PatternOption::XpubManual(true));
    let mut a = xpub.connect(b"", 10);
    subscribe(&mut a, b"asked");
    assert_eq!(notices(&mut xpub), vec![b"\x01asked".to_vec()]);
    xpub.send(&[b"asked for"]);
    assert!(a.recv_all().is_empty(), "not applied yet");
    assert!(xpub.subscribe(b"granted", true).is_ok());
    xpub.send(&[b"asked for"]);
    xpub.send(&[b"granted"]);
    assert_eq!(a.recv_all(), vec![msg(&[b"granted"])]);
}

#[test]
fn xpub_welcomes_each_new_subscriber() {
    let welcome = Message::from_slice(b"welcome");
    let mut xpub = Socket::new(SocketType::XPub).with(PatternOption::XpubWelcome(Some(welcome)));
    let mut a = xpub.connect(b"", 10);
    let mut b = xpub.connect(b"", 10);
    assert_eq!(a.recv_all(), vec![msg(&[b"welcome"])]);
    assert_eq!(b.recv_all(), vec![msg(&[b"welcome"])]);
}

#[test]
fn xpub_nodrop_waits_for_a_full_subscriber() {
    let mut xpub = Socket::new(SocketType::XPub).with(PatternOption::XpubNodrop(true));
    let mut slow = xpub.connect(b"", 1);
    subscribe(&mut slow, b"");
    xpub.send(&[b"1"]);
    assert!(would_block(xpub.try_send(&[b"2"])));
    assert_eq!(slow.recv_all(), vec![msg(&[b"1"])]);
    xpub.send(&[b"2"]);
    assert_eq!(slow.recv_all(), vec![msg(&[b"2"])]);
}

#[test]
fn xpub_hands_other_upstream_messages_to_the_application() {
    let mut xpub = Socket::new(SocketType::XPub);
    let mut peer = xpub.connect(b"", 10);
    peer.send(&[b"\x02not a subscription"]);
    peer.send(&[b"\x01multipart", b"is data"]);
    assert_eq!(xpub.recv(), Some(msg(&[b"\x02not a subscription"])));
    assert_eq!(xpub.recv(), Some(msg(&[b"\x01multipart", b"is data"])));
    xpub.send(&[b"multipart"]);
    assert!(peer.recv_all().is_empty(), "that was no subscription");
}

#[test]
fn xpub_stops_reading_a_subscriber_that_outruns_the_application() {
    let mut xpub = Socket::new(SocketType::XPub).with(PatternOption::XpubVerbose(true));
    let mut flood = xpub.connect(b"", 0);
    for i in 0..1500u32 {
        subscribe(&mut flood, &i.to_be_bytes());
    }
    xpub.process_events();
    let id = flood.id;
    assert_eq!(
        xpub.pipes.end(id).queued_inbound(),
        500,
        "what the application has not taken stays in the pipe"
    );
    let got = notices(&mut xpub);
    assert_eq!(
        got.len(),
        1500,
        "and is read as the application takes notices"
    );
    assert_eq!(got[1499][1..], 1499u32.to_be_bytes());
}

#[test]
fn sub_sends_its_subscriptions_to_every_publisher_old_and_new() {
    let mut sub = Socket::new(SocketType::Sub);
    let mut old = sub.connect(b"", 10);
    assert!(sub.subscribe(b"a", true).is_ok());
    assert!(sub.subscribe(b"a", true).is_ok());
    assert!(sub.subscribe(b"b", true).is_ok());
    let mut new = sub.connect(b"", 10);
    assert!(sub.subscribe(b"a", false).is_ok());
    assert_eq!(
        old.control_messages(),
        vec![
            (Kind::Subscribe, b"a".to_vec()),
            (Kind::Subscribe, b"a".to_vec()),
            (Kind::Subscribe, b"b".to_vec()),
        ],
        "the first of two cancels of a stays here"
    );
    let mut got = new.control_messages();
    got.sort_by(|x, y| x.1.cmp(&y.1));
    assert_eq!(
        got,
        vec![
            (Kind::Subscribe, b"a".to_vec()),
            (Kind::Subscribe, b"b".to_vec())
        ]
    );
    assert!(sub.subscribe(b"a", false).is_ok());
    assert_eq!(old.control_messages(), vec![(Kind::Cancel, b"a".to_vec())]);
    assert_eq!(new.control_messages(), vec![(Kind::Cancel, b"a".to_vec())]);
}

#[test]
fn sub_drops_whole_messages_that_match_no_subscription() {
    let mut sub = Socket::new(SocketType::Sub);
    let mut publisher = sub.connect(b"", 10);
    assert!(sub.subscribe(b"yes", true).is_ok());
    publisher.send(&[b"no", b"yes: a second part is not matched"]);
    publisher.send(&[b"yes please", b"second"]);
    publisher.send(&[b"nope"]);
    assert!(sub.has_in());
    assert_eq!(sub.recv(), Some(msg(&[b"yes please", b"second"])));
    assert!(!sub.has_in());
    assert_eq!(sub.recv(), None);
}

#[test]
fn sub_with_invert_matching_delivers_what_matches_nothing() {
    let mut sub = Socket::new(SocketType::Sub).with(PatternOption::InvertMatching(true));
    let mut publisher = sub.connect(b"", 10);
    assert!(sub.subscribe(b"x", true).is_ok());
    publisher.send(&[b"xyz"]);
    publisher.send(&[b"abc"]);
    assert_eq!(sub.recv(), Some(msg(&[b"abc"])));
    assert_eq!(sub.recv(), None);
}

#[test]
fn sub_refuses_to_send() {
    let mut sub = Socket::new(SocketType::Sub);
    assert!(failed_with(sub.try_send(&[b"x"]), |e| matches!(
        e,
        Error::NotSupported
    )));
}

#[test]
fn xsub_turns_subscription_messages_into_subscriptions_for_every_publisher() {
    let mut xsub = Socket::new(SocketType::XSub);
    let mut old = xsub.connect(b"", 10);
    xsub.send(&[b"\x01topic"]);
    let mut new = xsub.connect(b"", 10);
    xsub.send(&[b"\x00topic"]);
    xsub.send(&[b"\x05upstream", b"data"]);
    let expected = vec![
        (Kind::Subscribe, b"topic".to_vec()),
        (Kind::Cancel, b"topic".to_vec()),
    ];
    let control = |peer: &mut Peer| {
        let mut control = Vec::new();
        let mut data = Vec::new();
        while let Some(m) = peer.recv_part() {
            match m.kind() {
                Kind::Data => data.push(m.as_slice().to_vec()),
                kind => control.push((kind, m.as_slice().to_vec())),
            }
        }
        (control, data)
    };
    let data = vec![b"\x05upstream".to_vec(), b"data".to_vec()];
    assert_eq!(control(&mut old), (expected.clone(), data.clone()));
    assert_eq!(
        control(&mut new),
        (expected, data),
        "the new one hears it too"
    );
}

#[test]
fn xsub_delivers_every_data_message_unfiltered() {
    let mut xsub = Socket::new(SocketType::XSub);
    let mut publisher = xsub.connect(b"", 10);
    publisher.send(&[b"anything", b"at all"]);
    publisher.send_control(Message::subscription(b"stray", true));
    publisher.send(&[b"more"]);
    assert_eq!(xsub.recv(), Some(msg(&[b"anything", b"at all"])));
    assert_eq!(
        xsub.recv(),
        Some(msg(&[b"more"])),
        "a stray command is dropped"
    );
    assert_eq!(xsub.recv(), None);
}

#[test]
fn radio_sends_to_the_members_of_the_group_only() {
    let mut radio = Socket::new(SocketType::Radio);
    let mut member = radio.connect(b"", 10);
    let mut other = radio.connect(b"", 10);
    let mut udp = radio.connect_from(b"", "udp://127.0.0.1:5555", 10);
    member.send_control(Message::membership(b"g", true));
    other.send_control(Message::membership(b"g2", true));
    assert!(radio
        .send_to(Address::Group(Bytes::from_static(b"g")), b"hi")
        .is_ok());
    assert!(radio
        .send_to(Address::Group(Bytes::from_static(b"gx")), b"nobody")
        .is_ok());
    assert_eq!(member.recv_all(), vec![msg(&[b"g", b"hi"])]);
    assert!(
        other.recv_all().is_empty(),
        "groups match exactly, not by prefix"
    );
    assert_eq!(
        udp.recv_all(),
        vec![msg(&[b"g", b"hi"]), msg(&[b"gx", b"nobody"])],
        "a udp peer says nothing and gets every group"
    );
    member.send_control(Message::membership(b"g", false));
    assert!(radio
        .send_to(Address::Group(Bytes::from_static(b"g")), b"gone")
        .is_ok());
    assert!(member.recv_all().is_empty());
}

#[test]
fn radio_drops_for_a_full_member_and_never_blocks() {
    let mut radio = Socket::new(SocketType::Radio);
    let mut slow = radio.connect(b"", 1);
    let mut fast = radio.connect(b"", 10);
    slow.send_control(Message::membership(b"g", true));
    fast.send_control(Message::membership(b"g", true));
    for body in [b"1", b"2", b"3"] {
        assert!(radio
            .send_to(Address::Group(Bytes::from_static(b"g")), body)
            .is_ok());
    }
    assert_eq!(slow.recv_all(), vec![msg(&[b"g", b"1"])]);
    assert_eq!(fast.recv_all().len(), 3);
}

#[test]
fn dish_tells_every_radio_its_groups_and_filters_exactly() {
    let mut dish = Socket::new(SocketType::Dish);
    let mut old = dish.connect(b"", 10);
    assert!(dish.join(b"g", true).is_ok());
    assert!(dish.join(b"g", true).is_err(), "joined already");
    let mut new = dish.connect(b"", 10);
    assert_eq!(old.control_messages(), vec![(Kind::Join, b"g".to_vec())]);
    assert_eq!(new.control_messages(), vec![(Kind::Join, b"g".to_vec())]);
    old.send(&[b"gx", b"not mine"]);
    old.send(&[b"g", b"mine"]);
    old.send(&[b"g", b"multipart", b"body"]);
    new.send(&[b"g"]);
    assert_eq!(
        dish.recv_from(),
        Some((Address::Group(Bytes::from_static(b"g")), b"mine".to_vec()))
    );
    assert_eq!(dish.recv_from(), None);
    assert!(dish.join(b"g", false).is_ok());
    assert_eq!(old.control_messages(), vec![(Kind::Leave, b"g".to_vec())]);
    old.send(&[b"g", b"after leaving"]);
    assert_eq!(dish.recv_from(), None);
}
