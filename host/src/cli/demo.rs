//! `hotline demo`: nothing but this binary turns into a paper run of the
//! whole engine on one machine, and that run into a latency table and an
//! order accounting. It starts the simulated exchange (`hotline-sim`:
//! rustls + tungstenite, its own CA, the documented HMAC test key) and the
//! mempool replayer (`hotline-replay`: a real libzmq PUB on loopback
//! playing the capture built into the binary), runs the engine against them
//! in paper mode with the simulator's CA pinned, shows a progress line, and
//! ends with the per-stage latency table and the order accounting. Every
//! order the engine sent must be acknowledged, rejected or reconciled, and
//! the simulator's journal must agree: otherwise the demo fails.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hotline::clock::Clock;
use hotline::driver::{self, Command, Control, Report, Status};
use hotline::lab::paper;
use hotline::metrics;
use hotline::net::ring::RingConfig;
use hotline::signals::Signals;
use hotline_core::risk::{Limits, RateLimit};
use hotline_core::sign::HmacKey;
use hotline_core::strategy::whale::{Rules, WatchEntry, WatchKind};
use hotline_core::venue::binance::Auth;
use hotline_replay::{Pace, PlayConfig, Player, capture};
use hotline_sim::{DOC_API_KEY, DOC_SECRET_KEY, Sim, SimConfig};
use sha2::{Digest, Sha256};

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
    /// Give up waiting for the run to finish after this many seconds.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
}

pub(crate) fn run(args: &Args, log: Option<&std::path::Path>) -> Result<(), String> {
    let journal = std::env::temp_dir().join(format!("hotline-demo-{}.jsonl", std::process::id()));
    let sim = Sim::start(SimConfig { journal: Some(journal.clone()), ..SimConfig::default() })
        .map_err(|e| format!("simulated exchange: {e}"))?;
    let entries = capture::parse(hotline_replay::demo_capture_text())?;
    let per_loop = entries.len() as u64;
    let player = Player::start(
        entries,
        PlayConfig { pace: Pace::Scaled(args.speed), loops: args.loops, hwm: 100_000, ..PlayConfig::default() },
    )?;
    let feed: SocketAddr = player
        .endpoint()
        .strip_prefix("tcp://")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("replayer endpoint {}", player.endpoint()))?;
    if !args.json {
        eprintln!("hotline demo: paper mode against the simulated exchange at {}", sim.url());
        eprintln!("  mempool feed: {} (bundled capture × {})", player.endpoint(), args.loops);
    }

    let key = HmacKey::new(DOC_SECRET_KEY.as_bytes());
    let deposit = demo_exchange_script();
    let watch = [WatchEntry { script: &deposit, kind: WatchKind::ExchangeDeposit }];
    let rules = Rules { watch: &watch, cooldown_ns: 0, ..Rules::default() };
    let clock = Clock::new();
    let host = sim.addr().to_string();
    let settings = paper::settings(&host, Auth::Hmac { api_key: DOC_API_KEY, key: &key }, &clock);
    let limits = Limits {
        max_open_orders: 10_000,
        short_rate: RateLimit { capacity: 50, window_ns: 10_000_000_000 },
        ..Limits::new(1_000, u128::MAX, 1_000_000)
    };
    let ring = RingConfig::with_sqpoll(args.sqpoll);
    let plan = paper::plan(&sim, vec![feed], ring, args.spin);
    let signals = Signals::install().map_err(|e| format!("signals: {e}"))?;
    let mut control = DemoControl {
        player: &player,
        total: per_loop * u64::from(args.loops),
        signals: &signals,
        progress: !args.json,
        last_line: Instant::now(),
        started: Instant::now(),
        timeout: Duration::from_secs(args.timeout_secs),
        drained_since: None,
    };
    let report = driver::run(&plan, settings, rules, limits, &clock, &mut control)?;
    if control.progress {
        eprintln!();
    }
    let published = player.stop()?.published;
    let venue_accepted = sim.orders().len() as u64;
    sim.shutdown();
    summarize(args, &report, published, venue_accepted, &journal, log)
}

/// What the demo watches while the engine runs.
struct DemoControl<'a> {
    player: &'a Player,
    total: u64,
    signals: &'a Signals,
    progress: bool,
    last_line: Instant,
    started: Instant,
    timeout: Duration,
    drained_since: Option<Instant>,
}

impl Control for DemoControl<'_> {
    fn turn(&mut self, status: &Status<'_>) -> Command {
        if self.progress && self.last_line.elapsed() >= Duration::from_millis(200) {
            self.last_line = Instant::now();
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
        if self.signals.take_dump() {
            let counters =
                driver::summary_counters(status.counters, status.unresolved, Some(status.hot_path_allocations));
            eprintln!("\n{}", metrics::summary_table(status.metrics, &counters));
        }
        if self.signals.stop_requested() || self.started.elapsed() > self.timeout {
            return Command::Shutdown;
        }
        // Done when the capture is out, every order is settled, and the
        // feed has been quiet a moment (the last whale may be in flight).
        let done = self.player.progress() >= self.total && status.unresolved == 0;
        match (done, self.drained_since) {
            (true, None) => self.drained_since = Some(Instant::now()),
            (true, Some(t)) if t.elapsed() > Duration::from_millis(500) => return Command::Shutdown,
            (false, _) => self.drained_since = None,
            _ => {}
        }
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
    venue_accepted: u64,
    journal: &std::path::Path,
    log: Option<&std::path::Path>,
) -> Result<(), String> {
    let counters = report.summary_counters();
    let log_path = log.map(|p| p.display().to_string());
    if args.json {
        let mut json = metrics::summary_json(&report.metrics, &counters);
        json["published"] = published.into();
        json["venue_accepted"] = venue_accepted.into();
        json["hot_path_allocations"] = report.hot_path_allocations.into();
        json["cipher_suite"] = report.cipher_suite.into();
        json["multishot_receive"] = report.multishot.into();
        json["journal"] = journal.display().to_string().into();
        json["log_file"] = log_path.into();
        println!("{json}");
    } else {
        println!("{}", metrics::summary_table(&report.metrics, &counters));
        println!(
            "cipher suite: {}, receive: {}",
            report.cipher_suite,
            if report.multishot { "multishot" } else { "single-shot" }
        );
        println!("venue journal: {} ({venue_accepted} orders accepted)", journal.display());
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
    Ok(())
}
