//! When a connect endpoint tries again: RECONNECT_IVL after a failure, doubling after each
//! further failure up to RECONNECT_IVL_MAX (when that is larger), back to RECONNECT_IVL once
//! a handshake succeeds, plus a random extra of up to one RECONNECT_IVL so that the clients
//! of a restarted server do not all come back in the same instant.
//!
//! Pure timekeeping: the session passes the clock in and connects when [`Backoff::due`]
//! says so.

use std::time::{Duration, Instant};

/// See the module documentation.
#[derive(Debug)]
pub(super) struct Backoff {
    /// RECONNECT_IVL; `None` never reconnects (RECONNECT_IVL -1).
    base: Option<Duration>,
    /// RECONNECT_IVL_MAX.
    max: Option<Duration>,
    /// The wait before the next attempt, without jitter; `None` once given up.
    interval: Option<Duration>,
    jitter: Jitter,
    retry_at: Option<Instant>,
}

impl Backoff {
    /// Backoff for RECONNECT_IVL `base` and RECONNECT_IVL_MAX `max`; `seed` spreads the
    /// jitter of different endpoints.
    pub(super) fn new(base: Option<Duration>, max: Option<Duration>, seed: u64) -> Self {
        Backoff {
            base,
            max,
            interval: base,
            jitter: Jitter(seed | 1),
            retry_at: None,
        }
    }

    /// A connection failed or ended at `now`: arms the next attempt and returns when it is
    /// and the interval it waits (without jitter, which is what the monitor reports), or
    /// `None` when reconnection is off or given up.
    pub(super) fn schedule(&mut self, now: Instant) -> Option<(Instant, Duration)> {
        let delay = self.interval?;
        let when = now + delay + self.jitter.below(self.base.unwrap_or_default());
        self.retry_at = Some(when);
        if let Some(max) = self.max.filter(|m| *m > delay) {
            self.interval = Some((delay * 2).min(max));
        }
        Some((when, delay))
    }

    /// A handshake succeeded: the next failure waits RECONNECT_IVL again.
    pub(super) fn reset(&mut self) {
        self.interval = self.base;
    }

    /// Stops reconnecting for good (RECONNECT_STOP, or a peer that broke the protocol).
    pub(super) fn give_up(&mut self) {
        self.interval = None;
    }

    /// Whether a failure now would be followed by another attempt (reconnection is on and
    /// not given up).
    pub(super) fn will_retry(&self) -> bool {
        self.interval.is_some()
    }

    /// Whether the attempt armed by [`schedule`](Self::schedule) is due at `now`; it is
    /// disarmed when it is.
    pub(super) fn due(&mut self, now: Instant) -> bool {
        let due = self.retry_at.is_some_and(|t| now >= t);
        if due {
            self.retry_at = None;
        }
        due
    }

    /// When the armed attempt is due.
    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        self.retry_at
    }
}

/// A small generator of reconnection jitter; quality does not matter, spread does.
#[derive(Clone, Copy, Debug)]
struct Jitter(u64);

impl Jitter {
    /// A duration in `0..bound`.
    fn below(&mut self, bound: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX).max(1);
        Duration::from_nanos(self.0 % nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// The intervals of `n` failures in a row, each checked against its jittered time.
    fn intervals(backoff: &mut Backoff, base: Duration, n: usize) -> Vec<Duration> {
        let t0 = Instant::now();
        (0..n)
            .map(|_| {
                let (when, delay) = backoff.schedule(t0).expect("reconnecting");
                assert!(when >= t0 + delay && when < t0 + delay + base.max(MS));
                delay
            })
            .collect()
    }

    #[test]
    fn the_interval_doubles_up_to_the_maximum() {
        let mut backoff = Backoff::new(Some(100 * MS), Some(700 * MS), 7);
        assert_eq!(
            intervals(&mut backoff, 100 * MS, 5),
            [100 * MS, 200 * MS, 400 * MS, 700 * MS, 700 * MS]
        );
    }

    #[test]
    fn without_a_larger_maximum_the_interval_stays() {
        for max in [None, Some(Duration::ZERO), Some(50 * MS)] {
            let mut backoff = Backoff::new(Some(100 * MS), max, 7);
            assert_eq!(intervals(&mut backoff, 100 * MS, 3), [100 * MS; 3]);
        }
    }

    #[test]
    fn a_handshake_resets_the_interval() {
        let mut backoff = Backoff::new(Some(10 * MS), Some(1000 * MS), 3);
        intervals(&mut backoff, 10 * MS, 4);
        backoff.reset();
        assert_eq!(intervals(&mut backoff, 10 * MS, 2), [10 * MS, 20 * MS]);
    }

    #[test]
    fn off_or_given_up_never_schedules() {
        let mut off = Backoff::new(None, Some(1000 * MS), 1);
        assert!(!off.will_retry());
        assert_eq!(off.schedule(Instant::now()), None);
        let mut stopped = Backoff::new(Some(10 * MS), None, 1);
        assert!(stopped.will_retry());
        stopped.give_up();
        assert!(!stopped.will_retry());
        assert_eq!(stopped.schedule(Instant::now()), None);
        stopped.reset();
        assert!(stopped.will_retry());
        assert!(stopped.schedule(Instant::now()).is_some());
    }

    #[test]
    fn an_attempt_is_due_once_at_its_time() {
        let t0 = Instant::now();
        let mut backoff = Backoff::new(Some(100 * MS), None, 5);
        assert!(!backoff.due(t0 + 10_000 * MS));
        let (when, _) = backoff.schedule(t0).unwrap();
        assert_eq!(backoff.poll_timeout(), Some(when));
        assert!(!backoff.due(when - MS));
        assert!(backoff.due(when));
        assert!(!backoff.due(when));
        assert_eq!(backoff.poll_timeout(), None);
    }

    #[test]
    fn jitter_spreads_endpoints() {
        let t0 = Instant::now();
        let times: std::collections::HashSet<Instant> = (1..20)
            .map(|endpoint| {
                let seed = endpoint * 0x9E37_79B9;
                Backoff::new(Some(100 * MS), None, seed)
                    .schedule(t0)
                    .unwrap()
                    .0
            })
            .collect();
        assert!(times.len() > 10, "{} distinct times", times.len());
    }
}
