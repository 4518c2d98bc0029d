//! The context's I/O thread settings (libzmq's THREAD_* context options) reach the threads
//! the kernel runs: their names and the CPUs they may use, read back from /proc.

use ferrozmq::{Context, PULL};

/// (name, Cpus_allowed_list) of every thread of this process.
fn threads() -> Vec<(String, String)> {
    let mut found = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").expect("procfs") {
        let dir = task.unwrap().path();
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
        let cpus = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .unwrap_or("")
            .trim()
            .to_string();
        found.push((name.trim().to_string(), cpus));
    }
    found
}

#[test]
fn io_threads_take_their_name_prefix_and_cpu() {
    let ctx = Context::new();
    ctx.set_io_thread_name_prefix("q");
    ctx.add_io_thread_cpu(0);
    ctx.add_io_thread_cpu(1);
    ctx.remove_io_thread_cpu(1);
    let pull = ctx.socket(PULL).unwrap();
    // The first tcp endpoint starts the I/O thread, and returns once the thread has taken
    // its settings: one look at /proc right after it must find them.
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let all = threads();
    let io = all.iter().find(|(name, _)| name == "q/ferrozmq-io-0");
    let Some((_, cpus)) = io else {
        panic!("no thread named q/ferrozmq-io-0: {all:?}");
    };
    assert_eq!(cpus, "0", "the I/O thread's CPUs: {all:?}");
}
