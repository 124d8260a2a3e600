//! The pre-trade risk gate: an order request (side, quantity, price) and
//! the current time turn into "send" or a denial with a reason code, and
//! venue feedback (acks, rejects, fills) and feed health turn into the
//! state the next check uses. It applies in every mode, paper or live: no
//! order leaves the core without passing [`Gate::check`].
//!
//! Limits: per-order quantity and notional caps, maximum open orders,
//! maximum absolute position including open orders, and two token buckets
//! that stay inside the venue's order-rate limits (each venue states its
//! own; Binance's are in `venue::binance` and
//! `docs/protocols/binance-ws-api.md` §Rate limits). A bucket admits at most
//! twice its capacity in any window (a full bucket plus a window of refill),
//! so the defaults, 20 per 10 s and 50 000 per day, stay below Binance's 50
//! and 160 000 even then. A kill switch (manual; automatic after N
//! consecutive venue rejects or on a feed gap) denies everything until
//! rearmed. Every denial and kill is also queued as an [`Event`].

pub mod bucket;

use bucket::TokenBucket;

use crate::order::Side;

const SECOND_NS: u64 = 1_000_000_000;
/// The price collar of [`Limits::new`]: 0.5 % either side of the mid.
pub const DEFAULT_COLLAR_BPS: u32 = 50;
const DAY_NS: u64 = 86_400 * SECOND_NS;
/// Events kept until polled; older ones are dropped and counted.
const EVENT_CAPACITY: usize = 32;

/// A token bucket's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Tokens in a full bucket, and tokens refilled per window.
    pub capacity: u32,
    /// The refill window in nanoseconds.
    pub window_ns: u64,
}

/// The gate's limits. Quantities are in the instrument's quantity steps and
/// prices in its price ticks, the integers the order templates patch, so a
/// notional is in steps × ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest quantity of one order.
    pub max_qty: u64,
    /// Largest quantity × price of one order.
    pub max_notional: u128,
    /// Most orders sent and not yet closed.
    pub max_open_orders: u32,
    /// Largest absolute position, counting open orders as if filled.
    pub max_position: u64,
    /// The short-window rate limit.
    pub short_rate: RateLimit,
    /// The daily rate limit.
    pub daily_rate: RateLimit,
    /// Engage the kill switch after this many consecutive venue rejects.
    pub kill_after_rejects: Option<u32>,
    /// Engage the kill switch when the feed reports a gap or restart.
    pub kill_on_feed_gap: bool,
    /// Deny a limit price further than this many basis points from the
    /// mid, when the order carries the mid it was priced at.
    pub price_collar_bps: Option<u32>,
    /// Engage the kill switch once the P&L (realized, after fees, plus the
    /// open position marked to the book) is this far below zero, in
    /// lots × ticks.
    pub max_loss: Option<u128>,
}

impl Limits {
    /// The instrument-specific caps, with hotline's default rates (20 per
    /// 10 s, 50 000 per day), 4 open orders, a kill after 3 consecutive
    /// rejects and on any feed gap.
    pub fn new(max_qty: u64, max_notional: u128, max_position: u64) -> Self {
        Self {
            max_qty,
            max_notional,
            max_open_orders: 4,
            max_position,
            short_rate: RateLimit { capacity: 20, window_ns: 10 * SECOND_NS },
            daily_rate: RateLimit { capacity: 50_000, window_ns: DAY_NS },
            kill_after_rejects: Some(3),
            kill_on_feed_gap: true,
            price_collar_bps: Some(DEFAULT_COLLAR_BPS),
            max_loss: None,
        }
    }
}

/// An order about to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderRequest {
    /// Buy or sell.
    pub side: Side,
    /// Quantity in steps.
    pub qty: u64,
    /// Limit price (or the reference price of a market order) in ticks.
    pub price: u64,
    /// The mid (bid + ask, in half ticks) the limit price was set from:
    /// the price collar applies when it is known.
    pub collar_mid_half_ticks: Option<u64>,
}

