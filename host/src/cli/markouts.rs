//! The demo's execution quality, as a quant judges a signal: the orders the
//! engine sent (with the touch's mid at each decision), the fills that came
//! back (with the instant each arrived) and the simulator's mid sampled over
//! time turn into slippage against the decision mid and markouts 1 s, 10 s
//! and 60 s after each fill, in basis points. Both are signed so that
//! positive is good for the side that bears it: slippage is a cost (a buy
//! above the mid, a sell below it), a markout a gain (a buy before the mid
//! rises). Nothing here reads a clock or a socket: the caller stamps times.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hotline_core::engine::Event;
use hotline_core::order::Side;
use serde_json::{Value, json};

/// The markout horizons, with their names in the summary.
pub(crate) const HORIZONS: [(&str, Duration); 3] =
    [("1s", Duration::from_secs(1)), ("10s", Duration::from_secs(10)), ("60s", Duration::from_secs(60))];

/// An order as it left the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sent {
    client_order_id: u64,
    /// The touch's mid at the decision, half ticks; `None` without a book.
    mid_half_ticks: Option<u64>,
}

/// A fill as the demo saw it arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Filled {
    at: Instant,
    client_order_id: Option<u64>,
    side: Side,
    /// Ticks.
    price: u64,
}

/// The simulator's mid at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mid {
    pub(crate) at: Instant,
    /// Bid plus ask, in ticks: the mid in half ticks.
    pub(crate) half_ticks: i64,
}

/// What the engine thread keeps for scoring. The capacity is fixed up front
/// because the driver counts the engine thread's allocations while it trades
/// and fails a run that made any: past the capacity, records are counted in
/// `dropped`, not kept.
#[derive(Debug)]
pub(crate) struct Tape {
    sent: Vec<Sent>,
    fills: Vec<Filled>,
    dropped: u64,
}

impl Tape {
    /// Room for `records` orders and as many fills.
    pub(crate) fn with_capacity(records: usize) -> Self {
        Self { sent: Vec::with_capacity(records), fills: Vec::with_capacity(records), dropped: 0 }
    }

    /// Keeps what scoring needs of an `OrderSent` or a `Filled` that arrived
    /// at `now`; other events are ignored.
    pub(crate) fn record(&mut self, event: &Event, now: Instant) {
        match *event {
            Event::OrderSent { client_order_id, mid_half_ticks, .. } => {
                keep(&mut self.sent, Sent { client_order_id, mid_half_ticks }, &mut self.dropped);
            }
            Event::Filled { client_order_id, ref fill, .. } => {
                let filled = Filled { at: now, client_order_id, side: fill.side, price: fill.price };
                keep(&mut self.fills, filled, &mut self.dropped);
            }
            _ => {}
        }
    }

    /// When the last fill kept arrived.
    pub(crate) fn last_fill(&self) -> Option<Instant> {
        self.fills.last().map(|f| f.at)
    }
}

fn keep<T>(records: &mut Vec<T>, record: T, dropped: &mut u64) {
    if records.len() < records.capacity() {
        records.push(record);
    } else {
        *dropped += 1;
    }
}

/// +1 for a buy, −1 for a sell.
fn sign(side: Side) -> f64 {
    match side {
        Side::Buy => 1.0,
        Side::Sell => -1.0,
    }
}

/// A run's fills scored, each in basis points.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Quality {
    /// Per fill whose order had a decision mid: `side · (price − mid) / mid`.
    slippage: Vec<f64>,
    /// Per horizon of [`HORIZONS`], per fill it covers:
    /// `side · (mid(t + h) − price) / price`.
    markouts: [Vec<f64>; 3],
    /// Orders and fills past the tape's capacity, not scored.
    dropped: u64,
}

