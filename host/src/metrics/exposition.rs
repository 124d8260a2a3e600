//! A [`Snapshot`] of the engine and its stage histograms turn into
//! Prometheus's text exposition format 0.0.4
//! (<https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format>):
//! one `# HELP` and one `# TYPE` line per metric family, then its samples,
//! one per line, label values escaped; histograms as cumulative
//! `_bucket{le="…"}` series ending in `+Inf`, then `_sum` and `_count`.
//! Durations are seconds, written as exact decimals of whole nanoseconds.
//! Every metric is listed with its meaning in docs/metrics.md.

use std::fmt::Write as _;

use hotline_core::engine::{MarketState, VenueState};
use hotline_core::risk::KillCause;

use super::Stage;
use super::live::{
    BucketCounts, MARKET_STATES, NODE_BUCKETS, NodeCounts, STAGE_BOUNDS_NS, STAGE_BUCKETS, Snapshot, VENUE_STATES,
};

/// The `Content-Type` of the format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A metric family's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up (resets when the process restarts).
    Counter,
    /// Goes up and down.
    Gauge,
    /// Bucketed samples with their sum and count.
    Histogram,
}

impl Kind {
    const fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// One histogram's samples: `counts` per bucket, non-cumulative, the
/// bucket `i < bounds_ns.len()` holding samples `<= bounds_ns[i]` and the
/// last one the rest (`+Inf`).
#[derive(Debug, Clone, Copy)]
pub struct Histogram<'a> {
    /// Upper bounds, nanoseconds, ascending.
    pub bounds_ns: &'a [u64],
    /// Samples per bucket; one more than `bounds_ns`.
    pub counts: &'a [u64],
    /// Sum of the samples, nanoseconds.
    pub sum_ns: u64,
}

/// A text exposition being written.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    /// An empty exposition.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a family: its `# HELP` and `# TYPE` lines.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        self.out.push_str("# HELP ");
        self.out.push_str(name);
        self.out.push(' ');
        for c in help.chars() {
            match c {
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                c => self.out.push(c),
            }
        }
        self.out.push_str("\n# TYPE ");
        self.out.push_str(name);
        self.out.push(' ');
        self.out.push_str(kind.name());
        self.out.push('\n');
    }

    /// One sample of a counter or gauge.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.series(name, labels, None);
        // Writing into a String cannot fail.
        let _ = writeln!(self.out, " {value}");
    }

    /// A histogram's bucket, sum and count samples.
    pub fn histogram(&mut self, name: &str, labels: &[(&str, &str)], h: Histogram<'_>) {
        let bucket = format!("{name}_bucket");
        let mut cumulative = 0u64;
        for (i, &n) in h.counts.iter().enumerate() {
            cumulative = cumulative.saturating_add(n);
            let le = h.bounds_ns.get(i).map_or_else(|| "+Inf".to_owned(), |&ns| seconds(ns));
            self.series(&bucket, labels, Some(&le));
            let _ = writeln!(self.out, " {cumulative}");
        }
        self.series(&format!("{name}_sum"), labels, None);
        let _ = writeln!(self.out, " {}", seconds(h.sum_ns));
        self.series(&format!("{name}_count"), labels, None);
        let _ = writeln!(self.out, " {cumulative}");
    }

    /// The text.
    pub fn finish(self) -> String {
        self.out
    }

    fn series(&mut self, name: &str, labels: &[(&str, &str)], le: Option<&str>) {
        self.out.push_str(name);
        if labels.is_empty() && le.is_none() {
            return;
        }
        self.out.push('{');
        let le = le.map(|le| ("le", le));
        for (i, (label, value)) in labels.iter().copied().chain(le).enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(label);
            self.out.push_str("=\"");
            for c in value.chars() {
                match c {
                    '\\' => self.out.push_str("\\\\"),
                    '"' => self.out.push_str("\\\""),
                    '\n' => self.out.push_str("\\n"),
                    c => self.out.push(c),
                }
            }
            self.out.push('"');
        }
        self.out.push('}');
    }
}

