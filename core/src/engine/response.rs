//! The venue's messages: one complete message, decoded by the venue's codec
//! into a neutral [`Inbound`], turns into order states, risk-gate feedback
//! (acks, rejects, fills, closures), rate-limit pauses, the session's logon
//! and clock steps, and events. An answer settles an order once: a repeat
//! or a late answer to a settled order changes nothing.

use super::State;
use super::event::{Event, VenueLoss};
use super::orders::{Order, OrderState, UnknownCause};
use crate::ledger::Recorded;
use crate::venue::{
    Accepted, DecodeError, Decoded, Execution, Inbound, OrderStatus, Outcome, RejectKind, Reply, coinbase,
};

impl<C> State<'_, C> {
    /// One complete message from the venue. A message that breaks the
    /// venue's session rules (FIX numbers, logon order) ends the
    /// connection; any other bad message is reported and skipped.
    pub(super) fn on_message(&mut self, now: u64, message: &[u8]) {
        let unix_ns = self.venue_unix_ns(now);
        if let Some(text) = self.venue.logout_text(message) {
            let text = super::event::text([core::str::from_utf8(text).unwrap_or("(not UTF-8)")]);
            self.push(Event::VenueLogout { text });
        }
        // Filled in place: a batch's refusal answers up to 15 orders, too
        // many to hand back by value on every message.
        let mut decoded = Decoded::new();
        match self.venue.decode(message, unix_ns, &mut decoded) {
            Ok(()) => {
                for inbound in &decoded {
                    self.on_inbound(now, message, *inbound);
                }
            }
            Err(e @ DecodeError::Coinbase(coinbase::DecodeError::Session(_))) => {
                self.lost(now, VenueLoss::Protocol(e));
            }
            Err(e) => self.push(Event::BadFrame(e)),
        }
    }

    fn on_inbound(&mut self, now: u64, message: &[u8], inbound: Inbound) {
        match inbound {
            Inbound::Reply(reply) if reply.id.is_some() && reply.id == self.trades_request().map(|r| r.0) => {
                match self.trades_request() {
                    Some((_, true)) => self.on_latest_trade(message),
                    _ => self.on_trades(now, message),
                }
            }
            Inbound::Reply(reply) if reply.id.is_some() && reply.id == self.open_orders_request() => {
                self.on_open_orders(message);
            }
            Inbound::Reply(reply) if reply.id.is_some() && reply.id == self.account_request => {
                self.account_request = None;
                match self.venue.balances(message) {
                    Ok(Ok(balances)) => self.ledger.on_balances(balances),
                    // A refusal costs only the snapshot: reports go on.
                    Ok(Err(code)) => self.push(Event::BalancesRefused { code }),
                    Err(e) => self.push(Event::BadFrame(e)),
                }
            }
            Inbound::Reply(reply) => self.on_reply(now, &reply),
            Inbound::Execution(x) => self.on_execution(now, &x),
            Inbound::Balances(b) => self.ledger.on_balances(b),
            Inbound::UserDataEnded => self.on_user_data_ended(),
            Inbound::Closing => self.on_venue_closing(),
            Inbound::Gap => self.on_venue_gap(),
            Inbound::Other => {}
        }
    }

    fn on_reply(&mut self, now: u64, reply: &Reply) {
        if let Outcome::Rejected(r) | Outcome::Unknown(Some(r)) = reply.outcome {
            if let Some(after_ms) = r.retry_after_unix_ms {
                let wait_ms = i128::from(after_ms) - i128::from(self.venue_unix_ns(now) / 1_000_000);
                let wait_ns = u64::try_from(wait_ms.max(0)).unwrap_or(0).saturating_mul(1_000_000);
                let until = now.saturating_add(wait_ns);
                self.paused_until = self.paused_until.max(until);
                self.push(Event::RateLimited { until_ns: until });
            }
            if r.kind == RejectKind::ClockSkew {
                self.on_clock_skew();
            }
        }
        let Some(id) = reply.id else {
            return self.push(Event::UnmatchedResponse { status: reply.status });
        };
        if let Some((clock, sent)) = self.clock_request()
            && clock == id
        {
            let server_ms = match reply.outcome {
                Outcome::Accepted(a) => a.server_time_ms,
                Outcome::Rejected(_) | Outcome::Unknown(_) => None,
            };
            return self.on_clock(now, sent, server_ms);
        }
        if self.cancel_request == Some(id) {
            self.cancel_request = None;
            let refused = match reply.outcome {
                Outcome::Accepted(_) => None,
                Outcome::Rejected(r) | Outcome::Unknown(Some(r)) => Some(r.code),
                Outcome::Unknown(None) => Some(0),
            };
            return self.push(Event::CancelAllAnswered { refused });
        }
        if self.subscribe_request() == Some(id) {
            let refused = match reply.outcome {
                Outcome::Accepted(_) => None,
                Outcome::Rejected(r) | Outcome::Unknown(Some(r)) => Some(r.code),
                Outcome::Unknown(None) => Some(0),
            };
            return self.on_subscribed(now, refused);
        }
        if self.logon_request() == Some(id) {
            return match reply.outcome {
                Outcome::Accepted(_) => self.on_logged_on(),
                Outcome::Rejected(r) | Outcome::Unknown(Some(r)) => self.lost(now, VenueLoss::LogonRefused(r.code)),
                Outcome::Unknown(None) => self.lost(now, VenueLoss::LogonRefused(0)),
            };
        }
        let Some(order) = self.orders.by_request(id) else {
            return self.push(Event::UnmatchedResponse { status: reply.status });
        };
        let o = *order;
        if o.state.is_final() {
            // A settled order held open, queried again after a reconnect.
            if o.status_request == Some(id) {
                if let Some(order) = self.orders.by_request(id) {
                    order.status_request = None;
                }
                if let Outcome::Accepted(ack) = reply.outcome {
                    self.close_on_status(&o, ack);
                }
            }
            return;
        }
        let client_order_id = o.client_order_id;
        let (state, event) = match (reply.outcome, o.status_request == Some(id)) {
            (Outcome::Accepted(ack), false) => {
                self.gate.on_ack();
                self.settle(&o, ack.status);
                self.counters.orders_acked += 1;
                let rtt_ns = now.saturating_sub(o.sent_ns);
                (OrderState::Acked, Some(Event::OrderAcked { client_order_id, order_id: ack.order_id, rtt_ns }))
            }
            (Outcome::Rejected(r), false) => {
                self.gate.on_reject(now, o.side, o.qty);
                self.counters.orders_rejected += 1;
                if r.kind == RejectKind::BadSignature {
                    // Nothing else signed with this key will pass either.
                    self.gate.on_bad_signature(now);
                }
                (OrderState::Rejected, Some(Event::OrderRejected { client_order_id, code: r.code }))
            }
            (Outcome::Unknown(_), false) => {
                self.counters.orders_unknown += 1;
                self.orders.queries_due = true;
                (OrderState::Unknown, Some(Event::OrderUnknown { client_order_id, cause: UnknownCause::Venue }))
            }
            (Outcome::Accepted(ack), true) => {
                self.settle(&o, ack.status);
                self.counters.orders_reconciled += 1;
                (OrderState::ReconciledPlaced, Some(Event::OrderReconciled { client_order_id, placed: true }))
            }
            (Outcome::Rejected(r), true) if r.kind == RejectKind::NoSuchOrder => {
                self.gate.on_closed(o.side, o.qty);
                self.counters.orders_reconciled += 1;
                self.counters.orders_reconciled_absent += 1;
                (OrderState::ReconciledAbsent, Some(Event::OrderReconciled { client_order_id, placed: false }))
            }
            // The query itself failed: ask again.
            (Outcome::Rejected(_) | Outcome::Unknown(_), true) => {
                self.orders.queries_due = true;
                (OrderState::Unknown, None)
            }
        };
        let accepted = match reply.outcome {
            Outcome::Accepted(ack) => Some(ack),
            Outcome::Rejected(_) | Outcome::Unknown(_) => None,
        };
        if let Some(order) = self.orders.by_request(id) {
            order.state = state;
            order.status_request = None;
            order.venue_id = accepted.and_then(|a| a.order_id).or(order.venue_id);
        }
        if let Some(ack) = accepted
            && o.status_request == Some(id)
        {
            self.close_on_status(&o, ack);
        }
        if let Some(event) = event {
            self.push(event);
        }
    }

    /// The venue's list of the instrument's open orders, after a
    /// reconnect: an order it lists is still open (nothing to ask); every
    /// other order held open keeps its status query due. A refusal or an
    /// answer that does not decode leaves them all due.
    fn on_open_orders(&mut self, message: &[u8]) {
        self.on_open_orders_listed();
        let (mut held, mut others) = (0u32, 0u32);
        let orders = &mut self.orders;
        let listed = self.venue.open_orders(message, |client_order_id, venue_id| {
            match client_order_id.and_then(|id| orders.iter_mut().find(|o| o.client_order_id == id)) {
                Some(o) => {
                    held += u32::from(o.recheck);
                    o.recheck = false;
                    o.venue_id = Some(venue_id);
                }
                None => others += 1,
            }
        });
        match listed {
            Ok(Ok(())) => self.push(Event::OpenOrdersListed { held, others }),
            Ok(Err(code)) => self.push(Event::OpenOrdersRefused { code }),
            Err(e) => {
                self.push(Event::BadFrame(e));
                self.push(Event::OpenOrdersRefused { code: 0 });
            }
        }
    }

    /// A status query found `o` closed while the user data that would have
    /// said so was lost with a connection: close it here, at the quantity
    /// the venue executed. Its fills reach the ledger and the gate's
    /// position from `myTrades`; where the venue has no such query (FIX),
    /// what was executed beyond the fills counted is named and moved to
    /// the gate's position.
    fn close_on_status(&mut self, o: &Order, ack: Accepted) {
        let Some(order) = self.orders.iter_mut().find(|x| x.client_order_id == o.client_order_id) else { return };
        if !self.settings.user_data || ack.status == OrderStatus::Working || order.done {
            return;
        }
        order.done = true;
        let counted = order.filled;
        let filled = ack.status == OrderStatus::Filled;
        let executed = if filled { o.qty } else { ack.executed_qty.unwrap_or(0) };
        self.gate.on_closed(o.side, o.qty.saturating_sub(executed));
        self.push(Event::OrderDone { client_order_id: o.client_order_id, filled, filled_qty: executed });
        let missing = executed.saturating_sub(counted);
        if missing > 0 && !self.venue.queries_account() {
            if let Some(order) = self.orders.iter_mut().find(|x| x.client_order_id == o.client_order_id) {
                order.unreported = missing;
            }
            self.gate.on_fill(o.side, missing);
            self.push(Event::FillsMissing { client_order_id: o.client_order_id, qty: missing });
        }
    }

    /// An accepted order's fills and closure, from its status — unless the
    /// user data stream reports them (`on_execution`).
    fn settle(&mut self, o: &Order, status: OrderStatus) {
        if self.settings.user_data {
            return;
        }
        match status {
            OrderStatus::Filled => {
                self.gate.on_fill(o.side, o.qty);
                self.gate.on_closed(o.side, 0);
            }
            OrderStatus::Closed => self.gate.on_closed(o.side, o.qty),
            OrderStatus::Working => {}
        }
    }

    /// One of the account's orders changed (user data): a fill is counted
    /// once into the ledger, the gate's position and the P&L check, and
    /// an order of this engine that closed frees its open quantity.
    fn on_execution(&mut self, now: u64, x: &Execution) {
        let ours = x.client_order_id.filter(|&id| self.orders.get(id).is_some());
        if let Some(fill) = x.fill {
            match self.ledger.record(&fill) {
                Recorded::New => {
                    self.counters.fills += 1;
                    if let Some(o) = ours.and_then(|id| self.orders.iter_mut().find(|o| o.client_order_id == id)) {
                        // Lots a status already put in the position.
                        let counted = fill.qty.min(o.unreported);
                        o.unreported -= counted;
                        o.filled = o.filled.saturating_add(fill.qty);
                        self.gate.on_fill(fill.side, fill.qty - counted);
                    } else {
                        self.gate.on_external_fill(fill.side, fill.qty);
                    }
                    let position = self.ledger.position();
                    self.push(Event::Filled { client_order_id: ours, fill, position });
                    self.check_pnl(now);
                }
                Recorded::Duplicate => {
                    self.counters.fills_repeated += 1;
                    self.push(Event::FillRepeated { trade_id: fill.trade_id });
                }
            }
        }
        let Some(client_order_id) = ours else { return };
        if x.status == OrderStatus::Working {
            return;
        }
        let Some(order) = self.orders.iter_mut().find(|o| o.client_order_id == client_order_id) else { return };
        if order.done {
            return;
        }
        order.done = true;
        let side = order.side;
        self.gate.on_closed(side, x.order_qty.saturating_sub(x.cumulative_qty));
        let filled = x.status == OrderStatus::Filled;
        self.push(Event::OrderDone { client_order_id, filled, filled_qty: x.cumulative_qty });
    }

    /// The account's latest trade when the engine first connected: fills
    /// lost later are read back from the one after it.
    fn on_latest_trade(&mut self, message: &[u8]) {
        let mut latest = 0;
        let page = self.venue.fills_page(message, |fill| latest = latest.max(fill.trade_id));
        let known = match page {
            Ok(p) => p.refused.is_none(),
            Err(e) => {
                self.push(Event::BadFrame(e));
                false
            }
        };
        if known {
            self.ledger.start_after(latest);
        } else {
            // The next connection asks again; fills lost before then
            // cannot be read back.
            self.push(Event::FillsRecovered { recovered: 0, complete: false });
        }
        self.on_trades_page(0, false);
    }

    /// A page of the account's trades, read back after a reconnect: each
    /// fill not counted yet is counted now, into the ledger and the gate.
    fn on_trades(&mut self, now: u64, message: &[u8]) {
        let State { venue, ledger, gate, orders, counters, events, events_dropped, .. } = self;
        let mut recovered = 0;
        let page = venue.fills_page(message, |fill| match ledger.record(&fill) {
            Recorded::New => {
                recovered += 1;
                counters.fills += 1;
                counters.fills_recovered += 1;
                let ours = orders.by_venue_id(fill.order_id).map(|o| {
                    o.filled = o.filled.saturating_add(fill.qty);
                    o.client_order_id
                });
                if ours.is_some() {
                    gate.on_fill(fill.side, fill.qty);
                } else {
                    gate.on_external_fill(fill.side, fill.qty);
                }
                let event = Event::Filled { client_order_id: ours, fill, position: ledger.position() };
                if events.push_back(event).is_err() {
                    *events_dropped += 1;
                }
            }
            Recorded::Duplicate => counters.fills_repeated += 1,
        });
        let full = match page {
            Ok(p) if p.refused.is_none() => p.trades >= self.venue.trades_page(),
            Ok(_) => false,
            Err(e) => {
                self.push(Event::BadFrame(e));
                false
            }
        };
        let complete = matches!(page, Ok(p) if p.refused.is_none());
        let so_far = self.on_trades_page(recovered, full);
        if !full {
            self.push(Event::FillsRecovered { recovered: so_far, complete });
        }
        self.check_pnl(now);
    }

    /// The P&L against the loss limit, the open position marked to the
    /// last touch seen (at its cost before any).
    pub(super) fn check_pnl(&mut self, now: u64) {
        if self.gate.limits().max_loss.is_some() {
            self.gate.on_pnl(now, self.ledger.marked());
        }
    }
}
