//! `[risk]`: the pre-trade gate's table turns into its limits, bounded by
//! the venue's own order rate limits (docs/protocols/binance-ws-api.md
//! §Rate limits: 50 orders per 10 s, 160 000 per day).

use hotline_core::order::{DecimalError, Scale, read_decimal};
use hotline_core::risk::{self, RateLimit};
use hotline_core::venue::{binance, coinbase};

use super::VenueKind;
use serde::Deserialize;

use super::{Problems, defaults};

/// `[risk]`: the pre-trade gate. Quantities in lot steps, prices in ticks,
/// so a notional is steps × ticks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Risk {
    /// Largest quantity of one order.
    pub max_qty: u64,
    /// Largest quantity × price of one order.
    pub max_notional: u64,
    /// Most orders sent and not yet closed.
    #[serde(default = "defaults::risk_max_open_orders")]
    pub max_open_orders: u32,
    /// Largest absolute position, counting open orders as filled.
    pub max_position: u64,
    /// Token bucket per 10 s (at most Binance's 50).
    #[serde(default = "defaults::risk_orders_per_10s")]
    pub orders_per_10s: u32,
    /// Token bucket per day (at most Binance's 160 000).
    #[serde(default = "defaults::risk_orders_per_day")]
    pub orders_per_day: u32,
    /// Kill switch after this many consecutive rejects (absent: never).
    pub kill_after_rejects: Option<u32>,
    /// Deny a limit price further than this many basis points from the
    /// mid of the book it was priced from (`[market]`); 0 turns it off.
    #[serde(default = "defaults::risk_price_collar_bps")]
    pub price_collar_bps: u32,
    /// Kill switch once the P&L (realized after fees, plus the position
    /// marked to the book) is this many quote units below zero, e.g.
    /// `"250.00"` (absent: no loss limit).
    pub max_loss: Option<String>,
}

impl Risk {
    /// The risk gate's limits; `kill_on_feed_gap` is `[node]`'s `on_gap`,
    /// `scale` the instrument's (a loss is counted in its lots × ticks).
    pub fn limits(&self, kill_on_feed_gap: bool, scale: Scale) -> risk::Limits {
        const SECOND_NS: u64 = 1_000_000_000;
        risk::Limits {
            max_qty: self.max_qty,
            max_notional: u128::from(self.max_notional),
            max_open_orders: self.max_open_orders,
            max_position: self.max_position,
            short_rate: RateLimit { capacity: self.orders_per_10s, window_ns: 10 * SECOND_NS },
            daily_rate: RateLimit { capacity: self.orders_per_day, window_ns: 86_400 * SECOND_NS },
            kill_after_rejects: self.kill_after_rejects,
            kill_on_feed_gap,
            price_collar_bps: (self.price_collar_bps > 0).then_some(self.price_collar_bps),
            max_loss: self.max_loss(scale).ok().flatten().map(u128::from),
        }
    }

    /// `max_loss` in lots × ticks of an instrument of `scale`.
    fn max_loss(&self, scale: Scale) -> Result<Option<u64>, DecimalError> {
        let Some(text) = &self.max_loss else { return Ok(None) };
        read_decimal(text.as_bytes(), scale.price.saturating_add(scale.qty)).map(Some)
    }

    pub(super) fn validate(&self, p: &mut Problems, scale: Scale, venue: VenueKind) {
        let digits = scale.price.saturating_add(scale.qty);
        p.require(
            matches!(self.max_loss(scale), Ok(None | Some(1..))),
            "risk.max_loss",
            format_args!(
                "must be a positive quote amount with at most {digits} decimals \
                 (instrument.price_decimals + instrument.qty_decimals), e.g. \"250.00\""
            ),
        );
        p.require(self.max_qty > 0, "risk.max_qty", "must be > 0");
        p.require(self.max_notional > 0, "risk.max_notional", "must be > 0");
        p.require(self.max_open_orders > 0, "risk.max_open_orders", "must be > 0");
        p.require(self.max_position > 0, "risk.max_position", "must be > 0");
        let (per_10s, per_day) = match venue {
            VenueKind::Binance => (binance::ORDERS_PER_10S, binance::ORDERS_PER_DAY),
            VenueKind::Coinbase => (coinbase::ORDERS_PER_10S, u64::from(u32::MAX)),
        };
        p.require(
            self.orders_per_10s > 0 && u64::from(self.orders_per_10s) <= per_10s,
            "risk.orders_per_10s",
            format_args!("must be 1-{per_10s} (the venue's limit)"),
        );
        p.require(
            self.orders_per_day > 0 && u64::from(self.orders_per_day) <= per_day,
            "risk.orders_per_day",
            format_args!("must be 1-{per_day} (the venue's limit)"),
        );
        p.require(
            self.price_collar_bps <= 10_000,
            "risk.price_collar_bps",
            "must be 0-10000 (basis points of the mid; 0 turns the collar off)",
        );
        if let Some(n) = self.kill_after_rejects {
            p.require(n > 0, "risk.kill_after_rejects", "must be > 0 (leave it out to never kill on rejects)");
        }
    }
}