/// Why an order was denied. The discriminant is the stable reason code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Reason {
    /// The kill switch is engaged.
    KillSwitch = 1,
    /// Quantity zero.
    ZeroQuantity = 2,
    /// Quantity above `max_qty`.
    QuantityCap = 3,
    /// Notional above `max_notional`.
    NotionalCap = 4,
    /// `max_open_orders` already open.
    OpenOrders = 5,
    /// The position would exceed `max_position`.
    Position = 6,
    /// The short-window bucket is empty.
    ShortRate = 7,
    /// The daily bucket is empty.
    DailyRate = 8,
    /// The limit price is further from the mid than `price_collar_bps`.
    PriceCollar = 9,
}

impl Reason {
    /// The numeric reason code for logs and metrics.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Why the kill switch engaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillCause {
    /// The operator pulled it.
    Manual,
    /// This many venue rejects in a row.
    ConsecutiveRejects(u32),
    /// The feed lost messages or the node restarted.
    FeedGap,
    /// The venue refused a signature (-1022): every order signed with this
    /// key would be refused too.
    BadSignature,
    /// The P&L reached the loss limit.
    LossLimit,
}

/// Something the operator must see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// An order was denied.
    Denied {
        /// When.
        at_ns: u64,
        /// Why.
        reason: Reason,
        /// The denied order.
        order: OrderRequest,
    },
    /// The kill switch engaged.
    Killed {
        /// When.
        at_ns: u64,
        /// Why.
        cause: KillCause,
    },
    /// The kill switch was released.
    Rearmed {
        /// When.
        at_ns: u64,
    },
}

/// The pre-trade gate and the state it checks against.
#[derive(Debug, Clone)]
pub struct Gate {
    limits: Limits,
    short: TokenBucket,
    daily: TokenBucket,
    open_orders: u32,
    open_buy_qty: u64,
    open_sell_qty: u64,
    position: i128,
    consecutive_rejects: u32,
    killed: Option<KillCause>,
    events: [Option<Event>; EVENT_CAPACITY],
    event_head: usize,
    event_len: usize,
    events_dropped: u64,
}

impl Gate {
    /// A gate with full buckets, nothing open, a flat position.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            short: TokenBucket::new(limits.short_rate.capacity, limits.short_rate.window_ns),
            daily: TokenBucket::new(limits.daily_rate.capacity, limits.daily_rate.window_ns),
            open_orders: 0,
            open_buy_qty: 0,
            open_sell_qty: 0,
            position: 0,
            consecutive_rejects: 0,
            killed: None,
            events: [None; EVENT_CAPACITY],
            event_head: 0,
            event_len: 0,
            events_dropped: 0,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Checks an order at `now_ns`. When allowed, it counts as sent: it
    /// takes a token from each bucket and is open until
    /// [`Gate::on_closed`] or [`Gate::on_reject`].
    pub fn check(&mut self, now_ns: u64, order: &OrderRequest) -> Result<(), Reason> {
        let verdict = self.rehearse(now_ns, order);
        match verdict {
            Ok(()) => {
                // `rehearse` saw a token in each at `now_ns`.
                self.short.available(now_ns);
                self.daily.available(now_ns);
                self.short.take();
                self.daily.take();
                self.open(order);
            }
            Err(reason) => self.push(Event::Denied { at_ns: now_ns, reason, order: *order }),
        }
        verdict
    }

    /// Checks an order that rides in the message of the order checked just
    /// before it (a Coinbase NewOrderBatch, which the venue counts as one
    /// message: `docs/protocols/coinbase-fix.md` §Rate limits). Every limit applies but the
    /// rates, whose tokens that order took; when allowed, it is open as
    /// after [`check`](Self::check).
    pub fn check_batched(&mut self, now_ns: u64, order: &OrderRequest) -> Result<(), Reason> {
        let verdict = self.order_limits(order);
        match verdict {
            Ok(()) => self.open(order),
            Err(reason) => self.push(Event::Denied { at_ns: now_ns, reason, order: *order }),
        }
        verdict
    }

