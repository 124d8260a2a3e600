//! The engine thread's state turns into numbers the metrics thread reads
//! without ever stopping the engine: [`Live`] holds the engine's counters
//! and the venue, feed and kill-switch states as `AtomicU64` words under a
//! generation counter (a seqlock, so a reader sees one turn's values
//! together: H.-J. Boehm, "Can seqlocks get along with programming language
//! memory models?", <https://www.hpl.hp.com/techreports/2012/HPL-2012-68.pdf>),
//! and one fixed-bucket histogram per [`Stage`] that each recorded sample
//! bumps; each feed node's counters are published with the rest, and its
//! lead and lag histograms are copied whenever they gained samples. The
//! engine thread is the only writer: it publishes with `Relaxed`
//! loads and stores (plain moves on x86-64, no locked instruction), takes
//! no lock, makes no syscall and allocates nothing.

use std::sync::atomic::{AtomicU64, Ordering, fence};

use hotline_core::engine::{Counters, LagHistogram, MAX_NODES, MarketState, NodeStats, VenueState};
use hotline_core::risk::KillCause;

use super::Stage;

/// Upper bounds (`le`) of the stage latency buckets, nanoseconds: 1, 2.5
/// and 5 per decade from 250 ns to 1 s; samples above 1 s count in `+Inf`.
pub const STAGE_BOUNDS_NS: [u64; 21] = [
    250,
    500,
    1_000,
    2_500,
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
];
/// Stage buckets with `+Inf`.
pub const STAGE_BUCKETS: usize = STAGE_BOUNDS_NS.len() + 1;

/// Buckets kept of each feed node histogram; the engine's buckets from
/// the last kept one on count in the last.
pub const NODE_BUCKETS: usize = 32;

/// Buckets of the engine's feed node histograms as kept here: up to its
/// last (`u64::MAX`) bound, at most [`NODE_BUCKETS`].
pub fn node_buckets() -> usize {
    (0..NODE_BUCKETS).position(|i| LagHistogram::upper_bound_ns(i) == u64::MAX).map_or(NODE_BUCKETS, |i| i + 1)
}

/// Every venue state, in the order of [`venue_index`].
pub const VENUE_STATES: [VenueState; 10] = [
    VenueState::Connecting,
    VenueState::Tls,
    VenueState::Upgrading,
    VenueState::LoggingOn,
    VenueState::Syncing,
    VenueState::Trading,
    VenueState::Draining,
    VenueState::Closing,
    VenueState::Backoff,
    VenueState::Closed,
];

/// A venue state's position in [`VENUE_STATES`].
pub const fn venue_index(state: VenueState) -> usize {
    match state {
        VenueState::Connecting => 0,
        VenueState::Tls => 1,
        VenueState::Upgrading => 2,
        VenueState::LoggingOn => 3,
        VenueState::Syncing => 4,
        VenueState::Trading => 5,
        VenueState::Draining => 6,
        VenueState::Closing => 7,
        VenueState::Backoff => 8,
        VenueState::Closed => 9,
    }
}

/// Every market-data state, in the order of [`market_index`].
pub const MARKET_STATES: [MarketState; 7] = [
    MarketState::Connecting,
    MarketState::Tls,
    MarketState::Upgrading,
    MarketState::Streaming,
    MarketState::Closing,
    MarketState::Backoff,
    MarketState::Closed,
];

/// A market-data state's position in [`MARKET_STATES`].
pub const fn market_index(state: MarketState) -> usize {
    match state {
        MarketState::Connecting => 0,
        MarketState::Tls => 1,
        MarketState::Upgrading => 2,
        MarketState::Streaming => 3,
        MarketState::Closing => 4,
        MarketState::Backoff => 5,
        MarketState::Closed => 6,
    }
}

