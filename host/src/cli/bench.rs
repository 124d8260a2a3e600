//! `hotline bench`: this machine turns into latency figures that qualify it. A
//! fixed count of whale notifications runs through four in-process pipelines
//! (hotline's engine, hotline pre-armed, pre-armed and pre-sealed, and the
//! conventional Rust stack; see
//! [`hotline::lab::bench`]), each iteration timed alone into a histogram, after
//! a warm-up; hotline's and the baseline's orders are checked to be signed byte
//! for byte alike. Then the real io_uring loop trades against the simulated
//! exchange over loopback, fed by the libzmq replayer, until enough orders are
//! acknowledged: its wire-to-ack round trip and the engine's own tick-to-wire
//! in the same run. The result is a table, or one JSON object with `--json`;
//! `--plot` draws the four latency distributions as percentile curves in an
//! SVG. With `--venue coinbase` hotline's engine sends FIX NewOrderSingles
//! to an in-memory FIX responder instead (issue 16); the pre-armed
//! pipelines, the baseline and the round trip, all Binance-shaped, are not
//! run.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hotline::clock::Clock;
use hotline::driver::{self, Command, Control, Report, Status};
use hotline::lab::bench::{self, Exchange, report};
use hotline::lab::paper;
use hotline::metrics::Stage;
use hotline::net::ring::RingConfig;
use hotline_core::engine::Settings;
use hotline_core::sign::HmacKey;
use hotline_core::venue::binance::Auth;
use hotline_replay::{Pace, PlayConfig, Player, capture};
use hotline_sim::{Sim, SimConfig};
use serde_json::{Value, json};

use super::cpu;

/// Options of `hotline bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Orders timed per in-process pipeline (after a tenth as many to warm up).
    #[arg(long, default_value_t = 50_000)]
    count: u64,
    /// Orders acknowledged in the loopback round trip.
    #[arg(long, default_value_t = 60)]
    rtt_count: u64,
    /// Skip the loopback round trip (no sockets, no simulator).
    #[arg(long)]
    skip_rtt: bool,
    /// In the round trip, busy-poll for completions instead of sleeping in
    /// the kernel (keeps the engine's core warm; takes a whole CPU).
    #[arg(long)]
    spin: bool,
    /// In the round trip, submit with a kernel polling thread (io_uring
    /// SQPOLL): the send leaves the engine's thread.
    #[arg(long)]
    sqpoll: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Write the latency distributions to this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
    /// The sparse run's gap between whales, microseconds (real whales come
    /// a few a minute and find the path cold); 0 skips it.
    #[arg(long, default_value_t = 10_000, value_name = "US")]
    gap_us: u64,
    /// Whales per pipeline in the sparse run.
    #[arg(long, default_value_t = 1_000)]
    sparse_count: u64,
    /// KiB of memory swept at the start of each gap, standing for the rest
    /// of the machine's work.
    #[arg(long, default_value_t = 0, value_name = "KB")]
    pollute_kb: usize,
    /// In the sparse run, hotline's dry runs of the fire path while it
    /// waits: one every this many microseconds (`host.warm_interval_us`).
    #[arg(long, default_value_t = hotline::driver::WARM_INTERVAL_US, value_name = "US")]
    warm_us: u64,
    /// Nodes hotline's in-process engine reads (1 to 4): each whale comes
    /// first from node 0 and its copies from the others after its order is
    /// out, so the figures include feed fusion.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=hotline_core::engine::MAX_NODES as i64))]
    nodes: u8,
    /// The venue hotline's engine trades on in process: Binance's
    /// WebSocket API, or Coinbase's FIX order entry (hotline's engine
    /// alone; no pre-armed pipelines, baseline or round trip).
    #[arg(long, value_enum, default_value_t = Exchange::Binance)]
    venue: Exchange,
    /// Orders per whale, a tick apart, sent as one NewOrderBatch (1 to 15;
    /// `--venue coinbase` only): tick-to-wire is the batch's.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=15))]
    ladder: u8,
}

