//! Throughput: a PUSH sends `count` messages of `size` bytes as fast as it can; a PULL
//! binds and times the interval from the first message to the last.
//!
//! Timing starts at the first arrival so that connecting and the handshake are not
//! counted, and the rate is taken over the `count − 1` messages that arrived inside the
//! interval. Over tcp and ipc the two sides are separate worker processes; over inproc
//! they are two threads of one worker.

use crate::error::Result;
use crate::gate::Gate;
use crate::implementations::{payload, BenchSocket, Implementation, SocketKind};
use crate::peer::{ParentLink, Peer, PeerReport, PeerSpec, Role, Signal};
use crate::resources::ProcessResources;
use crate::transport::{ipc_file, Transport};
use std::time::Duration;

/// One throughput measurement to make.
#[derive(Clone, Copy, Debug)]
pub struct ThroughputSetup {
    /// The library on both sides.
    pub library: Implementation,
    /// How the sides are connected.
    pub transport: Transport,
    /// Bytes per message.
    pub size: usize,
    /// Messages sent, at least two.
    pub count: u64,
    /// SNDHWM and RCVHWM on both sides; the libraries' default (1000) when none.
    pub hwm: Option<i32>,
    /// PUSH sockets sharing the work, one thread each, in one sending process.
    pub senders: usize,
}

impl ThroughputSetup {
    /// A setup with library-default water marks and one sender.
    pub fn new(
        library: Implementation,
        transport: Transport,
        size: usize,
        count: u64,
    ) -> ThroughputSetup {
        ThroughputSetup {
            library,
            transport,
            size,
            count,
            hwm: None,
            senders: 1,
        }
    }
}

/// What one throughput measurement found.
#[derive(Clone, Copy, Debug)]
pub struct ThroughputSample {
    /// Messages that arrived inside the timed interval.
    pub messages: u64,
    /// First arrival to last.
    pub elapsed: Duration,
    /// Bytes per message.
    pub size: usize,
    /// Messages sent in all.
    pub count: u64,
    /// The receiving process (both sides, over inproc).
    pub receiver: ProcessResources,
    /// The sending process; none over inproc, where it is the receiver's.
    pub sender: Option<ProcessResources>,
}

impl ThroughputSample {
    /// Messages per second.
    pub fn messages_per_second(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64()
    }

    /// Payload megabytes (10⁶ bytes) per second.
    pub fn megabytes_per_second(&self) -> f64 {
        self.messages_per_second() * self.size as f64 / 1e6
    }

    /// CPU seconds a process spent per million messages sent.
    pub fn cpu_seconds_per_million(&self, process: &ProcessResources) -> f64 {
        process.cpu().as_secs_f64() * 1e6 / self.count as f64
    }
}

/// Makes one measurement in fresh worker processes.
pub fn measure(setup: &ThroughputSetup) -> Result<ThroughputSample> {
    let mut spec = PeerSpec::new(
        Role::Pull,
        Some(setup.library),
        setup.transport,
        setup.count,
        setup.size,
    );
    spec.hwm = setup.hwm;
    spec.sockets = setup.senders;
    let sample = |report: &PeerReport, sender| -> Result<ThroughputSample> {
        let (messages, elapsed) = report.measurement()?;
        Ok(ThroughputSample {
            messages,
            elapsed,
            size: setup.size,
            count: setup.count,
            receiver: report.resources()?,
            sender,
        })
    };
    if setup.transport == Transport::Inproc {
        spec.role = Role::InprocThroughput;
        let report = Peer::spawn(&spec)?.report()?;
        return sample(&report, None);
    }
    let mut pull = Peer::spawn(&spec)?;
    let endpoint = pull.bound_endpoint()?;
    let mut push = Peer::spawn(&spec.connecting(Role::Push, endpoint))?;
    let received = pull.report()?;
    push.signal(Signal::Finish)?;
    let sent = push.report()?;
    sample(&received, Some(sent.resources()?))
}