/// What the engine thread publishes each turn, and what a reader gets back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// The engine's totals.
    pub counters: Counters,
    /// Orders without a settled outcome.
    pub unresolved: u64,
    /// Events the loop did not poll in time.
    pub events_dropped: u64,
    /// Allocations on the hot path.
    pub hot_path_allocations: u64,
    /// The venue session.
    pub venue: VenueState,
    /// The market-data stream, when orders are priced from the book.
    pub market: Option<MarketState>,
    /// The kill switch, when engaged.
    pub kill: Option<KillCause>,
    /// The account's position in the instrument, lots (user data).
    pub position: i64,
    /// Realized P&L after quote fees, and with the position marked to the
    /// book, in 10^-`money_decimals` of the quote asset (saturated).
    pub pnl: [i64; 2],
    /// Decimals of `pnl`: the instrument's price plus quantity decimals.
    pub money_decimals: u8,
    /// Feed nodes configured; the first this many of `node` are theirs.
    pub nodes: usize,
    /// Each feed node's state and counts.
    pub node: [NodeCounts; MAX_NODES],
}

/// One feed node's state and counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeCounts {
    /// Its connection has completed the handshake and not failed since.
    pub up: bool,
    /// Transactions it delivered before any other node.
    pub first_seen: u64,
    /// Transactions it delivered after another node had.
    pub later_seen: u64,
    /// Sequence gaps on its feed.
    pub gaps: u64,
    /// Restarts of the node.
    pub restarts: u64,
}

impl From<&NodeStats> for NodeCounts {
    fn from(n: &NodeStats) -> Self {
        Self { up: n.up, first_seen: n.first_seen, later_seen: n.later_seen, gaps: n.gaps, restarts: n.restarts }
    }
}

impl NodeCounts {
    /// Every node's counts from the engine's, unused slots empty.
    pub fn of(stats: &[NodeStats]) -> [Self; MAX_NODES] {
        std::array::from_fn(|i| stats.get(i).map(Self::from).unwrap_or_default())
    }
}

impl Default for Snapshot {
    fn default() -> Self {
        Self {
            counters: Counters::default(),
            unresolved: 0,
            events_dropped: 0,
            hot_path_allocations: 0,
            venue: VenueState::Connecting,
            market: None,
            kill: None,
            position: 0,
            pnl: [0; 2],
            money_decimals: 0,
            nodes: 0,
            node: [NodeCounts::default(); MAX_NODES],
        }
    }
}

/// Words of a [`Snapshot`] before its nodes: the 21 engine counters, then
/// unresolved, events dropped, allocations, venue, market stream, kill
/// switch, position, P&L and its decimals, and nodes.
const BASE_WORDS: usize = 32;
/// Words of one [`NodeCounts`].
const NODE_WORDS: usize = 5;
/// Words of a cache line.
const LINE_WORDS: usize = 8;
/// A [`Snapshot`]'s words, padded to whole cache lines.
const WORDS: usize = (BASE_WORDS + NODE_WORDS * MAX_NODES).next_multiple_of(LINE_WORDS);
const LINES: usize = WORDS / LINE_WORDS;
/// A [`Snapshot`] as the board holds it, by cache line.
type Words = [[u64; LINE_WORDS]; LINES];

/// One cache line of the board.
#[derive(Debug)]
#[repr(align(64))]
struct Line([AtomicU64; LINE_WORDS]);

impl Snapshot {
    /// Whether a feed node is up.
    pub fn feed_up(&self) -> bool {
        self.node.iter().take(self.nodes).any(|n| n.up)
    }

    fn words(&self) -> Words {
        let c = &self.counters;
        let base = [
            c.txs_seen,
            c.txs_duplicate,
            c.txs_invalid,
            c.whales_detected,
            c.signals,
            c.denied,
            c.skipped,
            c.orders_sent,
            c.orders_acked,
            c.orders_rejected,
            c.orders_unknown,
            c.orders_reconciled,
            c.orders_reconciled_absent,
            c.feed_gaps,
            c.venue_connects,
            c.dry_runs,
            c.book_updates,
            c.market_connects,
            c.fills,
            c.fills_repeated,
            c.fills_recovered,
            self.unresolved,
            self.events_dropped,
            self.hot_path_allocations,
            venue_index(self.venue) as u64,
            self.market.map_or(0, |m| market_index(m) as u64 + 1),
            kill_word(self.kill),
            self.position as u64,
            self.pnl[0] as u64,
            self.pnl[1] as u64,
            u64::from(self.money_decimals),
            self.nodes as u64,
        ];
        let mut words = [[0; LINE_WORDS]; LINES];
        let (head, nodes) = words.as_flattened_mut().split_at_mut(BASE_WORDS);
        head.copy_from_slice(&base);
        for (slot, n) in nodes.chunks_exact_mut(NODE_WORDS).zip(&self.node) {
            slot.copy_from_slice(&[u64::from(n.up), n.first_seen, n.later_seen, n.gaps, n.restarts]);
        }
        words
    }