/// Nanoseconds as an exact decimal number of seconds (`250` → `0.00000025`).
pub fn seconds(ns: u64) -> String {
    let (whole, frac) = (ns / 1_000_000_000, ns % 1_000_000_000);
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:09}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// A venue state's `state` label.
pub const fn venue_label(state: VenueState) -> &'static str {
    match state {
        VenueState::Connecting => "connecting",
        VenueState::Tls => "tls",
        VenueState::Upgrading => "upgrading",
        VenueState::LoggingOn => "logging_on",
        VenueState::Syncing => "syncing",
        VenueState::Trading => "trading",
        VenueState::Draining => "draining",
        VenueState::Closing => "closing",
        VenueState::Backoff => "backoff",
        VenueState::Closed => "closed",
    }
}

/// A market-data state's name: its `state` label, and in logs and
/// `/health`.
pub const fn market_label(state: MarketState) -> &'static str {
    match state {
        MarketState::Connecting => "connecting",
        MarketState::Tls => "tls",
        MarketState::Upgrading => "upgrading",
        MarketState::Streaming => "streaming",
        MarketState::Closing => "closing",
        MarketState::Backoff => "backoff",
        MarketState::Closed => "closed",
    }
}

/// `units` of 10^-`decimals`, written exactly as a decimal.
struct Fixed {
    units: i64,
    decimals: u8,
}

impl std::fmt::Display for Fixed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pow = 10u64.pow(u32::from(self.decimals.min(18)));
        let sign = if self.units < 0 { "-" } else { "" };
        let abs = self.units.unsigned_abs();
        if self.decimals == 0 {
            return write!(f, "{sign}{abs}");
        }
        write!(f, "{sign}{}.{:0width$}", abs / pow, abs % pow, width = usize::from(self.decimals.min(18)))
    }
}

/// The kill switch causes by `cause` label.
const KILL_CAUSES: [&str; 5] = ["manual", "consecutive_rejects", "feed_gap", "bad_signature", "loss_limit"];

const fn kill_label(cause: KillCause) -> &'static str {
    match cause {
        KillCause::Manual => KILL_CAUSES[0],
        KillCause::ConsecutiveRejects(_) => KILL_CAUSES[1],
        KillCause::FeedGap => KILL_CAUSES[2],
        KillCause::BadSignature => KILL_CAUSES[3],
        KillCause::LossLimit => KILL_CAUSES[4],
    }
}

