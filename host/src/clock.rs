//! Processor ticks turn into monotonic nanoseconds for stage timing: the
//! x86-64 time-stamp counter where it is invariant (`constant_tsc` and
//! `nonstop_tsc` in `/proc/cpuinfo`: one rate at every frequency and in
//! every sleep state), scaled by a ~20 ms calibration against
//! [`Instant`], else [`Instant`] itself. Reading the TSC costs a few
//! nanoseconds and no system call, so timing a sub-microsecond stage does
//! not distort it. The offset to `CLOCK_REALTIME` taken at construction
//! turns these nanoseconds into venue timestamps.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long the TSC is compared against [`Instant`]: a few microseconds of
/// read jitter over 20 ms leave the scale within 0.1 ‰.
const CALIBRATION: Duration = Duration::from_millis(20);

/// A monotonic nanosecond clock that starts at zero when built.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    source: Source,
    unix_offset_ns: i128,
}

#[derive(Debug, Clone, Copy)]
enum Source {
    /// TSC ticks; nanoseconds = ticks × `ns_per_tick_q32` / 2³².
    Tsc { origin: u64, ns_per_tick_q32: u64 },
    /// Ticks are nanoseconds since `origin`.
    Instant { origin: Instant },
}

impl Clock {
    /// Uses the TSC if the processor says it is invariant and it advances
    /// during calibration, else [`Instant`]; [`Clock::source`] says which.
    pub fn new() -> Self {
        let source = if invariant_tsc() {
            calibrate_tsc().unwrap_or_else(|| Source::Instant { origin: Instant::now() })
        } else {
            Source::Instant { origin: Instant::now() }
        };
        Self::with_source(source)
    }

    fn with_source(source: Source) -> Self {
        let mut clock = Self { source, unix_offset_ns: 0 };
        let now = clock.now_ns();
        let unix = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i128);
        clock.unix_offset_ns = unix - i128::from(now);
        clock
    }

    /// Nanoseconds since the clock was built; never goes backwards.
    #[inline]
    pub fn now_ns(&self) -> u64 {
        match self.source {
            // An earlier reading than the origin (another core's counter a
            // few ticks behind) is clamped to zero rather than wrapping.
            Source::Tsc { origin, .. } => self.ticks_to_ns(read_tsc().saturating_sub(origin)),
            Source::Instant { origin } => elapsed_ns(origin),
        }
    }

    /// A raw reading of the source; only differences of two readings mean
    /// anything, converted by [`Clock::ticks_to_ns`].
    #[inline]
    pub fn ticks(&self) -> u64 {
        match self.source {
            Source::Tsc { .. } => read_tsc(),
            Source::Instant { origin } => elapsed_ns(origin),
        }
    }

    /// The duration of `ticks` ticks in nanoseconds.
    #[inline]
    pub fn ticks_to_ns(&self, ticks: u64) -> u64 {
        match self.source {
            Source::Tsc { ns_per_tick_q32, .. } => {
                ((u128::from(ticks) * u128::from(ns_per_tick_q32)) >> 32).try_into().unwrap_or(u64::MAX)
            }
            Source::Instant { .. } => ticks,
        }
    }

    /// `"tsc"` or `"instant"`.
    pub fn source(&self) -> &'static str {
        match self.source {
            Source::Tsc { .. } => "tsc",
            Source::Instant { .. } => "instant",
        }
    }

    /// `CLOCK_REALTIME` minus [`Clock::now_ns`], both in nanoseconds, taken
    /// at construction: `now_ns() + unix_offset_ns()` is Unix time.
    pub fn unix_offset_ns(&self) -> i128 {
        self.unix_offset_ns
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

fn elapsed_ns(origin: Instant) -> u64 {
    origin.elapsed().as_nanos().try_into().unwrap_or(u64::MAX)
}

#[inline]
fn read_tsc() -> u64 {
    // SAFETY: RDTSC is part of the x86-64 baseline and only reads a
    // counter; it touches no memory.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Whether every core's TSC ticks at one fixed rate through frequency and
/// sleep-state changes.
fn invariant_tsc() -> bool {
    std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|info| {
        info.lines().find_map(|l| l.strip_prefix("flags")).and_then(|l| l.split_once(':')).is_some_and(|(_, flags)| {
            let flags = flags.split_whitespace();
            let has = |want: &str| flags.clone().any(|f| f == want);
            has("constant_tsc") && has("nonstop_tsc")
        })
    })
}

/// The TSC's scale, measured against [`Instant`] over [`CALIBRATION`], or
/// `None` if it did not advance.
fn calibrate_tsc() -> Option<Source> {
    let (start, start_ticks) = paired_reading();
    std::thread::sleep(CALIBRATION);
    let (end, end_ticks) = paired_reading();
    let ticks = end_ticks.checked_sub(start_ticks).filter(|&t| t > 0)?;
    let ns = end.duration_since(start).as_nanos();
    let ns_per_tick_q32 = ((ns << 32) / u128::from(ticks)).try_into().ok().filter(|&q| q > 0)?;
    Some(Source::Tsc { origin: read_tsc(), ns_per_tick_q32 })
}

/// An [`Instant`] and the TSC at the same moment: the midpoint of two TSC
/// reads around it, so a preemption between the reads halves its error.
fn paired_reading() -> (Instant, u64) {
    let before = read_tsc();
    let instant = Instant::now();
    let after = read_tsc();
    (instant, before + after.saturating_sub(before) / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clocks() -> [Clock; 2] {
        [Clock::new(), Clock::with_source(Source::Instant { origin: Instant::now() })]
    }

    #[test]
    fn never_goes_backwards() {
        for clock in clocks() {
            let mut last = clock.now_ns();
            for _ in 0..100_000 {
                let now = clock.now_ns();
                assert!(now >= last, "{} went from {last} to {now}", clock.source());
                last = now;
            }
        }
    }

    #[test]
    fn advances_at_the_rate_of_instant() {
        for clock in clocks() {
            let (start, start_ns, start_ticks) = (Instant::now(), clock.now_ns(), clock.ticks());
            std::thread::sleep(Duration::from_millis(50));
            let (end_ticks, end_ns) = (clock.ticks(), clock.now_ns());
            let reference = start.elapsed().as_nanos() as u64;
            for measured in [end_ns - start_ns, clock.ticks_to_ns(end_ticks - start_ticks)] {
                // A 20 % band: this checks the scale, not the timing.
                assert!(
                    measured.abs_diff(reference) <= reference / 5,
                    "{}: {measured} ns vs {reference} ns",
                    clock.source()
                );
            }
        }
    }

    #[test]
    fn unix_offset_gives_wall_time() {
        for clock in clocks() {
            let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as i128;
            let derived = i128::from(clock.now_ns()) + clock.unix_offset_ns();
            assert!((derived - wall).abs() < 1_000_000_000, "{}: {derived} vs {wall}", clock.source());
        }
    }

    #[test]
    fn uses_the_tsc_where_it_is_invariant() {
        assert_eq!(Clock::new().source() == "tsc", invariant_tsc());
    }
}
