//! Binance Spot's WebSocket API as one venue: the engine's neutral order
//! (side, quantity in lots, price in ticks, client order id, timestamp)
//! turns into a signed `order.place` request, and the API's JSON answers
//! turn into the engine's neutral [`Inbound`]. Everything Binance-specific
//! lives in this folder: the request templates and their signing
//! (`template.rs`, `request.rs`, `prearm.rs`), the response codec
//! (`response.rs`), the user data and `myTrades` codecs (`user_data.rs`,
//! `trades.rs`), the error codes and order statuses the engine acts on,
//! the `time` request, the order-rate limits and the connection lifetime
//! (`docs/protocols/binance-ws-api.md`).

mod account;
mod answer;
mod market;
mod open_orders;
mod prearm;
mod request;
mod response;
mod template;
mod trades;
mod user_data;

/// The ticker and its errors, shared by every venue's market data.
pub use crate::venue::market::{MarketError, SbeError, Ticker, TickerField};
pub use account::{AccountAnswer, AccountBalances, AccountError, AccountField, decode_account};
pub use market::{
    BEST_BID_ASK_BLOCK, BEST_BID_ASK_TEMPLATE, BestBidAsk, HEADER_LEN, MarketMessage, SCHEMA_ID,
    decode_binary as decode_market_binary, decode_text as decode_market_text,
};
pub use open_orders::{OpenOrder, OpenOrderField, OpenOrders, OpenOrdersAnswer, OpenOrdersError, decode_open_orders};
pub use prearm::{ArmError, FireError, PreArmed};
pub use request::{MAX_TRADES_PER_PAGE, PlaceOrder, REQUEST_ID_WIDTH, RespType, Session, TimeUnit};
pub use response::{
    Ack, DecodeError, Interval, LimitType, MAX_RATE_LIMITS, Message, Outcome, RateLimit, Rejection, Response, TIMEOUT,
    decode,
};
pub use template::{Auth, BuildError, PAYLOAD_CAP, PatchError, REQUEST_CAP, Slot, Template};
pub use trades::{Trade, TradeField, Trades, TradesError, TradesOutcome, TradesPage, decode_trades};
pub use user_data::{
    ASSET_DECIMALS, AccountPosition, Balance, EventField, EventFrame, ExecType, ExecutionReport, MAX_BALANCES,
    OrdStatus, UserDataError, UserEvent, decode_event,
};

use super::{Accepted, Execution, Field, FillsPage, Inbound, NewOrder, OrderStatus, RejectKind, Reply, RequestError};
use crate::ledger::{Balances, FeeAsset, Fill, Holding};
use crate::order::digits;

/// Error -2013, "Order does not exist": the answer that settles a query.
pub const NO_SUCH_ORDER: i32 = -2013;
/// Error -1021, "Timestamp for this request is outside of the recvWindow".
pub const TIMESTAMP_OUTSIDE_WINDOW: i32 = -1021;
/// Error -1022, "Signature for this request is not valid".
pub const BAD_SIGNATURE: i32 = -1022;
/// The `ORDERS` limit per 10 s window (`docs/protocols/binance-ws-api.md`
/// §Rate limits).
pub const ORDERS_PER_10S: u64 = 50;
/// The `ORDERS` limit per day.
pub const ORDERS_PER_DAY: u64 = 160_000;
/// Binance closes every WebSocket API connection after 24 hours.
pub const CONNECTION_LIFETIME_NS: u64 = 86_400 * 1_000_000_000;

/// The `time` request, whose only slot is its id.
const TIME_REQUEST: [u8; 45] = *br#"{"id":"00000000000000000000","method":"time"}"#;
/// Where the id's digits lie in [`TIME_REQUEST`] and [`SUBSCRIBE_REQUEST`].
const TIME_ID: core::ops::Range<usize> = 7..27;
/// Trades per `myTrades` page: 100 answers in about 26 KiB, well inside
/// the engine's message buffer.
pub const TRADES_PAGE: u16 = 100;
/// The longest symbol the venue's user data is matched against (Binance's
/// are at most 20 characters).
const SYMBOL_CAP: usize = 32;
/// `userDataStream.subscribe` on a logged-on session: no parameters.
const SUBSCRIBE_REQUEST: [u8; 65] = *br#"{"id":"00000000000000000000","method":"userDataStream.subscribe"}"#;

