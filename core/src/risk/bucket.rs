//! A token bucket over integer nanoseconds: `capacity` tokens, refilled at
//! `capacity` per `window_ns`, so any window of that length admits at most
//! twice the capacity (a full bucket plus one window of refill).

/// A token bucket. Levels are kept in units of 1/`window_ns` token so the
/// refill is exact integer arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenBucket {
    capacity: u32,
    window_ns: u64,
    /// Current level × `window_ns`.
    level: u128,
    last_ns: u64,
}

impl TokenBucket {
    /// A full bucket of `capacity` tokens refilling over `window_ns`.
    pub fn new(capacity: u32, window_ns: u64) -> Self {
        let window_ns = window_ns.max(1);
        Self { capacity, window_ns, level: u128::from(capacity) * u128::from(window_ns), last_ns: 0 }
    }

    /// The most tokens any window of `window_ns` can yield: the full bucket
    /// plus one window of refill. Compare this with a venue's fixed-window
    /// limit.
    pub fn max_per_window(&self) -> u64 {
        2 * u64::from(self.capacity)
    }

    /// The level at `now_ns`.
    fn level_at(&self, now_ns: u64) -> u128 {
        let elapsed = now_ns.saturating_sub(self.last_ns);
        let full = u128::from(self.capacity) * u128::from(self.window_ns);
        self.level.saturating_add(u128::from(elapsed) * u128::from(self.capacity)).min(full)
    }

    fn refill(&mut self, now_ns: u64) {
        self.level = self.level_at(now_ns);
        self.last_ns = self.last_ns.max(now_ns);
    }

    /// Whether a token is available at `now_ns` (refills, takes nothing).
    pub fn available(&mut self, now_ns: u64) -> bool {
        self.refill(now_ns);
        self.level >= u128::from(self.window_ns)
    }

    /// Whether a token would be available at `now_ns`, changing nothing.
    pub fn would_admit(&self, now_ns: u64) -> bool {
        self.level_at(now_ns) >= u128::from(self.window_ns)
    }

    /// Takes one token; call only after [`TokenBucket::available`].
    pub fn take(&mut self) {
        self.level = self.level.saturating_sub(u128::from(self.window_ns));
    }

    /// Whole tokens left at the last refill.
    pub fn tokens(&self) -> u64 {
        u64::try_from(self.level / u128::from(self.window_ns)).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::TokenBucket;

    #[test]
    fn drains_and_refills_exactly() {
        let mut b = TokenBucket::new(2, 10);
        assert!(b.available(0));
        b.take();
        assert!(b.available(0));
        b.take();
        assert!(!b.available(4));
        assert!(b.available(5), "one token after half the window");
        b.take();
        assert!(!b.available(9));
        assert!(b.available(1_000));
        assert_eq!(b.tokens(), 2, "capped at capacity");
    }

    #[test]
    fn time_going_backwards_adds_nothing() {
        let mut b = TokenBucket::new(1, 10);
        assert!(b.available(100));
        b.take();
        assert!(!b.available(50));
        assert!(!b.available(109));
        assert!(b.available(110));
    }
}
