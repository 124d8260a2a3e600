//! `hotline demo`: nothing but this binary turns into a paper run of the
//! whole engine on one machine, and that run into a latency table and an
//! order accounting. It starts the simulated exchange (`hotline-sim`:
//! rustls + tungstenite, its own CA, the documented HMAC test key) and the
//! mempool replayer (`hotline-replay`: a real libzmq PUB on loopback
//! playing the capture built into the binary), runs the engine against them
//! in paper mode with the simulator's CA pinned, shows a progress line, and
//! ends with the per-stage latency table and the order accounting. Every
//! order the engine sent must be acknowledged, rejected or reconciled, and
//! the simulator's journal must agree: otherwise the demo fails. With
//! `--nodes N` the replayer publishes the capture on N sockets, each copy
//! delayed by Bitcoin Core's relay trickle (an exponential delay per hop,
//! `docs/protocols/bitcoind-zmq.md` §Several nodes), and the engine fuses
//! them: the summary shows which node saw each transaction first and by
//! how much. It then scores the fills as a quant judges a signal: slippage
//! against the mid at each order's decision, and markouts against the
//! simulator's mid sampled on a thread of its own ([`super::markouts`]),
//! waiting after the replay for the 10 s horizon of the last fill.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hotline::clock::Clock;
use hotline::driver::{self, Command, Control, Plan, Report, Status};
use hotline::lab::{coinbase, paper};
use hotline::metrics;
use hotline::net::ring::RingConfig;
use hotline::signals::Signals;
use hotline_core::engine::{Event, Ladder, LagHistogram, MAX_NODES};
use hotline_core::order::{Instrument, read_decimal};
use hotline_core::risk::{Limits, RateLimit};
use hotline_core::sign::HmacKey;
use hotline_core::strategy::whale::{Rules, WatchEntry, WatchKind};
use hotline_core::venue::binance::Auth;
use hotline_replay::{MultiPlayConfig, MultiPlayer, NodeConfig, Pace, PlayConfig, Player, RelayDelay, capture};
use hotline_sim::{DOC_API_KEY, DOC_SECRET_KEY, MarketConfig, Sim, SimConfig};
use sha2::{Digest, Sha256};

use super::markouts::{HORIZONS, Mid, Quality, Tape};

/// How often the sampler reads the simulator's mid.
const SAMPLE_EVERY: Duration = Duration::from_millis(10);
/// The markout horizon the demo waits, after the replay, to cover.
const AWAITED: Duration = HORIZONS[1].1;
/// Orders, and fills, the engine thread keeps for scoring (a few hundred in
/// a default run: the demo's rate limit is 50 orders per 10 s).
const TAPE_RECORDS: usize = 16_384;

