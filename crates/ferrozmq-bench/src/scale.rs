//! How the implementations behave as the numbers grow: subscribers, idle connections,
//! queue limits and concurrent senders. All over tcp with 64-byte messages.
//!
//! - Fan-out: one PUB, 1, 10 or 100 SUB sockets (one thread each, in one process), with
//!   no high-water mark so nothing is dropped; aggregate deliveries per second, and the
//!   share delivered (zmq.rs has no such option).
//! - Idle connections: 10,000 plain TCP connections greet one ROUTER as DEALERs and send
//!   one message each; memory per connection from the ROUTER process's VmRSS, and the
//!   rate at which the connections became usable.
//! - Water marks: PUSH→PULL throughput with SNDHWM = RCVHWM = 10, 100, 1000, 10000.
//! - Senders: 1, 4 or 16 PUSH sockets (threads of one process) to one PULL.

use crate::error::{BenchError, Result};
use crate::implementations::{payload, BenchSocket, Implementation, SocketKind};
use crate::outcome::Outcome;
use crate::peer::{ParentLink, Peer, PeerReport, PeerSpec, Role, Signal};
use crate::plan::{self, Plan};
use crate::resources::{raise_open_file_limit, resident_kib};
use crate::rounds::{self, Series, Sizing};
use crate::throughput::{self, ThroughputSample, ThroughputSetup};
use crate::transport::Transport;
use crate::units;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Bytes per message in every scale scenario.
pub const SIZE: usize = 64;
/// Subscriber counts for fan-out.
pub const SUBSCRIBERS: [usize; 3] = [1, 10, 100];
/// SNDHWM = RCVHWM values.
pub const WATER_MARKS: [i32; 4] = [10, 100, 1_000, 10_000];
/// PUSH socket counts.
pub const SENDERS: [usize; 3] = [1, 4, 16];
/// Idle connections on one ROUTER.
pub const IDLE_CONNECTIONS: u64 = 10_000;

/// A PUB's probe while it waits for subscribers: one byte, shorter than any payload.
const PROBE: &[u8] = b"?";
/// A PUB's end marker after the payload: two bytes.
const END: &[u8] = b"!!";
/// Report field: messages the subscribers were sent in all.
const OFFERED: &str = "offered";
/// Report fields: the ROUTER process's resident memory before and after the connections.
const RSS_BEFORE_KIB: &str = "rss_before_kib";
const RSS_AFTER_KIB: &str = "rss_after_kib";
/// Connections opened before waiting for the ROUTER to answer them all, well under the
/// listen backlog so no connection waits for a SYN retry.
const CONNECT_BATCH: usize = 50;

/// What one fan-out measurement found.
#[derive(Clone, Copy, Debug)]
pub struct FanoutSample {
    /// Deliveries that arrived, all subscribers together.
    pub received: u64,
    /// Deliveries offered: messages sent times subscribers.
    pub offered: u64,
    /// First arrival at any subscriber to last arrival at any.
    pub elapsed: Duration,
}

impl FanoutSample {
    /// Deliveries per second, all subscribers together.
    pub fn messages_per_second(&self) -> f64 {
        self.received as f64 / self.elapsed.as_secs_f64()
    }

    /// The share of offered deliveries that arrived.
    pub fn delivered(&self) -> f64 {
        self.received as f64 / self.offered.max(1) as f64
    }
}

/// What one idle-connections measurement found.
#[derive(Clone, Copy, Debug)]
pub struct IdleSample {
    /// Connections made.
    pub connections: u64,
    /// The ROUTER's first message to its last.
    pub elapsed: Duration,
    /// The ROUTER process's resident memory before any connection, KiB.
    pub rss_before_kib: u64,
    /// And once every connection had sent its message, KiB.
    pub rss_after_kib: u64,
}

impl IdleSample {
    /// Resident memory added per connection, KiB.
    pub fn kib_per_connection(&self) -> f64 {
        self.rss_after_kib.saturating_sub(self.rss_before_kib) as f64
            / self.connections.max(1) as f64
    }

