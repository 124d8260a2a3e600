//! `[strategy]`: the whale detector's table turns into its rules, its
//! watch list of labelled scripts and the order sizing.

use hotline_core::engine::Ladder;
use hotline_core::order;
use hotline_core::strategy::whale::{self, WatchEntry};
use serde::Deserialize;

use super::{Problems, defaults};

/// Every bitcoin there will ever be, in satoshis: no threshold above it can fire.
const MAX_MONEY_SAT: u64 = 21_000_000 * 100_000_000;

/// Consensus limit on a scriptPubKey that can be spent (BIP 141 keeps it).
const MAX_SCRIPT_BYTES: usize = 10_000;

/// `[strategy]`: the whale detector and sizing. Thresholds are integer
/// satoshis (1 BTC = 100 000 000), so no float rounding decides a trade;
/// an absent threshold disables its rule. Quantities are lot steps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strategy {
    /// Minimum sum of a transaction's outputs.
    pub min_total_sat: Option<u64>,
    /// Minimum single output.
    pub min_output_sat: Option<u64>,
    /// Minimum sum paid to watch-listed scripts of one kind.
    pub min_watch_sat: Option<u64>,
    /// Side for whales no watch entry explains.
    #[serde(default = "defaults::strategy_unlabeled_side")]
    pub unlabeled_side: UnlabeledSide,
    /// Ignore coinbase transactions.
    #[serde(default = "defaults::strategy_skip_coinbase")]
    pub skip_coinbase: bool,
    /// Minimum time between two signals of the same side.
    #[serde(default = "defaults::strategy_cooldown_ms")]
    pub cooldown_ms: u64,
    /// Signals suppressed this long after a feed gap or node restart.
    #[serde(default = "defaults::strategy_gap_holdoff_ms")]
    pub gap_holdoff_ms: u64,
    /// Strength (value / threshold) is capped here.
    #[serde(default = "defaults::strategy_max_strength")]
    pub max_strength: u32,
    /// Quantity per unit of strength.
    pub base_qty: u64,
    /// Largest quantity of one order.
    pub max_qty: u64,
    /// Orders one signal places, each of the sized quantity, sent as one
    /// NewOrderBatch (Coinbase only).
    #[serde(default = "defaults::strategy_ladder_orders")]
    pub ladder_orders: u8,
    /// Ticks between the ladder's prices, each order further through the
    /// book than the one before.
    #[serde(default)]
    pub ladder_step_ticks: u64,
    /// Labelled output scripts (`[[strategy.watch]]`).
    #[serde(default)]
    pub watch: Vec<Watch>,
}

/// Side for whales no watch entry explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnlabeledSide {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
    /// Observe only.
    None,
}

impl From<UnlabeledSide> for Option<order::Side> {
    fn from(side: UnlabeledSide) -> Self {
        match side {
            UnlabeledSide::Buy => Some(order::Side::Buy),
            UnlabeledSide::Sell => Some(order::Side::Sell),
            UnlabeledSide::None => None,
        }
    }
}

/// One `[[strategy.watch]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Watch {
    /// The exact scriptPubKey, in hex.
    pub script_hex: String,
    /// Whose script it is.
    pub kind: WatchKind,
}

/// Whose script a watch entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchKind {
    /// An exchange deposit or hot wallet: inflows signal `Sell`.
    ExchangeDeposit,
    /// Cold storage: inflows signal `Buy`.
    ColdStorage,
}

impl From<WatchKind> for whale::WatchKind {
    fn from(kind: WatchKind) -> Self {
        match kind {
            WatchKind::ExchangeDeposit => Self::ExchangeDeposit,
            WatchKind::ColdStorage => Self::ColdStorage,
        }
    }
}