/// Options of `hotline demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Play the capture this many times (each pass with fresh txids).
    #[arg(long, default_value_t = 12)]
    loops: u32,
    /// Play the capture this many times faster than recorded.
    #[arg(long, default_value_t = 8.0)]
    speed: f64,
    /// Submit with a kernel polling thread (io_uring SQPOLL).
    #[arg(long)]
    sqpoll: bool,
    /// Busy-poll for completions instead of sleeping in the kernel (keeps
    /// the engine's core warm; takes a whole CPU).
    #[arg(long)]
    spin: bool,
    /// A dry run of the fire path every this many microseconds while idle
    /// (0: none); left out, every 100 µs with --spin and none without, as
    /// `hotline run` does (docs/deploy.md §Warm path).
    #[arg(long, value_name = "US")]
    warm_us: Option<u64>,
    /// Give up waiting for the run to finish after this many seconds (the
    /// wait for markouts not counted).
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
    /// After the replay, keep the run going up to this many seconds until
    /// the 10 s markout of the last fill is covered (0: do not wait).
    #[arg(long, default_value_t = 10)]
    markout_wait_secs: u64,
    /// Serve /metrics and /health on this loopback address while the demo
    /// runs (docs/metrics.md).
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<SocketAddr>,
    /// Publish the capture from this many nodes (1 to 4), each copy
    /// delayed by a relay-trickle draw; the engine fuses them.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=MAX_NODES as i64))]
    nodes: u8,
    /// With several nodes: the mean trickle delay per relay hop, in ms of
    /// the capture's time (Bitcoin Core: 2000 to outbound peers).
    #[arg(long, default_value_t = 2000)]
    relay_mean_ms: u64,
    /// With several nodes: relay hops between a transaction's origin and
    /// each node.
    #[arg(long, default_value_t = 2)]
    hops: u32,
    /// With several nodes: the seed of the relay delays.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Price orders from the venue's top of book: the simulator's, read as
    /// JSON `bookTicker` or SBE `bestBidAsk`, or, with `--venue coinbase`,
    /// the acceptor's, read as `ticker` messages from its Coinbase-shaped
    /// feed (JSON only): IOC limits two ticks through the touch
    /// (docs/market-data.md). `off` sends market orders on Binance, and
    /// IOC limits at the acceptor's bid on Coinbase.
    #[arg(long, value_enum, default_value_t = MarketFeed::Json)]
    market: MarketFeed,
    /// The venue traded on paper: Binance's WebSocket API against the
    /// simulated exchange, or Coinbase's FIX order entry against a
    /// QuickFIX acceptor behind stunnel (docs/protocols/coinbase-fix.md;
    /// needs libquickfix-dev, g++ and stunnel4).
    #[arg(long, value_enum, default_value_t = DemoVenue::Binance)]
    venue: DemoVenue,
    /// Orders per whale, a tick apart through the book, sent as one
    /// NewOrderBatch (U6): 1 to 15, with `--venue coinbase` only.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=15))]
    ladder: u8,
}

/// The venue of a demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DemoVenue {
    /// Binance Spot's WebSocket API (`hotline-sim`).
    Binance,
    /// Coinbase Exchange's FIX order entry (`tools/fix-acceptor`).
    Coinbase,
}

/// Where the demo's orders are priced from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MarketFeed {
    /// JSON `<symbol>@bookTicker`.
    Json,
    /// SBE `<symbol>@bestBidAsk`.
    Sbe,
    /// No market data: market orders.
    Off,
}

/// The demo's mempool: one node, or several with relay delays.
enum Mempool {
    One(Player),
    Many(MultiPlayer),
}

impl Mempool {
    /// The bundled capture played as `args` asks, and its notifications
    /// per pass.
    fn start(args: &Args) -> Result<(Self, u64), String> {
        let entries = capture::parse(hotline_replay::demo_capture_text())?;
        let per_loop = entries.len() as u64;
        let pace = Pace::Scaled(args.speed);
        if args.nodes == 1 {
            let config = PlayConfig { pace, loops: args.loops, hwm: 100_000, ..PlayConfig::default() };
            return Player::start(entries, config).map(|p| (Self::One(p), per_loop));
        }
        let nodes = (0..args.nodes).map(|_| NodeConfig::new("tcp://127.0.0.1:0")).collect();
        let relay = RelayDelay { hops: args.hops, mean: Duration::from_millis(args.relay_mean_ms) };
        let config = MultiPlayConfig {
            relay,
            seed: args.seed,
            pace,
            loops: args.loops,
            hwm: 100_000,
            ..MultiPlayConfig::new(nodes)
        };
        Player::start_nodes(entries, config).map(|p| (Self::Many(p), per_loop))
    }

    /// The nodes' addresses, as the engine's feeds.
    fn feeds(&self) -> Result<Vec<std::net::SocketAddr>, String> {
        self.endpoints().iter().map(|e| paper::feed_addr(e)).collect()
    }

    fn endpoints(&self) -> Vec<String> {
        match self {
            Self::One(p) => vec![p.endpoint().to_owned()],
            Self::Many(p) => p.endpoints().to_vec(),
        }
    }

    fn progress(&self) -> u64 {
        match self {
            Self::One(p) => p.progress(),
            Self::Many(p) => p.progress(),
        }
    }

    /// Notifications published, every node together.
    fn stop(self) -> Result<u64, String> {
        match self {
            Self::One(p) => Ok(p.stop()?.published),
            Self::Many(p) => Ok(p.stop()?.iter().map(|n| n.stats.published).sum()),
        }
    }
}