    /// [`check_batched`](Self::check_batched)'s verdict, changing nothing
    /// (a dry run's).
    pub fn rehearse_batched(&self, order: &OrderRequest) -> Result<(), Reason> {
        self.order_limits(order)
    }

    fn open(&mut self, order: &OrderRequest) {
        self.open_orders += 1;
        match order.side {
            Side::Buy => self.open_buy_qty = self.open_buy_qty.saturating_add(order.qty),
            Side::Sell => self.open_sell_qty = self.open_sell_qty.saturating_add(order.qty),
        }
    }

    /// The verdict [`check`](Self::check) would give at `now_ns`, changing
    /// nothing: no token taken, nothing opened, no event. The engine's dry
    /// runs take this path while idle to keep it warm.
    pub fn rehearse(&self, now_ns: u64, order: &OrderRequest) -> Result<(), Reason> {
        self.order_limits(order)?;
        if !self.short.would_admit(now_ns) {
            return Err(Reason::ShortRate);
        }
        if !self.daily.would_admit(now_ns) {
            return Err(Reason::DailyRate);
        }
        Ok(())
    }

    /// Every limit but the rates.
    #[inline]
    fn order_limits(&self, order: &OrderRequest) -> Result<(), Reason> {
        let l = &self.limits;
        if self.killed.is_some() {
            return Err(Reason::KillSwitch);
        }
        if order.qty == 0 {
            return Err(Reason::ZeroQuantity);
        }
        if order.qty > l.max_qty {
            return Err(Reason::QuantityCap);
        }
        if u128::from(order.qty) * u128::from(order.price) > l.max_notional {
            return Err(Reason::NotionalCap);
        }
        if let (Some(bps), Some(mid)) = (l.price_collar_bps, order.collar_mid_half_ticks) {
            // |price − mid| / mid > bps / 10 000, in half ticks.
            let distance = (u128::from(order.price) * 2).abs_diff(u128::from(mid));
            if distance * 10_000 > u128::from(bps) * u128::from(mid) {
                return Err(Reason::PriceCollar);
            }
        }
        if self.open_orders >= l.max_open_orders {
            return Err(Reason::OpenOrders);
        }
        let worst = match order.side {
            Side::Buy => self.position + i128::from(self.open_buy_qty) + i128::from(order.qty),
            Side::Sell => -self.position + i128::from(self.open_sell_qty) + i128::from(order.qty),
        };
        if worst > i128::from(l.max_position) {
            return Err(Reason::Position);
        }
        Ok(())
    }

    /// The venue accepted an order: the reject streak ends.
    pub fn on_ack(&mut self) {
        self.consecutive_rejects = 0;
    }

    /// The venue rejected an order: it is closed, and a long enough streak
    /// engages the kill switch.
    pub fn on_reject(&mut self, now_ns: u64, side: Side, qty: u64) {
        self.on_closed(side, qty);
        self.consecutive_rejects = self.consecutive_rejects.saturating_add(1);
        if self.limits.kill_after_rejects.is_some_and(|n| self.consecutive_rejects >= n) {
            self.engage(now_ns, KillCause::ConsecutiveRejects(self.consecutive_rejects));
        }
    }

    /// `qty` of an open order filled.
    pub fn on_fill(&mut self, side: Side, qty: u64) {
        match side {
            Side::Buy => {
                self.open_buy_qty = self.open_buy_qty.saturating_sub(qty);
                self.position += i128::from(qty);
            }
            Side::Sell => {
                self.open_sell_qty = self.open_sell_qty.saturating_sub(qty);
                self.position -= i128::from(qty);
            }
        }
    }

    /// `qty` of an order this engine did not send filled (another client
    /// on the account): the position moves, no open order closes.
    pub fn on_external_fill(&mut self, side: Side, qty: u64) {
        match side {
            Side::Buy => self.position += i128::from(qty),
            Side::Sell => self.position -= i128::from(qty),
        }
    }

