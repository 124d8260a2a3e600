//! Binance Spot user-data events, as the WebSocket API pushes them on a
//! connection subscribed with `userDataStream.subscribe` (or its
//! `.signature` form): one text frame
//! `{"subscriptionId":N,"event":{...}}` becomes an [`EventFrame`] whose
//! order updates (`executionReport`) and balances
//! (`outboundAccountPosition`) are counted in the instrument's ticks and
//! lots and in asset units, exactly or not at all
//! (`docs/protocols/binance-ws-api.md` §User data stream). The members are
//! read in one pass with `venue::json`, in any order; unknown keys are
//! skipped, keys and strings are compared and borrowed as written (escapes
//! included), and a missing, repeated, mistyped or off-grid field is an
//! error that names it.

use crate::order::digits::{DecimalError, read_decimal};
use crate::order::{Scale, Side};
use crate::venue::json::{Elements, Entry, JsonError, Members, Value};
use UserDataError::{Duplicate, Invalid, Missing};

/// Fraction digits of an asset amount: commissions, cumulative quote
/// quantities and balances are counted in 10^-8 of their asset, the
/// precision Binance writes them with.
pub const ASSET_DECIMALS: u8 = 8;

/// Most balances one `outboundAccountPosition` may carry. It lists only
/// the assets an event touched (an order's base, quote and commission
/// asset); more is an error, never a truncated list.
pub const MAX_BALANCES: usize = 8;

/// One user-data frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFrame<'a> {
    /// `subscriptionId`: which subscription on the connection sent it
    /// (optional in the wrapper, so `None` when absent or `null`).
    pub subscription_id: Option<u16>,
    /// `event`.
    pub event: UserEvent<'a>,
}

/// A user-data event.
// An account position is the largest and rarest event, and there is no
// allocator to box it in.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserEvent<'a> {
    /// `executionReport`: an order changed.
    Execution(ExecutionReport<'a>),
    /// `outboundAccountPosition`: balances an event changed.
    Account(AccountPosition<'a>),
    /// `eventStreamTerminated`: the subscription ended (logout,
    /// unsubscribe); no more events come from it.
    StreamTerminated {
        /// Event time `E`, in ms.
        time_ms: u64,
    },
    /// An event hotline does not read (`balanceUpdate`, `listStatus`,
    /// `externalLockUpdate`, ...), by its `e` name.
    Other(&'a str),
}

/// An `executionReport`, as far as hotline reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutionReport<'a> {
    /// `E`: event time, in ms.
    pub event_time_ms: u64,
    /// `s`: symbol.
    pub symbol: &'a str,
    /// `c`: client order id. On a cancel this is the cancel request's own
    /// id, not the order's: match cancels on `orig_client_order_id`.
    pub client_order_id: &'a str,
    /// `C`: the client order id of the order a cancel closed; `None` when
    /// Binance writes `""` (every other event).
    pub orig_client_order_id: Option<&'a str>,
    /// `S`: side.
    pub side: Side,
    /// `x`: what happened.
    pub execution_type: ExecType,
    /// `X`: where the order stands after it.
    pub order_status: OrdStatus,
    /// `r`: reject reason, `NONE` unless rejected.
    pub reject_reason: &'a str,
    /// `i`: the venue's order id.
    pub order_id: u64,
    /// `q`: order quantity, in lots.
    pub order_qty: u64,
    /// `p`: order price, in ticks (0 for a market order).
    pub order_price: u64,
    /// `l`: quantity of this fill, in lots (0 unless a trade).
    pub last_qty: u64,
    /// `L`: price of this fill, in ticks (0 unless a trade).
    pub last_price: u64,
    /// `z`: quantity filled so far, in lots.
    pub cumulative_qty: u64,
    /// `Z`: quote asset transacted so far, in 10^-[`ASSET_DECIMALS`] of
    /// the quote asset; the average price is this over `cumulative_qty`.
    pub cumulative_quote: u64,
    /// `n`: commission of this fill, in 10^-[`ASSET_DECIMALS`] of
    /// `commission_asset`.
    pub commission: u64,
    /// `N`: commission asset; `None` for `null` (no commission).
    pub commission_asset: Option<&'a str>,
    /// `T`: transaction time, in ms.
    pub transaction_time_ms: u64,
    /// `t`: trade id; `None` for -1 (not a trade). With `symbol` it keys a
    /// fill, e.g. to drop one seen twice across a reconnect.
    pub trade_id: Option<u64>,
    /// `I`: execution id.
    pub execution_id: u64,
    /// `m`: whether this fill was on the maker side.
    pub is_maker: bool,
    /// `eR`: expiry reason, present when the order expired.
    pub expiry_reason: Option<&'a str>,
}

/// `x`, the execution type (Binance's `enums.md` §"Execution types"; FIX
/// calls the same field ExecType).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecType {
    /// `NEW`: accepted by the matching engine.
    New,
    /// `CANCELED`: cancelled by the user.
    Canceled,
    /// `REPLACED`: amended.
    Replaced,
    /// `REJECTED`: not processed (the new leg of a cancel-replace).
    Rejected,
    /// `TRADE`: a fill; `last_qty` at `last_price`.
    Trade,
    /// `EXPIRED`: cancelled by the order type's rules or by the exchange.
    Expired,
    /// `TRADE_PREVENTION`: expired by self-trade prevention.
    TradePrevention,
    /// A type this codec does not know.
    Other,
}

/// `X`, the order status (Binance's `enums.md` §"Order status"; FIX calls
/// the same field OrdStatus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrdStatus {
    /// `NEW`.
    New,
    /// `PENDING_NEW`: waiting on an order list's working order.
    PendingNew,
    /// `PARTIALLY_FILLED`.
    PartiallyFilled,
    /// `FILLED`.
    Filled,
    /// `CANCELED`.
    Canceled,
    /// `PENDING_CANCEL` (unused by Binance).
    PendingCancel,
    /// `REJECTED`.
    Rejected,
    /// `EXPIRED`.
    Expired,
    /// `EXPIRED_IN_MATCH`: expired by self-trade prevention.
    ExpiredInMatch,
    /// A status this codec does not know.
    Other,
}

