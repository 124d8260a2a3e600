//! Binance Spot WebSocket API request templates
//! (`docs/protocols/binance-ws-api.md` §Request format, §order.place,
//! §Session logon, §myTrades): `order.place`, `order.cancel`,
//! `order.status`, `session.logon` and `myTrades`, rendered from an
//! instrument's rules with slots for the per-request values.

use super::template::{Auth, BuildError, Format, Param, Slot, Template, Value};
use crate::order::{Decimal, Instrument, OrderType, Side, TimeInForce};

/// Digits of the request-id slot: a `u64` counter, zero-padded.
pub const REQUEST_ID_WIDTH: u8 = 20;

/// Most trades one `myTrades` page returns (its `limit`'s maximum).
pub const MAX_TRADES_PER_PAGE: u16 = 1000;

/// Digits of the `fromId` slot: any `u64`, zero-padded.
const FROM_ID_WIDTH: u8 = 20;

/// `newOrderRespType`; `Ack` is the shortest answer
/// (`docs/protocols/binance-ws-api.md` §order.place).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RespType {
    /// `ACK`.
    Ack,
    /// `RESULT`.
    Result,
    /// `FULL`.
    Full,
}

/// The unit of `timestamp`, which fixes its width: 13 digits of
/// milliseconds or 16 of microseconds cover the years 2001 to 2286.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Milliseconds since the Unix epoch.
    Millis,
    /// Microseconds since the Unix epoch.
    Micros,
}

impl TimeUnit {
    fn width(self) -> u8 {
        match self {
            Self::Millis => 13,
            Self::Micros => 16,
        }
    }
}

/// Settings shared by every request on a connection.
#[derive(Debug, Clone, Copy)]
pub struct Session<'a> {
    /// How requests authenticate.
    pub auth: Auth<'a>,
    /// Unit of `timestamp`.
    pub time: TimeUnit,
    /// `recvWindow` in milliseconds, if not the venue's default of 5000.
    pub recv_window: Option<u32>,
}

/// An `order.place` request.
#[derive(Debug, Clone, Copy)]
pub struct PlaceOrder<'a> {
    /// The instrument.
    pub instrument: Instrument<'a>,
    /// `side`.
    pub side: Side,
    /// `type`.
    pub order_type: OrderType,
    /// `newOrderRespType`, if not the venue's default.
    pub resp_type: Option<RespType>,
    /// Digits of a `newClientOrderId` slot, if orders carry one.
    pub client_order_id: Option<u8>,
}

/// A fixed-point slot as Binance writes decimals: a JSON string `I.F`.
fn decimal_slot(decimal: Decimal, slot: Slot) -> Value<'static> {
    Value::Slot(slot, Format::Decimal(decimal.decimals), decimal.width())
}

fn text<'a>(name: &'static str, value: &'a str) -> Param<'a> {
    Param { name, value: Value::Text(value) }
}

fn slot(name: &'static str, value: Value<'static>) -> Param<'static> {
    Param { name, value }
}

/// Appends the params every signed request has and renders.
fn render(
    method: &str,
    mut params: heapless::Vec<Param<'_>, 12>,
    session: &Session<'_>,
) -> Result<Template, BuildError> {
    let timestamp = Value::Slot(Slot::Timestamp, Format::Exact, session.time.width());
    params.push(slot("timestamp", timestamp)).map_err(|_| BuildError::TooManyParams)?;
    if let Some(window) = session.recv_window {
        params
            .push(Param { name: "recvWindow", value: Value::Number(u64::from(window)) })
            .map_err(|_| BuildError::TooManyParams)?;
    }
    Template::render(method, REQUEST_ID_WIDTH, &params, session.auth)
}

