//! What the async tests share: the executors a scenario runs under, waits bounded by each
//! executor's own timer, and sockets set up for tests (linger 0, quick reconnects).
//!
//! A scenario is an `async fn(Runtime)` written once; [`on_every_runtime!`] makes a test of
//! it for tokio's multi-thread and current-thread runtimes, `futures::executor::block_on`
//! and smol.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use ferrozmq::{AsyncSocket, Context, Message, SocketType};
use futures::future::{select, Either};
use std::future::Future;
use std::net::TcpListener;
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::Duration;

/// Upper bound of any single wait in these tests.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// An executor to run a scenario under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// A tokio multi-thread runtime; the scenario is spawned onto its workers.
    TokioMultiThread,
    /// A tokio current-thread runtime.
    TokioCurrentThread,
    /// `futures::executor::block_on`, with no runtime at all.
    BlockOn,
    /// `smol::block_on`.
    Smol,
}

impl Runtime {
    /// Runs `scenario` to completion under this executor. Scenarios are `Send`, as
    /// futures over `AsyncSocket` must be to be spawned.
    pub fn run<F>(self, scenario: impl FnOnce(Runtime) -> F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let future = scenario(self);
        match self {
            Runtime::TokioMultiThread => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("tokio runtime");
                rt.block_on(async {
                    if let Err(e) = tokio::spawn(future).await {
                        std::panic::resume_unwind(e.into_panic());
                    }
                });
            }
            Runtime::TokioCurrentThread => {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("tokio runtime");
                rt.block_on(future);
            }
            Runtime::BlockOn => futures::executor::block_on(future),
            Runtime::Smol => smol::block_on(future),
        }
    }

    /// Sleeps on the executor's own timer (smol's for `block_on`, which has none).
    pub fn sleep(self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        match self {
            Runtime::TokioMultiThread | Runtime::TokioCurrentThread => {
                Box::pin(tokio::time::sleep(duration))
            }
            Runtime::BlockOn | Runtime::Smol => Box::pin(async move {
                smol::Timer::after(duration).await;
            }),
        }
    }

    /// `future`'s output, or `None` if `duration` passes first (the future is dropped
    /// then): `tokio::time::timeout` under tokio, a race with the timer elsewhere.
    pub async fn timeout<T>(
        self,
        duration: Duration,
        future: impl Future<Output = T>,
    ) -> Option<T> {
        match self {
            Runtime::TokioMultiThread | Runtime::TokioCurrentThread => {
                tokio::time::timeout(duration, future).await.ok()
            }
            Runtime::BlockOn | Runtime::Smol => {
                match select(pin!(future), self.sleep(duration)).await {
                    Either::Left((output, _)) => Some(output),
                    Either::Right(((), _)) => None,
                }
            }
        }
    }

    /// `future`'s output; the test fails if that takes longer than [`TIMEOUT`].
    pub async fn within<T>(self, what: &str, future: impl Future<Output = T>) -> T {
        match self.timeout(TIMEOUT, future).await {
            Some(output) => output,
            None => panic!("{what}: nothing after {TIMEOUT:?}"),
        }
    }
}

/// Makes a test module per scenario, with one test per executor.
macro_rules! on_every_runtime {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use super::async_support::Runtime;

            #[test]
            fn tokio_multi_thread() {
                Runtime::TokioMultiThread.run(super::$scenario);
            }

            #[test]
            fn tokio_current_thread() {
                Runtime::TokioCurrentThread.run(super::$scenario);
            }

            #[test]
            fn futures_block_on() {
                Runtime::BlockOn.run(super::$scenario);
            }

            #[test]
            fn smol() {
                Runtime::Smol.run(super::$scenario);
            }
        }
    )*};
}

/// Lets the executor run other tasks once, on any executor.
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}

/// A socket with linger 0 and quick reconnects.
pub fn socket(ctx: &Context, kind: SocketType) -> AsyncSocket {
    let socket = ctx.socket(kind).expect("socket");
    socket
        .options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    socket
        .options()
        .set_reconnect_ivl(Some(Duration::from_millis(20)))
        .expect("reconnect interval");
    socket.into_async()
}

/// Binds an ephemeral tcp port and returns the endpoint to connect to.
pub fn bind_tcp(socket: &AsyncSocket) -> String {
    socket.bind("tcp://127.0.0.1:*").expect("bind");
    socket.last_endpoint().expect("utf-8 endpoint")
}

/// A tcp endpoint on a port that was free a moment ago, for tests that bind it again.
pub fn free_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("probe port");
    format!("tcp://{}", listener.local_addr().expect("address"))
}

/// A sequence number as a message body.
pub fn seq(n: u32) -> Vec<u8> {
    n.to_be_bytes().to_vec()
}

/// The sequence number a message body carries.
pub fn seq_of(body: &[u8]) -> u32 {
    u32::from_be_bytes(body.try_into().expect("a 4-byte sequence number"))
}

/// The parts of a message as text.
pub fn texts(parts: &[Message]) -> Vec<String> {
    parts
        .iter()
        .map(|part| part.as_str().expect("utf-8").to_owned())
        .collect()
}