/// An `outboundAccountPosition`: absolute balances (not deltas) of the
/// assets an event may have changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountPosition<'a> {
    /// `E`: event time, in ms.
    pub event_time_ms: u64,
    /// `u`: time of the last account update, in ms.
    pub last_update_ms: u64,
    /// `B`, in the order written.
    pub balances: heapless::Vec<Balance<'a>, MAX_BALANCES>,
}

/// One entry of `B`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance<'a> {
    /// `a`: asset.
    pub asset: &'a str,
    /// `f`: free, in 10^-[`ASSET_DECIMALS`] of the asset.
    pub free: u64,
    /// `l`: locked, in 10^-[`ASSET_DECIMALS`] of the asset.
    pub locked: u64,
}

/// A member of a user-data frame, as named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventField {
    /// `e`.
    EventType,
    /// `E`.
    EventTime,
    /// `s`.
    Symbol,
    /// `c`.
    ClientOrderId,
    /// `C`.
    OrigClientOrderId,
    /// `S`.
    Side,
    /// `x`.
    ExecutionType,
    /// `X`.
    OrderStatus,
    /// `r`.
    RejectReason,
    /// `i`.
    OrderId,
    /// `q`.
    OrderQty,
    /// `p`.
    OrderPrice,
    /// `l` of an `executionReport`.
    LastQty,
    /// `L`.
    LastPrice,
    /// `z`.
    CumulativeQty,
    /// `Z`.
    CumulativeQuote,
    /// `n`.
    Commission,
    /// `N`.
    CommissionAsset,
    /// `T`.
    TransactionTime,
    /// `t`.
    TradeId,
    /// `I`.
    ExecutionId,
    /// `m`.
    IsMaker,
    /// `eR`.
    ExpiryReason,
    /// `u` of an `outboundAccountPosition`.
    LastUpdate,
    /// `B` of an `outboundAccountPosition`.
    Balances,
    /// `a` of a balance.
    Asset,
    /// `f` of a balance.
    Free,
    /// `l` of a balance.
    Locked,
    /// `subscriptionId` of the wrapper.
    SubscriptionId,
    /// `event` of the wrapper.
    Event,
}

/// Members of the event object that are read (`EventType` to `Balances`),
/// each in the slot of its discriminant.
const EVENT_FIELDS: usize = EventField::Balances as usize + 1;

/// Why a frame is not a user-data event this codec can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserDataError {
    /// Not one JSON object: truncated, malformed or nested too deep.
    Json(JsonError),
    /// No `event` member: a response, or not from the WebSocket API.
    NotAnEvent,
    /// A member the event must carry is absent.
    Missing(EventField),
    /// A member written twice.
    Duplicate(EventField),
    /// A member of the wrong JSON type, a string that is not UTF-8, or a
    /// value outside its range (an id beyond `u64`, a side other than `BUY`/`SELL`, a trade id
    /// below -1, a subscription id beyond `u16`).
    Invalid(EventField),
    /// A decimal that is not a whole number of steps (ticks, lots or asset
    /// units): malformed, negative, off the grid, or beyond `u64`.
    Decimal(EventField, DecimalError),
    /// More than [`MAX_BALANCES`] balances.
    TooManyBalances,
}

impl From<JsonError> for UserDataError {
    fn from(e: JsonError) -> Self {
        Self::Json(e)
    }
}

/// Decodes one complete text frame of the user-data stream, counting an
/// execution report's prices and quantities in `scale` (the instrument
/// of its symbol, which the caller checks).
pub fn decode_event(frame: &[u8], scale: Scale) -> Result<EventFrame<'_>, UserDataError> {
    let mut subscription = None;
    let mut event = Found { values: [None; EVENT_FIELDS] };
    let mut entered = false;
    let mut members = Members::new(frame)?;
    // The event object is read as it is met rather than skimmed first:
    // one pass over the frame.
    while let Some(entry) = members.next_entering(b"event") {
        match entry? {
            Entry::Member(b"subscriptionId", value) => {
                let id = match value {
                    Value::Null => None,
                    v => {
                        Some(v.u64().and_then(|id| u16::try_from(id).ok()).ok_or(Invalid(EventField::SubscriptionId))?)
                    }
                };
                if subscription.replace(id).is_some() {
                    return Err(Duplicate(EventField::SubscriptionId));
                }
            }
            Entry::Member(b"event", _) => return Err(Invalid(EventField::Event)),
            Entry::Member(..) => {}
            Entry::Entered(_) if entered => return Err(Duplicate(EventField::Event)),
            Entry::Entered(_) => {
                entered = true;
                event.read(&mut members)?;
            }
        }
    }
    if !entered {
        return Err(UserDataError::NotAnEvent);
    }
    Ok(EventFrame { subscription_id: subscription.flatten(), event: event.event(scale)? })
}

/// The member an event key names, if hotline reads it.
fn event_field(key: &[u8]) -> Option<EventField> {
    use EventField::*;
    Some(match key {
        [b'e'] => EventType,
        [b'E'] => EventTime,
        [b's'] => Symbol,
        [b'c'] => ClientOrderId,
        [b'C'] => OrigClientOrderId,
        [b'S'] => Side,
        [b'x'] => ExecutionType,
        [b'X'] => OrderStatus,
        [b'r'] => RejectReason,
        [b'i'] => OrderId,
        [b'q'] => OrderQty,
        [b'p'] => OrderPrice,
        [b'l'] => LastQty,
        [b'L'] => LastPrice,
        [b'z'] => CumulativeQty,
        [b'Z'] => CumulativeQuote,
        [b'n'] => Commission,
        [b'N'] => CommissionAsset,
        [b'T'] => TransactionTime,
        [b't'] => TradeId,
        [b'I'] => ExecutionId,
        [b'm'] => IsMaker,
        [b'e', b'R'] => ExpiryReason,
        [b'u'] => LastUpdate,
        [b'B'] => Balances,
        _ => return None,
    })
}

