//! Binance Spot's answer to `myTrades` (web-socket-api.md §"Account trade
//! history (USER_DATA)", `docs/protocols/binance-ws-api.md` §myTrades): one
//! response frame, `{"id":…,"status":200,"result":[{trade},…]}` or
//! `{"id":…,"status":4xx,"error":{"code":…,"msg":…}}`, becomes a
//! [`TradesPage`] that borrows the frame. Nothing is copied out: decoding
//! checks every trade, so a page decodes whole or not at all, and
//! [`TradesPage::trades`] reads them again, lazily, from the same bytes.
//! Prices count in the instrument's ticks, quantities in its lots, quote
//! quantities and commissions in 10^-8 of their asset, exactly or not at
//! all. Members are read with `venue::json` in any order; unknown keys
//! are skipped, keys and strings are compared and borrowed as written
//! (escapes included), and a missing, repeated, mistyped or off-grid field
//! is an error that names it.

// Every byte here comes from the network: indexing, unwrapping and
// panicking are refused outright, not merely avoided.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use super::answer::{Refusal, answer, from_answer_error};
use super::user_data::ASSET_DECIMALS;
use crate::order::Scale;
use crate::order::digits::{DecimalError, read_decimal};
use crate::venue::json::{Elements, JsonError, Members, Value};
use TradesError::{Duplicate, Invalid, Missing};

/// One `myTrades` answer.
#[derive(Debug, Clone)]
pub struct TradesPage<'a> {
    /// `id`: the request's id as written (a string's bytes between the
    /// quotes, escapes included, or a number's digits); `None` for `null`.
    pub id: Option<&'a str>,
    /// `status`, HTTP-like.
    pub status: u16,
    /// The trades, or why there are none.
    pub outcome: TradesOutcome<'a>,
}

/// What a `myTrades` request got.
#[derive(Debug, Clone)]
pub enum TradesOutcome<'a> {
    /// Status 2xx: `result`, every trade in it already checked.
    Trades(Trades<'a>),
    /// Any other status: the `error` object.
    Refused {
        /// `code`, e.g. -1100 `ILLEGAL_CHARS`, -1003 `TOO_MANY_REQUESTS`.
        code: i32,
        /// `msg` as written; `None` when absent or `null`.
        msg: Option<&'a str>,
    },
}

impl<'a> TradesPage<'a> {
    /// The trades, in the order written (the documented page lists them
    /// by ascending trade id); none when the request was refused.
    pub fn trades(&self) -> Trades<'a> {
        match &self.outcome {
            TradesOutcome::Trades(trades) => trades.clone(),
            TradesOutcome::Refused { .. } => Trades::none(),
        }
    }

    /// The error code of a refused request.
    pub fn code(&self) -> Option<i32> {
        match self.outcome {
            TradesOutcome::Trades(_) => None,
            TradesOutcome::Refused { code, .. } => Some(code),
        }
    }
}

/// One of the account's trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trade<'a> {
    /// `symbol`.
    pub symbol: &'a str,
    /// `id`: the trade id, numbered per symbol; with `symbol` it keys a
    /// fill (the user data stream's `t`). The next page starts at the last
    /// one + 1.
    pub id: u64,
    /// `orderId`: the venue's id of the account's order that traded.
    pub order_id: u64,
    /// `price`, in ticks.
    pub price: u64,
    /// `qty`, in lots.
    pub qty: u64,
    /// `quoteQty`, in 10^-[`ASSET_DECIMALS`] of the quote asset.
    pub quote_qty: u64,
    /// `commission`, in 10^-[`ASSET_DECIMALS`] of `commission_asset`.
    pub commission: u64,
    /// `commissionAsset`.
    pub commission_asset: &'a str,
    /// `time`: when it traded, Unix ms.
    pub time_ms: u64,
    /// `isBuyer`: whether the account bought.
    pub is_buyer: bool,
    /// `isMaker`: whether the account's order was resting.
    pub is_maker: bool,
}

