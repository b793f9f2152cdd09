//! CPU time read from procfs. The crate forbids `unsafe`, so no
//! `getrusage` through libc: /proc/thread-self/stat and /proc/self/stat
//! carry the same utime + stime (in USER_HZ ticks, 100 per second on
//! Linux whatever the kernel's HZ; proc(5)).

use std::time::Duration;

/// Linux exports utime/stime in USER_HZ, fixed at 100 (proc(5), times(2)).
const USER_HZ: f64 = 100.0;

/// CPU time (user + system) of the calling thread: the one thread that
/// runs a driver's whole runtime, so this is that driver's CPU exactly.
pub fn this_thread() -> Duration {
    read("/proc/thread-self/stat")
}

/// CPU time of the whole process (client and server threads, and threads
/// that have exited), as `getrusage(RUSAGE_SELF)` would give it.
pub fn process() -> Duration {
    read("/proc/self/stat")
}

fn read(path: &str) -> Duration {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    ticks(&text).map_or(Duration::ZERO, |t| Duration::from_secs_f64(t as f64 / USER_HZ))
}

/// utime + stime, fields 14 and 15. The command name (field 2) is in
/// parentheses and may hold spaces, so count from the last `)`.
fn ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: field 3 (state) is fields[0], so field n is n - 3.
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}