    /// Connections accepted, greeted and heard from per second.
    pub fn accepts_per_second(&self) -> f64 {
        self.connections as f64 / self.elapsed.as_secs_f64()
    }
}

/// Everything a scale run measured.
#[derive(Clone, Debug)]
pub struct ScaleResults {
    /// What was asked for (rounds and target duration).
    pub plan: Plan,
    /// By subscriber count.
    pub fanout: BTreeMap<usize, BTreeMap<Implementation, Outcome<FanoutSample>>>,
    /// One ROUTER with [`IDLE_CONNECTIONS`] peers.
    pub idle: BTreeMap<u64, BTreeMap<Implementation, Outcome<IdleSample>>>,
    /// By water mark.
    pub water_marks: BTreeMap<i32, BTreeMap<Implementation, Outcome<ThroughputSample>>>,
    /// By PUSH socket count.
    pub senders: BTreeMap<usize, BTreeMap<Implementation, Outcome<ThroughputSample>>>,
    /// The open-file limit the workers ran with, or why it could not be read.
    pub open_file_limit: std::result::Result<u64, String>,
}

#[derive(Clone, Copy, Debug)]
enum Job {
    Fanout(usize, Implementation),
    Idle(u64, Implementation),
    WaterMark(i32, Implementation),
    Senders(usize, Implementation),
}

enum Sample {
    Fanout(FanoutSample),
    Idle(IdleSample),
    Throughput(ThroughputSample),
}

impl Series for Job {
    type Sample = Sample;

    fn label(&self) -> String {
        match *self {
            Job::Fanout(subscribers, library) => {
                format!("fan-out to {subscribers:>3} SUB    {library}")
            }
            Job::Idle(connections, library) => {
                format!("{connections} idle peers   {library}")
            }
            Job::WaterMark(hwm, library) => format!("HWM {hwm:>5}          {library}"),
            Job::Senders(senders, library) => format!("{senders:>2} PUSH to 1 PULL   {library}"),
        }
    }

    fn sizing(&self) -> Sizing {
        match *self {
            Job::Fanout(subscribers, _) => {
                Sizing::Pilot((plan::throughput_pilot(SIZE) / subscribers as u64).max(1_000))
            }
            Job::Idle(connections, _) => Sizing::Fixed(connections),
            Job::WaterMark(..) | Job::Senders(..) => Sizing::Pilot(plan::throughput_pilot(SIZE)),
        }
    }

    fn measure(&self, count: u64) -> Result<Sample> {
        match *self {
            Job::Fanout(subscribers, library) => {
                measure_fanout(library, subscribers, count).map(Sample::Fanout)
            }
            Job::Idle(connections, library) => measure_idle(library, connections).map(Sample::Idle),
            Job::WaterMark(hwm, library) => throughput::measure(&ThroughputSetup {
                hwm: Some(hwm),
                ..ThroughputSetup::new(library, Transport::Tcp, SIZE, count)
            })
            .map(Sample::Throughput),
            Job::Senders(senders, library) => throughput::measure(&ThroughputSetup {
                senders,
                ..ThroughputSetup::new(library, Transport::Tcp, SIZE, count)
            })
            .map(Sample::Throughput),
        }
    }

    fn elapsed(sample: &Sample) -> Duration {
        match sample {
            Sample::Fanout(sample) => sample.elapsed,
            Sample::Idle(sample) => sample.elapsed,
            Sample::Throughput(sample) => sample.elapsed,
        }
    }

    fn headline(sample: &Sample) -> String {
        match sample {
            Sample::Fanout(sample) => format!(
                "{} msgs/s, {} delivered",
                units::rate(sample.messages_per_second()),
                units::percent(sample.delivered())
            ),
            Sample::Idle(sample) => format!(
                "{} KiB per connection, {} accepts/s",
                units::significant(sample.kib_per_connection()),
                units::rate(sample.accepts_per_second())
            ),
            Sample::Throughput(sample) => {
                format!("{} msgs/s", units::rate(sample.messages_per_second()))
            }
        }
    }
}