/// Give up on the round trip after this long.
const RTT_TIMEOUT: Duration = Duration::from_secs(60);
/// The capture's whales each loop that become orders without a watch list.
const WHALES_PER_LOOP: u64 = 3;
/// Loops played beyond those `--rtt-count` needs.
const SPARE_LOOPS: u64 = 10;

pub(crate) fn run(args: &Args) -> Result<(), String> {
    if args.count == 0 {
        return Err("--count must be at least 1".to_owned());
    }
    if args.ladder > 1 && args.venue != Exchange::Coinbase {
        return Err("--ladder: batches are Coinbase's (--venue coinbase); Binance places one order per request".into());
    }
    let clock = Clock::new();
    let started = Instant::now();
    let progress = |what: &str| {
        if !args.json {
            eprintln!("hotline bench: {what} ({:.1} s)", started.elapsed().as_secs_f64());
        }
    };
    progress(&format!(
        "{} orders per pipeline on {}, {} node(s), clock {}",
        args.count,
        args.venue.name(),
        args.nodes,
        clock.source()
    ));
    let runs = report::in_process(args.venue, args.count, &clock, usize::from(args.nodes), args.ladder)?;
    progress("in-process pipelines back to back done");
    let sparse = if args.gap_us == 0 || args.sparse_count == 0 {
        None
    } else {
        let gap = report::Gap {
            every: Duration::from_micros(args.gap_us),
            pollute_kb: args.pollute_kb,
            warm_every: Duration::from_micros(args.warm_us.max(1)),
        };
        let pipelines = if args.venue.has_conventional() { 6 } else { 3 };
        progress(&format!(
            "sparse: {} whales per pipeline, {} µs apart (about {:.0} s)",
            args.sparse_count,
            args.gap_us,
            (args.sparse_count * pipelines * args.gap_us) as f64 / 1e6
        ));
        let nodes = usize::from(args.nodes);
        let sparse = report::sparse(args.venue, args.sparse_count, &clock, nodes, args.ladder, gap)?;
        progress("sparse pipelines done");
        Some(sparse)
    };
    // The round trip runs against the simulated Binance exchange.
    let rtt = if args.skip_rtt || args.venue != Exchange::Binance {
        None
    } else {
        let ring = RingConfig::with_sqpoll(args.sqpoll);
        let report = round_trip(args.rtt_count, ring, args.spin, &clock)?;
        progress("loopback round trip done");
        Some(report)
    };
    if let Some(path) = &args.plot {
        runs.plot(path).map_err(|e| format!("--plot {}: {e}", path.display()))?;
    }
    if args.json {
        let mut out = runs.json();
        let (rtt_ns, engine_ns) = match &rtt {
            Some(r) => (
                report::quantiles_json(r.metrics.quantiles(Stage::WireToAck)),
                report::STAGES
                    .iter()
                    .map(|s| (s.name().to_owned(), report::quantiles_json(r.metrics.quantiles(*s))))
                    .collect(),
            ),
            None => (Value::Null, Value::Null),
        };
        out["sparse"] = sparse.as_ref().map_or(Value::Null, report::Sparse::json);
        out["rtt_ns"] = rtt_ns;
        out["rtt_engine_ns"] = engine_ns;
        out["cpu"] = cpu_json();
        out["clock"] = clock.source().into();
        out["nodes"] = args.nodes.into();
        println!("{out}");
    } else {
        print!("{}", runs.table());
        if let Some(sparse) = &sparse {
            print!("{}", sparse.table());
        }
        match &rtt {
            Some(r) => {
                let q = |stage| r.metrics.quantiles(stage);
                let (rtt, t2w) = (q(Stage::WireToAck), q(Stage::TickToWire));
                println!(
                    "loopback round trip vs the simulated exchange ({} orders): p50 {} p99 {}; \
                     the engine's tick-to-wire in it: p50 {} p99 {}",
                    rtt.map_or(0, |q| q.count),
                    report::human(rtt.map(|q| q.p50)),
                    report::human(rtt.map(|q| q.p99)),
                    report::human(t2w.map(|q| q.p50)),
                    report::human(t2w.map(|q| q.p99)),
                );
            }
            None if args.venue != Exchange::Binance => {
                println!("loopback round trip: skipped (it trades against the simulated Binance exchange)");
            }
            None => println!("loopback round trip: skipped"),
        }
        let features: Vec<&str> = cpu::features().into_iter().filter(|(_, on)| *on).map(|(n, _)| n).collect();
        println!(
            "cpu: {} [{}], sha256: {}, aes-gcm: {}, clock: {}",
            cpu::model(),
            features.join(" "),
            hotline_core::sign::backend().name(),
            hotline_core::tls::aes_gcm_backend(),
            clock.source()
        );
    }
    Ok(())
}

