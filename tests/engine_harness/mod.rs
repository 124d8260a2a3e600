//! A deterministic, in-memory harness for the whole engine, after
//! quinn-proto's `tests/util.rs` `Pair`: [`hotline_core::engine::Engine`]
//! on a plaintext [`link::PlainLink`], talking to a scripted venue
//! (tungstenite's server WebSocket, [`venue::Venue`]) and a hand-built
//! ZMTP publisher ([`feed::Node`]), with a fake clock: `now` is a plain
//! number the test moves. [`Pair::step`] moves every pending byte both ways
//! until nothing moves; [`Pair::advance`] moves the clock and runs each
//! timer the engine asks for at the moment it is due. Events are kept for
//! assertions and answered the way the io_uring host answers them
//! (connect, close), with knobs to refuse a connect or drop a connection.
//! Nothing here sleeps or reads a wall clock.

pub(crate) mod feed;
pub(crate) mod link;
pub(crate) mod market;
pub(crate) mod venue;

use hotline_core::engine::{
    BookPricing, Engine, Event, MarketFeed, NoStamp, Pricing, Settings, Stream, Timers, VenueState,
};
use hotline_core::order::{Decimal, Instrument, OrderType, Scale, Side};
use hotline_core::risk::{Limits, RateLimit};
use hotline_core::sign::{Ed25519Key, HmacKey};
use hotline_core::strategy::whale::{Rules, Sizing};
use hotline_core::venue::binance::{Auth, PlaceOrder, TimeUnit};
use hotline_core::venue::{Settings as VenueSettings, binance};
use hotline_sim::{DOC_API_KEY, DOC_SECRET_KEY};

use self::feed::Node;
use self::link::PlainLink;
use self::market::Market;
use self::venue::{Keys, Venue};

/// Nanoseconds in a millisecond.
pub(crate) const MS: u64 = 1_000_000;
/// Nanoseconds in a second.
pub(crate) const S: u64 = 1_000 * MS;
/// The first client order id.
pub(crate) const FIRST_ID: u64 = 1_000;
/// Digits of `newClientOrderId`.
pub(crate) const ID_WIDTH: u8 = 16;
/// Where the fake clock starts: far from zero, so no deadline saturates.
pub(crate) const START: u64 = 1_000 * S;
/// Unix time at `now` = 0: 2023-11-14T22:13:20Z.
pub(crate) const UNIX_OFFSET_NS: i64 = 1_700_000_000_000_000_000;
/// The Ed25519 key's API key.
pub(crate) const ED25519_API_KEY: &str = "hotline-harness-ed25519";
/// Host timer granularity when the engine asks to be woken in the past
/// (a deadline the timer run does not move).
const TICK: u64 = MS;

/// How the engine signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    /// The documentation's HMAC key, which the venue knows.
    Hmac,
    /// The documentation's API key with a secret the venue does not know.
    WrongSecret,
    /// An Ed25519 key from this seed; the session logs on with it.
    Ed25519([u8; 32]),
}

/// One scenario's engine configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    /// The engine's timers.
    pub(crate) timers: Timers,
    /// How it signs.
    pub(crate) key: Key,
    /// Whale rules.
    pub(crate) rules: Rules<'static>,
    /// Risk limits.
    pub(crate) limits: Limits,
    /// The engine's entropy (masks, jitter).
    pub(crate) seed: [u8; 32],
    /// Most bytes the link moves per call.
    pub(crate) link_chunk: usize,
    /// Room in each of the link's queues.
    pub(crate) link_room: usize,
    /// Nodes the engine reads.
    pub(crate) nodes: usize,
    /// The order type.
    pub(crate) order_type: OrderType,
    /// Orders priced from a market-data stream, instead of constants.
    pub(crate) book: Option<BookSetup>,
    /// Subscribe to user data (the venue answers with no events).
    pub(crate) user_data: bool,
}

