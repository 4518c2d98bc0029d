//! Routing strategies of the socket types, as plain state machines.
//!
//! Nothing here touches a pipe: each strategy is told which pipes exist and what happened
//! to them, and answers with a [`PipeId`] to write to, to read from, or to deliver to. The
//! socket does the moving of messages, so every routing rule is tested without I/O.
//!
//! - [`LoadBalancer`]: where the next outgoing message goes (PUSH, DEALER, REQ).
//! - [`FairQueue`]: which pipe the next incoming message is taken from (PULL, DEALER, SUB, ...).
//! - [`SubscriptionSet`]: what a SUB socket asked for, and whether a message matches it.
//! - [`SubscriptionTrie`]: which pipes of a PUB socket a message goes to.
//! - [`RoutingTable`]: which pipe a routing id names (ROUTER).

/// A pipe's key in its socket's pipe table: a small, dense integer (slab index), reused after removal.
pub(crate) type PipeId = usize;

mod byte_trie;
pub(crate) mod fair_queue;
pub(crate) mod load_balance;
mod round_robin;
pub(crate) mod routing_table;
pub(crate) mod subscription_trie;
pub(crate) mod subscriptions;
#[cfg(test)]
mod test_rng;

pub(crate) use fair_queue::FairQueue;
pub(crate) use load_balance::LoadBalancer;
pub(crate) use routing_table::{Assignment, RoutingTable};
pub(crate) use subscription_trie::SubscriptionTrie;
pub(crate) use subscriptions::SubscriptionSet;
