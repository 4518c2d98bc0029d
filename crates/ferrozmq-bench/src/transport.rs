//! The three transports measured and the endpoints a binding side picks for them.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// How the two sides are connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Transport {
    /// Loopback TCP between two processes.
    Tcp,
    /// A unix domain socket between two processes.
    Ipc,
    /// Two threads of one process, through the library's in-process transport.
    Inproc,
}

impl Transport {
    /// Every transport, in table order.
    pub const ALL: [Transport; 3] = [Transport::Tcp, Transport::Ipc, Transport::Inproc];

    /// The transport's name as it appears in endpoints and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Ipc => "ipc",
            Transport::Inproc => "inproc",
        }
    }

    /// The transport named `name`.
    pub fn parse(name: &str) -> Option<Transport> {
        Transport::ALL.into_iter().find(|t| t.name() == name)
    }

    /// A fresh endpoint to bind: an ephemeral loopback port, a socket file no other run
    /// uses, or a new in-process name.
    pub fn bind_endpoint(self) -> String {
        // Several workers of one run may bind at once; the counter keeps their names apart.
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let sequence = NEXT.fetch_add(1, Ordering::Relaxed);
        match self {
            Transport::Tcp => "tcp://127.0.0.1:0".to_string(),
            Transport::Ipc => format!("ipc://{}", ipc_path(sequence).display()),
            Transport::Inproc => format!("inproc://ferrozmq-bench-{sequence}"),
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn ipc_path(sequence: u32) -> PathBuf {
    std::env::temp_dir().join(format!(
        "ferrozmq-bench-{}-{sequence}.sock",
        std::process::id()
    ))
}

/// The socket file behind an `ipc://` endpoint, to remove once the run is over.
pub fn ipc_file(endpoint: &str) -> Option<&str> {
    endpoint.strip_prefix("ipc://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_names_round_trip() {
        for transport in Transport::ALL {
            assert_eq!(Transport::parse(transport.name()), Some(transport));
        }
        assert_eq!(Transport::parse("udp"), None);
    }

    #[test]
    fn each_ipc_endpoint_is_a_new_file() {
        let first = Transport::Ipc.bind_endpoint();
        let second = Transport::Ipc.bind_endpoint();
        assert_ne!(first, second);
        assert!(ipc_file(&first).is_some_and(|path| path.ends_with(".sock")));
    }
}
