//! Binance Spot's top-of-book streams (`docs/protocols/binance-market-data.md`):
//! the SBE `<symbol>@bestBidAsk` event (schema 1:0, template 10001) read
//! through a zero-copy view over the frame, and the JSON
//! `<symbol>@bookTicker` payload, its fallback when no Ed25519 key is
//! configured. Both become the neutral [`Touch`], in the instrument's
//! ticks and lots, exactly (a price off the tick grid is an error, never
//! rounded). The JSON stream's other messages (`serverShutdown`, answers to
//! requests) are told apart from tickers. The ticker, its fields and its
//! errors are every venue's (`venue::market`).

use crate::market::{Level, Touch};
use crate::order::Scale;
use crate::order::digits::scale_decimal;
use crate::venue::json::{Members, Value};
use crate::venue::market::{LEVEL_FIELDS, MarketError, SbeError, Ticker, TickerField, touch};

/// The SBE market-data schema hotline reads: `spot_stream`, id 1.
pub const SCHEMA_ID: u16 = 1;
/// `BestBidAskStreamEvent`'s template id.
pub const BEST_BID_ASK_TEMPLATE: u16 = 10001;
/// The SBE message header: blockLength, templateId, schemaId, version
/// (four little-endian `u16`).
pub const HEADER_LEN: usize = 8;
/// `BestBidAskStreamEvent`'s root block in schema version 0; later
/// versions may append fields, so the header's blockLength is honoured.
pub const BEST_BID_ASK_BLOCK: usize = 50;

/// Field offsets in the root block (SBE sequential layout, no padding).
mod field {
    use core::ops::Range;
    pub(super) const EVENT_TIME: Range<usize> = 0..8;
    pub(super) const BOOK_UPDATE_ID: Range<usize> = 8..16;
    pub(super) const PRICE_EXPONENT: usize = 16;
    pub(super) const QTY_EXPONENT: usize = 17;
    pub(super) const BID_PRICE: Range<usize> = 18..26;
    pub(super) const BID_QTY: Range<usize> = 26..34;
    pub(super) const ASK_PRICE: Range<usize> = 34..42;
    pub(super) const ASK_QTY: Range<usize> = 42..50;
}

/// A frame of the market-data connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketMessage<'a> {
    /// A top-of-book update.
    Ticker(Ticker<'a>),
    /// `serverShutdown`: reconnect now.
    ServerShutdown {
        /// Event time `E`.
        time: Option<u64>,
    },
    /// Anything else: an answer to a request, another event.
    Other,
}

fn le_u16(bytes: &[u8], at: usize) -> u16 {
    bytes.get(at..at + 2).and_then(|b| b.try_into().ok()).map_or(0, u16::from_le_bytes)
}

fn le_i64(bytes: &[u8], at: core::ops::Range<usize>) -> i64 {
    bytes.get(at).and_then(|b| b.try_into().ok()).map_or(0, i64::from_le_bytes)
}

/// The `symbol` varString8 after the root block the header announces.
fn symbol_of(frame: &[u8]) -> &[u8] {
    let at = HEADER_LEN + usize::from(le_u16(frame, 0));
    let len = frame.get(at).map_or(0, |&n| usize::from(n));
    frame.get(at + 1..at + 1 + len).unwrap_or_default()
}

/// A `BestBidAskStreamEvent` frame, read in place: header, root block
/// (whose length the header gives) and the `symbol` varString8. Built only
/// by [`BestBidAsk::new_checked`], so every accessor reads inside the frame.
#[derive(Debug, Clone, Copy)]
pub struct BestBidAsk<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> BestBidAsk<T> {
    /// Checks that `buffer` is a whole `BestBidAskStreamEvent` of schema 1
    /// (any version: a longer root block is skipped, as SBE's extension
    /// rules say).
    pub fn new_checked(buffer: T) -> Result<Self, SbeError> {
        let bytes = buffer.as_ref();
        if bytes.len() < HEADER_LEN {
            return Err(SbeError::Truncated);
        }
        let schema = le_u16(bytes, 4);
        if schema != SCHEMA_ID {
            return Err(SbeError::Schema(schema));
        }
        let template = le_u16(bytes, 2);
        if template != BEST_BID_ASK_TEMPLATE {
            return Err(SbeError::Template(template));
        }
        let block = le_u16(bytes, 0);
        if usize::from(block) < BEST_BID_ASK_BLOCK {
            return Err(SbeError::BlockLength(block));
        }
        let symbol_at = HEADER_LEN + usize::from(block);
        let symbol_len = usize::from(*bytes.get(symbol_at).ok_or(SbeError::Truncated)?);
        if bytes.len() < symbol_at + 1 + symbol_len {
            return Err(SbeError::Truncated);
        }
        Ok(Self { buffer })
    }

