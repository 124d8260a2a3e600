//! Binance Spot WebSocket API responses (`docs/protocols/binance-ws-api.md`
//! §Response format, §Status codes, §Error codes) decoded
//! with `serde-json-core` into fixed-capacity structs that borrow from the
//! frame: the acknowledged order, the rejection with its code, message and
//! `retryAfter`, the `rateLimits` counters, the `serverShutdown` event, and
//! the "execution status unknown" outcome that status 5xx and error -1007
//! mean. Unknown fields are skipped; strings are borrowed as written, JSON
//! escapes included.

use serde::Deserialize;

/// Most `rateLimits` entries one response may carry (Binance sends three).
pub const MAX_RATE_LIMITS: usize = 8;

/// Error code -1007 TIMEOUT: "Send status unknown; execution status unknown".
pub const TIMEOUT: i32 = -1007;

/// A text frame from the WebSocket API.
// Responses are nearly every frame and there is no allocator to box them in.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// The answer to a request.
    Response(Response<'a>),
    /// `serverShutdown`: reconnect now
    /// (`docs/protocols/binance-ws-api.md` §Connection lifetime).
    ServerShutdown {
        /// Event time `E`, in ms.
        time: Option<u64>,
    },
    /// Another event, by its `e` name.
    Event(&'a str),
}

/// The answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response<'a> {
    /// The request `id` echoed back; `None` for `"id":null` (e.g. a key
    /// revoked mid-session).
    pub id: Option<&'a str>,
    /// HTTP-like status.
    pub status: u16,
    /// What became of the request.
    pub outcome: Outcome<'a>,
    /// Rate-limit counters after this request.
    pub rate_limits: heapless::Vec<RateLimit, MAX_RATE_LIMITS>,
}

/// What became of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// Accepted; `result` as far as hotline reads it.
    Accepted(Ack<'a>),
    /// Refused: the order does not exist on the venue.
    Rejected(Rejection<'a>),
    /// Status 5xx or error -1007: the order may or may not have executed.
    /// Query it before acting again (`docs/protocols/binance-ws-api.md`
    /// §Unknown outcomes).
    Unknown(Option<Rejection<'a>>),
}

/// The fields of `result` hotline uses: an order acknowledgement, or the
/// session of a `session.logon`. Fields the result lacks are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ack<'a> {
    /// `symbol`.
    pub symbol: Option<&'a str>,
    /// `orderId`.
    pub order_id: Option<u64>,
    /// `orderListId` (-1 outside order lists).
    pub order_list_id: Option<i64>,
    /// `clientOrderId`.
    pub client_order_id: Option<&'a str>,
    /// `transactTime`, in ms.
    pub transact_time: Option<u64>,
    /// Order `status` (`NEW`, `FILLED`, ...).
    pub status: Option<&'a str>,
    /// `executedQty`.
    pub executed_qty: Option<&'a str>,
    /// `session.logon`: `apiKey` now authorized.
    pub api_key: Option<&'a str>,
    /// `session.logon`: `authorizedSince`, in ms.
    pub authorized_since: Option<u64>,
    /// `session.logon`: `serverTime`, in ms.
    pub server_time: Option<u64>,
}

/// The `error` object of a refused request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection<'a> {
    /// `code`, e.g. -2010, -1021, -1022.
    pub code: i32,
    /// `msg`, as written in the frame.
    pub msg: &'a str,
    /// `data.retryAfter`: when a ban or rate limit lifts, in ms.
    pub retry_after: Option<u64>,
    /// `data.serverTime`, in ms.
    pub server_time: Option<u64>,
}

/// `rateLimitType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitType {
    /// `REQUEST_WEIGHT`.
    RequestWeight,
    /// `ORDERS`.
    Orders,
    /// `RAW_REQUESTS`.
    RawRequests,
    /// A type this codec does not know.
    Other,
}

/// `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// `SECOND`.
    Second,
    /// `MINUTE`.
    Minute,
    /// `HOUR`.
    Hour,
    /// `DAY`.
    Day,
    /// An interval this codec does not know.
    Other,
}

/// One `rateLimits` entry: `count` of `limit` used in the window of
/// `interval_num` × `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// `rateLimitType`.
    pub kind: LimitType,
    /// `interval`.
    pub interval: Interval,
    /// `intervalNum`.
    pub interval_num: u32,
    /// `limit`.
    pub limit: u32,
    /// `count`.
    pub count: u32,
}

