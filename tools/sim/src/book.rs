//! The sim's order book and counters: accepted orders by order id and client order id (the idempotency key), their
//! fills, the account, the JSON-lines journal every accepted order and every fill is written to before anyone hears of
//! it, the user-data events an operation produced, and the fixed-window counters
//! behind `rateLimits` (web-socket-api.md §"Rate limits",
//! <https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-api.md>).

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::account::Account;
use crate::market::Market;

/// One user-data event for every subscribed connection: the `event` object, and for a TRADE executionReport the
/// 1-based ordinal of its fill (for the `disconnect_before_trade_report` fault).
#[derive(Clone, Debug)]
pub(crate) struct UserEvent {
    pub(crate) body: Arc<str>,
    pub(crate) fill: Option<u64>,
}

impl UserEvent {
    /// The text frame for one subscription: `{"subscriptionId":N,"event":{…}}` (web-socket-api.md §"Event format").
    pub(crate) fn deliver(&self, subscription_id: u32) -> Delivery {
        Delivery { text: format!(r#"{{"subscriptionId":{subscription_id},"event":{}}}"#, self.body), fill: self.fill }
    }
}

/// A user-data event on its way to one connection.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub(crate) text: String,
    pub(crate) fill: Option<u64>,
}

/// One order the sim accepted, as journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedOrder {
    /// `newClientOrderId` as sent, or the id the sim generated.
    pub client_order_id: String,
    /// The sim's order id (1, 2, … in acceptance order).
    pub order_id: u64,
    /// `symbol` as sent.
    pub symbol: String,
    /// `side` as sent (`BUY` or `SELL`).
    pub side: String,
    /// `type` as sent.
    pub order_type: String,
    /// `price` as sent, if any.
    pub price: Option<String>,
    /// `quantity` as sent, if any.
    pub quantity: Option<String>,
    /// The client's `timestamp` parameter as sent (ms or µs).
    pub timestamp: i64,
    /// The sim's clock when the order arrived, Unix milliseconds.
    pub received_at: i64,
    /// Which connection carried it (1, 2, … in accept order).
    pub connection_id: u64,
}

impl AcceptedOrder {
    /// The journal line for this order.
    pub fn to_json(&self) -> Value {
        json!({
            "clientOrderId": self.client_order_id,
            "orderId": self.order_id,
            "symbol": self.symbol,
            "side": self.side,
            "type": self.order_type,
            "price": self.price,
            "quantity": self.quantity,
            "timestamp": self.timestamp,
            "received_at": self.received_at,
            "connection_id": self.connection_id,
        })
    }
}

/// One fill: a trade of one of the account's orders against the touch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fill {
    /// Trade id (`t`, `tradeId`, `id` in `myTrades`), strictly increasing per symbol, from 1.
    pub trade_id: u64,
    /// The order that traded.
    pub order_id: u64,
    /// That order's client order id.
    pub client_order_id: String,
    /// The symbol.
    pub symbol: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Price, eight decimals (`"90000.01000000"`).
    pub price: String,
    /// Quantity, eight decimals.
    pub qty: String,
    /// Price times quantity, eight decimals.
    pub quote_qty: String,
    /// Commission, eight decimals.
    pub commission: String,
    /// The asset the commission is charged in (the quote asset).
    pub commission_asset: String,
    /// Whether the order was resting (maker) rather than taking the touch.
    pub is_maker: bool,
    /// Sim clock, Unix milliseconds.
    pub time: i64,
}

impl Fill {
    /// The journal line for this fill.
    pub fn to_json(&self) -> Value {
        json!({
            "kind": "fill",
            "tradeId": self.trade_id,
            "orderId": self.order_id,
            "clientOrderId": self.client_order_id,
            "symbol": self.symbol,
            "side": self.side,
            "price": self.price,
            "qty": self.qty,
            "quoteQty": self.quote_qty,
            "commission": self.commission,
            "commissionAsset": self.commission_asset,
            "isMaker": self.is_maker,
            "time": self.time,
        })
    }
}

/// An order's status (enums.md §"Order status").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrderStatus {
    New,
    PartiallyFilled,
    Filled,
    Canceled,
    Expired,
}