    fn from_words(w: Words) -> Self {
        let (head, nodes) = w.as_flattened().split_at(BASE_WORDS);
        let Ok(
            [
                txs_seen,
                txs_duplicate,
                txs_invalid,
                whales_detected,
                signals,
                denied,
                skipped,
                orders_sent,
                orders_acked,
                orders_rejected,
                orders_unknown,
                orders_reconciled,
                orders_reconciled_absent,
                feed_gaps,
                venue_connects,
                dry_runs,
                book_updates,
                market_connects,
                fills,
                fills_repeated,
                fills_recovered,
                unresolved,
                events_dropped,
                hot_path_allocations,
                venue,
                market,
                kill,
                position,
                realized,
                marked,
                money_decimals,
                node_count,
            ],
        ) = <[u64; BASE_WORDS]>::try_from(head)
        else {
            return Self::default();
        };
        let node = std::array::from_fn(|i| match nodes.get(i * NODE_WORDS..(i + 1) * NODE_WORDS) {
            Some(&[up, first_seen, later_seen, gaps, restarts]) => {
                NodeCounts { up: up != 0, first_seen, later_seen, gaps, restarts }
            }
            _ => NodeCounts::default(),
        });
        Self {
            counters: Counters {
                txs_seen,
                txs_duplicate,
                txs_invalid,
                whales_detected,
                signals,
                denied,
                skipped,
                orders_sent,
                orders_acked,
                orders_rejected,
                orders_unknown,
                orders_reconciled,
                orders_reconciled_absent,
                feed_gaps,
                venue_connects,
                dry_runs,
                book_updates,
                market_connects,
                fills,
                fills_repeated,
                fills_recovered,
            },
            unresolved,
            events_dropped,
            hot_path_allocations,
            venue: usize::try_from(venue).ok().and_then(|i| VENUE_STATES.get(i)).copied().unwrap_or(VenueState::Closed),
            market: usize::try_from(market)
                .ok()
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| MARKET_STATES.get(i))
                .copied(),
            kill: kill_cause(kill),
            position: position as i64,
            pnl: [realized as i64, marked as i64],
            money_decimals: u8::try_from(money_decimals).unwrap_or(0),
            nodes: usize::try_from(node_count).unwrap_or(0).min(MAX_NODES),
            node,
        }
    }
}

/// The kill switch as one word: 0 released, then one code per cause in
/// the low byte, the consecutive rejects above it.
fn kill_word(kill: Option<KillCause>) -> u64 {
    match kill {
        None => 0,
        Some(KillCause::Manual) => 1,
        Some(KillCause::FeedGap) => 2,
        Some(KillCause::BadSignature) => 3,
        Some(KillCause::ConsecutiveRejects(n)) => 4 | u64::from(n) << 8,
        Some(KillCause::LossLimit) => 5,
    }
}

fn kill_cause(word: u64) -> Option<KillCause> {
    match word & 0xff {
        1 => Some(KillCause::Manual),
        2 => Some(KillCause::FeedGap),
        3 => Some(KillCause::BadSignature),
        4 => Some(KillCause::ConsecutiveRejects(u32::try_from(word >> 8).unwrap_or(u32::MAX))),
        5 => Some(KillCause::LossLimit),
        _ => None,
    }
}

/// Adds to a word only one thread writes: a load and a store, no locked
/// read-modify-write.
fn add(word: &AtomicU64, n: u64) {
    word.store(word.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
}

/// A histogram of `N` buckets (the last is `+Inf`), non-cumulative, and
/// the sum of its samples.
#[derive(Debug)]
pub struct Buckets<const N: usize> {
    counts: [AtomicU64; N],
    sum_ns: AtomicU64,
}

/// A reading of [`Buckets`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketCounts<const N: usize> {
    /// Samples per bucket, non-cumulative; the last is `+Inf`.
    pub counts: [u64; N],
    /// Sum of the samples, nanoseconds.
    pub sum_ns: u64,
}

