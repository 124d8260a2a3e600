//! One text frame in, one answer out: the Binance Spot WebSocket API methods the sim serves (`order.place`,
//! `order.cancel`, `order.status`, `session.logon`/`status`/`logout`, `time`, `ping`), with the request and response
//! shapes of Binance's web-socket-api.md
//! (<https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-api.md>; §"Request format",
//! §"Response format", §"Session Authentication"). A duplicate `newClientOrderId` gets the exchange's documented
//! answer, -2010 "Duplicate order sent.", and the first order stays the only one.

use std::collections::BTreeMap;
use std::sync::PoisonError;

use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::Shared;
use crate::auth::{self, Key, Params};
use crate::book::{self, AcceptedOrder, Book, Order, OrderStatus};
use crate::error::ApiError;

/// Per-connection state the methods read and change.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) conn_id: u64,
    pub(crate) connected_since: i64,
    /// `?returnRateLimits=false` on the connection URL turns them off.
    pub(crate) return_rate_limits: bool,
    /// The API key `session.logon` authenticated, and since when.
    logged_on: Option<(String, i64)>,
}

impl Session {
    pub(crate) fn new(conn_id: u64, connected_since: i64, return_rate_limits: bool) -> Session {
        Session { conn_id, connected_since, return_rate_limits, logged_on: None }
    }
}

/// What the connection does after a request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Send this text frame.
    Reply(String),
    /// Send nothing: the order was accepted but its ack is stalled.
    Silence,
    /// Drop the TCP connection without an answer or a close frame.
    Drop,
}

/// Which `rateLimits` entries an answer carries.
#[derive(Clone, Copy)]
enum Limits {
    Weight,
    OrdersAndWeight,
}

/// A method's answer: success or error, and which limits to report.
struct Answer {
    result: Result<Value, ApiError>,
    limits: Limits,
}

fn limits_json(book: &Book, config_orders: u32, now_ms: i64, which: Limits) -> Value {
    let (orders_10s, orders_day, weight) = book.counts(now_ms);
    let weight = json!({"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
        "limit": book::WEIGHT_PER_MINUTE, "count": weight});
    match which {
        Limits::Weight => json!([weight]),
        Limits::OrdersAndWeight => json!([
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": config_orders, "count": orders_10s},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": book::ORDERS_PER_DAY, "count": orders_day},
            weight,
        ]),
    }
}

/// Handles one text message from the client.
pub(crate) fn handle(shared: &Shared, session: &mut Session, text: &str) -> Outcome {
    let now = shared.now_ms();
    let request = match serde_json::from_str::<BTreeMap<String, &RawValue>>(text) {
        Ok(request) => request,
        Err(_) => return reply(&Value::Null, Err(ApiError::new(400, -1000, "Malformed request.")), None),
    };
    let id = match request.get("id").map(|raw| serde_json::from_str::<Value>(raw.get())) {
        Some(Ok(id @ (Value::Null | Value::Number(_) | Value::String(_)))) => id,
        _ => return reply(&Value::Null, Err(ApiError::mandatory("id")), None),
    };
    let method = match request.get("method").map(|raw| serde_json::from_str::<String>(raw.get())) {
        Some(Ok(method)) => method,
        _ => return reply(&id, Err(ApiError::mandatory("method")), None),
    };
    let params = match request.get("params").map(|raw| Params::parse(raw)) {
        None => Params::default(),
        Some(Ok(params)) => params,
        Some(Err(e)) => return reply(&id, Err(e), None),
    };
    // A version prefix is allowed (web-socket-api.md §"Request format").
    let method = method.strip_prefix("v3/").unwrap_or(&method);

    let weight = match method {
        "order.status" => 4,
        "session.logon" | "session.status" | "session.logout" => 2,
        _ => 1,
    };
    let mut book = shared.book.lock().unwrap_or_else(PoisonError::into_inner);
    let spent = book.add_weight(now, weight);
    let answer = if spent > book::WEIGHT_PER_MINUTE {
        let retry = (now.div_euclid(book::WEIGHT_WINDOW_MS) + 1) * book::WEIGHT_WINDOW_MS;
        let msg = format!(
            "Too much request weight used; current limit is {} request weight per 1 MINUTE.",
            book::WEIGHT_PER_MINUTE
        );
        Answer { result: Err(ApiError::rate_limited(-1003, msg, now, retry)), limits: Limits::Weight }
    } else {
        let weight_only = |result| Answer { result, limits: Limits::Weight };
        match method {
            "time" => weight_only(Ok(json!({ "serverTime": now }))),
            "ping" => weight_only(Ok(json!({}))),
            "session.logon" => weight_only(logon(shared, session, &params, now)),
            "session.status" => weight_only(Ok(session_json(session, now))),
            "session.logout" => {
                session.logged_on = None;
                weight_only(Ok(session_json(session, now)))
            }
            "order.place" => {
                let placed = place(shared, session, &mut book, &params, now);
                match placed {
                    Ok(Placed::Answer(result)) => Answer { result: Ok(result), limits: Limits::OrdersAndWeight },
                    Ok(Placed::Silence) => return Outcome::Silence,
                    Ok(Placed::Drop) => return Outcome::Drop,
                    Err(e) => Answer { result: Err(e), limits: Limits::OrdersAndWeight },
                }
            }
            "order.cancel" => weight_only(cancel(shared, session, &mut book, &params, now)),
            "order.status" => weight_only(status(shared, session, &mut book, &params, now)),
            _ => weight_only(Err(ApiError::new(400, -1020, "This operation is not supported."))),
        }
    };
    let wants_limits = session.return_rate_limits && params.get("returnRateLimits") != Some("false");
    let limits = wants_limits.then(|| limits_json(&book, shared.config.orders_per_10s, now, answer.limits));
    reply(&id, answer.result, limits)
}

