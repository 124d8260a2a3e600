//! One end-to-end run of the engine: the real io_uring loop
//! (`hotline::driver::run`) on the test thread, trading against the
//! simulated exchange (`hotline-sim`: rustls + tungstenite, an independent
//! Binance Spot WebSocket API) and fed by the mempool replayer
//! (`hotline-replay`: a real libzmq publisher on loopback). A recording
//! controller keeps every event, starts the feed only once the venue
//! session trades and, when orders are priced from the book, the book has
//! its first touch (so no whale meets a session still logging on or an
//! empty book), and
//! shuts the engine down once every whale is published and every order
//! settled; a generous deadline catches a hang. Scenarios that hinge on
//! timers run on the in-memory harness (`engine_harness`) instead.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use hotline::clock::Clock;
use hotline::driver::{self, Command, Control, Plan, Report, Status};
use hotline::lab::paper;
use hotline::net::ring::RingConfig;
use hotline_core::engine::{Event, Settings, Timers, VenueState};
use hotline_core::risk::{Limits, RateLimit};
use hotline_core::sign::{Ed25519Key, HmacKey};
use hotline_core::strategy::whale::Rules;
use hotline_core::venue::binance::Auth;
use hotline_replay::capture::{self, Entry};
use hotline_replay::{Fault, MultiPlayConfig, MultiPlayer, NodeConfig, Pace, PlayConfig, Player, RelayDelay};
use hotline_sim::{AcceptedOrder, DOC_API_KEY, DOC_SECRET_KEY, Sim, SimConfig};

/// Digits of a client order id on the wire (`newClientOrderId`).
pub(crate) use hotline::lab::paper::ID_WIDTH;
/// The first client order id of every run.
pub(crate) const FIRST_ID: u64 = 1_000;
/// Long enough for any scenario on a loaded machine; only a hang meets it.
const DEADLINE: Duration = Duration::from_secs(60);
/// How long everything must stay settled before a run is called done.
const QUIET: Duration = Duration::from_millis(300);
/// Events kept without growing the record: growing it would allocate
/// inside the loop's counted hot path.
const EVENT_ROOM: usize = 16_384;
/// The demo capture's whales each loop: 1 500 BTC over four outputs, 800
/// BTC in one, and Bitcoin Core's 21 million BTC test vector (the 800's
/// repeat and replacement are suppressed, and the watch-list whale needs a
/// watch list these runs do not have).
pub(crate) const WHALES_PER_LOOP: u64 = 3;

/// How the engine signs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Key {
    /// The documentation's HMAC key, which the sim registers.
    Doc,
    /// An Ed25519 key from this seed, registered with the sim under
    /// `api_key`; the session logs on with it.
    Ed25519 {
        /// The API key.
        api_key: &'static str,
        /// The private key's seed.
        seed: [u8; 32],
    },
}

/// One scenario's configuration; [`Scenario::new`] gives the defaults.
#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    /// The simulated exchange.
    pub(crate) sim: SimConfig,
    /// Passes of the demo capture the replayer publishes once the venue
    /// trades, at ten times its pace.
    pub(crate) loops: u32,
    /// The engine's key.
    pub(crate) key: Key,
    /// The engine's timers.
    pub(crate) timers: Timers,
    /// The risk limits.
    pub(crate) limits: Limits,
    /// The whale rules.
    pub(crate) rules: Rules<'static>,
    /// Serve `/metrics` and `/health` here during the run.
    pub(crate) metrics_listen: Option<SocketAddr>,
    /// One entry per node publishing the capture (each copy after a relay
    /// delay when there are several), with the faults it injects.
    pub(crate) nodes: Vec<Vec<Fault>>,
    /// Dry runs of the fire path this often while idle.
    pub(crate) warm_every: Option<Duration>,
    /// Price orders from the sim's JSON `bookTicker` (the sim needs a
    /// market) instead of sending market orders.
    pub(crate) book: bool,
}

