//! Binance Spot's answer to `openOrders.status` (web-socket-api.md
//! §"Current open orders (USER_DATA)", `docs/protocols/binance-ws-api.md`
//! §openOrders.status): one response frame,
//! `{"id":…,"status":200,"result":[{order},…]}` (each order as
//! `order.status` reports it, a flat list) or
//! `{"id":…,"status":4xx,"error":{"code":…,"msg":…}}`, becomes an
//! [`OpenOrdersAnswer`] that borrows the frame. Every order is checked
//! before the answer is returned, and [`OpenOrders`] reads them again,
//! lazily. Of each order hotline reads what ties it to its own:
//! `symbol`, `orderId` and `clientOrderId`; unknown keys are skipped (the
//! documented example writes one twice), and a missing, repeated or
//! mistyped member it reads is an error that names it.

// Every byte here comes from the network: indexing, unwrapping and
// panicking are refused outright, not merely avoided.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use super::answer::{answer, from_answer_error};
use crate::venue::json::{Elements, JsonError, Members, Value};
use OpenOrdersError::{Duplicate, Invalid, Missing};

/// One `openOrders.status` answer.
#[derive(Debug, Clone)]
pub struct OpenOrdersAnswer<'a> {
    /// `id` as written (a string's bytes, or a number's digits); `None`
    /// for `null`.
    pub id: Option<&'a str>,
    /// `status`, HTTP-like.
    pub status: u16,
    /// The open orders, or the venue's error code.
    pub outcome: Result<OpenOrders<'a>, i32>,
}

/// The orders of an accepted answer, each already checked, read again in
/// order.
#[derive(Debug, Clone)]
pub struct OpenOrders<'a> {
    elements: Elements<'a>,
}

impl<'a> Iterator for OpenOrders<'a> {
    /// Always `Ok` for an answer [`decode_open_orders`] returned: it read
    /// the same bytes the same way. The error is there so that nothing can
    /// panic.
    type Item = Result<OpenOrder<'a>, OpenOrdersError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.elements.next().map(|e| open_order(e?))
    }
}

/// One order the venue holds open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOrder<'a> {
    /// `symbol`.
    pub symbol: &'a str,
    /// `orderId`: the venue's id (`myTrades` names orders by it).
    pub order_id: u64,
    /// `clientOrderId`: the id the order was placed with, as written.
    pub client_order_id: &'a str,
}

/// A member of an `openOrders.status` answer, as named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenOrderField {
    /// `id`.
    RequestId,
    /// `status`.
    Status,
    /// `result`.
    Result,
    /// An element of `result`.
    Order,
    /// `symbol` of an order.
    Symbol,
    /// `orderId` of an order.
    OrderId,
    /// `clientOrderId` of an order.
    ClientOrderId,
    /// `error`.
    Error,
    /// `error.code`.
    Code,
    /// `error.msg`.
    Msg,
}

/// Why an `openOrders.status` answer did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenOrdersError {
    /// Not JSON, cut short, or nested too deep.
    Json(JsonError),
    /// A member hotline needs is absent.
    Missing(OpenOrderField),
    /// A member appears twice.
    Duplicate(OpenOrderField),
    /// A member has the wrong type or value.
    Invalid(OpenOrderField),
}

impl From<JsonError> for OpenOrdersError {
    fn from(e: JsonError) -> Self {
        Self::Json(e)
    }
}

from_answer_error!(OpenOrdersError, OpenOrderField);

/// Decodes one complete text frame answering `openOrders.status`.
pub fn decode_open_orders(frame: &[u8]) -> Result<OpenOrdersAnswer<'_>, OpenOrdersError> {
    let a = answer(frame)?;
    let outcome = match a.body {
        Ok(Value::Array(list)) => {
            let elements = Elements::new(list)?;
            for element in elements.clone() {
                open_order(element?)?;
            }
            Ok(OpenOrders { elements })
        }
        Ok(_) => return Err(Invalid(OpenOrderField::Result)),
        Err(refusal) => Err(refusal.code),
    };
    Ok(OpenOrdersAnswer { id: a.id, status: a.status, outcome })
}