/// The engine's counters, gauges and states.
pub fn write_state(w: &mut Writer, s: &Snapshot) {
    let c = &s.counters;
    let counters = [
        ("hotline_txs_seen_total", "rawtx notifications read from every feed node.", c.txs_seen),
        ("hotline_txs_duplicate_total", "Of those, transactions another node delivered first.", c.txs_duplicate),
        ("hotline_txs_invalid_total", "Feed transactions that failed to parse.", c.txs_invalid),
        ("hotline_whales_detected_total", "Whales detected, signalled or suppressed.", c.whales_detected),
        ("hotline_signals_total", "Trading signals.", c.signals),
        ("hotline_signals_denied_total", "Signals the risk gate denied.", c.denied),
        ("hotline_signals_skipped_total", "Signals skipped for another reason than the risk gate.", c.skipped),
        ("hotline_orders_sent_total", "Orders sent to the venue.", c.orders_sent),
    ];
    for (name, help, value) in counters {
        w.family(name, Kind::Counter, help);
        w.sample(name, &[], value);
    }
    w.family("hotline_orders_total", Kind::Counter, "Order outcomes by kind.");
    let outcomes = [
        ("acked", c.orders_acked),
        ("rejected", c.orders_rejected),
        ("unknown", c.orders_unknown),
        ("reconciled_placed", c.orders_reconciled.saturating_sub(c.orders_reconciled_absent)),
        ("reconciled_absent", c.orders_reconciled_absent),
    ];
    for (outcome, value) in outcomes {
        w.sample("hotline_orders_total", &[("outcome", outcome)], value);
    }
    let counters = [
        ("hotline_feed_gaps_total", "Feed sequence gaps and node restarts no other node covered.", c.feed_gaps),
        ("hotline_venue_connects_total", "Venue connections opened.", c.venue_connects),
        ("hotline_dry_runs_total", "Dry runs of the fire path while idle (nothing sent).", c.dry_runs),
        ("hotline_book_updates_total", "Top-of-book updates taken from the market-data stream.", c.book_updates),
        ("hotline_market_connects_total", "Market-data connections opened.", c.market_connects),
        ("hotline_fills_total", "Fills of the account's orders, each counted once (user data).", c.fills),
        ("hotline_fills_repeated_total", "Fills the venue reported again, not counted.", c.fills_repeated),
        (
            "hotline_fills_recovered_total",
            "Fills read back with myTrades after a reconnect (among hotline_fills_total).",
            c.fills_recovered,
        ),
        ("hotline_events_dropped_total", "Engine events the loop did not poll in time.", s.events_dropped),
        (
            "hotline_hot_path_allocations_total",
            "Heap allocations on the engine thread's hot path.",
            s.hot_path_allocations,
        ),
    ];
    for (name, help, value) in counters {
        w.family(name, Kind::Counter, help);
        w.sample(name, &[], value);
    }
    w.family("hotline_orders_unresolved", Kind::Gauge, "Orders without a settled outcome.");
    w.sample("hotline_orders_unresolved", &[], s.unresolved);
    w.family("hotline_venue_state", Kind::Gauge, "The venue session's state: 1 for the current one.");
    for state in VENUE_STATES {
        w.sample("hotline_venue_state", &[("state", venue_label(state))], u64::from(state == s.venue));
    }
    w.family(
        "hotline_market_state",
        Kind::Gauge,
        "The market-data stream's state: 1 for the current one (all 0 without [market]).",
    );
    for state in MARKET_STATES {
        w.sample("hotline_market_state", &[("state", market_label(state))], u64::from(s.market == Some(state)));
    }
    w.family("hotline_position_lots", Kind::Gauge, "The account's position in the instrument, lots (user data).");
    w.sample("hotline_position_lots", &[], s.position);
    w.family(
        "hotline_pnl_quote",
        Kind::Gauge,
        "P&L in the quote asset (user data): realized after quote fees, and marked with the position at the book.",
    );
    for (kind, units) in [("realized", s.pnl[0]), ("marked", s.pnl[1])] {
        w.sample("hotline_pnl_quote", &[("kind", kind)], Fixed { units, decimals: s.money_decimals });
    }
    w.family("hotline_feed_up", Kind::Gauge, "1 while a feed node is up.");
    w.sample("hotline_feed_up", &[], u64::from(s.feed_up()));
    w.family("hotline_kill_switch_engaged", Kind::Gauge, "1 while the kill switch is engaged.");
    w.sample("hotline_kill_switch_engaged", &[], u64::from(s.kill.is_some()));
    w.family("hotline_kill_switch_cause", Kind::Gauge, "Why the kill switch is engaged: 1 for the cause.");
    let engaged = s.kill.map(kill_label);
    for cause in KILL_CAUSES {
        w.sample("hotline_kill_switch_cause", &[("cause", cause)], u64::from(engaged == Some(cause)));
    }
}

/// The stage latency histograms, in [`Stage::ALL`] order.
pub fn write_stages(w: &mut Writer, stages: &[BucketCounts<STAGE_BUCKETS>; Stage::ALL.len()]) {
    let name = "hotline_stage_latency_seconds";
    w.family(name, Kind::Histogram, "Latency of each engine stage and end-to-end span.");
    for (stage, h) in Stage::ALL.into_iter().zip(stages) {
        let h = Histogram { bounds_ns: &STAGE_BOUNDS_NS, counts: &h.counts, sum_ns: h.sum_ns };
        w.histogram(name, &[("stage", stage.name())], h);
    }
}

/// A family of per-node samples: name, type, help, and the value of a node.
type Family<'a> = (&'a str, Kind, &'a str, fn(&NodeCounts) -> u64);

