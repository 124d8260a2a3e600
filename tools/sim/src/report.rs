//! Orders into the shapes the exchange reports them in: the `executionReport` user-data event (user-data-stream.md
//! §"Order Update", <https://github.com/binance/binance-spot-api-docs/blob/master/user-data-stream.md>, with the
//! conditional `eR`), and the order fields shared by `order.place` RESULT/FULL, `order.status`, `order.cancel` and
//! `openOrders.status` (web-socket-api.md §"Place new order (TRADE)", §"Query order (USER_DATA)", and
//! §"Conditional fields in Order Responses" for `expiryReason`).

use serde_json::{Value, json};

use crate::book::{Fill, Order, OrderStatus};
use crate::decimal::{self, PRINTED};

/// What one executionReport says happened (`x`, enums.md §"Execution types").
#[derive(Debug)]
pub(crate) enum Exec<'a> {
    New,
    Trade(&'a Fill),
    /// Cancelled by a request whose `newClientOrderId` (or generated id) this is.
    Canceled(&'a str),
    Expired,
    /// Refused before it was booked, with the `r` reason (user-data-stream.md §"Order Reject Reason").
    Rejected(&'static str),
}

/// The executionReport `event` object for `order` after `exec`.
pub(crate) fn execution_report(order: &Order, exec: &Exec<'_>, now_ms: i64, exec_id: u64) -> Value {
    let a = &order.accepted;
    let scale = order.scale;
    let zero = decimal::fixed8(0, PRINTED);
    let (x, client_id, orig_client_id, reject) = match exec {
        Exec::New => ("NEW", a.client_order_id.as_str(), "", "NONE"),
        Exec::Trade(_) => ("TRADE", a.client_order_id.as_str(), "", "NONE"),
        Exec::Canceled(cancel_id) => ("CANCELED", *cancel_id, a.client_order_id.as_str(), "NONE"),
        Exec::Expired => ("EXPIRED", a.client_order_id.as_str(), "", "NONE"),
        Exec::Rejected(reason) => ("REJECTED", a.client_order_id.as_str(), "", *reason),
    };
    let status = match exec {
        Exec::Rejected(_) => "REJECTED",
        _ => order.status.as_str(),
    };
    let mut event = json!({
        "e": "executionReport",
        "E": now_ms,
        "s": a.symbol,
        "c": client_id,
        "S": a.side,
        "o": a.order_type,
        "f": order.time_in_force.as_deref().unwrap_or("GTC"),
        "q": decimal::fixed8(order.qty, scale.qty),
        "p": decimal::fixed8(order.price, scale.price),
        "P": zero,
        "F": zero,
        "g": -1,
        "C": orig_client_id,
        "x": x,
        "X": status,
        "r": reject,
        // A refused order never got an id.
        "i": if matches!(exec, Exec::Rejected(_)) { -1 } else { i64::try_from(a.order_id).unwrap_or(i64::MAX) },
        "l": zero,
        "z": decimal::fixed8(order.executed, scale.qty),
        "L": zero,
        "n": "0",
        "N": null,
        "T": now_ms,
        "t": -1,
        "I": exec_id,
        "w": order.working(),
        "m": false,
        "M": false,
        "O": a.received_at,
        "Z": decimal::fixed8(order.cum_quote, scale.quote()),
        "Y": zero,
        "Q": decimal::fixed8(order.quote_order_qty, PRINTED),
        "V": "NONE",
    });
    if let Exec::Trade(fill) = exec {
        event["l"] = json!(fill.qty);
        event["L"] = json!(fill.price);
        event["Y"] = json!(fill.quote_qty);
        event["n"] = json!(fill.commission);
        event["N"] = json!(fill.commission_asset);
        event["t"] = json!(fill.trade_id);
        event["m"] = json!(fill.is_maker);
        event["T"] = json!(fill.time);
    }
    // "W" only while the order is on the book (user-data-stream.md §"Order Update").
    if order.working() {
        event["W"] = json!(a.received_at);
    }
    if let (OrderStatus::Expired, Some(reason)) = (order.status, order.expiry_reason) {
        event["eR"] = json!(reason);
    }
    event
}

/// The order fields RESULT, FULL, `order.status`, `order.cancel` and `openOrders.status` share.
pub(crate) fn details(order: &Order) -> Vec<(&'static str, Value)> {
    let a = &order.accepted;
    let scale = order.scale;
    let mut out = vec![
        ("price", json!(decimal::fixed8(order.price, scale.price))),
        ("origQty", json!(decimal::fixed8(order.qty, scale.qty))),
        ("executedQty", json!(decimal::fixed8(order.executed, scale.qty))),
        ("origQuoteOrderQty", json!(decimal::fixed8(order.quote_order_qty, PRINTED))),
        ("cummulativeQuoteQty", json!(decimal::fixed8(order.cum_quote, scale.quote()))),
        ("status", json!(order.status.as_str())),
        ("timeInForce", json!(order.time_in_force.as_deref().unwrap_or("GTC"))),
        ("type", json!(a.order_type)),
        ("side", json!(a.side)),
    ];
    if let (OrderStatus::Expired, Some(reason)) = (order.status, order.expiry_reason) {
        out.push(("expiryReason", json!(reason)));
    }
    out
}

/// The `order.status` / `openOrders.status` shape of an order.
pub(crate) fn status(order: &Order) -> Value {
    let a = &order.accepted;
    let mut out = json!({
        "symbol": a.symbol,
        "orderId": a.order_id,
        "orderListId": -1,
        "clientOrderId": a.client_order_id,
    });
    for (name, value) in details(order) {
        out[name] = value;
    }
    out["stopPrice"] = json!(decimal::fixed8(0, PRINTED));
    out["icebergQty"] = json!(decimal::fixed8(0, PRINTED));
    out["time"] = json!(a.received_at);
    out["updateTime"] = json!(order.update_time);
    out["isWorking"] = json!(order.working());
    out["workingTime"] = json!(a.received_at);
    out["selfTradePreventionMode"] = json!("NONE");
    out
}

/// The `order.cancel` / `openOrders.cancelAll` shape of a cancelled order.
pub(crate) fn canceled(order: &Order, cancel_id: &str, now_ms: i64) -> Value {
    let a = &order.accepted;
    let mut out = json!({
        "symbol": a.symbol,
        "origClientOrderId": a.client_order_id,
        "orderId": a.order_id,
        "orderListId": -1,
        "clientOrderId": cancel_id,
        "transactTime": now_ms,
    });
    for (name, value) in details(order) {
        out[name] = value;
    }
    out["selfTradePreventionMode"] = json!("NONE");
    out
}

/// A `fills` entry of a FULL response.
pub(crate) fn fill(fill: &Fill) -> Value {
    json!({
        "price": fill.price,
        "qty": fill.qty,
        "commission": fill.commission,
        "commissionAsset": fill.commission_asset,
        "tradeId": fill.trade_id,
    })
}

/// A `myTrades` entry (web-socket-api.md §"Account trade history (USER_DATA)").
pub(crate) fn trade(fill: &Fill) -> Value {
    json!({
        "symbol": fill.symbol,
        "id": fill.trade_id,
        "orderId": fill.order_id,
        "orderListId": -1,
        "price": fill.price,
        "qty": fill.qty,
        "quoteQty": fill.quote_qty,
        "commission": fill.commission,
        "commissionAsset": fill.commission_asset,
        "time": fill.time,
        "isBuyer": fill.side == "BUY",
        "isMaker": fill.is_maker,
        "isBestMatch": true,
    })
}
