//! Stage latencies and event counts of the running engine turn into the
//! summary printed on exit and on SIGUSR1 (issue 6 §3): one HDR histogram
//! per [`Stage`] (1 ns to 60 s, 3 significant digits) plus the [`Counters`],
//! rendered as an aligned text table ([`summary_table`]) or one JSON object
//! ([`summary_json`]) for `--json`.
//!
//! Every histogram is sized for its whole range at construction and records
//! with clamping, so [`Metrics::record`] never resizes and never allocates
//! on the hot path; a sample above 60 s counts as 60 s.
//!
//! While the engine runs, the same samples and the engine's counters and
//! states are published on a lock-free board ([`live`]) that a thread of
//! its own ([`server`]) serves on `host.metrics_listen` as Prometheus text
//! ([`exposition`]) after a minimal HTTP/1.1 request parser ([`http`]);
//! docs/metrics.md lists every metric.

pub mod exposition;
pub mod http;
pub mod live;
pub mod server;

use std::fmt::Write as _;

use hdrhistogram::Histogram;
use hotline_core::engine;
use serde_json::{Map, Value, json};

/// Lowest value the histograms tell apart, in nanoseconds.
const LOWEST_NS: u64 = 1;
/// Highest value the histograms track; larger samples saturate here.
const HIGHEST_NS: u64 = 60_000_000_000;
/// Significant decimal digits kept for every sample (0.1 % relative error).
const SIGNIFICANT_DIGITS: u8 = 3;
/// Below this many nanoseconds the table prints `ns`, from here on `µs`.
const MICROS_FROM_NS: u64 = 10_000;

/// A timed step of the engine: the pipeline stages of one order, and the two
/// end-to-end spans over them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// ZMTP frames to a transaction view.
    FeedDecode,
    /// Whale detection on the transaction.
    Strategy,
    /// The pre-trade risk gate.
    Risk,
    /// Patching the order template and signing it.
    Sign,
    /// Framing the order as a masked WebSocket message.
    Frame,
    /// Sealing the frame into a TLS record.
    Seal,
    /// Handing the record to the kernel.
    Submit,
    /// First byte of the whale's ZMQ message to the order's record submitted.
    TickToWire,
    /// Order submitted to its ack or rejection received.
    WireToAck,
}

impl Stage {
    /// Every stage, in pipeline order (the order of the summary).
    pub const ALL: [Stage; 9] = [
        Stage::FeedDecode,
        Stage::Strategy,
        Stage::Risk,
        Stage::Sign,
        Stage::Frame,
        Stage::Seal,
        Stage::Submit,
        Stage::TickToWire,
        Stage::WireToAck,
    ];

    /// The stage's key in the JSON summary.
    pub const fn name(self) -> &'static str {
        match self {
            Stage::FeedDecode => "feed_decode",
            Stage::Strategy => "strategy",
            Stage::Risk => "risk",
            Stage::Sign => "patch_sign",
            Stage::Frame => "frame",
            Stage::Seal => "seal",
            Stage::Submit => "submit",
            Stage::TickToWire => "tick_to_wire",
            Stage::WireToAck => "wire_to_ack",
        }
    }

    /// The stage's row label in the text summary.
    pub const fn label(self) -> &'static str {
        match self {
            Stage::FeedDecode => "feed decode",
            Stage::Strategy => "strategy",
            Stage::Risk => "risk",
            Stage::Sign => "patch+sign",
            Stage::Frame => "frame",
            Stage::Seal => "seal",
            Stage::Submit => "submit",
            Stage::TickToWire => "tick-to-wire",
            Stage::WireToAck => "wire-to-ack",
        }
    }

    /// Position in [`Stage::ALL`] and in the histogram array.
    const fn index(self) -> usize {
        self as usize
    }
}

/// The latency histograms, one per [`Stage`].
#[derive(Debug, Clone)]
pub struct Metrics {
    stages: [Histogram<u64>; Stage::ALL.len()],
}

/// One stage's distribution, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantiles {
    /// Samples recorded.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest sample (to histogram precision).
    pub max: u64,
}

impl Metrics {
    /// Allocates every histogram for its full range.
    pub fn new() -> Self {
        let histogram = || {
            Histogram::new_with_bounds(LOWEST_NS, HIGHEST_NS, SIGNIFICANT_DIGITS)
                .expect("constant bounds are valid: 1 <= low, high >= 2 * low, sigfig <= 5")
        };
        Self { stages: std::array::from_fn(|_| histogram()) }
    }

    /// Records one sample of `stage`, clamped to 60 s. Never allocates.
    pub fn record(&mut self, stage: Stage, ns: u64) {
        self.stages[stage.index()].saturating_record(ns);
    }

    /// Forgets every sample, keeping the allocations.
    pub fn reset(&mut self) {
        self.stages.iter_mut().for_each(Histogram::reset);
    }