impl<const N: usize> Buckets<N> {
    fn new() -> Self {
        Self { counts: std::array::from_fn(|_| AtomicU64::new(0)), sum_ns: AtomicU64::new(0) }
    }

    /// Counts one sample in bucket `index` (clamped to `+Inf`). Engine
    /// thread only.
    fn record(&self, index: usize, ns: u64) {
        if let Some(bucket) = self.counts.get(index).or(self.counts.last()) {
            add(bucket, 1);
        }
        add(&self.sum_ns, ns);
    }

    /// The buckets as they are now. Each bucket is read once, so the
    /// total of the counts is a consistent sample count even while the
    /// engine records; the sum may be a sample ahead or behind.
    pub fn read(&self) -> BucketCounts<N> {
        BucketCounts {
            counts: std::array::from_fn(|i| self.counts[i].load(Ordering::Relaxed)),
            sum_ns: self.sum_ns.load(Ordering::Relaxed),
        }
    }
}

/// The engine thread's pen on a [`Live`] board: of a turn's state only
/// the cache lines that differ from the last turn's are written, so a
/// quiet turn costs a comparison in the engine's own memory, and a busy
/// one the stores of each changed line, which a scrape in progress may
/// hold. A line is compared and written whole: eight words compare in
/// a few vector instructions, where a branch per word mispredicts.
#[derive(Debug)]
pub struct Publisher<'a> {
    live: &'a Live,
    /// The last turn's words, as the board holds them.
    last: Words,
}

impl<'a> Publisher<'a> {
    /// The only writer of `live`.
    pub fn new(live: &'a Live) -> Self {
        Self { live, last: live.read().words() }
    }

    /// Publishes what changed in `snapshot`, and the lead and lag
    /// histograms of `nodes` when a later arrival was counted: a node's
    /// lead or lag gains a sample only with one, which some node's
    /// `later_seen` counts.
    pub fn publish(&mut self, snapshot: &Snapshot, nodes: &[NodeStats]) {
        let new = snapshot.words();
        if new.iter().zip(&self.last).all(|(new, old)| !differs(new, old)) {
            return;
        }
        let later_seen = later_seen(&new) != later_seen(&self.last);
        self.live.write(&new, &mut self.last);
        if later_seen {
            self.live.publish_nodes(nodes);
        }
    }

    /// The board.
    pub fn live(&self) -> &'a Live {
        self.live
    }
}

/// Whether two lines differ: their words' differences or-ed together,
/// which compiles to vector instructions where `!=` calls `memcmp`.
fn differs(a: &[u64; LINE_WORDS], b: &[u64; LINE_WORDS]) -> bool {
    a.iter().zip(b).fold(0, |acc, (a, b)| acc | (a ^ b)) != 0
}

/// The sum of the nodes' `later_seen` words, which changes with every
/// later arrival.
fn later_seen(lines: &Words) -> u64 {
    let nodes = lines.as_flattened().get(BASE_WORDS..).unwrap_or_default();
    nodes.chunks_exact(NODE_WORDS).map(|n| n[2]).fold(0, u64::wrapping_add)
}

/// A copy of one of the engine's [`LagHistogram`]s.
#[derive(Debug)]
struct Mirror {
    buckets: Buckets<NODE_BUCKETS>,
    /// Samples in the copy, to skip copying an unchanged histogram.
    count: AtomicU64,
}

impl Mirror {
    fn new() -> Self {
        Self { buckets: Buckets::new(), count: AtomicU64::new(0) }
    }

    /// Copies `h` when it has gained samples. Engine thread only.
    fn update(&self, h: &LagHistogram) {
        let count = h.count();
        if count == self.count.load(Ordering::Relaxed) {
            return;
        }
        self.count.store(count, Ordering::Relaxed);
        let last = node_buckets() - 1;
        let mut rest = 0u64;
        for (i, &n) in h.buckets().iter().enumerate() {
            match self.buckets.counts.get(i) {
                Some(bucket) if i < last => bucket.store(n, Ordering::Relaxed),
                _ => rest = rest.wrapping_add(n),
            }
        }
        if let Some(bucket) = self.buckets.counts.get(last) {
            bucket.store(rest, Ordering::Relaxed);
        }
        self.buckets.sum_ns.store(h.sum_ns(), Ordering::Relaxed);
    }
}

