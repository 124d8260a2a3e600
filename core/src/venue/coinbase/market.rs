//! Coinbase Exchange's WebSocket feed (`docs/market-data.md` §Coinbase;
//! Coinbase's "Exchange WebSocket Overview" and "Exchange WebSocket
//! Channels" pages): the `subscribe` request for one product's `ticker`
//! channel, rendered once, and the feed's JSON messages read without
//! copying. A `ticker` becomes the neutral [`Ticker`]: `sequence` is the
//! update id, `product_id` the symbol, and `best_bid`, `best_bid_size`,
//! `best_ask`, `best_ask_size` the touch in the instrument's ticks and
//! lots. `subscriptions` (the answer to a subscribe), `heartbeat` and
//! `error` are told apart; any other `type` is [`FeedMessage::Other`], as
//! the feed may add types at any time. Members are read in any order and
//! unknown ones skipped; a missing, repeated or mistyped member the
//! message needs is an error that names it.

// Every byte here comes from the network: indexing, unwrapping and
// panicking are refused outright, not merely avoided.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use crate::order::Scale;
use crate::venue::json::{Members, Value};
use crate::venue::market::{LEVEL_FIELDS, MarketError, Ticker, TickerField, touch};
use MarketError::{Duplicate, Invalid, Missing};

/// The longest product id hotline subscribes to (Coinbase's are
/// `BASE-QUOTE`, a few letters each).
pub const MAX_PRODUCT_ID: usize = 32;
/// The longest subscribe request: the fixed text and the product id.
pub const SUBSCRIBE_CAP: usize = SUBSCRIBE_HEAD.len() + MAX_PRODUCT_ID + SUBSCRIBE_TAIL.len();

const SUBSCRIBE_HEAD: &[u8] = br#"{"type":"subscribe","product_ids":[""#;
const SUBSCRIBE_TAIL: &[u8] = br#""],"channels":["ticker"]}"#;

/// A rendered subscribe request: one text message.
pub type Subscribe = heapless::Vec<u8, SUBSCRIBE_CAP>;

/// The product id cannot be subscribed to: empty, longer than
/// [`MAX_PRODUCT_ID`], or holding a byte other than an ASCII letter, digit
/// or `-` (nothing in it may need a JSON escape).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductIdError;

/// `{"type":"subscribe","product_ids":[<product_id>],"channels":["ticker"]}`:
/// the request the feed needs within 5 s of the upgrade, or it closes the
/// connection.
pub fn subscribe(product_id: &str) -> Result<Subscribe, ProductIdError> {
    let id = product_id.as_bytes();
    let plain = id.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-');
    if id.is_empty() || id.len() > MAX_PRODUCT_ID || !plain {
        return Err(ProductIdError);
    }
    let mut out = Subscribe::new();
    for part in [SUBSCRIBE_HEAD, id, SUBSCRIBE_TAIL] {
        out.extend_from_slice(part).map_err(|_| ProductIdError)?;
    }
    Ok(out)
}

/// One message of the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedMessage<'a> {
    /// A `ticker`: the touch after a match.
    Ticker(Ticker<'a>),
    /// `subscriptions`: the channels the connection is subscribed to now.
    Subscriptions,
    /// `heartbeat`: the channel's once-a-second sign of life.
    Heartbeat,
    /// `error`: the feed refused a request or is dropping the connection.
    Error {
        /// `message`, escapes as written.
        message: &'a str,
        /// `reason`, when given.
        reason: Option<&'a str>,
    },
    /// A `type` hotline does not read.
    Other,
}

/// The members a message of the feed is read by, by field.
#[derive(Default)]
struct Read<'a> {
    kind: Option<Value<'a>>,
    sequence: Option<Value<'a>>,
    product_id: Option<Value<'a>>,
    levels: [Option<Value<'a>>; 4],
    message: Option<Value<'a>>,
    reason: Option<Value<'a>>,
}

impl<'a> Read<'a> {
    fn slot(&mut self, key: &[u8]) -> Option<(&mut Option<Value<'a>>, TickerField)> {
        let [bid, bid_size, ask, ask_size] = &mut self.levels;
        let [f_bid, f_bid_size, f_ask, f_ask_size] = LEVEL_FIELDS;
        Some(match key {
            b"type" => (&mut self.kind, TickerField::Type),
            b"sequence" => (&mut self.sequence, TickerField::UpdateId),
            b"product_id" => (&mut self.product_id, TickerField::Symbol),
            b"best_bid" => (bid, f_bid),
            b"best_bid_size" => (bid_size, f_bid_size),
            b"best_ask" => (ask, f_ask),
            b"best_ask_size" => (ask_size, f_ask_size),
            b"message" => (&mut self.message, TickerField::Message),
            b"reason" => (&mut self.reason, TickerField::Reason),
            _ => return None,
        })
    }
}