/// A frame that is not a response or event this codec understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Not JSON of the expected shape (also: truncated, more than
    /// [`MAX_RATE_LIMITS`] rate limits, an `id` that is not a string).
    Json(serde_json_core::de::Error),
    /// No `status` and no `event`.
    NoStatus,
    /// A non-2xx status without an `error` object.
    NoError(u16),
    /// A user data event that does not decode.
    UserData(super::UserDataError),
    /// A `myTrades` answer that does not decode.
    Trades(super::TradesError),
    /// An `account.status` answer that does not decode.
    Account(super::AccountError),
    /// An `openOrders.status` answer that does not decode.
    OpenOrders(super::OpenOrdersError),
}

/// A `result` that is a list (`openOrders.cancelAll`, `openOrders.status`,
/// `myTrades`): read
/// past, element by element.
struct RawList;

impl<'de> Deserialize<'de> for RawList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Elements;
        impl<'de> serde::de::Visitor<'de> for Elements {
            type Value = RawList;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(RawList)
            }
        }
        d.deserialize_seq(Elements)
    }
}

/// A frame whose `result`, if any, is an `R`: an [`Ack`] object, or a
/// [`RawList`].
#[derive(Deserialize)]
struct RawFrame<'a, R> {
    #[serde(borrow)]
    id: Option<&'a str>,
    status: Option<u16>,
    result: Option<R>,
    #[serde(borrow)]
    error: Option<RawError<'a>>,
    #[serde(rename = "rateLimits", borrow)]
    rate_limits: Option<heapless::Vec<RawRateLimit<'a>, MAX_RATE_LIMITS>>,
    #[serde(borrow)]
    event: Option<RawEvent<'a>>,
}

#[derive(Deserialize)]
struct RawError<'a> {
    code: i32,
    #[serde(borrow)]
    msg: Option<&'a str>,
    data: Option<RawErrorData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawErrorData {
    retry_after: Option<u64>,
    server_time: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRateLimit<'a> {
    rate_limit_type: &'a str,
    interval: &'a str,
    interval_num: u32,
    limit: u32,
    count: u32,
}

#[derive(Deserialize)]
struct RawEvent<'a> {
    e: &'a str,
    #[serde(rename = "E")]
    time: Option<u64>,
}

impl From<RawRateLimit<'_>> for RateLimit {
    fn from(raw: RawRateLimit<'_>) -> Self {
        Self {
            kind: match raw.rate_limit_type {
                "REQUEST_WEIGHT" => LimitType::RequestWeight,
                "ORDERS" => LimitType::Orders,
                "RAW_REQUESTS" => LimitType::RawRequests,
                _ => LimitType::Other,
            },
            interval: match raw.interval {
                "SECOND" => Interval::Second,
                "MINUTE" => Interval::Minute,
                "HOUR" => Interval::Hour,
                "DAY" => Interval::Day,
                _ => Interval::Other,
            },
            interval_num: raw.interval_num,
            limit: raw.limit,
            count: raw.count,
        }
    }
}

/// Decodes one complete text frame.
pub fn decode(frame: &[u8]) -> Result<Message<'_>, DecodeError> {
    // Nearly every result is an object; a list is read again as one (the
    // JSON reader cannot look ahead at the value's kind).
    let raw = match serde_json_core::from_slice::<RawFrame<'_, Ack<'_>>>(frame) {
        Ok((raw, _)) => raw,
        Err(serde_json_core::de::Error::InvalidType) => {
            let (raw, _) = serde_json_core::from_slice::<RawFrame<'_, RawList>>(frame).map_err(DecodeError::Json)?;
            RawFrame {
                id: raw.id,
                status: raw.status,
                result: None,
                error: raw.error,
                rate_limits: raw.rate_limits,
                event: raw.event,
            }
        }
        Err(e) => return Err(DecodeError::Json(e)),
    };
    let Some(status) = raw.status else {
        return match raw.event {
            Some(RawEvent { e: "serverShutdown", time }) => Ok(Message::ServerShutdown { time }),
            Some(event) => Ok(Message::Event(event.e)),
            None => Err(DecodeError::NoStatus),
        };
    };
    let rejection = raw.error.map(|e| Rejection {
        code: e.code,
        msg: e.msg.unwrap_or_default(),
        retry_after: e.data.as_ref().and_then(|d| d.retry_after),
        server_time: e.data.as_ref().and_then(|d| d.server_time),
    });
    let outcome = match rejection {
        _ if status >= 500 => Outcome::Unknown(rejection),
        Some(r) if r.code == TIMEOUT => Outcome::Unknown(Some(r)),
        Some(r) => Outcome::Rejected(r),
        None if (200..300).contains(&status) => Outcome::Accepted(raw.result.unwrap_or_default()),
        None => return Err(DecodeError::NoError(status)),
    };
    Ok(Message::Response(Response {
        id: raw.id,
        status,
        outcome,
        rate_limits: raw.rate_limits.unwrap_or_default().into_iter().map(RateLimit::from).collect(),
    }))
}