/// A member of a `myTrades` answer, as named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeField {
    /// `symbol` of a trade.
    Symbol,
    /// `id` of a trade.
    TradeId,
    /// `orderId`.
    OrderId,
    /// `price`.
    Price,
    /// `qty`.
    Qty,
    /// `quoteQty`.
    QuoteQty,
    /// `commission`.
    Commission,
    /// `commissionAsset`.
    CommissionAsset,
    /// `time`.
    Time,
    /// `isBuyer`.
    IsBuyer,
    /// `isMaker`.
    IsMaker,
    /// `id` of the response: the request's id.
    RequestId,
    /// `status`.
    Status,
    /// `result`.
    Result,
    /// An element of `result`.
    Trade,
    /// `error`.
    Error,
    /// `code` of the error.
    Code,
    /// `msg` of the error.
    Msg,
}

/// Members of a trade that are read (`Symbol` to `IsMaker`), each in the
/// slot of its discriminant.
const TRADE_FIELDS: usize = TradeField::IsMaker as usize + 1;

/// Why a frame is not a `myTrades` answer this codec can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradesError {
    /// Not one JSON object: truncated, malformed or nested too deep.
    Json(JsonError),
    /// A member the answer must carry is absent.
    Missing(TradeField),
    /// A member written twice.
    Duplicate(TradeField),
    /// A member of the wrong JSON type, a string that is not UTF-8, or a
    /// number outside its range (an id beyond `u64`, a status beyond
    /// `u16`, an error code beyond `i32`).
    Invalid(TradeField),
    /// A decimal that is not a whole number of steps (ticks, lots or asset
    /// units): malformed, negative, off the grid, or beyond `u64`.
    Decimal(TradeField, DecimalError),
}

impl From<JsonError> for TradesError {
    fn from(e: JsonError) -> Self {
        Self::Json(e)
    }
}

/// The trades of a page, read from the frame as they are iterated.
#[derive(Debug, Clone)]
pub struct Trades<'a> {
    /// `None` when there is nothing (more) to read.
    elements: Option<Elements<'a>>,
    scale: Scale,
    /// Trades not yet yielded.
    left: usize,
}

impl Trades<'_> {
    fn none() -> Self {
        Self { elements: None, scale: Scale { price: 0, qty: 0 }, left: 0 }
    }
}

impl<'a> Iterator for Trades<'a> {
    /// Always `Ok` for a page [`decode_trades`] returned: it read the same
    /// bytes the same way. The error is there so that nothing can panic.
    type Item = Result<Trade<'a>, TradesError>;

