//! `--stats`: messages and bytes per second, sent and received, on standard error once a
//! second (a line that rewrites itself on a terminal, a line per second in a pipe), and the
//! totals at exit.
//!
//! The command's thread counts with relaxed atomic additions; a thread of its own reads
//! and prints, so that a command blocked in a receive still reports its (zero) rate. A run
//! ended with Ctrl-C (SIGINT) prints its totals too: the signal only raises a flag, which
//! that thread sees within [`INTERRUPT_CHECK`], prints and exits with status 130, the
//! shell's status for a command interrupted.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the rates are printed.
const PERIOD: Duration = Duration::from_secs(1);

/// How soon after Ctrl-C the totals are printed.
const INTERRUPT_CHECK: Duration = Duration::from_millis(50);

/// Raised by the SIGINT handler.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_signal: libc::c_int) {
    // Only an atomic store: nothing else is safe in a signal handler.
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// Makes SIGINT raise [`INTERRUPTED`] instead of ending the process at once.
fn catch_interrupt() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe, and the
    // `sigaction` it is installed with is fully initialised (zeroed, then filled).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        action.sa_flags = libc::SA_RESTART;
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

/// Which directions a command's report shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Directions {
    /// It sends.
    pub sent: bool,
    /// It receives.
    pub received: bool,
}

#[derive(Default)]
struct Counters {
    sent_messages: AtomicU64,
    sent_bytes: AtomicU64,
    received_messages: AtomicU64,
    received_bytes: AtomicU64,
}

/// A snapshot of the counters.
#[derive(Clone, Copy, Debug, Default)]
struct Totals {
    sent_messages: u64,
    sent_bytes: u64,
    received_messages: u64,
    received_bytes: u64,
}

impl Counters {
    fn totals(&self) -> Totals {
        Totals {
            sent_messages: self.sent_messages.load(Ordering::Relaxed),
            sent_bytes: self.sent_bytes.load(Ordering::Relaxed),
            received_messages: self.received_messages.load(Ordering::Relaxed),
            received_bytes: self.received_bytes.load(Ordering::Relaxed),
        }
    }
}

/// Where the command counts what it sends and receives; counts nothing without `--stats`.
#[derive(Clone, Default)]
pub struct Meter(Option<Arc<Counters>>);

impl Meter {
    /// A message of `bytes` bytes (all parts) was sent.
    pub fn sent(&self, bytes: usize) {
        if let Some(counters) = &self.0 {
            counters.sent_messages.fetch_add(1, Ordering::Relaxed);
            counters
                .sent_bytes
                .fetch_add(bytes as u64, Ordering::Relaxed);
        }
    }

    /// A message of `bytes` bytes (all parts) was received.
    pub fn received(&self, bytes: usize) {
        if let Some(counters) = &self.0 {
            counters.received_messages.fetch_add(1, Ordering::Relaxed);
            counters
                .received_bytes
                .fetch_add(bytes as u64, Ordering::Relaxed);
        }
    }
}