    fn block(&self) -> &[u8] {
        self.buffer.as_ref().get(HEADER_LEN..).unwrap_or_default()
    }

    /// The schema version the frame was encoded in.
    pub fn version(&self) -> u16 {
        le_u16(self.buffer.as_ref(), 6)
    }

    /// `eventTime`, µs.
    pub fn event_time_us(&self) -> i64 {
        le_i64(self.block(), field::EVENT_TIME)
    }

    /// `bookUpdateId`.
    pub fn book_update_id(&self) -> i64 {
        le_i64(self.block(), field::BOOK_UPDATE_ID)
    }

    /// `priceExponent`.
    pub fn price_exponent(&self) -> i8 {
        self.block().get(field::PRICE_EXPONENT).map_or(0, |&b| b as i8)
    }

    /// `qtyExponent`.
    pub fn qty_exponent(&self) -> i8 {
        self.block().get(field::QTY_EXPONENT).map_or(0, |&b| b as i8)
    }

    /// `bidPrice` mantissa.
    pub fn bid_price(&self) -> i64 {
        le_i64(self.block(), field::BID_PRICE)
    }

    /// `bidQty` mantissa.
    pub fn bid_qty(&self) -> i64 {
        le_i64(self.block(), field::BID_QTY)
    }

    /// `askPrice` mantissa.
    pub fn ask_price(&self) -> i64 {
        le_i64(self.block(), field::ASK_PRICE)
    }

    /// `askQty` mantissa.
    pub fn ask_qty(&self) -> i64 {
        le_i64(self.block(), field::ASK_QTY)
    }

    /// `symbol`'s bytes.
    pub fn symbol(&self) -> &[u8] {
        symbol_of(self.buffer.as_ref())
    }
}

impl<'a> BestBidAsk<&'a [u8]> {
    /// The event in the instrument's ticks and lots.
    pub fn ticker(&self, scale: Scale) -> Result<Ticker<'a>, MarketError> {
        let symbol =
            core::str::from_utf8(symbol_of(self.buffer)).map_err(|_| MarketError::Invalid(TickerField::Symbol))?;
        let update_id =
            u64::try_from(self.book_update_id()).map_err(|_| MarketError::Invalid(TickerField::UpdateId))?;
        let event_time_us =
            u64::try_from(self.event_time_us()).map_err(|_| MarketError::Invalid(TickerField::EventTime))?;
        let (pe, qe) = (self.price_exponent(), self.qty_exponent());
        let scaled =
            |m: i64, e: i8, d: u8, f: TickerField| scale_decimal(m, e, d).map_err(|e| MarketError::Decimal(f, e));
        let touch = Touch {
            update_id,
            bid: Level {
                price: scaled(self.bid_price(), pe, scale.price, TickerField::BidPrice)?,
                qty: scaled(self.bid_qty(), qe, scale.qty, TickerField::BidQty)?,
            },
            ask: Level {
                price: scaled(self.ask_price(), pe, scale.price, TickerField::AskPrice)?,
                qty: scaled(self.ask_qty(), qe, scale.qty, TickerField::AskQty)?,
            },
        };
        Ok(Ticker { symbol, event_time_us: Some(event_time_us), touch })
    }
}

/// A binary frame of the SBE stream: a `bestBidAsk` event.
pub fn decode_binary(frame: &[u8], scale: Scale) -> Result<Ticker<'_>, MarketError> {
    BestBidAsk::new_checked(frame)?.ticker(scale)
}

