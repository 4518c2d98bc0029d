//! What can go wrong while benchmarking, in terms the person running it can act on.

use crate::implementations::Implementation;
use std::fmt;
use std::io;
use std::time::Duration;

/// A failed command, measurement or worker.
#[derive(Debug)]
pub enum BenchError {
    /// The command line asks for something the harness does not understand.
    Usage(String),
    /// An operating-system call failed.
    Io {
        /// What the harness was doing.
        doing: &'static str,
        /// The system's error.
        source: io::Error,
    },
    /// A library under test refused an operation; `detail` is its own error text.
    Socket {
        /// Which library.
        library: Implementation,
        /// The operation, e.g. `bind`.
        operation: &'static str,
        /// The library's error, as it formats it.
        detail: String,
    },
    /// A library under test cannot do what the scenario needs.
    Unsupported {
        /// Which library.
        library: Implementation,
        /// The missing feature.
        feature: &'static str,
    },
    /// A worker process said something the protocol does not allow.
    PeerProtocol(String),
    /// A worker process went quiet for longer than any measurement takes.
    PeerTimeout {
        /// The worker's role.
        role: &'static str,
        /// How long the harness waited.
        waited: Duration,
    },
    /// A worker received messages other than the ones the scenario sends.
    UnexpectedMessage {
        /// The length the scenario expected.
        expected: usize,
        /// The length that arrived.
        received: usize,
    },
    /// Drawing a chart failed.
    Chart(String),
}

impl BenchError {
    /// Wraps an I/O error with what the harness was doing when it happened.
    pub fn io(doing: &'static str) -> impl FnOnce(io::Error) -> BenchError {
        move |source| BenchError::Io { doing, source }
    }
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::Usage(text) => write!(f, "{text}"),
            BenchError::Io { doing, source } => write!(f, "{doing}: {source}"),
            BenchError::Socket {
                library,
                operation,
                detail,
            } => write!(f, "{library}: {operation} failed: {detail}"),
            BenchError::Unsupported { library, feature } => {
                write!(f, "{library} does not support {feature}")
            }
            BenchError::PeerProtocol(text) => write!(f, "worker process: {text}"),
            BenchError::PeerTimeout { role, waited } => {
                write!(f, "worker `{role}` silent for {} s", waited.as_secs())
            }
            BenchError::UnexpectedMessage { expected, received } => write!(
                f,
                "received a message of {received} bytes where {expected} were sent"
            ),
            BenchError::Chart(text) => write!(f, "drawing the chart: {text}"),
        }
    }
}

impl std::error::Error for BenchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BenchError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The harness's result type.
pub type Result<T> = std::result::Result<T, BenchError>;