/// How the engine trades on Binance.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    /// The order every signal places, on the signal's side (`side` here is
    /// ignored); `client_order_id` must be set.
    pub order: PlaceOrder<'a>,
    /// HMAC keys sign every request; Ed25519 keys log the session on.
    pub auth: Auth<'a>,
    /// Unit of `timestamp`.
    pub time_unit: TimeUnit,
    /// `recvWindow` in milliseconds, if not the venue's default.
    pub recv_window: Option<u32>,
}

/// The rendered requests of one Binance session.
#[derive(Debug, Clone)]
pub(crate) struct Binance {
    /// `order.place` for a buy and for a sell.
    place: [Template; 2],
    status: Template,
    open_orders: Template,
    cancel_all: Template,
    trades: Template,
    latest_trade: Template,
    account: Template,
    logon: Option<Template>,
    time: [u8; TIME_REQUEST.len()],
    subscribe: Subscribe,
    time_unit: TimeUnit,
    priced: bool,
    /// The traded symbol: user data of others is not the engine's.
    symbol: heapless::String<SYMBOL_CAP>,
    scale: crate::order::Scale,
}

/// How the session subscribes to user data.
// One per engine, and there is no allocator to box the template in.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum Subscribe {
    /// `userDataStream.subscribe`, after `session.logon`.
    Session([u8; SUBSCRIBE_REQUEST.len()]),
    /// `userDataStream.subscribe.signature`, signed like an order.
    Signed(Template),
}

impl Binance {
    /// Renders every request the session sends.
    pub(crate) fn new(settings: &Settings<'_>) -> Result<Self, BuildError> {
        let logon = matches!(settings.auth, Auth::Ed25519 { .. });
        let signing = Session { auth: settings.auth, time: settings.time_unit, recv_window: settings.recv_window };
        // After `session.logon` the connection is authenticated: requests
        // carry neither key nor signature.
        let trading = if logon { Session { auth: Auth::Session, ..signing } } else { signing };
        let order = settings.order;
        let place = |side| Template::order_place(&PlaceOrder { side, ..order }, &trading);
        let id_width = order.client_order_id.unwrap_or(0);
        Ok(Self {
            place: [place(crate::order::Side::Buy)?, place(crate::order::Side::Sell)?],
            status: Template::order_status(order.instrument.symbol, id_width, &trading)?,
            open_orders: Template::open_orders_status(order.instrument.symbol, &trading)?,
            cancel_all: Template::open_orders_cancel_all(order.instrument.symbol, &trading)?,
            trades: Template::my_trades(order.instrument.symbol, TRADES_PAGE, &trading)?,
            latest_trade: Template::my_latest_trade(order.instrument.symbol, &trading)?,
            account: Template::account_status(&trading)?,
            logon: if logon { Some(Template::session_logon(&signing)?) } else { None },
            time: TIME_REQUEST,
            subscribe: if logon {
                Subscribe::Session(SUBSCRIBE_REQUEST)
            } else {
                Subscribe::Signed(Template::user_data_subscribe(&signing)?)
            },
            symbol: heapless::String::try_from(order.instrument.symbol).map_err(|_| BuildError::TooLong)?,
            scale: order.instrument.scale(),
            time_unit: settings.time_unit,
            priced: order.order_type.is_priced(),
        })
    }

    pub(crate) fn logs_on(&self) -> bool {
        self.logon.is_some()
    }

    pub(crate) fn timestamp(&self, unix_ns: u64) -> u64 {
        match self.time_unit {
            TimeUnit::Millis => unix_ns / 1_000_000,
            TimeUnit::Micros => unix_ns / 1_000,
        }
    }

    pub(crate) fn logon(&mut self, id: u64, timestamp: u64) -> Result<&[u8], RequestError> {
        let Some(t) = self.logon.as_mut() else { return Err(RequestError::Unsupported) };
        t.set(Slot::RequestId, id).and_then(|()| t.set(Slot::Timestamp, timestamp)).and_then(|()| t.sign())?;
        Ok(t.request())
    }

    pub(crate) fn time_request(&mut self, id: u64) -> Result<&[u8], RequestError> {
        let slot = self.time.get_mut(TIME_ID).unwrap_or_default();
        digits::write_padded(id, slot).map_err(|_| RequestError::Overflow(Field::RequestId))?;
        Ok(&self.time)
    }

