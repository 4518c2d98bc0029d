//! The samples a series collected over the rounds, and the rounds that failed.

use crate::error::Result;
use crate::stats;

/// The successful samples of one series and the errors of the failed ones.
#[derive(Clone, Debug)]
pub struct Outcome<T> {
    /// One per successful round.
    pub samples: Vec<T>,
    /// One per failed round (or failed pilot), as the error said it.
    pub failures: Vec<String>,
}

impl<T> Default for Outcome<T> {
    fn default() -> Self {
        Outcome {
            samples: Vec::new(),
            failures: Vec::new(),
        }
    }
}

impl<T> Outcome<T> {
    /// Adds a round's sample, or its failure.
    pub fn record(&mut self, measured: Result<T>) {
        match measured {
            Ok(sample) => self.samples.push(sample),
            Err(error) => self.failures.push(error.to_string()),
        }
    }

    /// The median of `value` over the samples.
    pub fn median(&self, value: impl Fn(&T) -> f64) -> Option<f64> {
        stats::median(&self.values(value))
    }

    /// The spread of `value` over the samples (see [`stats::spread`]).
    pub fn spread(&self, value: impl Fn(&T) -> f64) -> Option<f64> {
        stats::spread(&self.values(value))
    }

    fn values(&self, value: impl Fn(&T) -> f64) -> Vec<f64> {
        self.samples.iter().map(value).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::BenchError;

    #[test]
    fn records_samples_and_failures_apart() {
        let mut outcome = Outcome::default();
        outcome.record(Ok(2.0));
        outcome.record(Err(BenchError::PeerProtocol("stuck".to_string())));
        outcome.record(Ok(4.0));
        assert_eq!(outcome.samples, vec![2.0, 4.0]);
        assert_eq!(outcome.failures, vec!["worker process: stuck".to_string()]);
        assert_eq!(outcome.median(|v| *v), Some(3.0));
        assert_eq!(outcome.spread(|v| *v), Some(2.0 / 3.0));
    }
}