impl ScaleResults {
    fn record(&mut self, job: Job, measured: Result<Sample>) {
        // Each job measures its own kind of sample, so the other arms cannot happen.
        const OWN_KIND: &str = "a job measures its own kind of sample";
        let throughput = |sample| match sample {
            Sample::Throughput(sample) => sample,
            _ => unreachable!("{OWN_KIND}"),
        };
        match job {
            Job::Fanout(subscribers, library) => {
                let outcomes = self.fanout.entry(subscribers).or_default();
                outcomes
                    .entry(library)
                    .or_default()
                    .record(measured.map(|sample| match sample {
                        Sample::Fanout(sample) => sample,
                        _ => unreachable!("{OWN_KIND}"),
                    }))
            }
            Job::Idle(connections, library) => {
                let outcomes = self.idle.entry(connections).or_default();
                outcomes
                    .entry(library)
                    .or_default()
                    .record(measured.map(|sample| match sample {
                        Sample::Idle(sample) => sample,
                        _ => unreachable!("{OWN_KIND}"),
                    }))
            }
            Job::WaterMark(hwm, library) => {
                let outcomes = self.water_marks.entry(hwm).or_default();
                outcomes
                    .entry(library)
                    .or_default()
                    .record(measured.map(throughput))
            }
            Job::Senders(senders, library) => {
                let outcomes = self.senders.entry(senders).or_default();
                outcomes
                    .entry(library)
                    .or_default()
                    .record(measured.map(throughput))
            }
        }
    }
}

/// Runs the scale scenarios; `plan` gives rounds and target duration, and a quick plan
/// uses a tenth of the idle connections and at most 10 subscribers.
///
/// First raises the open-file limit as far as it goes: one connection is one descriptor,
/// the default soft limit is often 1024, and the workers inherit the raised limit.
pub fn run(plan: Plan, quick: bool) -> ScaleResults {
    let open_file_limit = raise_open_file_limit().map_err(|error| error.to_string());
    match &open_file_limit {
        Ok(limit) if *limit < IDLE_CONNECTIONS + 100 => eprintln!(
            "ferrozmq-bench: the open-file limit is {limit}; the idle-connections scenario \
             needs more than {IDLE_CONNECTIONS} and will fail"
        ),
        Ok(_) => {}
        Err(error) => eprintln!("ferrozmq-bench: {error}"),
    }
    let subscribers: &[usize] = if quick {
        &SUBSCRIBERS[..2]
    } else {
        &SUBSCRIBERS
    };
    let connections = if quick {
        IDLE_CONNECTIONS / 10
    } else {
        IDLE_CONNECTIONS
    };
    let libraries: Vec<Implementation> = Implementation::SCALED
        .into_iter()
        .filter(|&library| plan.measures(library))
        .collect();
    let mut jobs = Vec::new();
    for &count in subscribers {
        jobs.extend(libraries.iter().map(|&library| Job::Fanout(count, library)));
    }
    jobs.extend(
        libraries
            .iter()
            .map(|&library| Job::Idle(connections, library)),
    );
    for hwm in WATER_MARKS {
        jobs.extend(
            libraries
                .iter()
                .filter(|library| library.has_high_water_marks())
                .map(|&library| Job::WaterMark(hwm, library)),
        );
    }
    for senders in SENDERS {
        jobs.extend(
            libraries
                .iter()
                .map(|&library| Job::Senders(senders, library)),
        );
    }
    let mut results = ScaleResults {
        plan: plan.clone(),
        fanout: BTreeMap::new(),
        idle: BTreeMap::new(),
        water_marks: BTreeMap::new(),
        senders: BTreeMap::new(),
        open_file_limit,
    };
    rounds::run(&jobs, plan.rounds, plan.target, |job, measured| {
        results.record(job, measured)
    });
    results
}