    fn next(&mut self) -> Option<Self::Item> {
        let element = self.elements.as_mut()?.next()?;
        let trade = element.map_err(TradesError::from).and_then(|e| trade(e, self.scale));
        if trade.is_ok() {
            self.left = self.left.saturating_sub(1);
        } else {
            self.elements = None;
            self.left = 0;
        }
        Some(trade)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Trades<'_> {}

impl core::iter::FusedIterator for Trades<'_> {}

/// Decodes one complete text frame answering `myTrades`, counting prices
/// and quantities in `scale` (the instrument of the symbol asked for).
/// Every trade is checked here; [`TradesPage::trades`] reads them again.
pub fn decode_trades(frame: &[u8], scale: Scale) -> Result<TradesPage<'_>, TradesError> {
    let a = answer(frame)?;
    let outcome = match a.body {
        Ok(Value::Array(list)) => {
            let elements = Elements::new(list)?;
            let mut left = 0usize;
            for element in elements.clone() {
                trade(element?, scale)?;
                left += 1;
            }
            TradesOutcome::Trades(Trades { elements: Some(elements), scale, left })
        }
        Ok(_) => return Err(Invalid(TradeField::Result)),
        Err(Refusal { code, msg }) => TradesOutcome::Refused { code, msg },
    };
    Ok(TradesPage { id: a.id, status: a.status, outcome })
}

from_answer_error!(TradesError, TradeField);

/// The trade member a key names, if hotline reads it.
fn trade_field(key: &[u8]) -> Option<TradeField> {
    use TradeField::*;
    Some(match key {
        b"symbol" => Symbol,
        b"id" => TradeId,
        b"orderId" => OrderId,
        b"price" => Price,
        b"qty" => Qty,
        b"quoteQty" => QuoteQty,
        b"commission" => Commission,
        b"commissionAsset" => CommissionAsset,
        b"time" => Time,
        b"isBuyer" => IsBuyer,
        b"isMaker" => IsMaker,
        _ => return None,
    })
}

/// One element of `result`.
fn trade(element: Value<'_>, scale: Scale) -> Result<Trade<'_>, TradesError> {
    use TradeField as F;
    let Value::Object(object) = element else { return Err(Invalid(F::Trade)) };
    let mut found = Found { values: [None; TRADE_FIELDS] };
    for member in Members::new(object)? {
        let (key, value) = member?;
        let Some(field) = trade_field(key) else { continue };
        if let Some(slot) = found.values.get_mut(field as usize)
            && slot.replace(value).is_some()
        {
            return Err(Duplicate(field));
        }
    }
    Ok(Trade {
        symbol: found.str(F::Symbol)?,
        id: found.u64(F::TradeId)?,
        order_id: found.u64(F::OrderId)?,
        price: found.decimal(F::Price, scale.price)?,
        qty: found.decimal(F::Qty, scale.qty)?,
        quote_qty: found.decimal(F::QuoteQty, ASSET_DECIMALS)?,
        commission: found.decimal(F::Commission, ASSET_DECIMALS)?,
        commission_asset: found.str(F::CommissionAsset)?,
        time_ms: found.u64(F::Time)?,
        is_buyer: found.get(F::IsBuyer)?.bool().ok_or(Invalid(F::IsBuyer))?,
        is_maker: found.get(F::IsMaker)?.bool().ok_or(Invalid(F::IsMaker))?,
    })
}

/// A trade's members hotline reads, as written.
struct Found<'a> {
    values: [Option<Value<'a>>; TRADE_FIELDS],
}

impl<'a> Found<'a> {
    fn get(&self, field: TradeField) -> Result<Value<'a>, TradesError> {
        self.values.get(field as usize).copied().flatten().ok_or(Missing(field))
    }

    fn u64(&self, field: TradeField) -> Result<u64, TradesError> {
        self.get(field)?.u64().ok_or(Invalid(field))
    }

    fn str(&self, field: TradeField) -> Result<&'a str, TradesError> {
        self.get(field)?.str().ok_or(Invalid(field))
    }

