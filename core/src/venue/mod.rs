//! The venues hotline trades on, behind one interface the engine calls:
//! the engine's neutral order (side, quantity in lots, price in ticks,
//! client order id, timestamp) turns into a venue's signed request bytes,
//! and a venue's messages turn into neutral [`Inbound`] answers (accepted,
//! rejected with a reason the engine acts on, or outcome unknown). A venue
//! is a folder here; adding one means that folder, a variant of
//! [`Settings`] and of `Venue`, and the arms that dispatch to it in this
//! file — nothing in the engine's session machine or fire path
//! (`docs/decisions/0004-venue-interface.md`).

pub mod binance;
pub mod coinbase;
mod json;
pub mod market;

use crate::ledger::{Balances, Fill};
use crate::order::Side;

pub use json::JsonError;

/// What one message from the venue means to the engine, in order: a FIX
/// execution report can answer an order and report its fill, and a
/// refused batch answers each of its orders.
pub type Decoded = heapless::Vec<Inbound, { coinbase::order::MAX_BATCH + 1 }>;

/// The longest one-order request any venue renders.
pub const ORDER_CAP: usize =
    if binance::REQUEST_CAP > coinbase::REQUEST_CAP { binance::REQUEST_CAP } else { coinbase::REQUEST_CAP };

/// The longest request any venue renders, a batch of orders included.
pub const REQUEST_CAP: usize =
    if ORDER_CAP > coinbase::order::BATCH_CAP { ORDER_CAP } else { coinbase::order::BATCH_CAP };

/// How a venue's messages travel over TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// One WebSocket text message per request and answer (RFC 6455).
    WebSocket,
    /// FIX tag=value messages straight on the TLS stream.
    Fix,
}

/// Which venue the engine trades on, and how.
#[derive(Debug, Clone, Copy)]
pub enum Settings<'a> {
    /// Binance Spot's WebSocket API.
    Binance(binance::Settings<'a>),
    /// Coinbase Exchange's FIX order entry.
    Coinbase(coinbase::Settings<'a>),
}

impl Settings<'_> {
    /// Digits of a client order id, if the venue's orders carry one (the
    /// engine needs it: it is the key an unknown order is queried by).
    pub fn client_order_id_width(&self) -> Option<u8> {
        match self {
            Self::Binance(s) => s.order.client_order_id,
            // The engine's id rides in a UUID's last 15 hex digits.
            Self::Coinbase(_) => Some(18),
        }
    }

    /// The traded instrument's price and quantity digits.
    pub fn scale(&self) -> crate::order::Scale {
        match self {
            Self::Binance(s) => s.order.instrument.scale(),
            Self::Coinbase(s) => s.instrument.scale(),
        }
    }

    /// The most orders one request may place: Coinbase's NewOrderBatch
    /// carries up to 15; Binance's WebSocket API places one order per
    /// request.
    pub fn max_batch(&self) -> usize {
        match self {
            Self::Binance(_) => 1,
            Self::Coinbase(_) => coinbase::order::MAX_BATCH,
        }
    }

    /// Whether orders carry a limit price.
    pub fn priced(&self) -> bool {
        match self {
            Self::Binance(s) => s.order.order_type.is_priced(),
            Self::Coinbase(s) => s.order_type.is_priced(),
        }
    }
}

/// A venue's requests could not be prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupError {
    /// A Binance request template failed to render.
    Binance(binance::BuildError),
    /// A Coinbase request failed to render.
    Coinbase(coinbase::BuildError),
}

/// A field of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The request's id.
    RequestId,
    /// The client order id (or the id of the order a query names).
    ClientOrderId,
    /// The limit price.
    Price,
    /// The quantity.
    Quantity,
    /// The timestamp.
    Timestamp,
    /// The trade id a query of the account's trades starts from.
    TradeId,
}

/// A request could not be written. Nothing was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestError {
    /// The request has no such field.
    Missing(Field),
    /// The value needs more digits than the field's fixed width.
    Overflow(Field),
    /// The signature could not be computed or written.
    Signature,
    /// The venue has no such request.
    Unsupported,
    /// The request is longer than [`REQUEST_CAP`].
    TooLong,
}

/// One order as every venue's `place` request needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewOrder {
    /// The request's id, echoed in the answer.
    pub request_id: u64,
    /// The idempotency key, never reused.
    pub client_order_id: u64,
    /// Buy or sell.
    pub side: Side,
    /// Quantity in lots.
    pub qty: u64,
    /// Limit price in ticks (ignored for a market order).
    pub price: u64,
    /// The venue timestamp it is signed with.
    pub timestamp: u64,
}

