//! The engine thread: a [`Plan`] (addresses, trust, sockets, ring) and the
//! engine's settings turn into a run of `hotline-core`'s [`Engine`] driven
//! by one io_uring with registered buffers and fixed files, and that run
//! into a [`Report`]. Each turn reaps completions and hands their bytes to
//! the engine, sends what it sealed at once, acts on its events (connect,
//! close, order records, metrics, the binary log), runs its timers, and
//! waits in the kernel until the next completion or deadline. Sockets are
//! opened with `nix` when the engine asks; DNS was resolved before the loop
//! starts.
//!
//! The hot path (feed bytes in → sealed order out → ack in) is measured in
//! allocations as well as nanoseconds: with [`crate::alloc_count`]'s
//! allocator installed, every allocation made inside an engine call or its
//! event handling on this thread is counted in the report.
//!
//! With `metrics_listen` in the plan, each turn also publishes the engine's
//! state on a [`Live`] board (atomic stores: no lock, no syscall, no
//! allocation, counted like the rest) that the metrics thread serves.

use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use hotline_core::engine::{
    Counters, Engine, Event, MarketState, NodeStats, Settings, Stages, Stamp, Stream, VenueState,
};
use hotline_core::ledger::Ledger;
use hotline_core::risk::Limits;
use hotline_core::strategy::whale::Rules;
use hotline_core::tls::Storage;
use rustls_pki_types::CertificateDer;

use crate::alloc_count;
use crate::clock::Clock;
use crate::metrics::live::{Live, NodeCounts, Publisher, Snapshot};
use crate::metrics::server::Server;
use crate::metrics::{Metrics, Stage};
use crate::net::ring::{Completion, Conn, Ring, RingConfig};
use crate::net::socket::{self, SocketOptions};
use crate::tls::{Client, HostVerifier, Rustls, Versions, contain};

/// The venue's connection slot, the market-data stream's, and node `i`'s
/// at `FEED + i`.
const VENUE: Conn = 0;
const MARKET: Conn = 1;
const FEED: Conn = 2;
/// Venue messages reassembled up to this size.
const MESSAGE_BUFFER: usize = 64 * 1024;
/// The longest the loop sleeps, so signals and the controller are seen.
const MAX_WAIT: Duration = Duration::from_millis(20);
/// Dry runs of the fire path while idle, one every this many microseconds
/// by default when the loop spins (`host.warm_interval_us`,
/// docs/deploy.md §Warm path).
pub const WARM_INTERVAL_US: u64 = 100;

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The nodes' ZMQ endpoints (one to `MAX_NODES`), in `Settings::nodes`
    /// order.
    pub feeds: Vec<SocketAddr>,
    /// The venue's address.
    pub venue: SocketAddr,
    /// The venue's DNS name (SNI and certificate check).
    pub server_name: String,
    /// Trust these CA certificates instead of the Mozilla roots.
    pub ca: Option<Vec<CertificateDer<'static>>>,
    /// SPKI SHA-256 pins; any one must match when given.
    pub pins: Vec<[u8; 32]>,
    /// Offer AES-256-GCM-SHA384 instead of AES-128-GCM-SHA256.
    pub aes256: bool,
    /// The venue's TLS versions: 1.3 only, or 1.2 too (Coinbase's FIX
    /// gateways document TLS 1.2; docs/protocols/tls12.md).
    pub versions: Versions,
    /// Socket options for both connections.
    pub sockets: SocketOptions,
    /// The ring.
    pub ring: RingConfig,
    /// Never sleep in the kernel: poll for completions in a loop, keeping
    /// the core, its caches and branch predictors warm (costs a whole CPU).
    pub spin: bool,
    /// While idle and trading, a dry run of the fire path this often
    /// (`Engine::warm`) and an io_uring NOP, so the next whale finds the
    /// path warm (docs/deploy.md §Warm path).
    pub warm_every: Option<Duration>,
    /// Serve `/metrics` and `/health` here while the engine runs.
    pub metrics_listen: Option<SocketAddr>,
    /// The market-data stream orders are priced from (with
    /// `Pricing::Book`).
    pub market: Option<MarketPlan>,
}