/// The engine's loop against the simulated exchange until `count` orders
/// are acknowledged.
fn round_trip(count: u64, ring: RingConfig, spin: bool, clock: &Clock) -> Result<Report, String> {
    // The venue's 50-per-10-s order limit would turn the run into a rate
    // limit test.
    let config = SimConfig { orders_per_10s: u32::MAX, ..SimConfig::default() };
    let sim = Sim::start(config).map_err(|e| format!("simulated exchange: {e}"))?;
    let entries = capture::parse(hotline_replay::demo_capture_text())?;
    let per_loop = entries.len() as u64;
    // Whales published before the session trades are skipped: spare loops.
    let loops = u32::try_from(count.div_ceil(WHALES_PER_LOOP) + SPARE_LOOPS).map_err(|_| "--rtt-count is too large")?;
    let player = Player::start(
        entries,
        PlayConfig { pace: Pace::Scaled(30.0), loops, wait_subscriber: true, ..PlayConfig::default() },
    )?;
    let feed = paper::feed_addr(player.endpoint())?;
    let key = HmacKey::new(bench::SECRET.as_bytes());
    let host = sim.addr().to_string();
    let settings = Settings {
        max_tx_bytes: bench::MAX_TX_BYTES,
        nodes: 1,
        ..paper::settings(&host, Auth::Hmac { api_key: bench::API_KEY, key: &key }, clock)
    };
    let plan = paper::plan(&sim, vec![feed], ring, spin);
    let mut control =
        UntilAcked { count, player: &player, published: per_loop * u64::from(loops), started: Instant::now() };
    let report = driver::run(&plan, settings, bench::rules(), bench::limits(), clock, &mut control)?;
    player.stop()?;
    sim.shutdown();
    report.check()?;
    let acked = report.counters.orders_acked;
    if acked < count {
        return Err(format!("the round trip ended after {acked} of {count} acknowledgements: {:?}", report.counters));
    }
    Ok(report)
}

/// Stops the loop once enough orders are acknowledged, or the replayer
/// is done, and no order is open.
struct UntilAcked<'a> {
    count: u64,
    player: &'a Player,
    published: u64,
    started: Instant,
}

impl Control for UntilAcked<'_> {
    fn turn(&mut self, status: &Status<'_>) -> Command {
        let enough = status.counters.orders_acked >= self.count || self.player.progress() >= self.published;
        if (enough && status.unresolved == 0) || self.started.elapsed() > RTT_TIMEOUT {
            Command::Shutdown
        } else {
            Command::Continue
        }
    }
}

/// The processor and the dispatched paths the figures were taken on.
fn cpu_json() -> Value {
    let features: serde_json::Map<String, Value> =
        cpu::features().into_iter().map(|(name, present)| (name.to_owned(), present.into())).collect();
    json!({
        "model": cpu::model(),
        "features": features,
        "sha256_backend": hotline_core::sign::backend().name(),
        "sign_lanes": hotline_core::sign::lanes(),
        "aes_gcm_backend": hotline_core::tls::aes_gcm_backend(),
    })
}