impl Template {
    /// `order.place` with slots for request id, timestamp, quantity, and the
    /// price and client order id where the order has them.
    pub fn order_place(order: &PlaceOrder<'_>, session: &Session<'_>) -> Result<Self, BuildError> {
        let mut params = heapless::Vec::new();
        let mut add = |p| params.push(p).map_err(|_| BuildError::TooManyParams);
        add(text("symbol", order.instrument.symbol))?;
        add(text(
            "side",
            match order.side {
                Side::Buy => "BUY",
                Side::Sell => "SELL",
            },
        ))?;
        let (kind, tif, priced) = match order.order_type {
            OrderType::Limit(tif) => ("LIMIT", Some(tif), true),
            OrderType::LimitMaker => ("LIMIT_MAKER", None, true),
            OrderType::Market => ("MARKET", None, false),
        };
        add(text("type", kind))?;
        if let Some(tif) = tif {
            add(text(
                "timeInForce",
                match tif {
                    TimeInForce::Gtc => "GTC",
                    TimeInForce::Ioc => "IOC",
                    TimeInForce::Fok => "FOK",
                },
            ))?;
        }
        if priced {
            add(slot("price", decimal_slot(order.instrument.price, Slot::Price)))?;
        }
        add(slot("quantity", decimal_slot(order.instrument.quantity, Slot::Quantity)))?;
        if let Some(resp) = order.resp_type {
            add(text(
                "newOrderRespType",
                match resp {
                    RespType::Ack => "ACK",
                    RespType::Result => "RESULT",
                    RespType::Full => "FULL",
                },
            ))?;
        }
        if let Some(width) = order.client_order_id {
            let id = Value::Slot(Slot::ClientOrderId, Format::Padded, width);
            add(slot("newClientOrderId", id))?;
        }
        render("order.place", params, session)
    }

    /// `order.cancel` of the order whose client order id (of `id_width`
    /// digits) goes in the [`Slot::OrigClientOrderId`] slot.
    pub fn order_cancel(symbol: &str, id_width: u8, session: &Session<'_>) -> Result<Self, BuildError> {
        Self::by_client_id("order.cancel", symbol, id_width, session)
    }

    /// `order.status` of the order whose client order id (of `id_width`
    /// digits) goes in the [`Slot::OrigClientOrderId`] slot.
    pub fn order_status(symbol: &str, id_width: u8, session: &Session<'_>) -> Result<Self, BuildError> {
        Self::by_client_id("order.status", symbol, id_width, session)
    }

    /// `openOrders.status` of `symbol` (`docs/protocols/binance-ws-api.md`
    /// §openOrders.status): the symbol's open orders, each as
    /// `order.status` reports it. Weight 6.
    pub fn open_orders_status(symbol: &str, session: &Session<'_>) -> Result<Self, BuildError> {
        Self::by_symbol("openOrders.status", symbol, session)
    }

    /// `openOrders.cancelAll` of `symbol` (`docs/market-data.md` §The kill
    /// switch cancels): every open order of the symbol, on any connection.
    pub fn open_orders_cancel_all(symbol: &str, session: &Session<'_>) -> Result<Self, BuildError> {
        Self::by_symbol("openOrders.cancelAll", symbol, session)
    }

    fn by_symbol(method: &str, symbol: &str, session: &Session<'_>) -> Result<Self, BuildError> {
        let mut params = heapless::Vec::new();
        params.push(text("symbol", symbol)).map_err(|_| BuildError::TooManyParams)?;
        render(method, params, session)
    }

    fn by_client_id(method: &str, symbol: &str, id_width: u8, session: &Session<'_>) -> Result<Self, BuildError> {
        let mut params = heapless::Vec::new();
        let id = Value::Slot(Slot::OrigClientOrderId, Format::Padded, id_width);
        params
            .push(text("symbol", symbol))
            .and_then(|()| params.push(slot("origClientOrderId", id)))
            .map_err(|_| BuildError::TooManyParams)?;
        render(method, params, session)
    }

    /// `myTrades` (`docs/protocols/binance-ws-api.md` §myTrades): up to
    /// `limit` (1 to [`MAX_TRADES_PER_PAGE`]) of the account's trades in
    /// `symbol` whose trade id is at least the [`Slot::FromId`] slot's.
    pub fn my_trades(symbol: &str, limit: u16, session: &Session<'_>) -> Result<Self, BuildError> {
        if !(1..=MAX_TRADES_PER_PAGE).contains(&limit) {
            return Err(BuildError::OutOfRange("limit"));
        }
        let mut params = heapless::Vec::new();
        let from = Value::Slot(Slot::FromId, Format::Padded, FROM_ID_WIDTH);
        params
            .push(text("symbol", symbol))
            .and_then(|()| params.push(slot("fromId", from)))
            .and_then(|()| params.push(Param { name: "limit", value: Value::Number(u64::from(limit)) }))
            .map_err(|_| BuildError::TooManyParams)?;
        render("myTrades", params, session)
    }