/// Where the market-data stream is. Its certificate is checked against
/// the same trust anchors as the venue's; the venue's pins are the order
/// connection's alone.
#[derive(Debug, Clone)]
pub struct MarketPlan {
    /// Its address.
    pub addr: SocketAddr,
    /// Its DNS name (SNI and certificate check).
    pub server_name: String,
}

/// What the controller tells the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Keep going.
    Continue,
    /// Drain and stop (graceful shutdown).
    Shutdown,
    /// Engage the kill switch.
    Kill,
}

/// What the controller sees on each turn.
#[derive(Debug)]
pub struct Status<'a> {
    /// The engine's totals.
    pub counters: &'a Counters,
    /// The venue session.
    pub venue: VenueState,
    /// Orders without a settled outcome.
    pub unresolved: usize,
    /// Stage latencies so far.
    pub metrics: &'a Metrics,
    /// Hot-path allocations so far.
    pub hot_path_allocations: u64,
}

impl Status<'_> {
    /// The totals so far as the summary prints them.
    pub fn summary_counters(&self) -> crate::metrics::Counters {
        crate::metrics::Counters::from_engine(self.counters, self.unresolved, Some(self.hot_path_allocations))
    }
}

/// Decides, between turns, whether to stop (signals, a finished demo).
pub trait Control {
    /// Called after every turn of the loop (at least every 20 ms).
    fn turn(&mut self, status: &Status<'_>) -> Command;
    /// Called for every event, after the loop has acted on it.
    fn event(&mut self, _event: &Event) {}
    /// The venue refused an order's signature (-1022); `payload` is what the
    /// engine signed (docs/protocols/binance-ws-api.md §Signing), to compare
    /// with `hotline sign`.
    fn signature_rejected(&mut self, _client_order_id: u64, _payload: &[u8]) {}
}

/// What a run did.
#[derive(Debug)]
pub struct Report {
    /// The engine's totals.
    pub counters: Counters,
    /// Orders whose outcome was never settled: lost.
    pub unresolved: usize,
    /// Stage latencies.
    pub metrics: Metrics,
    /// Allocations on the hot path; `None` without the counting allocator.
    pub hot_path_allocations: Option<u64>,
    /// Events the loop did not poll in time.
    pub events_dropped: u64,
    /// The venue clock offset at the end (server − local), nanoseconds.
    pub venue_offset_ns: i64,
    /// The TLS cipher suite.
    pub cipher_suite: &'static str,
    /// What the last venue connection's handshake found, and its
    /// KeyUpdates.
    pub tls: crate::tls::Report,
    /// Whether receives were multishot (the kernel has buffer rings).
    pub multishot: bool,
    /// Each node's record at the end.
    pub nodes: Vec<NodeStats>,
    /// The account's fills, position and P&L at the end (user data).
    pub ledger: Ledger,
}

impl Report {
    /// The totals as the summary prints them.
    pub fn summary_counters(&self) -> crate::metrics::Counters {
        crate::metrics::Counters::from_engine(&self.counters, self.unresolved, self.hot_path_allocations)
    }

    /// Orders the venue holds by the engine's account: acknowledged, or
    /// found by `order.status`.
    pub fn orders_placed(&self) -> u64 {
        let c = &self.counters;
        c.orders_acked + c.orders_reconciled - c.orders_reconciled_absent
    }

    /// Fails a run that lost an order or allocated on its hot path.
    pub fn check(&self) -> Result<(), String> {
        if self.unresolved > 0 {
            return Err(format!("{} orders lost: neither acknowledged, rejected nor reconciled", self.unresolved));
        }
        match self.hot_path_allocations {
            Some(n) if n > 0 => Err(format!("{n} allocations on the hot path")),
            _ => Ok(()),
        }
    }
}

/// The first client order id of a run: microseconds since the epoch,
/// modulo what `digits` digits hold, so ids do not repeat across runs (16
/// digits wrap in the year 2286).
pub fn first_client_order_id(digits: u8) -> u64 {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| u64::try_from(d.as_micros()).unwrap_or(1));
    10u64.checked_pow(u32::from(digits)).map_or(micros, |m| micros % m)
}

/// The engine's stage stamps come from the host clock's raw ticks.
impl Stamp for &Clock {
    fn stamp(&self) -> u64 {
        self.ticks()
    }
}

