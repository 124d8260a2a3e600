//! The SBE `BestBidAskStreamEvent` (template 10001) of Binance's market data schema `stream_1_0.xml` (schema id 1,
//! version 0, little-endian; <https://github.com/binance/binance-spot-api-docs/blob/master/sbe/schemas/stream_1_0.xml>,
//! served as `<symbol>@bestBidAsk` per sbe-market-data-streams.md): an 8-byte message header, a 50-byte fixed block of
//! µs event time, book update id, price and quantity exponents and four i64 mantissas, then the symbol as a
//! `varString8`. [`BestBidAsk::emit`] writes it; the test-only `parse` reads it back as the exact mirror.

/// Byte ranges inside the message, header first, then the fixed block at [`HEADER_LEN`].
mod field {
    use std::ops::Range;

    pub(super) const BLOCK_LENGTH: Range<usize> = 0..2;
    pub(super) const TEMPLATE_ID: Range<usize> = 2..4;
    pub(super) const SCHEMA_ID: Range<usize> = 4..6;
    pub(super) const VERSION: Range<usize> = 6..8;

    pub(super) const EVENT_TIME: Range<usize> = 0..8;
    pub(super) const BOOK_UPDATE_ID: Range<usize> = 8..16;
    pub(super) const PRICE_EXPONENT: usize = 16;
    pub(super) const QTY_EXPONENT: usize = 17;
    pub(super) const BID_PRICE: Range<usize> = 18..26;
    pub(super) const BID_QTY: Range<usize> = 26..34;
    pub(super) const ASK_PRICE: Range<usize> = 34..42;
    pub(super) const ASK_QTY: Range<usize> = 42..50;
}

pub(crate) const HEADER_LEN: usize = 8;
pub(crate) const BLOCK_LENGTH: u16 = 50;
pub(crate) const TEMPLATE_ID: u16 = 10001;
pub(crate) const SCHEMA_ID: u16 = 1;
pub(crate) const VERSION: u16 = 0;

/// One best bid/ask event: the meaning of the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BestBidAsk<'a> {
    pub(crate) event_time_us: i64,
    pub(crate) book_update_id: i64,
    pub(crate) price_exponent: i8,
    pub(crate) qty_exponent: i8,
    pub(crate) bid_price: i64,
    pub(crate) bid_qty: i64,
    pub(crate) ask_price: i64,
    pub(crate) ask_qty: i64,
    /// At most 255 bytes of UTF-8 (`varString8`); longer symbols are cut.
    pub(crate) symbol: &'a str,
}

impl BestBidAsk<'_> {
    /// The whole message: header, fixed block, symbol.
    pub(crate) fn emit(&self) -> Vec<u8> {
        let symbol = &self.symbol.as_bytes()[..self.symbol.len().min(usize::from(u8::MAX))];
        let block = HEADER_LEN;
        let mut out = vec![0; HEADER_LEN + usize::from(BLOCK_LENGTH) + 1 + symbol.len()];
        out[field::BLOCK_LENGTH].copy_from_slice(&BLOCK_LENGTH.to_le_bytes());
        out[field::TEMPLATE_ID].copy_from_slice(&TEMPLATE_ID.to_le_bytes());
        out[field::SCHEMA_ID].copy_from_slice(&SCHEMA_ID.to_le_bytes());
        out[field::VERSION].copy_from_slice(&VERSION.to_le_bytes());
        let at = |range: std::ops::Range<usize>| block + range.start..block + range.end;
        out[at(field::EVENT_TIME)].copy_from_slice(&self.event_time_us.to_le_bytes());
        out[at(field::BOOK_UPDATE_ID)].copy_from_slice(&self.book_update_id.to_le_bytes());
        out[block + field::PRICE_EXPONENT] = self.price_exponent.to_le_bytes()[0];
        out[block + field::QTY_EXPONENT] = self.qty_exponent.to_le_bytes()[0];
        out[at(field::BID_PRICE)].copy_from_slice(&self.bid_price.to_le_bytes());
        out[at(field::BID_QTY)].copy_from_slice(&self.bid_qty.to_le_bytes());
        out[at(field::ASK_PRICE)].copy_from_slice(&self.ask_price.to_le_bytes());
        out[at(field::ASK_QTY)].copy_from_slice(&self.ask_qty.to_le_bytes());
        let var = block + usize::from(BLOCK_LENGTH);
        out[var] = symbol.len() as u8;
        out[var + 1..].copy_from_slice(symbol);
        out
    }
}

#[cfg(test)]
impl<'a> BestBidAsk<'a> {
    /// Reads a message `emit` wrote; `None` on any other header or a short buffer.
    fn parse(bytes: &'a [u8]) -> Option<BestBidAsk<'a>> {
        let u16_at = |range: std::ops::Range<usize>| Some(u16::from_le_bytes(bytes.get(range)?.try_into().ok()?));
        if u16_at(field::BLOCK_LENGTH)? != BLOCK_LENGTH
            || u16_at(field::TEMPLATE_ID)? != TEMPLATE_ID
            || u16_at(field::SCHEMA_ID)? != SCHEMA_ID
            || u16_at(field::VERSION)? != VERSION
        {
            return None;
        }
        let block = bytes.get(HEADER_LEN..HEADER_LEN + usize::from(BLOCK_LENGTH))?;
        let i64_at = |range: std::ops::Range<usize>| i64::from_le_bytes(block[range].try_into().expect("8 bytes"));
        let var = &bytes[HEADER_LEN + usize::from(BLOCK_LENGTH)..];
        let len = usize::from(*var.first()?);
        let symbol = std::str::from_utf8(var.get(1..1 + len)?).ok()?;
        Some(BestBidAsk {
            event_time_us: i64_at(field::EVENT_TIME),
            book_update_id: i64_at(field::BOOK_UPDATE_ID),
            price_exponent: i8::from_le_bytes([block[field::PRICE_EXPONENT]]),
            qty_exponent: i8::from_le_bytes([block[field::QTY_EXPONENT]]),
            bid_price: i64_at(field::BID_PRICE),
            bid_qty: i64_at(field::BID_QTY),
            ask_price: i64_at(field::ASK_PRICE),
            ask_qty: i64_at(field::ASK_QTY),
            symbol,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emit_and_parse_are_mirrors_and_btcusdt_is_66_bytes() {
        let event = BestBidAsk {
            event_time_us: 1_700_000_000_000_123,
            book_update_id: 42,
            price_exponent: -2,
            qty_exponent: -5,
            bid_price: 9_000_000,
            bid_qty: 200_000,
            ask_price: 9_000_001,
            ask_qty: 150_000,
            symbol: "BTCUSDT",
        };
        let bytes = event.emit();
        assert_eq!(bytes.len(), 66);
        assert_eq!(&bytes[..8], &[50, 0, 0x11, 0x27, 1, 0, 0, 0]);
        assert_eq!(bytes[8 + 16], 0xfe);
        assert_eq!(BestBidAsk::parse(&bytes), Some(event));
        assert_eq!(BestBidAsk::parse(&bytes[..57]), None);
    }
}