/// Worker: binds a PULL, announces it, times `count` arrivals and reports.
pub fn serve_pull(spec: &PeerSpec, link: &ParentLink) -> Result<()> {
    let library = spec.library()?.open()?;
    let mut pull = library.socket(SocketKind::Pull)?;
    if let Some(hwm) = spec.hwm {
        pull.set_high_water_marks(hwm)?;
    }
    let endpoint = pull.bind(&spec.transport.bind_endpoint())?;
    link.bound(&endpoint)?;
    let (measured, elapsed) = receive_all(pull.as_mut(), spec.count, spec.size)?;
    let mut report = PeerReport::with_resources()?;
    report.set_measurement(measured, elapsed);
    link.report(&report)?;
    if let Some(path) = ipc_file(&endpoint) {
        // Best effort: a stale socket file in the temporary directory harms nothing.
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// Worker: connects `sockets` PUSH sockets, one thread each, sends `count` messages
/// spread over them, waits for the harness to confirm arrival (so no library's linger
/// decides anything), reports.
pub fn serve_push(spec: &PeerSpec, link: &ParentLink) -> Result<()> {
    let library = spec.library()?.open()?;
    let endpoint = spec.endpoint()?;
    let payload = payload(spec.size);
    let finished = Gate::default();
    std::thread::scope(|scope| {
        let senders: Vec<_> = shares(spec.count, spec.sockets)
            .map(|share| {
                let (library, payload, finished) = (&*library, &payload, &finished);
                scope.spawn(move || -> Result<()> {
                    let mut push = library.socket(SocketKind::Push)?;
                    if let Some(hwm) = spec.hwm {
                        push.set_high_water_marks(hwm)?;
                    }
                    push.connect(endpoint)?;
                    send_all(push.as_mut(), share, payload)?;
                    // The socket must outlive the sending: closed with messages still
                    // queued (linger 0), it would drop them.
                    finished.wait();
                    Ok(())
                })
            })
            .collect();
        let confirmed = link.wait_for(Signal::Finish);
        finished.open();
        let sent = senders
            .into_iter()
            .try_for_each(|sender| sender.join().expect("a sending thread panicked"));
        confirmed.and(sent)
    })?;
    link.report(&PeerReport::with_resources()?)
}

/// Worker: PUSH and PULL as two threads over inproc, measured like [`serve_pull`].
pub fn serve_inproc(spec: &PeerSpec, link: &ParentLink) -> Result<()> {
    let library = spec.library()?.open()?;
    let mut pull = library.socket(SocketKind::Pull)?;
    if let Some(hwm) = spec.hwm {
        pull.set_high_water_marks(hwm)?;
    }
    let endpoint = pull.bind(&Transport::Inproc.bind_endpoint())?;
    let payload = payload(spec.size);
    let received_all = Gate::default();
    let (measured, elapsed) = std::thread::scope(|scope| {
        let sender = scope.spawn(|| -> Result<()> {
            let mut push = library.socket(SocketKind::Push)?;
            if let Some(hwm) = spec.hwm {
                push.set_high_water_marks(hwm)?;
            }
            push.connect(&endpoint)?;
            send_all(push.as_mut(), spec.count, &payload)?;
            // The socket must outlive the delivery of what it queued.
            received_all.wait();
            Ok(())
        });
        let received = receive_all(pull.as_mut(), spec.count, spec.size);
        received_all.open();
        sender.join().expect("the sending thread panicked")?;
        received
    })?;
    let mut report = PeerReport::with_resources()?;
    report.set_measurement(measured, elapsed);
    link.report(&report)
}

fn send_all(socket: &mut dyn BenchSocket, count: u64, payload: &[u8]) -> Result<()> {
    socket.send_many(payload, count)
}

/// Receives `count` messages of `size` bytes; returns how many arrived after the first
/// and how long that took.
fn receive_all(socket: &mut dyn BenchSocket, count: u64, size: usize) -> Result<(u64, Duration)> {
    let first = socket.recv_many(count.max(1), size)?;
    Ok((count.saturating_sub(1), first.elapsed()))
}

/// `count` split into `parts` shares that differ by at most one.
pub fn shares(count: u64, parts: usize) -> impl Iterator<Item = u64> {
    let parts = parts.max(1) as u64;
    (0..parts).map(move |index| count / parts + u64::from(index < count % parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_and_differ_by_at_most_one() {
        let split: Vec<u64> = shares(10, 4).collect();
        assert_eq!(split, vec![3, 3, 2, 2]);
        assert_eq!(shares(1_000_000, 16).sum::<u64>(), 1_000_000);
        assert_eq!(shares(7, 0).collect::<Vec<_>>(), vec![7]);
    }

    #[test]
    fn rates_come_from_messages_inside_the_interval() {
        let sample = ThroughputSample {
            messages: 1_000_000,
            elapsed: Duration::from_millis(500),
            size: 64,
            count: 1_000_001,
            receiver: ProcessResources::default(),
            sender: None,
        };
        assert_eq!(sample.messages_per_second(), 2_000_000.0);
        assert_eq!(sample.megabytes_per_second(), 128.0);
    }
}