pub(crate) fn run(args: &Args, log: Option<&std::path::Path>) -> Result<(), String> {
    if let Some(addr) = args.metrics_listen.filter(|a| !a.ip().is_loopback()) {
        return Err(format!("--metrics-listen: {addr} is not a loopback address"));
    }
    if args.venue == DemoVenue::Coinbase {
        return run_coinbase(args, log);
    }
    if args.ladder > 1 {
        return Err("--ladder: batches are Coinbase's (--venue coinbase); Binance places one order per request".into());
    }
    let journal = std::env::temp_dir().join(format!("hotline-demo-{}.jsonl", std::process::id()));
    // The simulator's market always moves and matches; `--market off`
    // only stops the engine reading it.
    let sim_config =
        SimConfig { journal: Some(journal.clone()), market: Some(MarketConfig::default()), ..SimConfig::default() };
    let sim = Sim::start(sim_config).map_err(|e| format!("simulated exchange: {e}"))?;
    // Markouts compare the sampled mid with fill prices: one tick for both.
    if let Some(t) = sim.touch()
        && t.price_decimals != u32::from(paper::INSTRUMENT.price.decimals)
    {
        let ours = paper::INSTRUMENT.price.decimals;
        return Err(format!("the simulator's prices have {} decimals, the instrument's {ours}", t.price_decimals));
    }
    let (mempool, per_loop) = Mempool::start(args)?;
    let endpoints = mempool.endpoints();
    let feeds = mempool.feeds()?;
    if !args.json {
        eprintln!("hotline demo: paper mode against the simulated exchange at {}", sim.url());
        eprintln!("  mempool feed: {} (bundled capture × {})", endpoints.join(", "), args.loops);
        if args.nodes > 1 {
            eprintln!(
                "  {} nodes, each copy delayed by {} relay hops of {} ms mean (÷ {} with the capture's pace)",
                args.nodes, args.hops, args.relay_mean_ms, args.speed
            );
        }
        if let Some(addr) = args.metrics_listen {
            eprintln!("  metrics: http://{addr}/metrics, health: http://{addr}/health");
        }
    }

    let key = HmacKey::new(DOC_SECRET_KEY.as_bytes());
    let deposit = demo_exchange_script();
    let watch = [WatchEntry { script: &deposit, kind: WatchKind::ExchangeDeposit }];
    let rules = Rules { watch: &watch, cooldown_ns: 0, ..Rules::default() };
    let clock = Clock::new();
    let host = sim.addr().to_string();
    let mut settings = driver_settings(&host, Auth::Hmac { api_key: DOC_API_KEY, key: &key }, &clock, feeds.len());
    let market_path = sim.market_path(args.market == MarketFeed::Json);
    let api_key_header = [("X-MBX-APIKEY", DOC_API_KEY)];
    let limits = Limits {
        max_open_orders: 10_000,
        short_rate: RateLimit { capacity: 50, window_ns: 10_000_000_000 },
        ..Limits::new(1_000, u128::MAX, 1_000_000)
    };
    let ring = RingConfig::with_sqpoll(args.sqpoll);
    let mut plan = Plan { metrics_listen: args.metrics_listen, ..paper::plan(&sim, feeds, ring, args.spin) };
    if args.market != MarketFeed::Off {
        let headers: &[_] = if args.market == MarketFeed::Sbe { &api_key_header } else { &[] };
        paper::price_from_book(&mut settings, &mut plan, &sim, &market_path, headers);
    }
    if let Some(us) = args.warm_us {
        plan.warm_every = (us > 0).then(|| Duration::from_micros(us));
    }
    if !args.json {
        eprintln!("  warm path: {}", warm_status(&plan));
    }
    let signals = Signals::install().map_err(|e| format!("signals: {e}"))?;
    let markout_wait = Duration::from_secs(args.markout_wait_secs);
    let mut control = DemoControl::new(args, &mempool, per_loop, &signals, markout_wait);
    let stop_sampling = AtomicBool::new(false);
    let (report, mids) = std::thread::scope(|s| {
        let sampler = s.spawn(|| sample_mids(&sim, &stop_sampling));
        let report = driver::run(&plan, settings, rules, limits, &clock, &mut control);
        stop_sampling.store(true, Ordering::Relaxed);
        (report, sampler.join())
    });
    let report = report?;
    let mids = mids.map_err(|_| "the mid sampler panicked".to_owned())?;
    if control.progress {
        eprintln!();
    }
    let quality = Quality::score(&control.tape, &mids);
    let published = mempool.stop()?;
    let paper = PaperVenue {
        instrument: paper::INSTRUMENT,
        quote_asset: "USDT",
        accepted: sim.orders().len() as u64,
        batches: None,
        journaled: Journaled::of_sim(&sim.fills())?,
        journal: journal.display().to_string(),
        market: Some(args.market),
    };
    sim.shutdown();
    summarize(args, &report, published, &paper, &quality, log, &plan)
}

