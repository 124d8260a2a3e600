//! hotline's side of the in-process benchmark: a whale's ZMQ message turns into
//! a sealed order record, timed per stage. [`hotline`]: the real [`Engine`]
//! (the one `hotline run` drives) whose TLS link is connected over memory to
//! the rustls venue: one iteration is a whale's ZMQ message into
//! [`Engine::handle_feed`] and the sealed record out of
//! [`Engine::poll_transmit`]; the venue's acks go back through
//! [`Engine::handle_venue`], timed one record at a time. [`coinbase()`]: the
//! same engine on Coinbase's FIX order entry, its NewOrderSingles read and
//! filled by the in-memory FIX responder. [`pre_armed`]: the
//! same feed decode, whale decision and risk check, then a [`PreArmed`] order
//! fired, framed in the next TLS record and sealed there by hotline's record
//! layer — the bytes a pre-armed order puts on the wire; pre-sealed, the
//! same with that record's keystream prepared before the whale arrives, as
//! the engine prepares it while idle.
//!
//! Stage stamps are the host clock's raw ticks ([`Clock::ticks`]), as in
//! `hotline run`; each iteration's end-to-end time runs from before
//! `handle_feed` to after the record is copied out.

use hotline_core::btc::tx::Tx;
use hotline_core::engine::{
    BookPricing, Engine, Event, Ladder, Link, MarketState, Pricing, Settings, Stages, Stream, Timers, VenueState,
};
use hotline_core::feed::bitcoind::{self, Subscriber, Topic};
use hotline_core::feed::zmtp;
use hotline_core::order::{OrderType, Side, TimeInForce};
use hotline_core::risk::{Gate, OrderRequest};
use hotline_core::sign::HmacKey;
use hotline_core::strategy::whale::{Decision, Detector};
use hotline_core::tls::{self, Storage};
use hotline_core::venue::binance::{Auth, PlaceOrder, PreArmed, REQUEST_CAP, Session, Slot, Template, TimeUnit};
use hotline_core::venue::{self, binance};
use hotline_core::ws::{MAX_HEADER_LEN, Opcode, encode_frame, masked_header_len};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use super::fix::FixVenue;
use super::venue::Venue;
use super::{
    API_KEY, Exchange, FIRST_CLIENT_ORDER_ID, Harness, ID_WIDTH, INSTRUMENT, MAX_TX_BYTES, Pace, Pki, REFERENCE_PRICE,
    SECRET, SETTLE_EVERY, SIZING, SentOrder, Tally, WHALE_QTY, Whales, limits, rules,
};
use crate::alloc_count;
use crate::clock::Clock;
use crate::lab::coinbase;
use crate::metrics::Stage;
use crate::tls::{Client, HostVerifier, Rustls};

/// Venue messages reassembled up to this size.
const MESSAGE_BUFFER: usize = 64 * 1024;
/// Room for one poll of ciphertext.
const OUT: usize = 64 * 1024;
/// Steps allowed for connecting before giving up.
const CONNECT_STEPS: usize = 64;

/// How the engine's orders are priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priced {
    /// Market orders, valued at the reference price.
    Market,
    /// IOC limit orders at the reference price: a constant.
    FixedLimit,
    /// IOC limit orders through the touch of a market-data stream (a
    /// second in-memory rustls server publishing a `bookTicker`).
    Book,
}

/// The order every signal places, on the signal's side.
fn place_order(priced: Priced) -> PlaceOrder<'static> {
    PlaceOrder {
        instrument: INSTRUMENT,
        side: Side::Sell,
        order_type: match priced {
            Priced::Market => OrderType::Market,
            Priced::FixedLimit | Priced::Book => OrderType::Limit(TimeInForce::Ioc),
        },
        resp_type: None,
        client_order_id: Some(ID_WIDTH),
    }
}

/// libzmq's PUB greeting and READY, built with hotline's ZMTP emitters
/// (only the NULL mechanism and the socket type matter to a subscriber).
fn pub_hello() -> Result<Vec<u8>, String> {
    let mut out = vec![0u8; 128];
    let err = |e: zmtp::Error| format!("ZMTP greeting: {e:?}");
    let mut n = zmtp::Greeting::emit_client(&mut out).map_err(err)?;
    n += zmtp::emit_frame(&mut out[n..], false, true, b"\x05READY\x0bSocket-Type\x00\x00\x00\x03PUB").map_err(err)?;
    out.truncate(n);
    Ok(out)
}