/// A string member, or the error naming it.
fn text<'a>(value: Option<Value<'a>>, field: TickerField) -> Result<&'a str, MarketError> {
    value.ok_or(Missing(field))?.str().ok_or(Invalid(field))
}

/// Decodes one text message of the feed, with prices and sizes on
/// `scale`'s grid.
pub fn decode(frame: &[u8], scale: Scale) -> Result<FeedMessage<'_>, MarketError> {
    let mut read = Read::default();
    for member in Members::new(frame)? {
        let (key, value) = member?;
        if let Some((slot, field)) = read.slot(key)
            && slot.replace(value).is_some()
        {
            return Err(Duplicate(field));
        }
    }
    let Value::Str(kind) = read.kind.ok_or(Missing(TickerField::Type))? else {
        return Err(Invalid(TickerField::Type));
    };
    match kind {
        b"ticker" => {}
        b"subscriptions" => return Ok(FeedMessage::Subscriptions),
        b"heartbeat" => return Ok(FeedMessage::Heartbeat),
        b"error" => {
            let message = text(read.message, TickerField::Message)?;
            let reason = read.reason.map(|r| text(Some(r), TickerField::Reason)).transpose()?;
            return Ok(FeedMessage::Error { message, reason });
        }
        _ => return Ok(FeedMessage::Other),
    }
    let update_id = read.sequence.ok_or(Missing(TickerField::UpdateId))?.u64().ok_or(Invalid(TickerField::UpdateId))?;
    let symbol = text(read.product_id, TickerField::Symbol)?;
    let mut levels: [Option<&[u8]>; 4] = [None; 4];
    for ((level, value), field) in levels.iter_mut().zip(read.levels).zip(LEVEL_FIELDS) {
        *level = match value {
            Some(Value::Str(decimal)) => Some(decimal),
            Some(_) => return Err(Invalid(field)),
            None => None,
        };
    }
    let touch = touch(update_id, levels, scale)?;
    Ok(FeedMessage::Ticker(Ticker { symbol, event_time_us: None, touch }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::{Level, Touch};
    use crate::order::DecimalError;
    use crate::venue::json::JsonError;

    /// The ticker channel's example on Coinbase's "Exchange WebSocket
    /// Channels" page (https://docs.cdp.coinbase.com/exchange/websocket-feed/channels),
    /// member for member.
    const DOCUMENTED: &str = r#"{
  "type": "ticker",
  "sequence": 37475248783,
  "product_id": "ETH-USD",
  "price": "1285.22",
  "open_24h": "1310.79",
  "volume_24h": "245532.79269678",
  "low_24h": "1280.52",
  "high_24h": "1313.8",
  "volume_30d": "9788783.60117027",
  "best_bid": "1285.04",
  "best_bid_size": "0.46688654",
  "best_ask": "1285.27",
  "best_ask_size": "1.56637040",
  "side": "buy",
  "time": "2022-10-19T23:28:22.061769Z",
  "trade_id": 370843401,
  "last_size": "11.4396987"
}"#;
    /// ETH-USD: prices to the cent, sizes to 10^-8.
    const ETH: Scale = Scale { price: 2, qty: 8 };

    fn documented_touch() -> Touch {
        Touch {
            update_id: 37_475_248_783,
            bid: Level { price: 128_504, qty: 46_688_654 },
            ask: Level { price: 128_527, qty: 156_637_040 },
        }
    }

    #[test]
    fn the_documented_ticker() {
        let FeedMessage::Ticker(t) = decode(DOCUMENTED.as_bytes(), ETH).unwrap() else { panic!("not a ticker") };
        assert_eq!((t.symbol, t.event_time_us, t.touch), ("ETH-USD", None, documented_touch()));
        // A grid too coarse for the venue's sizes is an error, not a rounding.
        assert_eq!(
            decode(DOCUMENTED.as_bytes(), Scale { price: 2, qty: 6 }),
            Err(MarketError::Decimal(TickerField::BidQty, DecimalError::OffGrid))
        );
    }

    #[test]
    fn every_prefix_is_an_error() {
        let end = DOCUMENTED.trim_end().len();
        for cut in 0..end {
            assert!(decode(&DOCUMENTED.as_bytes()[..cut], ETH).is_err(), "prefix {cut}");
        }
    }

    #[test]
    fn the_other_documented_messages_are_told_apart() {
        // Shaped as the overview's subscriptions answer, the channels page's
        // heartbeat, and an error with the cause Coinbase adds.
        let subscriptions = r#"{"type":"subscriptions","channels":[{"name":"ticker","product_ids":["ETH-USD"]}]}"#;
        assert_eq!(decode(subscriptions.as_bytes(), ETH), Ok(FeedMessage::Subscriptions));
        let heartbeat = r#"{"type":"heartbeat","sequence":90,"last_trade_id":20,"product_id":"BTC-USD","time":"2014-11-07T08:19:28.464459Z"}"#;
        assert_eq!(decode(heartbeat.as_bytes(), ETH), Ok(FeedMessage::Heartbeat));
        let error = r#"{"type":"error","message":"Failed to subscribe","reason":"BTC-USDX is not a valid product"}"#;
        assert_eq!(
            decode(error.as_bytes(), ETH),
            Ok(FeedMessage::Error { message: "Failed to subscribe", reason: Some("BTC-USDX is not a valid product") })
        );
        assert_eq!(
            decode(br#"{"type":"error","message":"error message"}"#, ETH),
            Ok(FeedMessage::Error { message: "error message", reason: None })
        );
        // The feed may add types at any time.
        assert_eq!(decode(br#"{"type":"l2update","product_id":"ETH-USD","changes":[]}"#, ETH), Ok(FeedMessage::Other));
    }

    #[test]
    fn bad_members_are_named() {
        let cases: [(&str, MarketError); 14] = [
            (
                r#"{"type":"ticker","sequence":1,"product_id":"X","best_bid":"1","best_bid_size":"1","best_ask":"2"}"#,
                Missing(TickerField::AskQty),
            ),
            (
                r#"{"type":"ticker","sequence":1,"product_id":"X","best_bid":"1","best_bid_size":"1","best_ask":"2","best_ask_size":2}"#,
                Invalid(TickerField::AskQty),
            ),
            (
                r#"{"type":"ticker","sequence":-1,"product_id":"X","best_bid":"1","best_bid_size":"1","best_ask":"2","best_ask_size":"2"}"#,
                Invalid(TickerField::UpdateId),
            ),
            (
                r#"{"type":"ticker","sequence":"1","product_id":"X","best_bid":"1","best_bid_size":"1","best_ask":"2","best_ask_size":"2"}"#,
                Invalid(TickerField::UpdateId),
            ),
            (
                r#"{"type":"ticker","product_id":"X","best_bid":"1","best_bid_size":"1","best_ask":"2","best_ask_size":"2"}"#,
                Missing(TickerField::UpdateId),
            ),
            (
                r#"{"type":"ticker","sequence":1,"product_id":"X","best_bid":"1","best_bid_size":"1","best_ask":"2","best_ask_size":"2","best_bid":"1"}"#,
                Duplicate(TickerField::BidPrice),
            ),
            (
                r#"{"type":"ticker","sequence":1,"product_id":"X","best_bid":"1","best_bid_size":"1","best_ask":"2","best_ask_size":"-2"}"#,
                MarketError::Decimal(TickerField::AskQty, DecimalError::Negative),
            ),
            (
                r#"{"type":"ticker","sequence":1,"best_bid":"1","best_bid_size":"1","best_ask":"2","best_ask_size":"2"}"#,
                Missing(TickerField::Symbol),
            ),
            (
                r#"{"type":"ticker","sequence":1,"product_id":7,"best_bid":"1","best_bid_size":"1","best_ask":"2","best_ask_size":"2"}"#,
                Invalid(TickerField::Symbol),
            ),
            (r#"{"product_id":"ETH-USD"}"#, Missing(TickerField::Type)),
            (r#"{"type":7}"#, Invalid(TickerField::Type)),
            (r#"{"type":"error"}"#, Missing(TickerField::Message)),
            (r#"{"type":"error","message":"x","reason":null}"#, Invalid(TickerField::Reason)),
            (r#"{"type":"heartbeat","type":"ticker"}"#, Duplicate(TickerField::Type)),
        ];
        for (frame, error) in cases {
            assert_eq!(decode(frame.as_bytes(), Scale { price: 2, qty: 0 }), Err(error), "{frame}");
        }
        assert_eq!(decode(br#"["ticker"]"#, ETH), Err(MarketError::Json(JsonError::Syntax)));
    }

    #[test]
    fn the_subscribe_request_names_the_product_and_the_channel() {
        let request = subscribe("BTC-USD").unwrap();
        assert_eq!(&request[..], br#"{"type":"subscribe","product_ids":["BTC-USD"],"channels":["ticker"]}"#);
        let longest = "ABCDEFGHIJKLMNOPQRSTUVWXYZ-01234";
        assert_eq!(subscribe(longest).unwrap().len(), SUBSCRIBE_CAP);
        for bad in ["", "BTC\"USD", "BTC\\USD", "BTC USD", "BTC-ÜSD", "ABCDEFGHIJKLMNOPQRSTUVWXYZ-012345"] {
            assert_eq!(subscribe(bad), Err(ProductIdError), "{bad:?}");
        }
    }
}
