//! The venue-neutral order vocabulary that strategy, risk, the engine and
//! every venue share: side, order type, time in force, and an instrument's
//! fixed-point layout (tick and lot size). Prices are integers of the
//! instrument's ticks and quantities integers of its lots everywhere in the
//! core; a venue turns them into its own wire text (`digits.rs` writes them
//! into fixed-width slots without `core::fmt`).

pub(crate) mod digits;

pub use digits::{DecimalError, Overflow, read_decimal};

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

impl Side {
    /// 0 for a buy, 1 for a sell: an index into per-side tables.
    pub fn index(self) -> usize {
        match self {
            Self::Buy => 0,
            Self::Sell => 1,
        }
    }
}

/// What kind of order (and what it implies for price and time in force).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderType {
    /// A limit order: price and time in force.
    Limit(TimeInForce),
    /// A post-only limit order: price, no time in force.
    LimitMaker,
    /// A market order: quantity only.
    Market,
}

impl OrderType {
    /// Whether the order carries a limit price.
    pub fn is_priced(self) -> bool {
        !matches!(self, Self::Market)
    }
}

/// How long a limit order may rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeInForce {
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
}

/// A fixed-point field: from the exchange's tick or lot size, `decimals`
/// fraction digits; `int_digits` integer digits bound the largest value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    /// Integer digits (zero-padded).
    pub int_digits: u8,
    /// Fraction digits.
    pub decimals: u8,
}

impl Decimal {
    /// Characters the value takes on the wire: the integer digits, and the
    /// point and fraction digits when there are any.
    pub fn width(self) -> u8 {
        if self.decimals == 0 {
            self.int_digits
        } else {
            self.int_digits.saturating_add(self.decimals).saturating_add(1)
        }
    }
}

/// The fraction digits of an instrument's ticks and lots: what a venue's
/// decimal text or mantissa is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    /// Fraction digits of a price (one tick is 10^-`price`).
    pub price: u8,
    /// Fraction digits of a quantity (one lot is 10^-`qty`).
    pub qty: u8,
}

/// An instrument's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instrument<'a> {
    /// The venue's symbol, e.g. `BTCUSDT`.
    pub symbol: &'a str,
    /// `price` layout (tick size).
    pub price: Decimal,
    /// `quantity` layout (lot size).
    pub quantity: Decimal,
}

impl Instrument<'_> {
    /// What prices and quantities are counted in.
    pub fn scale(&self) -> Scale {
        Scale { price: self.price.decimals, qty: self.quantity.decimals }
    }
}