/// A text frame of either stream: a JSON `bookTicker` payload, a
/// `serverShutdown` event, or something else.
pub fn decode_text(frame: &[u8], scale: Scale) -> Result<MarketMessage<'_>, MarketError> {
    let mut update_id = None;
    let mut symbol = None;
    let mut levels: [Option<&[u8]>; 4] = [None; 4];
    let mut event: Option<&[u8]> = None;
    let mut time = None;
    for member in Members::new(frame)? {
        let (key, value) = member?;
        let slot = match key {
            b"u" => {
                update_id = Some(value.u64().ok_or(MarketError::Invalid(TickerField::UpdateId))?);
                continue;
            }
            b"s" => {
                symbol = Some(value.str().ok_or(MarketError::Invalid(TickerField::Symbol))?);
                continue;
            }
            b"e" => {
                event = Some(match value {
                    Value::Str(name) => name,
                    _ => b"",
                });
                continue;
            }
            b"E" => {
                time = value.u64();
                continue;
            }
            b"b" => 0,
            b"B" => 1,
            b"a" => 2,
            b"A" => 3,
            _ => continue,
        };
        let Value::Str(text) = value else {
            return Err(MarketError::Invalid(LEVEL_FIELDS.get(slot).copied().unwrap_or(TickerField::BidPrice)));
        };
        if let Some(level) = levels.get_mut(slot) {
            *level = Some(text);
        }
    }
    match event {
        Some(b"serverShutdown") => return Ok(MarketMessage::ServerShutdown { time }),
        Some(_) => return Ok(MarketMessage::Other),
        None => {}
    }
    let Some(update_id) = update_id else {
        // Not a ticker: the answer to a request (`{"result":null,"id":1}`).
        return if symbol.is_none() && levels.iter().all(Option::is_none) {
            Ok(MarketMessage::Other)
        } else {
            Err(MarketError::Missing(TickerField::UpdateId))
        };
    };
    let symbol = symbol.ok_or(MarketError::Missing(TickerField::Symbol))?;
    let touch = touch(update_id, levels, scale)?;
    Ok(MarketMessage::Ticker(Ticker { symbol, event_time_us: None, touch }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::DecimalError;

    /// `docs/protocols/binance-market-data.md`: the documented payload.
    const BOOK_TICKER: &[u8] =
        br#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#;
    const BNB: Scale = Scale { price: 4, qty: 2 };

    /// The same update as an SBE frame, built field by field.
    fn sbe_frame(block: u16, symbol: &[u8]) -> heapless::Vec<u8, 300> {
        let mut f = heapless::Vec::new();
        for v in [block, BEST_BID_ASK_TEMPLATE, SCHEMA_ID, 0] {
            f.extend_from_slice(&v.to_le_bytes()).unwrap();
        }
        f.extend_from_slice(&1_700_000_000_123_456i64.to_le_bytes()).unwrap();
        f.extend_from_slice(&400_900_217i64.to_le_bytes()).unwrap();
        f.extend_from_slice(&[(-8i8) as u8, (-8i8) as u8]).unwrap();
        for m in [2_535_190_000i64, 3_121_000_000, 2_536_520_000, 4_066_000_000] {
            f.extend_from_slice(&m.to_le_bytes()).unwrap();
        }
        for _ in BEST_BID_ASK_BLOCK..usize::from(block) {
            f.push(0xee).unwrap();
        }
        f.push(symbol.len() as u8).unwrap();
        f.extend_from_slice(symbol).unwrap();
        f
    }

    fn expected() -> Touch {
        Touch {
            update_id: 400_900_217,
            bid: Level { price: 253_519, qty: 3_121 },
            ask: Level { price: 253_652, qty: 4_066 },
        }
    }

    #[test]
    fn the_documented_book_ticker() {
        let MarketMessage::Ticker(t) = decode_text(BOOK_TICKER, BNB).unwrap() else { panic!("not a ticker") };
        assert_eq!(t.symbol, "BNBUSDT");
        assert_eq!(t.event_time_us, None);
        assert_eq!(t.touch, expected());
        // Too coarse a grid for the venue's price is an error, not a rounding.
        assert_eq!(
            decode_text(BOOK_TICKER, Scale { price: 2, qty: 2 }),
            Err(MarketError::Decimal(TickerField::BidPrice, DecimalError::OffGrid))
        );
    }

    #[test]
    fn sbe_and_json_agree() {
        let frame = sbe_frame(50, b"BNBUSDT");
        assert_eq!(frame.len(), 66);
        let t = decode_binary(&frame, BNB).unwrap();
        assert_eq!(t.symbol, "BNBUSDT");
        assert_eq!(t.event_time_us, Some(1_700_000_000_123_456));
        assert_eq!(t.touch, expected());
        // A later schema version with a longer root block still reads.
        let longer = sbe_frame(58, b"BNBUSDT");
        assert_eq!(decode_binary(&longer, BNB).unwrap().touch, expected());
    }

    #[test]
    fn sbe_frames_are_checked() {
        let frame = sbe_frame(50, b"BNBUSDT");
        for end in 0..frame.len() {
            assert_eq!(decode_binary(&frame[..end], BNB), Err(MarketError::Sbe(SbeError::Truncated)), "{end}");
        }
        let mut other = frame.clone();
        other[4] = 3;
        assert_eq!(decode_binary(&other, BNB), Err(MarketError::Sbe(SbeError::Schema(3))));
        let mut other = frame.clone();
        other[2..4].copy_from_slice(&10_000u16.to_le_bytes());
        assert_eq!(decode_binary(&other, BNB), Err(MarketError::Sbe(SbeError::Template(10_000))));
        let mut other = frame.clone();
        other[0] = 49;
        assert_eq!(decode_binary(&other, BNB), Err(MarketError::Sbe(SbeError::BlockLength(49))));
        let mut other = frame.clone();
        other[8 + 18..8 + 26].copy_from_slice(&(-1i64).to_le_bytes());
        assert_eq!(
            decode_binary(&other, BNB),
            Err(MarketError::Decimal(TickerField::BidPrice, DecimalError::Negative))
        );
        let mut other = frame.clone();
        other[8 + 8..8 + 16].copy_from_slice(&(-1i64).to_le_bytes());
        assert_eq!(decode_binary(&other, BNB), Err(MarketError::Invalid(TickerField::UpdateId)));
        let bad_utf8 = sbe_frame(50, &[0xff, 0xfe]);
        assert_eq!(decode_binary(&bad_utf8, BNB), Err(MarketError::Invalid(TickerField::Symbol)));
    }

    #[test]
    fn every_json_prefix_is_an_error() {
        for end in 0..BOOK_TICKER.len() {
            assert!(decode_text(&BOOK_TICKER[..end], BNB).is_err(), "{end}");
        }
    }

    #[test]
    fn other_messages_are_told_apart() {
        assert_eq!(
            decode_text(br#"{"e":"serverShutdown","E":1710000000000}"#, BNB),
            Ok(MarketMessage::ServerShutdown { time: Some(1_710_000_000_000) })
        );
        assert_eq!(decode_text(br#"{"result":null,"id":1}"#, BNB), Ok(MarketMessage::Other));
        assert_eq!(decode_text(br#"{"e":"trade","E":1}"#, BNB), Ok(MarketMessage::Other));
    }

    #[test]
    fn hostile_tickers_name_the_field() {
        let cases: [(&[u8], MarketError); 7] = [
            (br#"{"s":"X","b":"1","B":"1","a":"1","A":"1"}"#, MarketError::Missing(TickerField::UpdateId)),
            (br#"{"u":1,"b":"1","B":"1","a":"1","A":"1"}"#, MarketError::Missing(TickerField::Symbol)),
            (br#"{"u":1,"s":"X","b":"1","B":"1","a":"1"}"#, MarketError::Missing(TickerField::AskQty)),
            (br#"{"u":-1,"s":"X","b":"1","B":"1","a":"1","A":"1"}"#, MarketError::Invalid(TickerField::UpdateId)),
            (br#"{"u":1,"s":"X","b":1,"B":"1","a":"1","A":"1"}"#, MarketError::Invalid(TickerField::BidPrice)),
            (
                br#"{"u":1,"s":"X","b":"1","B":"-1","a":"1","A":"1"}"#,
                MarketError::Decimal(TickerField::BidQty, DecimalError::Negative),
            ),
            (
                br#"{"u":1,"s":"X","b":"1","B":"1","a":"99999999999999999999","A":"1"}"#,
                MarketError::Decimal(TickerField::AskPrice, DecimalError::Overflow),
            ),
        ];
        for (frame, error) in cases {
            assert_eq!(decode_text(frame, BNB), Err(error), "{}", core::str::from_utf8(frame).unwrap());
        }
    }
}