/// Each configured feed node's state, counts, and lead and lag histograms
/// (`histograms[i]` is node `i`'s `[lead, lag]`, bucketed by `bounds_ns`).
pub fn write_nodes(w: &mut Writer, s: &Snapshot, bounds_ns: &[u64], histograms: &[[BucketCounts<NODE_BUCKETS>; 2]]) {
    let nodes: Vec<(String, &NodeCounts)> =
        s.node.iter().take(s.nodes).enumerate().map(|(i, n)| (i.to_string(), n)).collect();
    let families: [Family<'_>; 5] = [
        ("hotline_feed_node_up", Kind::Gauge, "1 while this feed node is up.", |n| u64::from(n.up)),
        (
            "hotline_feed_node_first_seen_total",
            Kind::Counter,
            "Transactions this node delivered before any other node.",
            |n| n.first_seen,
        ),
        (
            "hotline_feed_node_later_seen_total",
            Kind::Counter,
            "Transactions this node delivered after another node had.",
            |n| n.later_seen,
        ),
        ("hotline_feed_node_gaps_total", Kind::Counter, "Sequence gaps on this node's feed.", |n| n.gaps),
        ("hotline_feed_node_restarts_total", Kind::Counter, "Restarts of this node.", |n| n.restarts),
    ];
    for (name, kind, help, value) in families {
        w.family(name, kind, help);
        for (label, n) in &nodes {
            w.sample(name, &[("node", label)], value(n));
        }
    }
    let families = [
        (
            "hotline_feed_node_lead_seconds",
            "How far ahead of the next node this node delivered the transactions it saw first.",
        ),
        (
            "hotline_feed_node_lag_seconds",
            "How far behind the first node this node delivered the transactions it saw later.",
        ),
    ];
    for (which, (name, help)) in families.into_iter().enumerate() {
        w.family(name, Kind::Histogram, help);
        for ((label, _), h) in nodes.iter().zip(histograms) {
            let h = &h[which];
            let counts = h.counts.get(..=bounds_ns.len()).unwrap_or(&h.counts);
            w.histogram(name, &[("node", label)], Histogram { bounds_ns, counts, sum_ns: h.sum_ns });
        }
    }
}

#[cfg(test)]
mod tests {
    use hotline_core::engine::Counters;

    use super::*;

    #[test]
    fn seconds_are_exact_decimals() {
        let cases = [
            (0, "0"),
            (250, "0.00000025"),
            (1_000, "0.000001"),
            (2_500_000, "0.0025"),
            (1_000_000_000, "1"),
            (61_000_000_001, "61.000000001"),
        ];
        for (ns, text) in cases {
            assert_eq!(seconds(ns), text);
        }
        assert_eq!(seconds(u64::MAX), "18446744073.709551615");
    }

