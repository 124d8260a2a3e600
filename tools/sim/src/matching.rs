//! Matching against the simulated touch, with finite depth. MARKET, LIMIT IOC and LIMIT FOK orders take the touch on
//! arrival — a buy at the ask, a sell at the bid, a LIMIT only if marketable — up to the quantity left at it; what
//! they cannot fill expires (`EXPIRED` with the expiry reason of user-data-stream.md §"Order Expiry Reason",
//! <https://github.com/binance/binance-spot-api-docs/blob/master/user-data-stream.md>); a FOK fills all or nothing.
//! LIMIT GTC and LIMIT_MAKER orders rest — a LIMIT_MAKER that would take is refused ("Order would immediately match
//! and take.", errors.md) — and fill, at their own price and as makers, when a later touch crosses them. Depth taken at
//! a touch stays taken until the next touch. Every fill moves the account's balances (commission in the quote
//! asset), is journaled, and queues the executionReports and `outboundAccountPosition` a subscriber gets, in the
//! exchange's order: NEW, then each TRADE, then EXPIRED, then the balances.

use std::io;

use crate::account::Account;
use crate::book::{Book, Fill, Order, OrderStatus, Scale, UserEvent};
use crate::decimal::{self, PRINTED};
use crate::report::{self, Exec};

/// Why the matching step refuses a new order before booking it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    InsufficientBalance,
    WouldMatch,
}

impl Refusal {
    /// The executionReport `r` (user-data-stream.md §"Order Reject Reason").
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Refusal::InsufficientBalance => "INSUFFICIENT_BALANCES",
            Refusal::WouldMatch => "WOULD_MATCH_IMMEDIATELY",
        }
    }

    /// The -2010 message (errors.md §"Messages for -1010 ERROR_MSG_RECEIVED, -2010 NEW_ORDER_REJECTED…").
    pub(crate) fn message(self) -> &'static str {
        match self {
            Refusal::InsufficientBalance => "Account has insufficient balance for requested action.",
            Refusal::WouldMatch => "Order would immediately match and take.",
        }
    }
}

/// Orders that take the touch on arrival.
fn takes(order: &Order) -> bool {
    match order.accepted.order_type.as_str() {
        "MARKET" => true,
        "LIMIT" => matches!(order.time_in_force.as_deref(), Some("IOC" | "FOK")),
        _ => false,
    }
}

/// The quote cost of buying `lots` at `price`, commission included, in balance units.
fn cost(account: &Account, scale: Scale, price: i128, lots: i128) -> i128 {
    let quote = decimal::rescale(price * lots, scale.quote(), PRINTED);
    quote + account.commission(quote)
}

/// What a resting order holds for its unfilled rest: quote (with commission) for a buy, base for a sell.
fn hold(account: &Account, order: &Order) -> i128 {
    if order.buy() {
        cost(account, order.scale, order.price, order.remaining())
    } else {
        decimal::rescale(order.remaining(), order.scale.qty, PRINTED)
    }
}

/// The lots a taker wants at `price`: its quantity, or what its `quoteOrderQty` buys.
fn wanted(order: &Order, price: i128) -> i128 {
    if order.qty > 0 || price <= 0 {
        return order.qty;
    }
    decimal::rescale(order.quote_order_qty, PRINTED, order.scale.quote()) / price
}

impl Book {
    /// The decimals of `symbol`: the market's, or eight for symbols the sim has no market for.
    pub(crate) fn scale_of(&self, symbol: &str) -> Scale {
        match &self.market {
            Some(m) if m.symbol == symbol => {
                let touch = m.touch();
                Scale { price: touch.price_decimals, qty: touch.qty_decimals }
            }
            _ => Scale { price: PRINTED, qty: PRINTED },
        }
    }

    fn traded(&self, symbol: &str) -> bool {
        self.market.as_ref().is_some_and(|m| m.symbol == symbol)
    }

    /// (base, quote) assets of the market.
    fn assets(&self) -> (String, String) {
        self.market.as_ref().map(|m| (m.base_asset.clone(), m.quote_asset.clone())).unwrap_or_default()
    }