/// Runs the engine until the controller's shutdown has drained it.
pub fn run(
    plan: &Plan,
    settings: Settings<'_>,
    rules: Rules<'_>,
    limits: Limits,
    clock: &Clock,
    control: &mut dyn Control,
) -> Result<Report, String> {
    let verifier = HostVerifier::new(plan.ca.as_deref(), plan.pins.clone())?;
    let handshake = Rustls::with_versions(&plan.server_name, verifier, plan.aes256, plan.versions)?;
    let mut storage = Box::new(Storage::new());
    let mut market_storage = Box::new(Storage::new());
    let market = match &plan.market {
        Some(m) => {
            let verifier = HostVerifier::new(plan.ca.as_deref(), Vec::new())?;
            Some(Client::new(&mut market_storage, Rustls::new(&m.server_name, verifier, plan.aes256)?))
        }
        None => None,
    };
    drive(plan, settings, rules, limits, clock, control, Client::new(&mut storage, handshake), market)
}

/// One TCP connection slot of the ring.
#[derive(Debug, Default)]
struct Socket {
    fd: Option<OwnedFd>,
    /// The engine asked to close it; done once no send is in flight.
    close_requested: bool,
    /// Shut down; detached once the ring is idle on it.
    closing: bool,
    /// The engine asked for a new connection.
    connect_requested: bool,
}

