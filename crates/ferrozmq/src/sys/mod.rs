//! The platform layer: every operating-system call the library makes that the standard
//! library and mio do not make for it. Nothing outside this folder names `libc` (a test,
//! `tests/sys_boundary.rs`, holds that line), so a port to another operating system starts
//! and, for the engine, ends here.
//!
//! | file | what it wraps | what a port provides |
//! | --- | --- | --- |
//! | [`socket`] | tcp listen and connect, udp bind, socket options (through `socket2`) | mostly `socket2`'s own portability; the Linux-only knobs (`SO_PRIORITY`, `TCP_USER_TIMEOUT`, `SO_BINDTODEVICE`) made no-ops or errors |
//! | [`io`] | `read` into a buffer's spare room, `sendmsg` without SIGPIPE | the same two calls (`SO_NOSIGPIPE` where `MSG_NOSIGNAL` is missing) |
//! | [`address`] | the endpoints at the two ends of a connection, an interface's address | `getsockname`/`getpeername` decoding, `getifaddrs` |
//! | [`poll`] | `poll(2)` and a level-triggered epoll for `zmq_poll` and the poller | kqueue or `poll(2)` behind the same `Epoll` |
//! | [`eventfd`] | the descriptor that wakes a sleeping poll and backs `ZMQ_FD` | a pipe pair where there is no eventfd |
//! | [`peer_credentials`] | who is at the other end of a unix-domain socket, and their groups | `getpeereid` or `LOCAL_PEERCRED` |
//! | [`thread`] | I/O thread CPU affinity and scheduling | the platform's calls, or nothing (settings are best effort) |
//! | [`errno`] | the `errno` values the API and monitor events report | the platform's constants |
//! | [`memory`] | giving free memory back after a burst | nothing (glibc only) |
//!
//! The socket and read/write calls the transports use are re-exported here by name.

pub(crate) mod address;
pub(crate) mod errno;
pub(crate) mod eventfd;
pub(crate) mod io;
pub(crate) mod memory;
pub(crate) mod peer_credentials;
pub(crate) mod poll;
pub(crate) mod socket;
pub(crate) mod thread;

pub(crate) use address::{endpoint_of, interface_address, SocketEnd};
pub(crate) use io::{read_into, read_into_vec, send_vectored};
pub(crate) use memory::release_free_memory;
pub(crate) use socket::{apply_tuning, set_multicast_hops, tcp_connect, tcp_listen, udp_bind};
