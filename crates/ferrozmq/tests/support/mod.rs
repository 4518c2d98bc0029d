//! Test beds for the multi-host tests: a fault-injecting TCP proxy (no privileges needed)
//! and pairs of network namespaces joined by a veth link (root, iproute2 and nftables).

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

pub mod fault_proxy;
pub mod netns;
