//! Feed fusion: each node's transactions turn into first arrivals, which go
//! on to the fire path, or later arrivals of a transaction another node
//! delivered first, which are counted with their lag and never fire again
//! (`docs/protocols/bitcoind-zmq.md` §Several nodes). Transactions are
//! matched by a 64-bit tag of their first input's outpoint, confirmed by
//! their wtxid when the tags collide, so a replacement spending the same
//! outpoint is a new transaction. The table is fixed: a tag picks a bucket
//! of four entries in one cache line, each its tag and one word with the
//! first arrival's time and nodes, so a first arrival reads and writes one
//! line and replaces the bucket's oldest entry; the wtxids, needed only on
//! a collision, are apart. Nothing allocates.
//!
//! Per node it keeps what a trader compares nodes by: transactions first
//! seen there, later arrivals, the lead over the next node and the lag
//! behind the first, gaps and restarts.

/// Nodes one engine reads at most.
pub const MAX_NODES: usize = 4;
/// Buckets (a power of two): 2 048 transactions remembered, at 100 a
/// second the last 20 s, longer than relay delays between nodes.
const BUCKETS: usize = 512;
/// Entries per bucket: four tags and their words fill one cache line.
const WAYS: usize = 4;
/// Buckets of a [`LagHistogram`].
const LAG_BUCKETS: usize = 28;

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
    /// No remembered transaction has its fingerprint: act on it, then
    /// record it ([`Fusion::defer`] or [`Fusion::insert`]).
    New,
    /// Remembered transactions share its fingerprint, none is it: act on
    /// it. It is recorded, and `slot` is where its wtxid goes once
    /// computed.
    First { slot: Slot },
    /// Another node delivered it first.
    Later,
}

/// Where a first arrival's wtxid goes once computed, with its tag, so
/// that an entry reused meanwhile is not given another transaction's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Slot {
    index: usize,
    tag: u64,
}

/// One remembered transaction: its tag, and a word holding the first
/// arrival's host time (its low 56 bits, shifted up: a lag is exact below
/// 2^56 ns, two years) over eight bits of state: bits 0..4 every node
/// that delivered it, one each; 4..6 the first of them; [`LED`];
/// [`SETTLED`]. An empty entry's word is 0: a transaction always has its
/// first node's bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    tag: u64,
    word: u64,
}

/// The node that delivered it first (two bits).
const FIRST_SHIFT: u32 = 4;
const _: () = assert!(MAX_NODES <= 4, "an entry's state holds four nodes' bits and a two-bit first node");
/// The first node's lead was recorded (at the second arrival).
const LED: u64 = 1 << 6;
/// Its wtxid is in [`Fusion::wtxids`].
const SETTLED: u64 = 1 << 7;
/// The state bits below the time.
const STATE_BITS: u32 = 8;
const STATE_MASK: u64 = (1 << STATE_BITS) - 1;

/// One bucket: a cache line, read when a fingerprint matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(64))]
struct Bucket([Entry; WAYS]);

/// Every entry's 16-bit fingerprint (0 when empty), by bucket: 4 KiB,
/// eight buckets to a cache line, read on every arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(64))]
struct Prints([[u16; WAYS]; BUCKETS]);

/// A first arrival that fired, not yet in the table, or in it and its
/// wtxid not yet computed: recorded, then settled, after its order is out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unsettled {
    Deferred { node: usize, at: u64, tag: u64 },
    Inserted(Slot),
}

/// The table of transactions seen and the nodes' records.
#[derive(Debug, Clone)]
pub(super) struct Fusion {
    prints: Prints,
    buckets: [Bucket; BUCKETS],
    /// The first 8 bytes of each entry's wtxid, valid with [`SETTLED`].
    wtxids: [[u64; WAYS]; BUCKETS],
    /// The whale whose order went out before its record.
    unsettled: Option<Unsettled>,
    pub(super) nodes: [NodeStats; MAX_NODES],
}

impl Default for Fusion {
    fn default() -> Self {
        Self {
            prints: Prints([[0; WAYS]; BUCKETS]),
            buckets: [Bucket([Entry { tag: 0, word: 0 }; WAYS]); BUCKETS],
            wtxids: [[0; WAYS]; BUCKETS],
            unsettled: None,
            nodes: [NodeStats::default(); MAX_NODES],
        }
    }
}

