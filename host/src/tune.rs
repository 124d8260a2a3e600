//! Start-up tuning of the engine thread: a [`Tuning`] turns into CPU pinning,
//! locked memory and real-time scheduling, and into one report line per step.
//! Each step is reported, and a step the process has no privilege for says
//! which capability it needs instead of failing silently.

use std::fmt;

use nix::errno::Errno;
use nix::sched::{CpuSet, sched_setaffinity};
use nix::sys::mman::{MlockAllFlags, mlockall};
use nix::unistd::Pid;

/// What to apply to the calling thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tuning {
    /// Pin the thread to this CPU.
    pub cpu: Option<usize>,
    /// Lock all current and future pages in memory (no page faults on the
    /// hot path).
    pub mlock: bool,
    /// Run under SCHED_FIFO at this priority (1–99).
    pub fifo_priority: Option<i32>,
}

/// The outcome of one tuning step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What was attempted, e.g. `pin to cpu 2`.
    pub what: String,
    /// `Ok(())`, or why it did not happen and what would fix it.
    pub outcome: Result<(), String>,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Ok(()) => write!(f, "{}: ok", self.what),
            Err(why) => write!(f, "{}: NOT applied: {why}", self.what),
        }
    }
}

/// Applies `tuning` to the calling thread; returns one step per setting.
pub fn apply(tuning: &Tuning) -> Vec<Step> {
    let mut steps = Vec::new();
    if let Some(cpu) = tuning.cpu {
        let outcome = pin(cpu);
        steps.push(Step { what: format!("pin to cpu {cpu}"), outcome });
    }
    if tuning.mlock {
        let outcome = mlockall(MlockAllFlags::MCL_CURRENT | MlockAllFlags::MCL_FUTURE)
            .map_err(|e| explain(e, "CAP_IPC_LOCK or a larger RLIMIT_MEMLOCK"));
        steps.push(Step { what: "mlockall".to_owned(), outcome });
    }
    if let Some(priority) = tuning.fifo_priority {
        let outcome = fifo(priority);
        steps.push(Step { what: format!("SCHED_FIFO priority {priority}"), outcome });
    }
    steps
}

fn pin(cpu: usize) -> Result<(), String> {
    let mut set = CpuSet::new();
    set.set(cpu).map_err(|_| format!("cpu {cpu} is beyond the largest CPU set ({})", CpuSet::count()))?;
    sched_setaffinity(Pid::from_raw(0), &set).map_err(|e| explain(e, "a CPU in this process's allowed set"))
}

fn fifo(priority: i32) -> Result<(), String> {
    if !(1..=99).contains(&priority) {
        return Err(format!("priority {priority} is outside 1..=99"));
    }
    let param = libc::sched_param { sched_priority: priority };
    // SAFETY: `param` is a valid sched_param for the duration of the call;
    // pid 0 is the calling thread.
    let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) };
    if rc == 0 {
        Ok(())
    } else {
        Err(explain(Errno::last(), "CAP_SYS_NICE or an RLIMIT_RTPRIO of at least the priority"))
    }
}

fn explain(errno: Errno, needs: &str) -> String {
    match errno {
        Errno::EPERM => format!("permission denied (needs {needs})"),
        Errno::ENOMEM => format!("out of lockable memory (needs {needs})"),
        Errno::EINVAL => format!("invalid argument (needs {needs})"),
        other => format!("{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_settings_are_reported_with_the_reason() {
        let steps = apply(&Tuning { cpu: Some(1 << 20), mlock: false, fifo_priority: Some(120) });
        assert_eq!(steps.len(), 2);
        assert!(steps[0].to_string().contains("beyond the largest CPU set"), "{}", steps[0]);
        assert!(steps[1].to_string().contains("outside 1..=99"), "{}", steps[1]);
    }

    #[test]
    fn pinning_to_the_first_allowed_cpu_succeeds() {
        let allowed = nix::sched::sched_getaffinity(Pid::from_raw(0)).unwrap();
        let cpu = (0..CpuSet::count()).find(|&c| allowed.is_set(c).unwrap_or(false)).unwrap();
        let steps = apply(&Tuning { cpu: Some(cpu), ..Tuning::default() });
        assert_eq!(steps[0].outcome, Ok(()));
        // Restore the full set for the other tests in this process.
        sched_setaffinity(Pid::from_raw(0), &allowed).unwrap();
    }
}
