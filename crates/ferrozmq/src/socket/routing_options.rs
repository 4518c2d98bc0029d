//! Options that change how a socket type routes messages (libzmq's per-type options).

use super::options::SocketOptions;
use super::pattern::PatternOption;
use crate::error::{Error, Result};
use bytes::Bytes;
use zmtp::Message;

/// libzmq can set these but not read them back (except INVERT_MATCHING): the socket type
/// holds them, applied at once.
impl SocketOptions<'_> {
    /// ROUTER: a message to an unknown routing id fails with [`Error::HostUnreachable`], and
    /// one to a full peer blocks (or fails with [`Error::Again`]), instead of being dropped
    /// silently (`ZMQ_ROUTER_MANDATORY`).
    pub fn set_router_mandatory(&self, on: bool) -> Result<()> {
        self.core()
            .set_pattern_option(PatternOption::RouterMandatory(on))
    }

    /// ROUTER: a peer announcing a routing id already in use takes it over, and the old
    /// connection is closed; by default the newcomer is ignored (`ZMQ_ROUTER_HANDOVER`).
    pub fn set_router_handover(&self, on: bool) -> Result<()> {
        self.core()
            .set_pattern_option(PatternOption::RouterHandover(on))
    }

    /// ROUTER, DEALER: send an empty message to every new peer, so that a ROUTER on the
    /// other side learns this socket's routing id at once (`ZMQ_PROBE_ROUTER`).
    pub fn set_probe_router(&self, on: bool) -> Result<()> {
        let mut core = self.core();
        core.set_pattern_option(PatternOption::ProbeRouter(on))?;
        core.options.probe_router = on;
        Ok(())
    }

    /// ROUTER, STREAM: the routing id under which the peer of the next
    /// [`connect`](crate::Socket::connect) is known, whatever it announces; messages to it
    /// may be sent before the connection exists (`ZMQ_CONNECT_ROUTING_ID`). Used once.
    pub fn set_connect_routing_id(&self, id: impl AsRef<[u8]>) -> Result<()> {
        let id = id.as_ref();
        if id.is_empty() || id.len() > 255 {
            return Err(Error::InvalidArgument("routing id must be 1 to 255 bytes"));
        }
        self.core().options.connect_routing_id = Some(Bytes::copy_from_slice(id));
        Ok(())
    }

    /// STREAM: deliver an empty message (after the routing id) when a connection is made
    /// and when it is lost (`ZMQ_STREAM_NOTIFY`); on by default. Other types refuse it.
    ///
    /// ```
    /// let ctx = ferrozmq::Context::new();
    /// let stream = ctx.socket(ferrozmq::STREAM).unwrap();
    /// stream.options().set_stream_notify(false).unwrap();
    /// let dealer = ctx.socket(ferrozmq::DEALER).unwrap();
    /// assert!(dealer.options().set_stream_notify(false).is_err());
    /// ```
    pub fn set_stream_notify(&self, on: bool) -> Result<()> {
        let mut core = self.core();
        if core.socket_type != zmtp::SocketType::Stream {
            return Err(Error::InvalidArgument(
                "STREAM_NOTIFY applies to STREAM sockets only",
            ));
        }
        core.options.stream_notify = on;
        Ok(())
    }

    /// XPUB: hand every subscription to the application, not only the first for each
    /// prefix (`ZMQ_XPUB_VERBOSE`).
    pub fn set_xpub_verbose(&self, on: bool) -> Result<()> {
        self.core()
            .set_pattern_option(PatternOption::XpubVerbose(on))
    }

    /// XPUB: hand every subscription and every cancellation to the application
    /// (`ZMQ_XPUB_VERBOSER`).
    pub fn set_xpub_verboser(&self, on: bool) -> Result<()> {
        self.core()
            .set_pattern_option(PatternOption::XpubVerboser(on))
    }

    /// XPUB: subscriptions do not filter until the application, having received one,
    /// applies it with [`subscribe`](crate::Socket::subscribe) (`ZMQ_XPUB_MANUAL`).
    pub fn set_xpub_manual(&self, on: bool) -> Result<()> {
        self.core()
            .set_pattern_option(PatternOption::XpubManual(on))
    }

    /// XPUB: like [`set_xpub_manual`](Self::set_xpub_manual) (setting it sets that too),
    /// and the first message sent after the application received a subscriber's
    /// subscription goes to that subscriber only, if it matches, the others having had it
    /// already: a last-value cache answers a newcomer without repeating itself to everyone
    /// (`ZMQ_XPUB_MANUAL_LAST_VALUE`, libzmq draft; default false).
    ///
    /// ```
    /// use ferrozmq::{Context, SUB, XPUB};
    /// let ctx = Context::new();
    /// let cache = ctx.socket(XPUB).unwrap();
    /// cache.options().set_xpub_manual_last_value(true).unwrap();
    /// cache.bind("inproc://lvc-doc").unwrap();
    /// let old = ctx.socket(SUB).unwrap();
    /// old.connect("inproc://lvc-doc").unwrap();
    /// old.subscribe("price").unwrap();
    /// assert_eq!(cache.recv().unwrap(), "\x01price");
    /// cache.subscribe("price").unwrap();
    /// cache.send("price 1").unwrap(); // to `old`, the last to subscribe
    /// assert_eq!(old.recv().unwrap(), "price 1");
    /// ```
    pub fn set_xpub_manual_last_value(&self, on: bool) -> Result<()> {
        self.core()
            .set_pattern_option(PatternOption::XpubManualLastValue(on))
    }

    /// XPUB, XSUB: of a multipart message, only the first part may be a subscription
    /// (`\x01prefix`) or a cancellation (`\x00prefix`); the other parts are data, whatever
    /// they start with (`ZMQ_ONLY_FIRST_SUBSCRIBE`, libzmq draft; default false). Without
    /// it ferrozmq takes only single-part messages as subscriptions, where libzmq takes
    /// every part of a multipart message that starts so.
    pub fn set_only_first_subscribe(&self, on: bool) -> Result<()> {
        self.core()
            .set_pattern_option(PatternOption::OnlyFirstSubscribe(on))
    }

    /// PUB, XPUB, SUB, XSUB: how many distinct prefixes are subscribed: on a publisher, by
    /// some peer (applied by the application, with XPUB_MANUAL); on a subscriber, by this
    /// socket (`ZMQ_TOPICS_COUNT`, libzmq 4.3.5 draft, read-only). Other types fail with
    /// [`Error::InvalidArgument`].
    ///
    /// ```
    /// use ferrozmq::{Context, SUB};
    /// let sub = Context::new().socket(SUB).unwrap();
    /// sub.subscribe("a").unwrap();
    /// sub.subscribe("a").unwrap();
    /// sub.subscribe("b").unwrap();
    /// assert_eq!(sub.options().topics_count().unwrap(), 2);
    /// ```
    pub fn topics_count(&self) -> Result<usize> {
        self.core().topics_count()
    }

    /// XPUB: send this message to every new subscriber (`ZMQ_XPUB_WELCOME_MSG`); `None`
    /// stops it.
    pub fn set_xpub_welcome_msg(&self, welcome: Option<&[u8]>) -> Result<()> {
        let msg = welcome.map(Message::from_slice);
        self.core()
            .set_pattern_option(PatternOption::XpubWelcome(msg))
    }

    /// PUB, XPUB: when a subscriber is at its high-water mark, block (or fail with
    /// [`Error::Again`]) instead of dropping the message for it (`ZMQ_XPUB_NODROP`).
    pub fn set_xpub_nodrop(&self, on: bool) -> Result<()> {
        self.core()
            .set_pattern_option(PatternOption::XpubNodrop(on))
    }

    /// REQ: tag each request with an id and accept only the reply carrying it
    /// (`ZMQ_REQ_CORRELATE`). Usually set with [`set_req_relaxed`](Self::set_req_relaxed).
    pub fn set_req_correlate(&self, on: bool) -> Result<()> {
        self.core()
            .set_pattern_option(PatternOption::ReqCorrelate(on))
    }

    /// REQ: allow a new request before the reply to the previous one arrived; the old
    /// request is abandoned, which lets a client recover from a lost server
    /// (`ZMQ_REQ_RELAXED`).
    pub fn set_req_relaxed(&self, on: bool) -> Result<()> {
        self.core()
            .set_pattern_option(PatternOption::ReqRelaxed(on))
    }

    /// PUB, XPUB, SUB: deliver the messages that match *no* subscription
    /// (`ZMQ_INVERT_MATCHING`, default false); publishers and subscribers must agree on it.
    pub fn set_invert_matching(&self, on: bool) -> Result<()> {
        let mut core = self.core();
        core.set_pattern_option(PatternOption::InvertMatching(on))?;
        core.options.invert_matching = on;
        Ok(())
    }

    /// See [`set_invert_matching`](Self::set_invert_matching).
    pub fn invert_matching(&self) -> bool {
        self.core().options.invert_matching
    }
}