/// `hotline demo --venue coinbase`: the same paper run against the QuickFIX
/// acceptor playing Coinbase's FIX order entry behind stunnel. Orders are
/// IOC limits two ticks through the touch of the acceptor's book, read
/// from its Coinbase-shaped ticker feed (or, with `--market off`, at its
/// bid); the book does not move, so there are no markouts to score. The
/// accounting compares the engine's fills and position with the acceptor's
/// journal, and its placed orders with the acknowledgements in the
/// acceptor's own message log.
fn run_coinbase(args: &Args, log: Option<&std::path::Path>) -> Result<(), String> {
    let ticker = match args.market {
        MarketFeed::Json => true,
        MarketFeed::Off => false,
        MarketFeed::Sbe => {
            return Err("--market sbe: SBE is Binance's; Coinbase's feed is JSON (json or off)".to_owned());
        }
    };
    let venue = coinbase::Venue::start(ticker).map_err(|e| format!("FIX acceptor: {e}"))?;
    let (mempool, per_loop) = Mempool::start(args)?;
    let endpoints = mempool.endpoints();
    let feeds = mempool.feeds()?;
    if !args.json {
        eprintln!("hotline demo: paper mode against a QuickFIX acceptor playing Coinbase's FIX order entry");
        eprintln!("  venue: tcp+ssl://{} (stunnel, TLS 1.3) → FIX on {}", venue.addr()?, venue.peer.addr);
        eprintln!("  mempool feed: {} (bundled capture × {})", endpoints.join(", "), args.loops);
        match venue.peer.ticker_addr {
            Some(addr) => eprintln!(
                "  market: wss://localhost:{} (the acceptor's book as Coinbase's ticker channel); orders: IOC limits \
                 two ticks through its touch",
                addr.port()
            ),
            None => eprintln!("  orders: IOC limits at the acceptor's bid (fixed prices, --market off)"),
        }
    }
    let deposit = demo_exchange_script();
    let watch = [WatchEntry { script: &deposit, kind: WatchKind::ExchangeDeposit }];
    let rules = Rules { watch: &watch, cooldown_ns: 0, ..Rules::default() };
    let clock = Clock::new();
    let secret = coinbase::secret()?;
    let id_random = u64::from_ne_bytes(hotline::entropy()?);
    let mut settings = coinbase::settings(&secret, &clock, feeds.len(), id_random);
    settings.ladder = Ladder { orders: args.ladder, step_ticks: 1 };
    // Coinbase's 100 messages per second per session, well under.
    let limits = Limits {
        max_open_orders: 10_000,
        short_rate: RateLimit { capacity: 50, window_ns: 10_000_000_000 },
        ..Limits::new(10_000_000, u128::MAX, 1_000_000_000)
    };
    let mut plan = coinbase::plan(&venue, feeds, RingConfig::with_sqpoll(args.sqpoll), args.spin)?;
    plan.metrics_listen = args.metrics_listen;
    if ticker {
        coinbase::price_from_ticker(&mut settings, &mut plan, &venue)?;
    }
    if let Some(us) = args.warm_us {
        plan.warm_every = (us > 0).then(|| Duration::from_micros(us));
    }
    if !args.json {
        eprintln!("  warm path: {}", warm_status(&plan));
    }
    let signals = Signals::install().map_err(|e| format!("signals: {e}"))?;
    let mut control = DemoControl::new(args, &mempool, per_loop, &signals, Duration::ZERO);
    let report = driver::run(&plan, settings, rules, limits, &clock, &mut control)?;
    if control.progress {
        eprintln!();
    }
    let quality = Quality::score(&control.tape, &[]);
    let published = mempool.stop()?;
    // The acceptor's directory goes with it: its journal is kept.
    let journal = std::env::temp_dir().join(format!("hotline-demo-coinbase-{}.jsonl", std::process::id()));
    let fills = venue.peer.journal()?;
    let lines: String = std::fs::read_to_string(venue.peer.journal_path()).unwrap_or_default();
    std::fs::write(&journal, lines).map_err(|e| format!("{}: {e}", journal.display()))?;
    let paper = PaperVenue {
        instrument: coinbase::INSTRUMENT,
        quote_asset: "USD",
        accepted: venue.peer.orders_accepted()?,
        batches: Some(venue.peer.batches_received()?),
        journaled: Journaled::of_fix(&fills)?,
        journal: journal.display().to_string(),
        market: ticker.then_some(args.market),
    };
    summarize(args, &report, published, &paper, &quality, log, &plan)
}