    /// The distribution of `stage`, or `None` before its first sample.
    pub fn quantiles(&self, stage: Stage) -> Option<Quantiles> {
        Quantiles::of(self.histogram(stage))
    }

    /// The histogram of `stage` (for percentile curves).
    pub fn histogram(&self, stage: Stage) -> &Histogram<u64> {
        &self.stages[stage.index()]
    }
}

impl Quantiles {
    /// The distribution in `h`, or `None` without samples.
    pub fn of(h: &Histogram<u64>) -> Option<Self> {
        (!h.is_empty()).then(|| Self {
            count: h.len(),
            p50: h.value_at_quantile(0.50),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        })
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Event counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Transactions decoded from the feed.
    pub txs_seen: u64,
    /// Transactions the whale rules matched.
    pub whales_detected: u64,
    /// Whales that became trading signals.
    pub signals: u64,
    /// Signals the risk gate refused.
    pub denied: u64,
    /// Orders written to the venue.
    pub orders_sent: u64,
    /// Orders the venue accepted.
    pub orders_acked: u64,
    /// Orders the venue refused.
    pub orders_rejected: u64,
    /// Orders whose outcome is not known yet (timeout, 5xx, lost connection).
    pub orders_unknown: u64,
    /// Unknown orders settled by an `order.status` query.
    pub orders_reconciled: u64,
    /// Orders neither acked, rejected nor reconciled at the end.
    pub orders_lost: u64,
    /// Sequence gaps on the node's feed.
    pub feed_gaps: u64,
    /// Venue connections re-established.
    pub venue_reconnects: u64,
    /// Heap allocations counted on the hot path.
    pub hot_path_allocations: u64,
}

impl Counters {
    /// The engine's totals as the summary prints them, with the orders
    /// still `unresolved` counted as lost.
    pub fn from_engine(c: &engine::Counters, unresolved: usize, hot_path_allocations: Option<u64>) -> Self {
        Self {
            txs_seen: c.txs_seen,
            whales_detected: c.whales_detected,
            signals: c.signals,
            denied: c.denied,
            orders_sent: c.orders_sent,
            orders_acked: c.orders_acked,
            orders_rejected: c.orders_rejected,
            orders_unknown: c.orders_unknown,
            orders_reconciled: c.orders_reconciled,
            orders_lost: unresolved as u64,
            feed_gaps: c.feed_gaps,
            venue_reconnects: c.venue_connects.saturating_sub(1),
            hot_path_allocations: hot_path_allocations.unwrap_or(0),
        }
    }