/// The board the engine thread publishes on and the metrics thread reads.
#[derive(Debug)]
pub struct Live {
    /// Odd while the engine thread writes `lines`.
    generation: AtomicU64,
    lines: [Line; LINES],
    stages: [Buckets<STAGE_BUCKETS>; Stage::ALL.len()],
    /// Each node's lead and lag.
    nodes: [[Mirror; 2]; MAX_NODES],
}

impl Default for Live {
    fn default() -> Self {
        Self::new()
    }
}

impl Live {
    /// A board holding [`Snapshot::default`] and empty histograms.
    pub fn new() -> Self {
        let words = Snapshot::default().words();
        Self {
            generation: AtomicU64::new(0),
            lines: words.map(|line| Line(line.map(AtomicU64::new))),
            stages: std::array::from_fn(|_| Buckets::new()),
            nodes: std::array::from_fn(|_| [Mirror::new(), Mirror::new()]),
        }
    }

    /// Publishes one turn's state. Engine thread only.
    pub fn publish(&self, snapshot: &Snapshot) {
        let mut old = [[!0; LINE_WORDS]; LINES];
        self.write(&snapshot.words(), &mut old);
    }

    /// Writes each line of `new` that differs from `old` under the
    /// generation counter, and keeps it in `old`. Engine thread only.
    fn write(&self, new: &Words, old: &mut Words) {
        let generation = self.generation.load(Ordering::Relaxed);
        self.generation.store(generation.wrapping_add(1), Ordering::Relaxed);
        // Orders the odd generation before the words: a reader that sees
        // any new word then sees the odd generation on its second read.
        fence(Ordering::Release);
        for ((line, new), old) in self.lines.iter().zip(new).zip(old) {
            if differs(new, old) {
                for (word, &value) in line.0.iter().zip(new) {
                    word.store(value, Ordering::Relaxed);
                }
                *old = *new;
            }
        }
        self.generation.store(generation.wrapping_add(2), Ordering::Release);
    }

    /// The last published state, all from one turn.
    pub fn read(&self) -> Snapshot {
        loop {
            let before = self.generation.load(Ordering::Acquire);
            if before & 1 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let words = self.lines.each_ref().map(|line| line.0.each_ref().map(|word| word.load(Ordering::Relaxed)));
            fence(Ordering::Acquire);
            if self.generation.load(Ordering::Relaxed) == before {
                return Snapshot::from_words(words);
            }
        }
    }

    /// Counts one sample of `stage` in its bucket. Engine thread only.
    pub fn record(&self, stage: Stage, ns: u64) {
        let index = STAGE_BOUNDS_NS.partition_point(|&bound| bound < ns);
        self.stages[stage.index()].record(index, ns);
    }

    /// The histogram of `stage`.
    pub fn stage(&self, stage: Stage) -> BucketCounts<STAGE_BUCKETS> {
        self.stages[stage.index()].read()
    }

    /// Copies each node's lead and lag histograms that gained samples.
    /// Engine thread only.
    fn publish_nodes(&self, stats: &[NodeStats]) {
        for ([lead, lag], node) in self.nodes.iter().zip(stats) {
            lead.update(&node.lead_ns);
            lag.update(&node.lag_ns);
        }
    }