    pub(crate) fn subscribe(&mut self, id: u64, timestamp: u64) -> Result<&[u8], RequestError> {
        match &mut self.subscribe {
            Subscribe::Session(request) => {
                let slot = request.get_mut(TIME_ID).unwrap_or_default();
                digits::write_padded(id, slot).map_err(|_| RequestError::Overflow(Field::RequestId))?;
                Ok(request)
            }
            Subscribe::Signed(t) => {
                t.set(Slot::RequestId, id).and_then(|()| t.set(Slot::Timestamp, timestamp)).and_then(|()| t.sign())?;
                Ok(t.request())
            }
        }
    }

    pub(crate) fn cancel_all(&mut self, id: u64, timestamp: u64) -> Result<&[u8], RequestError> {
        let t = &mut self.cancel_all;
        t.set(Slot::RequestId, id).and_then(|()| t.set(Slot::Timestamp, timestamp)).and_then(|()| t.sign())?;
        Ok(t.request())
    }

    pub(crate) fn trades_query(
        &mut self,
        id: u64,
        from_id: Option<u64>,
        timestamp: u64,
    ) -> Result<&[u8], RequestError> {
        let Some(from_id) = from_id else {
            let t = &mut self.latest_trade;
            t.set(Slot::RequestId, id).and_then(|()| t.set(Slot::Timestamp, timestamp)).and_then(|()| t.sign())?;
            return Ok(t.request());
        };
        let t = &mut self.trades;
        t.set(Slot::RequestId, id)
            .and_then(|()| t.set(Slot::FromId, from_id))
            .and_then(|()| t.set(Slot::Timestamp, timestamp))
            .and_then(|()| t.sign())?;
        Ok(t.request())
    }

    /// A `myTrades` page: each of the symbol's trades as a fill, in order.
    pub(crate) fn fills_page(&self, text: &[u8], mut each: impl FnMut(Fill)) -> Result<FillsPage, DecodeError> {
        let page = decode_trades(text, self.scale).map_err(DecodeError::Trades)?;
        if let Some(code) = page.code() {
            return Ok(FillsPage { trades: 0, refused: Some(code) });
        }
        let mut trades = 0;
        for trade in page.trades() {
            let t = trade.map_err(DecodeError::Trades)?;
            trades += 1;
            if t.symbol != self.symbol.as_str() {
                continue;
            }
            each(Fill {
                trade_id: t.id,
                order_id: t.order_id,
                side: if t.is_buyer { crate::order::Side::Buy } else { crate::order::Side::Sell },
                qty: t.qty,
                price: t.price,
                fee: t.commission,
                fee_asset: self.fee_asset(t.commission, Some(t.commission_asset)),
                maker: t.is_maker,
            });
        }
        Ok(FillsPage { trades, refused: None })
    }

    pub(crate) fn account_query(&mut self, id: u64, timestamp: u64) -> Result<&[u8], RequestError> {
        let t = &mut self.account;
        t.set(Slot::RequestId, id).and_then(|()| t.set(Slot::Timestamp, timestamp)).and_then(|()| t.sign())?;
        Ok(t.request())
    }

    /// An `account.status` answer: the instrument's two balances, or the
    /// venue's refusal code.
    pub(crate) fn balances(&self, text: &[u8]) -> Result<Result<Balances, i32>, DecodeError> {
        let answer = decode_account(text).map_err(DecodeError::Account)?;
        let list = match answer.outcome {
            Ok(list) => list,
            Err(code) => return Ok(Err(code)),
        };
        let mut balances = Balances::default();
        for b in list {
            let b = b.map_err(DecodeError::Account)?;
            let holding = Some(Holding { free: b.free, locked: b.locked });
            match self.asset(b.asset) {
                FeeAsset::Base => balances.base = holding,
                FeeAsset::Quote => balances.quote = holding,
                FeeAsset::None | FeeAsset::Other => {}
            }
        }
        Ok(Ok(balances))
    }

    pub(crate) fn open_orders_query(&mut self, id: u64, timestamp: u64) -> Result<&[u8], RequestError> {
        let t = &mut self.open_orders;
        t.set(Slot::RequestId, id).and_then(|()| t.set(Slot::Timestamp, timestamp)).and_then(|()| t.sign())?;
        Ok(t.request())
    }

    /// An `openOrders.status` answer: each of the symbol's open orders by
    /// its client order id (`None` for one hotline did not write) and its
    /// venue id, or the venue's refusal code.
    pub(crate) fn open_orders(
        &self,
        text: &[u8],
        mut each: impl FnMut(Option<u64>, u64),
    ) -> Result<Result<(), i32>, DecodeError> {
        let answer = decode_open_orders(text).map_err(DecodeError::OpenOrders)?;
        let list = match answer.outcome {
            Ok(list) => list,
            Err(code) => return Ok(Err(code)),
        };
        for order in list {
            let order = order.map_err(DecodeError::OpenOrders)?;
            if order.symbol == self.symbol.as_str() {
                each(parse_id(order.client_order_id), order.order_id);
            }
        }
        Ok(Ok(()))
    }

