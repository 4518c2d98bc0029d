//! Latency: a REQ and a REP bounce a message of `size` bytes back and forth; the REQ times
//! `count` round trips after a warm-up, and the table shows half a round trip, the usual
//! "one-way" figure.
//!
//! Over tcp and ipc the two sides are separate worker processes; over inproc they are two
//! threads of one worker.

use crate::error::Result;
use crate::implementations::{payload, BenchSocket, Implementation, SocketKind};
use crate::peer::{ParentLink, Peer, PeerReport, PeerSpec, Role, Signal};
use crate::transport::{ipc_file, Transport};
use std::time::{Duration, Instant};

/// One latency measurement to make.
#[derive(Clone, Copy, Debug)]
pub struct LatencySetup {
    /// The library on both sides.
    pub library: Implementation,
    /// How the sides are connected.
    pub transport: Transport,
    /// Bytes per request and per reply.
    pub size: usize,
    /// Round trips timed.
    pub round_trips: u64,
}

/// Timed round trips: the library scenarios and the raw-socket bound share this.
#[derive(Clone, Copy, Debug)]
pub struct LatencySample {
    /// Round trips timed.
    pub round_trips: u64,
    /// How long they took together.
    pub elapsed: Duration,
}

impl LatencySample {
    /// Half the mean round trip, in microseconds.
    pub fn one_way_micros(&self) -> f64 {
        self.elapsed.as_secs_f64() * 1e6 / self.round_trips as f64 / 2.0
    }
}

/// Untimed round trips before the timed ones: connections settle, caches and the
/// allocator warm up.
pub fn warm_up(round_trips: u64) -> u64 {
    (round_trips / 10).max(10)
}

/// Makes one measurement in fresh worker processes.
pub fn measure(setup: &LatencySetup) -> Result<LatencySample> {
    let spec = PeerSpec::new(
        Role::Rep,
        Some(setup.library),
        setup.transport,
        setup.round_trips,
        setup.size,
    );
    let report = if setup.transport == Transport::Inproc {
        Peer::spawn(&PeerSpec {
            role: Role::InprocLatency,
            ..spec
        })?
        .report()?
    } else {
        let mut rep = Peer::spawn(&spec)?;
        let endpoint = rep.bound_endpoint()?;
        let mut req = Peer::spawn(&spec.connecting(Role::Req, endpoint))?;
        let report = req.report()?;
        // The REP stays until its last reply has arrived: with linger 0 an exit would drop
        // a reply still on its way (a large one takes a while to write).
        rep.signal(Signal::Finish)?;
        rep.report()?;
        report
    };
    let (round_trips, elapsed) = report.measurement()?;
    Ok(LatencySample {
        round_trips,
        elapsed,
    })
}

/// Worker: binds a REP, announces it and answers every request, warm-up included; then
/// waits for the harness to confirm the last reply arrived before it reports and closes.
pub fn serve_rep(spec: &PeerSpec, link: &ParentLink) -> Result<()> {
    let library = spec.library()?.open()?;
    let mut rep = library.socket(SocketKind::Rep)?;
    let endpoint = rep.bind(&spec.transport.bind_endpoint())?;
    link.bound(&endpoint)?;
    answer(rep.as_mut(), warm_up(spec.count) + spec.count, spec.size)?;
    link.wait_for(Signal::Finish)?;
    link.report(&PeerReport::with_resources()?)?;
    if let Some(path) = ipc_file(&endpoint) {
        // Best effort: a stale socket file in the temporary directory harms nothing.
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// Worker: connects a REQ, warms up, times the round trips and reports.
pub fn serve_req(spec: &PeerSpec, link: &ParentLink) -> Result<()> {
    let library = spec.library()?.open()?;
    let mut req = library.socket(SocketKind::Req)?;
    req.connect(spec.endpoint()?)?;
    let elapsed = ask(req.as_mut(), spec.count, spec.size)?;
    let mut report = PeerReport::with_resources()?;
    report.set_measurement(spec.count, elapsed);
    link.report(&report)
}

/// Worker: REQ and REP as two threads over inproc, measured like [`serve_req`].
pub fn serve_inproc(spec: &PeerSpec, link: &ParentLink) -> Result<()> {
    let library = spec.library()?.open()?;
    let mut rep = library.socket(SocketKind::Rep)?;
    let endpoint = rep.bind(&Transport::Inproc.bind_endpoint())?;
    let elapsed = std::thread::scope(|scope| {
        let asker = scope.spawn(|| -> Result<Duration> {
            let mut req = library.socket(SocketKind::Req)?;
            req.connect(&endpoint)?;
            ask(req.as_mut(), spec.count, spec.size)
        });
        let answered = answer(rep.as_mut(), warm_up(spec.count) + spec.count, spec.size);
        // The REP stays open until the REQ has its last reply.
        let elapsed = asker.join().expect("the asking thread panicked");
        answered.and(elapsed)
    })?;
    let mut report = PeerReport::with_resources()?;
    report.set_measurement(spec.count, elapsed);
    link.report(&report)
}

fn answer(rep: &mut dyn BenchSocket, requests: u64, size: usize) -> Result<()> {
    rep.answer_many(&payload(size), requests)
}

fn ask(req: &mut dyn BenchSocket, round_trips: u64, size: usize) -> Result<Duration> {
    let request = payload(size);
    req.ask_many(&request, warm_up(round_trips))?;
    let start = Instant::now();
    req.ask_many(&request, round_trips)?;
    Ok(start.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_way_is_half_the_mean_round_trip() {
        let sample = LatencySample {
            round_trips: 10_000,
            elapsed: Duration::from_millis(500),
        };
        assert_eq!(sample.one_way_micros(), 25.0);
    }

    #[test]
    fn warm_up_is_a_tenth_but_never_trivial() {
        assert_eq!(warm_up(10_000), 1_000);
        assert_eq!(warm_up(20), 10);
    }
}
