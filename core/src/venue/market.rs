//! What every venue's top-of-book codec turns its messages into
//! (`docs/market-data.md`): a [`Ticker`] holding the neutral
//! [`Touch`](crate::market::Touch), in the instrument's ticks and lots
//! exactly (a price off the tick grid is an error, never rounded), or a
//! [`MarketError`] naming the field at fault. Binance's `bookTicker` and
//! `bestBidAsk` (`binance/market.rs`) and Coinbase's `ticker` channel
//! (`coinbase/market.rs`) share these, and the four decimal levels are
//! read into a touch here, once.

use crate::market::{Level, Touch};
use crate::order::Scale;
use crate::order::digits::{DecimalError, read_decimal};
use crate::venue::json::JsonError;

/// A field of a market-data message, as named in errors. Each venue's
/// name for it is in brackets: Binance JSON, Binance SBE, Coinbase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickerField {
    /// The order-book update id (`u`, `bookUpdateId`, `sequence`).
    UpdateId,
    /// The symbol (`s`, `symbol`, `product_id`).
    Symbol,
    /// Best bid price (`b`, `bidPrice`, `best_bid`).
    BidPrice,
    /// Best bid quantity (`B`, `bidQty`, `best_bid_size`).
    BidQty,
    /// Best ask price (`a`, `askPrice`, `best_ask`).
    AskPrice,
    /// Best ask quantity (`A`, `askQty`, `best_ask_size`).
    AskQty,
    /// The event time (`eventTime`).
    EventTime,
    /// What kind of message it is (Coinbase's `type`).
    Type,
    /// An error message's text (Coinbase's `message`).
    Message,
    /// An error message's cause (Coinbase's `reason`).
    Reason,
}

/// Why an SBE frame is not the message expected (header, root block and
/// variable-length data, as the schema lays them out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbeError {
    /// The frame ends before the header, the root block or the symbol.
    Truncated,
    /// Another schema: its id.
    Schema(u16),
    /// Another message of the schema: its template id.
    Template(u16),
    /// A root block shorter than version 0's.
    BlockLength(u16),
}

/// Why a market-data frame could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketError {
    /// A binary frame that is not a readable SBE `bestBidAsk` event.
    Sbe(SbeError),
    /// A text frame that is not one JSON object.
    Json(JsonError),
    /// A message without this field.
    Missing(TickerField),
    /// This field appears twice.
    Duplicate(TickerField),
    /// This field is of the wrong type, negative, or not UTF-8.
    Invalid(TickerField),
    /// This price or quantity is not a whole number of the instrument's
    /// ticks or lots, or too large.
    Decimal(TickerField, DecimalError),
}

impl From<SbeError> for MarketError {
    fn from(e: SbeError) -> Self {
        Self::Sbe(e)
    }
}

impl From<JsonError> for MarketError {
    fn from(e: JsonError) -> Self {
        Self::Json(e)
    }
}

/// One top-of-book update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticker<'a> {
    /// The symbol it is for, as written.
    pub symbol: &'a str,
    /// Venue event time in µs (Binance's SBE only: the JSON messages carry
    /// none, or only as text).
    pub event_time_us: Option<u64>,
    /// The best bid and ask.
    pub touch: Touch,
}

/// Bid price, bid quantity, ask price, ask quantity: the order
/// [`touch`] takes the levels in.
pub(crate) const LEVEL_FIELDS: [TickerField; 4] =
    [TickerField::BidPrice, TickerField::BidQty, TickerField::AskPrice, TickerField::AskQty];

/// The touch of update `update_id` from its four decimal levels as
/// written (in [`LEVEL_FIELDS`] order), each exactly on the instrument's
/// grid; an absent level is an error naming it.
pub(crate) fn touch(update_id: u64, levels: [Option<&[u8]>; 4], scale: Scale) -> Result<Touch, MarketError> {
    let mut values = [0u64; 4];
    let grids = [scale.price, scale.qty, scale.price, scale.qty];
    for ((out, text), (field, decimals)) in values.iter_mut().zip(levels).zip(LEVEL_FIELDS.into_iter().zip(grids)) {
        let text = text.ok_or(MarketError::Missing(field))?;
        *out = read_decimal(text, decimals).map_err(|e| MarketError::Decimal(field, e))?;
    }
    let [bid_price, bid_qty, ask_price, ask_qty] = values;
    Ok(Touch {
        update_id,
        bid: Level { price: bid_price, qty: bid_qty },
        ask: Level { price: ask_price, qty: ask_qty },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_read_in_order_and_named_when_bad() {
        let scale = Scale { price: 2, qty: 3 };
        let levels = [Some(&b"1.25"[..]), Some(b"0.5"), Some(b"1.30"), Some(b"2")];
        let t = touch(9, levels, scale).unwrap();
        assert_eq!((t.update_id, t.bid, t.ask), (9, Level { price: 125, qty: 500 }, Level { price: 130, qty: 2_000 }));
        let mut missing = levels;
        missing[3] = None;
        assert_eq!(touch(9, missing, scale), Err(MarketError::Missing(TickerField::AskQty)));
        let mut fine = levels;
        fine[0] = Some(b"1.255");
        assert_eq!(touch(9, fine, scale), Err(MarketError::Decimal(TickerField::BidPrice, DecimalError::OffGrid)));
    }
}