impl Fusion {
    /// How many remembered transactions may carry `tag`, changing nothing:
    /// the line [`arrive`](Self::arrive) reads first, read for a dry run.
    pub(super) fn probe(&self, tag: u64) -> usize {
        self.prints.0.get(bucket_of(tag)).map_or(0, |p| p.iter().filter(|&&p| p == print(tag)).count())
    }

    /// A transaction from `node` whose first input's outpoint has `tag`;
    /// `wtxid` computes its wtxid's first 8 bytes, called only when a
    /// remembered transaction has the same tag and its wtxid is known.
    ///
    /// A new transaction, the common case, costs one line of
    /// fingerprints, which stays in cache (4 KiB for the table): it is
    /// recorded after the caller acted on it, off the fire path. Only a
    /// fingerprint's match reads the bucket's line.
    #[inline]
    pub(super) fn arrive(&mut self, node: usize, now: u64, tag: u64, wtxid: impl FnOnce() -> u64) -> Arrival {
        if let Some(Unsettled::Deferred { node, at, tag }) = self.unsettled {
            self.unsettled = Some(Unsettled::Inserted(self.insert(node, at, tag)));
        }
        match self.prints.0.get(bucket_of(tag)) {
            Some(prints) if !prints.contains(&print(tag)) => Arrival::New,
            _ => self.lookup(node, now, tag, wtxid),
        }
    }

    /// Records a first arrival that fired once its order is out: in the
    /// table at the next arrival or at [`settle_deferred`](Self::settle_deferred),
    /// whichever comes first.
    pub(super) fn defer(&mut self, node: usize, at: u64, tag: u64) {
        if let Some(Unsettled::Deferred { node, at, tag }) = self.unsettled {
            self.insert(node, at, tag);
        }
        self.unsettled = Some(Unsettled::Deferred { node, at, tag });
    }

    /// Keeps `slot` for [`settle_deferred`](Self::settle_deferred): its
    /// transaction fired and its wtxid is computed after the order is out.
    pub(super) fn keep(&mut self, slot: Slot) {
        self.unsettled = Some(Unsettled::Inserted(slot));
    }

    /// Records the whale of [`defer`](Self::defer) or [`keep`](Self::keep),
    /// if not yet, with its wtxid.
    pub(super) fn settle_deferred(&mut self, wtxid: u64) {
        let slot = match self.unsettled.take() {
            Some(Unsettled::Deferred { node, at, tag }) => self.insert(node, at, tag),
            Some(Unsettled::Inserted(slot)) => slot,
            None => return,
        };
        self.settle(slot, wtxid);
    }

    /// Records a new transaction from `node` first seen at `at`: it takes
    /// the oldest entry of its bucket.
    pub(super) fn insert(&mut self, node: usize, at: u64, tag: u64) -> Slot {
        match self.lookup(node, at, tag, || 0) {
            Arrival::First { slot } => slot,
            // Its tag recorded since it was looked up, which nothing in
            // between does: that record stands, and the slot settles none.
            Arrival::New | Arrival::Later => Slot { index: usize::MAX, tag },
        }
    }