#[allow(clippy::too_many_arguments)]
fn drive(
    plan: &Plan,
    settings: Settings<'_>,
    rules: Rules<'_>,
    limits: Limits,
    clock: &Clock,
    control: &mut dyn Control,
    link: Client<'_>,
    market: Option<Client<'_>>,
) -> Result<Report, String> {
    let nodes = plan.feeds.len();
    if nodes != settings.nodes {
        return Err(format!("{} feed endpoints for {} nodes", nodes, settings.nodes));
    }
    let mut feed_buffer = vec![0u8; (settings.max_tx_bytes + 64 * 1024) * nodes].into_boxed_slice();
    let mut message_buffer = vec![0u8; MESSAGE_BUFFER].into_boxed_slice();
    let mut market_buffer = vec![0u8; MESSAGE_BUFFER].into_boxed_slice();
    let seed = crate::entropy::<32>()?;
    let scale = settings.venue.scale();
    let money_decimals = scale.price.saturating_add(scale.qty);
    let mut engine = Engine::new(settings, rules, limits, link, clock, &mut feed_buffer, &mut message_buffer, seed)
        .map_err(|e| format!("engine: {e:?}"))?;
    if let Some(link) = market {
        engine.attach_market(link, &mut market_buffer).map_err(|e| format!("engine: {e:?}"))?;
    }
    let mut ring = Ring::sparse(&plan.ring, FEED + nodes).map_err(|e| format!("io_uring: {e}"))?;
    let server = match plan.metrics_listen {
        Some(addr) => {
            let live = Arc::new(Live::new());
            let server =
                Server::start(addr, Arc::clone(&live)).map_err(|e| format!("metrics server on {addr}: {e}"))?;
            Some((server, live))
        }
        None => None,
    };
    let mut publisher = server.as_ref().map(|(_, live)| Publisher::new(live));
    let live = publisher.as_ref().map(Publisher::live);
    let mut sockets: Vec<Socket> = (0..FEED + nodes).map(|_| Socket::default()).collect();
    let mut metrics = Metrics::new();
    let counting = alloc_count::installed();
    let mut hot_allocs = 0u64;
    let mut submitted_at = 0u64;
    let mut shutting_down = false;
    let warm_every_ns = plan.warm_every.map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let mut next_warm = 0u64;

    loop {
        // Completions: bytes in, straight through the engine and out.
        let mut busy = false;
        while let Some(done) = ring.poll().map_err(|e| format!("io_uring: {e:?}"))? {
            busy = true;
            let now = clock.now_ns();
            match done {
                Completion::Received { conn, len } if len > 0 && !sockets[conn].closing => {
                    // Warm path only: connection set-up (the handshake's
                    // certificate checks) allocates and is not timed either,
                    // on the venue's connection or the market stream's.
                    let warm = engine.venue_state() == VenueState::Trading
                        && (conn != MARKET || engine.market_state() == Some(MarketState::Streaming));
                    let before = alloc_count::allocations();
                    let data = ring.received(conn, len);
                    let result = contain(|| match conn {
                        VENUE => engine.handle_venue(now, data),
                        MARKET => engine.handle_market(now, data),
                        _ => {
                            let _ = engine.handle_feed(conn - FEED, now, data);
                        }
                    });
                    result.map_err(|e| format!("engine: {e}"))?;
                    submitted_at = transmit(&mut engine, &mut ring, &sockets, clock)?.unwrap_or(submitted_at);
                    if warm {
                        hot_allocs += alloc_count::allocations() - before;
                    }
                    if !sockets[conn].closing {
                        ring.recv(conn).map_err(|e| format!("io_uring recv: {e:?}"))?;
                    }
                }
                Completion::Received { conn, .. } | Completion::Failed { conn, .. } => {
                    if !sockets[conn].closing {
                        // The peer closed or the socket failed.
                        sockets[conn].close_requested = true;
                        match conn {
                            VENUE => engine.venue_closed(now),
                            MARKET => engine.market_closed(now),
                            _ => engine.feed_closed(conn - FEED, now),
                        }
                    }
                }
                Completion::Sent { .. } => {}
            }
        }
        // Events: connections, records, metrics.
        let warm = engine.venue_state() == VenueState::Trading;
        let before = alloc_count::allocations();
        while let Some(event) = engine.poll_event() {
            match &event {
                Event::FeedConnect { node } => sockets[FEED + node].connect_requested = true,
                Event::VenueConnect => sockets[VENUE].connect_requested = true,
                Event::VenueClose => sockets[VENUE].close_requested = true,
                Event::MarketConnect => sockets[MARKET].connect_requested = true,
                Event::MarketClose => sockets[MARKET].close_requested = true,
                Event::FeedFailed { node, .. } => sockets[FEED + node].close_requested = true,
                // One sample per request: a batch's later orders carry none.
                Event::OrderSent { stages: Some(stages), .. } => {
                    record_stages(&mut metrics, live, clock, stages, submitted_at);
                }
                Event::OrderAcked { rtt_ns, .. } => record(&mut metrics, live, Stage::WireToAck, *rtt_ns),
                _ => {}
            }
            log_event(&event);
            control.event(&event);
            if let Event::OrderRejected { client_order_id, code: -1022 } = event
                && let Some(payload) = engine.canonical_payload(client_order_id)
            {
                control.signature_rejected(client_order_id, payload);
            }
        }
        if warm {
            hot_allocs += alloc_count::allocations() - before;
        }
        // Sockets: close, then connect, outside the hot path.
        for (conn, socket) in sockets.iter_mut().enumerate() {
            if socket.close_requested && ring.send_buffer(conn).is_some() {
                socket.close_requested = false;
                if let Some(fd) = &socket.fd {
                    let _ = nix::sys::socket::shutdown(
                        std::os::fd::AsRawFd::as_raw_fd(fd),
                        nix::sys::socket::Shutdown::Both,
                    );
                    socket.closing = true;
                }
            }
            if socket.closing && ring.idle(conn) {
                ring.detach(conn).map_err(|e| format!("io_uring: {e}"))?;
                socket.fd = None;
                socket.closing = false;
            }
            if socket.connect_requested && socket.fd.is_none() && !shutting_down {
                socket.connect_requested = false;
                let now = clock.now_ns();
                let addr = match conn {
                    VENUE => plan.venue,
                    MARKET => match &plan.market {
                        Some(m) => m.addr,
                        None => continue,
                    },
                    _ => plan.feeds[conn - FEED],
                };
                match socket::connect(addr, &plan.sockets).and_then(|fd| ring.attach(conn, fd.as_fd()).map(|()| fd)) {
                    Ok(fd) => {
                        socket.fd = Some(fd);
                        ring.recv(conn).map_err(|e| format!("io_uring recv: {e:?}"))?;
                        match conn {
                            VENUE => engine.venue_connected(now),
                            MARKET => engine.market_connected(now),
                            _ => engine.feed_connected(conn - FEED, now),
                        }
                    }
                    Err(e) => {
                        let stream = match conn {
                            VENUE => "venue",
                            MARKET => "market",
                            _ => "feed",
                        };
                        defmt::warn!("{=str}: connect failed, errno {=i32}", stream, e.raw_os_error().unwrap_or(0));
                        match conn {
                            VENUE => engine.venue_connect_failed(now),
                            MARKET => engine.market_connect_failed(now),
                            _ => engine.feed_closed(conn - FEED, now),
                        }
                    }
                }
            }
        }
        // Timers, then anything they produced.
        let now = clock.now_ns();
        if engine.poll_timeout().is_some_and(|t| t <= now) {
            engine.handle_timeout(now);
        }
        transmit(&mut engine, &mut ring, &sockets, clock)?;

        let status = Status {
            counters: engine.counters(),
            venue: engine.venue_state(),
            unresolved: engine.orders().unresolved(),
            metrics: &metrics,
            hot_path_allocations: hot_allocs,
        };
        if let Some(publisher) = &mut publisher {
            let before = alloc_count::allocations();
            let snapshot = Snapshot {
                counters: *status.counters,
                unresolved: status.unresolved as u64,
                events_dropped: engine.events_dropped(),
                hot_path_allocations: hot_allocs,
                venue: status.venue,
                market: engine.market_state(),
                kill: engine.gate().killed(),
                position: engine.ledger().position(),
                pnl: [engine.ledger().realized(), engine.ledger().marked()].map(saturate),
                money_decimals,
                nodes: engine.node_stats().len(),
                node: NodeCounts::of(engine.node_stats()),
            };
            publisher.publish(&snapshot, engine.node_stats());
            if status.venue == VenueState::Trading {
                hot_allocs += alloc_count::allocations() - before;
            }
        }
        match control.turn(&status) {
            Command::Continue => {}
            Command::Kill => engine.kill(now),
            Command::Shutdown if !shutting_down => {
                shutting_down = true;
                engine.shutdown(now);
                for socket in sockets.iter_mut().skip(FEED) {
                    socket.close_requested = true;
                }
                transmit(&mut engine, &mut ring, &sockets, clock)?;
            }
            Command::Shutdown => {}
        }
        if shutting_down && engine.is_finished() && sockets.iter().all(|s| s.fd.is_none()) {
            break;
        }
        // Idle: the fire path runs dry, down to a NOP through the ring
        // and the venue's send buffer, and nothing of it is sent.
        let now = clock.now_ns();
        if let Some(every) = warm_every_ns
            && !busy
            && now >= next_warm
            && engine.venue_state() == VenueState::Trading
        {
            next_warm = now.saturating_add(every);
            let before = alloc_count::allocations();
            if engine.warm(now) && sockets[VENUE].fd.is_some() {
                ring.warm(VENUE);
            }
            hot_allocs += alloc_count::allocations() - before;
        }
        if plan.spin {
            ring.submit(0).map_err(|e| format!("io_uring: {e}"))?;
            continue;
        }
        // The next dry run is a deadline only while trading: otherwise it
        // lies in the past and would wake the loop at once.
        let trading = engine.venue_state() == VenueState::Trading;
        let warm_due = warm_every_ns.filter(|_| trading).map(|_| next_warm);
        let due = engine.poll_timeout().into_iter().chain(warm_due).min();
        let wait = due.map_or(MAX_WAIT, |t| Duration::from_nanos(t.saturating_sub(clock.now_ns())).min(MAX_WAIT));
        ring.submit_and_wait_for(wait.max(Duration::from_micros(1))).map_err(|e| format!("io_uring: {e}"))?;
    }
    Ok(Report {
        counters: *engine.counters(),
        unresolved: engine.orders().unresolved(),
        metrics,
        hot_path_allocations: counting.then_some(hot_allocs),
        events_dropped: engine.events_dropped(),
        venue_offset_ns: engine.venue_offset_ns(),
        cipher_suite: engine.link().handshake().report().suite.unwrap_or("none negotiated"),
        tls: engine.link().handshake().report().clone(),
        multishot: ring.multishot(),
        nodes: engine.node_stats().to_vec(),
        ledger: engine.ledger().clone(),
    })
}

