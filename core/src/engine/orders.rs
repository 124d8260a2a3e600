//! Every order the engine sent, by client order id, from the request to a
//! final outcome: sent → acked or rejected, or unknown (the venue cannot
//! say, a request timeout, a lost connection) → queried by its client order
//! id → reconciled. A fixed table: a full table of unresolved orders (or,
//! with user data, of orders still open on the venue) refuses new ones
//! instead of forgetting one.

use crate::order::Side;

/// Orders tracked at once (resolved ones are evicted oldest first).
pub const CAPACITY: usize = 64;

/// Where one order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// Sent; no answer yet.
    Sent,
    /// Accepted by the venue.
    Acked,
    /// Refused by the venue: it does not exist there.
    Rejected,
    /// The outcome is unknown; a status query is due.
    Unknown,
    /// A status query is in flight.
    Querying,
    /// The status query found it (it was placed).
    ReconciledPlaced,
    /// The status query found no such order (it was never placed).
    ReconciledAbsent,
}

impl OrderState {
    /// Whether the outcome is settled.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Acked | Self::Rejected | Self::ReconciledPlaced | Self::ReconciledAbsent)
    }
}

/// Why an order's outcome became unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownCause {
    /// The venue answered that it cannot say (Binance: status 5xx or error
    /// -1007, `docs/protocols/binance-ws-api.md` §Unknown outcomes).
    Venue,
    /// No answer within the request timeout.
    Timeout,
    /// The connection was lost with the order in flight.
    ConnectionLost,
}

/// One order and what is known of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// `newClientOrderId`: the idempotency key, never reused.
    pub client_order_id: u64,
    /// The place request's id.
    pub request_id: u64,
    /// The status query's request id while one is in flight.
    pub status_request: Option<u64>,
    /// Buy or sell.
    pub side: Side,
    /// Quantity in steps.
    pub qty: u64,
    /// Price in ticks (0 for a market order).
    pub price: u64,
    /// The `timestamp` it was signed with.
    pub timestamp: u64,
    /// When it was sent (or last queried), host nanoseconds.
    pub sent_ns: u64,
    /// Where it stands.
    pub state: OrderState,
    /// The venue's user data reported it closed (filled, cancelled,
    /// expired or rejected).
    pub done: bool,
    /// The venue's id of it, once an answer said (fills recovered with
    /// `myTrades` name orders by it).
    pub venue_id: Option<u64>,
    /// Held open across a reconnect and not confirmed open by the venue's
    /// list: its own status query is due.
    pub recheck: bool,
    /// Lots of it the fills counted so far add up to.
    pub filled: u64,
    /// Lots its status showed executed without a fill report, already in
    /// the gate's position: a report that comes after all is not counted
    /// there again.
    pub unreported: u64,
}

impl Order {
    /// Acknowledged and not closed by the venue's user data: the venue
    /// holds it, as far as the engine knows.
    pub fn open_on_venue(&self) -> bool {
        matches!(self.state, OrderState::Acked | OrderState::ReconciledPlaced) && !self.done
    }

    /// Open on the venue with no status query out.
    pub fn held_open(&self) -> bool {
        self.open_on_venue() && self.status_request.is_none()
    }
}

/// The table of orders.
#[derive(Debug, Clone)]
pub struct Orders {
    slots: [Option<Order>; CAPACITY],
    /// Where the next order goes: slots fill in turn, so this is the
    /// oldest one once the table is full.
    next: usize,
    /// Some order may have turned unknown since the last queries went out
    /// (saves scanning the table on every poll).
    pub(super) queries_due: bool,
    /// Some order held open has its [`Order::recheck`] set.
    pub(super) rechecks_due: bool,
    /// The venue's user data closes orders: one it has not closed still
    /// holds open quantity in the gate and is kept.
    track_open: bool,
}

impl Orders {
    /// An empty table; `track_open` when user data closes orders.
    pub fn new(track_open: bool) -> Self {
        Self { slots: [None; CAPACITY], next: 0, queries_due: false, rechecks_due: false, track_open }
    }

    /// Whether `o`'s slot may go to a new order: its outcome is settled
    /// and, with user data, the venue no longer holds it open.
    fn evictable(&self, o: &Order) -> bool {
        o.state.is_final() && !(self.track_open && o.open_on_venue())
    }

    /// Records a new order; `false` when every slot holds an unresolved
    /// order.
    pub fn insert(&mut self, order: Order) -> bool {
        let Some(slot) = self.free_slot() else { return false };
        if let Some(s) = self.slots.get_mut(slot) {
            *s = Some(order);
        }
        self.next = (slot + 1) % CAPACITY;
        true
    }

    /// Whether [`insert`](Self::insert) would find a slot, changing
    /// nothing (a dry run's look at the table).
    pub(super) fn has_room(&self) -> bool {
        self.free_slot().is_some()
    }