/// Pricing from the market peer's book.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BookSetup {
    /// Ticks through the touch.
    pub(crate) offset_ticks: u64,
    /// No order from an older book.
    pub(crate) max_age_ns: u64,
    /// The SBE stream (with its API-key header) instead of JSON.
    pub(crate) sbe: bool,
    /// Whose market data the peer plays: Binance's stream or Coinbase's
    /// feed (subscribed to after the upgrade).
    pub(crate) feed: MarketFeed,
}

impl Default for BookSetup {
    fn default() -> Self {
        Self { offset_ticks: 5, max_age_ns: S, sbe: false, feed: MarketFeed::Binance }
    }
}

/// The market peer's symbol.
pub(crate) const SYMBOL: &str = "BTCUSDT";
/// The SBE stream's API-key header.
const SBE_HEADERS: &[(&str, &str)] = &[("X-MBX-APIKEY", ED25519_API_KEY)];

impl Default for Config {
    /// The HMAC key, the default timers, no cooldown or gap hold-off, and
    /// limits that let every whale through.
    fn default() -> Self {
        Self {
            timers: Timers::default(),
            key: Key::Hmac,
            rules: Rules { cooldown_ns: 0, gap_holdoff_ns: 0, ..Rules::default() },
            limits: Limits {
                max_open_orders: 1_000,
                short_rate: RateLimit { capacity: 1_000, window_ns: 10 * S },
                ..Limits::new(1_000, u128::MAX, 1_000_000)
            },
            seed: [42; 32],
            link_chunk: 97,
            link_room: 16 * 1024,
            nodes: 1,
            order_type: OrderType::Market,
            user_data: false,
            book: None,
        }
    }
}

/// The engine's settings: the one place that knows their shape.
fn settings(config: &Config) -> Settings<'static> {
    let auth = match config.key {
        Key::Hmac => {
            Auth::Hmac { api_key: DOC_API_KEY, key: Box::leak(Box::new(HmacKey::new(DOC_SECRET_KEY.as_bytes()))) }
        }
        Key::WrongSecret => {
            Auth::Hmac { api_key: DOC_API_KEY, key: Box::leak(Box::new(HmacKey::new(b"not the venue's secret"))) }
        }
        Key::Ed25519(seed) => {
            Auth::Ed25519 { api_key: ED25519_API_KEY, key: Box::leak(Box::new(Ed25519Key::from_seed(&seed))) }
        }
    };
    Settings {
        host: "venue.test",
        path: "/ws-api/v3",
        venue: VenueSettings::Binance(binance::Settings {
            order: PlaceOrder {
                instrument: Instrument {
                    symbol: SYMBOL,
                    price: Decimal { int_digits: 7, decimals: 2 },
                    quantity: Decimal { int_digits: 3, decimals: 5 },
                },
                side: Side::Buy,
                order_type: config.order_type,
                resp_type: None,
                client_order_id: Some(ID_WIDTH),
            },
            auth,
            time_unit: TimeUnit::Millis,
            recv_window: None,
        }),
        sizing: Sizing { base_qty: 100, max_qty: 1_000 },
        ladder: hotline_core::engine::Ladder::SINGLE,
        pricing: match config.book {
            None => Pricing::Fixed { limit: 9_500_000, reference: 9_500_000 },
            Some(book) => Pricing::Book(BookPricing {
                offset_ticks: book.offset_ticks,
                max_age_ns: book.max_age_ns,
                feed: book.feed,
                host: "stream.test",
                path: match (book.feed, book.sbe) {
                    (MarketFeed::Coinbase, _) => "/",
                    (MarketFeed::Binance, true) => "/ws/btcusdt@bestBidAsk",
                    (MarketFeed::Binance, false) => "/ws/btcusdt@bookTicker",
                },
                headers: if book.sbe { SBE_HEADERS } else { &[] },
                symbol: SYMBOL,
                scale: Scale { price: 2, qty: 5 },
            }),
        },
        max_tx_bytes: 100_000,
        nodes: config.nodes,
        timers: config.timers,
        unix_offset_ns: UNIX_OFFSET_NS,
        first_client_order_id: FIRST_ID,
        user_data: config.user_data,
    }
}

