//! PUB and XPUB: send each message to every peer subscribed to a prefix of it, filtering on
//! the publisher side; a peer past its high-water mark misses the message, nobody blocks
//! (RFC 29). XPUB also hands the subscriptions to the application (as messages starting
//! with 1 for subscribe and 0 for cancel) and passes on what subscribers send upstream.

use crate::patterns::{PipeId, SubscriptionTrie};
use crate::pipe::{Read, WriteError};
use crate::socket::pattern::{Pattern, PatternOption, RecvError, SendError};
use crate::socket::pipes::PipeTable;
use crate::Error;
use std::collections::VecDeque;
use zmtp::{Kind, Message};

/// Notices waiting for the application before an XPUB stops reading its subscribers (they
/// then queue in the pipes, and past those, in the peers): a subscriber cannot grow the
/// publisher's memory without bound by subscribing faster than the application reads.
const INBOX_LIMIT: usize = 1000;

pub(crate) struct Publish {
    /// XPUB: subscriptions surface to the application. PUB: they only steer distribution.
    surface: bool,
    subscriptions: SubscriptionTrie,
    /// XPUB_MANUAL: what each subscriber asked for, whether or not the application applied
    /// it, so that its departure can be announced as libzmq announces it.
    requested: SubscriptionTrie,
    /// Every pipe, for inverted matching.
    pipes: Vec<PipeId>,
    /// Pipes receiving the message being sent (fixed by its first part).
    targets: Vec<PipeId>,
    /// Inside a multipart message being sent.
    more: bool,
    /// What the application receives (XPUB), with the pipe each came from.
    inbox: VecDeque<(Message, Option<PipeId>)>,
    /// Pipes left unread because the inbox was full.
    paused: Vec<PipeId>,
    /// XPUB_MANUAL: the pipe of the subscription notice last received.
    last_pipe: Option<PipeId>,
    verbose: bool,
    verboser: bool,
    manual: bool,
    nodrop: bool,
    invert: bool,
    welcome: Option<Message>,
    /// ONLY_FIRST_SUBSCRIBE: a multipart message may be a subscription by its first part,
    /// the other parts being data (by default only single-part messages subscribe).
    only_first: bool,
    /// XPUB_MANUAL_LAST_VALUE: the first message sent after the application received a
    /// subscriber's message goes to that subscriber only (it has the others' last value).
    last_value: bool,
}

impl Publish {
    /// A PUB socket.
    pub(crate) fn publisher() -> Self {
        Self::new(false)
    }

    /// An XPUB socket.
    pub(crate) fn exposing_subscriptions() -> Self {
        Self::new(true)
    }

    fn new(surface: bool) -> Self {
        Publish {
            surface,
            subscriptions: SubscriptionTrie::default(),
            requested: SubscriptionTrie::default(),
            pipes: Vec::new(),
            targets: Vec::new(),
            more: false,
            inbox: VecDeque::new(),
            paused: Vec::new(),
            last_pipe: None,
            verbose: false,
            verboser: false,
            manual: false,
            nodrop: false,
            invert: false,
            welcome: None,
            only_first: false,
            last_value: false,
        }
    }

    /// Reads what a subscriber sent: subscriptions, and (for XPUB) messages sent upstream.
    fn read_upstream(&mut self, pipes: &mut PipeTable, id: PipeId) {
        let mut first = true;
        loop {
            if first && self.surface && self.inbox.len() >= INBOX_LIMIT {
                if !self.paused.contains(&id) {
                    self.paused.push(id);
                }
                return;
            }
            match pipes.end(id).read() {
                Read::Message(msg) => {
                    let more = msg.more();
                    self.take_upstream(msg, first, id);
                    first = !more;
                }
                Read::Empty => return,
                Read::Closed => {
                    self.forget(id);
                    pipes.retire(id);
                    return;
                }
            }
        }
    }