fn reply(id: &Value, result: Result<Value, ApiError>, limits: Option<Value>) -> Outcome {
    let mut out = match result {
        Ok(result) => json!({ "id": id, "status": 200, "result": result }),
        Err(e) => json!({ "id": id, "status": e.status, "error": e.to_json() }),
    };
    if let Some(limits) = limits {
        out["rateLimits"] = limits;
    }
    Outcome::Reply(out.to_string())
}

fn bad_key() -> ApiError {
    ApiError::new(401, -2015, "Invalid API-key, IP, or permissions for action.")
}

fn bad_signature() -> ApiError {
    ApiError::new(400, -1022, "Signature for this request is not valid.")
}

/// SIGNED request security (web-socket-api.md §"SIGNED (TRADE and USER_DATA) request security",
/// §"Session Authentication"): a request signature, checked in the exchange's order (key, then time, then signature),
/// or a session authenticated by `session.logon` plus a fresh `timestamp`.
fn authenticate(shared: &Shared, session: &Session, params: &Params, now: i64) -> Result<(), ApiError> {
    match params.get("signature") {
        Some(signature) => {
            let key = shared.keys.get(params.require("apiKey")?).ok_or_else(bad_key)?;
            auth::check_time(params, now)?;
            if key.verify(&params.payload(), signature) { Ok(()) } else { Err(bad_signature()) }
        }
        None if session.logged_on.is_some() => auth::check_time(params, now),
        None => Err(ApiError::mandatory(if params.get("apiKey").is_some() { "signature" } else { "apiKey" })),
    }
}

fn session_json(session: &Session, now: i64) -> Value {
    let (api_key, since) = match &session.logged_on {
        Some((key, since)) => (Value::from(key.as_str()), Value::from(*since)),
        None => (Value::Null, Value::Null),
    };
    json!({
        "apiKey": api_key,
        "authorizedSince": since,
        "connectedSince": session.connected_since,
        "returnRateLimits": session.return_rate_limits,
        "serverTime": now,
        "userDataStream": false,
    })
}

/// `session.logon`: Ed25519 keys only (web-socket-api.md §"Log in with API key (SIGNED)"); logging on again swaps keys.
fn logon(shared: &Shared, session: &mut Session, params: &Params, now: i64) -> Result<Value, ApiError> {
    let api_key = params.require("apiKey")?;
    let signature = params.require("signature")?;
    let key = shared.keys.get(api_key).ok_or_else(bad_key)?;
    if !matches!(key, Key::Ed25519(_)) {
        return Err(bad_key());
    }
    auth::check_time(params, now)?;
    if !key.verify(&params.payload(), signature) {
        return Err(bad_signature());
    }
    session.logged_on = Some((api_key.to_owned(), now));
    Ok(session_json(session, now))
}