    /// The balance checks and the LIMIT_MAKER rule, before an order is booked. Symbols without a market move no
    /// balances and pass.
    pub(crate) fn admit(&self, order: &Order) -> Result<(), Refusal> {
        let Some(market) = self.market.as_ref().filter(|m| m.symbol == order.accepted.symbol) else { return Ok(()) };
        let touch = market.touch();
        let buy = order.buy();
        let (bid, ask) = (i128::from(touch.bid), i128::from(touch.ask));
        let crosses = if buy { order.price >= ask } else { order.price <= bid };
        if order.accepted.order_type == "LIMIT_MAKER" && crosses {
            return Err(Refusal::WouldMatch);
        }
        let need = if order.rests() {
            hold(&self.account, order)
        } else if takes(order) {
            let price = if buy { ask } else { bid };
            let lots = wanted(order, price);
            if buy {
                cost(&self.account, order.scale, price, lots)
            } else {
                decimal::rescale(lots, order.scale.qty, PRINTED)
            }
        } else {
            0
        };
        let asset = if buy { &market.quote_asset } else { &market.base_asset };
        if need > self.account.free(asset) { Err(Refusal::InsufficientBalance) } else { Ok(()) }
    }

    /// Queues an executionReport for the order at `index`.
    fn report(&mut self, index: usize, exec: &Exec<'_>, now: i64, fill: Option<u64>) {
        let exec_id = self.next_exec_id();
        let body = report::execution_report(&self.orders[index], exec, now, exec_id);
        self.outbox.push(UserEvent { body: body.to_string().into(), fill });
    }

    /// Queues the REJECTED executionReport of an order refused before it was booked.
    pub(crate) fn refuse(&mut self, order: &Order, reason: &'static str, now: i64) {
        let exec_id = self.next_exec_id();
        let body = report::execution_report(order, &Exec::Rejected(reason), now, exec_id);
        self.outbox.push(UserEvent { body: body.to_string().into(), fill: None });
    }

    /// Queues `outboundAccountPosition` for the market's two assets.
    fn position(&mut self, now: i64) {
        let (base, quote) = self.assets();
        self.account.update_time = now;
        let body = self.account.position_event(&[&base, &quote], now);
        self.outbox.push(UserEvent { body: body.to_string().into(), fill: None });
    }

    /// Works a just-booked order: rest it (holding its balance) or let it take the touch, then expire what a
    /// taker could not fill. Returns the fills it made.
    pub(crate) fn execute(&mut self, index: usize, now: i64) -> io::Result<Vec<Fill>> {
        self.report(index, &Exec::New, now, None);
        let order = &self.orders[index];
        let traded = self.traded(&order.accepted.symbol);
        if !takes(order) {
            // Resting orders, and order types the sim books but never triggers (STOP_LOSS and the like).
            self.open.insert(index);
            if traded && order.rests() {
                let need = hold(&self.account, order);
                let (base, quote) = self.assets();
                self.account.lock(if order.buy() { &quote } else { &base }, need);
                self.orders[index].locked = need;
                self.position(now);
            }
            return Ok(Vec::new());
        }
        let buy = order.buy();
        let (price, available) = match &self.market {
            Some(m) if traded => {
                let touch = m.touch();
                (if buy { touch.ask } else { touch.bid }, m.available(buy))
            }
            _ => (0, 0),
        };
        let price = i128::from(price);
        let marketable =
            order.accepted.order_type == "MARKET" || if buy { order.price >= price } else { order.price <= price };
        let want = wanted(order, price);
        let fok = order.time_in_force.as_deref() == Some("FOK");
        let mut lots = if marketable && price > 0 { want.min(i128::from(available)) } else { 0 };
        if fok && lots < want {
            lots = 0;
        }
        self.orders[index].qty = want;
        let mut fills = Vec::new();
        if lots > 0 {
            if let Some(m) = &mut self.market {
                m.take(buy, i64::try_from(lots).unwrap_or(i64::MAX));
            }
            fills.push(self.trade(index, price, lots, false, now)?);
        }
        let order = &mut self.orders[index];
        if order.remaining() > 0 || want == 0 {
            order.status = OrderStatus::Expired;
            order.expiry_reason = Some(match (order.accepted.order_type.as_str(), fok) {
                ("MARKET", _) => "INSUFFICIENT_LIQUIDITY",
                (_, true) => "UNFILLED_FOK_ORDER_EXPIRED",
                (_, false) => "UNFILLED_IOC_QUANTITY_EXPIRED",
            });
            order.update_time = now;
            self.report(index, &Exec::Expired, now, None);
        }
        if !fills.is_empty() {
            self.position(now);
        }
        Ok(fills)
    }