impl Scenario {
    /// The sim with its defaults, `loops` passes of the demo capture, the
    /// documentation's HMAC key, short reconnect delays, no cooldown, and
    /// limits that let every whale through.
    pub(crate) fn new(loops: u32) -> Self {
        Self {
            sim: SimConfig::default(),
            loops,
            key: Key::Doc,
            timers: Timers { reconnect_min_ns: 20_000_000, reconnect_max_ns: 200_000_000, ..Timers::default() },
            limits: Limits {
                max_open_orders: 1_000,
                short_rate: RateLimit { capacity: 1_000, window_ns: 10_000_000_000 },
                ..Limits::new(1_000, u128::MAX, 1_000_000)
            },
            rules: Rules { cooldown_ns: 0, ..Rules::default() },
            metrics_listen: None,
            nodes: vec![Vec::new()],
            warm_every: None,
            book: false,
        }
    }
}

/// What a run did.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The loop's report.
    pub(crate) report: Report,
    /// Every event, oldest first.
    pub(crate) events: Vec<Event>,
    /// The sim's journal of accepted orders.
    pub(crate) journal: Vec<AcceptedOrder>,
    /// Notifications the replayer published.
    pub(crate) published: u64,
    /// The sim's journal of fills.
    pub(crate) fills: Vec<hotline_sim::Fill>,
    /// The sim's account at the end.
    pub(crate) balances: Vec<hotline_sim::AssetBalance>,
}

impl Outcome {
    /// Client order ids of `OrderSent`, in order, each with its txid.
    pub(crate) fn sent(&self) -> Vec<u64> {
        hotline_tests::sent_ids(&self.events)
    }

    /// Client order ids of `OrderAcked`, in order.
    pub(crate) fn acked(&self) -> Vec<u64> {
        hotline_tests::acked_ids(&self.events)
    }

    /// The journal's client order ids as numbers; each must be the
    /// engine's zero-padded decimal form.
    pub(crate) fn journal_ids(&self) -> Vec<u64> {
        self.journal
            .iter()
            .map(|o| {
                let id = &o.client_order_id;
                assert!(
                    id.len() == usize::from(ID_WIDTH) && id.bytes().all(|b| b.is_ascii_digit()),
                    "journal id {id:?}"
                );
                id.parse().expect("digits")
            })
            .collect()
    }

    /// The events that settle order `id` or mark it unknown, in order.
    pub(crate) fn fate(&self, id: u64) -> Vec<&Event> {
        self.events.iter().filter(|e| settles(e) == Some(id)).collect()
    }

    /// Checks what every scenario owes: each order sent is settled exactly
    /// once (acked, rejected, or unknown and then reconciled), none is
    /// lost, and the venue's journal holds exactly the orders the engine
    /// counts as placed, each once.
    pub(crate) fn assert_accounting(&self) {
        self.assert_orders();
        self.assert_fills();
    }

    /// The orders' half of [`assert_accounting`](Self::assert_accounting).
    fn assert_orders(&self) {
        let c = &self.report.counters;
        assert_eq!(self.report.unresolved, 0, "orders lost: {:?}", self.events);
        assert_eq!(self.report.events_dropped, 0, "events dropped");
        let sent = self.sent();
        assert_eq!(u64::try_from(sent.len()).ok(), Some(c.orders_sent));
        let mut unique = sent.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), sent.len(), "a client order id was sent twice: {sent:?}");
        let mut placed = Vec::new();
        for &id in &sent {
            match self.fate(id).as_slice() {
                [Event::OrderAcked { .. }]
                | [Event::OrderUnknown { .. }, Event::OrderReconciled { placed: true, .. }] => {
                    placed.push(id);
                }
                [Event::OrderRejected { .. }]
                | [Event::OrderUnknown { .. }, Event::OrderReconciled { placed: false, .. }] => {}
                other => panic!("order {id} settled as {other:?}"),
            }
        }
        assert_eq!(c.orders_acked + c.orders_rejected + c.orders_reconciled, c.orders_sent, "{c:?}");
        assert_eq!(c.orders_acked + c.orders_reconciled - c.orders_reconciled_absent, placed.len() as u64);
        let mut journal = self.journal_ids();
        journal.sort_unstable();
        let before = journal.len();
        journal.dedup();
        assert_eq!(journal.len(), before, "the venue accepted a client order id twice");
        placed.sort_unstable();
        assert_eq!(journal, placed, "the venue's journal disagrees with the engine");
    }

    /// Every fill the venue made is counted once, into the same position,
    /// whether it came on the user data stream or was read back after a
    /// reconnect.
    fn assert_fills(&self) {
        let ledger = &self.report.ledger;
        let lots = |f: &hotline_sim::Fill| {
            let qty = hotline_core::order::read_decimal(f.qty.as_bytes(), paper::INSTRUMENT.quantity.decimals);
            let qty = i64::try_from(qty.expect("a fill's quantity on the lot grid")).expect("lots");
            if f.side == "BUY" { qty } else { -qty }
        };
        assert_eq!(ledger.fills(), self.fills.len() as u64, "fills: {:?}", self.fills);
        let counted: Vec<_> = self.fills.iter().filter(|f| self.heard(f.trade_id)).collect();
        assert_eq!(counted.len(), self.fills.len(), "fills heard of: {:?}", self.events);
        assert_eq!(ledger.position(), counted.iter().map(|f| lots(f)).sum::<i64>());
        assert_eq!(self.report.counters.fills, ledger.fills());
    }

    /// Whether the engine counted the fill `trade_id`.
    fn heard(&self, trade_id: u64) -> bool {
        self.events.iter().any(|e| matches!(e, Event::Filled { fill, .. } if fill.trade_id == trade_id))
    }
}