    /// The account's P&L in the instrument, lots × ticks: at the loss
    /// limit the kill switch engages.
    pub fn on_pnl(&mut self, now_ns: u64, pnl: i128) {
        if let Some(max) = self.limits.max_loss
            && pnl < 0
            && pnl.unsigned_abs() >= max
        {
            self.engage(now_ns, KillCause::LossLimit);
        }
    }

    /// An order closed (filled, cancelled or expired) with `unfilled_qty`
    /// never executed.
    pub fn on_closed(&mut self, side: Side, unfilled_qty: u64) {
        self.open_orders = self.open_orders.saturating_sub(1);
        match side {
            Side::Buy => self.open_buy_qty = self.open_buy_qty.saturating_sub(unfilled_qty),
            Side::Sell => self.open_sell_qty = self.open_sell_qty.saturating_sub(unfilled_qty),
        }
    }

    /// The feed reported a gap or a node restart.
    pub fn on_feed_gap(&mut self, now_ns: u64) {
        if self.limits.kill_on_feed_gap {
            self.engage(now_ns, KillCause::FeedGap);
        }
    }

    /// The venue refused a signature.
    pub fn on_bad_signature(&mut self, now_ns: u64) {
        self.engage(now_ns, KillCause::BadSignature);
    }

    /// The operator's kill switch.
    pub fn kill(&mut self, now_ns: u64) {
        self.engage(now_ns, KillCause::Manual);
    }

    /// Releases the kill switch and forgets the reject streak.
    pub fn rearm(&mut self, now_ns: u64) {
        if self.killed.take().is_some() {
            self.push(Event::Rearmed { at_ns: now_ns });
        }
        self.consecutive_rejects = 0;
    }

    /// Why the kill switch is engaged, if it is.
    pub fn killed(&self) -> Option<KillCause> {
        self.killed
    }

    /// Orders sent and not closed.
    pub fn open_orders(&self) -> u32 {
        self.open_orders
    }

    /// Filled position in quantity steps (negative is short).
    pub fn position(&self) -> i128 {
        self.position
    }

    /// Events dropped because nobody polled them in time.
    pub fn events_dropped(&self) -> u64 {
        self.events_dropped
    }

    /// The oldest unpolled event.
    pub fn poll_event(&mut self) -> Option<Event> {
        if self.event_len == 0 {
            return None;
        }
        let event = self.events.get_mut(self.event_head).and_then(Option::take);
        self.event_head = (self.event_head + 1) % EVENT_CAPACITY;
        self.event_len -= 1;
        event
    }

    fn engage(&mut self, now_ns: u64, cause: KillCause) {
        if self.killed.is_none() {
            self.killed = Some(cause);
            self.push(Event::Killed { at_ns: now_ns, cause });
        }
    }

