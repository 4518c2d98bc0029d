//! The side-by-side run: throughput and latency for every transport, size and
//! implementation, and the plain-socket bounds, in interleaved rounds (see [`rounds`]).

use crate::baseline::{self, BandwidthSample};
use crate::error::Result;
use crate::implementations::Implementation;
use crate::latency::{self, LatencySample, LatencySetup};
use crate::outcome::Outcome;
use crate::plan::{self, Plan};
use crate::rounds::{self, Series, Sizing};
use crate::throughput::{self, ThroughputSample, ThroughputSetup};
use crate::transport::Transport;
use crate::units;
use std::collections::BTreeMap;
use std::time::Duration;

/// A table row: one transport and one message size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Row {
    /// How the sides are connected.
    pub transport: Transport,
    /// Bytes per message.
    pub size: usize,
}

/// Outcomes per row and implementation.
pub type ByRow<T> = BTreeMap<Row, BTreeMap<Implementation, Outcome<T>>>;

/// Everything a compare run measured.
#[derive(Clone, Debug)]
pub struct CompareResults {
    /// What was asked for.
    pub plan: Plan,
    /// PUSH→PULL rates.
    pub throughput: ByRow<ThroughputSample>,
    /// REQ↔REP round trips.
    pub latency: ByRow<LatencySample>,
    /// Plain-socket ping-pong of 64 bytes.
    pub raw_latency: BTreeMap<Transport, Outcome<LatencySample>>,
    /// Plain-socket bulk stream.
    pub raw_bandwidth: BTreeMap<Transport, Outcome<BandwidthSample>>,
}

/// Size of the raw-socket ping, the size the latency tables compare against.
pub const RAW_PING_SIZE: usize = 64;

/// The row measured for the async API as well.
pub const ASYNC_ROW: Row = Row {
    transport: Transport::Tcp,
    size: 64,
};

/// One series of the compare run.
#[derive(Clone, Copy, Debug)]
enum Job {
    Throughput(Row, Implementation),
    Latency(Row, Implementation),
    RawLatency(Transport),
    RawBandwidth(Transport),
}

/// What a [`Job`] measured: each kind of job gives its own kind of sample.
enum Sample {
    Throughput(ThroughputSample),
    Latency(LatencySample),
    Bandwidth(BandwidthSample),
}

impl Series for Job {
    type Sample = Sample;

    fn label(&self) -> String {
        match *self {
            Job::Throughput(row, library) => format!(
                "throughput {:6} {:>7} {library}",
                row.transport.name(),
                units::size(row.size)
            ),
            Job::Latency(row, library) => format!(
                "latency    {:6} {:>7} {library}",
                row.transport.name(),
                units::size(row.size)
            ),
            Job::RawLatency(transport) => format!(
                "latency    {:6} {:>7} raw socket",
                transport.name(),
                units::size(RAW_PING_SIZE)
            ),
            Job::RawBandwidth(transport) => {
                format!("bandwidth  {:6} {:>7} raw socket", transport.name(), "")
            }
        }
    }

    fn sizing(&self) -> Sizing {
        Sizing::Pilot(match *self {
            Job::Throughput(row, _) => plan::throughput_pilot(row.size),
            Job::Latency(row, _) => plan::latency_pilot(row.size),
            Job::RawLatency(_) => plan::RAW_LATENCY_PILOT,
            Job::RawBandwidth(_) => plan::BANDWIDTH_PILOT,
        })
    }

    fn measure(&self, count: u64) -> Result<Sample> {
        match *self {
            Job::Throughput(row, library) => throughput::measure(&ThroughputSetup::new(
                library,
                row.transport,
                row.size,
                count,
            ))
            .map(Sample::Throughput),
            Job::Latency(row, library) => latency::measure(&LatencySetup {
                library,
                transport: row.transport,
                size: row.size,
                round_trips: count,
            })
            .map(Sample::Latency),
            Job::RawLatency(transport) => {
                baseline::measure_latency(transport, RAW_PING_SIZE, count).map(Sample::Latency)
            }
            Job::RawBandwidth(transport) => {
                baseline::measure_bandwidth(transport, count).map(Sample::Bandwidth)
            }
        }
    }

