//! One text frame in, one answer out: the Binance Spot WebSocket API methods the sim serves — `order.place`,
//! `order.cancel`, `order.status`, `openOrders.status`, `openOrders.cancelAll`, `myTrades`, `account.status`,
//! `session.logon`/`status`/`logout`/`subscriptions`, `userDataStream.subscribe`/`.subscribe.signature`/`.unsubscribe`,
//! `time`, `ping` — with the request and response shapes of Binance's web-socket-api.md
//! (<https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-api.md>; §"Request format",
//! §"Response format", §"Session Authentication", §"User Data Stream requests"). A duplicate `newClientOrderId` gets
//! the exchange's documented answer, -2010 "Duplicate order sent.", and the first order stays the only one. The
//! user-data events a request causes are handed to the subscribed connections before its answer is queued, and each
//! connection sends an answer before any event that arrived after it.

use std::collections::BTreeMap;
use std::sync::PoisonError;

use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::Shared;
use crate::auth::{self, Key, Params};
use tokio::sync::mpsc;

use crate::book::{self, AcceptedOrder, Book, Delivery, Order, OrderStatus, UserEvent};
use crate::decimal;
use crate::error::ApiError;
use crate::matching::Refusal;
use crate::report;

/// Per-connection state the methods read and change.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) conn_id: u64,
    pub(crate) connected_since: i64,
    /// `?returnRateLimits=false` on the connection URL turns them off.
    pub(crate) return_rate_limits: bool,
    /// The API key `session.logon` authenticated, and since when.
    logged_on: Option<(String, i64)>,
    /// The user-data subscription (one account, so at most one per connection).
    subscription: Option<Subscription>,
    /// The id the next subscription gets: 0, 1, … over the connection's life.
    next_subscription: u32,
    /// This connection's user-data events, subscribed or not.
    events: mpsc::UnboundedSender<Delivery>,
}

/// An active user-data subscription (web-socket-api.md §"User Data Stream subscription").
#[derive(Clone, Copy, Debug)]
struct Subscription {
    id: u32,
    /// Opened by `userDataStream.subscribe` on the logged-on session, which `session.logout` closes.
    via_logon: bool,
}

impl Session {
    pub(crate) fn new(
        conn_id: u64,
        connected_since: i64,
        return_rate_limits: bool,
        events: mpsc::UnboundedSender<Delivery>,
    ) -> Session {
        Session {
            conn_id,
            connected_since,
            return_rate_limits,
            logged_on: None,
            subscription: None,
            next_subscription: 0,
            events,
        }
    }

    /// Ends the subscription, if any, with `eventStreamTerminated` (user-data-stream.md §"Event Stream Terminated").
    fn terminate(&mut self, shared: &Shared, now: i64) {
        let Some(subscription) = self.subscription.take() else { return };
        shared.subscribers.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.conn_id);
        let body = json!({"e": "eventStreamTerminated", "E": now}).to_string();
        let event = UserEvent { body: body.into(), fill: None };
        // The connection reads its own channel until it ends.
        let _ = self.events.send(event.deliver(subscription.id));
    }

    /// Removes the connection from the subscribers when it ends.
    pub(crate) fn close(&mut self, shared: &Shared) {
        if self.subscription.take().is_some() {
            shared.subscribers.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.conn_id);
        }
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

    // web-socket-api.md: the weight of each method, by its parameters where it depends on them.
    let weight = match method {
        "order.status" => 4,
        "openOrders.status" if params.get("symbol").is_some() => 6,
        "openOrders.status" => 80,
        "myTrades" if params.get("orderId").is_some() => 5,
        "myTrades" | "account.status" => 20,
        "session.logon" | "session.status" | "session.logout" | "session.subscriptions" => 2,
        "userDataStream.subscribe" | "userDataStream.subscribe.signature" | "userDataStream.unsubscribe" => 2,
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
                // session.logout closes only the logon subscription (web-socket-api.md §"Unsubscribe from User Data
                // Stream").
                if session.subscription.is_some_and(|s| s.via_logon) {
                    session.terminate(shared, now);
                }
                weight_only(Ok(session_json(session, now)))
            }
            "session.subscriptions" => {
                let list: Vec<Value> = session.subscription.iter().map(|s| json!({"subscriptionId": s.id})).collect();
                weight_only(Ok(Value::from(list)))
            }
            "userDataStream.subscribe" => weight_only(subscribe(shared, session, &params, now, true)),
            "userDataStream.subscribe.signature" => weight_only(subscribe(shared, session, &params, now, false)),
            "userDataStream.unsubscribe" => weight_only(unsubscribe(shared, session, &params, now)),
            "openOrders.status" => weight_only(open_orders(shared, session, &book, &params, now)),
            "openOrders.cancelAll" => weight_only(cancel_all(shared, session, &mut book, &params, now)),
            "myTrades" => weight_only(my_trades(shared, session, &book, &params, now)),
            "account.status" => weight_only(account_status(shared, session, &book, &params, now)),
            "order.place" => {
                let placed = place(shared, session, &mut book, &params, now);
                match placed {
                    Ok(Placed::Answer(result)) => Answer { result: Ok(result), limits: Limits::OrdersAndWeight },
                    Ok(Placed::Silence) => {
                        shared.flush_events(&mut book);
                        return Outcome::Silence;
                    }
                    Ok(Placed::Drop) => {
                        shared.flush_events(&mut book);
                        return Outcome::Drop;
                    }
                    Err(e) => Answer { result: Err(e), limits: Limits::OrdersAndWeight },
                }
            }
            "order.cancel" => weight_only(cancel(shared, session, &mut book, &params, now)),
            "order.status" => weight_only(status(shared, session, &mut book, &params, now)),
            _ => weight_only(Err(ApiError::new(400, -1020, "This operation is not supported."))),
        }
    };
    shared.flush_events(&mut book);
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
        "userDataStream": session.subscription.is_some(),
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