/// A message from the venue, in the engine's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbound {
    /// The answer to a request.
    Reply(Reply),
    /// One of the account's orders in the traded instrument changed (the
    /// user data stream).
    Execution(Execution),
    /// The account's balances of the instrument's assets changed.
    Balances(Balances),
    /// The user data subscription ended: no more executions come on it.
    UserDataEnded,
    /// The venue will close this connection soon: move to a new one.
    Closing,
    /// Messages from the venue were lost for good (a gap it will not fill):
    /// ask again for the state of the orders held open.
    Gap,
    /// Nothing the engine acts on.
    Other,
}

/// The answer to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    /// The request id it answers; `None` for one this engine did not write.
    pub id: Option<u64>,
    /// The venue's status code (HTTP-like).
    pub status: u16,
    /// What became of the request.
    pub outcome: Outcome,
}

/// What became of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted.
    Accepted(Accepted),
    /// Refused.
    Rejected(Rejection),
    /// The venue cannot say whether it executed: query before acting again.
    Unknown(Option<Rejection>),
}

/// An accepted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// The venue's order id.
    pub order_id: Option<u64>,
    /// Where the order stands.
    pub status: OrderStatus,
    /// Lots executed so far, when the answer says (and says it on the
    /// instrument's grid).
    pub executed_qty: Option<u64>,
    /// The venue's clock, Unix milliseconds, when the answer carries it.
    pub server_time_ms: Option<u64>,
}

/// Where an accepted order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    /// Resting or partly filled (or not said).
    Working,
    /// Filled in full.
    Filled,
    /// Closed without (further) fills: cancelled, expired, rejected.
    Closed,
}

/// A change to one of the account's orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Execution {
    /// The order's client order id, when it is one of this engine's
    /// (numeric); for a cancel, the id of the order it closed.
    pub client_order_id: Option<u64>,
    /// Buy or sell.
    pub side: Side,
    /// The order's quantity, in lots.
    pub order_qty: u64,
    /// Lots filled so far.
    pub cumulative_qty: u64,
    /// Where the order stands after it.
    pub status: OrderStatus,
    /// The fill it reports, if it is one.
    pub fill: Option<Fill>,
    /// The venue's time of it, Unix milliseconds.
    pub time_ms: u64,
}

/// A page of the account's past trades in the instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillsPage {
    /// Trades on the page (a full page means more may follow).
    pub trades: usize,
    /// The venue's error code, when it refused the query.
    pub refused: Option<i32>,
}

/// A refused request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    /// The venue's error code.
    pub code: i32,
    /// What the code means to the engine.
    pub kind: RejectKind,
    /// When a rate limit or ban lifts, Unix milliseconds.
    pub retry_after_unix_ms: Option<u64>,
}

/// The rejections the engine acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectKind {
    /// The order a query named does not exist: it was never placed.
    NoSuchOrder,
    /// The timestamp was outside the venue's window: measure its clock.
    ClockSkew,
    /// The signature was refused: nothing signed with this key will pass.
    BadSignature,
    /// Any other refusal.
    Other,
}

/// A venue's messages could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// A Binance frame.
    Binance(binance::DecodeError),
    /// A Coinbase FIX message.
    Coinbase(coinbase::DecodeError),
}

/// The venue the engine trades on: its rendered requests and its codec.
// One per engine, in fixed memory: there is no allocator to box a variant
// in, and the engine holds exactly one.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub(crate) enum Venue {
    Binance(binance::Binance),
    Coinbase(coinbase::Coinbase),
}

impl Venue {
    pub(crate) fn new(settings: &Settings<'_>) -> Result<Self, SetupError> {
        match settings {
            Settings::Binance(s) => binance::Binance::new(s).map(Self::Binance).map_err(SetupError::Binance),
            Settings::Coinbase(s) => coinbase::Coinbase::new(s).map(Self::Coinbase).map_err(SetupError::Coinbase),
        }
    }

    /// Whether the session logs on with a signed request after the
    /// transport is up.
    pub(crate) fn logs_on(&self) -> bool {
        match self {
            Self::Binance(v) => v.logs_on(),
            Self::Coinbase(_) => true,
        }
    }

    /// A venue timestamp from Unix nanoseconds.
    pub(crate) fn timestamp(&self, unix_ns: u64) -> u64 {
        match self {
            Self::Binance(v) => v.timestamp(unix_ns),
            Self::Coinbase(v) => v.timestamp(unix_ns),
        }
    }

