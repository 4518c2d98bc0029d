use super::*;
use std::sync::Mutex;

#[derive(Default)]
struct Recorder(Mutex<Vec<(u64, PipeEvent)>>);

impl Notify for Recorder {
    fn notify(&self, token: u64, event: PipeEvent) {
        self.0.lock().unwrap().push((token, event));
    }
}

impl Recorder {
    fn take(&self) -> Vec<(u64, PipeEvent)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn setup(hwm: u64) -> (PipeEnd, PipeEnd, Arc<Recorder>, Arc<Recorder>) {
    let (ra, rb) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
    let (a, b) = pipe(
        ra.clone(),
        rb.clone(),
        PipeLimits {
            a_to_b: Limit::Messages(hwm),
            b_to_a: Limit::Messages(hwm),
        },
    );
    a.register(1);
    b.register(2);
    (a, b, ra, rb)
}

fn read_all(end: &mut PipeEnd) -> Vec<Message> {
    let mut out = Vec::new();
    while let Read::Message(m) = end.read() {
        out.push(m);
    }
    out
}

#[test]
fn high_water_mark_counts_whole_messages() {
    let (mut a, mut b, _, _) = setup(2);
    for _ in 0..2 {
        assert!(a.write(Message::from("x").with_more(true)).is_ok());
        assert!(a.write(Message::from("y").with_more(true)).is_ok());
        assert!(a.write(Message::from("z")).is_ok());
    }
    assert!(matches!(
        a.write(Message::from("3")),
        Err(WriteError::Full(_))
    ));
    a.flush();
    assert_eq!(read_all(&mut b).len(), 6);
}

#[test]
fn sleeping_reader_gets_one_readable_per_batch() {
    let (mut a, mut b, _, rb) = setup(0);
    assert!(matches!(b.read(), Read::Empty));
    a.write(Message::from("1")).ok();
    a.flush();
    a.write(Message::from("2")).ok();
    a.flush();
    assert_eq!(rb.take(), vec![(2, PipeEvent::Readable)]);
    assert_eq!(read_all(&mut b).len(), 2);
}

/// What the send fast path's lending rests on (engine/session/write_through.rs): a reader
/// that stopped at the last message without finding the pipe empty is awake, and would not
/// hear the next flush; a look with `poll_readable` puts it to sleep again.
#[test]
fn a_reader_that_stopped_at_the_last_message_hears_the_next_only_after_a_look() {
    for limit in [Limit::Messages(0), Limit::LatestOnly] {
        let (ra, rb) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
        let (mut a, mut b) = pipe(
            ra,
            rb.clone(),
            PipeLimits {
                a_to_b: limit,
                b_to_a: Limit::Messages(0),
            },
        );
        b.register(2);
        assert!(matches!(b.read(), Read::Empty));
        assert!(b.wakes_on_flush(), "{limit:?}: asleep");
        a.send(Message::from("1")).ok();
        assert_eq!(rb.take(), vec![(2, PipeEvent::Readable)]);
        assert!(
            b.wakes_on_flush(),
            "{limit:?}: a message came since it slept"
        );
        assert!(matches!(b.read(), Read::Message(_)));
        assert!(!b.has_message());
        assert!(
            !b.wakes_on_flush(),
            "{limit:?}: awake with nothing to read, a flush would go unheard"
        );
        assert!(!b.poll_readable());
        assert!(b.wakes_on_flush(), "{limit:?}: asleep after the look");
        a.send(Message::from("2")).ok();
        assert_eq!(rb.take(), vec![(2, PipeEvent::Readable)], "{limit:?}");
    }
}

#[test]
fn blocked_writer_is_told_when_room_appears() {
    let (mut a, mut b, ra, _) = setup(4);
    for i in 0..4 {
        a.write(Message::from(vec![i])).ok();
    }
    a.flush();
    assert!(matches!(
        a.write(Message::from("x")),
        Err(WriteError::Full(_))
    ));
    assert!(!a.wait_writable());
    // Reading half of the high-water mark publishes progress.
    for _ in 0..2 {
        assert!(matches!(b.read(), Read::Message(_)));
    }
    assert_eq!(ra.take(), vec![(1, PipeEvent::Writable)]);
    assert!(a.write(Message::from("x")).is_ok());
}

#[test]
fn wait_writable_sees_room_that_appeared_before_it() {
    let (mut a, mut b, ra, _) = setup(1);
    a.write(Message::from("1")).ok();
    a.flush();
    assert!(matches!(
        a.write(Message::from("2")),
        Err(WriteError::Full(_))
    ));
    assert!(matches!(b.read(), Read::Message(_)));
    assert!(a.wait_writable());
    assert!(ra.take().is_empty());
}

#[test]
fn reader_drains_what_was_flushed_before_close() {
    let (mut a, mut b, _, rb) = setup(0);
    a.write(Message::from("kept")).ok();
    a.flush();
    a.write(Message::from("unfinished").with_more(true)).ok();
    a.close();
    assert_eq!(rb.take(), vec![(2, PipeEvent::Closed)]);
    assert!(b.peer_closed());
    assert!(matches!(b.read(), Read::Message(m) if &m[..] == b"kept"));
    assert!(matches!(b.read(), Read::Closed));
}

#[test]
fn writing_to_a_closed_reader_fails() {
    let (mut a, b, ra, _) = setup(0);
    drop(b);
    assert_eq!(ra.take(), vec![(1, PipeEvent::Closed)]);
    assert!(matches!(
        a.write(Message::from("x")),
        Err(WriteError::Closed(_))
    ));
}

#[test]
fn rollback_discards_the_partial_message_only() {
    let (mut a, mut b, _, _) = setup(0);
    a.write(Message::from("whole")).ok();
    a.write(Message::from("half").with_more(true)).ok();
    a.rollback();
    a.write(Message::from("next")).ok();
    a.flush();
    let got: Vec<_> = read_all(&mut b).iter().map(|m| m.to_vec()).collect();
    assert_eq!(got, vec![b"whole".to_vec(), b"next".to_vec()]);
}

#[test]
fn events_for_an_unregistered_end_are_dropped() {
    let (ra, rb) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
    let (mut a, mut b) = pipe(
        ra.clone(),
        rb.clone(),
        PipeLimits {
            a_to_b: Limit::Messages(0),
            b_to_a: Limit::Messages(0),
        },
    );
    assert!(matches!(b.read(), Read::Empty));
    a.write(Message::from("x")).ok();
    a.flush();
    assert!(rb.take().is_empty());
    b.register(7);
    assert!(b.has_message());
}

#[test]
fn a_conflating_direction_keeps_only_the_newest_message() {
    let (ra, rb) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
    let (mut a, mut b) = pipe(
        ra.clone(),
        rb.clone(),
        PipeLimits {
            a_to_b: Limit::LatestOnly,
            b_to_a: Limit::Messages(0),
        },
    );
    a.register(1);
    b.register(2);
    assert!(matches!(b.read(), Read::Empty));
    for i in 0..100u8 {
        assert!(a.write(Message::from(vec![i])).is_ok(), "never full");
    }
    assert_eq!(
        rb.take(),
        vec![(2, PipeEvent::Readable)],
        "one wake for the waiting reader"
    );
    assert!(b.poll_readable());
    assert!(matches!(b.read(), Read::Message(m) if m[..] == [99]));
    assert!(matches!(b.read(), Read::Empty));
    a.close();
    assert!(b.is_finished());
    assert!(matches!(b.read(), Read::Closed));
}

/// How many messages `a` can write to `b` before the high-water mark stops it.
fn capacity(a: &mut PipeEnd) -> usize {
    let mut n = 0;
    while n < 100_000 && a.write(Message::from("x")).is_ok() {
        n += 1;
    }
    a.flush();
    n
}

fn inproc(a_to_b: Limit) -> (PipeEnd, PipeEnd, Arc<Recorder>, Arc<Recorder>) {
    let (ra, rb) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
    let (a, b) = pipe(
        ra.clone(),
        rb.clone(),
        PipeLimits {
            a_to_b,
            b_to_a: Limit::Messages(0),
        },
    );
    a.register(1);
    b.register(2);
    (a, b, ra, rb)
}

#[test]
fn a_conflating_direction_keeps_only_the_last_part_of_a_multipart_message() {
    let (ra, rb) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
    let (mut a, mut b) = pipe(
        ra,
        rb.clone(),
        PipeLimits {
            a_to_b: Limit::LatestOnly,
            b_to_a: Limit::Messages(0),
        },
    );
    a.register(1);
    b.register(2);
    assert!(matches!(b.read(), Read::Empty));
    a.write(Message::from("head").with_more(true)).ok();
    a.flush();
    assert!(rb.take().is_empty(), "no wake for the first part");
    assert!(!b.poll_readable(), "the first part is no message");
    a.write(Message::from("tail")).ok();
    a.flush();
    assert!(matches!(b.read(), Read::Message(m) if m[..] == *b"tail" && !m.more()));
    assert!(matches!(b.read(), Read::Empty));
}

#[test]
fn inproc_limits_add_up_unless_one_side_conflates_or_is_unlimited() {
    let (mut a, _b, ..) = inproc(Limit::Messages(10).join(Some(Limit::Messages(5))));
    assert_eq!(capacity(&mut a), 15);
    let (mut a, _b, ..) = inproc(Limit::Messages(10).join(Some(Limit::Messages(0))));
    assert_eq!(capacity(&mut a), 100_000, "unlimited");
    assert_eq!(
        Limit::LatestOnly.join(Some(Limit::Messages(5))),
        Limit::LatestOnly
    );
    // Connected before the bind: the connector's share alone, until the binder adds its.
    let (mut a, b, ..) = inproc(Limit::Messages(2).join(None));
    assert_eq!(capacity(&mut a), 2);
    b.set_recv_share(3);
    assert_eq!(capacity(&mut a), 3);
}

#[test]
fn changing_a_share_moves_the_high_water_mark_and_wakes_a_blocked_writer() {
    let (mut a, mut b, ra, _) = inproc(Limit::Messages(1).join(Some(Limit::Messages(1))));
    assert_eq!(capacity(&mut a), 2);
    assert!(!a.wait_writable(), "full: the writer waits");
    a.set_send_share(5);
    assert_eq!(
        ra.take(),
        [(1, PipeEvent::Writable)],
        "room: the writer is told"
    );
    assert_eq!(capacity(&mut a), 4);
    // The reader raises its share while the writer waits: the writer is told too.
    assert!(!a.wait_writable());
    b.set_recv_share(3);
    assert_eq!(ra.take(), [(1, PipeEvent::Writable)]);
    assert_eq!(capacity(&mut a), 2);
    // Lowered below what is queued: nothing is dropped, nothing more fits.
    a.set_send_share(1);
    assert_eq!(capacity(&mut a), 0);
    let mut read = 0;
    while let Read::Message(_) = b.read() {
        read += 1;
    }
    assert_eq!(read, 8);
}

/// XPUB_NODROP's look at room takes the reader's progress in on the Writable event, not in
/// the middle of the look; a look that finds it moved arranges the event.
#[test]
fn a_look_at_room_as_seen_learns_of_reads_through_the_writable_event() {
    let (mut a, mut b, ra, _) = setup(2);
    assert_eq!(capacity(&mut a), 2);
    assert!(!a.poll_writable_as_seen(), "full");
    assert!(ra.take().is_empty(), "nothing read: no event");
    assert!(matches!(b.read(), Read::Message(_)));
    assert_eq!(
        ra.take(),
        [(1, PipeEvent::Writable)],
        "the reader made room"
    );
    assert!(!a.poll_writable_as_seen(), "not taken in yet");
    assert_eq!(
        ra.take(),
        [(1, PipeEvent::Writable)],
        "so it is arranged again"
    );
    a.take_peer_progress();
    assert!(a.poll_writable_as_seen());
    assert_eq!(capacity(&mut a), 1);
    // Read while nobody waited: the look arranges the event itself.
    assert!(matches!(b.read(), Read::Message(_)));
    assert!(matches!(b.read(), Read::Message(_)));
    assert!(ra.take().is_empty());
    assert!(!a.poll_writable_as_seen());
    assert_eq!(ra.take(), [(1, PipeEvent::Writable)]);
    a.take_peer_progress();
    assert!(a.poll_writable_as_seen());
}