/// One fan-out measurement: `count` messages to each of `subscribers` SUB sockets, with
/// no high-water mark where the library has the option, so that nothing is dropped.
pub fn measure_fanout(
    library: Implementation,
    subscribers: usize,
    count: u64,
) -> Result<FanoutSample> {
    let spec = PeerSpec {
        hwm: library.has_high_water_marks().then_some(0),
        ..PeerSpec::new(Role::Pub, Some(library), Transport::Tcp, count, SIZE)
    };
    let mut publisher = Peer::spawn(&spec)?;
    let endpoint = publisher.bound_endpoint()?;
    let mut receivers = Peer::spawn(&PeerSpec {
        sockets: subscribers,
        ..spec.connecting(Role::Subs, endpoint)
    })?;
    receivers.ready()?;
    publisher.signal(Signal::Go)?;
    let report = receivers.report()?;
    publisher.signal(Signal::Finish)?;
    publisher.report()?;
    let (received, elapsed) = report.measurement()?;
    Ok(FanoutSample {
        received,
        offered: report.get(OFFERED)?,
        elapsed,
    })
}

/// Worker: binds a PUB; probes until every subscriber is listening, sends `count`
/// messages, then end markers until the harness says the subscribers are done.
pub fn serve_pub(spec: &PeerSpec, link: &ParentLink) -> Result<()> {
    let library = spec.library()?.open()?;
    let mut publisher = library.socket(SocketKind::Pub)?;
    if let Some(hwm) = spec.hwm {
        publisher.set_high_water_marks(hwm)?;
    }
    link.bound(&publisher.bind(&spec.transport.bind_endpoint())?)?;
    // A SUB receives only once its subscription has reached the PUB; a probe that
    // arrives proves it has, so the payload is not sent into the void.
    while !link.has_signalled(Signal::Go)? {
        publisher.send(PROBE)?;
        std::thread::sleep(Duration::from_millis(1));
    }
    let message = payload(spec.size);
    for _ in 0..spec.count {
        publisher.send(&message)?;
    }
    // The PUB drops what a full queue cannot take, end markers included, so it repeats
    // them until every subscriber has seen one.
    while !link.has_signalled(Signal::Finish)? {
        publisher.send(END)?;
        std::thread::sleep(Duration::from_millis(1));
    }
    link.report(&PeerReport::with_resources()?)
}

