//! Whether what a socket sends can reach anyone: peers ready for it before sending, and
//! messages still queued after. Neither exists in libzmq, where the answers take an XPUB
//! or a handshake of the application's own.

use super::options::to_millis_or_minus_one;
use super::Socket;
use crate::error::Result;
use std::time::Duration;

impl Socket {
    /// PUB, XPUB: waits until at least `count` peers have subscribed to something (RADIO:
    /// joined a group; a udp peer counts at once), then returns; fails with
    /// [`Error::Again`](crate::Error::Again) when `timeout` (`None`: for ever) runs out
    /// first, with [`Error::NotSupported`](crate::Error::NotSupported) on the other types.
    ///
    /// A subscription takes a moment to reach the publisher after the subscriber connects,
    /// and what is published before it arrives does not go to that subscriber (the "slow
    /// joiner"): waiting for the subscribers a program knows of closes that gap. A peer
    /// counts while it is connected and has a subscription (with INVERT_MATCHING, while it
    /// is connected; with XPUB_MANUAL, once it asked, applied or not).
    ///
    /// ```
    /// use ferrozmq::{Context, PUB, SUB};
    /// use std::time::Duration;
    /// let ctx = Context::new();
    /// let publisher = ctx.socket(PUB).unwrap();
    /// let endpoint = publisher.bind("tcp://127.0.0.1:*").unwrap();
    /// let subscriber = ctx.socket(SUB).unwrap();
    /// subscriber.subscribe("weather").unwrap();
    /// subscriber.connect(&endpoint).unwrap();
    ///
    /// // Sent now, a message would most likely reach nobody: the subscription is on its way.
    /// publisher.wait_for_subscribers(1, Some(Duration::from_secs(5))).unwrap();
    /// publisher.send("weather: 晴").unwrap();
    /// assert_eq!(subscriber.recv().unwrap(), "weather: 晴");
    /// ```
    pub fn wait_for_subscribers(&self, count: usize, timeout: Option<Duration>) -> Result<()> {
        let timeout_ms = to_millis_or_minus_one(timeout, "the timeout is at most i32::MAX ms")?;
        self.core().wait_for_subscribers(count, timeout_ms)
    }

    /// How many messages this socket has queued that no connection has taken yet: sent
    /// while no peer was connected, or faster than the peers read. At close, LINGER decides
    /// whether they are still delivered; a program that must know they went out waits for
    /// this to reach 0 first. A message queued for several peers (PUB) counts once per
    /// peer. Over inproc, a message counts until the peer socket receives it.
    ///
    /// ```
    /// use ferrozmq::{Context, PUSH};
    /// use std::time::Duration;
    /// let push = Context::new().socket(PUSH).unwrap();
    /// push.options().set_linger(Some(Duration::ZERO)).unwrap();
    /// push.connect("tcp://127.0.0.1:9").unwrap(); // nobody there: the message waits
    /// push.send("anyone?").unwrap();
    /// assert_eq!(push.unsent(), 1);
    /// ```
    pub fn unsent(&self) -> usize {
        self.core().unsent()
    }
}