    /// One fill of the order at `index`: settle balances (releasing its hold and holding for the rest), journal
    /// the fill, queue its TRADE report.
    fn trade(&mut self, index: usize, price: i128, lots: i128, maker: bool, now: i64) -> io::Result<Fill> {
        let (base, quote) = self.assets();
        let order = &mut self.orders[index];
        let scale = order.scale;
        let buy = order.buy();
        let quote_units = price * lots;
        let quote_amount = decimal::rescale(quote_units, scale.quote(), PRINTED);
        let commission = self.account.commission(quote_amount);
        let base_amount = decimal::rescale(lots, scale.qty, PRINTED);
        let held = if buy { &quote } else { &base };
        self.account.lock(held, -order.locked);
        order.locked = 0;
        if buy {
            self.account.add(&quote, -(quote_amount + commission));
            self.account.add(&base, base_amount);
        } else {
            self.account.add(&base, -base_amount);
            self.account.add(&quote, quote_amount - commission);
        }
        order.executed += lots;
        order.cum_quote += quote_units;
        order.update_time = now;
        order.status = if order.remaining() == 0 { OrderStatus::Filled } else { OrderStatus::PartiallyFilled };
        if order.working() {
            let need = hold(&self.account, order);
            self.account.lock(held, need);
            order.locked = need;
        } else if order.status == OrderStatus::Filled {
            self.open.remove(&index);
        }
        let fill = Fill {
            trade_id: 0,
            order_id: order.accepted.order_id,
            client_order_id: order.accepted.client_order_id.clone(),
            symbol: order.accepted.symbol.clone(),
            side: order.accepted.side.clone(),
            price: decimal::fixed8(price, scale.price),
            qty: decimal::fixed8(lots, scale.qty),
            quote_qty: decimal::fixed8(quote_units, scale.quote()),
            commission: decimal::fixed8(commission, PRINTED),
            commission_asset: quote,
            is_maker: maker,
            time: now,
        };
        let fill = self.record_fill(fill)?;
        let ordinal = self.fills.len() as u64;
        self.report(index, &Exec::Trade(&fill), now, Some(ordinal));
        Ok(fill)
    }

    /// After a touch update: fills resting orders the new touch crosses, oldest first, at their own price, as far
    /// as its depth goes.
    pub(crate) fn on_touch(&mut self, now: i64) -> io::Result<()> {
        let Some(market) = &self.market else { return Ok(()) };
        let touch = market.touch();
        let resting: Vec<usize> = self
            .open
            .iter()
            .copied()
            .filter(|&i| self.orders[i].accepted.symbol == market.symbol && self.orders[i].rests())
            .collect();
        let mut traded = false;
        for index in resting {
            let order = &self.orders[index];
            let buy = order.buy();
            let crosses = if buy { i128::from(touch.ask) <= order.price } else { i128::from(touch.bid) >= order.price };
            let available = self.market.as_ref().map_or(0, |m| m.available(buy));
            if !crosses || available <= 0 {
                continue;
            }
            let lots = order.remaining().min(i128::from(available));
            let price = order.price;
            if let Some(m) = &mut self.market {
                m.take(buy, i64::try_from(lots).unwrap_or(i64::MAX));
            }
            self.trade(index, price, lots, true, now)?;
            traded = true;
        }
        if traded {
            self.position(now);
        }
        Ok(())
    }

    /// Cancels the open order at `index` (releasing its hold); returns the cancel report.
    pub(crate) fn cancel(&mut self, index: usize, cancel_id: &str, now: i64) -> serde_json::Value {
        let (base, quote) = self.assets();
        let order = &mut self.orders[index];
        let released = order.locked;
        if released != 0 {
            self.account.lock(if order.buy() { &quote } else { &base }, -released);
        }
        order.locked = 0;
        order.status = OrderStatus::Canceled;
        order.update_time = now;
        self.open.remove(&index);
        self.report(index, &Exec::Canceled(cancel_id), now, None);
        if released != 0 {
            self.position(now);
        }
        report::canceled(&self.orders[index], cancel_id, now)
    }
}