/// Runs `f` with hotline's engine reading `nodes` nodes, connected to a
/// fresh in-memory venue and trading market orders. Each whale reaches
/// node 0 first and is timed; with several nodes its copies reach the
/// others after its order is out, untimed, as relayed copies do.
pub fn hotline<R>(pki: &Pki, clock: &Clock, nodes: usize, f: impl FnOnce(&mut dyn Harness) -> R) -> Result<R, String> {
    priced(pki, clock, nodes, Priced::Market, f)
}

/// [`hotline`] on `exchange`: on Coinbase, [`coinbase()`] placing
/// `ladder` orders per whale.
pub fn engine<R>(
    exchange: Exchange,
    pki: &Pki,
    clock: &Clock,
    nodes: usize,
    ladder: u8,
    f: impl FnOnce(&mut dyn Harness) -> R,
) -> Result<R, String> {
    match exchange {
        Exchange::Binance => hotline(pki, clock, nodes, f),
        Exchange::Coinbase => coinbase(pki, clock, nodes, ladder, f),
    }
}

/// [`hotline`] with orders priced as `priced` says.
pub fn priced<R>(
    pki: &Pki,
    clock: &Clock,
    nodes: usize,
    priced: Priced,
    f: impl FnOnce(&mut dyn Harness) -> R,
) -> Result<R, String> {
    let pricing = match priced {
        Priced::Market => Pricing::Fixed { limit: 0, reference: REFERENCE_PRICE },
        Priced::FixedLimit => Pricing::Fixed { limit: REFERENCE_PRICE, reference: REFERENCE_PRICE },
        Priced::Book => Pricing::Book(BookPricing {
            offset_ticks: 2,
            // The touch is published once: it never ages here.
            max_age_ns: u64::MAX,
            feed: hotline_core::engine::MarketFeed::Binance,
            host: "localhost",
            path: "/ws/btcusdt@bookTicker",
            headers: &[],
            symbol: INSTRUMENT.symbol,
            scale: INSTRUMENT.scale(),
        }),
    };
    let key = HmacKey::new(SECRET.as_bytes());
    let settings = Settings {
        host: "localhost",
        path: "/ws-api/v3",
        venue: venue::Settings::Binance(binance::Settings {
            order: place_order(priced),
            auth: Auth::Hmac { api_key: API_KEY, key: &key },
            time_unit: TimeUnit::Millis,
            recv_window: None,
        }),
        sizing: SIZING,
        ladder: hotline_core::engine::Ladder::SINGLE,
        pricing,
        max_tx_bytes: MAX_TX_BYTES,
        nodes,
        timers: Timers::default(),
        unix_offset_ns: i64::try_from(clock.unix_offset_ns()).unwrap_or(0),
        first_client_order_id: FIRST_CLIENT_ORDER_ID,
        user_data: false,
    };
    let market = match priced {
        Priced::Book => Some(Venue::new(pki.server.clone(), true)?),
        Priced::Market | Priced::FixedLimit => None,
    };
    let venue = Peer::Binance(Venue::new(pki.server.clone(), true)?);
    connected(pki, clock, settings, venue, market, f)
}

/// [`hotline`] on Coinbase's FIX order entry, connected over TLS 1.3 to a
/// fresh in-memory FIX responder: IOC limits at a fixed price, as `hotline
/// demo --venue coinbase` trades ([`crate::lab::coinbase`]); `ladder`
/// orders per whale, a tick apart, as one NewOrderBatch when more than
/// one.
pub fn coinbase<R>(
    pki: &Pki,
    clock: &Clock,
    nodes: usize,
    ladder: u8,
    f: impl FnOnce(&mut dyn Harness) -> R,
) -> Result<R, String> {
    let secret = coinbase::secret()?;
    let settings = Settings {
        max_tx_bytes: MAX_TX_BYTES,
        first_client_order_id: FIRST_CLIENT_ORDER_ID,
        ladder: Ladder { orders: ladder, step_ticks: 1 },
        ..coinbase::settings(&secret, clock, nodes, u64::from_ne_bytes(crate::entropy()?))
    };
    connected(pki, clock, settings, Peer::Coinbase(FixVenue::new(pki.server.clone())?), None, f)
}

