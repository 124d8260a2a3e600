//! Feed fusion: each node's transactions turn into first arrivals, which go
//! on to the fire path, or later arrivals of a transaction another node
//! delivered first, which are counted with their lag and never fire again
//! (`docs/protocols/bitcoind-zmq.md` §Several nodes). Transactions are
//! matched by a 64-bit tag of their first input's outpoint, confirmed by
//! their wtxid when the tags collide, so a replacement spending the same
//! outpoint is a new transaction. The table is fixed: a tag picks a bucket
//! of eight whose tags share one cache line, so a first arrival costs one
//! line read and two written, and the bucket's oldest entry makes room;
//! nothing allocates.
//!
//! Per node it keeps what a trader compares nodes by: transactions first
//! seen there, later arrivals, the lead over the next node and the lag
//! behind the first, gaps and restarts.

/// Nodes one engine reads at most.
pub const MAX_NODES: usize = 4;
/// Buckets (a power of two): 2 048 transactions remembered, at 100 a
/// second the last 20 s, longer than relay delays between nodes.
const BUCKETS: usize = 256;
/// Entries per bucket: eight 64-bit tags fill one cache line.
const WAYS: usize = 8;
/// Buckets of a [`LagHistogram`].
const LAG_BUCKETS: usize = 28;
/// A wtxid not yet computed (its first arrival fired an order, which goes
/// out before any hashing).
const PENDING: u64 = 0;

/// Nanosecond delays in power-of-two buckets from 1 µs to 67 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LagHistogram {
    buckets: [u64; LAG_BUCKETS],
    sum_ns: u64,
}

impl Default for LagHistogram {
    fn default() -> Self {
        Self { buckets: [0; LAG_BUCKETS], sum_ns: 0 }
    }
}

impl LagHistogram {
    /// Bucket `index` holds the samples below this many nanoseconds (and at
    /// or above the previous bucket's bound); the last one holds the rest.
    pub fn upper_bound_ns(index: usize) -> u64 {
        if index + 1 >= LAG_BUCKETS { u64::MAX } else { 1_000u64 << index }
    }

    /// Sample counts per bucket (not cumulative).
    pub fn buckets(&self) -> &[u64] {
        &self.buckets
    }

    /// Samples recorded.
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// The sum of every sample, nanoseconds (saturating).
    pub fn sum_ns(&self) -> u64 {
        self.sum_ns
    }

    /// The upper bound of the bucket holding the `permille`th sample
    /// (500 for the median); `None` when empty.
    pub fn quantile_ns(&self, permille: u64) -> Option<u64> {
        let count = self.count();
        if count == 0 {
            return None;
        }
        let rank = (count.saturating_mul(permille.min(1000)) / 1000).max(1);
        let mut seen = 0;
        self.buckets.iter().enumerate().find_map(|(i, &n)| {
            seen += n;
            (seen >= rank).then(|| Self::upper_bound_ns(i))
        })
    }

    fn record(&mut self, ns: u64) {
        let micros = ns / 1_000;
        let index = if micros == 0 { 0 } else { (u64::BITS - micros.leading_zeros()) as usize };
        if let Some(bucket) = self.buckets.get_mut(index.min(LAG_BUCKETS - 1)) {
            *bucket += 1;
        }
        self.sum_ns = self.sum_ns.saturating_add(ns);
    }
}

/// One node's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeStats {
    /// Its ZMTP session is up.
    pub up: bool,
    /// Transactions this node delivered before any other.
    pub first_seen: u64,
    /// Transactions this node delivered after another node had.
    pub later_seen: u64,
    /// Sequence gaps.
    pub gaps: u64,
    /// Restarts of the node (its sequence numbers began again).
    pub restarts: u64,
    /// For transactions first seen here: how long before the next node.
    pub lead_ns: LagHistogram,
    /// For transactions seen here later: how long after the first node.
    pub lag_ns: LagHistogram,
    /// When it last gapped or restarted, host nanoseconds.
    pub(super) last_gap_ns: Option<u64>,
}

/// What a node's transaction is to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Arrival {
    /// Nobody delivered it before: act on it. `slot` is where its wtxid
    /// goes once computed.
    First { slot: usize },
    /// Another node delivered it first.
    Later,
}

/// What the table keeps of a transaction beside its tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    /// The first 8 bytes of the wtxid, or [`PENDING`].
    wtxid: u64,
    /// Host time of the first arrival.
    at: u64,
    /// The node that delivered it first; `u8::MAX` for an empty entry.
    first: u8,
    /// Every node that delivered it, one bit each.
    nodes: u8,
    /// The first node's lead was recorded (at the second arrival).
    led: bool,
}