    fn elapsed(sample: &Sample) -> Duration {
        match sample {
            Sample::Throughput(sample) => sample.elapsed,
            Sample::Latency(sample) => sample.elapsed,
            Sample::Bandwidth(sample) => sample.elapsed,
        }
    }

    fn headline(sample: &Sample) -> String {
        match sample {
            Sample::Throughput(sample) => format!(
                "{} msgs/s, {} MB/s",
                units::rate(sample.messages_per_second()),
                units::significant(sample.megabytes_per_second())
            ),
            Sample::Latency(sample) => {
                format!("{} µs one way", units::significant(sample.one_way_micros()))
            }
            Sample::Bandwidth(sample) => {
                format!("{} MB/s", units::significant(sample.megabytes_per_second()))
            }
        }
    }
}

impl CompareResults {
    fn new(plan: Plan) -> CompareResults {
        CompareResults {
            plan,
            throughput: BTreeMap::new(),
            latency: BTreeMap::new(),
            raw_latency: BTreeMap::new(),
            raw_bandwidth: BTreeMap::new(),
        }
    }

    fn record(&mut self, job: Job, measured: Result<Sample>) {
        // Each job measures its own kind of sample, so the other arms cannot happen.
        const OWN_KIND: &str = "a job measures its own kind of sample";
        match job {
            Job::Throughput(row, library) => {
                let outcome = self.throughput.entry(row).or_default();
                outcome
                    .entry(library)
                    .or_default()
                    .record(measured.map(|sample| match sample {
                        Sample::Throughput(sample) => sample,
                        _ => unreachable!("{OWN_KIND}"),
                    }))
            }
            Job::Latency(row, library) => {
                let outcome = self.latency.entry(row).or_default();
                outcome
                    .entry(library)
                    .or_default()
                    .record(measured.map(|sample| match sample {
                        Sample::Latency(sample) => sample,
                        _ => unreachable!("{OWN_KIND}"),
                    }))
            }
            Job::RawLatency(transport) => {
                let outcome = self.raw_latency.entry(transport).or_default();
                outcome.record(measured.map(|sample| match sample {
                    Sample::Latency(sample) => sample,
                    _ => unreachable!("{OWN_KIND}"),
                }))
            }
            Job::RawBandwidth(transport) => {
                let outcome = self.raw_bandwidth.entry(transport).or_default();
                outcome.record(measured.map(|sample| match sample {
                    Sample::Bandwidth(sample) => sample,
                    _ => unreachable!("{OWN_KIND}"),
                }))
            }
        }
    }
}

fn jobs(plan: &Plan) -> Vec<Job> {
    // The libraries of a row, measured back to back so that a disturbance hits them alike;
    // the async API only in the row it is compared in.
    let libraries = |row: Row| {
        Implementation::EVERY.into_iter().filter(move |&library| {
            library.supports(row.transport)
                && plan.measures(library)
                && (library != Implementation::FerrozmqAsync || row == ASYNC_ROW)
        })
    };
    let mut jobs = Vec::new();
    for &transport in &plan.transports {
        for &size in &plan.throughput_sizes {
            let row = Row { transport, size };
            jobs.extend(libraries(row).map(|library| Job::Throughput(row, library)));
        }
    }
    for &transport in &plan.transports {
        for &size in &plan.latency_sizes {
            let row = Row { transport, size };
            jobs.extend(libraries(row).map(|library| Job::Latency(row, library)));
        }
    }
    for &transport in &plan.transports {
        if transport != Transport::Inproc {
            jobs.push(Job::RawLatency(transport));
            jobs.push(Job::RawBandwidth(transport));
        }
    }
    jobs
}

/// Runs the plan: throughput, latency and the plain-socket bounds, interleaved.
pub fn run(plan: Plan) -> CompareResults {
    let jobs = jobs(&plan);
    let mut results = CompareResults::new(plan.clone());
    rounds::run(&jobs, plan.rounds, plan.target, |job, measured| {
        results.record(job, measured)
    });
    results
}