/// Runs `f` with hotline's engine under `settings`, its session with
/// `venue` trading and, given `market`, its book holding a touch from it.
fn connected<R>(
    pki: &Pki,
    clock: &Clock,
    settings: Settings<'_>,
    venue: Peer,
    market: Option<Venue>,
    f: impl FnOnce(&mut dyn Harness) -> R,
) -> Result<R, String> {
    let nodes = settings.nodes;
    let verifier = HostVerifier::new(Some(std::slice::from_ref(&pki.ca)), Vec::new())?;
    let mut storage = Box::new(Storage::new());
    let link = Client::new(&mut storage, Rustls::new("localhost", verifier, false)?);
    let verifier = HostVerifier::new(Some(std::slice::from_ref(&pki.ca)), Vec::new())?;
    let mut market_storage = Box::new(Storage::new());
    let market_link = Client::new(&mut market_storage, Rustls::new("localhost", verifier, false)?);
    let mut feed_buffer = vec![0u8; (MAX_TX_BYTES + 64 * 1024) * nodes].into_boxed_slice();
    let mut message_buffer = vec![0u8; MESSAGE_BUFFER].into_boxed_slice();
    let mut market_buffer = vec![0u8; MESSAGE_BUFFER].into_boxed_slice();
    let mut engine =
        Engine::new(settings, rules(), limits(), link, clock, &mut feed_buffer, &mut message_buffer, crate::entropy()?)
            .map_err(|e| format!("engine: {e:?}"))?;
    if market.is_some() {
        engine.attach_market(market_link, &mut market_buffer).map_err(|e| format!("engine: {e:?}"))?;
    }
    let mut h = Hotline {
        engine,
        market,
        venue,
        clock,
        whales: Whales::new(),
        out: vec![0u8; OUT].into_boxed_slice(),
        wire: Vec::new(),
        in_flight: 0,
        unsigned_from: 0,
        nodes,
    };
    h.connect()?;
    Ok(f(&mut h))
}

/// The exchange at the other end of hotline's engine.
enum Peer {
    /// Binance's WebSocket API.
    Binance(Venue),
    /// Coinbase's FIX order entry.
    Coinbase(FixVenue),
}

impl Peer {
    fn receive(&mut self, wire: &[u8]) -> Result<(), String> {
        match self {
            Self::Binance(v) => v.receive(wire),
            Self::Coinbase(v) => v.receive(wire),
        }
    }

    fn pop_record(&mut self) -> Option<Vec<u8>> {
        match self {
            Self::Binance(v) => v.pop_record(),
            Self::Coinbase(v) => v.pop_record(),
        }
    }

    /// How many orders the venue read since the last call; kept orders
    /// from `unsigned_from` on take the signatures Binance read.
    fn take_placed(&mut self, kept: Option<&mut Vec<SentOrder>>, unsigned_from: &mut usize) -> Result<u64, String> {
        match self {
            Self::Binance(v) => {
                let placed = v.placed.len() as u64;
                match kept {
                    Some(orders) => sign_kept(orders, unsigned_from, v.placed.drain(..))?,
                    None => v.placed.clear(),
                }
                Ok(placed)
            }
            Self::Coinbase(v) => Ok(v.take_placed()),
        }
    }
}

struct Hotline<'a, 'c, L> {
    engine: Engine<'a, L, &'c Clock>,
    venue: Peer,
    /// The market-data server, with book pricing.
    market: Option<Venue>,
    clock: &'c Clock,
    whales: Whales,
    out: Box<[u8]>,
    /// Records sent and not yet delivered to the venue.
    wire: Vec<u8>,
    in_flight: u64,
    /// The first kept order whose signature the venue has not yet seen.
    unsigned_from: usize,
    /// Nodes the engine reads.
    nodes: usize,
}