    /// The bucket's ways: a later arrival is counted, anything else
    /// recorded as a first arrival.
    fn lookup(&mut self, node: usize, now: u64, tag: u64, wtxid: impl FnOnce() -> u64) -> Arrival {
        let node = node.min(MAX_NODES - 1);
        let bit = 1u64 << node;
        let index = bucket_of(tag);
        let (Some(bucket), Some(wtxids)) = (self.buckets.get_mut(index), self.wtxids.get(index)) else {
            return Arrival::First { slot: Slot { index: 0, tag } };
        };
        let stamp = now << STATE_BITS;
        let mut wtxid = Some(wtxid);
        let mut mine = None;
        let mut republished = None;
        // The ways whose tag matches, from the bucket's line alone: the
        // entries' wtxids are read only then.
        let mut matches =
            bucket.0.iter().enumerate().fold(0u32, |m, (way, e)| m | (u32::from(e.tag == tag && e.word != 0) << way));
        while matches != 0 {
            let way = matches.trailing_zeros() as usize;
            matches &= matches - 1;
            let Some(entry) = bucket.0.get_mut(way) else { break };
            // The same outpoint: the same transaction unless the wtxids
            // differ (a replacement, remembered beside the original).
            if entry.word & SETTLED != 0 {
                if mine.is_none() {
                    mine = wtxid.take().map(|f| f() | 1);
                }
                if mine != wtxids.get(way).copied() {
                    continue;
                }
            }
            // A node sending it again is bitcoind republishing it (a block
            // connected), for the strategy to judge, not another node's copy.
            if entry.word & bit != 0 {
                republished = Some(way);
                break;
            }
            let lag = stamp.wrapping_sub(entry.word & !STATE_MASK) >> STATE_BITS;
            let first = (entry.word >> FIRST_SHIFT) as usize & (MAX_NODES - 1);
            let led = entry.word & LED != 0;
            entry.word |= bit | LED;
            if !led && let Some(leader) = self.nodes.get_mut(first) {
                leader.lead_ns.record(lag);
            }
            if let Some(stats) = self.nodes.get_mut(node) {
                stats.later_seen += 1;
                stats.lag_ns.record(lag);
            }
            return Arrival::Later;
        }
        // The entry republished, or else an empty one or the oldest.
        let way = republished.unwrap_or_else(|| {
            let age = |e: &Entry| if e.word == 0 { u64::MAX } else { stamp.wrapping_sub(e.word & !STATE_MASK) };
            let ages = bucket.0.iter().map(age).enumerate();
            ages.fold((0, 0), |(oldest, most), (way, age)| if age > most { (way, age) } else { (oldest, most) }).0
        });
        if let Some(entry) = bucket.0.get_mut(way) {
            *entry = Entry { tag, word: stamp | (node as u64) << FIRST_SHIFT | bit };
        }
        if let Some(p) = self.prints.0.get_mut(index).and_then(|p| p.get_mut(way)) {
            *p = print(tag);
        }
        if let Some(stats) = self.nodes.get_mut(node) {
            stats.first_seen += 1;
        }
        Arrival::First { slot: Slot { index: index * WAYS + way, tag } }
    }

