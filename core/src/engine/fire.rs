//! The fire path: one transaction from the feed turns into a sealed order —
//! parse, whale decision, risk gate, the venue's pre-rendered request
//! patched and signed, one WebSocket frame, TLS records — in one call, with
//! a host stamp after each stage. A signalled whale's txid (a double
//! SHA-256, ~300 ns) is computed after the order is out
//! (`docs/decisions/0002-deferred-txid.md`).

use core::hint::black_box;

use rand_chacha::ChaCha20Rng;

use super::State;
use super::event::{Event, Skip, Stages};
use super::fusion::{self, Arrival};
use super::link::Link;
use super::orders::{Order, OrderState};
use super::outbox::Outbox;
use super::settings::{Pricing, Stamp};
use crate::btc::tx::{Tx, TxHash};
use crate::market::NoQuote;
use crate::order::Side;
use crate::risk::OrderRequest;
use crate::strategy::whale::{Decision, Rule, Signal};
use crate::venue::NewOrder;
use crate::venue::coinbase::order::MAX_BATCH;

/// Whether a pass down the fire path is a whale's, committing what it
/// does, or a dry run's, committing nothing (`warm.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pass {
    /// A transaction from a node.
    Live,
    /// The synthetic whale of a dry run.
    Dry,
}

/// Largest whale kept to hash after its order is out; a bigger one is
/// hashed before.
const WHALE_COPY: usize = 4096;

/// Frames `request` and seals it into a TLS record (a dry pass where it
/// lies, sending nothing): the stamps after framing and after sealing,
/// and whether it sealed.
#[inline(always)]
fn frame_and_seal<L: Link>(
    io: &mut Outbox<'_, L>,
    rng: &mut ChaCha20Rng,
    clock: &impl Stamp,
    request: &[u8],
    pass: Pass,
) -> (u64, u64, bool) {
    let framed_at = io.frame_text(request, rng, pass);
    let framed = clock.stamp();
    let sealed = framed_at.map(|framed| io.send_framed(framed, pass));
    (framed, clock.stamp(), matches!(sealed, Ok(Ok(()))))
}

/// The signalled whale whose txid is still to be computed.
#[derive(Debug)]
pub(super) struct PendingTxid {
    bytes: [u8; WHALE_COPY],
    /// 0 when none waits.
    len: usize,
}

impl Default for PendingTxid {
    fn default() -> Self {
        Self { bytes: [0; WHALE_COPY], len: 0 }
    }
}