impl Quality {
    /// Scores the tape's fills against `mids`, oldest first. The mid at
    /// `t + h` is the first sample at or after it: a horizon the sampler did
    /// not reach is not covered, and the fill is left out of it.
    pub(crate) fn score(tape: &Tape, mids: &[Mid]) -> Self {
        let decision: HashMap<u64, u64> =
            tape.sent.iter().filter_map(|s| Some((s.client_order_id, s.mid_half_ticks?))).collect();
        let slippage = tape
            .fills
            .iter()
            .filter_map(|f| {
                let mid = *decision.get(&f.client_order_id?)? as f64;
                Some(sign(f.side) * (2.0 * f.price as f64 - mid) / mid * 1e4)
            })
            .collect();
        let markouts = HORIZONS.map(|(_, h)| {
            tape.fills
                .iter()
                .filter_map(|f| {
                    let target = f.at + h;
                    let later = mids.get(mids.partition_point(|m| m.at < target))?;
                    let price = 2.0 * f.price as f64;
                    Some(sign(f.side) * (later.half_ticks as f64 - price) / price * 1e4)
                })
                .collect()
        });
        Self { slippage, markouts, dropped: tape.dropped }
    }

    /// `{"n", "mean", "p50", "worst"}`, null figures when no fill had a
    /// decision mid.
    pub(crate) fn slippage_json(&self) -> Value {
        let s = Stats::of(&self.slippage);
        json!({
            "n": self.slippage.len(),
            "mean": s.map(|s| s.mean),
            "p50": s.map(|s| s.p50),
            "worst": s.map(|s| s.max),
        })
    }

    /// `{"1s": {"n", "mean", "p50"}, "10s": …, "60s": …}`.
    pub(crate) fn markouts_json(&self) -> Value {
        let mut out = serde_json::Map::new();
        for ((name, _), values) in HORIZONS.iter().zip(&self.markouts) {
            let s = Stats::of(values);
            out.insert(
                (*name).to_owned(),
                json!({ "n": values.len(), "mean": s.map(|s| s.mean), "p50": s.map(|s| s.p50) }),
            );
        }
        out.into()
    }

    /// The summary's slippage line; `book` says whether orders were priced
    /// from a book at all.
    pub(crate) fn slippage_line(&self, book: bool) -> String {
        let head = "slippage vs decision mid (bps, + worse):";
        match Stats::of(&self.slippage) {
            Some(s) => format!("{head} p50 {}, mean {}, worst {} ({})", bps(s.p50), bps(s.mean), bps(s.max), s.n),
            None if !book => format!("{head} n/a (orders not priced from a book)"),
            None => format!("{head} n/a (0)"),
        }
    }

    /// The summary's markout line: mean and p50 per horizon, with n.
    pub(crate) fn markouts_line(&self) -> String {
        let mut line = "markouts (bps, mean/p50, n):".to_owned();
        for (i, ((name, _), values)) in HORIZONS.iter().zip(&self.markouts).enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            match Stats::of(values) {
                Some(s) => line.push_str(&format!("{sep}{name} {}/{} ({})", bps(s.mean), bps(s.p50), s.n)),
                None => line.push_str(&format!("{sep}{name} n/a (0)")),
            }
        }
        if self.dropped > 0 {
            line.push_str(&format!("; {} records past the tape's capacity not scored", self.dropped));
        }
        line
    }

    /// Orders and fills past the tape's capacity, not scored.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// Basis points as the summary prints them: signed, four decimals (a tick
/// of the demo's market is about 0.001 bp), and no `-0.0000`.
fn bps(v: f64) -> String {
    let text = format!("{v:+.4}");
    if text == "-0.0000" { "+0.0000".to_owned() } else { text }
}

/// Figures over a non-empty series.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stats {
    n: usize,
    mean: f64,
    /// The median: the mean of the two middle values of an even count.
    p50: f64,
    max: f64,
}

impl Stats {
    /// `None` for no values.
    fn of(values: &[f64]) -> Option<Self> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mid = n / 2;
        let p50 = if n % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 };
        Some(Self { n, mean: sorted.iter().sum::<f64>() / n as f64, p50, max: sorted[n - 1] })
    }
}

