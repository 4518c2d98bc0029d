//! The end of a handshake: the ZAP verdict on a client, then the pipe that hands the peer to
//! the socket.

use super::{Closing, Origin, Session};
use crate::engine::peer_messages;
use crate::engine::pump::Ctx;
use crate::engine::reason::Reason;
use crate::engine::zap::{RequestContext, ZapClient, ZapOutcome};
use crate::engine::Owner;
use crate::pipe::{pipe, PipeLimits};
use crate::properties::Properties;
use crate::socket::mailbox::{PeerDetails, SocketEvent};
use std::os::fd::AsRawFd;
use std::time::Instant;
use zmtp::greeting::MechanismName;
use zmtp::mechanism::{AuthRequest, Verdict};
use zmtp::{Message, PeerInfo};

impl Session {
    /// The handshake finished: the peer's pipe goes to the socket (a new one, unless the
    /// endpoint's pipe outlives connections).
    pub(super) fn on_handshake(&mut self, peer: PeerInfo, ctx: &mut Ctx<'_>) -> Result<(), Reason> {
        let properties = match &self.link {
            Some(link) => Properties::of_peer(&peer, &link.peer_address)
                .with_source_fd(link.stream.as_raw_fd()),
            None => Properties::of_peer(&peer, ""),
        };
        if let Some(end) = &self.end {
            // A pipe that outlives connections describes the newest one.
            end.set_properties(properties.clone());
        }
        if let Origin::Connect { backoff, .. } = &mut self.origin {
            backoff.reset();
        }
        if let Some(filters) = &self.filters {
            // The new peer knows nothing of what the old one was told.
            for announcement in filters.announcements() {
                self.replay.push_front(announcement);
            }
        }
        if self.end.is_none() {
            if self.closing != Closing::No || self.owner.link.is_closed() {
                return Err(Reason::SocketClosed);
            }
            let options = &self.owner.options;
            let (mut socket_end, engine_end) = pipe(
                self.owner.link.clone(),
                ctx.io.clone(),
                PipeLimits {
                    a_to_b: options.outbound_limit(self.owner.link.socket_type),
                    b_to_a: options.inbound_limit(self.owner.link.socket_type),
                },
            );
            engine_end.register(ctx.token);
            super::lend_through(&engine_end, &self.lender);
            engine_end.set_properties(properties);
            self.end = Some(engine_end);
            if options.probe_router && self.owner.link.socket_type == zmtp::SocketType::Router {
                // The probe goes out now, as libzmq's does on connect: the socket itself
                // attaches the pipe only when its owner next calls it, which a ROUTER
                // waiting to be greeted by name may never do.
                socket_end.send_control(Message::new());
            }
            self.owner.link.post(SocketEvent::Attach(
                socket_end,
                PeerDetails {
                    routing_id: peer.identity,
                    endpoint: self.owner.endpoint.clone(),
                },
            ));
        }
        if let Some(end) = self.end.as_mut() {
            peer_messages::connected(&self.owner.options, end);
        }
        // Reported once the socket has the pipe: an application that saw the event and
        // sends at once already sends to this peer too.
        if let Some(link) = &self.link {
            let Owner {
                link: owner,
                endpoint,
                ..
            } = &self.owner;
            let fd = link.stream.as_raw_fd() as u32;
            owner.monitor.emit_handshake_succeeded(fd, endpoint);
        }
        Ok(())
    }

    /// A server mechanism wants a verdict on the client: ask the ZAP handler without waiting
    /// for it, or, when there is none, decide as libzmq 4.3 does. NULL asks only when a ZAP
    /// domain is set (its mechanism was built that way); PLAIN and CURVE ask unless
    /// ZAP_ENFORCE_DOMAIN is set without a domain. With no handler to ask, PLAIN clients are
    /// refused, and NULL and CURVE ones let in unless ZAP_ENFORCE_DOMAIN says otherwise.
    pub(super) fn authenticate(
        &mut self,
        request: AuthRequest,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let Owner { options, zap, .. } = &self.owner;
        let security = &options.security;
        let Some(link) = self.link.as_mut() else {
            return Ok(());
        };
        let ask = !security.zap_domain.is_empty() || !security.zap_enforce_domain;
        if ask {
            let context = RequestContext {
                domain: &security.zap_domain,
                address: &link.peer_address,
                identity: &options.routing_id,
            };
            if let Some(client) =
                ZapClient::start(zap, ctx.io.clone(), ctx.token, &request, &context)
            {
                link.zap = Some(client);
                // Looking once arms the pipe's wake-up for the reply (or finds it there).
                return self.poll_zap(ctx);
            }
        }
        let refuse =
            request.mechanism == MechanismName::PLAIN || (ask && security.zap_enforce_domain);
        let verdict = if refuse {
            Err(Reason::NoZapHandler)
        } else {
            Ok(Verdict::allow(""))
        };
        self.give_verdict(verdict, ctx)
    }

    /// Hands the verdict on the client to the connection and lets the handshake go on.
    fn give_verdict(
        &mut self,
        verdict: Result<Verdict, Reason>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let Some(link) = self.link.as_mut() else {
            return Ok(());
        };
        link.conn.handle_verdict(verdict, Instant::now())?;
        // The handshake may be complete now, with input already waiting behind it.
        self.pump_input(ctx)?;
        self.pump_output(ctx)
    }

    /// Reads the ZAP handler's reply if it came.
    pub(super) fn poll_zap(&mut self, ctx: &mut Ctx<'_>) -> Result<(), Reason> {
        let Some(outcome) = self
            .link
            .as_mut()
            .and_then(|l| l.zap.as_mut())
            .and_then(ZapClient::poll)
        else {
            return Ok(());
        };
        if let Some(link) = self.link.as_mut() {
            link.zap = None;
        }
        match outcome {
            ZapOutcome::Answered(reply) => self.give_verdict(reply.map_err(Reason::Zap), ctx),
            // No verdict will come, and the client did nothing wrong: as in libzmq the
            // handshake waits on, and ends as it would without an answer, when the client
            // gives up (HANDSHAKE_FAILED_NO_DETAIL, EPIPE) or at HANDSHAKE_IVL. Refusing it
            // at once would only have it reconnect to a server that has no handler now.
            ZapOutcome::HandlerGone => Ok(()),
        }
    }
}