impl<L: Link> Hotline<'_, '_, L> {
    /// Opens both streams and runs the venue session up to trading.
    fn connect(&mut self) -> Result<(), String> {
        let now = self.clock.now_ns();
        self.engine.venue_connected(now);
        for node in 0..self.nodes {
            self.engine.feed_connected(node, now);
            while self.engine.poll_transmit(now, Stream::Feed(node), &mut self.out).is_some() {}
            self.engine.handle_feed(node, now, &pub_hello()?).map_err(|e| format!("feed: {e:?}"))?;
            while self.engine.poll_transmit(now, Stream::Feed(node), &mut self.out).is_some() {}
        }
        self.connect_market()?;
        for _ in 0..CONNECT_STEPS {
            if self.engine.venue_state() == VenueState::Trading {
                return self.drain_events(|_| Ok(()));
            }
            let now = self.clock.now_ns();
            while let Some(n) = self.engine.poll_transmit(now, Stream::Venue, &mut self.out) {
                self.venue.receive(&self.out[..n])?;
            }
            while let Some(record) = self.venue.pop_record() {
                self.engine.handle_venue(now, &record);
            }
            self.drain_events(|_| Ok(()))?;
        }
        Err(format!("the venue session is {:?}, not trading", self.engine.venue_state()))
    }

    /// With book pricing: the market-data stream up, and one touch in the
    /// book, a cent either side of the reference price.
    fn connect_market(&mut self) -> Result<(), String> {
        let Some(market) = &mut self.market else { return Ok(()) };
        let now = self.clock.now_ns();
        self.engine.market_connected(now);
        for _ in 0..CONNECT_STEPS {
            if self.engine.market_state() == Some(MarketState::Streaming) {
                let (bid, ask) = (REFERENCE_PRICE - 1, REFERENCE_PRICE + 1);
                let ticker = format!(
                    r#"{{"u":1,"s":"BTCUSDT","b":"{}.{:02}","B":"1.00000000","a":"{}.{:02}","A":"1.00000000"}}"#,
                    bid / 100,
                    bid % 100,
                    ask / 100,
                    ask % 100
                );
                market.publish(&ticker)?;
                while let Some(record) = market.pop_record() {
                    self.engine.handle_market(now, &record);
                }
                return match self.engine.book().touch() {
                    Some(_) => Ok(()),
                    None => Err(format!("the book took no touch: {:?}", self.engine.poll_event())),
                };
            }
            while let Some(n) = self.engine.poll_transmit(now, Stream::Market, &mut self.out) {
                market.receive(&self.out[..n])?;
            }
            while let Some(record) = market.pop_record() {
                self.engine.handle_market(now, &record);
            }
        }
        Err(format!("the market stream is {:?}, not streaming", self.engine.market_state()))
    }

    /// Polls every event, failing on a lost connection or a lost order.
    fn drain_events(&mut self, mut on: impl FnMut(&Event) -> Result<(), String>) -> Result<(), String> {
        while let Some(event) = self.engine.poll_event() {
            match &event {
                Event::VenueLost { cause, .. } => return Err(format!("venue lost: {cause:?}")),
                Event::FeedFailed { error, .. } => return Err(format!("feed failed: {error:?}")),
                Event::OrderRejected { code, .. } => return Err(format!("order rejected: {code}")),
                Event::OrderUnknown { .. } | Event::Skipped { .. } | Event::Suppressed { .. } => {
                    return Err(format!("unexpected {event:?}"));
                }
                _ => on(&event)?,
            }
        }
        Ok(())
    }

    /// Delivers the sent records to the venue and times its answers'
    /// way back through the engine.
    fn settle(&mut self, tally: &mut Tally) -> Result<(), String> {
        self.venue.receive(&self.wire)?;
        self.wire.clear();
        let placed = self.venue.take_placed(tally.orders.as_mut(), &mut self.unsigned_from)?;
        if placed != self.in_flight {
            return Err(format!("{} orders sent, the venue read {placed}", self.in_flight));
        }
        tally.delivered += placed;
        let mut acked = 0;
        while let Some(record) = self.venue.pop_record() {
            let now = self.clock.now_ns();
            let allocated = alloc_count::allocations();
            let t0 = self.clock.ticks();
            self.engine.handle_venue(now, &record);
            let t1 = self.clock.ticks();
            tally.allocations += alloc_count::allocations() - allocated;
            tally.record_inbound(self.clock.ticks_to_ns(t1.saturating_sub(t0)));
            // Polled after every record, as the driver's loop does: a FIX
            // fill raises three events, and the queue would overflow.
            self.drain_events(|e| {
                acked += u64::from(matches!(e, Event::OrderAcked { .. }));
                Ok(())
            })?;
        }
        if self.engine.events_dropped() != 0 {
            return Err(format!("{} events dropped", self.engine.events_dropped()));
        }
        if acked != self.in_flight {
            return Err(format!("{} orders sent, {acked} acked", self.in_flight));
        }
        self.in_flight = 0;
        Ok(())
    }
}