/// Moves whatever the engine has to send into the ring and submits it;
/// returns the submit time when venue bytes left.
fn transmit(
    engine: &mut Engine<'_, Client<'_>, &Clock>,
    ring: &mut Ring,
    sockets: &[Socket],
    clock: &Clock,
) -> Result<Option<u64>, String> {
    let mut venue_sent = false;
    let feeds = (0..sockets.len().saturating_sub(FEED)).map(|node| (FEED + node, Stream::Feed(node)));
    for (conn, stream) in [(VENUE, Stream::Venue), (MARKET, Stream::Market)].into_iter().chain(feeds) {
        if sockets[conn].fd.is_none() || sockets[conn].closing {
            continue;
        }
        let now = clock.now_ns();
        let Some(buf) = ring.send_buffer(conn) else { continue };
        if let Some(n) = engine.poll_transmit(now, stream, buf) {
            ring.send(conn, n).map_err(|e| format!("io_uring send: {e:?}"))?;
            venue_sent |= conn == VENUE;
        }
    }
    ring.submit(0).map_err(|e| format!("io_uring: {e}"))?;
    Ok(venue_sent.then(|| clock.ticks()))
}

/// One sample for the summary and, when served, the live board.
fn record(metrics: &mut Metrics, live: Option<&Live>, stage: Stage, ns: u64) {
    metrics.record(stage, ns);
    if let Some(live) = live {
        live.record(stage, ns);
    }
}