    #[test]
    fn a_small_state_is_written_exactly() {
        let s = Snapshot {
            counters: Counters {
                txs_seen: 120,
                whales_detected: 4,
                signals: 3,
                orders_sent: 3,
                orders_acked: 1,
                orders_rejected: 1,
                orders_unknown: 1,
                orders_reconciled: 1,
                venue_connects: 2,
                ..Counters::default()
            },
            unresolved: 0,
            events_dropped: 0,
            hot_path_allocations: 0,
            venue: VenueState::Syncing,
            market: None,
            kill: Some(KillCause::ConsecutiveRejects(5)),
            position: -7,
            pnl: [-129_600_012, 5],
            money_decimals: 7,
            nodes: 2,
            node: [NodeCounts { up: true, ..NodeCounts::default() }; hotline_core::engine::MAX_NODES],
        };
        let mut w = Writer::new();
        write_state(&mut w, &s);
        let expected = "\
# HELP hotline_txs_seen_total rawtx notifications read from every feed node.
# TYPE hotline_txs_seen_total counter
hotline_txs_seen_total 120
# HELP hotline_txs_duplicate_total Of those, transactions another node delivered first.
# TYPE hotline_txs_duplicate_total counter
hotline_txs_duplicate_total 0
# HELP hotline_txs_invalid_total Feed transactions that failed to parse.
# TYPE hotline_txs_invalid_total counter
hotline_txs_invalid_total 0
# HELP hotline_whales_detected_total Whales detected, signalled or suppressed.
# TYPE hotline_whales_detected_total counter
hotline_whales_detected_total 4
# HELP hotline_signals_total Trading signals.
# TYPE hotline_signals_total counter
hotline_signals_total 3
# HELP hotline_signals_denied_total Signals the risk gate denied.
# TYPE hotline_signals_denied_total counter
hotline_signals_denied_total 0
# HELP hotline_signals_skipped_total Signals skipped for another reason than the risk gate.
# TYPE hotline_signals_skipped_total counter
hotline_signals_skipped_total 0
# HELP hotline_orders_sent_total Orders sent to the venue.
# TYPE hotline_orders_sent_total counter
hotline_orders_sent_total 3
# HELP hotline_orders_total Order outcomes by kind.
# TYPE hotline_orders_total counter
hotline_orders_total{outcome=\"acked\"} 1
hotline_orders_total{outcome=\"rejected\"} 1
hotline_orders_total{outcome=\"unknown\"} 1
hotline_orders_total{outcome=\"reconciled_placed\"} 1
hotline_orders_total{outcome=\"reconciled_absent\"} 0
# HELP hotline_feed_gaps_total Feed sequence gaps and node restarts no other node covered.
# TYPE hotline_feed_gaps_total counter
hotline_feed_gaps_total 0
# HELP hotline_venue_connects_total Venue connections opened.
# TYPE hotline_venue_connects_total counter
hotline_venue_connects_total 2
# HELP hotline_dry_runs_total Dry runs of the fire path while idle (nothing sent).
# TYPE hotline_dry_runs_total counter
hotline_dry_runs_total 0
# HELP hotline_book_updates_total Top-of-book updates taken from the market-data stream.
# TYPE hotline_book_updates_total counter
hotline_book_updates_total 0
# HELP hotline_market_connects_total Market-data connections opened.
# TYPE hotline_market_connects_total counter
hotline_market_connects_total 0
# HELP hotline_fills_total Fills of the account's orders, each counted once (user data).
# TYPE hotline_fills_total counter
hotline_fills_total 0
# HELP hotline_fills_repeated_total Fills the venue reported again, not counted.
# TYPE hotline_fills_repeated_total counter
hotline_fills_repeated_total 0
# HELP hotline_fills_recovered_total Fills read back with myTrades after a reconnect (among hotline_fills_total).
# TYPE hotline_fills_recovered_total counter
hotline_fills_recovered_total 0
# HELP hotline_events_dropped_total Engine events the loop did not poll in time.
# TYPE hotline_events_dropped_total counter
hotline_events_dropped_total 0
# HELP hotline_hot_path_allocations_total Heap allocations on the engine thread's hot path.
# TYPE hotline_hot_path_allocations_total counter
hotline_hot_path_allocations_total 0
# HELP hotline_orders_unresolved Orders without a settled outcome.
# TYPE hotline_orders_unresolved gauge
hotline_orders_unresolved 0
# HELP hotline_venue_state The venue session's state: 1 for the current one.
# TYPE hotline_venue_state gauge
hotline_venue_state{state=\"connecting\"} 0
hotline_venue_state{state=\"tls\"} 0
hotline_venue_state{state=\"upgrading\"} 0
hotline_venue_state{state=\"logging_on\"} 0
hotline_venue_state{state=\"syncing\"} 1
hotline_venue_state{state=\"trading\"} 0
hotline_venue_state{state=\"draining\"} 0
hotline_venue_state{state=\"closing\"} 0
hotline_venue_state{state=\"backoff\"} 0
hotline_venue_state{state=\"closed\"} 0
# HELP hotline_market_state The market-data stream's state: 1 for the current one (all 0 without [market]).
# TYPE hotline_market_state gauge
hotline_market_state{state=\"connecting\"} 0
hotline_market_state{state=\"tls\"} 0
hotline_market_state{state=\"upgrading\"} 0
hotline_market_state{state=\"streaming\"} 0
hotline_market_state{state=\"closing\"} 0
hotline_market_state{state=\"backoff\"} 0
hotline_market_state{state=\"closed\"} 0
# HELP hotline_position_lots The account's position in the instrument, lots (user data).
# TYPE hotline_position_lots gauge
hotline_position_lots -7
# HELP hotline_pnl_quote P&L in the quote asset (user data): realized after quote fees, and marked with the position at the book.
# TYPE hotline_pnl_quote gauge
hotline_pnl_quote{kind=\"realized\"} -12.9600012
hotline_pnl_quote{kind=\"marked\"} 0.0000005
# HELP hotline_feed_up 1 while a feed node is up.
# TYPE hotline_feed_up gauge
hotline_feed_up 1
# HELP hotline_kill_switch_engaged 1 while the kill switch is engaged.
# TYPE hotline_kill_switch_engaged gauge
hotline_kill_switch_engaged 1
# HELP hotline_kill_switch_cause Why the kill switch is engaged: 1 for the cause.
# TYPE hotline_kill_switch_cause gauge
hotline_kill_switch_cause{cause=\"manual\"} 0
hotline_kill_switch_cause{cause=\"consecutive_rejects\"} 1
hotline_kill_switch_cause{cause=\"feed_gap\"} 0
hotline_kill_switch_cause{cause=\"bad_signature\"} 0
hotline_kill_switch_cause{cause=\"loss_limit\"} 0
";
        assert_eq!(w.finish(), expected);
    }

    #[test]
    fn a_histogram_is_cumulative_with_sum_and_count() {
        let mut w = Writer::new();
        w.family("x_seconds", Kind::Histogram, "A \\ two-line\nhelp.");
        let h = Histogram { bounds_ns: &[250, 1_000_000_000], counts: &[2, 0, 1], sum_ns: 1_500_000_400 };
        w.histogram("x_seconds", &[("stage", "a\"b\\c\nd")], h);
        w.histogram("x_seconds", &[], Histogram { bounds_ns: &[], counts: &[0], sum_ns: 0 });
        let expected = "\
# HELP x_seconds A \\\\ two-line\\nhelp.
# TYPE x_seconds histogram
x_seconds_bucket{stage=\"a\\\"b\\\\c\\nd\",le=\"0.00000025\"} 2
x_seconds_bucket{stage=\"a\\\"b\\\\c\\nd\",le=\"1\"} 2
x_seconds_bucket{stage=\"a\\\"b\\\\c\\nd\",le=\"+Inf\"} 3
x_seconds_sum{stage=\"a\\\"b\\\\c\\nd\"} 1.5000004
x_seconds_count{stage=\"a\\\"b\\\\c\\nd\"} 3
x_seconds_bucket{le=\"+Inf\"} 0
x_seconds_sum 0
x_seconds_count 0
";
        assert_eq!(w.finish(), expected);
    }

    #[test]
    fn nodes_are_labelled_by_index() {
        let mut node = [NodeCounts::default(); hotline_core::engine::MAX_NODES];
        node[0] = NodeCounts { up: true, first_seen: 9, later_seen: 1, gaps: 0, restarts: 0 };
        node[1] = NodeCounts { up: false, first_seen: 1, later_seen: 9, gaps: 2, restarts: 1 };
        node[2].up = true;
        let s = Snapshot { nodes: 2, node, ..Snapshot::default() };
        let mut lead = BucketCounts { counts: [0; NODE_BUCKETS], sum_ns: 3_000 };
        lead.counts[..3].copy_from_slice(&[4, 5, 7]);
        let empty = BucketCounts { counts: [0; NODE_BUCKETS], sum_ns: 0 };
        let mut w = Writer::new();
        write_nodes(&mut w, &s, &[999, 1_999_999], &[[lead, empty], [empty, lead]]);
        let expected = "\
# HELP hotline_feed_node_up 1 while this feed node is up.
# TYPE hotline_feed_node_up gauge
hotline_feed_node_up{node=\"0\"} 1
hotline_feed_node_up{node=\"1\"} 0
# HELP hotline_feed_node_first_seen_total Transactions this node delivered before any other node.
# TYPE hotline_feed_node_first_seen_total counter
hotline_feed_node_first_seen_total{node=\"0\"} 9
hotline_feed_node_first_seen_total{node=\"1\"} 1
# HELP hotline_feed_node_later_seen_total Transactions this node delivered after another node had.
# TYPE hotline_feed_node_later_seen_total counter
hotline_feed_node_later_seen_total{node=\"0\"} 1
hotline_feed_node_later_seen_total{node=\"1\"} 9
# HELP hotline_feed_node_gaps_total Sequence gaps on this node's feed.
# TYPE hotline_feed_node_gaps_total counter
hotline_feed_node_gaps_total{node=\"0\"} 0
hotline_feed_node_gaps_total{node=\"1\"} 2
# HELP hotline_feed_node_restarts_total Restarts of this node.
# TYPE hotline_feed_node_restarts_total counter
hotline_feed_node_restarts_total{node=\"0\"} 0
hotline_feed_node_restarts_total{node=\"1\"} 1
# HELP hotline_feed_node_lead_seconds How far ahead of the next node this node delivered the transactions it saw first.
# TYPE hotline_feed_node_lead_seconds histogram
hotline_feed_node_lead_seconds_bucket{node=\"0\",le=\"0.000000999\"} 4
hotline_feed_node_lead_seconds_bucket{node=\"0\",le=\"0.001999999\"} 9
hotline_feed_node_lead_seconds_bucket{node=\"0\",le=\"+Inf\"} 16
hotline_feed_node_lead_seconds_sum{node=\"0\"} 0.000003
hotline_feed_node_lead_seconds_count{node=\"0\"} 16
hotline_feed_node_lead_seconds_bucket{node=\"1\",le=\"0.000000999\"} 0
hotline_feed_node_lead_seconds_bucket{node=\"1\",le=\"0.001999999\"} 0
hotline_feed_node_lead_seconds_bucket{node=\"1\",le=\"+Inf\"} 0
hotline_feed_node_lead_seconds_sum{node=\"1\"} 0
hotline_feed_node_lead_seconds_count{node=\"1\"} 0
# HELP hotline_feed_node_lag_seconds How far behind the first node this node delivered the transactions it saw later.
# TYPE hotline_feed_node_lag_seconds histogram
hotline_feed_node_lag_seconds_bucket{node=\"0\",le=\"0.000000999\"} 0
hotline_feed_node_lag_seconds_bucket{node=\"0\",le=\"0.001999999\"} 0
hotline_feed_node_lag_seconds_bucket{node=\"0\",le=\"+Inf\"} 0
hotline_feed_node_lag_seconds_sum{node=\"0\"} 0
hotline_feed_node_lag_seconds_count{node=\"0\"} 0
hotline_feed_node_lag_seconds_bucket{node=\"1\",le=\"0.000000999\"} 4
hotline_feed_node_lag_seconds_bucket{node=\"1\",le=\"0.001999999\"} 9
hotline_feed_node_lag_seconds_bucket{node=\"1\",le=\"+Inf\"} 16
hotline_feed_node_lag_seconds_sum{node=\"1\"} 0.000003
hotline_feed_node_lag_seconds_count{node=\"1\"} 16
";
        assert_eq!(w.finish(), expected);
    }

    #[test]
    fn every_stage_has_every_bucket() {
        let mut stages = [BucketCounts { counts: [0; STAGE_BUCKETS], sum_ns: 0 }; Stage::ALL.len()];
        stages[0].counts[3] = 7;
        let mut w = Writer::new();
        write_stages(&mut w, &stages);
        let text = w.finish();
        assert_eq!(text.matches("# TYPE").count(), 1);
        assert_eq!(text.matches("_bucket{").count(), Stage::ALL.len() * STAGE_BUCKETS);
        assert!(text.contains("hotline_stage_latency_seconds_bucket{stage=\"feed_decode\",le=\"0.0000025\"} 7\n"));
        assert!(text.contains("hotline_stage_latency_seconds_bucket{stage=\"feed_decode\",le=\"0.000001\"} 0\n"));
        assert!(text.contains("hotline_stage_latency_seconds_count{stage=\"feed_decode\"} 7\n"));
        assert!(text.contains("hotline_stage_latency_seconds_count{stage=\"wire_to_ack\"} 0\n"));
    }
}