fn filter_failure(filter: &str) -> ApiError {
    ApiError::new(400, -1013, format!("Filter failure: {filter}"))
}

/// A DECIMAL parameter in whole units of the symbol's step; a finer or zero value fails the filter (-1013).
fn units(text: Option<&str>, scale: u32, filter: &str) -> Result<i128, ApiError> {
    match text {
        None => Ok(0),
        Some(text) => decimal::parse(text, scale).filter(|v| *v > 0).ok_or_else(|| filter_failure(filter)),
    }
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
    // web-socket-api.md §"Place new order (TRADE)": LIMIT needs timeInForce, price and quantity; LIMIT_MAKER price
    // and quantity; the others quantity (MARKET: or quoteOrderQty).
    if order_type == "LIMIT" && time_in_force.is_none() {
        return Err(ApiError::mandatory("timeInForce"));
    }
    if order_type == "LIMIT" || order_type == "LIMIT_MAKER" {
        price.ok_or_else(|| ApiError::mandatory("price"))?;
        quantity.ok_or_else(|| ApiError::mandatory("quantity"))?;
    } else if quantity.is_none() && (quote_order_qty.is_none() || order_type != "MARKET") {
        return Err(ApiError::mandatory("quantity"));
    }
    let resp_type = match params.get("newOrderRespType") {
        Some(t @ ("ACK" | "RESULT" | "FULL")) => t,
        Some(_) => return Err(ApiError::new(400, -1177, "Invalid newOrderRespType.")),
        // web-socket-api.md §"Place new order (TRADE)": MARKET and LIMIT default to FULL, other types to ACK.
        None if order_type == "LIMIT" || order_type == "MARKET" => "FULL",
        None => "ACK",
    };
    let scale = book.scale_of(&symbol);
    let price_units = units(price, scale.price, "PRICE_FILTER")?;
    let qty_units = units(quantity, scale.qty, "LOT_SIZE")?;
    let quote_units = units(quote_order_qty, decimal::PRINTED, "NOTIONAL")?;

    let order_id = book.next_order_id();
    let client_order_id = match params.get("newClientOrderId") {
        Some(cid) if book.by_client_id(cid).is_some() => return Err(rejected("Duplicate order sent.")),
        Some(cid) => cid.to_owned(),
        None => format!("sim{order_id:019}"),
    };
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
        status: OrderStatus::New,
        update_time: now,
        scale,
        price: price_units,
        qty: qty_units,
        quote_order_qty: quote_units,
        executed: 0,
        cum_quote: 0,
        locked: 0,
        expiry_reason: None,
    };
    let nth = book.next_candidate();
    let faults = &shared.config.faults;
    if shared.config.reject_symbols.contains(&order.accepted.symbol)
        || faults.reject_every.is_some_and(|n| n > 0 && nth.is_multiple_of(n))
    {
        book.refuse(&order, Refusal::InsufficientBalance.reason(), now);
        return Err(rejected(Refusal::InsufficientBalance.message()));
    }
    if let Err(refusal) = book.admit(&order) {
        book.refuse(&order, refusal.reason(), now);
        return Err(rejected(refusal.message()));
    }

    let journal_failed = |e: std::io::Error| ApiError::new(500, -1000, format!("Journal write failed: {e}"));
    let index = book.accept(order).map_err(journal_failed)?;
    let fills = book.execute(index, now).map_err(journal_failed)?;
    let count = index as u64 + 1;
    let mut result = order_json(&book.orders[index], resp_type);

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
        result["fills"] = fills.iter().map(report::fill).collect();
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
        for (name, value) in report::details(order) {
            out[name] = value;
        }
        out["workingTime"] = json!(a.received_at);
        out["selfTradePreventionMode"] = json!("NONE");
    }
    out
}

