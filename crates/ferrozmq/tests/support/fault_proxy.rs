//! A TCP proxy that misbehaves on demand, between two ferrozmq peers on loopback: it can add
//! latency, stall (hold every byte, keeping the connections open, like a silent partition),
//! deliver one byte per write, or cut every connection. The mode applies to all connections,
//! current and future, and can change at any time.
//!
//! Each direction of each connection has a reader thread, which stamps what it reads with
//! the time it is due, and a writer thread, which delivers it when due and the mode allows.
//! Every blocking call has a timeout, so the threads notice a stop within a few
//! milliseconds and the proxy never outlives its test.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the threads look at the mode and the stop flag.
const TICK: Duration = Duration::from_millis(5);

/// What the proxy does to the bytes it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Forwards at once.
    Pass,
    /// Forwards each chunk this long after it arrived (both directions: a round trip costs
    /// twice as much).
    Delay(Duration),
    /// Holds everything; connections stay open and nothing arrives, as in a partition that
    /// drops packets silently.
    Stall,
    /// Forwards one byte per write, pausing between bytes, so that the receiver reads
    /// greetings, headers and bodies piece by piece.
    ByteByByte(Duration),
}

struct Shared {
    mode: Mutex<Mode>,
    stop: AtomicBool,
    /// Both sockets of every connection, to cut them.
    streams: Mutex<Vec<TcpStream>>,
    accepted: AtomicUsize,
    target: String,
}

/// The proxy; stops and joins its threads when dropped.
pub struct FaultProxy {
    shared: Arc<Shared>,
    address: String,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Listens on an ephemeral loopback port and forwards to `target` (`host:port`).
    pub fn start(target: &str) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy listener");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let address = listener.local_addr().expect("proxy address").to_string();
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Pass),
            stop: AtomicBool::new(false),
            streams: Mutex::new(Vec::new()),
            accepted: AtomicUsize::new(0),
            target: target.to_owned(),
        });
        let threads = Arc::new(Mutex::new(Vec::new()));
        let acceptor = {
            let shared = Arc::clone(&shared);
            let threads = Arc::clone(&threads);
            std::thread::spawn(move || accept_loop(listener, shared, threads))
        };
        FaultProxy {
            shared,
            address,
            threads,
            acceptor: Some(acceptor),
        }
    }

    /// The endpoint to connect to instead of the target.
    pub fn endpoint(&self) -> String {
        format!("tcp://{}", self.address)
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().expect("mode lock") = mode;
    }

    /// Closes every connection carried so far; new ones are accepted as before.
    pub fn cut(&self) {
        for s in self.shared.streams.lock().expect("streams lock").drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.cut();
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        for t in self.threads.lock().expect("threads lock").drain(..) {
            let _ = t.join();
        }
    }
}

fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
) {
    while !shared.stop.load(Ordering::SeqCst) {
        let client = match listener.accept() {
            Ok((client, _)) => client,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(TICK);
                continue;
            }
            Err(_) => return,
        };
        let Ok(server) = TcpStream::connect(&shared.target) else {
            // Nobody listens behind us: refuse the client as the target would.
            continue;
        };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        let _ = client.set_nonblocking(false);
        let mut started = Vec::new();
        for (from, to) in [(&client, &server), (&server, &client)] {
            let (Ok(from), Ok(to)) = (from.try_clone(), to.try_clone()) else {
                continue;
            };
            started.extend(pipe(from, to, Arc::clone(&shared)));
        }
        let mut streams = shared.streams.lock().expect("streams lock");
        streams.push(client);
        streams.push(server);
        threads.lock().expect("threads lock").extend(started);
    }
}

/// One direction: a reader stamping chunks with their due time, a writer delivering them.
fn pipe(mut from: TcpStream, mut to: TcpStream, shared: Arc<Shared>) -> [JoinHandle<()>; 2] {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    let reader_shared = Arc::clone(&shared);
    let reader = std::thread::spawn(move || {
        let _ = from.set_read_timeout(Some(TICK));
        let mut buf = vec![0u8; 64 * 1024];
        while !reader_shared.stop.load(Ordering::SeqCst) {
            match from.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    let delay = match *reader_shared.mode.lock().expect("mode lock") {
                        Mode::Delay(d) => d,
                        _ => Duration::ZERO,
                    };
                    if tx
                        .send((Instant::now() + delay, buf[..n].to_vec()))
                        .is_err()
                    {
                        return;
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    });
    let writer = std::thread::spawn(move || {
        let _ = to.set_nodelay(true);
        let _ = to.set_write_timeout(Some(Duration::from_secs(5)));
        deliver(rx, &mut to, &shared);
        // The sender closed (or we stop): pass the end of stream on.
        let _ = to.shutdown(Shutdown::Write);
    });
    [reader, writer]
}

fn deliver(rx: Receiver<(Instant, Vec<u8>)>, to: &mut TcpStream, shared: &Shared) {
    let mut queue: VecDeque<(Instant, Vec<u8>)> = VecDeque::new();
    let mut sender_done = false;
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        if !sender_done {
            match rx.recv_timeout(if queue.is_empty() {
                TICK
            } else {
                Duration::ZERO
            }) {
                Ok(chunk) => queue.push_back(chunk),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => sender_done = true,
            }
        }
        let mode = *shared.mode.lock().expect("mode lock");
        let due = queue.front().is_some_and(|(at, _)| *at <= Instant::now());
        if mode == Mode::Stall || !due {
            if sender_done && queue.is_empty() {
                return;
            }
            std::thread::sleep(TICK.min(Duration::from_millis(1)));
            continue;
        }
        let (_, chunk) = queue.pop_front().expect("a due chunk");
        let written = match mode {
            Mode::ByteByByte(pause) => chunk.iter().all(|b| {
                std::thread::sleep(pause);
                to.write_all(std::slice::from_ref(b)).is_ok()
            }),
            _ => to.write_all(&chunk).is_ok(),
        };
        if !written {
            return;
        }
    }
}
