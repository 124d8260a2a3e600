//! Harness for Binance's top-of-book codecs: the SBE `bestBidAsk` view and
//! the JSON `bookTicker` reader.

use hotline_core::order::Scale;
use hotline_core::venue::binance::{
    BestBidAsk, HEADER_LEN, MarketError, MarketMessage, SbeError, decode_market_binary, decode_market_text,
};

/// The instrument's grid, picked by the input's first byte, so that every
/// tick and lot size from 1 to 10^-8 is tried.
fn scale(data: &[u8]) -> Scale {
    let b = data.first().copied().unwrap_or(0);
    Scale { price: b % 9, qty: (b / 9) % 9 }
}

/// Decodes one binary frame. A decoded event must read the same through
/// the view's accessors; every cut before the end of its symbol is
/// truncated, and every cut after it (bytes a later version may append)
/// decodes to the same event.
pub fn binance_sbe(data: &[u8]) {
    let scale = scale(data);
    let Ok(ticker) = decode_market_binary(data, scale) else { return };
    let view = BestBidAsk::new_checked(data).expect("a decoded frame is a whole frame");
    assert_eq!(ticker.symbol.as_bytes(), view.symbol());
    assert_eq!(ticker.touch.update_id, view.book_update_id() as u64);
    let block = usize::from(u16::from_le_bytes([data[0], data[1]]));
    let whole = HEADER_LEN + block + 1 + view.symbol().len();
    for cut in 0..data.len() {
        let prefix = decode_market_binary(&data[..cut], scale);
        if cut < whole {
            assert_eq!(prefix, Err(MarketError::Sbe(SbeError::Truncated)), "prefix {cut}");
        } else {
            assert_eq!(prefix, Ok(ticker), "prefix {cut}");
        }
    }
}

/// Decodes one text frame. A decoded ticker's symbol is a view into the frame,
/// and the frame's strict prefixes never decode.
pub fn binance_book_ticker(data: &[u8]) {
    let scale = scale(data);
    let Ok(message) = decode_market_text(data, scale) else { return };
    if let MarketMessage::Ticker(t) = message {
        let (start, end) = (data.as_ptr() as usize, data.as_ptr() as usize + data.len());
        let symbol = t.symbol.as_ptr() as usize;
        assert!(symbol >= start && symbol + t.symbol.len() <= end, "the symbol is a view into the frame");
    }
    for cut in crate::json_cuts(data) {
        assert!(decode_market_text(&data[..cut], scale).is_err(), "prefix {cut} of a frame decoded");
    }
}