/// The event's members hotline reads, as written. One pass collects them
/// for every event type at once, since `e` may come anywhere; the type
/// then says which to convert (a key such as `B` or `u` means different
/// things in different events).
struct Found<'a> {
    values: [Option<Value<'a>>; EVENT_FIELDS],
}

impl<'a> Found<'a> {
    /// Reads the members of the object `members` has just entered.
    fn read(&mut self, members: &mut Members<'a>) -> Result<(), UserDataError> {
        for member in members.by_ref() {
            let (key, value) = member?;
            let Some(field) = event_field(key) else { continue };
            if let Some(slot) = self.values.get_mut(field as usize)
                && slot.replace(value).is_some()
            {
                return Err(Duplicate(field));
            }
        }
        Ok(())
    }

    fn event(&self, scale: Scale) -> Result<UserEvent<'a>, UserDataError> {
        let kind = self.get(EventField::EventType)?;
        Ok(match kind {
            Value::Str(b"executionReport") => UserEvent::Execution(self.execution(scale)?),
            Value::Str(b"outboundAccountPosition") => UserEvent::Account(self.account()?),
            Value::Str(b"eventStreamTerminated") => {
                UserEvent::StreamTerminated { time_ms: self.u64(EventField::EventTime)? }
            }
            other => UserEvent::Other(other.str().ok_or(Invalid(EventField::EventType))?),
        })
    }

    fn execution(&self, scale: Scale) -> Result<ExecutionReport<'a>, UserDataError> {
        use EventField as F;
        let (price, qty) = (scale.price, scale.qty);
        Ok(ExecutionReport {
            event_time_ms: self.u64(F::EventTime)?,
            symbol: self.str(F::Symbol)?,
            client_order_id: self.str(F::ClientOrderId)?,
            orig_client_order_id: Some(self.str(F::OrigClientOrderId)?).filter(|c| !c.is_empty()),
            side: match self.get(F::Side)? {
                Value::Str(b"BUY") => Side::Buy,
                Value::Str(b"SELL") => Side::Sell,
                _ => return Err(Invalid(F::Side)),
            },
            execution_type: match self.get(F::ExecutionType)? {
                Value::Str(b"NEW") => ExecType::New,
                Value::Str(b"CANCELED") => ExecType::Canceled,
                Value::Str(b"REPLACED") => ExecType::Replaced,
                Value::Str(b"REJECTED") => ExecType::Rejected,
                Value::Str(b"TRADE") => ExecType::Trade,
                Value::Str(b"EXPIRED") => ExecType::Expired,
                Value::Str(b"TRADE_PREVENTION") => ExecType::TradePrevention,
                Value::Str(_) => ExecType::Other,
                _ => return Err(Invalid(F::ExecutionType)),
            },
            order_status: match self.get(F::OrderStatus)? {
                Value::Str(b"NEW") => OrdStatus::New,
                Value::Str(b"PENDING_NEW") => OrdStatus::PendingNew,
                Value::Str(b"PARTIALLY_FILLED") => OrdStatus::PartiallyFilled,
                Value::Str(b"FILLED") => OrdStatus::Filled,
                Value::Str(b"CANCELED") => OrdStatus::Canceled,
                Value::Str(b"PENDING_CANCEL") => OrdStatus::PendingCancel,
                Value::Str(b"REJECTED") => OrdStatus::Rejected,
                Value::Str(b"EXPIRED") => OrdStatus::Expired,
                Value::Str(b"EXPIRED_IN_MATCH") => OrdStatus::ExpiredInMatch,
                Value::Str(_) => OrdStatus::Other,
                _ => return Err(Invalid(F::OrderStatus)),
            },
            reject_reason: self.str(F::RejectReason)?,
            order_id: self.u64(F::OrderId)?,
            order_qty: self.decimal(F::OrderQty, qty)?,
            order_price: self.decimal(F::OrderPrice, price)?,
            last_qty: self.decimal(F::LastQty, qty)?,
            last_price: self.decimal(F::LastPrice, price)?,
            cumulative_qty: self.decimal(F::CumulativeQty, qty)?,
            cumulative_quote: self.decimal(F::CumulativeQuote, ASSET_DECIMALS)?,
            commission: self.decimal(F::Commission, ASSET_DECIMALS)?,
            commission_asset: match self.get(F::CommissionAsset)? {
                Value::Null => None,
                v => Some(v.str().ok_or(Invalid(F::CommissionAsset))?),
            },
            transaction_time_ms: self.u64(F::TransactionTime)?,
            // SBE's tradeId is an int64 with -1 for "none".
            trade_id: match self.get(F::TradeId)?.i64() {
                Some(-1) => None,
                id => Some(id.and_then(|id| u64::try_from(id).ok()).ok_or(Invalid(F::TradeId))?),
            },
            execution_id: self.u64(F::ExecutionId)?,
            is_maker: self.get(F::IsMaker)?.bool().ok_or(Invalid(F::IsMaker))?,
            expiry_reason: match self.values.get(F::ExpiryReason as usize).copied().flatten() {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.str().ok_or(Invalid(F::ExpiryReason))?),
            },
        })
    }

    fn account(&self) -> Result<AccountPosition<'a>, UserDataError> {
        let Value::Array(list) = self.get(EventField::Balances)? else { return Err(Invalid(EventField::Balances)) };
        let mut balances = heapless::Vec::new();
        for entry in Elements::new(list)? {
            let Value::Object(entry) = entry? else { return Err(Invalid(EventField::Balances)) };
            balances.push(balance(entry)?).map_err(|_| UserDataError::TooManyBalances)?;
        }
        Ok(AccountPosition {
            event_time_ms: self.u64(EventField::EventTime)?,
            last_update_ms: self.u64(EventField::LastUpdate)?,
            balances,
        })
    }

    fn get(&self, field: EventField) -> Result<Value<'a>, UserDataError> {
        self.values.get(field as usize).copied().flatten().ok_or(Missing(field))
    }

    fn u64(&self, field: EventField) -> Result<u64, UserDataError> {
        self.get(field)?.u64().ok_or(Invalid(field))
    }

    fn str(&self, field: EventField) -> Result<&'a str, UserDataError> {
        self.get(field)?.str().ok_or(Invalid(field))
    }

    fn decimal(&self, field: EventField, decimals: u8) -> Result<u64, UserDataError> {
        decimal(self.get(field)?, field, decimals)
    }
}