impl<L: Link> Harness for Hotline<'_, '_, L> {
    fn run(&mut self, n: u64, tally: &mut Tally, pace: &mut Pace) -> Result<(), String> {
        for _ in 0..n {
            let clock = self.clock;
            // While idle, the loop's turns as `hotline run` makes them: the
            // venue asked for bytes to send, and the engine's dry runs (with
            // the head of the send buffer, as `Ring::warm` writes it).
            let (engine, out, wire) = (&mut self.engine, &mut self.out, &mut self.wire);
            pace.wait(|dry_run| {
                let now = clock.now_ns();
                while let Some(len) = engine.poll_transmit(now, Stream::Venue, out) {
                    wire.extend_from_slice(&out[..len]);
                }
                if dry_run {
                    engine.warm(now);
                    std::hint::black_box(&mut out[..512]).fill(0);
                }
            });
            // The whale arrives after the gap, just written, as the kernel
            // copies a message into the receive buffer.
            let message = self.whales.next_message();
            let now = clock.now_ns();
            let allocated = alloc_count::allocations();
            let t0 = clock.ticks();
            let fed = self.engine.handle_feed(0, now, message);
            let sent = self.engine.poll_transmit(now, Stream::Venue, &mut self.out);
            let t1 = self.clock.ticks();
            tally.allocations += alloc_count::allocations() - allocated;
            fed.map_err(|e| format!("feed: {e:?}"))?;
            let len = sent.ok_or("the whale put no record on the wire")?;
            self.wire.extend_from_slice(&self.out[..len]);
            // The driver's next turn, untimed: nothing more to send, so
            // the engine readies the next record while idle.
            while let Some(len) = self.engine.poll_transmit(now, Stream::Venue, &mut self.out) {
                self.wire.extend_from_slice(&self.out[..len]);
            }
            for node in 1..self.nodes {
                self.engine.handle_feed(node, now, message).map_err(|e| format!("feed {node}: {e:?}"))?;
            }
            let mut order = None;
            let mut sent = 0;
            self.drain_events(|e| {
                if let Event::OrderSent { client_order_id, stages, .. } = e {
                    sent += 1;
                    // A batch's stamps ride on its first order.
                    if let Some(stages) = stages {
                        order = Some((*client_order_id, *stages));
                    }
                }
                Ok(())
            })?;
            let (client_order_id, stages) = order.ok_or("the whale sent no order")?;
            record_stages(tally, self.clock, &stages, t0, t1);
            if let Some(orders) = &mut tally.orders {
                let timestamp = self.engine.orders().get(client_order_id).map(|o| o.timestamp).unwrap_or(0);
                let payload = self.engine.canonical_payload(client_order_id).unwrap_or_default().to_vec();
                orders.push(SentOrder { client_order_id, timestamp, payload, signature: String::new() });
            }
            self.in_flight += sent;
            if self.in_flight >= SETTLE_EVERY {
                self.settle(tally)?;
            }
        }
        self.settle(tally)
    }
}

/// Fills in kept orders' signatures from what the venue received.
fn sign_kept(
    orders: &mut [SentOrder],
    from: &mut usize,
    placed: impl Iterator<Item = serde_json::Value>,
) -> Result<(), String> {
    for params in placed {
        let order = orders.get_mut(*from).ok_or("the venue received an order nobody sent")?;
        let id = params["newClientOrderId"].as_str().and_then(|s| s.parse::<u64>().ok());
        if id != Some(order.client_order_id) {
            return Err(format!("the venue received order {id:?}, expected {}", order.client_order_id));
        }
        order.signature = params["signature"].as_str().unwrap_or_default().to_owned();
        *from += 1;
    }
    Ok(())
}