    fn take_upstream(&mut self, msg: Message, first: bool, id: PipeId) {
        let subscription = match msg.kind() {
            Kind::Subscribe => Some((true, msg.as_slice())),
            Kind::Cancel => Some((false, msg.as_slice())),
            // ZMTP 3.0 subscribers (and XSUB applications) send subscriptions as messages
            // starting with 1 or 0.
            Kind::Data if first && (!msg.more() || self.only_first) => {
                match msg.as_slice().split_first() {
                    Some((&flag @ (0 | 1), prefix)) => Some((flag == 1, prefix)),
                    _ => None,
                }
            }
            Kind::Data | Kind::Join | Kind::Leave => None,
        };
        let Some((subscribe, prefix)) = subscription else {
            if self.surface {
                self.inbox.push_back((msg, Some(id)));
            }
            return;
        };
        if self.manual {
            if subscribe {
                self.requested.add(prefix, id);
            } else {
                self.requested.remove(prefix, id);
            }
            if self.surface {
                self.inbox.push_back((notice(subscribe, prefix), Some(id)));
            }
            return;
        }
        let news = if subscribe {
            self.subscriptions.add(prefix, id) || self.verbose || self.verboser
        } else {
            self.subscriptions.remove(prefix, id) || self.verboser
        };
        if news && self.surface {
            self.inbox.push_back((notice(subscribe, prefix), Some(id)));
        }
    }

    /// Drops a pipe's subscriptions. XPUB tells the application, as libzmq does, which
    /// prefixes lost their last subscriber (every prefix of the pipe with XPUB_VERBOSER; in
    /// manual mode every prefix the pipe asked for).
    fn forget(&mut self, id: PipeId) {
        let Publish {
            subscriptions,
            requested,
            inbox,
            surface,
            manual,
            verboser,
            ..
        } = self;
        let mut announce = |prefix: &[u8]| {
            if *surface {
                inbox.push_back((notice(false, prefix), None));
            }
        };
        if *manual {
            requested.remove_pipe(id, |prefix, _| announce(prefix));
            subscriptions.remove_pipe(id, |_, _| {});
        } else {
            subscriptions.remove_pipe(id, |prefix, vacated| {
                if vacated || *verboser {
                    announce(prefix);
                }
            });
        }
        self.pipes.retain(|&p| p != id);
        self.targets.retain(|&p| p != id);
        self.paused.retain(|&p| p != id);
        if self.last_pipe == Some(id) {
            self.last_pipe = None;
        }
    }

    /// Fixes the pipes the message starting with `first` goes to.
    fn choose_targets(&mut self, first: &[u8]) {
        self.subscriptions.matching(first, &mut self.targets);
        if self.invert {
            let matching = std::mem::take(&mut self.targets);
            self.targets = self
                .pipes
                .iter()
                .copied()
                .filter(|p| !matching.contains(p))
                .collect();
        }
    }
}

/// The message an XPUB application receives for a subscription change.
fn notice(subscribe: bool, prefix: &[u8]) -> Message {
    let mut body = Vec::with_capacity(prefix.len() + 1);
    body.push(u8::from(subscribe));
    body.extend_from_slice(prefix);
    Message::from(body)
}

impl Pattern for Publish {
    fn attach(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.pipes.push(id);
        if let Some(welcome) = &self.welcome {
            pipes.end(id).send_control(welcome.clone());
        }
        self.read_upstream(pipes, id);
    }