/// A DECIMAL parameter (`^([0-9]{1,20})(\.[0-9]{1,20})?$`, the exchange's
/// legal range), or -1100.
fn decimal<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>, ApiError> {
    let Some(text) = params.get(name) else { return Ok(None) };
    let (whole, frac) = text.split_once('.').map_or((text, None), |(w, f)| (w, Some(f)));
    let digits = |s: &str| (1..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if digits(whole) && frac.is_none_or(digits) {
        Ok(Some(text))
    } else {
        Err(ApiError::new(
            400,
            -1100,
            format!(
                "Illegal characters found in parameter '{name}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'."
            ),
        ))
    }
}

/// A decimal as the exchange prints it: at least eight decimals.
fn fixed8(value: Option<&str>) -> String {
    let value = value.unwrap_or("0");
    let (whole, frac) = value.split_once('.').unwrap_or((value, ""));
    format!("{whole}.{frac:0<8}")
}

fn one_of(params: &Params, name: &str, allowed: &[&str], code: i32, msg: &str) -> Result<String, ApiError> {
    let value = params.require(name)?;
    if allowed.contains(&value) { Ok(value.to_owned()) } else { Err(ApiError::new(400, code, msg)) }
}

const ORDER_TYPES: &[&str] =
    &["LIMIT", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT", "LIMIT_MAKER"];

enum Placed {
    Answer(Value),
    Silence,
    Drop,
}

fn rejected(msg: &str) -> ApiError {
    ApiError::new(400, -2010, msg)
}

fn place(shared: &Shared, session: &Session, book: &mut Book, params: &Params, now: i64) -> Result<Placed, ApiError> {
    authenticate(shared, session, params, now)?;
    let limit = shared.config.orders_per_10s;
    if book.add_order_attempt(now) > u64::from(limit) {
        let retry = (now.div_euclid(book::ORDERS_WINDOW_MS) + 1) * book::ORDERS_WINDOW_MS;
        let msg = format!("Too many new orders; current limit is {limit} orders per 10 SECOND.");
        return Err(ApiError::rate_limited(-1015, msg, now, retry));
    }

    let symbol = params.require("symbol")?.to_owned();
    let side = one_of(params, "side", &["BUY", "SELL"], -1117, "Invalid side.")?;
    let order_type = one_of(params, "type", ORDER_TYPES, -1116, "Invalid orderType.")?;
    let price = decimal(params, "price")?;
    let quantity = decimal(params, "quantity")?;
    let quote_order_qty = decimal(params, "quoteOrderQty")?;
    let time_in_force = match params.get("timeInForce") {
        None => None,
        Some(_) => Some(one_of(params, "timeInForce", &["GTC", "IOC", "FOK"], -1115, "Invalid timeInForce.")?),
    };
    if order_type == "LIMIT" {
        // web-socket-api.md §"Place new order (TRADE)": a LIMIT order needs timeInForce, price and quantity.
        if time_in_force.is_none() {
            return Err(ApiError::mandatory("timeInForce"));
        }
        price.ok_or_else(|| ApiError::mandatory("price"))?;
        quantity.ok_or_else(|| ApiError::mandatory("quantity"))?;
    } else if quantity.is_none() && quote_order_qty.is_none() {
        return Err(ApiError::mandatory("quantity"));
    }
    let resp_type = match params.get("newOrderRespType") {
        Some(t @ ("ACK" | "RESULT" | "FULL")) => t,
        Some(_) => return Err(ApiError::new(400, -1177, "Invalid newOrderRespType.")),
        // web-socket-api.md §"Place new order (TRADE)": MARKET and LIMIT default to FULL, other types to ACK.
        None if order_type == "LIMIT" || order_type == "MARKET" => "FULL",
        None => "ACK",
    };

    let order_id = book.next_order_id();
    let client_order_id = match params.get("newClientOrderId") {
        Some(cid) if book.by_client_id(cid).is_some() => return Err(rejected("Duplicate order sent.")),
        Some(cid) => cid.to_owned(),
        None => format!("sim{order_id:019}"),
    };
    let nth = book.next_candidate();
    let faults = &shared.config.faults;
    if shared.config.reject_symbols.contains(&symbol)
        || faults.reject_every.is_some_and(|n| n > 0 && nth.is_multiple_of(n))
    {
        return Err(rejected("Account has insufficient balance for requested action."));
    }

    let accepted = AcceptedOrder {
        client_order_id,
        order_id,
        symbol,
        side,
        order_type,
        price: price.map(str::to_owned),
        quantity: quantity.map(str::to_owned),
        timestamp: params.require("timestamp")?.parse().map_err(|_| ApiError::mandatory("timestamp"))?,
        received_at: now,
        connection_id: session.conn_id,
    };
    let order = Order {
        accepted,
        time_in_force,
        quote_order_qty: quote_order_qty.map(str::to_owned),
        status: OrderStatus::New,
        update_time: now,
    };
    let mut result = order_json(&order, resp_type);
    let count = book.accept(order).map_err(|e| ApiError::new(500, -1000, format!("Journal write failed: {e}")))?;

    if faults.shutdown_after_orders == Some(count) {
        shared.announce_shutdown();
    }
    if faults.drop_after_orders == Some(count) {
        return Ok(Placed::Drop);
    }
    if faults.stall_order == Some(count) {
        return Ok(Placed::Silence);
    }
    if resp_type == "FULL" {
        result["fills"] = json!([]);
    }
    Ok(Placed::Answer(result))
}

/// The ACK or RESULT shape of a placed order (web-socket-api.md §"Place new order (TRADE)"); FULL adds `fills`.
fn order_json(order: &Order, resp_type: &str) -> Value {
    let a = &order.accepted;
    let mut out = json!({
        "symbol": a.symbol,
        "orderId": a.order_id,
        "orderListId": -1,
        "clientOrderId": a.client_order_id,
        "transactTime": a.received_at,
    });
    if resp_type != "ACK" {
        for (name, value) in details(order) {
            out[name] = value;
        }
        out["workingTime"] = json!(a.received_at);
        out["selfTradePreventionMode"] = json!("NONE");
    }
    out
}

/// The fields RESULT, `order.status` and `order.cancel` share.
fn details(order: &Order) -> [(&'static str, Value); 9] {
    let a = &order.accepted;
    [
        ("price", json!(fixed8(a.price.as_deref()))),
        ("origQty", json!(fixed8(a.quantity.as_deref()))),
        ("executedQty", json!(fixed8(None))),
        ("origQuoteOrderQty", json!(fixed8(order.quote_order_qty.as_deref()))),
        ("cummulativeQuoteQty", json!(fixed8(None))),
        ("status", json!(order.status.as_str())),
        ("timeInForce", json!(order.time_in_force.as_deref().unwrap_or("GTC"))),
        ("type", json!(a.order_type)),
        ("side", json!(a.side)),
    ]
}

/// Finds the order a cancel or status request names: `symbol` plus
/// `orderId` or `origClientOrderId`.
fn lookup<'b>(book: &'b mut Book, params: &Params, missing: ApiError) -> Result<&'b mut Order, ApiError> {
    let symbol = params.require("symbol")?;
    let order_id = match params.get("orderId") {
        Some(text) => Some(text.parse::<u64>().map_err(|_| ApiError::mandatory("orderId"))?),
        None => None,
    };
    let client_id = params.get("origClientOrderId");
    if order_id.is_none() && client_id.is_none() {
        return Err(ApiError::new(
            400,
            -1102,
            "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
        ));
    }
    match book.find_mut(order_id, client_id) {
        Some(order) if order.accepted.symbol == symbol => Ok(order),
        _ => Err(missing),
    }
}

fn status(shared: &Shared, session: &Session, book: &mut Book, params: &Params, now: i64) -> Result<Value, ApiError> {
    authenticate(shared, session, params, now)?;
    let order = lookup(book, params, ApiError::new(400, -2013, "Order does not exist."))?;
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
    out["stopPrice"] = json!(fixed8(None));
    out["icebergQty"] = json!(fixed8(None));
    out["time"] = json!(a.received_at);
    out["updateTime"] = json!(order.update_time);
    out["isWorking"] = json!(order.status == OrderStatus::New);
    out["workingTime"] = json!(a.received_at);
    out["selfTradePreventionMode"] = json!("NONE");
    Ok(out)
}

fn cancel(shared: &Shared, session: &Session, book: &mut Book, params: &Params, now: i64) -> Result<Value, ApiError> {
    authenticate(shared, session, params, now)?;
    let unknown = || ApiError::new(400, -2011, "Unknown order sent.");
    let order = lookup(book, params, unknown())?;
    if order.status != OrderStatus::New {
        return Err(unknown());
    }
    order.status = OrderStatus::Canceled;
    order.update_time = now;
    let a = &order.accepted;
    let cancel_id =
        params.get("newClientOrderId").map_or_else(|| format!("simcancel{:019}", a.order_id), str::to_owned);
    let mut out = json!({
        "symbol": a.symbol,
        "origClientOrderId": a.client_order_id,
        "orderId": a.order_id,
        "orderListId": -1,
        "clientOrderId": cancel_id,
        "transactTime": now,
    });
    for (name, value) in details(order) {
        out[name] = value;
    }
    out["selfTradePreventionMode"] = json!("NONE");
    Ok(out)
}
