//! Liveness of an established connection (RFC 37, "Connection Heartbeating"): PINGs every
//! HEARTBEAT_IVL, and death declared when nothing at all arrives within HEARTBEAT_TIMEOUT of
//! a PING, or within the TTL the peer asked for in its own PING after that PING (as libzmq:
//! the TTL asks for the next traffic, not for a connection never silent again). Any traffic
//! counts as a sign of life, not only PONG: a PONG may be queued behind a long transfer.
//!
//! Pure timekeeping: the session feeds it traffic and clock readings and does what
//! [`Heartbeat::poll`] says.

use std::time::{Duration, Instant};

/// What the session should do now.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Beat {
    /// Nothing yet.
    Wait,
    /// Send a PING carrying this TTL (tenths of a second).
    Ping { ttl_deciseconds: u16 },
    /// The peer has been silent too long: drop the connection.
    Dead,
}

/// See the module documentation.
#[derive(Debug)]
pub(super) struct Heartbeat {
    /// Our PINGs: interval, and how long to wait for traffic after one.
    pings: Option<(Duration, Duration)>,
    /// TTL sent in our PINGs.
    ttl_deciseconds: u16,
    next_ping: Option<Instant>,
    /// A PING went out at this instant and nothing has arrived since.
    unanswered_since: Option<Instant>,
    /// The peer's last PING asked to be dropped unless more traffic comes by then.
    peer_deadline: Option<Instant>,
    last_traffic: Instant,
}

impl Heartbeat {
    /// Heartbeats for a connection whose handshake just completed. `interval` zero means we
    /// send no PINGs (the peer's TTL is still honoured).
    pub(super) fn new(interval: Duration, timeout: Duration, ttl: Duration, now: Instant) -> Self {
        let pings = (!interval.is_zero()).then(|| {
            let timeout = if timeout.is_zero() { interval } else { timeout };
            (interval, timeout)
        });
        Heartbeat {
            pings,
            ttl_deciseconds: u16::try_from(ttl.as_millis() / 100).unwrap_or(u16::MAX),
            next_ping: pings.map(|(interval, _)| now + interval),
            unanswered_since: None,
            peer_deadline: None,
            last_traffic: now,
        }
    }

    /// Something (anything) arrived from the peer.
    #[inline]
    pub(super) fn on_traffic(&mut self, now: Instant) {
        self.last_traffic = now;
        self.unanswered_since = None;
        self.peer_deadline = None;
    }

    /// A message (or command) was decoded: the peer's TTL is met, even when it came in the
    /// same read as the PING. Takes no clock reading: it runs once per message.
    #[inline]
    pub(super) fn on_message(&mut self) {
        self.peer_deadline = None;
    }

    /// The peer sent a PING asking to be dropped unless more traffic comes within
    /// `ttl_deciseconds`.
    pub(super) fn on_peer_ping(&mut self, ttl_deciseconds: u16, now: Instant) {
        self.last_traffic = now;
        self.unanswered_since = None;
        self.peer_deadline = (ttl_deciseconds > 0)
            .then(|| now + Duration::from_millis(u64::from(ttl_deciseconds) * 100));
    }

    /// Whether anything is watched at all.
    pub(super) fn is_active(&self) -> bool {
        self.pings.is_some() || self.peer_deadline.is_some()
    }

    /// What to do at `now`.
    pub(super) fn poll(&mut self, now: Instant) -> Beat {
        if self.peer_deadline.is_some_and(|deadline| now >= deadline) {
            return Beat::Dead;
        }
        let Some((interval, timeout)) = self.pings else {
            return Beat::Wait;
        };
        if let Some(sent) = self.unanswered_since {
            if now >= sent + timeout {
                return Beat::Dead;
            }
        }
        match self.next_ping {
            Some(due) if now >= due => {
                self.next_ping = Some(now + interval);
                self.unanswered_since.get_or_insert(now);
                Beat::Ping {
                    ttl_deciseconds: self.ttl_deciseconds,
                }
            }
            _ => Beat::Wait,
        }
    }

    /// When [`poll`](Self::poll) may next have something to say.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let peer = self.peer_deadline;
        let silence = self
            .unanswered_since
            .zip(self.pings)
            .map(|(sent, (_, timeout))| sent + timeout);
        [peer, silence, self.next_ping].into_iter().flatten().min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn pings_every_interval_while_traffic_flows() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(100 * MS, 300 * MS, 1000 * MS, t0);
        assert_eq!(hb.poll(t0 + 50 * MS), Beat::Wait);
        assert_eq!(
            hb.poll(t0 + 100 * MS),
            Beat::Ping {
                ttl_deciseconds: 10
            }
        );
        hb.on_traffic(t0 + 150 * MS);
        assert_eq!(hb.next_deadline(), Some(t0 + 200 * MS));
        assert!(matches!(hb.poll(t0 + 200 * MS), Beat::Ping { .. }));
    }

    #[test]
    fn silence_after_a_ping_kills_at_the_timeout() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(100 * MS, 250 * MS, Duration::ZERO, t0);
        assert!(matches!(hb.poll(t0 + 100 * MS), Beat::Ping { .. }));
        // Later PINGs do not restart the clock of the first unanswered one.
        assert!(matches!(hb.poll(t0 + 200 * MS), Beat::Ping { .. }));
        assert!(matches!(hb.poll(t0 + 300 * MS), Beat::Ping { .. }));
        assert_eq!(hb.poll(t0 + 349 * MS), Beat::Wait);
        assert_eq!(hb.poll(t0 + 350 * MS), Beat::Dead);
    }

    #[test]
    fn zero_timeout_means_the_interval() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(100 * MS, Duration::ZERO, Duration::ZERO, t0);
        assert!(matches!(hb.poll(t0 + 100 * MS), Beat::Ping { .. }));
        assert_eq!(hb.poll(t0 + 200 * MS), Beat::Dead);
    }

    #[test]
    fn the_peers_ttl_is_honoured_without_pings_of_our_own() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(Duration::ZERO, Duration::ZERO, Duration::ZERO, t0);
        assert!(!hb.is_active());
        hb.on_peer_ping(5, t0);
        assert!(hb.is_active());
        assert_eq!(hb.next_deadline(), Some(t0 + 500 * MS));
        assert_eq!(hb.poll(t0 + 500 * MS), Beat::Dead);
        // Traffic after the PING meets its TTL; silence after that is no reason to go.
        hb.on_peer_ping(5, t0);
        hb.on_traffic(t0 + 400 * MS);
        assert_eq!(hb.poll(t0 + 5000 * MS), Beat::Wait);
        // A message read with the PING meets it too.
        hb.on_peer_ping(5, t0);
        hb.on_message();
        assert_eq!(hb.next_deadline(), None);
    }

    #[test]
    fn large_ttls_saturate() {
        let hb = Heartbeat::new(MS, MS, Duration::from_secs(100_000), Instant::now());
        assert_eq!(hb.ttl_deciseconds, u16::MAX);
    }
}
