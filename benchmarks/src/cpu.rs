//! CPU time: a client's own (every thread, finished ones included), and the simulator's,
//! which the harness reads from outside while each client walks.

use std::collections::HashMap;
use std::path::Path;

use rustix::time::{ClockId, clock_gettime};

/// CPU seconds (user and system) this process has used so far, every thread counted,
/// threads that ended included: the clock `getrusage` and `time` read, to the nanosecond.
pub fn own_seconds() -> f64 {
    let t = clock_gettime(ClockId::ProcessCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// A reading of another process's CPU time, thread by thread, to compare with a later one.
#[derive(Debug, Clone, Default)]
pub struct Threads(HashMap<u32, f64>);

impl Threads {
    /// Reads process `pid`: for each thread, `se.sum_exec_runtime` from
    /// `/proc/PID/task/TID/sched` (nanoseconds, where the kernel shows it), else user and
    /// system time from `/proc/PID/task/TID/stat` (clock ticks, 10 ms on most systems).
    /// Empty where `/proc` cannot be read.
    pub fn read(pid: u32) -> Threads {
        let tasks = Path::new("/proc").join(pid.to_string()).join("task");
        let Ok(entries) = std::fs::read_dir(&tasks) else {
            return Threads::default();
        };
        let ticks = rustix::param::clock_ticks_per_second() as f64;
        let threads = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let tid = entry.file_name().to_str()?.parse().ok()?;
                let dir = entry.path();
                let seconds = std::fs::read_to_string(dir.join("sched"))
                    .ok()
                    .and_then(|sched| sum_exec_runtime(&sched))
                    .or_else(|| {
                        let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
                        stat_ticks(&stat).map(|t| t as f64 / ticks)
                    })?;
                Some((tid, seconds))
            })
            .collect();
        Threads(threads)
    }

    /// CPU seconds spent since `earlier` by the threads alive now (a thread that ended in
    /// between takes its share with it; the simulator's threads live as long as it does).
    pub fn since(&self, earlier: &Threads) -> f64 {
        self.0
            .iter()
            .map(|(tid, now)| (now - earlier.0.get(tid).copied().unwrap_or(0.0)).max(0.0))
            .sum()
    }
}

/// `se.sum_exec_runtime` of a `sched` file, in seconds (the file says milliseconds).
fn sum_exec_runtime(sched: &str) -> Option<f64> {
    let line = sched
        .lines()
        .find(|l| l.starts_with("se.sum_exec_runtime"))?;
    let ms: f64 = line.split(':').nth(1)?.trim().parse().ok()?;
    Some(ms / 1e3)
}

/// User plus system time of a `stat` line, in clock ticks: fields 14 and 15, counted after
/// the command name, which may hold spaces and parentheses.
fn stat_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_formats() {
        let sched = "tokio-runtime-w (7816, #threads: 3)\n\
                     -------------------------------------------------------------------\n\
                     se.exec_start                                :        232535.542431\n\
                     se.sum_exec_runtime                          :          1250.500000\n";
        assert_eq!(sum_exec_runtime(sched), Some(1.2505));
        assert_eq!(sum_exec_runtime("nothing"), None);
        let stat = "7813 (a (b) c) R 7810 7810 2303 0 -1 4194304 99 0 1 0 17 4 0 0 20 0 1 0";
        assert_eq!(stat_ticks(stat), Some(21));
        assert_eq!(stat_ticks("7813 (cat) R 1"), None);
    }

    #[test]
    fn readings() {
        let before = own_seconds();
        assert!(before > 0.0 && own_seconds() >= before);
        let me = Threads::read(std::process::id());
        assert!(!me.0.is_empty());
        let later = Threads::read(std::process::id());
        assert!(later.since(&me) >= 0.0);
        assert_eq!(Threads::default().since(&me), 0.0);
    }
}
