//! `[host]`: this machine's table turns into the engine thread's start-up
//! tuning (CPU, mlock, SCHED_FIFO), the ring's polling mode, the
//! sockets' options and the metrics server's address.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{Problems, defaults};
use crate::net::socket::SocketOptions;
use crate::tune::Tuning;

/// Size of a Linux `cpu_set_t`.
const MAX_CPUS: usize = 1024;

/// `[host]`: this machine's tuning; each setting is reported at start-up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// Pin the engine thread to this CPU.
    pub cpu: Option<usize>,
    /// `mlockall` so the hot path never page-faults.
    #[serde(default = "defaults::host_mlock")]
    pub mlock: bool,
    /// SCHED_FIFO priority (1–99) of the engine thread.
    pub sched_fifo: Option<u8>,
    /// io_uring submission-queue polling thread.
    #[serde(default)]
    pub sqpoll: bool,
    /// Busy-poll for completions instead of sleeping (a whole CPU, warm).
    #[serde(default)]
    pub spin: bool,
    /// A dry run of the whole fire path every this many microseconds while
    /// idle and trading (docs/deploy.md §Warm path); 0 turns it off. Left
    /// out: every 100 µs when `spin`, off otherwise.
    pub warm_interval_us: Option<u64>,
    /// `SO_BUSY_POLL` microseconds on both sockets.
    pub busy_poll_us: Option<u32>,
    /// `SO_RCVBUF` bytes.
    pub rcvbuf: Option<usize>,
    /// `SO_SNDBUF` bytes.
    pub sndbuf: Option<usize>,
    /// Binary defmt log of the run.
    pub log_file: Option<PathBuf>,
    /// Serve `/metrics` and `/health` here (docs/metrics.md).
    pub metrics_listen: Option<SocketAddr>,
    /// Allow `metrics_listen` beyond loopback.
    #[serde(default)]
    pub metrics_public: bool,
}

impl Default for Host {
    fn default() -> Self {
        Self {
            cpu: None,
            mlock: defaults::host_mlock(),
            sched_fifo: None,
            sqpoll: false,
            spin: false,
            warm_interval_us: None,
            busy_poll_us: None,
            rcvbuf: None,
            sndbuf: None,
            log_file: None,
            metrics_listen: None,
            metrics_public: false,
        }
    }
}

impl Host {
    /// The engine thread's start-up tuning.
    pub fn tuning(&self) -> Tuning {
        Tuning { cpu: self.cpu, mlock: self.mlock, fifo_priority: self.sched_fifo.map(i32::from) }
    }

    /// How often the engine runs the fire path dry while idle, if at all.
    pub fn warm_every(&self) -> Option<Duration> {
        match self.warm_interval_us {
            Some(0) => None,
            Some(us) => Some(Duration::from_micros(us)),
            None => self.spin.then(|| Duration::from_micros(crate::driver::WARM_INTERVAL_US)),
        }
    }

    /// The start-up report of the latency profile: what keeps the fire path
    /// warm between whales, and a warning when nothing does.
    pub fn profile(&self) -> Vec<String> {
        let warm = self.warm_every();
        let mut lines = vec![format!(
            "latency profile: {}, {}, {}, {}",
            self.cpu.map_or("engine thread not pinned".to_owned(), |c| format!("engine thread on cpu {c}")),
            if self.spin { "spinning" } else { "sleeping in the kernel between events" },
            if self.sqpoll { "SQPOLL" } else { "no SQPOLL" },
            warm.map_or("no dry runs".to_owned(), |w| format!("a dry run of the fire path every {} µs", w.as_micros())),
        )];
        if !self.spin && warm.is_none() {
            lines.push(
                "WARNING: the fire path runs cold: a real whale finds caches and branch predictors cold and \
                 tick-to-wire is several times the benchmark's; set host.spin = true (and host.cpu) for the \
                 production profile (docs/deploy.md)"
                    .to_owned(),
            );
        } else if warm.is_none() {
            lines.push(
                "WARNING: spinning without dry runs (host.warm_interval_us = 0): the first whale after a quiet \
                 spell runs cold"
                    .to_owned(),
            );
        }
        lines
    }

    /// Both connections' socket options (Nagle always off: an order must
    /// leave at once).
    pub fn socket_options(&self) -> SocketOptions {
        SocketOptions {
            nodelay: true,
            busy_poll_us: self.busy_poll_us,
            recv_buffer: self.rcvbuf,
            send_buffer: self.sndbuf,
        }
    }

    pub(super) fn validate(&self, p: &mut Problems) {
        if let Some(cpu) = self.cpu {
            p.require(cpu < MAX_CPUS, "host.cpu", format_args!("must be < {MAX_CPUS}"));
        }
        if let Some(us) = self.warm_interval_us {
            p.require(us <= 1_000_000, "host.warm_interval_us", "must be 0 (off) to 1000000 microseconds");
        }
        if let Some(priority) = self.sched_fifo {
            p.require((1..=99).contains(&priority), "host.sched_fifo", "must be 1-99");
        }
        for (field, bytes) in [("host.rcvbuf", self.rcvbuf), ("host.sndbuf", self.sndbuf)] {
            if let Some(bytes) = bytes {
                p.require(bytes > 0 && i32::try_from(bytes).is_ok(), field, "must be 1-2147483647");
            }
        }
        if let Some(addr) = self.metrics_listen {
            p.require(
                self.metrics_public || addr.ip().is_loopback(),
                "host.metrics_listen",
                format_args!("{addr} is not a loopback address; set host.metrics_public = true to serve it"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dry_runs_are_on_with_spin_unless_turned_off_and_a_cold_profile_is_flagged() {
        let cold = Host::default();
        assert_eq!(cold.warm_every(), None);
        assert!(cold.profile().iter().any(|l| l.starts_with("WARNING: the fire path runs cold")));
        let spin = Host { spin: true, cpu: Some(1), ..Host::default() };
        assert_eq!(spin.warm_every(), Some(Duration::from_micros(crate::driver::WARM_INTERVAL_US)));
        assert_eq!(spin.profile().len(), 1, "{:?}", spin.profile());
        assert!(spin.profile()[0].contains("engine thread on cpu 1, spinning"));
        let off = Host { warm_interval_us: Some(0), ..spin.clone() };
        assert_eq!(off.warm_every(), None);
        assert!(off.profile()[1].starts_with("WARNING: spinning without dry runs"));
        let asleep = Host { warm_interval_us: Some(250), ..Host::default() };
        assert_eq!(asleep.warm_every(), Some(Duration::from_micros(250)));
        assert_eq!(asleep.profile().len(), 1);
    }
}