/// The keys the venue knows for `key`.
fn venue_keys(key: Key) -> Keys {
    match key {
        Key::Hmac | Key::WrongSecret => {
            Keys { api_key: DOC_API_KEY.to_owned(), hmac: Some(DOC_SECRET_KEY.as_bytes().to_vec()), ed25519: None }
        }
        Key::Ed25519(seed) => Keys {
            api_key: ED25519_API_KEY.to_owned(),
            hmac: None,
            ed25519: Some(ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key()),
        },
    }
}

/// The engine under test and its two peers.
pub(crate) struct Pair {
    /// The engine.
    pub(crate) engine: Box<Engine<'static, PlainLink, NoStamp>>,
    /// The fake monotonic clock, ns.
    pub(crate) now: u64,
    /// The exchange.
    pub(crate) venue: Venue,
    /// The first node.
    pub(crate) node: Node,
    /// The other nodes, with whether each is connected.
    pub(crate) others: Vec<(Node, bool)>,
    /// Every event polled, oldest first.
    pub(crate) events: Vec<Event>,
    /// When each of `events` was polled.
    pub(crate) at: Vec<u64>,
    /// Most feed bytes handed to the engine per call.
    pub(crate) feed_chunk: usize,
    /// Hands the engine what the venue sent before acting on the events
    /// the engine raised while sending, as a host does when a receive
    /// completion is already queued behind the send.
    pub(crate) read_before_events: bool,
    /// Refuse this many venue connects (the host's connect fails).
    pub(crate) refuse_venue: u32,
    /// Refuse this many feed connects.
    pub(crate) refuse_feed: u32,
    /// When each venue connect was asked for.
    pub(crate) venue_connects_at: Vec<u64>,
    /// When each feed connect was asked for.
    pub(crate) feed_connects_at: Vec<u64>,
    /// Times the engine asked to be woken at a deadline its timer run did
    /// not move (the host then wakes at its own granularity).
    pub(crate) stuck_timers: u32,
    /// Every byte the engine sent the venue, in order.
    pub(crate) wire: Vec<u8>,
    /// The market-data stream's peer.
    pub(crate) market: Market,
    market_up: bool,
    ran_at: Option<u64>,
    feed_up: bool,
    venue_up: bool,
}

impl std::fmt::Debug for Pair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pair").field("now", &self.now).field("events", &self.events).finish_non_exhaustive()
    }
}

impl Pair {
    /// An engine built from `config`, before its first step.
    pub(crate) fn new(config: Config) -> Self {
        let feed_buffer: &'static mut [u8] = Box::leak(vec![0u8; 200_000 * config.nodes].into_boxed_slice());
        let message_buffer: &'static mut [u8] = Box::leak(vec![0u8; 64 * 1024].into_boxed_slice());
        let engine = Engine::new(
            settings(&config),
            config.rules,
            config.limits,
            PlainLink::new(config.link_chunk, config.link_room),
            NoStamp,
            feed_buffer,
            message_buffer,
            config.seed,
        )
        .expect("the engine builds");
        let mut engine = Box::new(engine);
        if config.book.is_some() {
            let buffer: &'static mut [u8] = Box::leak(vec![0u8; 64 * 1024].into_boxed_slice());
            let link = PlainLink::new(config.link_chunk, config.link_room);
            engine.attach_market(link, buffer).expect("the market stream attaches");
        }
        Self {
            engine,
            now: START,
            venue: Venue::new(venue_keys(config.key), UNIX_OFFSET_NS),
            node: Node::default(),
            others: (1..config.nodes).map(|_| (Node::default(), false)).collect(),
            events: Vec::new(),
            at: Vec::new(),
            feed_chunk: usize::MAX,
            read_before_events: false,
            refuse_venue: 0,
            refuse_feed: 0,
            venue_connects_at: Vec::new(),
            feed_connects_at: Vec::new(),
            stuck_timers: 0,
            wire: Vec::new(),
            market: Market::new(SYMBOL),
            market_up: false,
            ran_at: None,
            feed_up: false,
            venue_up: false,
        }
    }