fn record_stages(metrics: &mut Metrics, live: Option<&Live>, clock: &Clock, s: &Stages, submitted: u64) {
    for (stage, ns) in stage_ns(clock, s) {
        record(metrics, live, stage, ns);
    }
    if submitted >= s.sealed {
        record(metrics, live, Stage::Submit, clock.ticks_to_ns(submitted - s.sealed));
        record(metrics, live, Stage::TickToWire, clock.ticks_to_ns(submitted - s.start));
    }
}

/// The durations of an order's stages inside the engine, from its stamps:
/// feed decode to seal (the host adds submit and the end-to-end figure).
pub fn stage_ns(clock: &Clock, s: &Stages) -> [(Stage, u64); 6] {
    let ns = |from: u64, to: u64| clock.ticks_to_ns(to.saturating_sub(from));
    [
        (Stage::FeedDecode, ns(s.start, s.decoded)),
        (Stage::Strategy, ns(s.decoded, s.decided)),
        (Stage::Risk, ns(s.decided, s.checked)),
        (Stage::Sign, ns(s.checked, s.signed)),
        (Stage::Frame, ns(s.signed, s.framed)),
        (Stage::Seal, ns(s.framed, s.sealed)),
    ]
}

/// Lots × ticks as a metrics word, pinned at the ends.
fn saturate(units: i128) -> i64 {
    i64::try_from(units).unwrap_or(if units < 0 { i64::MIN } else { i64::MAX })
}

