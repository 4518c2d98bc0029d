//! One [`Pattern`](super::pattern::Pattern) per socket type.

mod dealer;
mod dgram;
mod dish;
mod pair;
mod publish;
mod pull;
mod push;
mod radio;
mod rep;
mod req;
mod router;
mod server;
mod single_part;
mod stream;
mod subscribe;
#[cfg(test)]
mod tests;
mod xsub;

use super::pattern::Pattern;
use crate::error::{Error, Result};
use zmtp::SocketType;

/// The behaviour of a socket type.
pub(crate) fn pattern_for(socket_type: SocketType) -> Result<Box<dyn Pattern>> {
    Ok(match socket_type {
        SocketType::Req => Box::<req::Req>::default(),
        SocketType::Rep => Box::<rep::Rep>::default(),
        SocketType::Pub => Box::new(publish::Publish::publisher()),
        SocketType::XPub => Box::new(publish::Publish::exposing_subscriptions()),
        SocketType::XSub => Box::<xsub::XSub>::default(),
        SocketType::Router => Box::<router::Router>::default(),
        SocketType::Sub => Box::<subscribe::Subscribe>::default(),
        SocketType::Push => Box::<push::Push>::default(),
        SocketType::Pull => Box::<pull::Pull>::default(),
        SocketType::Dealer => Box::<dealer::Dealer>::default(),
        SocketType::Pair => Box::<pair::Pair>::default(),
        SocketType::Server | SocketType::Peer => Box::<server::Server>::default(),
        SocketType::Client => Box::<single_part::SinglePart<dealer::Dealer>>::default(),
        SocketType::Scatter => Box::<single_part::SinglePart<push::Push>>::default(),
        SocketType::Gather => Box::<single_part::SinglePart<pull::Pull>>::default(),
        SocketType::Channel => Box::<single_part::SinglePart<pair::Pair>>::default(),
        SocketType::Radio => Box::<radio::Radio>::default(),
        SocketType::Dish => Box::<dish::Dish>::default(),
        SocketType::Stream => Box::<stream::Stream>::default(),
        SocketType::Dgram => Box::<dgram::Dgram>::default(),
        _ => return Err(Error::NotSupported),
    })
}
