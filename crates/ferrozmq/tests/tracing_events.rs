//! The `tracing` feature's events, caught by a collector on real connections: a connection
//! lost (and why), a handshake that failed (mechanism and why), the reconnect that follows,
//! messages dropped at the high-water mark.
//!
//! Built only with `--features tracing` (see `required-features` in Cargo.toml).

use ferrozmq::{Context, PUB, PULL, PUSH, SUB};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// One event as the collector saw it: its level and its fields as text (`message` among
/// them).
#[derive(Clone, Debug)]
struct Seen {
    level: Level,
    fields: BTreeMap<String, String>,
}

impl Seen {
    fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

/// Keeps every event of the `ferrozmq` target. Installed for the whole process: the events
/// come from the I/O threads, not from the test's thread. Tests run side by side, so each
/// looks only at the events of its own endpoints.
struct Collector;

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Collector {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == "ferrozmq"
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let seen = Seen {
            level: *event.metadata().level(),
            fields,
        };
        SEEN.lock().unwrap().push(seen);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

fn collect() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| tracing::subscriber::set_global_default(Collector).unwrap());
}

/// Waits up to 10 s for an event with `message` about `endpoint`.
fn wait_for(message: &str, endpoint: &str) -> Seen {
    wait_for_one(message, endpoint, |_| true)
}

/// Waits up to 10 s for an event with `message` about `endpoint` that `also` accepts.
fn wait_for_one(message: &str, endpoint: &str, also: impl Fn(&Seen) -> bool) -> Seen {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = SEEN
            .lock()
            .unwrap()
            .iter()
            .find(|e| e.field("message") == message && e.field("endpoint") == endpoint && also(e))
            .cloned();
        if let Some(seen) = found {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "no {message:?} event for {endpoint}; saw {:?}",
            SEEN.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_lost_connection_is_traced_with_its_reason_and_the_reconnect_that_follows() {
    collect();
    let ctx = Context::new();
    let pull = ctx.socket(PULL).unwrap();
    let endpoint = pull.bind("tcp://127.0.0.1:*").unwrap();
    let push = ctx.socket(PUSH).unwrap();
    push.connect(&endpoint).unwrap();
    push.send("hello").unwrap();
    assert_eq!(pull.recv().unwrap(), "hello");

    drop(pull);

    let lost = wait_for("connection lost", &endpoint);
    assert_eq!(lost.level, Level::INFO);
    assert_eq!(lost.field("reason"), "the peer closed the connection");
    let retry = wait_for("reconnect scheduled", &endpoint);
    assert_eq!(retry.level, Level::DEBUG);
    assert!(retry.field("delay_ms").parse::<u32>().is_ok(), "{retry:?}");
    let attempt = wait_for("connect attempt", &endpoint);
    assert_eq!(attempt.level, Level::DEBUG);
}

#[test]
fn a_failed_handshake_is_traced_with_the_mechanism_and_why() {
    collect();
    let ctx = Context::new();
    let server = ctx.socket(PULL).unwrap();
    server.options().set_plain_server(true).unwrap();
    let endpoint = server.bind("tcp://127.0.0.1:*").unwrap();
    // NULL against PLAIN: the greetings disagree, so the handshake fails.
    let client = ctx.socket(PUSH).unwrap();
    client.connect(&endpoint).unwrap();

    // Both ends fail, each naming its own mechanism and the peer's in the reason (the
    // accepted connection goes by the endpoint it was bound as, like the connecting one).
    for (ours, theirs) in [("NULL", "PLAIN"), ("PLAIN", "NULL")] {
        let failed = wait_for_one("handshake failed", &endpoint, |e| {
            e.field("mechanism") == ours
        });
        assert_eq!(failed.level, Level::WARN);
        let reason = failed.field("reason");
        assert!(
            reason.contains(theirs),
            "the reason names the peer's mechanism: {reason}"
        );
    }
}

#[test]
fn a_message_dropped_at_the_high_water_mark_is_traced_with_the_socket_type() {
    collect();
    let ctx = Context::new();
    let publisher = ctx.socket(PUB).unwrap();
    publisher.options().set_sndhwm(1).unwrap();
    let endpoint = "inproc://tracing-events-hwm";
    publisher.bind(endpoint).unwrap();
    let subscriber = ctx.socket(SUB).unwrap();
    subscriber.options().set_rcvhwm(1).unwrap();
    subscriber.subscribe("").unwrap();
    subscriber.connect(endpoint).unwrap();
    // The subscription reaches the publisher through its pipe: wait until a message gets
    // through, then send far more than the high-water marks hold, reading none.
    let deadline = Instant::now() + Duration::from_secs(10);
    subscriber
        .options()
        .set_rcvtimeo(Some(Duration::from_millis(20)))
        .unwrap();
    loop {
        publisher.send("probe").unwrap();
        if subscriber.recv().is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "the subscription never arrived");
    }
    for _ in 0..100 {
        publisher.send("flood").unwrap();
    }

    let dropped = wait_for("message dropped at the high-water mark", endpoint);
    assert_eq!(dropped.level, Level::DEBUG);
    assert_eq!(dropped.field("socket_type"), "PUB");
}