/// One binary log record per event worth keeping. No secret is in any
/// event, so none can reach the log.
fn log_event(event: &Event) {
    match event {
        Event::FeedConnect { node } => defmt::info!("feed {=usize}: connecting", *node),
        Event::FeedUp { node } => defmt::info!("feed {=usize}: subscribed", *node),
        Event::FeedGap { node, expected, got, covered } => defmt::warn!(
            "feed {=usize}: gap, expected {=u32} got {=u32}, covered by another node: {=bool}",
            *node,
            *expected,
            *got,
            *covered
        ),
        Event::FeedRestart { node, covered } => {
            defmt::warn!("feed {=usize}: node restarted, covered by another node: {=bool}", *node, *covered)
        }
        Event::FeedOversized { node, len } => {
            defmt::warn!("feed {=usize}: skipped a {=u64}-byte transaction", *node, *len)
        }
        Event::FeedFailed { node, .. } => defmt::error!("feed {=usize}: protocol error", *node),
        Event::FeedSilent { node } => defmt::warn!("feed {=usize}: silent", *node),
        Event::VenueConnect => defmt::info!("venue: connecting"),
        Event::VenueClose => defmt::info!("venue: closing the connection"),
        Event::VenueState(s) => defmt::info!("venue: {=str}", venue_state_name(*s)),
        Event::VenueLost { delay_ns, .. } => defmt::warn!("venue: lost, reconnecting in {=u64} ns", *delay_ns),
        Event::Rotating => defmt::info!("venue: rotating the connection"),
        Event::ClockOffset { offset_ns } => defmt::info!("venue: clock offset {=i64} ns", *offset_ns),
        Event::Suppressed { .. } => defmt::info!("whale suppressed"),
        Event::Skipped { .. } => defmt::warn!("signal skipped"),
        Event::Risk(_) => defmt::warn!("risk gate event"),
        Event::OrderSent { client_order_id, qty, .. } => {
            defmt::info!("order {=u64} sent, qty {=u64}", *client_order_id, *qty);
        }
        Event::OrderAcked { client_order_id, rtt_ns, .. } => {
            defmt::info!("order {=u64} acked in {=u64} ns", *client_order_id, *rtt_ns);
        }
        Event::OrderRejected { client_order_id, code } => {
            defmt::warn!("order {=u64} rejected: {=i32}", *client_order_id, *code);
        }
        Event::OrderUnknown { client_order_id, .. } => defmt::warn!("order {=u64} outcome unknown", *client_order_id),
        Event::OrderReconciled { client_order_id, placed } => {
            defmt::info!("order {=u64} reconciled, placed: {=bool}", *client_order_id, *placed);
        }
        Event::Filled { fill, position, .. } => defmt::info!(
            "fill: trade {=u64}, {=u64} lots at {=u64} ticks, position {=i64}",
            fill.trade_id,
            fill.qty,
            fill.price,
            *position
        ),
        Event::FillRepeated { trade_id } => defmt::info!("fill: trade {=u64} repeated, not counted", *trade_id),
        Event::OrderDone { client_order_id, filled, filled_qty } => defmt::info!(
            "order {=u64} done, filled in full: {=bool}, {=u64} lots",
            *client_order_id,
            *filled,
            *filled_qty
        ),
        Event::FillsRecovered { recovered, complete } => {
            defmt::info!("fills: {=u64} recovered after the reconnect, complete: {=bool}", *recovered, *complete)
        }
        Event::BalancesRefused { code } => defmt::warn!("venue: account.status refused with {=i32}", *code),
        Event::VenueLogout { text } => defmt::warn!("venue: logged out: {=str}", text.as_str()),
        Event::FillsMissing { client_order_id, qty } => defmt::warn!(
            "order {=u64}: {=u64} lots executed without a fill report (lost with a connection); position counts them, the ledger does not",
            *client_order_id,
            *qty
        ),
        Event::OpenOrdersListed { held, others } => defmt::info!(
            "venue: {=u32} of the orders held open are still open; {=u32} other open orders on the symbol",
            *held,
            *others
        ),
        Event::OpenOrdersRefused { code } => {
            defmt::warn!("venue: open orders not listed ({=i32}): each order held open is asked", *code)
        }
        Event::CancelAllSent => defmt::warn!("kill switch: cancelling every open order"),
        Event::CancelAllAnswered { refused: None } => defmt::info!("kill switch: open orders cancelled"),
        Event::CancelAllAnswered { refused: Some(code) } => {
            defmt::info!("kill switch: cancel-all answered {=i32} (-2011: none open)", *code)
        }
        Event::RateLimited { until_ns } => defmt::warn!("venue: rate limited until {=u64}", *until_ns),
        Event::UnmatchedResponse { status } => defmt::warn!("venue: unmatched response {=u16}", *status),
        Event::BadFrame(_) => defmt::warn!("venue: unreadable frame"),
        Event::MarketConnect => defmt::info!("market: connecting"),
        Event::MarketClose => defmt::info!("market: closing the connection"),
        Event::MarketState(s) => defmt::info!("market: {=str}", crate::metrics::exposition::market_label(*s)),
        Event::MarketLost { delay_ns, .. } => defmt::warn!("market: lost, reconnecting in {=u64} ns", *delay_ns),
        Event::BadMarketFrame(_) => defmt::warn!("market: unreadable frame"),
        Event::MarketErrorMessage { text } => defmt::warn!("market: the feed's error: {=str}", text.as_str()),
    }
}

/// A venue state's name for logs and progress lines.
pub fn venue_state_name(state: VenueState) -> &'static str {
    match state {
        VenueState::Connecting => "connecting",
        VenueState::Tls => "tls",
        VenueState::Upgrading => "upgrading",
        VenueState::LoggingOn => "logging on",
        VenueState::Syncing => "syncing",
        VenueState::Trading => "trading",
        VenueState::Draining => "draining",
        VenueState::Closing => "closing",
        VenueState::Backoff => "backoff",
        VenueState::Closed => "closed",
    }
}
