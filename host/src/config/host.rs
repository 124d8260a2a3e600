//! `[host]`: this machine's table turns into the engine thread's start-up
//! tuning (CPU, mlock, SCHED_FIFO), the ring's polling mode, the
//! sockets' options and the metrics server's address.

use std::net::SocketAddr;
use std::path::PathBuf;

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