    /// An engine trading with its feed subscribed.
    pub(crate) fn trading(config: Config) -> Self {
        let mut pair = Self::new(config);
        pair.step();
        assert_eq!(pair.engine.venue_state(), VenueState::Trading, "{:?}", pair.events);
        assert!(pair.node.subscribed_to_rawtx(), "the engine did not subscribe to rawtx");
        assert!(pair.has(|e| matches!(e, Event::FeedUp { node: 0 })));
        assert!(pair.others.iter().all(|(node, up)| *up && node.subscribed_to_rawtx()));
        pair
    }

    /// Moves bytes and answers events until nothing moves.
    pub(crate) fn step(&mut self) {
        let mut buf = vec![0u8; 4096];
        for _ in 0..10_000 {
            let mut moved = self.poll_events();
            let (now, chunk) = (self.now, self.feed_chunk);
            moved |= pump_node(&mut self.engine, 0, &mut self.node, &mut self.feed_up, now, chunk, &mut buf);
            for (i, (node, up)) in self.others.iter_mut().enumerate() {
                moved |= pump_node(&mut self.engine, i + 1, node, up, now, chunk, &mut buf);
            }
            if self.venue_up {
                while let Some(n) = self.engine.poll_transmit(self.now, Stream::Venue, &mut buf) {
                    moved = true;
                    self.wire.extend_from_slice(&buf[..n]);
                    self.venue.receive(self.now, &buf[..n]);
                }
                // As the host usually does after sending: act on what the
                // engine asked meanwhile (a finished close asks to close
                // the socket) before reading what the peer sent.
                if !self.read_before_events {
                    moved |= self.poll_events();
                }
            }
            if self.venue_up {
                let bytes = self.venue.take();
                if !bytes.is_empty() {
                    moved = true;
                    self.engine.handle_venue(self.now, &bytes);
                }
                if self.venue.take_drop() {
                    moved = true;
                    self.venue_up = false;
                    self.venue.disconnect();
                    self.engine.venue_closed(self.now);
                }
            }
            if self.market_up {
                while let Some(n) = self.engine.poll_transmit(self.now, Stream::Market, &mut buf) {
                    moved = true;
                    self.market.receive(&buf[..n]);
                }
                moved |= self.poll_events();
            }
            if self.market_up {
                let bytes = self.market.take();
                if !bytes.is_empty() {
                    moved = true;
                    self.engine.handle_market(self.now, &bytes);
                }
                if self.market.take_drop() {
                    moved = true;
                    self.market_up = false;
                    self.market.disconnect();
                    self.engine.market_closed(self.now);
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the pair never went quiet: {:?}", self.events);
    }

    /// Polls every event, answering each; whether there was one.
    fn poll_events(&mut self) -> bool {
        let mut any = false;
        while let Some(event) = self.engine.poll_event() {
            any = true;
            self.answer(&event);
            self.events.push(event);
            self.at.push(self.now);
        }
        any
    }

    /// Answers an event as the host does.
    fn answer(&mut self, event: &Event) {
        let now = self.now;
        match event {
            Event::FeedConnect { node: 0 } => {
                self.feed_connects_at.push(now);
                if self.refuse_feed > 0 {
                    self.refuse_feed -= 1;
                    self.engine.feed_closed(0, now);
                } else {
                    self.node.accept();
                    self.feed_up = true;
                    self.engine.feed_connected(0, now);
                }
            }
            Event::FeedConnect { node } => {
                if let Some((peer, up)) = self.others.get_mut(node - 1) {
                    peer.accept();
                    *up = true;
                    self.engine.feed_connected(*node, now);
                }
            }
            Event::FeedFailed { node: 0, .. } => self.feed_up = false,
            Event::FeedFailed { node, .. } => {
                if let Some((_, up)) = self.others.get_mut(node - 1) {
                    *up = false;
                }
            }
            Event::VenueConnect => {
                self.venue_connects_at.push(now);
                if self.refuse_venue > 0 {
                    self.refuse_venue -= 1;
                    self.engine.venue_connect_failed(now);
                } else {
                    self.venue.accept();
                    self.venue_up = true;
                    self.engine.venue_connected(now);
                }
            }
            Event::VenueClose => {
                self.venue_up = false;
                self.venue.disconnect();
            }
            Event::MarketConnect => {
                self.market.accept();
                self.market_up = true;
                self.engine.market_connected(now);
            }
            Event::MarketClose => {
                self.market_up = false;
                self.market.disconnect();
            }
            _ => {}
        }
    }

    /// Moves the clock `ns` forward, running every timer at its deadline.
    pub(crate) fn advance(&mut self, ns: u64) {
        let target = self.now + ns;
        self.step();
        for _ in 0..1_000_000 {
            match self.engine.poll_timeout() {
                Some(due) if due <= target => {
                    let stuck = due <= self.now && self.ran_at == Some(due);
                    if stuck {
                        if self.now == target {
                            break;
                        }
                        self.stuck_timers += 1;
                        self.now = (self.now + TICK).min(target);
                    } else {
                        self.now = self.now.max(due);
                    }
                    self.ran_at = Some(due);
                    self.engine.handle_timeout(self.now);
                    self.step();
                }
                _ => break,
            }
        }
        self.now = target;
        self.step();
    }

    /// Publishes one transaction and steps.
    pub(crate) fn publish(&mut self, tx: &[u8]) {
        self.node.publish(tx);
        self.step();
    }

    /// Publishes one transaction on node `n` (0 is [`Pair::node`]) and
    /// steps.
    pub(crate) fn publish_on(&mut self, n: usize, tx: &[u8]) {
        self.node_mut(n).publish(tx);
        self.step();
    }

    /// Node `n`'s publisher.
    pub(crate) fn node_mut(&mut self, n: usize) -> &mut Node {
        match n {
            0 => &mut self.node,
            _ => &mut self.others[n - 1].0,
        }
    }

    /// The first node's TCP connection drops.
    pub(crate) fn drop_feed(&mut self) {
        assert!(self.feed_up, "the feed is not connected");
        self.feed_up = false;
        self.engine.feed_closed(0, self.now);
        self.step();
    }

    /// The venue's TCP connection drops now, without a close frame.
    pub(crate) fn drop_venue(&mut self) {
        self.venue.drop_connection();
        self.step();
    }

    /// Whether the feed's TCP connection is open.
    pub(crate) fn feed_up(&self) -> bool {
        self.feed_up
    }

    /// Events since index `from`, and the new end.
    pub(crate) fn since(&self, from: usize) -> &[Event] {
        &self.events[from..]
    }

    /// Whether any event matches.
    pub(crate) fn has(&self, f: impl Fn(&Event) -> bool) -> bool {
        self.events.iter().any(f)
    }

    /// Index of the first event matching `f`.
    pub(crate) fn position(&self, f: impl Fn(&Event) -> bool) -> Option<usize> {
        self.events.iter().position(f)
    }

    /// When the first event matching `f` was polled.
    pub(crate) fn when(&self, f: impl Fn(&Event) -> bool) -> u64 {
        let i = self.position(f).unwrap_or_else(|| panic!("no such event: {:?}", self.events));
        self.at[i]
    }

    /// Events matching `f`.
    pub(crate) fn count(&self, f: impl Fn(&Event) -> bool) -> usize {
        self.events.iter().filter(|e| f(e)).count()
    }

    /// Client order ids of `OrderSent`, in order, each with its txid.
    pub(crate) fn sent(&self) -> Vec<u64> {
        hotline_tests::sent_ids(&self.events)
    }

    /// Client order ids of `OrderAcked`, in order.
    pub(crate) fn acked(&self) -> Vec<u64> {
        hotline_tests::acked_ids(&self.events)
    }

    /// Checks what every scenario owes: each order sent is settled once
    /// (acked, rejected, or unknown and then reconciled), none is sent
    /// twice, and the venue's journal holds exactly the orders the engine
    /// counts as placed.
    pub(crate) fn assert_accounting(&self) {
        let c = self.engine.counters();
        assert_eq!(self.engine.events_dropped(), 0, "events dropped");
        let sent = self.sent();
        assert_eq!(sent.len() as u64, c.orders_sent);
        let mut requests = self.placed_requests();
        assert_eq!(requests, sent, "the venue read other orders than the engine sent");
        requests.dedup();
        assert_eq!(requests.len(), sent.len(), "an order was sent twice");
        let mut placed = Vec::new();
        for &id in &sent {
            match self.fate(id).as_slice() {
                [Event::OrderAcked { .. }]
                | [Event::OrderUnknown { .. }, Event::OrderReconciled { placed: true, .. }] => placed.push(id),
                [Event::OrderRejected { .. }]
                | [Event::OrderUnknown { .. }, Event::OrderReconciled { placed: false, .. }] => {}
                other => panic!("order {id} settled as {other:?}"),
            }
        }
        assert_eq!(c.orders_acked + c.orders_rejected + c.orders_reconciled, c.orders_sent, "{c:?}");
        assert_eq!(c.orders_acked + c.orders_reconciled - c.orders_reconciled_absent, placed.len() as u64);
        assert_eq!(self.venue.journal, placed, "the venue's journal disagrees with the engine");
        assert_eq!(self.stuck_timers, 0, "the engine asked to be woken in the past");
    }

    /// The events that settle order `id` or mark it unknown, in order.
    pub(crate) fn fate(&self, id: u64) -> Vec<&Event> {
        self.events
            .iter()
            .filter(|e| match e {
                Event::OrderAcked { client_order_id, .. }
                | Event::OrderRejected { client_order_id, .. }
                | Event::OrderUnknown { client_order_id, .. }
                | Event::OrderReconciled { client_order_id, .. } => *client_order_id == id,
                _ => false,
            })
            .collect()
    }

    /// The venue states the engine went through, in order.
    pub(crate) fn states(&self) -> Vec<VenueState> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::VenueState(s) => Some(*s),
                _ => None,
            })
            .collect()
    }

    /// Client order ids of the `order.place` requests the venue read.
    pub(crate) fn placed_requests(&self) -> Vec<u64> {
        self.venue
            .saw("order.place")
            .iter()
            .map(|r| r.param("newClientOrderId").and_then(|id| id.parse().ok()).expect("an id"))
            .collect()
    }
}

/// Moves one node's bytes both ways; whether any moved. A protocol error
/// closes the node's connection, as the engine's `FeedFailed` asks.
fn pump_node(
    engine: &mut Engine<'static, PlainLink, NoStamp>,
    n: usize,
    node: &mut Node,
    up: &mut bool,
    now: u64,
    chunk: usize,
    buf: &mut [u8],
) -> bool {
    if !*up {
        return false;
    }
    let mut moved = false;
    while let Some(len) = engine.poll_transmit(now, Stream::Feed(n), buf) {
        moved = true;
        node.received.extend_from_slice(&buf[..len]);
    }
    for piece in node.take().chunks(chunk) {
        moved = true;
        if engine.handle_feed(n, now, piece).is_err() {
            *up = false;
            break;
        }
    }
    moved
}