/// Worker: `sockets` SUB sockets, one thread each; ready once every one has seen a
/// probe; reports deliveries from the first arrival anywhere to the last.
pub fn serve_subs(spec: &PeerSpec, link: &ParentLink) -> Result<()> {
    let library = spec.library()?.open()?;
    let endpoint = spec.endpoint()?;
    let listening = AtomicUsize::new(0);
    let receptions = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..spec.sockets)
            .map(|_| {
                let (library, listening) = (&*library, &listening);
                scope.spawn(move || -> Result<Reception> {
                    let mut subscriber = library.socket(SocketKind::Sub)?;
                    if let Some(hwm) = spec.hwm {
                        subscriber.set_high_water_marks(hwm)?;
                    }
                    subscriber.subscribe_all()?;
                    subscriber.connect(endpoint)?;
                    listen(subscriber.as_mut(), spec.size, listening)
                })
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        while listening.load(Ordering::Acquire) < spec.sockets {
            if Instant::now() > deadline {
                return Err(BenchError::PeerProtocol(
                    "subscribers never heard the publisher's probe".to_string(),
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        link.ready()?;
        threads
            .into_iter()
            .map(|thread| thread.join().expect("a subscriber thread panicked"))
            .collect::<Result<Vec<Reception>>>()
    })?;
    let received = receptions.iter().map(|r| r.received).sum();
    let first = receptions.iter().filter_map(|r| r.first).min();
    let last = receptions.iter().filter_map(|r| r.last).max();
    let elapsed = match (first, last) {
        (Some(first), Some(last)) => last - first,
        _ => Duration::ZERO,
    };
    let mut report = PeerReport::with_resources()?;
    report.set_measurement(received, elapsed);
    report.set(OFFERED, spec.count * spec.sockets as u64);
    link.report(&report)
}

/// What one subscriber thread saw.
struct Reception {
    received: u64,
    first: Option<Instant>,
    last: Option<Instant>,
}

fn listen(
    subscriber: &mut dyn BenchSocket,
    size: usize,
    listening: &AtomicUsize,
) -> Result<Reception> {
    while subscriber.recv()? != PROBE.len() {}
    listening.fetch_add(1, Ordering::AcqRel);
    let mut reception = Reception {
        received: 0,
        first: None,
        last: None,
    };
    loop {
        match subscriber.recv()? {
            length if length == PROBE.len() => {}
            length if length == END.len() => return Ok(reception),
            length if length == size => {
                let now = Instant::now();
                reception.first.get_or_insert(now);
                reception.last = Some(now);
                reception.received += 1;
            }
            received => {
                return Err(BenchError::UnexpectedMessage {
                    expected: size,
                    received,
                })
            }
        }
    }
}

/// One idle-connections measurement: `connections` plain TCP peers on one ROUTER.
pub fn measure_idle(library: Implementation, connections: u64) -> Result<IdleSample> {
    let spec = PeerSpec::new(
        Role::RouterIdle,
        Some(library),
        Transport::Tcp,
        connections,
        1,
    );
    let mut router = Peer::spawn(&spec)?;
    let endpoint = router.bound_endpoint()?;
    let mut connector = Peer::spawn(&PeerSpec {
        library: None,
        ..spec.connecting(Role::IdleConnector, endpoint)
    })?;
    let report = router.report()?;
    connector.signal(Signal::Finish)?;
    let (connections, elapsed) = report.measurement()?;
    Ok(IdleSample {
        connections,
        elapsed,
        rss_before_kib: report.get(RSS_BEFORE_KIB)?,
        rss_after_kib: report.get(RSS_AFTER_KIB)?,
    })
}

/// Worker: binds a ROUTER, then waits for one message from each of `count` peers. Its
/// open-file limit is the one the harness raised.
pub fn serve_router_idle(spec: &PeerSpec, link: &ParentLink) -> Result<()> {
    let library = spec.library()?.open()?;
    let mut router = library.socket(SocketKind::Router)?;
    let endpoint = router.bind(&spec.transport.bind_endpoint())?;
    let before = resident_kib()?;
    link.bound(&endpoint)?;
    router.recv()?;
    let first = Instant::now();
    for _ in 1..spec.count {
        router.recv()?;
    }
    let elapsed = first.elapsed();
    let after = resident_kib()?;
    let mut report = PeerReport::with_resources()?;
    report.set_measurement(spec.count, elapsed);
    report.set(RSS_BEFORE_KIB, before);
    report.set(RSS_AFTER_KIB, after);
    link.report(&report)
}

/// Worker: opens `count` TCP connections that each greet as a ZMTP 3.0 DEALER and send
/// one message, then holds them open until the harness says finish.
///
/// Plain sockets, not a library, so that the connecting side costs the same whichever
/// ROUTER is measured and stays out of the measured process.
pub fn serve_idle_connector(spec: &PeerSpec, link: &ParentLink) -> Result<()> {
    let address = spec
        .endpoint()?
        .strip_prefix("tcp://")
        .ok_or_else(|| BenchError::Usage("idle-connector needs a tcp endpoint".to_string()))?;
    let greeting = dealer_greeting();
    let ready = dealer_ready_and_message();
    let total = usize::try_from(spec.count).unwrap_or(usize::MAX);
    let mut connections: Vec<TcpStream> = Vec::with_capacity(total);
    while connections.len() < total {
        let batch_start = connections.len();
        for _ in batch_start..total.min(batch_start + CONNECT_BATCH) {
            let mut stream =
                TcpStream::connect(address).map_err(BenchError::io("connecting an idle peer"))?;
            stream
                .write_all(&greeting)
                .map_err(BenchError::io("greeting the ROUTER"))?;
            connections.push(stream);
        }
        // libzmq 4.3 hangs up on a peer whose READY arrives together with its greeting,
        // so each side's greeting is awaited first, as libzmq's own peers do. Waiting for
        // a whole batch also keeps the accept queue short.
        for stream in &mut connections[batch_start..] {
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .map_err(BenchError::io("setting a read timeout"))?;
            let mut theirs = [0u8; GREETING_LEN];
            stream
                .read_exact(&mut theirs)
                .map_err(BenchError::io("reading the ROUTER's greeting"))?;
            stream
                .write_all(&ready)
                .map_err(BenchError::io("sending READY and a message"))?;
        }
    }
    link.wait_for(Signal::Finish)
}

/// Bytes in a ZMTP 3 greeting.
const GREETING_LEN: usize = 64;

/// A ZMTP 3.0 greeting for the NULL mechanism, written from the specification (RFC 23).
pub fn dealer_greeting() -> [u8; GREETING_LEN] {
    let mut greeting = [0u8; GREETING_LEN];
    // Signature: 0xFF, eight bytes of padding, 0x7F; then version 3.0.
    greeting[0] = 0xFF;
    greeting[9] = 0x7F;
    greeting[10] = 3;
    // Mechanism name, NUL-padded to 20 bytes; as-server (byte 32) and the filler stay 0.
    greeting[12..16].copy_from_slice(b"NULL");
    greeting
}

/// What a DEALER sends once greetings are exchanged: a READY command naming its socket
/// type, then one single-part message.
pub fn dealer_ready_and_message() -> Vec<u8> {
    let mut ready = Vec::new();
    ready.push(5);
    ready.extend(b"READY");
    ready.push(11);
    ready.extend(b"Socket-Type");
    ready.extend(6u32.to_be_bytes());
    ready.extend(b"DEALER");
    // A short command frame (flag 0x04), then a short final message frame (flag 0x00).
    let mut bytes = vec![0x04, ready.len() as u8];
    bytes.extend(ready);
    bytes.extend([0x00, 1, b'.']);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dealer_greeting_is_zmtp_3_0_null() {
        let greeting = dealer_greeting();
        assert_eq!(
            (greeting[0], greeting[9], greeting[10], greeting[11]),
            (0xFF, 0x7F, 3, 0)
        );
        assert_eq!(&greeting[12..16], b"NULL");
        assert!(greeting[16..].iter().all(|&byte| byte == 0));
    }

    #[test]
    fn dealer_ready_names_the_socket_type_then_sends_one_message() {
        let bytes = dealer_ready_and_message();
        assert_eq!(&bytes[..2], &[0x04, 28]);
        assert_eq!(&bytes[2..8], b"\x05READY");
        assert_eq!(bytes.len(), 2 + 28 + 3);
        assert!(bytes.ends_with(b"DEALER\x00\x01."));
    }

    #[test]
    fn idle_sample_divides_added_memory_by_connections() {
        let sample = IdleSample {
            connections: 10_000,
            elapsed: Duration::from_millis(500),
            rss_before_kib: 4_000,
            rss_after_kib: 104_000,
        };
        assert_eq!(sample.kib_per_connection(), 10.0);
        assert_eq!(sample.accepts_per_second(), 20_000.0);
    }

    #[test]
    fn fanout_sample_counts_what_arrived() {
        let sample = FanoutSample {
            received: 900,
            offered: 1_000,
            elapsed: Duration::from_millis(100),
        };
        assert_eq!(sample.messages_per_second(), 9_000.0);
        assert_eq!(sample.delivered(), 0.9);
    }
}