    /// Node `index`'s lead and lag histograms, in the engine's buckets up
    /// to [`node_buckets`].
    pub fn node(&self, index: usize) -> Option<[BucketCounts<NODE_BUCKETS>; 2]> {
        self.nodes.get(index).map(|[lead, lag]| [lead.buckets.read(), lag.buckets.read()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_survives_its_words() {
        let snapshot = Snapshot {
            counters: Counters {
                txs_seen: 1,
                txs_duplicate: 2,
                orders_reconciled_absent: 13,
                venue_connects: 15,
                dry_runs: 18,
                book_updates: 19,
                market_connects: 20,
                fills: 21,
                fills_repeated: 22,
                fills_recovered: 24,
                ..Counters::default()
            },
            unresolved: 15,
            events_dropped: 16,
            hot_path_allocations: 17,
            venue: VenueState::Backoff,
            market: Some(MarketState::Closed),
            kill: Some(KillCause::ConsecutiveRejects(u32::MAX)),
            position: -23,
            pnl: [-25, i64::MIN],
            money_decimals: 7,
            nodes: MAX_NODES,
            node: std::array::from_fn(|i| {
                let i = i as u64;
                NodeCounts {
                    up: i.is_multiple_of(2),
                    first_seen: 20 + i,
                    later_seen: 30 + i,
                    gaps: 40 + i,
                    restarts: 50 + i,
                }
            }),
        };
        assert_eq!(Snapshot::from_words(snapshot.words()), snapshot);
        for kill in [
            None,
            Some(KillCause::Manual),
            Some(KillCause::FeedGap),
            Some(KillCause::BadSignature),
            Some(KillCause::LossLimit),
        ] {
            assert_eq!(kill_cause(kill_word(kill)), kill);
        }
        for (i, state) in VENUE_STATES.into_iter().enumerate() {
            assert_eq!(venue_index(state), i);
        }
        for (i, state) in MARKET_STATES.into_iter().enumerate() {
            assert_eq!(market_index(state), i);
        }
    }

    #[test]
    fn published_state_is_read_back() {
        let live = Live::new();
        assert_eq!(live.read(), Snapshot::default());
        let snapshot = Snapshot { venue: VenueState::Trading, kill: Some(KillCause::FeedGap), ..Snapshot::default() };
        live.publish(&snapshot);
        assert_eq!(live.read(), snapshot);
    }

    #[test]
    fn a_publisher_writes_only_changes() {
        let live = Live::new();
        let mut publisher = Publisher::new(&live);
        let trading = Snapshot { venue: VenueState::Trading, ..Snapshot::default() };
        publisher.publish(&trading, &[]);
        publisher.publish(&trading, &[]);
        assert_eq!(live.generation.load(Ordering::Relaxed), 2, "one write");
        assert_eq!(live.read(), trading);
        publisher.publish(&Snapshot::default(), &[NodeStats::default()]);
        assert_eq!(live.generation.load(Ordering::Relaxed), 4);
        assert_eq!(live.read(), Snapshot::default());
    }

    #[test]
    fn samples_land_in_the_first_bucket_that_holds_them() {
        let live = Live::new();
        for ns in [0, 250, 251, 1_000_000_000, 1_000_000_001, u64::MAX] {
            live.record(Stage::Seal, ns);
        }
        let seal = live.stage(Stage::Seal);
        assert_eq!(seal.counts[0], 2, "0 and 250 are <= 250 ns");
        assert_eq!(seal.counts[1], 1, "251 ns is <= 500 ns");
        assert_eq!(seal.counts[STAGE_BUCKETS - 2], 1, "1 s is <= 1 s");
        assert_eq!(seal.counts[STAGE_BUCKETS - 1], 2, "+Inf");
        assert_eq!(seal.counts.iter().sum::<u64>(), 6);
        assert_eq!(live.stage(Stage::Frame).counts.iter().sum::<u64>(), 0);
    }

    #[test]
    fn a_reader_never_sees_a_torn_turn() {
        let live = std::sync::Arc::new(Live::new());
        let writer = {
            let live = std::sync::Arc::clone(&live);
            std::thread::spawn(move || {
                for n in 1..=20_000u64 {
                    let counters = Counters { orders_sent: n, orders_acked: n, ..Counters::default() };
                    live.publish(&Snapshot { counters, unresolved: n, ..Snapshot::default() });
                }
            })
        };
        let mut last = 0;
        while last < 20_000 {
            let s = live.read();
            assert_eq!(s.counters.orders_sent, s.counters.orders_acked, "{s:?}");
            assert_eq!(s.counters.orders_sent, s.unresolved, "{s:?}");
            assert!(s.unresolved >= last);
            last = s.unresolved;
        }
        writer.join().unwrap();
    }
}