/// Records one iteration's stages: the engine's stamps inside, `t0` and
/// `t1` around the whole call.
fn record_stages(tally: &mut Tally, clock: &Clock, s: &Stages, t0: u64, t1: u64) {
    for (stage, ns) in crate::driver::stage_ns(clock, s) {
        tally.record(stage, ns);
    }
    tally.record(Stage::Submit, clock.ticks_to_ns(t1.saturating_sub(s.sealed)));
    tally.record(Stage::TickToWire, clock.ticks_to_ns(t1.saturating_sub(t0)));
}

/// Copies signed for this many consecutive timestamps per arming.
const ARMED: usize = 8;

/// Runs `f` with the pre-armed pipeline connected to a fresh in-memory
/// venue; `presealed`: with each order's record prepared ahead of time.
pub fn pre_armed<R>(
    pki: &Pki,
    clock: &Clock,
    presealed: bool,
    f: impl FnOnce(&mut dyn Harness) -> R,
) -> Result<R, String> {
    let verifier = HostVerifier::new(Some(std::slice::from_ref(&pki.ca)), Vec::new())?;
    let mut storage = Box::new(Storage::new());
    let mut link = Client::new(&mut storage, Rustls::new("localhost", verifier, false)?);
    link.reconnect();
    let mut venue = Venue::new(pki.server.clone(), false)?;
    let mut out = vec![0u8; OUT].into_boxed_slice();
    let mut connected = false;
    for _ in 0..CONNECT_STEPS {
        let n = link.poll_transmit(&mut out);
        venue.receive(&out[..n])?;
        while let Some(record) = venue.pop_record() {
            let mut rest = &record[..];
            while !rest.is_empty() {
                let used = link.handle_input(rest).map_err(|e| format!("TLS: {e:?}"))?;
                rest = &rest[used..];
                if used == 0 {
                    return Err("TLS took no bytes".to_owned());
                }
            }
        }
        if link.state() == tls::State::Established && venue.established() {
            connected = true;
            break;
        }
    }
    if !connected {
        return Err("the pre-armed TLS handshake did not finish".to_owned());
    }
    let key = HmacKey::new(SECRET.as_bytes());
    let session =
        Session { auth: Auth::Hmac { api_key: API_KEY, key: &key }, time: TimeUnit::Millis, recv_window: None };
    let template =
        Template::order_place(&place_order(Priced::Market), &session).map_err(|e| format!("template: {e:?}"))?;
    let mut sub = Subscriber::new(&[Topic::RawTx], MAX_TX_BYTES);
    while sub.poll_transmit(&mut out).map_err(|e| format!("feed: {e:?}"))?.is_some() {}
    let hello = pub_hello()?;
    let mut at = 0;
    while at < hello.len() {
        let (used, _) = sub.handle_input(&hello[at..]).map_err(|e| format!("feed: {e:?}"))?;
        at += used;
        if used == 0 {
            return Err("the subscriber took no greeting bytes".to_owned());
        }
    }
    while sub.poll_transmit(&mut out).map_err(|e| format!("feed: {e:?}"))?.is_some() {}
    let mut h = Armed {
        link,
        venue,
        sub,
        detector: Detector::new(rules()),
        gate: Gate::new(limits()),
        armed: Box::new(PreArmed::new(template)),
        clock,
        whales: Whales::new(),
        rng: ChaCha20Rng::from_seed(crate::entropy()?),
        presealed,
        out,
        wire: Vec::new(),
        next_client_order_id: FIRST_CLIENT_ORDER_ID,
        next_request: 1,
        in_flight: 0,
    };
    Ok(f(&mut h))
}

struct Armed<'c, L> {
    link: L,
    venue: Venue,
    sub: Subscriber<'static>,
    detector: Detector<'static, 64>,
    gate: Gate,
    armed: Box<PreArmed<ARMED>>,
    clock: &'c Clock,
    whales: Whales,
    rng: ChaCha20Rng,
    presealed: bool,
    out: Box<[u8]>,
    wire: Vec<u8>,
    next_client_order_id: u64,
    next_request: u64,
    in_flight: u64,
}

