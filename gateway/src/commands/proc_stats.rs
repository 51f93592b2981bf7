//! This process's CPU time, memory and storage writes, read from `/proc`
//! (Linux, which is what the gateway runs on); `None` elsewhere rather than
//! a wrong figure. Shared by the benchmarks.

use std::time::Duration;

/// Clock ticks per second of `/proc/*/stat` times: `USER_HZ`, fixed at
/// 100 by the Linux ABI on every architecture the gateway targets.
const USER_HZ: u64 = 100;

/// User + system CPU time of every thread, living or finished.
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_cpu_time(&stat)
}

pub fn parse_cpu_time(stat: &str) -> Option<Duration> {
    // The command name (field 2) may hold spaces and parentheses; the
    // fields after its closing parenthesis start at field 3 (state),
    // so utime (field 14) and stime (field 15) are the 12th and 13th.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let ticks = utime.checked_add(stime)?;
    Some(Duration::from_millis(ticks.checked_mul(1000 / USER_HZ)?))
}

/// A `kB` line of `/proc/self/status`, e.g. `VmHWM` (peak RSS).
pub fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_status_kib(&status, key)
}

pub fn parse_status_kib(status: &str, key: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        if k != key {
            return None;
        }
        v.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// Bytes this process caused to be written to storage (`write_bytes` of
/// `/proc/self/io`): what wears an SD card, unlike socket traffic.
pub fn write_bytes() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k == "write_bytes").then(|| v.trim().parse().ok())?
    })
}
