//! What a worker process cost: CPU time from `getrusage`, memory from `/proc/self/status`,
//! and the open-file limit that 10,000 connections need.

use crate::error::{BenchError, Result};
use std::io;
use std::time::Duration;

/// A process's CPU time so far and its peak resident memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessResources {
    /// CPU time in user mode, all threads.
    pub user: Duration,
    /// CPU time in the kernel on the process's behalf, all threads.
    pub system: Duration,
    /// The largest resident set the process has had (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
}

impl ProcessResources {
    /// The calling process's resources up to now.
    pub fn of_this_process() -> Result<ProcessResources> {
        // SAFETY: getrusage only writes the struct it is given, which is plain data.
        let usage = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
                return Err(BenchError::io("reading CPU time")(
                    io::Error::last_os_error(),
                ));
            }
            usage
        };
        Ok(ProcessResources {
            user: timeval_duration(usage.ru_utime),
            system: timeval_duration(usage.ru_stime),
            peak_rss_kib: status_kib("VmHWM")?,
        })
    }

    /// User plus system time.
    pub fn cpu(&self) -> Duration {
        self.user + self.system
    }
}

fn timeval_duration(time: libc::timeval) -> Duration {
    let seconds = u64::try_from(time.tv_sec).unwrap_or(0);
    let micros = u64::try_from(time.tv_usec).unwrap_or(0);
    Duration::from_secs(seconds) + Duration::from_micros(micros)
}

/// The process's resident memory now (`VmRSS`), in KiB.
pub fn resident_kib() -> Result<u64> {
    status_kib("VmRSS")
}

fn status_kib(field: &str) -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(BenchError::io("reading /proc/self/status"))?;
    parse_status_kib(&status, field).ok_or_else(|| BenchError::Io {
        doing: "reading /proc/self/status",
        source: io::Error::new(io::ErrorKind::InvalidData, format!("no {field} line")),
    })
}

/// The value of a `Name:   1234 kB` line of a `/proc/<pid>/status` text.
pub fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// Raises the soft limit on open files to the hard limit and returns the new soft limit:
/// one connection is one descriptor, and the default soft limit is often 1024.
pub fn raise_open_file_limit() -> Result<u64> {
    // SAFETY: getrlimit and setrlimit read or write only the struct they are given.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(BenchError::io("reading the open-file limit")(
                io::Error::last_os_error(),
            ));
        }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(BenchError::io("raising the open-file limit")(
                    io::Error::last_os_error(),
                ));
            }
        }
        Ok(limit.rlim_cur)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tferrozmq-bench\nVmPeak:\t  123456 kB\nVmHWM:\t    8192 kB\nVmRSS:\t    4096 kB\nThreads:\t3\n";

    #[test]
    fn reads_memory_fields_in_kib() {
        assert_eq!(parse_status_kib(STATUS, "VmHWM"), Some(8192));
        assert_eq!(parse_status_kib(STATUS, "VmRSS"), Some(4096));
    }

    #[test]
    fn a_field_must_match_whole() {
        assert_eq!(parse_status_kib(STATUS, "Vm"), None);
        assert_eq!(parse_status_kib(STATUS, "Threads"), None);
    }
}