impl Strategy {
    /// The watch list's scripts, decoded, with their kinds; the caller keeps
    /// them alive while [`Strategy::rules`] borrows them.
    pub fn watch_scripts(&self) -> Result<Vec<(Vec<u8>, whale::WatchKind)>, String> {
        self.watch
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let script = hex::decode(&w.script_hex).map_err(|e| format!("strategy.watch[{i}].script_hex: {e}"))?;
                Ok((script, w.kind.into()))
            })
            .collect()
    }

    /// The detector's rules over `watch` (built from [`Strategy::watch_scripts`]).
    pub fn rules<'a>(&self, watch: &'a [WatchEntry<'a>]) -> whale::Rules<'a> {
        whale::Rules {
            min_total_sat: self.min_total_sat,
            min_output_sat: self.min_output_sat,
            min_watch_sat: self.min_watch_sat,
            watch,
            unlabeled_side: self.unlabeled_side.into(),
            skip_coinbase: self.skip_coinbase,
            cooldown_ns: self.cooldown_ms.saturating_mul(1_000_000),
            gap_holdoff_ns: self.gap_holdoff_ms.saturating_mul(1_000_000),
            max_strength: self.max_strength,
        }
    }

    /// Order sizing from signal strength.
    pub fn sizing(&self) -> whale::Sizing {
        whale::Sizing { base_qty: self.base_qty, max_qty: self.max_qty }
    }

    /// How many orders a signal places, and their prices.
    pub fn ladder(&self) -> Ladder {
        Ladder { orders: self.ladder_orders, step_ticks: self.ladder_step_ticks }
    }

    /// `max_batch`: the most orders one request of the venue places;
    /// `max_open_orders`: the risk gate's cap.
    pub(super) fn validate(&self, p: &mut Problems, max_batch: usize, max_open_orders: u32) {
        p.require(
            self.ladder_orders >= 1 && usize::from(self.ladder_orders) <= max_batch,
            "strategy.ladder_orders",
            if max_batch > 1 {
                format!("must be 1 to {max_batch} (one NewOrderBatch)")
            } else {
                "must be 1 with venue.kind = \"binance\" (one order per request; batches are Coinbase's)".to_owned()
            },
        );
        p.require(
            u32::from(self.ladder_orders) <= max_open_orders,
            "strategy.ladder_orders",
            "must not exceed risk.max_open_orders (the gate would deny the rest of every ladder)",
        );
        p.require(
            self.ladder_orders > 1 || self.ladder_step_ticks == 0,
            "strategy.ladder_step_ticks",
            "is not used with one order per signal (strategy.ladder_orders = 1)",
        );
        p.require(
            self.min_total_sat.is_some() || self.min_output_sat.is_some() || self.min_watch_sat.is_some(),
            "strategy",
            "set at least one of min_total_sat, min_output_sat, min_watch_sat (none: nothing can fire)",
        );
        for (field, sat) in [
            ("strategy.min_total_sat", self.min_total_sat),
            ("strategy.min_output_sat", self.min_output_sat),
            ("strategy.min_watch_sat", self.min_watch_sat),
        ] {
            if let Some(sat) = sat {
                p.require(
                    sat > 0 && sat <= MAX_MONEY_SAT,
                    field,
                    "must be > 0 and at most 21 000 000 BTC (in satoshis)",
                );
            }
        }
        p.require(
            self.watch.is_empty() || self.min_watch_sat.is_some(),
            "strategy.watch",
            "needs strategy.min_watch_sat",
        );
        p.require(self.max_strength >= 1, "strategy.max_strength", "must be >= 1");
        p.require(self.base_qty > 0, "strategy.base_qty", "must be > 0");
        p.require(self.max_qty >= self.base_qty, "strategy.max_qty", "must be >= strategy.base_qty");
        for (i, w) in self.watch.iter().enumerate() {
            let field = format!("strategy.watch[{i}].script_hex");
            match hex::decode(&w.script_hex) {
                Ok(script) => p.require(
                    !script.is_empty() && script.len() <= MAX_SCRIPT_BYTES,
                    &field,
                    format_args!("must be 1-{MAX_SCRIPT_BYTES} bytes"),
                ),
                Err(e) => p.require(false, &field, format_args!("not hex: {e}")),
            }
        }
    }
}