/// The simulator's mid every [`SAMPLE_EVERY`] until `stop`: the paper
/// market's truth, for markouts. A thread of its own, off the engine's.
fn sample_mids(sim: &Sim, stop: &AtomicBool) -> Vec<Mid> {
    let mut mids = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        if let Some(t) = sim.touch() {
            mids.push(Mid { at: Instant::now(), half_ticks: t.bid + t.ask });
        }
        std::thread::sleep(SAMPLE_EVERY);
    }
    mids
}

/// The paper venue of a run, and what it journaled.
struct PaperVenue {
    /// The traded instrument.
    instrument: Instrument<'static>,
    /// Its quote asset, for the P&L line.
    quote_asset: &'static str,
    /// Orders the venue accepted, by its own record.
    accepted: u64,
    /// NewOrderBatch messages it received (Coinbase; `None` on Binance).
    batches: Option<u64>,
    /// Its fills, as the engine counts them.
    journaled: Journaled,
    /// Where its journal is.
    journal: String,
    /// The market feed orders were priced from (`None`: fixed prices).
    market: Option<MarketFeed>,
}

/// The fills in the venue's journal, as the engine counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Journaled {
    fills: u64,
    /// Lots, positive long.
    position: i64,
}

impl Journaled {
    fn of_sim(fills: &[hotline_sim::Fill]) -> Result<Self, String> {
        let decimals = paper::INSTRUMENT.quantity.decimals;
        Self::of(fills.iter().map(|f| (f.trade_id.to_string(), f.qty.as_str(), f.side == "BUY")), decimals)
    }

    fn of_fix(fills: &[hotline_fix_acceptor::Fill]) -> Result<Self, String> {
        let decimals = coinbase::INSTRUMENT.quantity.decimals;
        Self::of(fills.iter().map(|f| (f.trade_id.clone(), f.qty.as_str(), f.side == "buy")), decimals)
    }

    /// (trade id, quantity text, bought) of each fill.
    fn of<'a>(fills: impl Iterator<Item = (String, &'a str, bool)>, decimals: u8) -> Result<Self, String> {
        let mut position = 0i64;
        let mut count = 0;
        for (trade_id, qty, bought) in fills {
            let lots = read_decimal(qty.as_bytes(), decimals)
                .map_err(|e| format!("venue journal: fill {trade_id} qty {qty:?}: {e:?}"))?;
            let lots = i64::try_from(lots).map_err(|_| format!("venue journal: fill {trade_id} too large"))?;
            position += if bought { lots } else { -lots };
            count += 1;
        }
        Ok(Self { fills: count, position })
    }
}