impl OrderStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "NEW",
            OrderStatus::PartiallyFilled => "PARTIALLY_FILLED",
            OrderStatus::Filled => "FILLED",
            OrderStatus::Canceled => "CANCELED",
            OrderStatus::Expired => "EXPIRED",
        }
    }
}

/// Decimals of a symbol's prices and quantities; quote amounts have both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Scale {
    pub(crate) price: u32,
    pub(crate) qty: u32,
}

impl Scale {
    pub(crate) fn quote(self) -> u32 {
        self.price + self.qty
    }
}

/// An order in the book. Amounts are whole units: `price` of 10^-scale.price, `qty` and `executed` of 10^-scale.qty,
/// `cum_quote` of 10^-scale.quote(), `quote_order_qty` and `locked` of 10^-8 (balance units).
#[derive(Debug)]
pub(crate) struct Order {
    pub(crate) accepted: AcceptedOrder,
    pub(crate) time_in_force: Option<String>,
    pub(crate) status: OrderStatus,
    pub(crate) update_time: i64,
    pub(crate) scale: Scale,
    pub(crate) price: i128,
    pub(crate) qty: i128,
    pub(crate) quote_order_qty: i128,
    pub(crate) executed: i128,
    pub(crate) cum_quote: i128,
    /// Balance held for the rest of a resting order: quote asset for a buy, base asset for a sell.
    pub(crate) locked: i128,
    pub(crate) expiry_reason: Option<&'static str>,
}

impl Order {
    pub(crate) fn buy(&self) -> bool {
        self.accepted.side == "BUY"
    }

    pub(crate) fn is_open(&self) -> bool {
        matches!(self.status, OrderStatus::New | OrderStatus::PartiallyFilled)
    }

    /// LIMIT GTC and LIMIT_MAKER orders rest and fill when a touch crosses them.
    pub(crate) fn rests(&self) -> bool {
        match self.accepted.order_type.as_str() {
            "LIMIT" => self.time_in_force.as_deref() == Some("GTC"),
            "LIMIT_MAKER" => true,
            _ => false,
        }
    }

    /// On the book: open and resting.
    pub(crate) fn working(&self) -> bool {
        self.is_open() && self.rests()
    }

    pub(crate) fn remaining(&self) -> i128 {
        self.qty - self.executed
    }
}

/// One fixed-window counter: `count` events in window number `window`.
#[derive(Debug, Default)]
struct Window {
    window: i64,
    count: u64,
}

impl Window {
    /// Adds `n` at `now_ms` to a window of `len_ms` and returns the count.
    fn add(&mut self, now_ms: i64, len_ms: i64, n: u64) -> u64 {
        let window = now_ms.div_euclid(len_ms);
        if window != self.window {
            *self = Window { window, count: 0 };
        }
        self.count += n;
        self.count
    }

    fn count(&self, now_ms: i64, len_ms: i64) -> u64 {
        if now_ms.div_euclid(len_ms) == self.window { self.count } else { 0 }
    }
}

pub(crate) const ORDERS_WINDOW_MS: i64 = 10_000;
const DAY_MS: i64 = 86_400_000;
pub(crate) const WEIGHT_WINDOW_MS: i64 = 60_000;
pub(crate) const ORDERS_PER_DAY: u64 = 160_000;
pub(crate) const WEIGHT_PER_MINUTE: u64 = 6_000;

/// All mutable state shared by the connections.
#[derive(Debug)]
pub(crate) struct Book {
    /// The simulated symbol's market, if configured.
    pub(crate) market: Option<Market>,
    pub(crate) account: Account,
    pub(crate) orders: Vec<Order>,
    /// Indexes of open orders, in order id order (time priority).
    pub(crate) open: BTreeSet<usize>,
    pub(crate) fills: Vec<Fill>,
    /// The last trade id per symbol.
    trade_ids: HashMap<String, u64>,
    /// The last execution id (`I`).
    exec_id: u64,
    /// User-data events of the operation in progress, taken by [`crate::Shared`] after it.
    pub(crate) outbox: Vec<UserEvent>,
    by_client_id: HashMap<String, usize>,
    journal: Option<File>,
    orders_10s: Window,
    orders_day: Window,
    weight: Window,
    /// Valid, non-duplicate new orders seen, for "reject every Nth".
    candidates: u64,
}

