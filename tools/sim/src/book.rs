//! The sim's order book and counters: accepted orders by order id and client order id (the idempotency key), the
//! JSON-lines journal every accepted order is written to before it is acknowledged, and the fixed-window counters
//! behind `rateLimits` (web-socket-api.md §"Rate limits",
//! <https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-api.md>).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};

use serde_json::{Value, json};

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

/// Lifecycle of a resting order. The sim has no matching engine: orders
/// rest as NEW until cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrderStatus {
    New,
    Canceled,
}

impl OrderStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "NEW",
            OrderStatus::Canceled => "CANCELED",
        }
    }
}

/// An order in the book.
#[derive(Debug)]
pub(crate) struct Order {
    pub(crate) accepted: AcceptedOrder,
    pub(crate) time_in_force: Option<String>,
    pub(crate) quote_order_qty: Option<String>,
    pub(crate) status: OrderStatus,
    pub(crate) update_time: i64,
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
    orders: Vec<Order>,
    by_client_id: HashMap<String, usize>,
    journal: Option<File>,
    orders_10s: Window,
    orders_day: Window,
    weight: Window,
    /// Valid, non-duplicate new orders seen, for "reject every Nth".
    candidates: u64,
}

impl Book {
    pub(crate) fn new(journal: Option<File>) -> Book {
        Book {
            orders: Vec::new(),
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

    /// The order with `order_id` or else `client_order_id`.
    pub(crate) fn find_mut(&mut self, order_id: Option<u64>, client_order_id: Option<&str>) -> Option<&mut Order> {
        let index = match (order_id, client_order_id) {
            (Some(id), _) => usize::try_from(id).ok()?.checked_sub(1)?,
            (None, Some(cid)) => *self.by_client_id.get(cid)?,
            (None, None) => return None,
        };
        self.orders.get_mut(index)
    }

    /// Journals and stores an order; returns how many orders the sim has
    /// accepted so far. The journal line is written first, so an order the
    /// client hears about is always in the journal.
    pub(crate) fn accept(&mut self, order: Order) -> io::Result<u64> {
        if let Some(journal) = &mut self.journal {
            let mut line = order.accepted.to_json().to_string();
            line.push('\n');
            journal.write_all(line.as_bytes())?;
        }
        self.by_client_id.insert(order.accepted.client_order_id.clone(), self.orders.len());
        self.orders.push(order);
        Ok(self.orders.len() as u64)
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