/// Why a pre-armed iteration sent nothing.
fn no_order(what: &str) -> String {
    format!("pre-armed: {what}")
}

impl<L: Link> Armed<'_, L> {
    /// Delivers the sent records; the venue checks each order's signature.
    fn settle(&mut self, tally: &mut Tally) -> Result<(), String> {
        self.venue.receive(&self.wire)?;
        self.wire.clear();
        let placed = self.venue.placed.len() as u64;
        self.venue.placed.clear();
        while self.venue.pop_record().is_some() {}
        if placed != self.in_flight {
            return Err(format!("pre-armed: {} orders sent, the venue read {placed}", self.in_flight));
        }
        tally.delivered += placed;
        self.in_flight = 0;
        Ok(())
    }
}

impl<L: Link> Harness for Armed<'_, L> {
    fn run(&mut self, n: u64, tally: &mut Tally, pace: &mut Pace) -> Result<(), String> {
        // The response fixed in advance: this size on the signal's side.
        let qty = WHALE_QTY;
        for _ in 0..n {
            let timestamp = super::unix_ms();
            let client_order_id = self.next_client_order_id;
            self.next_client_order_id += 1;
            self.armed
                .arm(timestamp, &[(Slot::Quantity, qty), (Slot::ClientOrderId, client_order_id)])
                .map_err(|e| no_order(&format!("arm: {e:?}")))?;
            let request_id = self.next_request;
            self.next_request += 1;
            let clock = self.clock;
            if self.presealed {
                self.link.prepare(MAX_HEADER_LEN + REQUEST_CAP);
            }
            // No dry runs: the pre-armed pipelines are the fire path's
            // parts without the engine around them.
            pace.wait(|_| ());
            let message = self.whales.next_message();
            let now = clock.now_ns();

            let t0 = clock.ticks();
            let (_, event) = self.sub.handle_input(message).map_err(|e| no_order(&format!("feed: {e:?}")))?;
            let Some(bitcoind::Event::Notification(note)) = event else { return Err(no_order("no notification")) };
            let tx = Tx::parse(note.body).map_err(|e| no_order(&format!("tx: {e:?}")))?;
            let decoded = clock.ticks();
            let Decision::Signal(signal) = self.detector.evaluate_deferred(now, &tx) else {
                return Err(no_order("no signal"));
            };
            let decided = clock.ticks();
            if SIZING.quantity(&signal) != qty {
                return Err(no_order("the signal is not the armed response"));
            }
            let request = OrderRequest { side: signal.side, qty, price: REFERENCE_PRICE, collar_mid_half_ticks: None };
            self.gate.check(now, &request).map_err(|e| no_order(&format!("risk: {e:?}")))?;
            let checked = clock.ticks();
            let request = self.armed.fire(timestamp, request_id).map_err(|e| no_order(&format!("fire: {e:?}")))?;
            let head = masked_header_len(request.len());
            let end = head + request.len();
            let room = self.link.room().get_mut(..end).ok_or_else(|| no_order("no room in the record"))?;
            room[head..].copy_from_slice(request);
            let signed = clock.ticks();
            let mask = self.rng.next_u32().to_ne_bytes();
            let start = encode_frame(room, head, request.len(), Opcode::Text, true, mask)
                .map_err(|e| no_order(&format!("frame: {e:?}")))?;
            let framed = clock.ticks();
            self.link.seal_room(end).map_err(|e| no_order(&format!("seal: {e:?}")))?;
            let sealed = clock.ticks();
            let len = self.link.poll_transmit(&mut self.out);
            let t1 = clock.ticks();

            if start != 0 || len == 0 {
                return Err(no_order("the record did not leave whole"));
            }
            // As the engine does: the txid once the order is out.
            self.detector.settle(&tx);
            let stages = Stages { start: t0, decoded, decided, checked, signed, framed, sealed };
            record_stages(tally, clock, &stages, t0, t1);
            self.wire.extend_from_slice(&self.out[..len]);
            self.in_flight += 1;
            if self.in_flight >= SETTLE_EVERY {
                self.settle(tally)?;
            }
        }
        self.settle(tally)
    }
}
