//! Running series of measurements in interleaved rounds.
//!
//! Each series is first sized by a pilot (see [`plan::scaled_count`]); then every round
//! measures each series once, in the order given, so that the implementations of one row
//! are measured back to back and a disturbance from elsewhere on the machine lands on all
//! of them alike instead of on whichever library happened to be running at the time.

use crate::error::Result;
use crate::plan;
use std::time::Duration;

/// How a series picks its count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sizing {
    /// Run this count once, then scale it to the plan's target duration.
    Pilot(u64),
    /// Always this count: the scenario's size is the point (10,000 connections).
    Fixed(u64),
}

/// One series of measurements.
pub trait Series: Copy {
    /// What one measurement produces.
    type Sample;

    /// How the series shows in progress lines.
    fn label(&self) -> String;

    /// How the series picks its count.
    fn sizing(&self) -> Sizing;

    /// Makes one measurement of `count` messages, round trips, bytes or connections.
    fn measure(&self, count: u64) -> Result<Self::Sample>;

    /// How long the measured interval of `sample` lasted.
    fn elapsed(sample: &Self::Sample) -> Duration;

    /// The sample's figure for a progress line.
    fn headline(sample: &Self::Sample) -> String;
}

/// Sizes every series, then runs `rounds` rounds of them, handing each result to
/// `record` as it comes. Progress goes to stderr; a failed pilot drops its series from
/// the rounds (its error is recorded once), a failed measurement is recorded and the run
/// goes on.
pub fn run<S: Series>(
    series: &[S],
    rounds: usize,
    target: Duration,
    mut record: impl FnMut(S, Result<S::Sample>),
) {
    let mut sized = Vec::with_capacity(series.len());
    for &one in series {
        match one.sizing() {
            Sizing::Fixed(count) => sized.push((one, count)),
            Sizing::Pilot(pilot) => match one.measure(pilot) {
                Ok(sample) => {
                    let count = plan::scaled_count(pilot, S::elapsed(&sample), target);
                    eprintln!(
                        "[pilot] {}: {} → count {count}",
                        one.label(),
                        S::headline(&sample)
                    );
                    sized.push((one, count));
                }
                Err(error) => {
                    eprintln!("[pilot] {}: FAILED: {error}", one.label());
                    record(one, Err(error));
                }
            },
        }
    }
    for round in 1..=rounds {
        for &(one, count) in &sized {
            let measured = one.measure(count);
            match &measured {
                Ok(sample) => {
                    eprintln!(
                        "[{round}/{rounds}] {}: {}",
                        one.label(),
                        S::headline(sample)
                    )
                }
                Err(error) => eprintln!("[{round}/{rounds}] {}: FAILED: {error}", one.label()),
            }
            record(one, measured);
        }
    }
}