    /// The logon request.
    pub(crate) fn logon(&mut self, id: u64, timestamp: u64) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(v) => v.logon(id, timestamp),
            Self::Coinbase(v) => v.logon(id, timestamp),
        }
    }

    /// The request that subscribes the connection to the account's user
    /// data (orders and fills).
    pub(crate) fn subscribe(&mut self, id: u64, timestamp: u64) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(v) => v.subscribe(id, timestamp),
            Self::Coinbase(_) => Err(RequestError::Unsupported),
        }
    }

    /// The request that cancels every open order of the instrument.
    pub(crate) fn cancel_all(&mut self, id: u64, timestamp: u64) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(v) => v.cancel_all(id, timestamp),
            Self::Coinbase(v) => v.cancel_all(id, timestamp),
        }
    }

    /// The query of the account's trades in the instrument from trade
    /// `from_id` on, one page of [`Venue::trades_page`] at most; without
    /// `from_id`, of its latest trade alone.
    pub(crate) fn trades_query(
        &mut self,
        id: u64,
        from_id: Option<u64>,
        timestamp: u64,
    ) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(v) => v.trades_query(id, from_id, timestamp),
            Self::Coinbase(_) => Err(RequestError::Unsupported),
        }
    }

    /// Trades per page of [`trades_query`](Self::trades_query).
    pub(crate) fn trades_page(&self) -> usize {
        match self {
            Self::Binance(_) => usize::from(binance::TRADES_PAGE),
            Self::Coinbase(_) => 0,
        }
    }

    /// The answer to [`trades_query`](Self::trades_query): `each` fill in
    /// trade order.
    pub(crate) fn fills_page(&self, message: &[u8], each: impl FnMut(Fill)) -> Result<FillsPage, DecodeError> {
        match self {
            Self::Binance(v) => v.fills_page(message, each).map_err(DecodeError::Binance),
            // Never asked: FIX order entry has no trade history query.
            Self::Coinbase(_) => Ok(FillsPage { trades: 0, refused: Some(0) }),
        }
    }

    /// The query of the instrument's orders the venue holds open, where the
    /// venue has one (Binance's `openOrders.status`; FIX order entry has
    /// none, and each order is asked on its own).
    pub(crate) fn open_orders_query(&mut self, id: u64, timestamp: u64) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(v) => v.open_orders_query(id, timestamp),
            Self::Coinbase(_) => Err(RequestError::Unsupported),
        }
    }

    /// The answer to [`open_orders_query`](Self::open_orders_query): `each`
    /// open order by the client order id it was placed with (`None` for
    /// an id hotline does not write) and the venue's id; or the venue's
    /// refusal code.
    pub(crate) fn open_orders(
        &self,
        message: &[u8],
        each: impl FnMut(Option<u64>, u64),
    ) -> Result<Result<(), i32>, DecodeError> {
        match self {
            Self::Binance(v) => v.open_orders(message, each).map_err(DecodeError::Binance),
            // Never asked.
            Self::Coinbase(_) => Ok(Err(0)),
        }
    }

    /// The query of the account's balances.
    pub(crate) fn account_query(&mut self, id: u64, timestamp: u64) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(v) => v.account_query(id, timestamp),
            Self::Coinbase(_) => Err(RequestError::Unsupported),
        }
    }

    /// The answer to [`account_query`](Self::account_query): the
    /// instrument's two balances, or the venue's refusal code.
    pub(crate) fn balances(&self, message: &[u8]) -> Result<Result<Balances, i32>, DecodeError> {
        match self {
            Self::Binance(v) => v.balances(message).map_err(DecodeError::Binance),
            // Never asked: FIX order entry has no balance query.
            Self::Coinbase(_) => Ok(Err(0)),
        }
    }

    /// The request that reads the venue's clock, sent at venue time
    /// `timestamp`.
    pub(crate) fn time_request(&mut self, id: u64, timestamp: u64) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(v) => v.time_request(id),
            Self::Coinbase(v) => v.time_request(id, timestamp),
        }
    }

    /// The query of an order by its client order id.
    pub(crate) fn status_query(
        &mut self,
        id: u64,
        client_order_id: u64,
        timestamp: u64,
    ) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(v) => v.status_query(id, client_order_id, timestamp),
            Self::Coinbase(v) => v.status_query(id, client_order_id, timestamp),
        }
    }

    /// The signed request that places `order`; `commit` when it is sent (a
    /// dry run renders the same bytes and leaves the venue's session as it
    /// was: no FIX MsgSeqNum taken, nothing awaited).
    #[inline]
    pub(crate) fn place(&mut self, order: &NewOrder, commit: bool) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(v) => v.place(order),
            Self::Coinbase(v) => v.place(order, commit),
        }
    }

    /// The request that places `orders` at once (a Coinbase
    /// NewOrderBatch), within [`Settings::max_batch`]; `commit` as for
    /// [`place`](Self::place).
    #[inline]
    pub(crate) fn place_batch(&mut self, orders: &[NewOrder], commit: bool) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(_) => Err(RequestError::Unsupported),
            Self::Coinbase(v) => v.place_batch(orders, commit),
        }
    }

    /// What `order` was signed over, to show beside a refused signature.
    pub(crate) fn signed_payload(&mut self, order: &NewOrder) -> Option<&[u8]> {
        match self {
            Self::Binance(v) => v.signed_payload(order),
            // A refused Logon is debugged with `hotline sign`; orders are
            // not signed.
            Self::Coinbase(_) => None,
        }
    }

    /// One complete message from the venue, received at venue time
    /// `unix_ns`: what it means to the engine, in order, appended to `out`.
    pub(crate) fn decode(&mut self, message: &[u8], unix_ns: u64, out: &mut Decoded) -> Result<(), DecodeError> {
        match self {
            Self::Binance(v) => {
                let _ = out.push(v.decode(message).map_err(DecodeError::Binance)?);
                Ok(())
            }
            Self::Coinbase(v) => v.decode(message, unix_ns, out).map_err(DecodeError::Coinbase),
        }
    }

    /// How messages travel.
    pub(crate) fn transport(&self) -> Transport {
        match self {
            Self::Binance(_) => Transport::WebSocket,
            Self::Coinbase(_) => Transport::Fix,
        }
    }

    /// Whether user data must be subscribed to on each connection (FIX
    /// sends a session's execution reports unasked).
    pub(crate) fn subscribes(&self) -> bool {
        matches!(self, Self::Binance(_))
    }

    /// Whether the account's trades can be read back after a reconnect
    /// (and its balances asked for).
    pub(crate) fn queries_account(&self) -> bool {
        matches!(self, Self::Binance(_))
    }

    /// The next message the venue's session owes (FIX Heartbeat,
    /// TestRequest, ResendRequest, gap fill, Logout), at venue time
    /// `unix_ns`.
    pub(crate) fn poll_admin(&mut self, unix_ns: u64) -> Option<Result<&[u8], RequestError>> {
        match self {
            Self::Binance(_) => None,
            Self::Coinbase(v) => v.poll_admin(unix_ns),
        }
    }

    /// Why the venue ends the session, when `message` says so (a FIX
    /// Logout's Text); Binance's WebSocket API has no such message.
    pub(crate) fn logout_text<'m>(&self, message: &'m [u8]) -> Option<&'m [u8]> {
        match self {
            Self::Binance(_) => None,
            Self::Coinbase(_) => coinbase::Coinbase::logout_text(message),
        }
    }

    /// Whether the venue's session still waits for messages it asked to be
    /// sent again (a FIX gap): what they report is not known yet, so an
    /// order's status asked now could overtake its own lost reports.
    pub(crate) fn resending(&self) -> bool {
        match self {
            Self::Binance(_) => false,
            Self::Coinbase(v) => v.resending(),
        }
    }

    /// When the venue's session timers are next due, in venue time.
    pub(crate) fn session_deadline(&self) -> Option<u64> {
        match self {
            Self::Binance(_) => None,
            Self::Coinbase(v) => v.deadline(),
        }
    }

    /// The venue's session timers at venue time `unix_ns`; an error ends
    /// the connection.
    pub(crate) fn on_session_timeout(&mut self, unix_ns: u64) -> Result<Option<Inbound>, DecodeError> {
        match self {
            Self::Binance(_) => Ok(None),
            Self::Coinbase(v) => {
                v.on_timeout(unix_ns).map_err(|e| DecodeError::Coinbase(coinbase::DecodeError::Session(e)))
            }
        }
    }

    /// Ends the venue's session in words (FIX Logout) before the
    /// transport closes.
    pub(crate) fn logout(&mut self) {
        match self {
            Self::Binance(_) => {}
            Self::Coinbase(v) => v.logout(),
        }
    }
}