/// The order an event settles or marks unknown.
fn settles(event: &Event) -> Option<u64> {
    match event {
        Event::OrderAcked { client_order_id, .. }
        | Event::OrderRejected { client_order_id, .. }
        | Event::OrderUnknown { client_order_id, .. }
        | Event::OrderReconciled { client_order_id, .. } => Some(*client_order_id),
        _ => None,
    }
}

/// A loopback port for the feed, below Linux's ephemeral range: the
/// engine dials it before the replayer listens, and a port from the
/// ephemeral range could connect to itself (TCP simultaneous open).
fn feed_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    const FIRST: u16 = 20_000;
    const SPAN: u16 = 12_000;
    let start = u16::try_from(std::process::id() % u32::from(SPAN)).unwrap_or(0);
    for _ in 0..1_000 {
        let port = FIRST + start.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed)) % SPAN;
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port for the feed");
}

/// The replayer: one node, or several with relay delays.
enum Publisher {
    One(Player),
    Many(MultiPlayer),
}

impl Publisher {
    fn progress(&self) -> u64 {
        match self {
            Self::One(p) => p.progress(),
            Self::Many(p) => p.progress(),
        }
    }

    /// Notifications published, every node together.
    fn stop(self) -> u64 {
        match self {
            Self::One(p) => p.stop().expect("replayer stops").published,
            Self::Many(p) => p.stop().expect("replayer stops").iter().map(|n| n.stats.published).sum(),
        }
    }
}

/// The recording controller.
struct Recorder<'a> {
    events: Vec<Event>,
    feed: Option<(Vec<Entry>, u32)>,
    binds: Vec<String>,
    faults: Vec<Vec<Fault>>,
    player: Option<Publisher>,
    /// Orders are priced from the market-data stream's book.
    priced: bool,
    total: u64,
    settled_since: Option<Instant>,
    started: Instant,
    /// What the venue journaled so far, for a hang's report.
    venue: &'a dyn Fn() -> String,
}

impl Control for Recorder<'_> {
    fn turn(&mut self, status: &Status<'_>) -> Command {
        let quoted = !self.priced || status.counters.book_updates > 0;
        if status.venue == VenueState::Trading
            && quoted
            && let Some((entries, loops)) = self.feed.take()
        {
            let pace = Pace::Scaled(10.0);
            self.player = Some(if self.binds.len() == 1 {
                let config = PlayConfig { bind: self.binds[0].clone(), pace, loops, ..PlayConfig::default() };
                Publisher::One(Player::start(entries, config).expect("replayer starts"))
            } else {
                let nodes = self
                    .binds
                    .iter()
                    .zip(&self.faults)
                    .map(|(bind, faults)| NodeConfig { faults: faults.clone(), ..NodeConfig::new(bind.clone()) })
                    .collect();
                let relay = RelayDelay { hops: 1, mean: Duration::from_millis(20) };
                let config = MultiPlayConfig { relay, pace, loops, ..MultiPlayConfig::new(nodes) };
                Publisher::Many(Player::start_nodes(entries, config).expect("replayer starts"))
            });
        }
        let published = self.player.as_ref().is_some_and(|p| p.progress() >= self.total);
        let settled = published && status.unresolved == 0;
        self.settled_since = if settled { self.settled_since.or_else(|| Some(Instant::now())) } else { None };

        assert!(
            self.started.elapsed() < DEADLINE,
            "no end in sight: {:?}, journal {}, events {:?}",
            status.counters,
            (self.venue)(),
            self.events
        );
        // Settled for a moment: the last whale may still have been in
        // flight when the feed ran out.
        if self.settled_since.is_some_and(|t| t.elapsed() >= QUIET) { Command::Shutdown } else { Command::Continue }
    }

    fn event(&mut self, event: &Event) {
        self.events.push(event.clone());
    }
}