/// A decimal string as a count of 10^-`decimals` steps; Binance writes
/// every price, quantity and amount as a JSON string.
fn decimal(value: Value<'_>, field: EventField, decimals: u8) -> Result<u64, UserDataError> {
    match value {
        Value::Str(text) => read_decimal(text, decimals).map_err(|e| UserDataError::Decimal(field, e)),
        _ => Err(Invalid(field)),
    }
}

/// One `{"a","f","l"}` entry of `B`.
fn balance(entry: &[u8]) -> Result<Balance<'_>, UserDataError> {
    let (mut asset, mut free, mut locked) = (None, None, None);
    for member in Members::new(entry)? {
        let (key, value) = member?;
        let (slot, field) = match key {
            b"a" => (&mut asset, EventField::Asset),
            b"f" => (&mut free, EventField::Free),
            b"l" => (&mut locked, EventField::Locked),
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(Duplicate(field));
        }
    }
    Ok(Balance {
        asset: asset.ok_or(Missing(EventField::Asset))?.str().ok_or(Invalid(EventField::Asset))?,
        free: decimal(free.ok_or(Missing(EventField::Free))?, EventField::Free, ASSET_DECIMALS)?,
        locked: decimal(locked.ok_or(Missing(EventField::Locked))?, EventField::Locked, ASSET_DECIMALS)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// user-data-stream.md §"Order Update", its comments removed.
    const DOC_EXECUTION_REPORT: &str = r#"{
    "subscriptionId": 0,
    "event": {
        "e": "executionReport",
        "E": 1499405658658,
        "s": "ETHBTC",
        "c": "mUvoqJxFIILMdfAW5iGSOW",
        "S": "BUY",
        "o": "LIMIT",
        "f": "GTC",
        "q": "1.00000000",
        "p": "0.10264410",
        "P": "0.00000000",
        "F": "0.00000000",
        "g": -1,
        "C": "",
        "x": "NEW",
        "X": "NEW",
        "r": "NONE",
        "i": 4293153,
        "l": "0.00000000",
        "z": "0.00000000",
        "L": "0.00000000",
        "n": "0",
        "N": null,
        "T": 1499405658657,
        "t": -1,
        "v": 3,
        "I": 8641984,
        "w": true,
        "m": false,
        "M": false,
        "O": 1499405658657,
        "Z": "0.00000000",
        "Y": "0.00000000",
        "Q": "0.00000000",
        "W": 1499405658657,
        "V": "NONE"
    }
}"#;

    /// user-data-stream.md §"Account Update".
    const DOC_ACCOUNT_POSITION: &str = r#"{
    "subscriptionId": 0,
    "event": {
        "e": "outboundAccountPosition",
        "E": 1564034571105,
        "u": 1564034571073,
        "B": [
            {
                "a": "ETH",
                "f": "10000.000000",
                "l": "0.000000"
            }
        ]
    }
}"#;

    /// web-socket-api.md §"Event format".
    const DOC_EVENT_FORMAT: &str = r#"{"subscriptionId":0,"event":{"e":"outboundAccountPosition","E":1728972148778,"u":1728972148778,"B":[{"a":"BTC","f":"11818.00000000","l":"182.00000000"},{"a":"USDT","f":"10580.00000000","l":"70.00000000"}]}}"#;

    /// user-data-stream.md §"Event Stream Terminated".
    const DOC_TERMINATED: &str = r#"{"subscriptionId":0,"event":{"e":"eventStreamTerminated","E":1728973001334}}"#;

    /// user-data-stream.md §"Balance Update", §"Order Update" (`listStatus`),
    /// §"External Lock Update".
    const DOC_OTHERS: [(&str, &str); 3] = [
        (
            "balanceUpdate",
            r#"{"subscriptionId":0,"event":{"e":"balanceUpdate","E":1573200697110,"a":"BTC","d":"100.00000000","T":1573200697068}}"#,
        ),
        (
            "listStatus",
            r#"{"subscriptionId":0,"event":{"e":"listStatus","E":1564035303637,"s":"ETHBTC","g":2,"c":"OCO","l":"EXEC_STARTED","L":"EXECUTING","r":"NONE","C":"F4QN4G8DlFATFlIUQ0cjdD","T":1564035303625,"O":[{"s":"ETHBTC","i":17,"c":"AJYsMjErWJesZvqlJCTUgL"},{"s":"ETHBTC","i":18,"c":"bfYPSQdLoqAJeNrOr9adzq"}]}}"#,
        ),
        (
            "externalLockUpdate",
            r#"{"subscriptionId":0,"event":{"e":"externalLockUpdate","E":1581557507324,"a":"NEO","d":"10.00000000","T":1581557507268}}"#,
        ),
    ];

    /// ETHBTC as the documented sample needs it: prices to 10^-8, lots of
    /// 10^-4.
    const ETHBTC: Scale = Scale { price: 8, qty: 4 };

    /// A partial fill (not a documented sample): every member hotline
    /// reads, plus some it skips.
    const FILL: [(&str, &str); 29] = [
        ("e", r#""executionReport""#),
        ("E", "1700000000123"),
        ("s", r#""BTCUSDT""#),
        ("c", r#""00000000000000000042""#),
        ("S", r#""SELL""#),
        ("o", r#""LIMIT""#),
        ("f", r#""IOC""#),
        ("q", r#""0.03000000""#),
        ("p", r#""67000.01000000""#),
        ("g", "-1"),
        ("C", r#""""#),
        ("x", r#""TRADE""#),
        ("X", r#""PARTIALLY_FILLED""#),
        ("r", r#""NONE""#),
        ("i", "28457"),
        ("l", r#""0.01000000""#),
        ("z", r#""0.02000000""#),
        ("L", r#""67000.02000000""#),
        ("n", r#""0.00000531""#),
        ("N", r#""BNB""#),
        ("T", "1700000000120"),
        ("t", "912345"),
        ("I", "77123"),
        ("w", "false"),
        ("m", "true"),
        ("M", "true"),
        ("O", "1699999999000"),
        ("Z", r#""1340.00030000""#),
        ("Y", r#""670.00020000""#),
    ];

    const BTCUSDT: Scale = Scale { price: 2, qty: 5 };

    type Buf = heapless::Vec<u8, 4096>;

    /// The wrapped event holding `members`, except any keyed `skip`.
    fn render(members: &[(&str, &str)], skip: &str) -> Buf {
        let mut out = Buf::new();
        out.extend_from_slice(br#"{"subscriptionId":7,"event":{"#).unwrap();
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
        out.extend_from_slice(b"}}").unwrap();
        out
    }

    /// `FILL` with `key`'s value replaced by `value`.
    fn fill_with(key: &str, value: &str) -> Buf {
        let mut members = FILL;
        members.iter_mut().find(|(k, _)| *k == key).unwrap().1 = value;
        render(&members, "")
    }

    fn execution(frame: &[u8], scale: Scale) -> ExecutionReport<'_> {
        match decode_event(frame, scale) {
            Ok(EventFrame { event: UserEvent::Execution(r), .. }) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn documented_execution_report() {
        let frame = decode_event(DOC_EXECUTION_REPORT.as_bytes(), ETHBTC).unwrap();
        assert_eq!(frame.subscription_id, Some(0));
        assert_eq!(
            frame.event,
            UserEvent::Execution(ExecutionReport {
                event_time_ms: 1_499_405_658_658,
                symbol: "ETHBTC",
                client_order_id: "mUvoqJxFIILMdfAW5iGSOW",
                orig_client_order_id: None,
                side: Side::Buy,
                execution_type: ExecType::New,
                order_status: OrdStatus::New,
                reject_reason: "NONE",
                order_id: 4_293_153,
                order_qty: 10_000,
                order_price: 10_264_410,
                last_qty: 0,
                last_price: 0,
                cumulative_qty: 0,
                cumulative_quote: 0,
                commission: 0,
                commission_asset: None,
                transaction_time_ms: 1_499_405_658_657,
                trade_id: None,
                execution_id: 8_641_984,
                is_maker: false,
                expiry_reason: None,
            })
        );
    }

    #[test]
    fn documented_account_positions() {
        let frame = decode_event(DOC_ACCOUNT_POSITION.as_bytes(), ETHBTC).unwrap();
        assert_eq!(frame.subscription_id, Some(0));
        let UserEvent::Account(a) = frame.event else { panic!("{frame:?}") };
        assert_eq!((a.event_time_ms, a.last_update_ms), (1_564_034_571_105, 1_564_034_571_073));
        assert_eq!(a.balances.as_slice(), &[Balance { asset: "ETH", free: 1_000_000_000_000, locked: 0 }]);

        let UserEvent::Account(a) = decode_event(DOC_EVENT_FORMAT.as_bytes(), ETHBTC).unwrap().event else { panic!() };
        assert_eq!((a.event_time_ms, a.last_update_ms), (1_728_972_148_778, 1_728_972_148_778));
        assert_eq!(
            a.balances.as_slice(),
            &[
                Balance { asset: "BTC", free: 1_181_800_000_000, locked: 18_200_000_000 },
                Balance { asset: "USDT", free: 1_058_000_000_000, locked: 7_000_000_000 },
            ]
        );
    }

    #[test]
    fn documented_stream_end_and_other_events() {
        let frame = decode_event(DOC_TERMINATED.as_bytes(), ETHBTC).unwrap();
        assert_eq!(
            frame,
            EventFrame { subscription_id: Some(0), event: UserEvent::StreamTerminated { time_ms: 1_728_973_001_334 } }
        );
        for (name, frame) in DOC_OTHERS {
            let frame = decode_event(frame.as_bytes(), ETHBTC).unwrap();
            assert_eq!(frame.event, UserEvent::Other(name));
        }
        // serverShutdown comes in the same wrapper, without a subscription.
        let shutdown = decode_event(br#"{"event":{"e":"serverShutdown","E":1}}"#, ETHBTC).unwrap();
        assert_eq!(shutdown, EventFrame { subscription_id: None, event: UserEvent::Other("serverShutdown") });
        let null_id = decode_event(br#"{"subscriptionId":null,"event":{"e":"x"}}"#, ETHBTC).unwrap();
        assert_eq!(null_id.subscription_id, None);
    }

    #[test]
    fn a_fill_reads_last_quantity_and_price() {
        let frame = render(&FILL, "");
        let r = execution(&frame, BTCUSDT);
        assert_eq!(decode_event(&frame, BTCUSDT).unwrap().subscription_id, Some(7));
        assert_eq!(
            (r.execution_type, r.order_status, r.side),
            (ExecType::Trade, OrdStatus::PartiallyFilled, Side::Sell)
        );
        assert_eq!((r.order_qty, r.order_price), (3_000, 6_700_001));
        assert_eq!((r.last_qty, r.last_price), (1_000, 6_700_002));
        assert_eq!((r.cumulative_qty, r.cumulative_quote), (2_000, 134_000_030_000));
        assert_eq!((r.commission, r.commission_asset), (531, Some("BNB")));
        assert_eq!((r.trade_id, r.execution_id, r.is_maker), (Some(912_345), 77_123, true));
        assert_eq!((r.event_time_ms, r.transaction_time_ms), (1_700_000_000_123, 1_700_000_000_120));
        assert_eq!((r.symbol, r.client_order_id, r.orig_client_order_id), ("BTCUSDT", "00000000000000000042", None));
    }

    #[test]
    fn a_cancel_names_the_cancelled_order_in_orig_client_order_id() {
        let mut members = FILL;
        for (key, value) in [
            ("c", r#""cancel-7""#),
            ("C", r#""00000000000000000042""#),
            ("x", r#""CANCELED""#),
            ("X", r#""CANCELED""#),
            ("t", "-1"),
            ("N", "null"),
        ] {
            members.iter_mut().find(|(k, _)| *k == key).unwrap().1 = value;
        }
        let frame = render(&members, "");
        let r = execution(&frame, BTCUSDT);
        assert_eq!((r.client_order_id, r.orig_client_order_id), ("cancel-7", Some("00000000000000000042")));
        assert_eq!(
            (r.execution_type, r.order_status, r.trade_id, r.commission_asset),
            (ExecType::Canceled, OrdStatus::Canceled, None, None)
        );
    }

    #[test]
    fn every_status_and_type_and_the_expiry_reason() {
        for (text, status) in [
            ("NEW", OrdStatus::New),
            ("PENDING_NEW", OrdStatus::PendingNew),
            ("PARTIALLY_FILLED", OrdStatus::PartiallyFilled),
            ("FILLED", OrdStatus::Filled),
            ("CANCELED", OrdStatus::Canceled),
            ("PENDING_CANCEL", OrdStatus::PendingCancel),
            ("REJECTED", OrdStatus::Rejected),
            ("EXPIRED", OrdStatus::Expired),
            ("EXPIRED_IN_MATCH", OrdStatus::ExpiredInMatch),
            ("SOMETHING_NEW", OrdStatus::Other),
        ] {
            let mut quoted = heapless::String::<32>::new();
            for part in ["\"", text, "\""] {
                quoted.push_str(part).unwrap();
            }
            assert_eq!(execution(&fill_with("X", &quoted), BTCUSDT).order_status, status);
        }
        for (text, kind) in [
            ("NEW", ExecType::New),
            ("CANCELED", ExecType::Canceled),
            ("REPLACED", ExecType::Replaced),
            ("REJECTED", ExecType::Rejected),
            ("TRADE", ExecType::Trade),
            ("EXPIRED", ExecType::Expired),
            ("TRADE_PREVENTION", ExecType::TradePrevention),
            ("AMENDED", ExecType::Other),
        ] {
            let mut quoted = heapless::String::<32>::new();
            for part in ["\"", text, "\""] {
                quoted.push_str(part).unwrap();
            }
            assert_eq!(execution(&fill_with("x", &quoted), BTCUSDT).execution_type, kind);
        }
        let mut members = [("eR", r#""UNFILLED_IOC_QUANTITY_EXPIRED""#); 30];
        members[..29].copy_from_slice(&FILL);
        assert_eq!(execution(&render(&members, ""), BTCUSDT).expiry_reason, Some("UNFILLED_IOC_QUANTITY_EXPIRED"));
        members[29].1 = "null";
        assert_eq!(execution(&render(&members, ""), BTCUSDT).expiry_reason, None);
        members[29].1 = "1";
        assert_eq!(decode_event(&render(&members, ""), BTCUSDT), Err(Invalid(EventField::ExpiryReason)));
    }

    #[test]
    fn every_prefix_is_truncated_and_never_panics() {
        let fill = render(&FILL, "");
        let documented = [DOC_EXECUTION_REPORT, DOC_ACCOUNT_POSITION, DOC_EVENT_FORMAT, DOC_TERMINATED];
        let frames = documented.iter().chain(DOC_OTHERS.iter().map(|(_, f)| f)).map(|f| (f.as_bytes(), ETHBTC));
        for (frame, scale) in frames.chain([(fill.as_slice(), BTCUSDT)]) {
            assert!(decode_event(frame, scale).is_ok());
            for end in 0..frame.len() {
                assert_eq!(decode_event(&frame[..end], scale), Err(UserDataError::Json(JsonError::Truncated)));
            }
        }
    }

    #[test]
    fn a_missing_member_is_named() {
        use EventField as F;
        for (key, field) in [
            ("e", F::EventType),
            ("E", F::EventTime),
            ("s", F::Symbol),
            ("c", F::ClientOrderId),
            ("C", F::OrigClientOrderId),
            ("S", F::Side),
            ("x", F::ExecutionType),
            ("X", F::OrderStatus),
            ("r", F::RejectReason),
            ("i", F::OrderId),
            ("q", F::OrderQty),
            ("p", F::OrderPrice),
            ("l", F::LastQty),
            ("L", F::LastPrice),
            ("z", F::CumulativeQty),
            ("Z", F::CumulativeQuote),
            ("n", F::Commission),
            ("N", F::CommissionAsset),
            ("T", F::TransactionTime),
            ("t", F::TradeId),
            ("I", F::ExecutionId),
            ("m", F::IsMaker),
        ] {
            assert_eq!(decode_event(&render(&FILL, key), BTCUSDT), Err(Missing(field)), "without {key}");
        }
        // Members hotline does not read may be absent.
        for key in ["o", "f", "g", "w", "M", "O", "Y"] {
            assert!(decode_event(&render(&FILL, key), BTCUSDT).is_ok(), "without {key}");
        }
        assert_eq!(
            decode_event(br#"{"subscriptionId":0,"event":{"e":"eventStreamTerminated"}}"#, ETHBTC),
            Err(Missing(F::EventTime))
        );
        for (account, field) in [
            (r#"{"event":{"e":"outboundAccountPosition","E":1,"u":2}}"#, F::Balances),
            (r#"{"event":{"e":"outboundAccountPosition","E":1,"B":[]}}"#, F::LastUpdate),
            (r#"{"event":{"e":"outboundAccountPosition","u":1,"B":[]}}"#, F::EventTime),
            (r#"{"event":{"e":"outboundAccountPosition","E":1,"u":2,"B":[{"f":"1","l":"0"}]}}"#, F::Asset),
            (r#"{"event":{"e":"outboundAccountPosition","E":1,"u":2,"B":[{"a":"X","l":"0"}]}}"#, F::Free),
            (r#"{"event":{"e":"outboundAccountPosition","E":1,"u":2,"B":[{"a":"X","f":"0"}]}}"#, F::Locked),
        ] {
            assert_eq!(decode_event(account.as_bytes(), ETHBTC), Err(Missing(field)), "{account}");
        }
    }

    #[test]
    fn any_order_and_unknown_members() {
        let mut members = FILL;
        members.reverse();
        let reversed = render(&members, "");
        assert_eq!(execution(&reversed, BTCUSDT), execution(&render(&FILL, ""), BTCUSDT));
        let mut members = [("Cs", r#"{"deep":[1,{"x":[null,true,"\"}"]}],"k":-2.5e-3}"#); 33];
        members[2..31].copy_from_slice(&FILL);
        members[31] = ("uS", "true");
        members[32] = ("eRx", r#""not eR""#);
        let frame = render(&members, "");
        let r = execution(&frame, BTCUSDT);
        assert_eq!((r.expiry_reason, r.last_qty), (None, 1_000));
        // Wrapper members other than subscriptionId and event are skipped.
        let frame = br#"{"stream":"x","event":{"e":"eventStreamTerminated","E":5},"subscriptionId":3,"extra":[{}]}"#;
        assert_eq!(
            decode_event(frame, ETHBTC).unwrap(),
            EventFrame { subscription_id: Some(3), event: UserEvent::StreamTerminated { time_ms: 5 } }
        );
    }

    #[test]
    fn strings_are_borrowed_as_written() {
        let escaped = fill_with("s", r#""ETH\u0042TC""#);
        assert_eq!(execution(&escaped, BTCUSDT).symbol, r"ETH\u0042TC");
        let whale = fill_with("c", "\"\u{1f40b}\"");
        assert_eq!(execution(&whale, BTCUSDT).client_order_id, "\u{1f40b}");
    }

    #[test]
    fn a_repeated_member_is_refused() {
        let mut members = [("E", "1"); 30];
        members[..29].copy_from_slice(&FILL);
        assert_eq!(decode_event(&render(&members, ""), BTCUSDT), Err(Duplicate(EventField::EventTime)));
        members[29] = ("e", r#""executionReport""#);
        assert_eq!(decode_event(&render(&members, ""), BTCUSDT), Err(Duplicate(EventField::EventType)));
        for (frame, field) in [
            (&br#"{"subscriptionId":0,"subscriptionId":1,"event":{"e":"x"}}"#[..], EventField::SubscriptionId),
            (br#"{"event":{"e":"x"},"event":{"e":"y"}}"#, EventField::Event),
            (
                br#"{"event":{"e":"outboundAccountPosition","E":1,"u":2,"B":[{"a":"X","a":"Y","f":"0","l":"0"}]}}"#,
                EventField::Asset,
            ),
        ] {
            assert_eq!(decode_event(frame, ETHBTC), Err(Duplicate(field)));
        }
    }

    #[test]
    fn a_mistyped_member_is_invalid() {
        use EventField as F;
        for (key, value, field) in [
            ("E", r#""1700000000123""#, F::EventTime),
            ("E", "-1", F::EventTime),
            ("E", "1.5", F::EventTime),
            ("E", "18446744073709551616", F::EventTime),
            ("s", "null", F::Symbol),
            ("c", "42", F::ClientOrderId),
            ("C", "null", F::OrigClientOrderId),
            ("S", r#""buy""#, F::Side),
            ("S", r#""BUY ""#, F::Side),
            ("x", "1", F::ExecutionType),
            ("X", "null", F::OrderStatus),
            ("r", "0", F::RejectReason),
            ("i", r#""28457""#, F::OrderId),
            ("q", "0.03", F::OrderQty),
            ("p", "null", F::OrderPrice),
            ("N", "5", F::CommissionAsset),
            ("T", "true", F::TransactionTime),
            ("t", "-2", F::TradeId),
            ("t", "9223372036854775808", F::TradeId),
            ("t", r#""-1""#, F::TradeId),
            ("I", "{}", F::ExecutionId),
            ("m", r#""true""#, F::IsMaker),
            ("e", "7", F::EventType),
        ] {
            assert_eq!(decode_event(&fill_with(key, value), BTCUSDT), Err(Invalid(field)), "{key}: {value}");
        }
        let not_utf8 = b"{\"event\":{\"e\":\"exec\xffReport\"}}";
        assert_eq!(decode_event(not_utf8, ETHBTC), Err(Invalid(F::EventType)));
        for (frame, field) in [
            (&br#"{"subscriptionId":65536,"event":{"e":"x"}}"#[..], F::SubscriptionId),
            (br#"{"subscriptionId":-1,"event":{"e":"x"}}"#, F::SubscriptionId),
            (br#"{"subscriptionId":"0","event":{"e":"x"}}"#, F::SubscriptionId),
            (br#"{"event":[{"e":"x"}]}"#, F::Event),
            (br#"{"event":"executionReport"}"#, F::Event),
            (br#"{"event":{"e":"outboundAccountPosition","E":1,"u":2,"B":{}}}"#, F::Balances),
            (br#"{"event":{"e":"outboundAccountPosition","E":1,"u":2,"B":["ETH"]}}"#, F::Balances),
            (br#"{"event":{"e":"outboundAccountPosition","E":1,"u":2,"B":[{"a":1,"f":"0","l":"0"}]}}"#, F::Asset),
            (br#"{"event":{"e":"outboundAccountPosition","E":1,"u":2,"B":[{"a":"X","f":0,"l":"0"}]}}"#, F::Free),
        ] {
            assert_eq!(decode_event(frame, ETHBTC), Err(Invalid(field)), "{}", core::str::from_utf8(frame).unwrap());
        }
        assert_eq!(
            decode_event(br#"{"subscriptionId":65535,"event":{"e":"x"}}"#, ETHBTC).unwrap().subscription_id,
            Some(65535)
        );
    }

    #[test]
    fn decimals_are_exact_or_refused() {
        use EventField as F;
        // ETHBTC's real tick is 10^-5: the documented price is off its grid.
        let eth_btc = Scale { price: 5, qty: 4 };
        assert_eq!(
            decode_event(DOC_EXECUTION_REPORT.as_bytes(), eth_btc),
            Err(UserDataError::Decimal(F::OrderPrice, DecimalError::OffGrid))
        );
        for (key, value, field, error) in [
            ("q", r#""-0.03""#, F::OrderQty, DecimalError::Negative),
            ("q", r#""0.030001""#, F::OrderQty, DecimalError::OffGrid),
            ("p", r#""67000.001""#, F::OrderPrice, DecimalError::OffGrid),
            ("l", r#""1e-2""#, F::LastQty, DecimalError::Syntax),
            ("L", r#""""#, F::LastPrice, DecimalError::Syntax),
            ("z", r#""184467440737095.51616""#, F::CumulativeQty, DecimalError::Overflow),
            ("Z", r#""99999999999999999999""#, F::CumulativeQuote, DecimalError::Overflow),
            ("Z", r#""0.000000001""#, F::CumulativeQuote, DecimalError::OffGrid),
            ("n", r#""-0.00000531""#, F::Commission, DecimalError::Negative),
            ("n", r#"" 1""#, F::Commission, DecimalError::Syntax),
        ] {
            assert_eq!(
                decode_event(&fill_with(key, value), BTCUSDT),
                Err(UserDataError::Decimal(field, error)),
                "{key}: {value}"
            );
        }
        // Zeros past the grid are not a finer price.
        assert_eq!(execution(&fill_with("p", r#""67000.0100000000000000000000""#), BTCUSDT).order_price, 6_700_001);
        let off_grid =
            br#"{"event":{"e":"outboundAccountPosition","E":1,"u":2,"B":[{"a":"X","f":"0","l":"0.000000001"}]}}"#;
        assert_eq!(decode_event(off_grid, ETHBTC), Err(UserDataError::Decimal(F::Locked, DecimalError::OffGrid)));
    }

    #[test]
    fn more_balances_than_the_capacity_are_refused() {
        let mut frame = heapless::Vec::<u8, 1024>::new();
        frame.extend_from_slice(br#"{"event":{"e":"outboundAccountPosition","E":1,"u":2,"B":["#).unwrap();
        for i in 0..=MAX_BALANCES {
            if i > 0 {
                frame.push(b',').unwrap();
            }
            frame.extend_from_slice(br#"{"a":"X","f":"1","l":"2"}"#).unwrap();
            let mut closed = frame.clone();
            closed.extend_from_slice(b"]}}").unwrap();
            match decode_event(&closed, ETHBTC) {
                Ok(EventFrame { event: UserEvent::Account(a), .. }) => assert_eq!(a.balances.len(), i + 1),
                other => assert!(i == MAX_BALANCES && other == Err(UserDataError::TooManyBalances), "{other:?}"),
            }
        }
    }

    #[test]
    fn not_an_event_and_not_json() {
        for frame in [
            &br#"{"id":"00000000000000000001","status":200,"result":{"serverTime":1656400526260}}"#[..],
            br#"{"subscriptionId":0}"#,
            b"{}",
        ] {
            assert_eq!(decode_event(frame, ETHBTC), Err(UserDataError::NotAnEvent));
        }
        for (frame, error) in [
            (&b""[..], JsonError::Truncated),
            (b"[]", JsonError::Syntax),
            (br#"{"event":{"e":"x"}} {}"#, JsonError::Syntax),
            (br#"{"event":{"e":"x",}}"#, JsonError::Syntax),
            (br#"{"event":{"e":"x",,"y":1}}"#, JsonError::Syntax),
        ] {
            assert_eq!(decode_event(frame, ETHBTC), Err(UserDataError::Json(error)));
        }
        // A malformed balance list is caught when the list is read.
        let bad_list = br#"{"event":{"e":"outboundAccountPosition","E":1,"u":2,"B":[{"a":"X","f":"1","l":"2"} {}]}}"#;
        assert_eq!(decode_event(bad_list, ETHBTC), Err(UserDataError::Json(JsonError::Syntax)));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut frame = [b'['; 120];
        frame[..36].copy_from_slice(br#"{"event":{"e":"executionReport","X":"#);
        assert_eq!(decode_event(&frame, ETHBTC), Err(UserDataError::Json(JsonError::Depth)));
        // Within the limit, an unknown deep member is skipped.
        let mut frame = heapless::Vec::<u8, 128>::new();
        frame.extend_from_slice(br#"{"event":{"e":"x","y":"#).unwrap();
        frame.extend_from_slice(&[b'['; 31]).unwrap();
        frame.extend_from_slice(&[b']'; 31]).unwrap();
        frame.extend_from_slice(b"}}").unwrap();
        assert_eq!(decode_event(&frame, ETHBTC).unwrap().event, UserEvent::Other("x"));
    }
}