const EMPTY: Seen = Seen { wtxid: PENDING, at: 0, first: u8::MAX, nodes: 0, led: false };

/// One bucket's tags: a cache line, scanned on every arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(64))]
struct Tags([u64; WAYS]);

/// The table of transactions seen and the nodes' records.
#[derive(Debug, Clone)]
pub(super) struct Fusion {
    tags: [Tags; BUCKETS],
    seen: [[Seen; WAYS]; BUCKETS],
    /// Per bucket, the way the next new entry takes: they fill in turn, so
    /// it holds the oldest.
    next: [u8; BUCKETS],
    pub(super) nodes: [NodeStats; MAX_NODES],
}

impl Default for Fusion {
    fn default() -> Self {
        Self {
            tags: [Tags([0; WAYS]); BUCKETS],
            seen: [[EMPTY; WAYS]; BUCKETS],
            next: [0; BUCKETS],
            nodes: [NodeStats::default(); MAX_NODES],
        }
    }
}

impl Fusion {
    /// How many remembered transactions carry `tag`, changing nothing: the
    /// line [`arrive`](Self::arrive) scans first, read for a dry run.
    pub(super) fn probe(&self, tag: u64) -> usize {
        let bucket = (tag as usize) & (BUCKETS - 1);
        self.tags.get(bucket).map_or(0, |tags| tags.0.iter().filter(|&&t| t == tag).count())
    }

    /// A transaction from `node` whose first input's outpoint has `tag`;
    /// `wtxid` computes its wtxid's first 8 bytes, called only when a
    /// remembered transaction has the same tag.
    #[inline]
    pub(super) fn arrive(&mut self, node: usize, now: u64, tag: u64, wtxid: impl FnOnce() -> u64) -> Arrival {
        let bit = 1u8 << node.min(7);
        let bucket = (tag as usize) & (BUCKETS - 1);
        let (Some(tags), Some(seen)) = (self.tags.get_mut(bucket), self.seen.get_mut(bucket)) else {
            return Arrival::First { slot: 0 };
        };
        let mut wtxid = Some(wtxid);
        let mut mine = None;
        let mut republished = None;
        // The ways whose tag matches, from the tags' line alone: a new
        // transaction (the common case) reads no entry. Compared entry by
        // entry, the compiler loaded each entry beside its tag.
        let mut matches = tags.0.iter().enumerate().fold(0u32, |m, (way, &t)| m | (u32::from(t == tag) << way));
        while matches != 0 {
            let way = matches.trailing_zeros() as usize;
            matches &= matches - 1;
            let Some(entry) = seen.get_mut(way) else { break };
            if entry.first == u8::MAX {
                continue;
            }
            // The same outpoint: the same transaction unless the wtxids
            // differ (a replacement, remembered beside the original).
            if entry.wtxid != PENDING {
                if mine.is_none() {
                    mine = wtxid.take().map(|f| f() | 1);
                }
                if mine != Some(entry.wtxid) {
                    continue;
                }
            }
            // A node sending it again is bitcoind republishing it (a block
            // connected), for the strategy to judge, not another node's copy.
            if entry.nodes & bit != 0 {
                republished = Some(way);
                break;
            }
            entry.nodes |= bit;
            let lag = now.saturating_sub(entry.at);
            let (first, led) = (usize::from(entry.first), entry.led);
            entry.led = true;
            if !led && let Some(leader) = self.nodes.get_mut(first) {
                leader.lead_ns.record(lag);
            }
            if let Some(stats) = self.nodes.get_mut(node) {
                stats.later_seen += 1;
                stats.lag_ns.record(lag);
            }
            return Arrival::Later;
        }
        let way = republished.unwrap_or_else(|| {
            self.next.get_mut(bucket).map_or(0, |n| {
                let way = usize::from(*n);
                *n = ((way + 1) % WAYS) as u8;
                way
            })
        });
        if let (Some(t), Some(entry)) = (tags.0.get_mut(way), seen.get_mut(way)) {
            *t = tag;
            *entry = Seen { wtxid: PENDING, at: now, first: node as u8, nodes: bit, led: false };
        }
        if let Some(stats) = self.nodes.get_mut(node) {
            stats.first_seen += 1;
        }
        Arrival::First { slot: bucket * WAYS + way }
    }

    /// The wtxid of the first arrival in `slot`, once computed.
    pub(super) fn settle(&mut self, slot: usize, wtxid: u64) {
        if let Some(entry) = self.seen.get_mut(slot / WAYS).and_then(|b| b.get_mut(slot % WAYS)) {
            entry.wtxid = wtxid | 1;
        }
    }