impl<C: Stamp> State<'_, C> {
    /// Computes the txid of the whale kept by [`on_rawtx`](Self::on_rawtx)
    /// and fills it into its queued event: work that waits until the host
    /// has the order's bytes.
    pub(super) fn settle_whale(&mut self) {
        let pending = &mut self.pending_txid;
        if pending.len == 0 {
            return;
        }
        let body = pending.bytes.get(..pending.len).unwrap_or_default();
        pending.len = 0;
        // It parsed when it arrived.
        let Ok(tx) = Tx::parse(body) else { return };
        if self.node_count > 1 {
            self.fusion.settle_deferred(fusion::short(&tx.wtxid().0));
        }
        let txid = self.detector.settle(&tx);
        // Its events: one per order of a ladder, or its skip.
        for event in self.events.iter_mut() {
            if let Event::OrderSent { signal, .. } | Event::Skipped { signal, .. } = event
                && signal.txid == TxHash::UNKNOWN
            {
                signal.txid = txid;
            }
        }
    }

    /// One transaction from `node`, through fusion, strategy and risk to a
    /// sealed order; the txid and wtxid of a signalled whale are computed
    /// after. A [`Pass::Dry`] takes the same code and commits nothing
    /// (`warm.rs`); kept out of line so that both passes run the same
    /// instructions.
    #[inline(never)]
    pub(super) fn on_rawtx<L: Link>(
        &mut self,
        io: &mut Outbox<'_, L>,
        node: usize,
        now: u64,
        body: &[u8],
        t0: u64,
        pass: Pass,
    ) {
        let live = pass == Pass::Live;
        self.counters.txs_seen += u64::from(live);
        let Ok(tx) = Tx::parse(body) else {
            self.counters.txs_invalid += u64::from(live);
            return;
        };
        let fused = if self.node_count > 1 {
            let tag = tx.inputs().next().map_or(0, |input| input.prevout.tag());
            if !live {
                black_box(self.fusion.probe(tag));
                None
            } else {
                match self.fusion.arrive(node, now, tag, || fusion::short(&tx.wtxid().0)) {
                    Arrival::Later => {
                        self.counters.txs_duplicate += 1;
                        return;
                    }
                    arrival => Some((arrival, tag)),
                }
            }
        } else {
            None
        };
        let waiting = self.pending_txid.len != 0;
        self.fire(io, now, body, &tx, t0, pass);
        if let Some((arrival, tag)) = fused {
            // A whale kept for hashing after its order is out is recorded
            // (if new) and gets its wtxid then; any other transaction now,
            // as nothing waits on it.
            let kept = !waiting && self.pending_txid.len != 0;
            match arrival {
                Arrival::New if kept => self.fusion.defer(node, now, tag),
                Arrival::First { slot } if kept => self.fusion.keep(slot),
                Arrival::New => {
                    let slot = self.fusion.insert(node, now, tag);
                    self.fusion.settle(slot, fusion::short(&tx.wtxid().0));
                }
                Arrival::First { slot } => self.fusion.settle(slot, fusion::short(&tx.wtxid().0)),
                Arrival::Later => {}
            }
        }
    }

    /// Strategy, risk, patch and sign, frame, seal. A dry pass goes all the
    /// way whatever the verdicts, remembers no whale, takes no token,
    /// records no order, moves no id, raises no event and seals nothing
    /// that can be sent.
    #[inline]
    fn fire<L: Link>(&mut self, io: &mut Outbox<'_, L>, now: u64, body: &[u8], tx: &Tx<'_>, t0: u64, pass: Pass) {
        let live = pass == Pass::Live;
        let decoded = self.clock.stamp();
        let decision = if live { self.detector.evaluate_deferred(now, tx) } else { self.detector.rehearse(now, tx) };
        let signal = match decision {
            Decision::Signal(signal) if live => self.defer_txid(signal, body, tx),
            Decision::Ignore if live => return,
            Decision::Suppressed { txid, reason } if live => {
                self.counters.whales_detected += 1;
                return self.push(Event::Suppressed { txid, reason });
            }
            // A dry pass of a whale the live one would suppress (a
            // cooldown, a gap's hold-off) still warms the rest; both
            // sides' templates in turn.
            decision => {
                self.rehearse_defer(body);
                let side = match decision {
                    Decision::Signal(signal) => signal.side,
                    Decision::Ignore | Decision::Suppressed { .. } => Side::Sell,
                };
                self.dry_flip = !self.dry_flip;
                let side = match (side, self.dry_flip) {
                    (side, false) => side,
                    (Side::Buy, true) => Side::Sell,
                    (Side::Sell, true) => Side::Buy,
                };
                Signal {
                    txid: TxHash::UNKNOWN,
                    value_sat: tx.max_out_sat(),
                    rule: Rule::SingleOutput,
                    side,
                    strength: 1,
                }
            }
        };
        self.counters.whales_detected += u64::from(live);
        self.counters.signals += u64::from(live);
        let decided = self.clock.stamp();
        let skip = if !self.trading() {
            Some(Skip::NotTrading)
        } else if now < self.paused_until {
            Some(Skip::RateLimited)
        } else {
            None
        };
        if let Some(reason) = skip
            && live
        {
            self.counters.skipped += 1;
            return self.push(Event::Skipped { signal, reason });
        }
        let qty = self.settings.sizing.quantity(&signal);
        let priced = self.settings.venue.priced();
        let (request, mid_half_ticks) = match self.price(now, signal.side, priced) {
            Ok((request, mid)) => (OrderRequest { side: signal.side, qty, ..request }, mid),
            Err(reason) if live => {
                self.counters.skipped += 1;
                return self.push(Event::Skipped { signal, reason: Skip::NoQuote(reason) });
            }
            // A dry run before the first touch still warms the rest.
            Err(_) => (OrderRequest { side: signal.side, qty, price: 0, collar_mid_half_ticks: None }, None),
        };
        let price = if priced { request.price } else { 0 };
        if self.settings.ladder.orders > 1 {
            let stages = Stages { start: t0, decoded, decided, ..Stages::default() };
            return self.fire_ladder(io, now, signal, &request, mid_half_ticks, stages, pass);
        }
        if live {
            if self.gate.check(now, &request).is_err() {
                self.counters.denied += 1;
                return;
            }
        } else {
            let _ = black_box(self.gate.rehearse(now, &request));
        }
        let checked = self.clock.stamp();
        let order = NewOrder {
            request_id: self.next_request,
            client_order_id: self.next_client_order_id,
            side: signal.side,
            qty,
            price,
            timestamp: self.timestamp(now),
        };
        if live {
            if !self.record(&order, now) {
                return self.unsent(&[order], signal, Skip::TableFull);
            }
        } else {
            black_box(self.orders.has_room());
        }
        let request = match self.venue.place(&order, live) {
            Ok(request) => request,
            Err(_) if !live => return,
            Err(e) => return self.unsent(&[order], signal, Skip::Request(e)),
        };
        let signed = self.clock.stamp();
        let (framed, sealed_at, sealed) = frame_and_seal(io, &mut self.rng, &self.clock, request, pass);
        if !live {
            self.dry_sealed = sealed;
            return;
        }
        if !sealed {
            // Never on the wire: the connection is failing.
            return self.unsent(&[order], signal, Skip::SendFailed);
        }
        self.counters.orders_sent += 1;
        let stages = Stages { start: t0, decoded, decided, checked, signed, framed, sealed: sealed_at };
        self.push(Event::OrderSent {
            client_order_id: order.client_order_id,
            signal,
            qty,
            price,
            mid_half_ticks,
            stages: Some(stages),
        });
    }

    /// The rest of [`fire`](Self::fire) for a ladder of orders
    /// ([`Ladder`](super::Ladder)): each order through the gate, the first
    /// taking the rate tokens for the one request they share, up to the
    /// first one denied; then one request for all of them (a single order
    /// when only one is left), framed and sealed once. Cold: kept out of
    /// the single order's code layout (callgrind: without it, 49 more
    /// instructions per single order in `fire`); when a ladder is
    /// configured, the dry runs keep it warm.
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn fire_ladder<L: Link>(
        &mut self,
        io: &mut Outbox<'_, L>,
        now: u64,
        signal: Signal,
        first: &OrderRequest,
        mid_half_ticks: Option<u64>,
        mut stages: Stages,
        pass: Pass,
    ) {
        let live = pass == Pass::Live;
        let ladder = self.settings.ladder;
        let priced = self.settings.venue.priced();
        let timestamp = self.timestamp(now);
        let mut orders = heapless::Vec::<NewOrder, MAX_BATCH>::new();
        for k in 0..ladder.orders {
            let request = OrderRequest { price: ladder.price(first.price, first.side, k), ..*first };
            let verdict = match (live, k) {
                (true, 0) => self.gate.check(now, &request),
                (true, _) => self.gate.check_batched(now, &request),
                (false, 0) => black_box(self.gate.rehearse(now, &request)),
                (false, _) => black_box(self.gate.rehearse_batched(&request)),
            };
            if live && verdict.is_err() {
                self.counters.denied += 1;
                break;
            }
            // A dry pass moves no id: its orders count on from the next.
            let at = if live { 0 } else { u64::from(k) };
            let order = NewOrder {
                request_id: self.next_request + at,
                client_order_id: self.next_client_order_id + at,
                side: request.side,
                qty: request.qty,
                price: if priced { request.price } else { 0 },
                timestamp,
            };
            if live && !self.record(&order, now) {
                self.gate.on_closed(order.side, order.qty);
                break;
            }
            if !live {
                black_box(self.orders.has_room());
            }
            if orders.push(order).is_err() {
                break;
            }
        }
        let Some(only) = orders.first() else {
            return;
        };
        stages.checked = self.clock.stamp();
        let request =
            if orders.len() == 1 { self.venue.place(only, live) } else { self.venue.place_batch(&orders, live) };
        let request = match request {
            Ok(request) => request,
            Err(_) if !live => return,
            Err(e) => return self.unsent(&orders, signal, Skip::Request(e)),
        };
        stages.signed = self.clock.stamp();
        let sealed;
        (stages.framed, stages.sealed, sealed) = frame_and_seal(io, &mut self.rng, &self.clock, request, pass);
        if !live {
            self.dry_sealed = sealed;
            return;
        }
        if !sealed {
            return self.unsent(&orders, signal, Skip::SendFailed);
        }
        self.counters.orders_sent += orders.len() as u64;
        for (k, order) in orders.iter().enumerate() {
            self.push(Event::OrderSent {
                client_order_id: order.client_order_id,
                signal,
                qty: order.qty,
                price: order.price,
                mid_half_ticks,
                stages: (k == 0).then_some(stages),
            });
        }
    }

    /// Records `order` as sent at `now` in the order table; false when the
    /// table is full.
    fn record(&mut self, order: &NewOrder, now: u64) -> bool {
        let recorded = self.orders.insert(Order {
            client_order_id: order.client_order_id,
            request_id: order.request_id,
            status_request: None,
            side: order.side,
            qty: order.qty,
            price: order.price,
            timestamp: order.timestamp,
            sent_ns: now,
            state: OrderState::Sent,
            done: false,
            venue_id: None,
            recheck: false,
            filled: 0,
            unreported: 0,
        });
        if recorded {
            self.next_client_order_id += 1;
            self.next_request += 1;
        }
        recorded
    }

    /// The order's price for `side`: its limit price (`priced`) or the
    /// price the gate values a market order at, and the mid the gate
    /// collars a limit price by. From the configuration, or from the live
    /// touch: a buy at the ask plus the offset, a sell at the bid minus it.
    /// Beside it, the touch's mid in half ticks (the decision-time price
    /// slippage is measured from), when priced from the book.
    fn price(&self, now: u64, side: Side, priced: bool) -> Result<(OrderRequest, Option<u64>), NoQuote> {
        let (price, mid) = match self.settings.pricing {
            Pricing::Fixed { limit, reference } => (if priced { limit } else { reference }, None),
            Pricing::Book(book) => {
                let touch = self.book.quote(now, book.max_age_ns)?;
                let offset = if priced { book.offset_ticks } else { 0 };
                let price = match side {
                    Side::Buy => touch.ask.price.saturating_add(offset),
                    Side::Sell => touch.bid.price.saturating_sub(offset),
                };
                (price, Some(touch.mid_half_ticks()))
            }
        };
        let collar = mid.filter(|_| priced);
        Ok((OrderRequest { side, qty: 0, price, collar_mid_half_ticks: collar }, mid))
    }

    /// Keeps the whale's bytes to hash once its order is out, unless
    /// another whale already waits or this one is too big to keep.
    fn defer_txid(&mut self, mut signal: Signal, body: &[u8], tx: &Tx<'_>) -> Signal {
        let pending = &mut self.pending_txid;
        match pending.bytes.get_mut(..body.len()) {
            Some(copy) if pending.len == 0 => {
                copy.copy_from_slice(body);
                pending.len = body.len();
            }
            _ => signal.txid = self.detector.settle(tx),
        }
        signal
    }

    /// Copies `body` where [`defer_txid`](Self::defer_txid) keeps a whale,
    /// when none waits there, without keeping it (a dry run).
    pub(super) fn rehearse_defer(&mut self, body: &[u8]) {
        let pending = &mut self.pending_txid;
        if pending.len == 0
            && let Some(copy) = pending.bytes.get_mut(..body.len())
        {
            copy.copy_from_slice(body);
        }
    }

    /// A signal whose orders were not sent: the gate gives their room
    /// back, recorded orders are settled as never placed, and the host is
    /// told.
    fn unsent(&mut self, orders: &[NewOrder], signal: Signal, reason: Skip) {
        for order in orders {
            if let Some(o) = self.orders.by_request(order.request_id) {
                o.state = OrderState::ReconciledAbsent;
            }
            self.gate.on_closed(order.side, order.qty);
        }
        self.counters.skipped += 1;
        self.push(Event::Skipped { signal, reason });
    }
}