    /// `myTrades` without `fromId`, `limit` 1: the account's latest trade
    /// in `symbol` (`docs/protocols/binance-ws-api.md` §myTrades), where a
    /// later recovery starts.
    pub fn my_latest_trade(symbol: &str, session: &Session<'_>) -> Result<Self, BuildError> {
        let mut params = heapless::Vec::new();
        params
            .push(text("symbol", symbol))
            .and_then(|()| params.push(Param { name: "limit", value: Value::Number(1) }))
            .map_err(|_| BuildError::TooManyParams)?;
        render("myTrades", params, session)
    }

    /// `account.status` (`docs/protocols/binance-ws-api.md`
    /// §account.status): the account's balances, no parameters but the
    /// session's.
    pub fn account_status(session: &Session<'_>) -> Result<Self, BuildError> {
        render("account.status", heapless::Vec::new(), session)
    }

    /// `session.logon` (`docs/protocols/binance-ws-api.md` §Session logon):
    /// `apiKey`, `timestamp`, `signature`. Binance
    /// takes only Ed25519 keys here; HMAC renders the documented example.
    pub fn session_logon(session: &Session<'_>) -> Result<Self, BuildError> {
        if matches!(session.auth, Auth::Session) {
            return Err(BuildError::NeedsKey);
        }
        render("session.logon", heapless::Vec::new(), session)
    }