/// The feed of a run: loopback ports for its nodes, and the demo capture
/// they publish `loops` times once the venue trades.
pub(crate) struct Feed {
    ports: Vec<u16>,
    entries: Vec<Entry>,
    loops: u32,
    faults: Vec<Vec<Fault>>,
}

impl Feed {
    /// A port per node of `scenario`.
    pub(crate) fn new(scenario: &Scenario) -> Self {
        Self {
            ports: scenario.nodes.iter().map(|_| feed_port()).collect(),
            entries: capture::parse(hotline_replay::demo_capture_text()).expect("demo capture"),
            loops: scenario.loops,
            faults: scenario.nodes.clone(),
        }
    }

    /// Where the engine connects to the nodes.
    pub(crate) fn addrs(&self) -> Vec<SocketAddr> {
        self.ports.iter().map(|&port| SocketAddr::from((Ipv4Addr::LOCALHOST, port))).collect()
    }
}

/// Runs the engine on `plan` and `settings` until the feed is published
/// and every order settled; `venue` describes the venue's journal if the
/// run hangs. Returns the report, every event and the notifications
/// published.
pub(crate) fn drive(
    plan: &Plan,
    settings: Settings<'_>,
    feed: Feed,
    scenario: &Scenario,
    clock: &Clock,
    venue: &dyn Fn() -> String,
) -> (Report, Vec<Event>, u64) {
    let total = feed.entries.len() as u64 * u64::from(feed.loops) * feed.ports.len() as u64;
    let mut recorder = Recorder {
        events: Vec::with_capacity(EVENT_ROOM),
        binds: feed.ports.iter().map(|port| format!("tcp://127.0.0.1:{port}")).collect(),
        feed: Some((feed.entries, feed.loops)),
        faults: feed.faults,
        player: None,
        priced: plan.market.is_some(),
        total,
        settled_since: None,
        started: Instant::now(),
        venue,
    };
    let report = driver::run(plan, settings, scenario.rules, scenario.limits, clock, &mut recorder).expect("run");
    let published = recorder.player.take().map_or(0, Publisher::stop);
    assert!(recorder.events.len() < EVENT_ROOM, "the event record outgrew its room");
    (report, recorder.events, published)
}

/// Runs `scenario` until every whale is published and every order settled.
pub(crate) fn run(scenario: Scenario) -> Outcome {
    let sim = Sim::start(scenario.sim.clone()).expect("sim starts");
    let feed = Feed::new(&scenario);
    let hmac = HmacKey::new(DOC_SECRET_KEY.as_bytes());
    let ed25519 = match scenario.key {
        Key::Ed25519 { api_key, seed } => Some((api_key, Ed25519Key::from_seed(&seed))),
        Key::Doc => None,
    };
    let auth = match &ed25519 {
        Some((api_key, key)) => Auth::Ed25519 { api_key, key },
        None => Auth::Hmac { api_key: DOC_API_KEY, key: &hmac },
    };
    let clock = Clock::new();
    let host = sim.addr().to_string();
    let mut settings = Settings {
        timers: scenario.timers,
        first_client_order_id: FIRST_ID,
        nodes: feed.ports.len(),
        ..paper::settings(&host, auth, &clock)
    };
    let feeds = feed.addrs();
    let mut plan = Plan {
        metrics_listen: scenario.metrics_listen,
        warm_every: scenario.warm_every,
        ..paper::plan(&sim, feeds, RingConfig::default(), false)
    };
    let market_path = sim.market_path(true);
    if scenario.book {
        paper::price_from_book(&mut settings, &mut plan, &sim, &market_path, &[]);
    }
    let journal_text = || format!("{:?}", sim.orders());
    let (report, events, published) = drive(&plan, settings, feed, &scenario, &clock, &journal_text);
    let journal = sim.orders();
    let fills = sim.fills();
    let balances = sim.balances();
    sim.shutdown();
    Outcome { report, events, journal, published, fills, balances }
}