    /// Every counter with its JSON key, in summary order.
    fn fields(&self) -> [(&'static str, u64); 13] {
        [
            ("txs_seen", self.txs_seen),
            ("whales_detected", self.whales_detected),
            ("signals", self.signals),
            ("denied", self.denied),
            ("orders_sent", self.orders_sent),
            ("orders_acked", self.orders_acked),
            ("orders_rejected", self.orders_rejected),
            ("orders_unknown", self.orders_unknown),
            ("orders_reconciled", self.orders_reconciled),
            ("orders_lost", self.orders_lost),
            ("feed_gaps", self.feed_gaps),
            ("venue_reconnects", self.venue_reconnects),
            ("hot_path_allocations", self.hot_path_allocations),
        ]
    }
}

/// A latency for people: whole nanoseconds below 10 µs, microseconds with
/// one decimal above.
fn human(ns: u64) -> String {
    if ns < MICROS_FROM_NS { format!("{ns} ns") } else { format!("{:.1} µs", ns as f64 / 1_000.0) }
}

/// The summary as an aligned text table: one row per stage (count, p50,
/// p99, p99.9, max; `-` for a stage without samples), then the counters.
pub fn summary_table(metrics: &Metrics, counters: &Counters) -> String {
    let mut out = format!("{:<14}{:>10}{:>14}{:>14}{:>14}{:>14}\n", "stage", "count", "p50", "p99", "p99.9", "max");
    for stage in Stage::ALL {
        let (count, cells) = match metrics.quantiles(stage) {
            Some(q) => (q.count, [q.p50, q.p99, q.p999, q.max].map(human)),
            None => (0, [(); 4].map(|()| "-".to_owned())),
        };
        let [p50, p99, p999, max] = cells;
        // Writing into a String cannot fail.
        let _ = writeln!(out, "{:<14}{count:>10}{p50:>14}{p99:>14}{p999:>14}{max:>14}", stage.label());
    }
    out.push('\n');
    for (key, value) in counters.fields() {
        let _ = writeln!(out, "{:<24}{value:>10}", key.replace('_', " "));
    }
    out
}

/// The summary as one JSON object: every counter by name, and `latency_ns`
/// with `count`, `p50`, `p99`, `p999` and `max` per stage (`null`
/// percentiles for a stage without samples).
pub fn summary_json(metrics: &Metrics, counters: &Counters) -> Value {
    let mut out: Map<String, Value> = counters.fields().into_iter().map(|(k, v)| (k.to_owned(), v.into())).collect();
    let latency = Stage::ALL
        .into_iter()
        .map(|stage| {
            let entry = match metrics.quantiles(stage) {
                Some(q) => json!({ "count": q.count, "p50": q.p50, "p99": q.p99, "p999": q.p999, "max": q.max }),
                None => json!({ "count": 0, "p50": null, "p99": null, "p999": null, "max": null }),
            };
            (stage.name().to_owned(), entry)
        })
        .collect();
    out.insert("latency_ns".to_owned(), Value::Object(latency));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within the 3-significant-digit precision the histograms keep.
    fn close(actual: u64, expected: u64) -> bool {
        actual.abs_diff(expected) <= expected / 1_000 + 1
    }

    #[test]
    fn uniform_samples_give_their_percentiles() {
        let mut m = Metrics::new();
        (1..=1_000).for_each(|ns| m.record(Stage::Seal, ns));
        let q = m.quantiles(Stage::Seal).unwrap();
        assert_eq!(q.count, 1_000);
        assert!(close(q.p50, 500), "{q:?}");
        assert!(close(q.p99, 990), "{q:?}");
        assert!(close(q.p999, 999), "{q:?}");
        assert!(close(q.max, 1_000), "{q:?}");
        assert_eq!(m.quantiles(Stage::Frame), None);
    }

    #[test]
    fn large_values_keep_three_digits() {
        let mut m = Metrics::new();
        (1..=100u64).for_each(|i| m.record(Stage::WireToAck, i * 1_000_000));
        let q = m.quantiles(Stage::WireToAck).unwrap();
        assert!(close(q.p50, 50_000_000), "{q:?}");
        assert!(close(q.max, 100_000_000), "{q:?}");
    }

    #[test]
    fn samples_beyond_the_range_saturate() {
        let mut m = Metrics::new();
        m.record(Stage::Submit, u64::MAX);
        m.record(Stage::Submit, 0);
        let q = m.quantiles(Stage::Submit).unwrap();
        assert_eq!(q.count, 2);
        assert!(close(q.max, HIGHEST_NS), "{q:?}");
    }

    #[test]
    fn reset_forgets_samples() {
        let mut m = Metrics::new();
        m.record(Stage::Risk, 42);
        m.reset();
        assert_eq!(m.quantiles(Stage::Risk), None);
        m.record(Stage::Risk, 7);
        assert_eq!(m.quantiles(Stage::Risk).map(|q| (q.count, q.max)), Some((1, 7)));
    }

    #[test]
    fn stage_names_are_distinct_and_in_index_order() {
        for (i, stage) in Stage::ALL.into_iter().enumerate() {
            assert_eq!(stage.index(), i);
        }
        let mut names = Stage::ALL.map(Stage::name);
        names.sort_unstable();
        assert!(names.windows(2).all(|w| w[0] != w[1]));
        assert_eq!(Stage::Sign.name(), "patch_sign");
    }

    #[test]
    fn json_lists_counters_and_every_stage() {
        let mut m = Metrics::new();
        (1..=1_000).for_each(|ns| m.record(Stage::TickToWire, ns));
        let c = Counters { txs_seen: 12, orders_sent: 3, orders_acked: 2, orders_rejected: 1, ..Counters::default() };
        let v = summary_json(&m, &c);
        assert_eq!(v["txs_seen"], 12);
        assert_eq!(v["orders_acked"], 2);
        assert_eq!(v["hot_path_allocations"], 0);
        let latency = v["latency_ns"].as_object().unwrap();
        assert_eq!(latency.len(), Stage::ALL.len());
        let t2w = &latency["tick_to_wire"];
        assert_eq!(t2w["count"], 1_000);
        assert!(close(t2w["p50"].as_u64().unwrap(), 500));
        assert_eq!(latency["patch_sign"], json!({ "count": 0, "p50": null, "p99": null, "p999": null, "max": null }));
    }

    #[test]
    fn table_switches_units_and_marks_empty_stages() {
        let mut m = Metrics::new();
        m.record(Stage::FeedDecode, 250);
        m.record(Stage::WireToAck, 1_234_000);
        let c = Counters { whales_detected: 5, ..Counters::default() };
        let table = summary_table(&m, &c);
        let row =
            |label: &str| table.lines().find(|l| l.starts_with(label)).unwrap().split_whitespace().collect::<Vec<_>>();
        assert_eq!(row("feed decode")[2..], ["1", "250", "ns", "250", "ns", "250", "ns", "250", "ns"]);
        assert_eq!(row("wire-to-ack")[1], "1");
        assert!(row("wire-to-ack").contains(&"µs"));
        assert_eq!(row("risk")[1..], ["0", "-", "-", "-", "-"]);
        assert_eq!(row("whales detected")[2..], ["5"]);
        let widths: Vec<usize> = table.lines().take(1 + Stage::ALL.len()).map(|l| l.chars().count()).collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{table}");
    }
}