    /// The wtxid of the first arrival in `slot`, once computed.
    pub(super) fn settle(&mut self, slot: Slot, wtxid: u64) {
        let (index, way) = (slot.index / WAYS, slot.index % WAYS);
        let entry = self.buckets.get_mut(index).and_then(|b| b.0.get_mut(way));
        let kept = self.wtxids.get_mut(index).and_then(|w| w.get_mut(way));
        if let (Some(entry), Some(kept)) = (entry, kept)
            && entry.tag == slot.tag
            && entry.word != 0
        {
            *kept = wtxid | 1;
            entry.word |= SETTLED;
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

/// The bucket of `tag`.
fn bucket_of(tag: u64) -> usize {
    (tag as usize) & (BUCKETS - 1)
}

/// The fingerprint of `tag`, never 0 (an empty entry's): the top 16 bits
/// of its product with 2^64 / φ (Fibonacci hashing), which every bit of
/// the tag moves. A tag's own top bits would do for a random txid, but a
/// txid's bytes 6 and 7 alone (its outpoint's index flips the low ones)
/// make consecutive outpoints of a structured test look alike.
fn print(tag: u64) -> u16 {
    (tag.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 48) as u16 | 1
}

/// The first 8 bytes of a wtxid, as the table keeps it.
pub(super) fn short(hash: &[u8; 32]) -> u64 {
    let [a, b, c, d, e, f, g, h, ..] = *hash;
    u64::from_le_bytes([a, b, c, d, e, f, g, h])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A first arrival recorded at once (one that did not fire), its slot.
    fn first(f: &mut Fusion, node: usize, now: u64, tag: u64, wtxid: u64) -> Slot {
        match f.arrive(node, now, tag, || wtxid) {
            Arrival::New => f.insert(node, now, tag),
            Arrival::First { slot } => slot,
            Arrival::Later => panic!("{tag} is a later arrival"),
        }
    }

    #[test]
    fn later_arrivals_count_with_their_lag_and_the_leader_its_lead() {
        let mut f = Fusion::default();
        let slot = first(&mut f, 1, 1_000, 42, 0);
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
        let slot = first(&mut f, 0, 0, 42, 0);
        f.settle(slot, 7);
        // Same outpoint, other wtxid: a replacement, remembered beside the
        // original, which another node may still deliver.
        let replacement = first(&mut f, 1, 5, 42, 9);
        f.settle(replacement, 9);
        assert_eq!(f.arrive(2, 6, 42, || 7), Arrival::Later);
        assert_eq!(f.arrive(2, 7, 42, || 9), Arrival::Later);
        // The same node again: bitcoind republishing, for the strategy.
        let slot = first(&mut f, 0, 0, 43, 0);
        f.settle(slot, 8);
        assert!(matches!(f.arrive(0, 5, 43, || 8), Arrival::First { .. }));
    }

    #[test]
    fn the_table_forgets_the_oldest_of_a_bucket() {
        let mut f = Fusion::default();
        for i in 0..=WAYS as u64 {
            // Tags that share a bucket.
            let tag = i * BUCKETS as u64;
            let slot = first(&mut f, 0, i + 1, tag, 0);
            f.settle(slot, i);
        }
        assert_eq!(f.arrive(1, 100, 0, || 0), Arrival::New, "the oldest was evicted");
        assert_eq!(f.arrive(1, 100, WAYS as u64 * BUCKETS as u64, || WAYS as u64), Arrival::Later);
    }

    #[test]
    fn a_late_wtxid_does_not_settle_an_entry_reused_meanwhile() {
        let mut f = Fusion::default();
        let slot = first(&mut f, 0, 1, 0, 0);
        // The bucket's other ways, then its oldest (tag 0) again, taken by
        // new tags before tag 0's wtxid is known.
        for i in 1..=WAYS as u64 {
            first(&mut f, 0, 1 + i, i * BUCKETS as u64, 0);
        }
        f.settle(slot, 7);
        // Tag WAYS * BUCKETS holds tag 0's way, still unsettled: a copy of
        // it is a later arrival without any wtxid computed.
        assert_eq!(f.arrive(1, 10, WAYS as u64 * BUCKETS as u64, || unreachable!()), Arrival::Later);
    }

    #[test]
    fn a_new_transaction_is_recorded_after_it_fired() {
        let mut f = Fusion::default();
        // Tags whose fingerprints (top 16 bits) differ from every other's.
        let (a, b) = (0xabcd_0000_0000_0042, 0x1234_0000_0000_0042);
        assert_eq!(f.arrive(0, 10, a, || unreachable!()), Arrival::New);
        assert_eq!(f.probe(a), 0, "not recorded before its order is out");
        f.defer(0, 10, a);
        // The next arrival records it first: a copy is a later arrival.
        assert_eq!(f.arrive(1, 30, a, || unreachable!()), Arrival::Later);
        assert_eq!((f.nodes[0].first_seen, f.nodes[1].later_seen), (1, 1));
        assert_eq!(f.nodes[1].lag_ns.sum_ns(), 20);
        f.settle_deferred(7);
        assert_eq!(f.arrive(2, 40, a, || 7), Arrival::Later);
        // Settled before any other arrival: recorded then, wtxid and all.
        assert_eq!(f.arrive(0, 50, b, || unreachable!()), Arrival::New);
        f.defer(0, 50, b);
        f.settle_deferred(9);
        assert_eq!(f.arrive(1, 60, b, || 9), Arrival::Later);
        assert!(matches!(f.arrive(1, 70, b, || 5), Arrival::First { .. }), "a replacement");
        // One that did not fire is recorded at once.
        let c = 0x5678_0000_0000_0042;
        assert_eq!(f.arrive(2, 80, c, || unreachable!()), Arrival::New);
        let slot = f.insert(2, 80, c);
        f.settle(slot, 3);
        assert_eq!(f.arrive(0, 90, c, || 3), Arrival::Later);
        assert_eq!(f.nodes[2].first_seen, 1);
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