    /// `userDataStream.subscribe.signature`
    /// (`docs/protocols/binance-ws-api.md` §User data stream): `apiKey`,
    /// `timestamp`, `signature`, with any key type.
    pub fn user_data_subscribe(session: &Session<'_>) -> Result<Self, BuildError> {
        if matches!(session.auth, Auth::Session) {
            return Err(BuildError::NeedsKey);
        }
        render("userDataStream.subscribe.signature", heapless::Vec::new(), session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::HmacKey;
    use crate::venue::binance::PatchError;

    fn place(symbol: &str, client_order_id: Option<u8>, price: Decimal) -> PlaceOrder<'_> {
        PlaceOrder {
            instrument: Instrument { symbol, price, quantity: Decimal { int_digits: 3, decimals: 0 } },
            side: Side::Buy,
            order_type: OrderType::LimitMaker,
            resp_type: None,
            client_order_id,
        }
    }

    const PRICE: Decimal = Decimal { int_digits: 5, decimals: 2 };

    #[test]
    fn refuses_what_it_cannot_render_exactly() {
        let key = HmacKey::new(b"k");
        let session =
            Session { auth: Auth::Hmac { api_key: "key", key: &key }, time: TimeUnit::Micros, recv_window: None };
        let build = |order: &PlaceOrder<'_>| Template::order_place(order, &session).err();
        assert_eq!(build(&place("BTC\"USDT", None, PRICE)), Some(BuildError::NeedsEscape("symbol")));
        assert_eq!(build(&place("BTC\\", None, PRICE)), Some(BuildError::NeedsEscape("symbol")));
        assert_eq!(build(&place("BTCUSDT", Some(0), PRICE)), Some(BuildError::Width(Slot::ClientOrderId)));
        assert_eq!(build(&place("BTCUSDT", Some(21), PRICE)), Some(BuildError::Width(Slot::ClientOrderId)));
        let no_integer = Decimal { int_digits: 0, decimals: 2 };
        assert_eq!(build(&place("BTCUSDT", None, no_integer)), Some(BuildError::Width(Slot::Price)));
        let long = [b'A'; 600];
        let long = core::str::from_utf8(&long).unwrap();
        assert_eq!(build(&place(long, None, PRICE)), Some(BuildError::TooLong));
        let after_logon = Session { auth: Auth::Session, ..session };
        assert_eq!(Template::session_logon(&after_logon).err(), Some(BuildError::NeedsKey));
    }

    #[test]
    fn session_orders_carry_no_key_or_signature() {
        let session = Session { auth: Auth::Session, time: TimeUnit::Millis, recv_window: None };
        let mut t = Template::order_place(&place("ETHBTC", Some(4), PRICE), &session).unwrap();
        for (slot, value) in [
            (Slot::RequestId, 9),
            (Slot::ClientOrderId, 12),
            (Slot::Price, 123),
            (Slot::Quantity, 5),
            (Slot::Timestamp, 1_700_000_000_000),
        ] {
            t.set(slot, value).unwrap();
        }
        t.sign().unwrap();
        assert_eq!(
            t.request(),
            br#"{"id":"00000000000000000009","method":"order.place","params":{"newClientOrderId":"0012","price":"00001.23","quantity":"005","side":"BUY","symbol":"ETHBTC","timestamp":1700000000000,"type":"LIMIT_MAKER"}}"#
        );
        assert_eq!(t.set(Slot::OrigClientOrderId, 1), Err(PatchError::NoSlot(Slot::OrigClientOrderId)));
        assert_eq!(t.set(Slot::FromId, 1), Err(PatchError::NoSlot(Slot::FromId)));
    }

    #[test]
    fn my_trades_pages_from_a_padded_trade_id() {
        let session = Session { auth: Auth::Session, time: TimeUnit::Millis, recv_window: None };
        let mut t = Template::my_trades("BNBBTC", MAX_TRADES_PER_PAGE, &session).unwrap();
        for (slot, value) in [(Slot::RequestId, 7), (Slot::FromId, 1_650_422_482), (Slot::Timestamp, 1_660_801_715_793)]
        {
            t.set(slot, value).unwrap();
        }
        t.sign().unwrap();
        assert_eq!(
            t.request(),
            br#"{"id":"00000000000000000007","method":"myTrades","params":{"fromId":"00000000001650422482","limit":1000,"symbol":"BNBBTC","timestamp":1660801715793}}"#
        );
        t.set(Slot::FromId, u64::MAX).unwrap();
        assert_eq!(t.payload(), b"fromId=18446744073709551615&limit=1000&symbol=BNBBTC&timestamp=1660801715793");
    }

    #[test]
    fn my_trades_signs_the_padded_digits_it_sends() {
        let key = HmacKey::new(b"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j");
        let session =
            Session { auth: Auth::Hmac { api_key: "key", key: &key }, time: TimeUnit::Millis, recv_window: Some(5000) };
        let mut t = Template::my_trades("BTCUSDT", 500, &session).unwrap();
        t.set(Slot::FromId, 42).unwrap();
        t.set(Slot::Timestamp, 1_661_955_125_250).unwrap();
        t.sign().unwrap();
        let payload =
            b"apiKey=key&fromId=00000000000000000042&limit=500&recvWindow=5000&symbol=BTCUSDT&timestamp=1661955125250";
        assert_eq!(t.payload(), payload);
        let mut tag = [0u8; crate::sign::HEX_TAG];
        crate::sign::hex_lower(&key.sign(payload), &mut tag).unwrap();
        let mut expected = heapless::Vec::<u8, 512>::new();
        for part in [&br#"{"id":"00000000000000000000","method":"myTrades","params":{"apiKey":"key","fromId":"00000000000000000042","limit":500,"recvWindow":5000,"symbol":"BTCUSDT","timestamp":1661955125250,"signature":""#[..], &tag, br#""}}"#] {
            expected.extend_from_slice(part).unwrap();
        }
        assert_eq!(t.request(), expected.as_slice());
    }

    #[test]
    fn my_trades_limit_is_binances_range() {
        let session = Session { auth: Auth::Session, time: TimeUnit::Micros, recv_window: None };
        for limit in [0, MAX_TRADES_PER_PAGE + 1, u16::MAX] {
            assert_eq!(Template::my_trades("BTCUSDT", limit, &session).err(), Some(BuildError::OutOfRange("limit")));
        }
        assert!(Template::my_trades("BTCUSDT", 1, &session).is_ok());
        assert_eq!(Template::my_trades("BTC\"USDT", 1, &session).err(), Some(BuildError::NeedsEscape("symbol")));
    }
}