    /// Binance writes every price, quantity and amount as a JSON string.
    fn decimal(&self, field: TradeField, decimals: u8) -> Result<u64, TradesError> {
        match self.get(field)? {
            Value::Str(text) => read_decimal(text, decimals).map_err(|e| TradesError::Decimal(field, e)),
            _ => Err(Invalid(field)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// web-socket-api.md §"Account trade history (USER_DATA)", its response.
    const DOC_PAGE: &str = r#"{
    "id": "f4ce6a53-a29d-4f70-823b-4ab59391d6e8",
    "status": 200,
    "result": [
        {
            "symbol": "BTCUSDT",
            "id": 1650422481,
            "orderId": 12569099453,
            "orderListId": -1,
            "price": "23416.10000000",
            "qty": "0.00635000",
            "quoteQty": "148.69223500",
            "commission": "0.00000000",
            "commissionAsset": "BNB",
            "time": 1660801715793,
            "isBuyer": false,
            "isMaker": true,
            "isBestMatch": true
        },
        {
            "symbol": "BTCUSDT",
            "id": 1650422482,
            "orderId": 12569099453,
            "orderListId": -1,
            "price": "23416.50000000",
            "qty": "0.00212000",
            "quoteQty": "49.64298000",
            "commission": "0.00000000",
            "commissionAsset": "BNB",
            "time": 1660801715793,
            "isBuyer": false,
            "isMaker": true,
            "isBestMatch": true
        }
    ],
    "rateLimits": [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": 6000,
            "count": 20
        }
    ]
}"#;

    /// The documented page's shape on one line, for BNBBTC (not Binance's
    /// text: a page as compact as the venue sends them).
    const COMPACT: &str = r#"{"id":"f4ce6a53-a29d-4f70-823b-4ab59391d6e8","status":200,"result":[{"symbol":"BNBBTC","id":1650422481,"orderId":12569099453,"orderListId":-1,"price":"0.00000100","qty":"12.00000000","quoteQty":"0.00001200","commission":"0.00000000","commissionAsset":"BNB","time":1660801715793,"isBuyer":false,"isMaker":true,"isBestMatch":true}],"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,"count":20}]}"#;

    /// A refusal in the shape of web-socket-api.md §"Response format", its
    /// message as Binance words -1100 for an id (errors.md §"-1100
    /// ILLEGAL_CHARS").
    const REFUSED: &str = r#"{"id":"00000000000000000003","status":400,"error":{"code":-1100,"msg":"Illegal characters found in parameter 'fromId'; legal range is '^[0-9]{1,20}$'."},"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,"count":20}]}"#;

    /// BTCUSDT's grid: a tick of 0.01, a lot of 0.00001.
    const BTCUSDT: Scale = Scale { price: 2, qty: 5 };
    /// BNBBTC's grid: a tick of 10^-7, a lot of 0.001.
    const BNBBTC: Scale = Scale { price: 7, qty: 3 };

    /// The members of one trade, as Binance writes them.
    const TRADE: [(&str, &str); 13] = [
        ("symbol", r#""BTCUSDT""#),
        ("id", "1650422481"),
        ("orderId", "12569099453"),
        ("orderListId", "-1"),
        ("price", r#""23416.10000000""#),
        ("qty", r#""0.00635000""#),
        ("quoteQty", r#""148.69223500""#),
        ("commission", r#""0.00000635""#),
        ("commissionAsset", r#""BTC""#),
        ("time", "1660801715793"),
        ("isBuyer", "true"),
        ("isMaker", "false"),
        ("isBestMatch", "true"),
    ];

    const FIRST: Trade<'static> = Trade {
        symbol: "BTCUSDT",
        id: 1_650_422_481,
        order_id: 12_569_099_453,
        price: 2_341_610,
        qty: 635,
        quote_qty: 14_869_223_500,
        commission: 0,
        commission_asset: "BNB",
        time_ms: 1_660_801_715_793,
        is_buyer: false,
        is_maker: true,
    };

    type Buf = heapless::Vec<u8, 4096>;

    /// A 200 page of the trades `members` (each a trade's members, any
    /// keyed `skip` left out).
    fn page(trades: &[&[(&str, &str)]], skip: &str) -> Buf {
        let mut out = Buf::new();
        out.extend_from_slice(br#"{"id":"00000000000000000001","status":200,"result":["#).unwrap();
        for (i, members) in trades.iter().enumerate() {
            out.extend_from_slice(if i == 0 { b"{" } else { b",{" }).unwrap();
            let mut first = true;
            for (key, value) in members.iter().filter(|(k, _)| *k != skip) {
                if !first {
                    out.push(b',').unwrap();
                }
                first = false;
                for part in ["\"", key, "\":", value] {
                    out.extend_from_slice(part.as_bytes()).unwrap();
                }
            }
            out.push(b'}').unwrap();
        }
        out.extend_from_slice(b"]}").unwrap();
        out
    }

    /// One trade, `TRADE` with `key`'s value replaced by `value`.
    fn trade_with(key: &str, value: &str) -> Buf {
        let mut members = TRADE;
        members.iter_mut().find(|(k, _)| *k == key).unwrap().1 = value;
        page(&[&members], "")
    }

    fn all<'a>(page: &TradesPage<'a>) -> heapless::Vec<Trade<'a>, 8> {
        page.trades().map(Result::unwrap).collect()
    }

    #[test]
    fn documented_page() {
        let page = decode_trades(DOC_PAGE.as_bytes(), BTCUSDT).unwrap();
        assert_eq!((page.id, page.status, page.code()), (Some("f4ce6a53-a29d-4f70-823b-4ab59391d6e8"), 200, None));
        let second = Trade { id: 1_650_422_482, price: 2_341_650, qty: 212, quote_qty: 4_964_298_000, ..FIRST };
        assert_eq!(all(&page).as_slice(), &[FIRST, second]);
        assert_eq!(page.trades().len(), 2);

        let page = decode_trades(COMPACT.as_bytes(), BNBBTC).unwrap();
        let only = Trade { symbol: "BNBBTC", price: 10, qty: 12_000, quote_qty: 1_200, ..FIRST };
        assert_eq!(all(&page).as_slice(), &[only]);
    }

    #[test]
    fn trades_are_read_lazily_and_again() {
        let page = decode_trades(DOC_PAGE.as_bytes(), BTCUSDT).unwrap();
        let mut trades = page.trades();
        assert_eq!(trades.size_hint(), (2, Some(2)));
        assert_eq!(trades.next(), Some(Ok(FIRST)));
        assert_eq!(trades.len(), 1);
        assert_eq!(trades.next().map(|t| t.map(|t| t.id)), Some(Ok(1_650_422_482)));
        assert_eq!((trades.next(), trades.next(), trades.len()), (None, None, 0));
        // Each call starts from the first trade.
        assert_eq!(page.trades().next(), Some(Ok(FIRST)));
        let empty = decode_trades(br#"{"id":"1","status":200,"result":[]}"#, BTCUSDT).unwrap();
        assert_eq!((empty.trades().len(), empty.trades().next()), (0, None));
    }

    #[test]
    fn a_refusal_carries_its_code() {
        let page = decode_trades(REFUSED.as_bytes(), BTCUSDT).unwrap();
        assert_eq!((page.id, page.status, page.code()), (Some("00000000000000000003"), 400, Some(-1100)));
        let TradesOutcome::Refused { msg, .. } = page.outcome else { panic!("{page:?}") };
        assert_eq!(msg, Some("Illegal characters found in parameter 'fromId'; legal range is '^[0-9]{1,20}$'."));
        assert_eq!(page.trades().next(), None);
        let limited = br#"{"id":null,"status":429,"error":{"code":-1003,"data":{"retryAfter":1}},"result":[1]}"#;
        let page = decode_trades(limited, BTCUSDT).unwrap();
        assert_eq!((page.id, page.code()), (None, Some(-1003)));
        assert!(matches!(page.outcome, TradesOutcome::Refused { msg: None, .. }));
        // Binance echoes an integer id as one.
        let page = decode_trades(br#"{"id":42,"status":503,"error":{"code":-1007,"msg":null}}"#, BTCUSDT).unwrap();
        assert_eq!((page.id, page.code()), (Some("42"), Some(-1007)));
    }

    #[test]
    fn every_prefix_is_truncated_and_never_panics() {
        let frames = [DOC_PAGE.as_bytes(), COMPACT.as_bytes(), REFUSED.as_bytes()];
        for (frame, scale) in frames.into_iter().zip([BTCUSDT, BNBBTC, BTCUSDT]) {
            assert!(decode_trades(frame, scale).is_ok());
            for end in 0..frame.len() {
                assert_eq!(
                    decode_trades(&frame[..end], scale).err(),
                    Some(TradesError::Json(JsonError::Truncated)),
                    "prefix {end}"
                );
            }
        }
    }

    #[test]
    fn a_missing_member_is_named() {
        use TradeField as F;
        for (key, field) in [
            ("symbol", F::Symbol),
            ("id", F::TradeId),
            ("orderId", F::OrderId),
            ("price", F::Price),
            ("qty", F::Qty),
            ("quoteQty", F::QuoteQty),
            ("commission", F::Commission),
            ("commissionAsset", F::CommissionAsset),
            ("time", F::Time),
            ("isBuyer", F::IsBuyer),
            ("isMaker", F::IsMaker),
        ] {
            let frame = page(&[&TRADE, &TRADE], key);
            assert_eq!(decode_trades(&frame, BTCUSDT).err(), Some(Missing(field)), "without {key}");
        }
        // Members hotline does not read may be absent.
        for key in ["orderListId", "isBestMatch"] {
            assert_eq!(decode_trades(&page(&[&TRADE], key), BTCUSDT).unwrap().trades().len(), 1, "without {key}");
        }
        for (frame, field) in [
            (&br#"{"status":200,"result":[]}"#[..], F::RequestId),
            (br#"{"id":"1","result":[]}"#, F::Status),
            (br#"{"id":"1","status":200,"error":{"code":-1}}"#, F::Result),
            (br#"{"id":"1","status":400,"result":[]}"#, F::Error),
            (br#"{"id":"1","status":400,"error":{"msg":"x"}}"#, F::Code),
        ] {
            let error = decode_trades(frame, BTCUSDT).err();
            assert_eq!(error, Some(Missing(field)), "{}", core::str::from_utf8(frame).unwrap());
        }
    }

    #[test]
    fn a_repeated_member_is_refused() {
        let mut members = [("time", "1"); 14];
        members[..13].copy_from_slice(&TRADE);
        assert_eq!(decode_trades(&page(&[&members], ""), BTCUSDT).err(), Some(Duplicate(TradeField::Time)));
        for (frame, field) in [
            (&br#"{"id":"1","id":"2","status":200,"result":[]}"#[..], TradeField::RequestId),
            (br#"{"id":"1","status":200,"status":200,"result":[]}"#, TradeField::Status),
            (br#"{"id":"1","status":200,"result":[],"result":[]}"#, TradeField::Result),
            (br#"{"id":"1","status":400,"error":{"code":-1},"error":{"code":-2}}"#, TradeField::Error),
            (br#"{"id":"1","status":400,"error":{"code":-1,"code":-2}}"#, TradeField::Code),
            (br#"{"id":"1","status":400,"error":{"code":-1,"msg":"a","msg":"b"}}"#, TradeField::Msg),
        ] {
            assert_eq!(decode_trades(frame, BTCUSDT).err(), Some(Duplicate(field)));
        }
    }

    #[test]
    fn a_mistyped_member_is_invalid() {
        use TradeField as F;
        for (key, value, field) in [
            ("symbol", "null", F::Symbol),
            ("id", r#""1650422481""#, F::TradeId),
            ("id", "-1", F::TradeId),
            ("id", "18446744073709551616", F::TradeId),
            ("orderId", "1.5", F::OrderId),
            ("price", "23416.1", F::Price),
            ("qty", "null", F::Qty),
            ("quoteQty", "[]", F::QuoteQty),
            ("commission", "0", F::Commission),
            ("commissionAsset", "null", F::CommissionAsset),
            ("time", "1e12", F::Time),
            ("isBuyer", r#""true""#, F::IsBuyer),
            ("isMaker", "0", F::IsMaker),
        ] {
            assert_eq!(decode_trades(&trade_with(key, value), BTCUSDT).err(), Some(Invalid(field)), "{key}: {value}");
        }
        let not_utf8 = b"{\"id\":\"1\",\"status\":200,\"result\":[{\"symbol\":\"BTC\xffUSDT\"}]}";
        assert_eq!(decode_trades(not_utf8, BTCUSDT).err(), Some(Invalid(F::Symbol)));
        for (frame, field) in [
            (&br#"{"id":true,"status":200,"result":[]}"#[..], F::RequestId),
            (b"{\"id\":\"\xc3\",\"status\":200,\"result\":[]}", F::RequestId),
            (br#"{"id":"1","status":"200","result":[]}"#, F::Status),
            (br#"{"id":"1","status":65736,"result":[]}"#, F::Status),
            (br#"{"id":"1","status":-200,"result":[]}"#, F::Status),
            (br#"{"id":"1","status":200,"result":{}}"#, F::Result),
            (br#"{"id":"1","status":200,"result":[[]]}"#, F::Trade),
            (br#"{"id":"1","status":200,"result":[null]}"#, F::Trade),
            (br#"{"id":"1","status":400,"error":"x"}"#, F::Error),
            (br#"{"id":"1","status":400,"error":{"code":"-1100"}}"#, F::Code),
            (br#"{"id":"1","status":400,"error":{"code":-2147483649}}"#, F::Code),
            (br#"{"id":"1","status":400,"error":{"code":-1,"msg":5}}"#, F::Msg),
        ] {
            let error = decode_trades(frame, BTCUSDT).err();
            assert_eq!(error, Some(Invalid(field)), "{}", core::str::from_utf8(frame).unwrap_or("not UTF-8"));
        }
    }

    #[test]
    fn decimals_are_exact_or_refused() {
        use TradeField as F;
        // The documented prices are in tenths: off a grid of whole USDT.
        let coarse = Scale { price: 0, qty: 5 };
        assert_eq!(
            decode_trades(DOC_PAGE.as_bytes(), coarse).err(),
            Some(TradesError::Decimal(F::Price, DecimalError::OffGrid))
        );
        for (key, value, field, error) in [
            ("price", r#""23416.101""#, F::Price, DecimalError::OffGrid),
            ("qty", r#""0.000001""#, F::Qty, DecimalError::OffGrid),
            ("qty", r#""-0.1""#, F::Qty, DecimalError::Negative),
            ("quoteQty", r#""0.000000001""#, F::QuoteQty, DecimalError::OffGrid),
            ("quoteQty", r#""184467440737.09551616""#, F::QuoteQty, DecimalError::Overflow),
            ("commission", r#""1e-8""#, F::Commission, DecimalError::Syntax),
            ("commission", r#""""#, F::Commission, DecimalError::Syntax),
        ] {
            assert_eq!(
                decode_trades(&trade_with(key, value), BTCUSDT).err(),
                Some(TradesError::Decimal(field, error)),
                "{key}: {value}"
            );
        }
        let fee = trade_with("commission", r#""0.00000635""#);
        assert_eq!(decode_trades(&fee, BTCUSDT).unwrap().trades().next().unwrap().unwrap().commission, 635);
    }

    #[test]
    fn a_bad_trade_anywhere_fails_the_page() {
        let mut bad = TRADE;
        bad[1].1 = "-5";
        let (good, bad): (&[_], &[_]) = (&TRADE, &bad);
        for trades in [&[good, good, bad][..], &[bad, good], &[good, bad, good]] {
            assert_eq!(decode_trades(&page(trades, ""), BTCUSDT).err(), Some(Invalid(TradeField::TradeId)));
        }
    }

    #[test]
    fn any_order_unknown_members_and_strings_as_written() {
        let mut members = TRADE;
        members.reverse();
        members[0].1 = r#"{"deep":[1,{"x":[null,true,"\"}"]}],"k":-2.5e-3}"#;
        members[12].1 = r#""ETH\u0042TC""#;
        let frame = page(&[&members, &TRADE], "");
        let page = decode_trades(&frame, BTCUSDT).unwrap();
        let trades = all(&page);
        assert_eq!(trades.len(), 2);
        assert_eq!(trades[0], Trade { symbol: r"ETH\u0042TC", ..trades[1] });
        assert_eq!((trades[1].commission, trades[1].commission_asset), (635, "BTC"));
        assert!(trades[1].is_buyer && !trades[1].is_maker);
        let wrapped = br#" {"rateLimits":[],"result" : [ ] ,"extra":{"id":7},"status":200,"id":"x"} "#;
        let page = decode_trades(wrapped, BTCUSDT).unwrap();
        assert_eq!((page.id, page.status, page.trades().len()), (Some("x"), 200, 0));
    }

    #[test]
    fn not_json_and_too_deep() {
        for (frame, error) in [
            (&b""[..], JsonError::Truncated),
            (b"[]", JsonError::Syntax),
            (br#"{"id":"1","status":200,"result":[]} {}"#, JsonError::Syntax),
            (br#"{"id":"1","status":200,"result":[,{}]}"#, JsonError::Syntax),
            (br#"{"id":"1","status":200,"result":[{"id" 1}]}"#, JsonError::Syntax),
            (br#"{"id":"1","status":200,"result":[{"id":1,}]}"#, JsonError::Syntax),
        ] {
            assert_eq!(decode_trades(frame, BTCUSDT).err(), Some(TradesError::Json(error)));
        }
        let mut frame = [b'['; 120];
        frame[..32].copy_from_slice(br#"{"id":"1","status":200,"result":"#);
        assert_eq!(decode_trades(&frame, BTCUSDT).err(), Some(TradesError::Json(JsonError::Depth)));
    }
}
