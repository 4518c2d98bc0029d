//! The calling thread's CPU affinity and scheduling: what an I/O thread applies to itself
//! when it starts. Every call is best effort; what the system refuses leaves the thread as
//! it was.

use std::collections::BTreeSet;

/// Keeps the calling thread to `cpus`; CPUs beyond the system's mask size are ignored.
pub(crate) fn set_affinity(cpus: &BTreeSet<usize>) {
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET stays within it for indexes
    // below CPU_SETSIZE, which is checked.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &cpu in cpus {
            if cpu < libc::CPU_SETSIZE as usize {
                libc::CPU_SET(cpu, &mut set);
            }
        }
        // Best effort: CPUs the process may not use leave the mask as it was.
        let _ = libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// The CPUs the calling thread may run on.
#[cfg(test)]
pub(crate) fn affinity() -> Vec<usize> {
    // SAFETY: reads this thread's mask into a zeroed set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        assert_eq!(
            libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set),
            0
        );
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&cpu| libc::CPU_ISSET(cpu, &set))
            .collect()
    }
}

/// Puts the calling thread under the scheduling `policy` (a `SCHED_*` value; `None`: the
/// default time-sharing one) at `priority`. The time-sharing policies have no priorities:
/// for them a priority raises the thread's nice value instead, as libzmq does.
pub(crate) fn set_scheduling(policy: Option<i32>, priority: Option<i32>) {
    let policy = policy.unwrap_or(libc::SCHED_OTHER);
    let time_sharing = matches!(
        policy,
        libc::SCHED_OTHER | libc::SCHED_BATCH | libc::SCHED_IDLE
    );
    // SAFETY: plain scheduling calls on this thread with valid arguments.
    unsafe {
        let param = libc::sched_param {
            sched_priority: if time_sharing {
                0
            } else {
                priority.unwrap_or(0)
            },
        };
        let _ = libc::pthread_setschedparam(libc::pthread_self(), policy, &param);
        if time_sharing && priority.is_some() {
            // The time-sharing policies ignore priorities: the most a thread can ask
            // is the lowest nice value (needs RLIMIT_NICE or privileges).
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            let _ = libc::setpriority(libc::PRIO_PROCESS, tid, -20);
        }
    }
}
