//! Reconnect delays for both of the engine's connections: a failure count
//! turns into the next delay, doubling from the configured minimum up to
//! the maximum, plus up to a quarter more at random so that engines cut off
//! together do not reconnect together. The randomness is the engine's one
//! RNG, seeded by the host.

use rand_core::RngCore;

use super::settings::Timers;

/// Consecutive failures of one connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Backoff {
    failures: u32,
}

impl Backoff {
    /// The delay before the next attempt, counting this failure.
    pub(super) fn next_delay(&mut self, timers: &Timers, rng: &mut impl RngCore) -> u64 {
        let base = timers.reconnect_min_ns.saturating_mul(1 << self.failures.min(20)).min(timers.reconnect_max_ns);
        let jitter = rng.next_u64() % (base / 4 + 1);
        self.failures = self.failures.saturating_add(1);
        base.saturating_add(jitter)
    }

    /// The connection works again: the next failure waits the minimum.
    pub(super) fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use super::*;

    #[test]
    fn delays_double_to_the_cap_with_at_most_a_quarter_of_jitter() {
        let timers = Timers { reconnect_min_ns: 100, reconnect_max_ns: 1_000, ..Timers::default() };
        let mut rng = ChaCha20Rng::from_seed([7; 32]);
        let mut backoff = Backoff::default();
        for base in [100, 200, 400, 800, 1_000, 1_000] {
            let delay = backoff.next_delay(&timers, &mut rng);
            assert!((base..=base + base / 4).contains(&delay), "{delay} for base {base}");
        }
        backoff.reset();
        assert!(backoff.next_delay(&timers, &mut rng) <= 125);
    }
}
