//! Harness for the top-of-book codecs: Binance's SBE `bestBidAsk` view
//! and JSON `bookTicker` reader, and Coinbase's WebSocket feed reader.

use hotline_core::order::Scale;
use hotline_core::venue::binance::{
    BestBidAsk, HEADER_LEN, MarketError, MarketMessage, SbeError, decode_market_binary, decode_market_text,
};
use hotline_core::venue::coinbase::market::{FeedMessage, decode as decode_coinbase};

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

/// Whether `text` lies inside `frame`: what a zero-copy reader returns.
fn within(text: &str, frame: &[u8]) -> bool {
    let (start, end) = (frame.as_ptr() as usize, frame.as_ptr() as usize + frame.len());
    let at = text.as_ptr() as usize;
    at >= start && at + text.len() <= end
}

/// Decodes one text frame. A decoded ticker's symbol is a view into the frame,
/// and the frame's strict prefixes never decode.
pub fn binance_book_ticker(data: &[u8]) {
    let scale = scale(data);
    let Ok(message) = decode_market_text(data, scale) else { return };
    if let MarketMessage::Ticker(t) = message {
        assert!(within(t.symbol, data), "the symbol is a view into the frame");
    }
    for cut in crate::json_cuts(data) {
        assert!(decode_market_text(&data[..cut], scale).is_err(), "prefix {cut} of a frame decoded");
    }
}

/// Decodes one message of Coinbase's feed. A ticker's product id and an
/// error's texts are views into the frame, a ticker reads the same on a
/// grid one digit finer (ten times the steps, exactly), and the frame's
/// strict prefixes never decode.
pub fn coinbase_ticker(data: &[u8]) {
    let scale = scale(data);
    let Ok(message) = decode_coinbase(data, scale) else { return };
    match message {
        FeedMessage::Ticker(t) => {
            assert!(within(t.symbol, data), "the product id is a view into the frame");
            let finer = Scale { price: scale.price + 1, qty: scale.qty + 1 };
            if let Ok(FeedMessage::Ticker(f)) = decode_coinbase(data, finer) {
                let tenfold = |l: hotline_core::market::Level| (l.price * 10, l.qty * 10);
                assert_eq!(
                    (tenfold(t.touch.bid), tenfold(t.touch.ask)),
                    ((f.touch.bid.price, f.touch.bid.qty), (f.touch.ask.price, f.touch.ask.qty))
                );
            }
        }
        FeedMessage::Error { message, reason } => {
            assert!(within(message, data) && reason.is_none_or(|r| within(r, data)), "the texts are views");
        }
        FeedMessage::Subscriptions | FeedMessage::Heartbeat | FeedMessage::Other => {}
    }
    for cut in crate::json_cuts(data) {
        assert!(decode_coinbase(&data[..cut], scale).is_err(), "prefix {cut} of a frame decoded");
    }
}