/// Finds the order a cancel or status request names: `symbol` plus `orderId` or `origClientOrderId`.
fn lookup(book: &Book, params: &Params, missing: ApiError) -> Result<usize, ApiError> {
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
    match book.find(order_id, client_id) {
        Some(index) if book.orders[index].accepted.symbol == symbol => Ok(index),
        _ => Err(missing),
    }
}

fn status(shared: &Shared, session: &Session, book: &mut Book, params: &Params, now: i64) -> Result<Value, ApiError> {
    authenticate(shared, session, params, now)?;
    let index = lookup(book, params, ApiError::new(400, -2013, "Order does not exist."))?;
    Ok(report::status(&book.orders[index]))
}

fn cancel_id(params: &Params, order_id: u64) -> String {
    params.get("newClientOrderId").map_or_else(|| format!("simcancel{order_id:019}"), str::to_owned)
}

fn cancel(shared: &Shared, session: &Session, book: &mut Book, params: &Params, now: i64) -> Result<Value, ApiError> {
    authenticate(shared, session, params, now)?;
    let unknown = || ApiError::new(400, -2011, "Unknown order sent.");
    let index = lookup(book, params, unknown())?;
    if !book.orders[index].is_open() {
        return Err(unknown());
    }
    let cancel_id = cancel_id(params, book.orders[index].accepted.order_id);
    Ok(book.cancel(index, &cancel_id, now))
}

/// `userDataStream.subscribe` (the logged-on session's key; no parameters) and `userDataStream.subscribe.signature`
/// (`apiKey`, `timestamp`, `signature`, any key type), web-socket-api.md §"User Data Stream requests". The sim has one
/// account, so a connection holds at most one subscription.
fn subscribe(
    shared: &Shared,
    session: &mut Session,
    params: &Params,
    now: i64,
    logon: bool,
) -> Result<Value, ApiError> {
    if logon {
        let sent = params.count();
        if sent > 0 {
            let msg = format!("Not all sent parameters were read; read '0' parameter(s) but was sent '{sent}'.");
            return Err(ApiError::new(400, -1104, msg));
        }
        if session.logged_on.is_none() {
            return Err(ApiError::new(401, -1002, "You are not authorized to execute this request."));
        }
    } else {
        params.require("signature")?;
        authenticate(shared, session, params, now)?;
    }
    if session.subscription.is_some() {
        return Err(ApiError::new(400, -2035, "User Data Stream subscription already active."));
    }
    let id = session.next_subscription;
    session.next_subscription += 1;
    session.subscription = Some(Subscription { id, via_logon: logon });
    let subscribers = &mut shared.subscribers.lock().unwrap_or_else(PoisonError::into_inner);
    subscribers.insert(session.conn_id, (id, session.events.clone()));
    Ok(json!({ "subscriptionId": id }))
}

/// `userDataStream.unsubscribe`: the given subscription, or all of them; unknown ids close nothing.
fn unsubscribe(shared: &Shared, session: &mut Session, params: &Params, now: i64) -> Result<Value, ApiError> {
    let wanted = match params.get("subscriptionId") {
        Some(text) => Some(text.parse::<u32>().map_err(|_| ApiError::mandatory("subscriptionId"))?),
        None => None,
    };
    if wanted.is_none_or(|id| session.subscription.is_some_and(|s| s.id == id)) {
        session.terminate(shared, now);
    }
    Ok(json!({}))
}

