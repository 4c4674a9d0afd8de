//! A function's process as Lambda runs it, measured: its CPU time and page
//! faults (the kernel's own accounting: `wait4`'s rusage, and each thread's
//! `schedstat` while it runs), its binary's pages dropped from the page
//! cache for a cold start on a new micro-VM, and its CPU held to Lambda's
//! share of the memory size once it asks for its first event (a cgroup CPU
//! quota).

use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Lambda's CPU share: a whole vCPU at 1,769 MB, in proportion below.
pub const MB_PER_VCPU: f64 = 1769.0;
/// The period of the quota, as observed in Lambda's invoke phase (20 ms windows).
pub const PERIOD_US: u64 = 20_000;

/// The CPU and page faults of a process that has ended.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    pub cpu: Duration,
    pub minor_faults: u64,
    pub major_faults: u64,
}

/// Kills `pid` with `signal` and reaps it: its whole CPU time (user and system, all
/// threads) and page faults.
pub fn kill_and_reap(pid: u32, signal: libc::c_int) -> Usage {
    let pid = pid as libc::pid_t;
    // SAFETY: plain system calls on a child of this process; `usage` is written by wait4.
    unsafe {
        libc::kill(pid, signal);
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::wait4(pid, &mut status, 0, &mut usage) != pid {
            return Usage::default();
        }
        let time = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        Usage {
            cpu: time(usage.ru_utime) + time(usage.ru_stime),
            minor_faults: usage.ru_minflt as u64,
            major_faults: usage.ru_majflt as u64,
        }
    }
}

/// CPU time of a running process so far: the sum of its live threads'
/// time on CPU (`/proc/PID/task/*/schedstat`, nanoseconds).
pub fn cpu_so_far(pid: u32) -> Duration {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    let nanos: u64 = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

/// Drops `path`'s pages from the page cache (nobody maps it between runs)
/// and says what share of them is still resident.
pub fn drop_from_page_cache(path: &Path) -> f64 {
    let Ok(file) = File::open(path) else {
        return f64::NAN;
    };
    // SAFETY: advice on an open file descriptor.
    unsafe {
        libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
    }
    resident_share(&file)
}

/// The share of `file`'s pages in the page cache (`mincore` of a mapping).
fn resident_share(file: &File) -> f64 {
    let Ok(len) = file.metadata().map(|m| m.len() as usize) else {
        return f64::NAN;
    };
    if len == 0 {
        return 0.0;
    }
    // SAFETY: a private read-only mapping of the whole file, unmapped below;
    // mincore writes one byte per page into `pages`.
    unsafe {
        let page = libc::sysconf(libc::_SC_PAGESIZE) as usize;
        let map = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        );
        if map == libc::MAP_FAILED {
            return f64::NAN;
        }
        let mut pages = vec![0u8; len.div_ceil(page)];
        let ok = libc::mincore(map, len, pages.as_mut_ptr()) == 0;
        libc::munmap(map, len);
        if !ok {
            return f64::NAN;
        }
        pages.iter().filter(|p| **p & 1 == 1).count() as f64 / pages.len() as f64
    }
}

/// A cgroup whose CPU quota the benchmark sets: cgroup v1's `cpu`
/// controller (`cpu.cfs_quota_us`), or cgroup v2's `cpu.max`.
pub struct CpuLimit {
    dir: PathBuf,
    v2: bool,
}

impl CpuLimit {
    /// Makes the benchmark's cgroup, or says why this machine cannot.
    pub fn create() -> Result<Self, String> {
        let name = format!("consent-bench-{}", std::process::id());
        let v1 = Path::new("/sys/fs/cgroup/cpu");
        let v2 = Path::new("/sys/fs/cgroup");
        let attempt = |dir: PathBuf, v2: bool| -> Result<Self, String> {
            std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let limit = Self { dir, v2 };
            if !v2 {
                limit.write("cpu.cfs_period_us", &PERIOD_US.to_string())?;
            }
            limit.set(None)?;
            Ok(limit)
        };
        let v1_tried = if v1.join("cpu.cfs_quota_us").exists() {
            match attempt(v1.join(&name), false) {
                Ok(limit) => return Ok(limit),
                Err(e) => format!("cgroup v1 cpu: {e}"),
            }
        } else {
            "no cgroup v1 cpu controller at /sys/fs/cgroup/cpu".to_owned()
        };
        let v2_has_cpu = std::fs::read_to_string(v2.join("cgroup.subtree_control"))
            .is_ok_and(|c| c.split_whitespace().any(|c| c == "cpu"));
        if v2_has_cpu {
            return attempt(v2.join(&name), true)
                .map_err(|e| format!("{v1_tried}; cgroup v2 cpu.max: {e}"));
        }
        Err(format!(
            "{v1_tried}; no cgroup v2 cpu controller enabled at /sys/fs/cgroup"
        ))
    }

    fn write(&self, file: &str, value: &str) -> Result<(), String> {
        std::fs::write(self.dir.join(file), value)
            .map_err(|e| format!("{}: {e}", self.dir.join(file).display()))
    }

    /// Sets the quota per period: `None` is no limit.
    pub fn set(&self, quota_us: Option<u64>) -> Result<(), String> {
        match (self.v2, quota_us) {
            (false, Some(q)) => self.write("cpu.cfs_quota_us", &q.to_string()),
            (false, None) => self.write("cpu.cfs_quota_us", "-1"),
            (true, Some(q)) => self.write("cpu.max", &format!("{q} {PERIOD_US}")),
            (true, None) => self.write("cpu.max", &format!("max {PERIOD_US}")),
        }
    }

    /// Makes `command`'s process join this cgroup before it runs its program.
    pub fn join_on_exec(&self, command: &mut std::process::Command) -> Result<(), String> {
        let procs = std::fs::OpenOptions::new()
            .write(true)
            .open(self.dir.join("cgroup.procs"))
            .map_err(|e| format!("{}: {e}", self.dir.display()))?;
        // SAFETY: the hook only calls getpid and write on an open descriptor,
        // both async-signal-safe, and formats into a stack buffer.
        unsafe {
            command.pre_exec(move || {
                let mut digits = [0u8; 20];
                let mut at = digits.len();
                let mut pid = libc::getpid() as u64;
                loop {
                    at -= 1;
                    digits[at] = b'0' + (pid % 10) as u8;
                    pid /= 10;
                    if pid == 0 {
                        break;
                    }
                }
                let written = libc::write(
                    procs.as_raw_fd(),
                    digits[at..].as_ptr().cast(),
                    digits.len() - at,
                );
                if written < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Ok(())
    }

    /// The quota that gives the share of a CPU Lambda gives `memory_mb`.
    pub fn quota_for(memory_mb: u32) -> u64 {
        (PERIOD_US as f64 * f64::from(memory_mb) / MB_PER_VCPU).round() as u64
    }
}

impl Drop for CpuLimit {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}
