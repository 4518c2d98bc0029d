//! How a context's I/O threads are started: the name they show in `top -H` and `ps`, the
//! CPUs they may run on, their scheduling policy and priority (libzmq's THREAD_* context
//! options). Settings take effect for threads started after they are made: set them before
//! the first tcp, ipc or udp endpoint.
//!
//! Applying them is best effort, as the operating system allows: a policy or priority the
//! process may not take (raising priority needs privileges) leaves the thread as it was
//! rather than failing the bind or connect that started it.

use crate::sys::thread;
use std::collections::BTreeSet;

/// See the module documentation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IoThreadSettings {
    /// Put before the thread's own name, `PREFIX/ferrozmq-io-N` (the kernel keeps 15 bytes).
    pub(crate) name_prefix: String,
    /// CPUs the threads may run on; empty: any.
    pub(crate) cpus: BTreeSet<usize>,
    /// A scheduling policy (`SCHED_OTHER`, `SCHED_FIFO`, ...), when one was chosen.
    pub(crate) policy: Option<i32>,
    /// The priority within the policy; for the time-sharing policies (which have none)
    /// the thread's nice value is raised instead, as libzmq does.
    pub(crate) priority: Option<i32>,
}

impl IoThreadSettings {
    /// The name of I/O thread `index`.
    pub(crate) fn thread_name(&self, index: usize) -> String {
        if self.name_prefix.is_empty() {
            format!("ferrozmq-io-{index}")
        } else {
            format!("{}/ferrozmq-io-{index}", self.name_prefix)
        }
    }

    /// Applies the CPU set and scheduling to the calling thread (the new I/O thread).
    pub(crate) fn apply_to_current_thread(&self) {
        if !self.cpus.is_empty() {
            thread::set_affinity(&self.cpus);
        }
        if self.policy.is_some() || self.priority.is_some() {
            thread::set_scheduling(self.policy, self.priority);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_prefix() {
        let mut settings = IoThreadSettings::default();
        assert_eq!(settings.thread_name(0), "ferrozmq-io-0");
        settings.name_prefix = "app".into();
        assert_eq!(settings.thread_name(2), "app/ferrozmq-io-2");
    }

    #[test]
    fn a_thread_is_held_to_its_cpu() {
        let settings = IoThreadSettings {
            cpus: [0].into(),
            ..Default::default()
        };
        let allowed = std::thread::spawn(move || {
            settings.apply_to_current_thread();
            thread::affinity()
        })
        .join()
        .unwrap();
        assert_eq!(allowed, [0]);
    }
}