/// The thread that prints the rates, while the command runs.
pub struct Reporter {
    counters: Arc<Counters>,
    directions: Directions,
    started: Instant,
    terminal: bool,
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Reporter {
    /// Starts reporting; the meter is what the command counts with.
    pub fn start(directions: Directions) -> (Meter, Reporter) {
        let counters = Arc::new(Counters::default());
        let terminal = std::io::stderr().is_terminal();
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let started = Instant::now();
        catch_interrupt();
        let thread = {
            let (counters, stop) = (counters.clone(), stop.clone());
            std::thread::spawn(move || {
                report(&counters, directions, terminal, &stop);
                if INTERRUPTED.load(Ordering::Relaxed) {
                    print_totals(&counters, directions, started, terminal);
                    std::process::exit(130);
                }
            })
        };
        let reporter = Reporter {
            counters: counters.clone(),
            directions,
            started,
            terminal,
            stop,
            thread: Some(thread),
        };
        (Meter(Some(counters)), reporter)
    }

    /// Stops the periodic lines and prints the totals.
    pub fn finish(mut self) {
        self.stop_thread();
        print_totals(&self.counters, self.directions, self.started, self.terminal);
    }

    fn stop_thread(&mut self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// Prints what was sent and received in all, and the average rates.
fn print_totals(counters: &Counters, directions: Directions, started: Instant, terminal: bool) {
    let elapsed = started.elapsed();
    let totals = counters.totals();
    let seconds = elapsed.as_secs_f64().max(f64::EPSILON);
    let total = |what: &str, messages: u64, bytes: u64| {
        format!(
            "{what} {messages} messages, {} ({:.0} msg/s, {}/s)",
            human_bytes(bytes as f64),
            messages as f64 / seconds,
            human_bytes(bytes as f64 / seconds)
        )
    };
    let mut parts = Vec::new();
    if directions.sent {
        parts.push(total("sent", totals.sent_messages, totals.sent_bytes));
    }
    if directions.received {
        parts.push(total(
            "received",
            totals.received_messages,
            totals.received_bytes,
        ));
    }
    let clear = if terminal { "\r\x1b[K" } else { "" };
    // Standard error closed: nobody to tell.
    let _ = writeln!(
        std::io::stderr(),
        "{clear}stats: {:.1} s in all: {}",
        elapsed.as_secs_f64(),
        parts.join("; ")
    );
}

/// Prints the rates of each period until told to stop, or interrupted.
fn report(
    counters: &Counters,
    directions: Directions,
    terminal: bool,
    stop: &(Mutex<bool>, Condvar),
) {
    let (stopped, wake) = stop;
    let started = Instant::now();
    let mut last = Totals::default();
    let mut last_at = started;
    let mut next = started + PERIOD;
    let mut guard = stopped.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let now = Instant::now();
        if *guard || INTERRUPTED.load(Ordering::Relaxed) {
            return;
        }
        if now < next {
            guard = wake
                .wait_timeout(guard, (next - now).min(INTERRUPT_CHECK))
                .unwrap_or_else(|e| e.into_inner())
                .0;
            continue;
        }
        let totals = counters.totals();
        let seconds = now.duration_since(last_at).as_secs_f64().max(f64::EPSILON);
        let rate = |messages: u64, bytes: u64| {
            format!(
                "{:.0} msg/s, {}/s",
                messages as f64 / seconds,
                human_bytes(bytes as f64 / seconds)
            )
        };
        let mut parts = Vec::new();
        if directions.sent {
            parts.push(format!(
                "sent {}",
                rate(
                    totals.sent_messages - last.sent_messages,
                    totals.sent_bytes - last.sent_bytes
                )
            ));
        }
        if directions.received {
            parts.push(format!(
                "received {}",
                rate(
                    totals.received_messages - last.received_messages,
                    totals.received_bytes - last.received_bytes
                )
            ));
        }
        let elapsed = now.duration_since(started).as_secs();
        let line = format!("stats: {elapsed} s: {}", parts.join("; "));
        let mut stderr = std::io::stderr().lock();
        let _ = if terminal {
            write!(stderr, "\r\x1b[K{line}")
        } else {
            writeln!(stderr, "{line}")
        };
        let _ = stderr.flush();
        last = totals;
        last_at = now;
        next += PERIOD;
    }
}

/// Bytes with a decimal unit: `512 B`, `1.3 kB`, `45.0 MB`.
fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000.0 {
        return format!("{bytes:.0} B");
    }
    let mut value = bytes / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn bytes_read_with_decimal_units() {
        assert_eq!(human_bytes(0.0), "0 B");
        assert_eq!(human_bytes(999.0), "999 B");
        assert_eq!(human_bytes(1300.0), "1.3 kB");
        assert_eq!(human_bytes(45e6), "45.0 MB");
        assert_eq!(human_bytes(2e15), "2000.0 TB");
    }
}