    pub(crate) fn status_query(
        &mut self,
        id: u64,
        client_order_id: u64,
        timestamp: u64,
    ) -> Result<&[u8], RequestError> {
        let t = &mut self.status;
        t.set(Slot::RequestId, id)
            .and_then(|()| t.set(Slot::OrigClientOrderId, client_order_id))
            .and_then(|()| t.set(Slot::Timestamp, timestamp))
            .and_then(|()| t.sign())?;
        Ok(t.request())
    }

    /// Patches the order's values into its side's template and signs it.
    #[inline]
    pub(crate) fn place(&mut self, order: &NewOrder) -> Result<&[u8], RequestError> {
        let t = self.patch(order)?;
        t.sign()?;
        Ok(t.request())
    }

    /// The exact signature payload of `order`, rebuilt from its values.
    pub(crate) fn signed_payload(&mut self, order: &NewOrder) -> Option<&[u8]> {
        Some(self.patch(order).ok()?.payload())
    }

    #[inline]
    fn patch(&mut self, order: &NewOrder) -> Result<&mut Template, PatchError> {
        let priced = self.priced;
        let t = &mut self.place[order.side.index()];
        t.set(Slot::RequestId, order.request_id)?;
        t.set(Slot::ClientOrderId, order.client_order_id)?;
        if priced {
            t.set(Slot::Price, order.price)?;
        }
        t.set(Slot::Quantity, order.qty)?;
        t.set(Slot::Timestamp, order.timestamp)?;
        Ok(t)
    }

    /// One complete text frame from the API.
    pub(crate) fn decode(&self, text: &[u8]) -> Result<Inbound, DecodeError> {
        let response = match decode(text)? {
            Message::Response(r) => r,
            Message::ServerShutdown { .. } => return Ok(Inbound::Closing),
            Message::Event("executionReport" | "outboundAccountPosition" | "eventStreamTerminated") => {
                return self.user_event(text);
            }
            Message::Event(_) => return Ok(Inbound::Other),
        };
        let outcome = match &response.outcome {
            Outcome::Accepted(ack) => super::Outcome::Accepted(Accepted {
                order_id: ack.order_id,
                status: order_status(ack.status),
                executed_qty: ack.executed_qty.and_then(|q| digits::read_decimal(q.as_bytes(), self.scale.qty).ok()),
                server_time_ms: ack.server_time,
            }),
            Outcome::Rejected(r) => super::Outcome::Rejected(rejection(r)),
            Outcome::Unknown(r) => super::Outcome::Unknown(r.as_ref().map(rejection)),
        };
        Ok(Inbound::Reply(Reply { id: response.id.and_then(parse_id), status: response.status, outcome }))
    }
}

impl Binance {
    /// A user data event, in the engine's terms: the traded symbol's order
    /// changes, and the end of the subscription.
    fn user_event(&self, text: &[u8]) -> Result<Inbound, DecodeError> {
        let frame = decode_event(text, self.scale).map_err(DecodeError::UserData)?;
        let x = match frame.event {
            UserEvent::Execution(x) if x.symbol == self.symbol.as_str() => x,
            UserEvent::StreamTerminated { .. } => return Ok(Inbound::UserDataEnded),
            UserEvent::Account(a) => {
                let mut balances = Balances::default();
                for b in &a.balances {
                    let holding = Some(Holding { free: b.free, locked: b.locked });
                    match self.asset(b.asset) {
                        FeeAsset::Base => balances.base = holding,
                        FeeAsset::Quote => balances.quote = holding,
                        FeeAsset::None | FeeAsset::Other => {}
                    }
                }
                return Ok(Inbound::Balances(balances));
            }
            UserEvent::Execution(_) | UserEvent::Other(_) => return Ok(Inbound::Other),
        };
        // A cancel's `c` is the cancel request's id; `C` names the order.
        let client_order_id = x.orig_client_order_id.unwrap_or(x.client_order_id);
        let fill = match (x.execution_type, x.trade_id) {
            (ExecType::Trade, Some(trade_id)) => Some(Fill {
                trade_id,
                order_id: x.order_id,
                side: x.side,
                qty: x.last_qty,
                price: x.last_price,
                fee: x.commission,
                fee_asset: self.fee_asset(x.commission, x.commission_asset),
                maker: x.is_maker,
            }),
            _ => None,
        };
        let status = match x.order_status {
            OrdStatus::Filled => OrderStatus::Filled,
            OrdStatus::Canceled | OrdStatus::Rejected | OrdStatus::Expired | OrdStatus::ExpiredInMatch => {
                OrderStatus::Closed
            }
            OrdStatus::New
            | OrdStatus::PendingNew
            | OrdStatus::PartiallyFilled
            | OrdStatus::PendingCancel
            | OrdStatus::Other => OrderStatus::Working,
        };
        Ok(Inbound::Execution(Execution {
            client_order_id: parse_id(client_order_id),
            side: x.side,
            order_qty: x.order_qty,
            cumulative_qty: x.cumulative_qty,
            status,
            fill,
            time_ms: x.transaction_time_ms,
        }))
    }