/// Lots × ticks of `instrument` as a quote-asset decimal (`-12.3450000`).
fn quote(units: i128, instrument: &Instrument<'_>) -> String {
    let scale = instrument.scale();
    let digits = u32::from(scale.price) + u32::from(scale.qty);
    let pow = 10u128.pow(digits);
    let sign = if units < 0 { "-" } else { "" };
    let abs = units.unsigned_abs();
    format!("{sign}{}.{:0width$}", abs / pow, abs % pow, width = digits as usize)
}

/// Lots of `instrument` as a base-asset decimal.
fn base(lots: i64, instrument: &Instrument<'_>) -> String {
    let decimals = u32::from(instrument.quantity.decimals);
    let pow = 10u64.pow(decimals);
    let sign = if lots < 0 { "-" } else { "" };
    let abs = lots.unsigned_abs();
    format!("{sign}{}.{:0width$}", abs / pow, abs % pow, width = decimals as usize)
}

/// What keeps the fire path warm between whales in this run.
fn warm_status(plan: &Plan) -> String {
    let wait = if plan.spin { "spinning" } else { "asleep in the kernel between events" };
    match plan.warm_every {
        Some(every) => format!("{wait}, a dry run of the fire path every {} µs", every.as_micros()),
        None => format!("{wait}, no dry runs (cold: try --spin)"),
    }
}

/// Where the demo's run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The capture is playing, or orders are unsettled.
    Running,
    /// Everything settled at this instant; the last whale may be in flight.
    Drained(Instant),
    /// The replay is over: the engine idles while the sampler covers the
    /// last fill's markout horizon, until this instant.
    Waiting(Instant),
}

/// What the demo watches while the engine runs.
struct DemoControl<'a> {
    mempool: &'a Mempool,
    total: u64,
    signals: &'a Signals,
    progress: bool,
    last_line: Instant,
    started: Instant,
    timeout: Duration,
    markout_wait: Duration,
    phase: Phase,
    tape: Tape,
}

impl<'a> DemoControl<'a> {
    /// Watching `mempool` play `per_loop` notifications per pass as
    /// `args` says, then waiting up to `markout_wait` for markouts.
    fn new(args: &Args, mempool: &'a Mempool, per_loop: u64, signals: &'a Signals, markout_wait: Duration) -> Self {
        Self {
            mempool,
            total: per_loop * u64::from(args.loops) * u64::from(args.nodes),
            signals,
            progress: !args.json,
            last_line: Instant::now(),
            started: Instant::now(),
            timeout: Duration::from_secs(args.timeout_secs),
            markout_wait,
            phase: Phase::Running,
            tape: Tape::with_capacity(TAPE_RECORDS),
        }
    }

    /// When to stop waiting for markouts after the replay: once the
    /// [`AWAITED`] horizon of the last fill is behind the sampler, or after the longest
    /// wait allowed; `None` when there is nothing to wait for.
    fn markout_deadline(&self, now: Instant) -> Option<Instant> {
        // A few sampling periods past the horizon: the sampler's sleeps
        // overrun, and the first sample at or after it is the one scored.
        let covered = self.tape.last_fill()? + AWAITED + 5 * SAMPLE_EVERY;
        let until = covered.min(now + self.markout_wait);
        (until > now).then_some(until)
    }
}