#[cfg(test)]
mod tests {
    use hotline_core::btc::tx::TxHash;
    use hotline_core::engine::Stages;
    use hotline_core::ledger::{FeeAsset, Fill};
    use hotline_core::strategy::whale::{Rule, Signal};

    use super::*;

    fn sent(client_order_id: u64, side: Side, mid_half_ticks: Option<u64>) -> Event {
        let signal = Signal { txid: TxHash([0; 32]), value_sat: 1, rule: Rule::SingleOutput, side, strength: 1 };
        Event::OrderSent {
            client_order_id,
            signal,
            qty: 100,
            price: 0,
            mid_half_ticks,
            stages: Some(Stages::default()),
        }
    }

    fn filled(client_order_id: u64, side: Side, price: u64) -> Event {
        let fill = Fill {
            trade_id: client_order_id,
            order_id: client_order_id,
            side,
            qty: 100,
            price,
            fee: 0,
            fee_asset: FeeAsset::None,
            maker: false,
        };
        Event::Filled { client_order_id: Some(client_order_id), fill, position: 0 }
    }

    /// One order of `side` decided at mid 10 000 ticks, filled at `price`
    /// at `t0`.
    fn one_fill(t0: Instant, side: Side, price: u64) -> Tape {
        let mut tape = Tape::with_capacity(4);
        tape.record(&sent(1, side, Some(20_000)), t0);
        tape.record(&filled(1, side, price), t0);
        tape
    }

