//! A one-way gate between the threads of a worker: threads wait at it until one opens it.
//!
//! A worker's sending threads keep their sockets open until the harness confirms that
//! everything arrived (a socket closed with messages still queued would drop them, with
//! linger 0), and a socket stays on the thread that made it; so the threads wait here
//! rather than hand their sockets back.

use std::sync::{Condvar, Mutex, PoisonError};

/// Closed until [`open`](Gate::open) is called, then open for good.
#[derive(Debug, Default)]
pub struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    /// Opens the gate: every waiting thread goes on, and later ones do not wait.
    pub fn open(&self) {
        *self.open.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.opened.notify_all();
    }

    /// Blocks until the gate is open.
    pub fn wait(&self) {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        drop(
            self.opened
                .wait_while(open, |open| !*open)
                .unwrap_or_else(PoisonError::into_inner),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[test]
    fn waiters_go_on_only_once_it_opens() {
        let gate = Gate::default();
        let passed = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                gate.wait();
                passed.store(true, Ordering::SeqCst);
            });
            std::thread::sleep(Duration::from_millis(50));
            assert!(!passed.load(Ordering::SeqCst));
            gate.open();
        });
        assert!(passed.load(Ordering::SeqCst));
        // Once open, it stays open.
        gate.wait();
    }
}
