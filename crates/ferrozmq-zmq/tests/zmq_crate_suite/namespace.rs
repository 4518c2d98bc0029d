//! Private network namespaces, so that the fixed ports of the `zmq` crate's examples and
//! tests (5555, 5559, 9998, ...) clash neither with each other nor with other runs on the
//! machine.
//!
//! A namespace lives as long as a holder process (`unshare --net sleep`) that stays in it;
//! programs join it with `nsenter`. Nothing is named, so nothing is left behind by a
//! killed run. Without the privileges for it, programs run on the host's network, one
//! scenario at a time, and runs of this suite take turns through a lock file (also when
//! `FERROZMQ_ZMQ_SUITE_HOST_NETWORK` is set).

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub enum Network {
    /// A namespace of its own, held by this process.
    Private(Child),
    /// The host's network, with the lock that keeps other runs of the suite out of it.
    Host { _lock: File },
}

fn ns_of(pid: &str) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/ns/net")).ok()
}

fn private() -> Result<Child, String> {
    let mut holder = Command::new("unshare")
        .args(["--net", "sleep", "100000"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("unshare: {e}"))?;
    let pid = holder.id().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    // The holder is in the namespace once its link differs from ours.
    while ns_of(&pid) == ns_of("self") {
        if let Ok(Some(status)) = holder.try_wait() {
            let mut why = String::new();
            if let Some(mut err) = holder.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut err, &mut why);
            }
            return Err(format!("unshare --net: {status}: {}", why.trim()));
        }
        if Instant::now() > deadline {
            let _ = holder.kill();
            return Err("unshare --net did not make a namespace".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let up = Command::new("nsenter")
        .arg(format!("--net=/proc/{pid}/ns/net"))
        .args(["ip", "link", "set", "lo", "up"])
        .status();
    if !matches!(up, Ok(s) if s.success()) {
        let _ = holder.kill();
        let _ = holder.wait();
        return Err(format!("nsenter ... ip link set lo up: {up:?}"));
    }
    Ok(holder)
}

impl Network {
    /// A private namespace if this process may make one, else the host's network once no
    /// other run of the suite uses it.
    pub fn new() -> Network {
        let private = if std::env::var_os("FERROZMQ_ZMQ_SUITE_HOST_NETWORK").is_some() {
            Err("FERROZMQ_ZMQ_SUITE_HOST_NETWORK is set".to_string())
        } else {
            private()
        };
        match private {
            Ok(holder) => Network::Private(holder),
            Err(why) => {
                static SAID: std::sync::Once = std::sync::Once::new();
                SAID.call_once(|| {
                    eprintln!(
                        "zmq suite: no private network namespace ({why}); using the host's, \
                         one scenario at a time"
                    );
                });
                let lock = File::create(std::env::temp_dir().join("ferrozmq-zmq-suite.lock"))
                    .expect("lock file");
                // SAFETY: flock on a descriptor this function owns; it blocks until the lock
                // is ours, and the lock goes with the file.
                let rc = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
                assert_eq!(rc, 0, "flock: {}", std::io::Error::last_os_error());
                Network::Host { _lock: lock }
            }
        }
    }

    pub fn is_private(&self) -> bool {
        matches!(self, Network::Private(_))
    }

    /// A command that runs `program` in this network.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        match self {
            Network::Private(holder) => {
                let mut command = Command::new("nsenter");
                command
                    .arg(format!("--net=/proc/{}/ns/net", holder.id()))
                    .arg("--")
                    .arg(program);
                command
            }
            Network::Host { .. } => Command::new(program),
        }
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        if let Network::Private(holder) = self {
            let _ = holder.kill();
            let _ = holder.wait();
        }
    }
}