impl Book {
    pub(crate) fn new(journal: Option<File>, account: Account) -> Book {
        Book {
            market: None,
            account,
            orders: Vec::new(),
            open: BTreeSet::new(),
            fills: Vec::new(),
            trade_ids: HashMap::new(),
            exec_id: 0,
            outbox: Vec::new(),
            by_client_id: HashMap::new(),
            journal,
            orders_10s: Window::default(),
            orders_day: Window::default(),
            weight: Window::default(),
            candidates: 0,
        }
    }

    /// Counts request weight; returns the count in the current minute.
    pub(crate) fn add_weight(&mut self, now_ms: i64, weight: u64) -> u64 {
        self.weight.add(now_ms, WEIGHT_WINDOW_MS, weight)
    }

    /// Counts one new order; returns the count in the current 10 s window.
    pub(crate) fn add_order_attempt(&mut self, now_ms: i64) -> u64 {
        self.orders_day.add(now_ms, DAY_MS, 1);
        self.orders_10s.add(now_ms, ORDERS_WINDOW_MS, 1)
    }

    /// Current counts: (orders in 10 s, orders today, weight this minute).
    pub(crate) fn counts(&self, now_ms: i64) -> (u64, u64, u64) {
        (
            self.orders_10s.count(now_ms, ORDERS_WINDOW_MS),
            self.orders_day.count(now_ms, DAY_MS),
            self.weight.count(now_ms, WEIGHT_WINDOW_MS),
        )
    }

    /// Counts a valid new order and returns its 1-based ordinal.
    pub(crate) fn next_candidate(&mut self) -> u64 {
        self.candidates += 1;
        self.candidates
    }

    pub(crate) fn next_order_id(&self) -> u64 {
        self.orders.len() as u64 + 1
    }

    pub(crate) fn by_client_id(&self, client_order_id: &str) -> Option<&Order> {
        self.by_client_id.get(client_order_id).and_then(|&i| self.orders.get(i))
    }

    /// The index of the order with `order_id` or else `client_order_id`.
    pub(crate) fn find(&self, order_id: Option<u64>, client_order_id: Option<&str>) -> Option<usize> {
        let index = match (order_id, client_order_id) {
            (Some(id), _) => usize::try_from(id).ok()?.checked_sub(1)?,
            (None, Some(cid)) => *self.by_client_id.get(cid)?,
            (None, None) => return None,
        };
        (index < self.orders.len()).then_some(index)
    }

    fn journal(&mut self, line: &Value) -> io::Result<()> {
        if let Some(journal) = &mut self.journal {
            let mut line = line.to_string();
            line.push('\n');
            journal.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    /// Journals and stores an order; returns its index. The journal line is
    /// written first, so an order the client hears about is always in the
    /// journal.
    pub(crate) fn accept(&mut self, order: Order) -> io::Result<usize> {
        self.journal(&order.accepted.to_json())?;
        self.by_client_id.insert(order.accepted.client_order_id.clone(), self.orders.len());
        self.orders.push(order);
        Ok(self.orders.len() - 1)
    }

    /// Journals and stores a fill under the symbol's next trade id.
    pub(crate) fn record_fill(&mut self, mut fill: Fill) -> io::Result<Fill> {
        let id = self.trade_ids.entry(fill.symbol.clone()).or_insert(0);
        *id += 1;
        fill.trade_id = *id;
        self.journal(&fill.to_json())?;
        self.fills.push(fill.clone());
        Ok(fill)
    }

    pub(crate) fn next_exec_id(&mut self) -> u64 {
        self.exec_id += 1;
        self.exec_id
    }

    pub(crate) fn accepted(&self) -> Vec<AcceptedOrder> {
        self.orders.iter().map(|o| o.accepted.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_resets_at_the_boundary() {
        let mut w = Window::default();
        assert_eq!(w.add(19_999, 10_000, 1), 1);
        assert_eq!(w.add(10_000, 10_000, 1), 2);
        assert_eq!(w.count(20_000, 10_000), 0);
        assert_eq!(w.add(20_000, 10_000, 1), 1);
    }
}