/// `openOrders.status` (web-socket-api.md §"Current open orders (USER_DATA)"): the `order.status` shape of every open
/// order, of one symbol or all.
fn open_orders(shared: &Shared, session: &Session, book: &Book, params: &Params, now: i64) -> Result<Value, ApiError> {
    authenticate(shared, session, params, now)?;
    let symbol = params.get("symbol");
    let open = book.open.iter().map(|&i| &book.orders[i]);
    Ok(open.filter(|o| symbol.is_none_or(|s| o.accepted.symbol == s)).map(report::status).collect())
}

/// `openOrders.cancelAll` (web-socket-api.md §"Cancel open orders (TRADE)"): cancels every open order of the symbol,
/// each with its CANCELED report; with none open the answer is -2011, as for a single unknown order.
fn cancel_all(
    shared: &Shared,
    session: &Session,
    book: &mut Book,
    params: &Params,
    now: i64,
) -> Result<Value, ApiError> {
    authenticate(shared, session, params, now)?;
    let symbol = params.require("symbol")?;
    let open: Vec<usize> = book.open.iter().copied().filter(|&i| book.orders[i].accepted.symbol == symbol).collect();
    if open.is_empty() {
        return Err(ApiError::new(400, -2011, "Unknown order sent."));
    }
    let reports: Vec<Value> = open
        .into_iter()
        .map(|index| {
            let cancel_id = format!("simcancel{:019}", book.orders[index].accepted.order_id);
            book.cancel(index, &cancel_id, now)
        })
        .collect();
    Ok(Value::from(reports))
}

/// A LONG parameter, if sent.
fn long(params: &Params, name: &str) -> Result<Option<u64>, ApiError> {
    params.get(name).map(|text| text.parse::<u64>().map_err(|_| ApiError::mandatory(name))).transpose()
}

/// `myTrades` (web-socket-api.md §"Account trade history (USER_DATA)"): the symbol's trades, of one order or from a
/// trade id on, oldest first, at most `limit` (default 500, at most 1000); with neither, the most recent.
fn my_trades(shared: &Shared, session: &Session, book: &Book, params: &Params, now: i64) -> Result<Value, ApiError> {
    authenticate(shared, session, params, now)?;
    let symbol = params.require("symbol")?;
    let order_id = long(params, "orderId")?;
    let from_id = long(params, "fromId")?;
    let limit = match long(params, "limit")? {
        None => 500,
        Some(n @ 1..=1000) => n as usize,
        Some(_) => return Err(ApiError::new(400, -1130, "Data sent for parameter 'limit' is not valid.")),
    };
    let matching: Vec<&book::Fill> = book
        .fills
        .iter()
        .filter(|f| f.symbol == symbol)
        .filter(|f| order_id.is_none_or(|id| f.order_id == id))
        .filter(|f| from_id.is_none_or(|id| f.trade_id >= id))
        .collect();
    let chosen = if from_id.is_some() || order_id.is_some() {
        &matching[..matching.len().min(limit)]
    } else {
        &matching[matching.len().saturating_sub(limit)..]
    };
    Ok(chosen.iter().map(|f| report::trade(f)).collect())
}

/// `account.status` (web-socket-api.md §"Account information (USER_DATA)").
fn account_status(
    shared: &Shared,
    session: &Session,
    book: &Book,
    params: &Params,
    now: i64,
) -> Result<Value, ApiError> {
    authenticate(shared, session, params, now)?;
    let account = &book.account;
    let bps = account.commission_bps;
    let rate = decimal::fixed8(i128::from(bps), 4);
    Ok(json!({
        "makerCommission": bps,
        "takerCommission": bps,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "canTrade": true,
        "canWithdraw": true,
        "canDeposit": true,
        "commissionRates": {"maker": rate, "taker": rate, "buyer": decimal::fixed8(0, 0), "seller": decimal::fixed8(0, 0)},
        "brokered": false,
        "requireSelfTradePrevention": false,
        "preventSor": false,
        "updateTime": account.update_time,
        "accountType": "SPOT",
        "balances": account.status_json(params.get("omitZeroBalances") == Some("true")),
        "permissions": ["SPOT"],
        "uid": 1,
    }))
}
