//! Two network namespaces joined by a veth pair, for tests that need separate hosts: one
//! side can be partitioned silently (an nftables rule that drops its packets) or have its
//! link cut (`ip link set down`), which loopback cannot do.
//!
//! Needs root, `ip` (iproute2) and, for partitions, `nft` (nftables): [`Testbed::new`]
//! returns `None` after printing why when something is missing, and the test skips. The
//! namespaces (and with them the veth pair) are deleted when the testbed is dropped, even
//! when the test fails; names carry the process id, so parallel tests and a leftover from
//! a killed run never collide, and a run cleans up what dead processes left behind.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The two sides' addresses. Each pair lives in its own namespaces, so every testbed can
/// use the same ones.
pub const ADDRESS_A: &str = "10.99.0.1";
pub const ADDRESS_B: &str = "10.99.0.2";

const PREFIX: &str = "fzq-";

static NEXT: AtomicUsize = AtomicUsize::new(0);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

pub struct Testbed {
    /// Namespace names, A then B.
    names: [String; 2],
    /// Interface names (15 characters at most), A then B.
    devices: [String; 2],
}

/// Runs a command; its error output on failure.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Whether `program` can be started at all (what it answers to `--version` does not matter).
fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Deletes the namespaces of test processes that died without cleaning up.
fn remove_leftovers() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = run("ip", &["netns", "del", name]);
        }
    }
}

impl Testbed {
    /// Two namespaces with a veth link between them, addresses [`ADDRESS_A`] and
    /// [`ADDRESS_B`], or `None` (after printing why) when this machine cannot make them.
    pub fn new(test: &str, need_nft: bool) -> Option<Testbed> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            println!("skipped {test}: network namespaces need root");
            return None;
        }
        if !have("ip") {
            println!("skipped {test}: `ip` (iproute2) is not installed");
            return None;
        }
        if need_nft && !have("nft") {
            println!("skipped {test}: `nft` (nftables) is not installed");
            return None;
        }
        remove_leftovers();
        let pid = std::process::id();
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let testbed = Testbed {
            names: [
                format!("{PREFIX}{pid}-{n}-a"),
                format!("{PREFIX}{pid}-{n}-b"),
            ],
            devices: [
                format!("fq{}x{n}a", pid % 1_000_000),
                format!("fq{}x{n}b", pid % 1_000_000),
            ],
        };
        match testbed.build() {
            Ok(()) => Some(testbed),
            // Root but no namespaces (an unprivileged container, say): skip, do not fail.
            Err(e) => {
                println!("skipped {test}: cannot build the network namespaces: {e}");
                None
            }
        }
    }

    fn build(&self) -> Result<(), String> {
        let [na, nb] = &self.names;
        let [da, db] = &self.devices;
        run("ip", &["netns", "add", na])?;
        run("ip", &["netns", "add", nb])?;
        run(
            "ip",
            &["link", "add", da, "type", "veth", "peer", "name", db],
        )?;
        run("ip", &["link", "set", da, "netns", na])?;
        run("ip", &["link", "set", db, "netns", nb])?;
        for (ns, dev, address) in [(na, da, ADDRESS_A), (nb, db, ADDRESS_B)] {
            run(
                "ip",
                &[
                    "-n",
                    ns,
                    "addr",
                    "add",
                    &format!("{address}/24"),
                    "dev",
                    dev,
                ],
            )?;
            run("ip", &["-n", ns, "link", "set", dev, "up"])?;
            run("ip", &["-n", ns, "link", "set", "lo", "up"])?;
        }
        Ok(())
    }

    pub fn namespace(&self, side: Side) -> &str {
        &self.names[side as usize]
    }

    /// A command that runs `program` inside the namespace of `side`.
    pub fn command(&self, side: Side, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", self.namespace(side), program]);
        c
    }

    fn nft(&self, side: Side, args: &[&str]) {
        let mut full = vec!["netns", "exec", self.namespace(side), "nft"];
        full.extend_from_slice(args);
        run("ip", &full).unwrap_or_else(|e| panic!("nft: {e}"));
    }

    /// Drops every packet between the two sides, inside B, without telling anyone: no
    /// reset, no ICMP, connections simply go quiet.
    pub fn partition(&self) {
        self.nft(Side::B, &["add", "table", "inet", "fzq"]);
        for (chain, hook, field, address) in [
            ("in", "input", "saddr", ADDRESS_A),
            ("out", "output", "daddr", ADDRESS_A),
        ] {
            let spec = format!("{{ type filter hook {hook} priority 0 ; policy accept ; }}");
            self.nft(Side::B, &["add", "chain", "inet", "fzq", chain, &spec]);
            self.nft(
                Side::B,
                &[
                    "add", "rule", "inet", "fzq", chain, "ip", field, address, "drop",
                ],
            );
        }
    }

    /// Ends the partition.
    pub fn heal(&self) {
        self.nft(Side::B, &["delete", "table", "inet", "fzq"]);
    }

    /// Takes A's end of the link down (the kernel then drops A's route to B too).
    pub fn link_down(&self) {
        self.link(Side::A, "down");
    }

    /// Brings A's end of the link back up; the route returns with it.
    pub fn link_up(&self) {
        self.link(Side::A, "up");
    }

    fn link(&self, side: Side, state: &str) {
        let i = side as usize;
        run(
            "ip",
            &["-n", &self.names[i], "link", "set", &self.devices[i], state],
        )
        .unwrap_or_else(|e| panic!("link {state}: {e}"));
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        // Deleting a namespace destroys its end of the veth pair, and so the pair.
        for name in &self.names {
            let _ = run("ip", &["netns", "del", name]);
        }
    }
}