impl Control for DemoControl<'_> {
    fn event(&mut self, event: &Event) {
        self.tape.record(event, Instant::now());
    }

    fn turn(&mut self, status: &Status<'_>) -> Command {
        let now = Instant::now();
        let line_due = self.progress && now.duration_since(self.last_line) >= Duration::from_millis(200);
        if line_due {
            self.last_line = now;
        }
        if self.signals.take_dump() {
            let counters = status.summary_counters();
            eprintln!("\n{}", metrics::summary_table(status.metrics, &counters));
        }
        if self.signals.stop_requested() {
            return Command::Shutdown;
        }
        if let Phase::Waiting(until) = self.phase {
            if now >= until {
                return Command::Shutdown;
            }
            if line_due {
                eprint!("\r  waiting {} s for markouts ", (until - now).as_secs_f64().ceil());
                let _ = std::io::stderr().flush();
            }
            return Command::Continue;
        }
        if line_due {
            let c = status.counters;
            eprint!(
                "\r  txs {:>5} | whales {:>4} | orders sent {:>4} acked {:>4} rejected {:>3} unknown {:>3} | venue {:<10}",
                c.txs_seen,
                c.whales_detected,
                c.orders_sent,
                c.orders_acked,
                c.orders_rejected,
                c.orders_unknown,
                driver::venue_state_name(status.venue),
            );
            let _ = std::io::stderr().flush();
        }
        if now.duration_since(self.started) > self.timeout {
            return Command::Shutdown;
        }
        // Done when the capture is out, every order is settled, and the
        // feed has been quiet a moment (the last whale may be in flight);
        // then the wait for markouts.
        let done = self.mempool.progress() >= self.total && status.unresolved == 0;
        self.phase = match (done, self.phase) {
            (false, _) => Phase::Running,
            (true, Phase::Running) => Phase::Drained(now),
            (true, Phase::Drained(t)) if now.duration_since(t) > Duration::from_millis(500) => {
                let Some(until) = self.markout_deadline(now) else { return Command::Shutdown };
                if self.progress {
                    eprintln!();
                }
                Phase::Waiting(until)
            }
            (true, phase) => phase,
        };
        Command::Continue
    }
}

/// The watch-listed deposit script of the capture's labelled whale: P2WPKH
/// of the first 20 bytes of SHA-256("hotline demo exchange").
fn demo_exchange_script() -> Vec<u8> {
    let hash = Sha256::digest(b"hotline demo exchange");
    let mut script = vec![0x00, 0x14];
    script.extend_from_slice(&hash[..20]);
    script
}

fn summarize(
    args: &Args,
    report: &Report,
    published: u64,
    paper: &PaperVenue,
    quality: &Quality,
    log: Option<&std::path::Path>,
    plan: &Plan,
) -> Result<(), String> {
    let counters = report.summary_counters();
    let log_path = log.map(|p| p.display().to_string());
    let l = &report.ledger;
    let (venue_accepted, journaled, i) = (paper.accepted, &paper.journaled, &paper.instrument);
    let market = paper.market.map_or_else(|| "fixed".to_owned(), |m| format!("{m:?}").to_lowercase());
    let quote = |units| quote(units, i);
    let base = |lots| base(lots, i);
    if args.json {
        let mut json = metrics::summary_json(&report.metrics, &counters);
        json["published"] = published.into();
        json["venue_accepted"] = venue_accepted.into();
        json["venue_batches"] = paper.batches.into();
        json["hot_path_allocations"] = report.hot_path_allocations.into();
        json["cipher_suite"] = report.cipher_suite.into();
        json["multishot_receive"] = report.multishot.into();
        json["spin"] = plan.spin.into();
        json["warm_interval_us"] = plan.warm_every.map(|d| d.as_micros() as u64).into();
        json["dry_runs"] = report.counters.dry_runs.into();
        json["venue"] = format!("{:?}", args.venue).to_lowercase().into();
        json["journal"] = paper.journal.clone().into();
        json["nodes"] = report.nodes.iter().enumerate().map(|(i, n)| node_json(i, n)).collect();
        json["log_file"] = log_path.into();
        json["market"] = market.clone().into();
        json["book_updates"] = report.counters.book_updates.into();
        json["fills"] = l.fills().into();
        json["fills_journaled"] = journaled.fills.into();
        json["position"] = serde_json::json!({ "lots": l.position(), "base": base(l.position()) });
        json["pnl"] = serde_json::json!({
            "realized": quote(l.realized()),
            "marked": quote(l.marked()),
            "quote_fees": quote_fees(l.fees().0),
        });
        json["slippage_bps"] = quality.slippage_json();
        json["markouts_bps"] = quality.markouts_json();
        json["markout_records_dropped"] = quality.dropped().into();
        println!("{json}");
    } else {
        println!("{}", metrics::summary_table(&report.metrics, &counters));
        if report.nodes.len() > 1 {
            println!("{}", nodes_table(&report.nodes));
        }
        println!(
            "cipher suite: {}, receive: {}",
            report.cipher_suite,
            if report.multishot { "multishot" } else { "single-shot" }
        );
        println!("warm path: {}; {} dry runs, none sent", warm_status(plan), report.counters.dry_runs);
        let batches = paper.batches.map(|n| format!(", {n} NewOrderBatch messages")).unwrap_or_default();
        println!("venue journal: {} ({venue_accepted} orders accepted{batches})", paper.journal);
        let q = paper.quote_asset;
        println!(
            "market: {market}, {} book updates; fills: {} (journal: {}), position {} BTC, P&L realized {} / marked {} {q}, fees {} {q}",
            report.counters.book_updates,
            l.fills(),
            journaled.fills,
            base(l.position()),
            quote(l.realized()),
            quote(l.marked()),
            quote_fees(l.fees().0),
        );
        println!("{}", quality.slippage_line(paper.market.is_some_and(|m| m != MarketFeed::Off)));
        println!("{}", quality.markouts_line());
        match &log_path {
            Some(p) => println!("binary log: {p} (read it with `hotline log {p}`)"),
            None => println!("binary log: none (add --log-file FILE)"),
        }
        println!("hotline is an execution engine, not a promise of profit: this run traded nothing real.");
    }
    report.check()?;
    let placed = report.orders_placed();
    if placed != venue_accepted {
        return Err(format!("the venue accepted {venue_accepted} orders but the engine counts {placed} as placed"));
    }
    let counted = Journaled { fills: l.fills(), position: l.position() };
    if counted != *journaled {
        return Err(format!(
            "the venue journaled {} fills (position {} lots) but the engine counts {} (position {} lots)",
            journaled.fills, journaled.position, counted.fills, counted.position
        ));
    }
    Ok(())
}

