//! `hotline::signals` against real signals: SIGUSR1 and SIGTERM raised in
//! this process set the flags the engine polls, and a second stop signal
//! ends a child process at once with status 130.

use std::process::Command;

use hotline::signals::Signals;
use nix::sys::signal::{Signal, raise};

/// Set in the child process that receives two stop signals.
const CHILD_ENV: &str = "HOTLINE_SIGNALS_CHILD";

#[test]
fn raised_signals_set_the_flags() {
    let signals = Signals::install().unwrap();
    assert!(!signals.take_dump());
    raise(Signal::SIGUSR1).unwrap();
    assert!(signals.take_dump());
    assert!(!signals.take_dump());
    assert!(!signals.stop_requested());
    raise(Signal::SIGTERM).unwrap();
    assert!(signals.stop_requested());
    assert!(!signals.take_dump());
}

#[test]
fn second_stop_signal_exits_at_once() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "two_stop_signals", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "stdout: {stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("survived the first signal"), "{stdout}");
    assert!(!stdout.contains("survived the second signal"), "{stdout}");
}

/// Run only as the child of `second_stop_signal_exits_at_once`.
#[test]
#[ignore = "run in a child process by second_stop_signal_exits_at_once"]
fn two_stop_signals() {
    assert!(std::env::var_os(CHILD_ENV).is_some(), "run by second_stop_signal_exits_at_once");
    let signals = Signals::install().unwrap();
    raise(Signal::SIGINT).unwrap();
    assert!(signals.stop_requested());
    println!("survived the first signal");
    raise(Signal::SIGTERM).unwrap();
    println!("survived the second signal");
}
