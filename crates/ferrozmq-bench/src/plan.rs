//! What a compare run measures and how long each measurement lasts.
//!
//! Rather than one fixed message count per size, which would take a fast library half a
//! second and a slow one half a minute, every (scenario, implementation) pair first runs a
//! short pilot and the count is scaled so that each real measurement lasts about the
//! target time. Throughput is a rate, so it does not depend on the count once the run is
//! long enough to hide its start.

use crate::args::RunArgs;
use crate::implementations::Implementation;
use crate::transport::Transport;
use std::time::Duration;

/// Message sizes of the full run: tiny, small, the usual, a page, large, very large.
pub const SIZES: [usize; 6] = [8, 64, 256, 1024, 64 * 1024, 1024 * 1024];

/// How many times the default run repeats every measurement.
pub const DEFAULT_ROUNDS: usize = 5;

/// The longest a measurement may last, as a multiple of its pilot's count.
const MAX_SCALE: u64 = 50;

/// What to measure and for how long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Message sizes for throughput.
    pub throughput_sizes: Vec<usize>,
    /// Message sizes for latency.
    pub latency_sizes: Vec<usize>,
    /// Transports, in table order.
    pub transports: Vec<Transport>,
    /// Repetitions of every measurement, interleaved across implementations.
    pub rounds: usize,
    /// How long each measurement should last.
    pub target: Duration,
    /// The libraries measured.
    pub libraries: Vec<Implementation>,
}

impl Plan {
    /// The full plan, or with `quick` a smoke-test subset: two sizes, short measurements,
    /// one round unless `rounds` says otherwise.
    pub fn new(quick: bool, rounds: Option<usize>) -> Plan {
        if quick {
            Plan {
                throughput_sizes: vec![64, 64 * 1024],
                latency_sizes: vec![64],
                transports: Transport::ALL.to_vec(),
                rounds: rounds.unwrap_or(1),
                target: Duration::from_millis(150),
                libraries: Implementation::EVERY.to_vec(),
            }
        } else {
            Plan {
                throughput_sizes: SIZES.to_vec(),
                latency_sizes: SIZES.to_vec(),
                transports: Transport::ALL.to_vec(),
                rounds: rounds.unwrap_or(DEFAULT_ROUNDS),
                target: Duration::from_millis(750),
                libraries: Implementation::EVERY.to_vec(),
            }
        }
    }
}

impl Plan {
    /// The plan without the `left_out` libraries.
    pub fn without(mut self, left_out: &[Implementation]) -> Plan {
        self.libraries.retain(|library| !left_out.contains(library));
        self
    }

    /// The plan limited to the rows `options` asks for: its transports and sizes where it
    /// names them.
    pub fn only(mut self, options: &RunArgs) -> Plan {
        if let Some(transports) = &options.transports {
            self.transports
                .retain(|transport| transports.contains(transport));
        }
        if let Some(sizes) = &options.throughput_sizes {
            self.throughput_sizes.clone_from(sizes);
        }
        if let Some(sizes) = &options.latency_sizes {
            self.latency_sizes.clone_from(sizes);
        }
        self
    }

    /// Whether `library` is measured.
    pub fn measures(&self, library: Implementation) -> bool {
        self.libraries.contains(&library)
    }
}

/// Messages in a throughput pilot: 32 MiB worth, between 32 and 200,000.
pub fn throughput_pilot(size: usize) -> u64 {
    ((32 << 20) / size.max(1)).clamp(32, 200_000) as u64
}

/// Round trips in a latency pilot: 8 MiB worth, between 100 and 2,000.
pub fn latency_pilot(size: usize) -> u64 {
    ((8 << 20) / size.max(1)).clamp(100, 2_000) as u64
}

/// Bytes in a raw-stream bandwidth pilot.
pub const BANDWIDTH_PILOT: u64 = 256 << 20;

/// Round trips in a raw-socket latency pilot.
pub const RAW_LATENCY_PILOT: u64 = 2_000;

/// The count for a measurement lasting about `target`, given that a pilot of `pilot` took
/// `took`: never below the pilot, never above [`MAX_SCALE`] times it.
pub fn scaled_count(pilot: u64, took: Duration, target: Duration) -> u64 {
    let ceiling = pilot.saturating_mul(MAX_SCALE);
    if took.is_zero() {
        return ceiling;
    }
    let scaled = pilot as f64 * target.as_secs_f64() / took.as_secs_f64();
    if scaled.is_finite() {
        (scaled as u64).clamp(pilot, ceiling)
    } else {
        ceiling
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_scales_with_the_pilot_rate() {
        let count = scaled_count(
            100_000,
            Duration::from_millis(50),
            Duration::from_millis(750),
        );
        assert_eq!(count, 1_500_000);
    }

    #[test]
    fn count_stays_between_pilot_and_ceiling() {
        let slow = scaled_count(1_000, Duration::from_secs(2), Duration::from_millis(750));
        assert_eq!(slow, 1_000);
        let instant = scaled_count(1_000, Duration::ZERO, Duration::from_millis(750));
        assert_eq!(instant, 50_000);
        let fast = scaled_count(1_000, Duration::from_nanos(1), Duration::from_secs(1));
        assert_eq!(fast, 50_000);
    }

    #[test]
    fn pilots_shrink_with_size_but_stay_measurable() {
        assert_eq!(throughput_pilot(8), 200_000);
        assert_eq!(throughput_pilot(1024), 32_768);
        assert_eq!(throughput_pilot(1024 * 1024), 32);
        assert_eq!(latency_pilot(64), 2_000);
        assert_eq!(latency_pilot(1024 * 1024), 100);
    }

    #[test]
    fn a_plan_keeps_only_the_rows_asked_for() {
        let options = RunArgs {
            transports: Some(vec![Transport::Inproc, Transport::Tcp]),
            latency_sizes: Some(vec![64]),
            ..RunArgs::default()
        };
        let plan = Plan::new(false, None).only(&options);
        // Table order stays the plan's.
        assert_eq!(plan.transports, [Transport::Tcp, Transport::Inproc]);
        assert_eq!(plan.throughput_sizes, SIZES);
        assert_eq!(plan.latency_sizes, [64]);
    }

    #[test]
    fn quick_plan_is_a_subset_of_the_full_one() {
        let full = Plan::new(false, None);
        let quick = Plan::new(true, None);
        assert_eq!(full.rounds, DEFAULT_ROUNDS);
        assert_eq!(quick.rounds, 1);
        assert!(quick
            .throughput_sizes
            .iter()
            .all(|size| full.throughput_sizes.contains(size)));
        assert_eq!(Plan::new(true, Some(3)).rounds, 3);
    }
}