    fn push(&mut self, event: Event) {
        if self.event_len == EVENT_CAPACITY {
            self.event_head = (self.event_head + 1) % EVENT_CAPACITY;
            self.event_len -= 1;
            self.events_dropped += 1;
        }
        let tail = (self.event_head + self.event_len) % EVENT_CAPACITY;
        if let Some(slot) = self.events.get_mut(tail) {
            *slot = Some(event);
        }
        self.event_len += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUY: OrderRequest = OrderRequest { side: Side::Buy, qty: 10, price: 100, collar_mid_half_ticks: None };

    fn gate() -> Gate {
        Gate::new(Limits::new(100, 50_000, 1_000))
    }

    #[test]
    fn caps_deny_with_reason_and_event() {
        let mut g = gate();
        let big = OrderRequest { qty: 101, ..BUY };
        assert_eq!(g.check(5, &big), Err(Reason::QuantityCap));
        assert_eq!(g.poll_event(), Some(Event::Denied { at_ns: 5, reason: Reason::QuantityCap, order: big }));
        assert_eq!(g.check(5, &OrderRequest { qty: 0, ..BUY }), Err(Reason::ZeroQuantity));
        assert_eq!(g.check(5, &OrderRequest { price: 5_001, ..BUY }), Err(Reason::NotionalCap));
        assert_eq!(g.check(5, &OrderRequest { price: 5_000, ..BUY }), Ok(()));
        assert_eq!(Reason::NotionalCap.code(), 4);
        assert!(matches!(g.poll_event(), Some(Event::Denied { reason: Reason::ZeroQuantity, .. })));
        assert!(matches!(g.poll_event(), Some(Event::Denied { reason: Reason::NotionalCap, .. })));
        assert_eq!(g.poll_event(), None);
    }

    #[test]
    fn the_collar_bounds_a_limit_price_by_the_mid() {
        // Mid 100.00 (bid 99.99, ask 100.01 in cent ticks), 50 bps: 99.50 to 100.50.
        let mut g = Gate::new(Limits { max_open_orders: 10, ..Limits::new(100, u128::MAX, 1_000) });
        let at = |price| OrderRequest { price, collar_mid_half_ticks: Some(9_999 + 10_001), ..BUY };
        assert_eq!(g.check(0, &at(10_050)), Ok(()));
        assert_eq!(g.check(0, &at(10_051)), Err(Reason::PriceCollar));
        assert_eq!(g.check(0, &at(9_950)), Ok(()));
        assert_eq!(g.check(0, &at(9_949)), Err(Reason::PriceCollar));
        assert_eq!(g.check(0, &at(0)), Err(Reason::PriceCollar));
        // Without a mid (fixed prices, market orders) there is nothing to
        // collar by; without a collar nothing is collared.
        assert_eq!(g.check(0, &OrderRequest { price: 1, ..BUY }), Ok(()));
        let mut open = Gate::new(Limits { price_collar_bps: None, ..Limits::new(100, u128::MAX, 1_000) });
        assert_eq!(open.check(0, &at(1)), Ok(()));
    }

    #[test]
    fn a_rehearsal_gives_the_verdict_and_takes_nothing() {
        let limits = Limits {
            max_open_orders: 3,
            short_rate: RateLimit { capacity: 1, window_ns: 100 },
            ..Limits::new(100, 50_000, 1_000)
        };
        let mut real = Gate::new(limits);
        let mut rehearsed = Gate::new(limits);
        let orders = [BUY, BUY, OrderRequest { qty: 101, ..BUY }, BUY, BUY, OrderRequest { side: Side::Sell, ..BUY }];
        for (i, order) in orders.iter().enumerate() {
            let now = i as u64 * 40;
            if i == 4 {
                real.on_closed(Side::Buy, 10);
                rehearsed.on_closed(Side::Buy, 10);
            }
            for _ in 0..3 {
                assert_eq!(rehearsed.rehearse(now, order), real.clone().check(now, order), "order {i}");
            }
            assert_eq!(rehearsed.check(now, order), real.check(now, order), "order {i}");
            assert_eq!(rehearsed.open_orders(), real.open_orders());
        }
        // Rehearsals raised no event: both saw the same denials.
        while let Some(e) = real.poll_event() {
            assert_eq!(rehearsed.poll_event(), Some(e));
        }
        assert_eq!(rehearsed.poll_event(), None);
    }

    #[test]
    fn open_orders_and_position_count_pending_exposure() {
        let mut g = Gate::new(Limits { max_open_orders: 2, ..Limits::new(100, u128::MAX, 150) });
        let order = OrderRequest { qty: 100, ..BUY };
        assert_eq!(g.check(0, &order), Ok(()));
        assert_eq!(g.check(0, &order), Err(Reason::Position), "100 open + 100 > 150");
        g.on_fill(Side::Buy, 100);
        g.on_closed(Side::Buy, 0);
        assert_eq!(g.position(), 100);
        assert_eq!(g.check(0, &OrderRequest { qty: 50, ..BUY }), Ok(()));
        let sell = OrderRequest { side: Side::Sell, qty: 100, price: 1, collar_mid_half_ticks: None };
        assert_eq!(g.check(0, &sell), Ok(()), "selling reduces a long");
        assert_eq!(g.check(0, &sell), Err(Reason::OpenOrders));
    }

    #[test]
    fn short_bucket_limits_bursts_then_refills() {
        let mut g = Gate::new(Limits { max_open_orders: u32::MAX, ..Limits::new(100, u128::MAX, u64::MAX) });
        for _ in 0..20 {
            assert_eq!(g.check(0, &BUY), Ok(()));
        }
        assert_eq!(g.check(0, &BUY), Err(Reason::ShortRate));
        assert_eq!(g.check(SECOND_NS / 2, &BUY), Ok(()), "20 per 10 s refills one per 0.5 s");
        assert_eq!(g.check(SECOND_NS / 2, &BUY), Err(Reason::ShortRate));
    }

    #[test]
    fn daily_bucket_denies_when_short_one_allows() {
        let limits = Limits {
            max_open_orders: u32::MAX,
            daily_rate: RateLimit { capacity: 3, window_ns: DAY_NS },
            ..Limits::new(100, u128::MAX, u64::MAX)
        };
        let mut g = Gate::new(limits);
        for _ in 0..3 {
            assert_eq!(g.check(0, &BUY), Ok(()));
        }
        assert_eq!(g.check(60 * SECOND_NS, &BUY), Err(Reason::DailyRate));
    }

    #[test]
    fn consecutive_rejects_kill_and_rearm_restores() {
        let mut g = Gate::new(Limits { max_open_orders: 10, ..Limits::new(100, u128::MAX, u64::MAX) });
        for i in 0..2 {
            assert_eq!(g.check(i, &BUY), Ok(()));
            g.on_reject(i, Side::Buy, 10);
        }
        assert_eq!(g.check(2, &BUY), Ok(()));
        g.on_ack();
        g.on_reject(3, Side::Buy, 10);
        assert_eq!(g.killed(), None, "an ack ends the streak");
        g.on_reject(4, Side::Buy, 0);
        g.on_reject(5, Side::Buy, 0);
        assert_eq!(g.killed(), Some(KillCause::ConsecutiveRejects(3)));
        assert_eq!(g.check(6, &BUY), Err(Reason::KillSwitch));
        let mut saw_kill = false;
        while let Some(e) = g.poll_event() {
            saw_kill |= e == Event::Killed { at_ns: 5, cause: KillCause::ConsecutiveRejects(3) };
        }
        assert!(saw_kill);
        g.rearm(7);
        assert_eq!(g.poll_event(), Some(Event::Rearmed { at_ns: 7 }));
        assert_eq!(g.check(8, &BUY), Ok(()));
    }

    #[test]
    fn feed_gap_and_manual_kill() {
        let mut g = gate();
        g.on_feed_gap(1);
        assert_eq!(g.killed(), Some(KillCause::FeedGap));
        g.kill(2);
        assert_eq!(g.killed(), Some(KillCause::FeedGap), "first cause is kept");
        g.rearm(3);
        g.kill(4);
        assert_eq!(g.check(5, &BUY), Err(Reason::KillSwitch));
        let mut quiet = Gate::new(Limits { kill_on_feed_gap: false, ..Limits::new(100, u128::MAX, 1_000) });
        quiet.on_feed_gap(1);
        assert_eq!(quiet.check(2, &BUY), Ok(()));
    }

    #[test]
    fn event_queue_is_bounded() {
        let mut g = gate();
        g.kill(0);
        for t in 0..100 {
            assert_eq!(g.check(t, &BUY), Err(Reason::KillSwitch));
        }
        assert_eq!(g.events_dropped(), 101 - EVENT_CAPACITY as u64);
        let mut n = 0;
        while g.poll_event().is_some() {
            n += 1;
        }
        assert_eq!(n, EVENT_CAPACITY);
    }
}