/// One element of `result`.
fn open_order<'a>(element: Value<'a>) -> Result<OpenOrder<'a>, OpenOrdersError> {
    use OpenOrderField as F;
    let Value::Object(object) = element else { return Err(Invalid(F::Order)) };
    let (mut symbol, mut order_id, mut client_order_id) = (None, None, None);
    for member in Members::new(object)? {
        let (key, value) = member?;
        let (slot, field) = match key {
            b"symbol" => (&mut symbol, F::Symbol),
            b"orderId" => (&mut order_id, F::OrderId),
            b"clientOrderId" => (&mut client_order_id, F::ClientOrderId),
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(Duplicate(field));
        }
    }
    let text = |value: Option<Value<'a>>, field| value.ok_or(Missing(field))?.str().ok_or(Invalid(field));
    Ok(OpenOrder {
        symbol: text(symbol, F::Symbol)?,
        order_id: order_id.ok_or(Missing(F::OrderId))?.u64().ok_or(Invalid(F::OrderId))?,
        client_order_id: text(client_order_id, F::ClientOrderId)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// web-socket-api.md §"Current open orders (USER_DATA)", its response
    /// example as published (`origQuoteOrderQty` written twice).
    const DOCUMENTED: &str = r#"{
  "id": "55f07876-4f6f-4c47-87dc-43e5fff3f2e7",
  "status": 200,
  "result": [
    {
      "symbol": "BTCUSDT",
      "orderId": 12569099453,
      "orderListId": -1,
      "clientOrderId": "4d96324ff9d44481926157",
      "price": "23416.10000000",
      "origQty": "0.00847000",
      "executedQty": "0.00720000",
      "origQuoteOrderQty": "0.000000",
      "cummulativeQuoteQty": "172.43931000",
      "status": "PARTIALLY_FILLED",
      "timeInForce": "GTC",
      "type": "LIMIT",
      "side": "SELL",
      "stopPrice": "0.00000000",
      "icebergQty": "0.00000000",
      "time": 1660801715639,
      "updateTime": 1660801717945,
      "isWorking": true,
      "workingTime": 1660801715639,
      "origQuoteOrderQty": "0.00000000",
      "selfTradePreventionMode": "NONE"
    }
  ],
  "rateLimits": [
    {
      "rateLimitType": "REQUEST_WEIGHT",
      "interval": "MINUTE",
      "intervalNum": 1,
      "limit": 6000,
      "count": 6
    }
  ]
}"#;

    #[test]
    fn documented_answer() {
        let a = decode_open_orders(DOCUMENTED.as_bytes()).unwrap();
        assert_eq!((a.id, a.status), (Some("55f07876-4f6f-4c47-87dc-43e5fff3f2e7"), 200));
        let orders: heapless::Vec<_, 2> = a.outcome.unwrap().map(Result::unwrap).collect();
        assert_eq!(
            orders.as_slice(),
            [OpenOrder { symbol: "BTCUSDT", order_id: 12_569_099_453, client_order_id: "4d96324ff9d44481926157" }]
        );
    }

    #[test]
    fn none_open_and_refusals() {
        let a = decode_open_orders(br#"{"id":"9","status":200,"result":[]}"#).unwrap();
        assert_eq!(a.outcome.unwrap().count(), 0);
        let frame = br#"{"id":9,"status":400,"error":{"code":-1022,"msg":"Signature for this request is not valid."}}"#;
        let a = decode_open_orders(frame).unwrap();
        assert_eq!((a.id, a.status, a.outcome.err()), (Some("9"), 400, Some(-1022)));
    }

    #[test]
    fn every_prefix_is_an_error() {
        for cut in 0..DOCUMENTED.len() {
            assert!(decode_open_orders(&DOCUMENTED.as_bytes()[..cut]).is_err(), "prefix {cut}");
        }
    }

    #[test]
    fn bad_members_are_named() {
        use OpenOrderField as F;
        let cases = [
            (r#"{"id":"1","status":200,"result":[{"symbol":"BTCUSDT","orderId":1}]}"#, Missing(F::ClientOrderId)),
            (
                r#"{"id":"1","status":200,"result":[{"symbol":"A","orderId":1,"clientOrderId":"x","orderId":2}]}"#,
                Duplicate(F::OrderId),
            ),
            (
                r#"{"id":"1","status":200,"result":[{"symbol":"A","orderId":-1,"clientOrderId":"x"}]}"#,
                Invalid(F::OrderId),
            ),
            (r#"{"id":"1","status":200,"result":[{"symbol":7,"orderId":1,"clientOrderId":"x"}]}"#, Invalid(F::Symbol)),
            (r#"{"id":"1","status":200,"result":[7]}"#, Invalid(F::Order)),
            (r#"{"id":"1","status":200,"result":{}}"#, Invalid(F::Result)),
            (r#"{"id":"1","status":200}"#, Missing(F::Result)),
            (r#"{"status":200,"result":[]}"#, Missing(F::RequestId)),
            (r#"{"id":"1","status":500}"#, Missing(F::Error)),
            (r#"{"id":"1","status":400,"error":{"code":"x"}}"#, Invalid(F::Code)),
        ];
        for (frame, error) in cases {
            assert_eq!(decode_open_orders(frame.as_bytes()).err(), Some(error), "{frame}");
        }
    }
}