    /// The mid, in ticks, every 100 ms from `t0` for `secs` seconds.
    fn flat_mids(t0: Instant, secs: u64, mid_ticks: i64) -> Vec<Mid> {
        (0..=secs * 10).map(|i| Mid { at: t0 + Duration::from_millis(i * 100), half_ticks: 2 * mid_ticks }).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn slippage_is_positive_for_a_buy_above_and_a_sell_below_the_mid() {
        let t0 = Instant::now();
        let buy = Quality::score(&one_fill(t0, Side::Buy, 10_001), &[]);
        assert!(close(buy.slippage[0], 1.0), "{buy:?}");
        let sell = Quality::score(&one_fill(t0, Side::Sell, 9_999), &[]);
        assert!(close(sell.slippage[0], 1.0), "{sell:?}");
        let sell_above = Quality::score(&one_fill(t0, Side::Sell, 10_002), &[]);
        assert!(close(sell_above.slippage[0], -2.0), "{sell_above:?}");
    }

    #[test]
    fn markouts_gain_for_a_buy_when_the_mid_rises_and_for_a_sell_when_it_falls() {
        let t0 = Instant::now();
        let up = flat_mids(t0, 70, 10_010);
        let buy = Quality::score(&one_fill(t0, Side::Buy, 10_000), &up);
        assert!(buy.markouts.iter().all(|m| m.len() == 1 && close(m[0], 10.0)), "{buy:?}");
        let sell = Quality::score(&one_fill(t0, Side::Sell, 10_000), &up);
        assert!(sell.markouts.iter().all(|m| m.len() == 1 && close(m[0], -10.0)), "{sell:?}");
        let down = flat_mids(t0, 70, 9_990);
        let sell = Quality::score(&one_fill(t0, Side::Sell, 10_000), &down);
        assert!(sell.markouts.iter().all(|m| m.len() == 1 && close(m[0], 10.0)), "{sell:?}");
    }

    #[test]
    fn the_mid_at_a_horizon_is_the_first_sample_at_or_after_it() {
        let t0 = Instant::now();
        let mids = [
            Mid { at: t0 + Duration::from_millis(990), half_ticks: 20_000 },
            Mid { at: t0 + Duration::from_millis(1_000), half_ticks: 20_020 },
            Mid { at: t0 + Duration::from_millis(1_010), half_ticks: 20_040 },
        ];
        let q = Quality::score(&one_fill(t0, Side::Buy, 10_000), &mids);
        assert_eq!(q.markouts[0], [10.0]);
    }

    #[test]
    fn a_horizon_the_sampler_did_not_reach_leaves_the_fill_out() {
        let t0 = Instant::now();
        let mut tape = one_fill(t0, Side::Buy, 10_000);
        tape.record(&sent(2, Side::Buy, Some(20_000)), t0 + Duration::from_secs(4));
        tape.record(&filled(2, Side::Buy, 10_000), t0 + Duration::from_secs(4));
        // Sampled for 12 s: the first fill's 10 s horizon is covered, the
        // second's is not, and nobody's 60 s.
        let q = Quality::score(&tape, &flat_mids(t0, 12, 10_000));
        assert_eq!(q.markouts.each_ref().map(Vec::len), [2, 1, 0]);
        assert_eq!(q.markouts_json()["60s"], json!({ "n": 0, "mean": null, "p50": null }));
        assert!(q.markouts_line().ends_with("10s +0.0000/+0.0000 (1), 60s n/a (0)"), "{}", q.markouts_line());
    }

    #[test]
    fn p50_is_the_middle_value_of_an_odd_count_and_the_mean_of_the_two_middle_of_an_even() {
        let odd = Stats::of(&[5.0, -1.0, 2.0]).unwrap();
        assert_eq!((odd.n, odd.p50, odd.mean, odd.max), (3, 2.0, 2.0, 5.0));
        let even = Stats::of(&[4.0, -1.0, 2.0, 10.0]).unwrap();
        assert_eq!((even.n, even.p50, even.mean, even.max), (4, 3.0, 3.75, 10.0));
    }

    #[test]
    fn a_negative_that_rounds_to_zero_prints_as_zero() {
        assert_eq!([bps(-1e-20), bps(-0.00006), bps(1.0)], ["+0.0000", "-0.0001", "+1.0000"]);
    }

    #[test]
    fn no_fills_give_null_figures() {
        let q = Quality::score(&Tape::with_capacity(4), &[]);
        assert_eq!(Stats::of(&[]), None);
        assert_eq!(q.slippage_json(), json!({ "n": 0, "mean": null, "p50": null, "worst": null }));
        assert_eq!(q.markouts_json()["1s"], json!({ "n": 0, "mean": null, "p50": null }));
        assert_eq!(q.slippage_line(true), "slippage vs decision mid (bps, + worse): n/a (0)");
        assert_eq!(q.markouts_line(), "markouts (bps, mean/p50, n): 1s n/a (0), 10s n/a (0), 60s n/a (0)");
    }

    #[test]
    fn market_orders_have_no_slippage_but_markouts() {
        let t0 = Instant::now();
        let mut tape = Tape::with_capacity(4);
        tape.record(&sent(1, Side::Buy, None), t0);
        tape.record(&filled(1, Side::Buy, 10_000), t0);
        let q = Quality::score(&tape, &flat_mids(t0, 2, 10_000));
        assert_eq!(q.slippage_json()["n"], 0);
        assert_eq!(
            q.slippage_line(false),
            "slippage vs decision mid (bps, + worse): n/a (orders not priced from a book)"
        );
        assert_eq!(q.markouts[0].len(), 1);
    }

    #[test]
    fn a_full_tape_counts_what_it_drops_and_never_grows() {
        let t0 = Instant::now();
        let mut tape = Tape::with_capacity(1);
        let room = (tape.sent.capacity(), tape.fills.capacity());
        let orders = room.0.max(room.1) as u64 + 2;
        for id in 1..=orders {
            tape.record(&sent(id, Side::Buy, Some(20_000)), t0);
            tape.record(&filled(id, Side::Buy, 10_000), t0);
        }
        assert_eq!((tape.sent.capacity(), tape.fills.capacity()), room);
        let dropped = 2 * orders - (room.0 + room.1) as u64;
        assert_eq!(tape.dropped, dropped);
        let q = Quality::score(&tape, &[]);
        assert_eq!(q.dropped(), dropped);
        let tail = format!("; {dropped} records past the tape's capacity not scored");
        assert!(q.markouts_line().ends_with(&tail), "{}", q.markouts_line());
    }
}
