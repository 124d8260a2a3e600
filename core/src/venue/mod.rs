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

use crate::ledger::{Balances, Fill};
use crate::order::Side;

pub use json::JsonError;

/// The longest request any venue renders.
pub const REQUEST_CAP: usize = binance::REQUEST_CAP;

/// Which venue the engine trades on, and how.
#[derive(Debug, Clone, Copy)]
pub enum Settings<'a> {
    /// Binance Spot's WebSocket API.
    Binance(binance::Settings<'a>),
}

impl Settings<'_> {
    /// Digits of a client order id, if the venue's orders carry one (the
    /// engine needs it: it is the key an unknown order is queried by).
    pub fn client_order_id_width(&self) -> Option<u8> {
        match self {
            Self::Binance(s) => s.order.client_order_id,
        }
    }

    /// The traded instrument's price and quantity digits.
    pub fn scale(&self) -> crate::order::Scale {
        match self {
            Self::Binance(s) => s.order.instrument.scale(),
        }
    }

    /// Whether orders carry a limit price.
    pub fn priced(&self) -> bool {
        match self {
            Self::Binance(s) => s.order.order_type.is_priced(),
        }
    }
}

/// A venue's requests could not be prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupError {
    /// A Binance request template failed to render.
    Binance(binance::BuildError),
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
}

/// The venue the engine trades on: its rendered requests and its codec.
#[derive(Debug, Clone)]
pub(crate) enum Venue {
    Binance(binance::Binance),
}

impl Venue {
    pub(crate) fn new(settings: &Settings<'_>) -> Result<Self, SetupError> {
        match settings {
            Settings::Binance(s) => binance::Binance::new(s).map(Self::Binance).map_err(SetupError::Binance),
        }
    }

    /// Whether the session logs on with a signed request after the
    /// transport is up.
    pub(crate) fn logs_on(&self) -> bool {
        match self {
            Self::Binance(v) => v.logs_on(),
        }
    }

    /// A venue timestamp from Unix nanoseconds.
    pub(crate) fn timestamp(&self, unix_ns: u64) -> u64 {
        match self {
            Self::Binance(v) => v.timestamp(unix_ns),
        }
    }

    /// The logon request.
    pub(crate) fn logon(&mut self, id: u64, timestamp: u64) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(v) => v.logon(id, timestamp),
        }
    }

    /// The request that subscribes the connection to the account's user
    /// data (orders and fills).
    pub(crate) fn subscribe(&mut self, id: u64, timestamp: u64) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(v) => v.subscribe(id, timestamp),
        }
    }

    /// The request that cancels every open order of the instrument.
    pub(crate) fn cancel_all(&mut self, id: u64, timestamp: u64) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(v) => v.cancel_all(id, timestamp),
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
        }
    }

    /// Trades per page of [`trades_query`](Self::trades_query).
    pub(crate) fn trades_page(&self) -> usize {
        match self {
            Self::Binance(_) => usize::from(binance::TRADES_PAGE),
        }
    }

    /// The answer to [`trades_query`](Self::trades_query): `each` fill in
    /// trade order.
    pub(crate) fn fills_page(&self, message: &[u8], each: impl FnMut(Fill)) -> Result<FillsPage, DecodeError> {
        match self {
            Self::Binance(v) => v.fills_page(message, each).map_err(DecodeError::Binance),
        }
    }

    /// The query of the account's balances.
    pub(crate) fn account_query(&mut self, id: u64, timestamp: u64) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(v) => v.account_query(id, timestamp),
        }
    }

    /// The answer to [`account_query`](Self::account_query): the
    /// instrument's two balances, or the venue's refusal code.
    pub(crate) fn balances(&self, message: &[u8]) -> Result<Result<Balances, i32>, DecodeError> {
        match self {
            Self::Binance(v) => v.balances(message).map_err(DecodeError::Binance),
        }
    }

    /// The request that reads the venue's clock.
    pub(crate) fn time_request(&mut self, id: u64) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(v) => v.time_request(id),
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
        }
    }

    /// The signed request that places `order`.
    #[inline]
    pub(crate) fn place(&mut self, order: &NewOrder) -> Result<&[u8], RequestError> {
        match self {
            Self::Binance(v) => v.place(order),
        }
    }

    /// What `order` was signed over, to show beside a refused signature.
    pub(crate) fn signed_payload(&mut self, order: &NewOrder) -> Option<&[u8]> {
        match self {
            Self::Binance(v) => v.signed_payload(order),
        }
    }

    /// One complete message from the venue.
    pub(crate) fn decode(&self, message: &[u8]) -> Result<Inbound, DecodeError> {
        match self {
            Self::Binance(v) => v.decode(message).map_err(DecodeError::Binance),
        }
    }
}