    /// What a commission was charged in.
    fn fee_asset(&self, fee: u64, asset: Option<&str>) -> FeeAsset {
        match asset {
            _ if fee == 0 => FeeAsset::None,
            None => FeeAsset::None,
            Some(a) => self.asset(a),
        }
    }

    /// Which of the instrument's assets `asset` is: a symbol is its base
    /// asset's name followed by its quote asset's (`BTC` + `USDT`).
    fn asset(&self, asset: &str) -> FeeAsset {
        let symbol = self.symbol.as_str();
        let part = !asset.is_empty() && asset.len() < symbol.len();
        if part && symbol.ends_with(asset) {
            FeeAsset::Quote
        } else if part && symbol.starts_with(asset) {
            FeeAsset::Base
        } else {
            FeeAsset::Other
        }
    }
}

/// An order's `status` as the engine settles it.
fn order_status(status: Option<&str>) -> OrderStatus {
    match status {
        Some("FILLED") => OrderStatus::Filled,
        Some("CANCELED" | "EXPIRED" | "REJECTED" | "EXPIRED_IN_MATCH") => OrderStatus::Closed,
        _ => OrderStatus::Working,
    }
}

fn rejection(r: &Rejection<'_>) -> super::Rejection {
    let kind = match r.code {
        NO_SUCH_ORDER => RejectKind::NoSuchOrder,
        TIMESTAMP_OUTSIDE_WINDOW => RejectKind::ClockSkew,
        BAD_SIGNATURE => RejectKind::BadSignature,
        _ => RejectKind::Other,
    };
    super::Rejection { code: r.code, kind, retry_after_unix_ms: r.retry_after }
}

/// A request id as the engine writes them: 20 decimal digits.
fn parse_id(id: &str) -> Option<u64> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

impl From<PatchError> for RequestError {
    fn from(e: PatchError) -> Self {
        let field = |slot| match slot {
            Slot::RequestId => Field::RequestId,
            Slot::ClientOrderId | Slot::OrigClientOrderId => Field::ClientOrderId,
            Slot::Price => Field::Price,
            Slot::Quantity => Field::Quantity,
            Slot::Timestamp => Field::Timestamp,
            Slot::FromId => Field::TradeId,
        };
        match e {
            PatchError::NoSlot(slot) => Self::Missing(field(slot)),
            PatchError::Overflow(slot) => Self::Overflow(field(slot)),
            PatchError::Signature(_) => Self::Signature,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_round_trip_and_foreign_ids_do_not_match() {
        assert_eq!(parse_id("00000000000000000042"), Some(42));
        assert_eq!(parse_id("abc"), None);
        assert_eq!(parse_id(""), None);
        assert_eq!(parse_id("-1"), None);
    }

    #[test]
    fn time_request_carries_its_id() {
        let mut time = TIME_REQUEST;
        digits::write_padded(42, time.get_mut(TIME_ID).unwrap()).unwrap();
        assert_eq!(&time, br#"{"id":"00000000000000000042","method":"time"}"#);
    }

    #[test]
    fn default_rates_stay_inside_binance_limits() {
        let l = crate::risk::Limits::new(1, 1, 1);
        let short = crate::risk::bucket::TokenBucket::new(l.short_rate.capacity, l.short_rate.window_ns);
        let daily = crate::risk::bucket::TokenBucket::new(l.daily_rate.capacity, l.daily_rate.window_ns);
        assert!(short.max_per_window() < ORDERS_PER_10S);
        assert!(daily.max_per_window() < ORDERS_PER_DAY);
    }
}