    fn detach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        if self.pipes.contains(&id) {
            self.forget(id);
        }
    }

    fn readable(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.read_upstream(pipes, id);
    }

    fn writable(&mut self, _pipes: &mut PipeTable, _id: PipeId) {}

    fn send(&mut self, pipes: &mut PipeTable, msg: Message) -> Result<(), SendError> {
        if !self.more {
            self.choose_targets(&msg);
            if self.last_value {
                if let Some(last) = self.last_pipe.take() {
                    self.targets.retain(|&t| t == last);
                }
            }
            if self.nodrop {
                // Every target is looked at (no short cut): each full one arranges its own
                // Writable event, so a retry meets all their news at once.
                let full = self
                    .targets
                    .iter()
                    .filter(|&&t| !pipes.end(t).poll_writable_as_seen())
                    .count();
                if full > 0 {
                    return Err(SendError::WouldBlock(msg));
                }
            }
        }
        let more = msg.more();
        let mut msg = Some(msg);
        let mut i = 0;
        while i < self.targets.len() {
            let id = self.targets[i];
            // The last target takes the message itself, the others a copy.
            let copy = if i + 1 == self.targets.len() {
                msg.take()
            } else {
                msg.clone()
            };
            let Some(copy) = copy else { break };
            match pipes.end(id).send(copy) {
                Ok(()) => i += 1,
                // A slow subscriber misses this message; the others still get it.
                Err(WriteError::Full(_)) => {
                    crate::trace::event!(
                        debug,
                        socket_type = if self.surface { "XPUB" } else { "PUB" },
                        endpoint = pipes.endpoint(id),
                        "message dropped at the high-water mark"
                    );
                    self.targets.swap_remove(i);
                }
                Err(WriteError::Closed(_)) => {
                    self.forget(id);
                    pipes.retire(id);
                }
            }
        }
        self.more = more;
        if !more {
            self.targets.clear();
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut PipeTable) -> Result<Message, RecvError> {
        if !self.surface {
            return Err(RecvError::Fail(Error::NotSupported));
        }
        let (msg, from) = self.inbox.pop_front().ok_or(RecvError::WouldBlock)?;
        if self.manual && from.is_some() {
            self.last_pipe = from;
        }
        if self.inbox.len() < INBOX_LIMIT {
            for id in std::mem::take(&mut self.paused) {
                self.read_upstream(pipes, id);
            }
        }
        Ok(msg)
    }

    fn has_in(&mut self, _pipes: &mut PipeTable) -> bool {
        self.surface && !self.inbox.is_empty()
    }

    fn has_out(&mut self, _pipes: &mut PipeTable) -> bool {
        // A publisher never blocks (XPUB_NODROP can, for the message at hand only).
        true
    }

    fn subscribe(&mut self, _pipes: &mut PipeTable, prefix: &[u8], on: bool) -> Result<(), Error> {
        // XPUB_MANUAL: the application applies the subscription it last received.
        if !(self.surface && self.manual) {
            return Err(Error::InvalidArgument(
                "subscribing an XPUB needs XPUB_MANUAL",
            ));
        }
        if let Some(pipe) = self.last_pipe {
            if on {
                self.subscriptions.add(prefix, pipe);
            } else {
                self.subscriptions.remove(prefix, pipe);
            }
        }
        Ok(())
    }

    fn subscribers(&self) -> Option<usize> {
        if self.invert {
            // Inverted, a peer without subscriptions gets every message.
            return Some(self.pipes.len());
        }
        // In manual mode what a subscriber asked for counts, applied or not.
        let asked = if self.manual {
            &self.requested
        } else {
            &self.subscriptions
        };
        Some(
            self.pipes
                .iter()
                .filter(|&&pipe| asked.has_subscriptions(pipe))
                .count(),
        )
    }

    fn topics_count(&self) -> Option<usize> {
        Some(self.subscriptions.len())
    }

    fn set_option(&mut self, option: PatternOption) -> Result<(), Error> {
        match (option, self.surface) {
            (PatternOption::OnlyFirstSubscribe(on), true) => self.only_first = on,
            (PatternOption::XpubManualLastValue(on), true) => {
                self.manual = on;
                self.last_value = on;
            }
            (PatternOption::InvertMatching(on), _) => self.invert = on,
            (PatternOption::XpubNodrop(on), _) => self.nodrop = on,
            (PatternOption::XpubVerbose(on), true) => self.verbose = on,
            (PatternOption::XpubVerboser(on), true) => self.verboser = on,
            (PatternOption::XpubManual(on), true) => self.manual = on,
            (PatternOption::XpubWelcome(msg), true) => self.welcome = msg,
            _ => {
                return Err(Error::InvalidArgument(
                    "this option does not apply to this socket type",
                ))
            }
        }
        Ok(())
    }
}