/// Fees in 10^-8 of the quote asset as a decimal.
fn quote_fees(fees: u128) -> String {
    format!("{}.{:08}", fees / 100_000_000, fees % 100_000_000)
}

/// The paper settings, reading `nodes` nodes.
fn driver_settings<'a>(
    host: &'a str,
    auth: Auth<'a>,
    clock: &Clock,
    nodes: usize,
) -> hotline_core::engine::Settings<'a> {
    hotline_core::engine::Settings { nodes, ..paper::settings(host, auth, clock) }
}

/// Milliseconds, from a histogram bucket's upper bound (`None` when empty).
fn lead_ms(h: &LagHistogram, permille: u64) -> Option<f64> {
    h.quantile_ns(permille).map(|ns| if ns == u64::MAX { f64::INFINITY } else { ns as f64 / 1e6 })
}

/// One node's record as the `--json` summary reports it.
fn node_json(node: usize, n: &hotline_core::engine::NodeStats) -> serde_json::Value {
    serde_json::json!({
        "node": node,
        "first_seen": n.first_seen,
        "later_seen": n.later_seen,
        "lead_ms": { "p50": lead_ms(&n.lead_ns, 500), "p99": lead_ms(&n.lead_ns, 990), "count": n.lead_ns.count() },
        "lag_ms": { "p50": lead_ms(&n.lag_ns, 500), "p99": lead_ms(&n.lag_ns, 990), "count": n.lag_ns.count() },
        "gaps": n.gaps,
        "restarts": n.restarts,
    })
}

/// The nodes side by side: who saw transactions first, and by how much.
fn nodes_table(nodes: &[hotline_core::engine::NodeStats]) -> String {
    let ms = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("≤{v:.1} ms"));
    let mut out = format!(
        "{:<6} {:>10} {:>10} {:>14} {:>14} {:>6} {:>8}",
        "node", "first", "later", "lead p50", "lag p50", "gaps", "restarts"
    );
    for (i, n) in nodes.iter().enumerate() {
        out.push_str(&format!(
            "\n{:<6} {:>10} {:>10} {:>14} {:>14} {:>6} {:>8}",
            i,
            n.first_seen,
            n.later_seen,
            ms(lead_ms(&n.lead_ns, 500)),
            ms(lead_ms(&n.lag_ns, 500)),
            n.gaps,
            n.restarts
        ));
    }
    out
}