    /// Whether a gap on `node` at `now` is covered: another node is up and
    /// has not gapped within `window_ns`, so it delivered the stretch the
    /// gapping node lost.
    pub(super) fn covered(&self, node: usize, count: usize, now: u64, window_ns: u64) -> bool {
        self.nodes
            .iter()
            .take(count)
            .enumerate()
            .any(|(i, n)| i != node && n.up && n.last_gap_ns.is_none_or(|at| now.saturating_sub(at) >= window_ns))
    }
}

/// The first 8 bytes of a wtxid, as the table keeps it.
pub(super) fn short(hash: &[u8; 32]) -> u64 {
    let [a, b, c, d, e, f, g, h, ..] = *hash;
    u64::from_le_bytes([a, b, c, d, e, f, g, h])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_arrivals_count_with_their_lag_and_the_leader_its_lead() {
        let mut f = Fusion::default();
        let Arrival::First { slot } = f.arrive(1, 1_000, 42, || unreachable!()) else { panic!() };
        f.settle(slot, 7);
        assert_eq!(f.arrive(0, 3_000_000, 42, || 7), Arrival::Later);
        assert_eq!(f.arrive(2, 9_000_000, 42, || 7), Arrival::Later);
        assert_eq!(f.nodes[1].first_seen, 1);
        assert_eq!(f.nodes[1].lead_ns.count(), 1, "only the next node's lag is the lead");
        assert_eq!(f.nodes[1].lead_ns.quantile_ns(500), Some(4_096_000));
        assert_eq!((f.nodes[0].later_seen, f.nodes[2].later_seen), (1, 1));
        assert_eq!(f.nodes[2].lag_ns.sum_ns(), 8_999_000);
    }

    #[test]
    fn a_replacement_and_a_republish_are_first_arrivals() {
        let mut f = Fusion::default();
        let Arrival::First { slot } = f.arrive(0, 0, 42, || unreachable!()) else { panic!() };
        f.settle(slot, 7);
        // Same outpoint, other wtxid: a replacement, remembered beside the
        // original, which another node may still deliver.
        let Arrival::First { slot: replacement } = f.arrive(1, 5, 42, || 9) else { panic!() };
        f.settle(replacement, 9);
        assert_eq!(f.arrive(2, 6, 42, || 7), Arrival::Later);
        assert_eq!(f.arrive(2, 7, 42, || 9), Arrival::Later);
        // The same node again: bitcoind republishing, for the strategy.
        let Arrival::First { slot } = f.arrive(0, 0, 43, || unreachable!()) else { panic!() };
        f.settle(slot, 8);
        assert!(matches!(f.arrive(0, 5, 43, || 8), Arrival::First { .. }));
    }

    #[test]
    fn the_table_forgets_the_oldest_of_a_bucket() {
        let mut f = Fusion::default();
        for i in 0..=WAYS as u64 {
            // Tags that share a bucket.
            let tag = i * BUCKETS as u64;
            let Arrival::First { slot } = f.arrive(0, i + 1, tag, || unreachable!()) else { panic!() };
            f.settle(slot, i);
        }
        assert!(matches!(f.arrive(1, 100, 0, || 0), Arrival::First { .. }), "the oldest was evicted");
        assert_eq!(f.arrive(1, 100, WAYS as u64 * BUCKETS as u64, || WAYS as u64), Arrival::Later);
    }

    #[test]
    fn a_gap_is_covered_by_a_live_node_that_did_not_gap() {
        let mut f = Fusion::default();
        f.nodes[0].up = true;
        f.nodes[1].up = true;
        assert!(f.covered(0, 2, 100, 50));
        f.nodes[1].last_gap_ns = Some(80);
        assert!(!f.covered(0, 2, 100, 50), "node 1 gapped 20 ns ago");
        assert!(f.covered(0, 2, 130, 50));
        f.nodes[1].up = false;
        assert!(!f.covered(0, 2, 200, 50));
        assert!(!f.covered(0, 1, 200, 50), "one node covers nothing");
    }

    #[test]
    fn histogram_buckets_are_powers_of_two_microseconds() {
        let mut h = LagHistogram::default();
        for ns in [0, 999, 1_000, 1_999, 2_000, u64::MAX] {
            h.record(ns);
        }
        assert_eq!(&h.buckets()[..3], &[2, 2, 1]);
        assert_eq!(h.buckets()[LAG_BUCKETS - 1], 1);
        assert_eq!(LagHistogram::upper_bound_ns(0), 1_000);
        assert_eq!(LagHistogram::upper_bound_ns(LAG_BUCKETS - 1), u64::MAX);
    }
}
