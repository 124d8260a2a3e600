//! SIGINT, SIGTERM and SIGUSR1 turn into flags the engine loop polls (issue
//! 6 §3 and §7): the first SIGINT or SIGTERM asks for a graceful shutdown,
//! a second one exits at once with status 130, and SIGUSR1 asks for a
//! metrics summary. The handlers only touch static atomics and call
//! `_exit`, all async-signal-safe, so a signal arriving mid-allocation or
//! mid-write cannot deadlock or corrupt the process.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

/// Exit status of the second stop signal: 128 + SIGINT, what a shell
/// reports for an interrupted program.
const EXIT_NOW_STATUS: i32 = 130;

/// SIGINT and SIGTERM received so far.
static STOPS: AtomicU32 = AtomicU32::new(0);
/// Set by SIGUSR1, cleared by [`Signals::take_dump`].
static DUMP: AtomicBool = AtomicBool::new(false);

/// The installed handlers; the flags are process-wide, so any handle sees
/// every signal.
#[derive(Debug)]
pub struct Signals {
    _installed: (),
}

impl Signals {
    /// Installs the handlers for SIGINT, SIGTERM and SIGUSR1 with
    /// `SA_RESTART`, so a signal does not fail the loop's blocking calls
    /// with `EINTR`.
    pub fn install() -> io::Result<Signals> {
        let stop = SigAction::new(SigHandler::Handler(on_stop), SaFlags::SA_RESTART, SigSet::empty());
        let dump = SigAction::new(SigHandler::Handler(on_dump), SaFlags::SA_RESTART, SigSet::empty());
        for (signal, action) in [(Signal::SIGINT, &stop), (Signal::SIGTERM, &stop), (Signal::SIGUSR1, &dump)] {
            // SAFETY: both handlers are async-signal-safe: they only do
            // lock-free atomic operations and call `_exit`.
            unsafe { sigaction(signal, action) }?;
        }
        Ok(Signals { _installed: () })
    }

    /// Whether a SIGINT or SIGTERM has arrived: stop firing and drain.
    pub fn stop_requested(&self) -> bool {
        STOPS.load(Ordering::Relaxed) > 0
    }

    /// Whether a SIGUSR1 arrived since the last call: print the summary.
    pub fn take_dump(&self) -> bool {
        DUMP.swap(false, Ordering::Relaxed)
    }
}

/// Counts a stop signal; true if one had arrived before, so this one must
/// end the process now.
fn count_stop(stops: &AtomicU32) -> bool {
    stops.fetch_add(1, Ordering::Relaxed) > 0
}

extern "C" fn on_stop(_: libc::c_int) {
    if count_stop(&STOPS) {
        // SAFETY: `_exit` is async-signal-safe; skipping destructors and
        // buffered output is the point of a second signal.
        unsafe { libc::_exit(EXIT_NOW_STATUS) }
    }
}

extern "C" fn on_dump(_: libc::c_int) {
    DUMP.store(true, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_repeated_stop_exits() {
        let stops = AtomicU32::new(0);
        assert!(!count_stop(&stops));
        assert!(count_stop(&stops));
        assert!(count_stop(&stops));
    }
}
