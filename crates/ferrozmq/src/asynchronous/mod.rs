//! The async API: [`AsyncSocket`] and [`proxy_async`], over the same sockets as the blocking
//! API and runtime-agnostic.
//!
//! A future tries the blocking socket's non-blocking operation; when that would block, it
//! leaves its task's waker in the socket's signal (see `crate::signal`), which the I/O
//! threads and peer sockets notify whenever something happens to the socket. No runtime
//! task, channel or timer is involved, so any executor drives these futures.
//!
//! Cancel safety rests on one rule: whatever a future has taken from the socket it hands
//! out in the same poll, and whatever it has handed to the socket is never taken back
//! (see [`AsyncSocket`]'s documentation for the guarantee as users see it).

mod proxy;
mod socket;
mod stream_and_sink;
mod waiters;

pub use proxy::proxy_async;
pub use socket::AsyncSocket;
