//! Diagnostics through [`tracing`](https://docs.rs/tracing), with the `tracing` feature:
//! why a connection was lost, why a handshake failed, which messages a full pipe dropped,
//! when a reconnect is tried. Events go to the `ferrozmq` target.
//!
//! Without the feature the macro below expands to nothing: no `tracing` code is compiled
//! and its arguments are never evaluated, so a call site costs nothing. The events and
//! their fields are listed for users in the crate documentation (lib.rs, "Diagnostics").

/// One `tracing` event at `$level` (`error`, `warn`, `info`, `debug`, `trace`) on the
/// `ferrozmq` target, with `tracing`'s field and message syntax; or, as `event!(lost: …)`,
/// the event of a lost connection (see `lost`). A statement that vanishes without the
/// `tracing` feature.
macro_rules! event {
    (lost: $($args:tt)+) => {
        #[cfg(feature = "tracing")]
        $crate::trace::lost($($args)+)
    };
    ($level:ident, $($rest:tt)+) => {
        #[cfg(feature = "tracing")]
        ::tracing::$level!(target: "ferrozmq", $($rest)+)
    };
}

pub(crate) use event;

/// How far a connection had come when it ended, and so what its end is called: a connect
/// that failed, a handshake that failed (a refusal, a wrong key, a mechanism mismatch…),
/// or a working connection lost.
#[cfg(feature = "tracing")]
pub(crate) fn lost(
    endpoint: &str,
    connecting: bool,
    ready: bool,
    mechanism: zmtp::greeting::MechanismName,
    reason: &dyn std::fmt::Display,
) {
    if connecting {
        tracing::debug!(target: "ferrozmq", endpoint, %reason, "connect failed");
    } else if !ready {
        tracing::warn!(target: "ferrozmq", endpoint, %mechanism, %reason, "handshake failed");
    } else {
        tracing::info!(target: "ferrozmq", endpoint, %reason, "connection lost");
    }
}