    /// The slot the next order takes.
    fn free_slot(&self) -> Option<usize> {
        // The slot after the last one taken is empty or the oldest order:
        // taken at once unless that order is still unresolved.
        let turn = self.slots.get(self.next).is_some_and(|o| o.is_none_or(|o| self.evictable(&o)));
        if turn {
            return Some(self.next);
        }
        if let Some(free) = self.slots.iter().position(Option::is_none) {
            return Some(free);
        }
        // Evict the oldest resolved order.
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.filter(|o| self.evictable(o)).map(|o| (i, o.client_order_id)))
            .min_by_key(|&(_, id)| id)
            .map(|(i, _)| i)
    }

    /// The order whose place or status request is `request_id`.
    pub fn by_request(&mut self, request_id: u64) -> Option<&mut Order> {
        self.iter_mut().find(|o| o.request_id == request_id || o.status_request == Some(request_id))
    }

    /// The order the venue knows as `venue_id`.
    pub fn by_venue_id(&mut self, venue_id: u64) -> Option<&mut Order> {
        self.iter_mut().find(|o| o.venue_id == Some(venue_id))
    }

    /// The order with this client order id.
    pub fn get(&self, client_order_id: u64) -> Option<&Order> {
        self.slots.iter().flatten().find(|o| o.client_order_id == client_order_id)
    }

    /// Every order, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Order> {
        self.slots.iter_mut().flatten()
    }

    /// Every order.
    pub fn iter(&self) -> impl Iterator<Item = &Order> {
        self.slots.iter().flatten()
    }

    /// Orders whose outcome is not settled.
    pub fn unresolved(&self) -> usize {
        self.iter().filter(|o| !o.state.is_final()).count()
    }

    /// Orders with a status query out: reconciling an unknown one, or
    /// rechecking one held open across a reconnect.
    pub(super) fn queried(&self) -> bool {
        self.iter().any(|o| o.status_request.is_some())
    }

    /// Orders the venue holds that its user data has not closed yet.
    pub fn open_on_venue(&self) -> usize {
        self.iter().filter(|o| o.open_on_venue()).count()
    }

    /// Orders sent and not answered (sent, or being queried).
    pub fn in_flight(&self) -> usize {
        self.iter().filter(|o| matches!(o.state, OrderState::Sent | OrderState::Querying)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: u64, state: OrderState) -> Order {
        Order {
            client_order_id: id,
            request_id: id + 100,
            status_request: None,
            side: Side::Buy,
            qty: 1,
            price: 0,
            timestamp: 0,
            sent_ns: 0,
            state,
            done: false,
            venue_id: None,
            recheck: false,
            filled: 0,
            unreported: 0,
        }
    }

    #[test]
    fn full_table_evicts_only_resolved_orders() {
        let mut orders = Orders::new(false);
        for id in 0..CAPACITY as u64 {
            assert!(orders.insert(order(id, OrderState::Sent)));
        }
        assert!(!orders.insert(order(1000, OrderState::Sent)), "no unresolved order may be forgotten");
        orders.by_request(105).unwrap().state = OrderState::Acked;
        orders.by_request(103).unwrap().state = OrderState::ReconciledAbsent;
        assert!(orders.insert(order(1000, OrderState::Sent)));
        assert!(orders.get(3).is_none(), "the oldest resolved order goes first");
        assert!(orders.get(5).is_some());
        assert_eq!(orders.unresolved(), CAPACITY - 1);
    }

    #[test]
    fn with_user_data_an_order_open_on_the_venue_is_kept() {
        let mut orders = Orders::new(true);
        for id in 0..CAPACITY as u64 {
            assert!(orders.insert(order(id, OrderState::Acked)));
        }
        assert!(!orders.insert(order(1000, OrderState::Sent)), "each one still holds open quantity");
        orders.iter_mut().find(|o| o.client_order_id == 7).unwrap().done = true;
        assert!(orders.insert(order(1000, OrderState::Sent)));
        assert!(orders.get(7).is_none(), "the one the venue closed goes");
        assert_eq!(orders.open_on_venue(), CAPACITY - 1);
    }

    #[test]
    fn steady_state_replaces_the_oldest_resolved_order_in_turn() {
        let mut orders = Orders::new(false);
        for id in 0..3 * CAPACITY as u64 {
            assert!(orders.insert(order(id, OrderState::Sent)));
            orders.by_request(id + 100).unwrap().state = OrderState::Acked;
            // The table holds exactly the newest CAPACITY orders.
            let oldest = (id + 1).saturating_sub(CAPACITY as u64);
            assert!(orders.get(id).is_some() && (oldest == 0 || orders.get(oldest - 1).is_none()), "at {id}");
            assert!(orders.get(oldest).is_some(), "at {id}");
        }
        // An unresolved order at the cursor is kept; the next resolved
        // one (the oldest such) goes instead.
        let at_cursor = 2 * CAPACITY as u64;
        orders.iter_mut().find(|o| o.client_order_id == at_cursor).unwrap().state = OrderState::Sent;
        assert!(orders.insert(order(5000, OrderState::Sent)));
        assert!(orders.get(at_cursor).is_some());
        assert!(orders.get(at_cursor + 1).is_none());
    }
}
