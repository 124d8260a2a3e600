//! `[instrument]`: the traded symbol's table turns into the order
//! templates' instrument (fixed-point price and quantity digits) and order
//! type.

use hotline_core::order::{self, Side, TimeInForce};
use hotline_core::venue::binance::{self, PlaceOrder};
use serde::Deserialize;

use super::{Problems, VenueKind, defaults};

/// Digits of a fixed-point field whose every value fits a `u64`.
const MAX_DECIMAL_DIGITS: u8 = 19;

/// `[instrument]`: the traded symbol. Prices are in ticks and quantities
/// in lot steps: the integers the order templates patch.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    /// Exchange symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Integer digits of `price`.
    pub price_int_digits: u8,
    /// Fraction digits of `price` (from the tick size).
    pub price_decimals: u8,
    /// Integer digits of `quantity`.
    pub qty_int_digits: u8,
    /// Fraction digits of `quantity` (from the lot size).
    pub qty_decimals: u8,
    /// Order type.
    pub order_type: OrderKind,
    /// Limit price in ticks; required by the limit types without
    /// `[market]`, refused otherwise.
    pub limit_price_ticks: Option<u64>,
    /// Price in ticks the risk gate values market orders at (notional =
    /// qty × price); required without `[market]`, refused with it.
    pub reference_price_ticks: Option<u64>,
    /// Digits of `newClientOrderId`, the idempotency key of an order.
    #[serde(default = "defaults::instrument_client_order_id_digits")]
    pub client_order_id_digits: u8,
}

/// Order type and time in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// `MARKET`.
    Market,
    /// `LIMIT_MAKER`.
    LimitMaker,
    /// `LIMIT` with `GTC`.
    LimitGtc,
    /// `LIMIT` with `IOC`.
    LimitIoc,
    /// `LIMIT` with `FOK`.
    LimitFok,
}

impl From<OrderKind> for order::OrderType {
    fn from(kind: OrderKind) -> Self {
        match kind {
            OrderKind::Market => Self::Market,
            OrderKind::LimitMaker => Self::LimitMaker,
            OrderKind::LimitGtc => Self::Limit(TimeInForce::Gtc),
            OrderKind::LimitIoc => Self::Limit(TimeInForce::Ioc),
            OrderKind::LimitFok => Self::Limit(TimeInForce::Fok),
        }
    }
}

impl Instrument {
    /// The instrument as the order templates take it.
    pub fn core(&self) -> order::Instrument<'_> {
        order::Instrument {
            symbol: &self.symbol,
            price: order::Decimal { int_digits: self.price_int_digits, decimals: self.price_decimals },
            quantity: order::Decimal { int_digits: self.qty_int_digits, decimals: self.qty_decimals },
        }
    }

    /// Buy orders of [`Instrument::core`] as the order template takes them,
    /// with client order ids of `client_order_id_digits` digits.
    pub fn place_order(&self) -> PlaceOrder<'_> {
        PlaceOrder {
            instrument: self.core(),
            side: Side::Buy,
            order_type: self.order_type.into(),
            resp_type: None,
            client_order_id: Some(self.client_order_id_digits),
        }
    }

    /// Largest quantity in steps the `quantity` field can carry.
    pub(super) fn max_qty(&self) -> u64 {
        largest(self.qty_int_digits.saturating_add(self.qty_decimals))
    }

    /// Largest price in ticks the `price` field can carry.
    fn max_price(&self) -> u64 {
        largest(self.price_int_digits.saturating_add(self.price_decimals))
    }

    /// Fixed prices: the limit price (limit types) and the reference price.
    pub fn fixed_prices(&self) -> (u64, u64) {
        (self.limit_price_ticks.unwrap_or(0), self.reference_price_ticks.unwrap_or(0))
    }

    /// `booked`: `[market]` prices every order from the live touch.
    pub(super) fn validate(&self, p: &mut Problems, booked: bool, venue: VenueKind) {
        match venue {
            VenueKind::Binance => p.require(
                (1..=20).contains(&self.symbol.len())
                    && self.symbol.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
                "instrument.symbol",
                "must be 1-20 characters A-Z or 0-9 (Binance's symbols, e.g. BTCUSDT)",
            ),
            // Coinbase's product ids: BASE-QUOTE.
            VenueKind::Coinbase => {
                let parts: Vec<&str> = self.symbol.split('-').collect();
                p.require(
                    parts.len() == 2
                        && parts.iter().all(|a| {
                            (1..=10).contains(&a.len())
                                && a.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                        }),
                    "instrument.symbol",
                    "must be a Coinbase product id BASE-QUOTE, e.g. BTC-USD",
                );
                p.require(
                    (1..=18).contains(&self.client_order_id_digits),
                    "instrument.client_order_id_digits",
                    "must be 1-18 with venue.kind = \"coinbase\" (the id rides in a UUID's last 15 hex digits)",
                );
                p.require(
                    !matches!(self.order_type, OrderKind::Market | OrderKind::LimitMaker),
                    "instrument.order_type",
                    "must be a limit with a time in force (limit_gtc, limit_ioc, limit_fok) on Coinbase FIX",
                );
            }
        }
        for (field, int, decimals) in [
            ("instrument.price", self.price_int_digits, self.price_decimals),
            ("instrument.qty", self.qty_int_digits, self.qty_decimals),
        ] {
            p.require(
                int >= 1 && int.saturating_add(decimals) <= MAX_DECIMAL_DIGITS,
                &format!("{field}_int_digits"),
                format_args!("must be >= 1, and with {field}_decimals at most {MAX_DECIMAL_DIGITS} digits"),
            );
        }
        let limit = !matches!(self.order_type, OrderKind::Market);
        const BOOKED: &str = "is not used: [market] prices every order from the live touch";
        match self.limit_price_ticks {
            Some(_) if booked => p.require(false, "instrument.limit_price_ticks", BOOKED),
            None => p.require(!limit || booked, "instrument.limit_price_ticks", "is required by a limit order_type"),
            Some(ticks) => {
                p.require(limit, "instrument.limit_price_ticks", "is not used by order_type = \"market\"");
                p.require(
                    ticks > 0 && ticks <= self.max_price(),
                    "instrument.limit_price_ticks",
                    "must be > 0 and fit the price digits",
                );
            }
        }
        match self.reference_price_ticks {
            Some(_) if booked => p.require(false, "instrument.reference_price_ticks", BOOKED),
            None => p.require(booked, "instrument.reference_price_ticks", "is required without [market]"),
            Some(ticks) => p.require(
                ticks > 0 && ticks <= self.max_price(),
                "instrument.reference_price_ticks",
                "must be > 0 and fit the price digits",
            ),
        }
        p.require(
            (1..=binance::REQUEST_ID_WIDTH).contains(&self.client_order_id_digits),
            "instrument.client_order_id_digits",
            format_args!("must be 1-{}", binance::REQUEST_ID_WIDTH),
        );
    }
}

/// `10^digits − 1`: the largest integer a fixed-point field of `digits`
/// digits carries.
fn largest(digits: u8) -> u64 {
    10u64.checked_pow(u32::from(digits)).map_or(u64::MAX, |p| p - 1)
}
