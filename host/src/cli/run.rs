//! `hotline run --config FILE`: a configuration file turns into the engine
//! trading as configured, and its end into a summary. The config (`hotline
//! check-config` validates the same way) names the node, the venue and its
//! trust anchors, the keys (by environment variable or 0600 file), the
//! instrument, strategy and risk limits, and this machine's tuning. Paper
//! trading is the default: a `live` venue needs `--live`, and the banner says
//! which it is. SIGINT/SIGTERM drain and stop (a second one exits at once),
//! SIGUSR1 prints the running summary, and the summary at the end says whether
//! any order was lost.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use base64::Engine as _;
use hotline::clock::Clock;
use hotline::config::{self, Encoding, MarketStream, Network, SecretKey, VenueKind};
use hotline::driver::{self, Command, Control, MarketPlan, Plan, Status};
use hotline::log::LogFile;
use hotline::metrics;
use hotline::net::ring::RingConfig;
use hotline::net::socket;
use hotline::signals::Signals;
use hotline::tls::Versions;
use hotline::tune;
use hotline_core::engine::{BookPricing, Pricing, Settings, VenueState};
use hotline_core::sign::{Ed25519Key, HmacKey};
use hotline_core::strategy::whale::WatchEntry;
use hotline_core::venue::binance::Auth;
use hotline_core::venue::coinbase::logon::Credentials;

/// Options of `hotline run`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The configuration file (see config/hotline.example.toml).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Trade on a live venue with real money. Required when
    /// venue.network = "live", refused otherwise.
    #[arg(long)]
    live: bool,
    /// Print the final summary as one JSON object.
    #[arg(long)]
    json: bool,
    /// Serve /metrics and /health here instead of at host.metrics_listen
    /// (a loopback address unless host.metrics_public = true).
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<SocketAddr>,
}

pub(crate) fn run(args: &Args, logging: bool) -> Result<(), String> {
    let config = config::load(&args.config)?;
    // host.log_file applies when --log-file did not already start a log.
    let log = match (&config.host.log_file, logging) {
        (Some(path), false) => {
            Some(LogFile::start(path).map_err(|e| format!("host.log_file {}: {e}", path.display()))?)
        }
        _ => None,
    };
    let result = trade(args, &config);
    if let Some(log) = log {
        let path = log.path().display().to_string();
        let summary = log.finish().map_err(|e| format!("log: {e}"))?;
        eprintln!("binary log: {path} ({} bytes, {} frames dropped)", summary.bytes, summary.dropped);
    }
    result
}

fn trade(args: &Args, config: &config::Config) -> Result<(), String> {
    match (config.is_live(), args.live) {
        (true, false) => {
            return Err("venue.network is \"live\": orders would trade real money; pass --live to mean it".to_owned());
        }
        (false, true) => {
            return Err(format!(
                "--live given, but venue.network is \"{}\": set network = \"live\" in the config as well",
                config.venue.network.name()
            ));
        }
        _ => {}
    }
    if let Some(addr) = args.metrics_listen.filter(|a| !a.ip().is_loopback() && !config.host.metrics_public) {
        return Err(format!("--metrics-listen: {addr} is not a loopback address and host.metrics_public is not set"));
    }
    let metrics_listen = args.metrics_listen.or(config.host.metrics_listen);
    let secrets = config.secrets()?;
    let url = config.venue.wss_url().map_err(|e| format!("venue.url: {e}"))?;
    // DNS once, before the loop.
    let mut feeds = Vec::new();
    for ((field, endpoint), (host, port)) in config.node.endpoints().into_iter().zip(config.node.host_ports()?) {
        let addr = socket::resolve(&format!("{host}:{port}")).map_err(|e| format!("{field}: {e}"))?;
        feeds.push((endpoint, addr));
    }
    let venue = socket::resolve(&format!("{}:{}", url.host, url.port)).map_err(|e| format!("venue.url: {e}"))?;
    let market = config.market_stream()?;
    let market_url = market.as_ref().map(MarketStream::wss_url).transpose().map_err(|e| format!("market.url: {e}"))?;
    let market_addr = match &market_url {
        Some(u) => Some(socket::resolve(&format!("{}:{}", u.host, u.port)).map_err(|e| format!("market.url: {e}"))?),
        None => None,
    };

    let mode = match config.venue.network {
        Network::Live => "LIVE TRADING: real orders, real money",
        Network::Testnet => "paper trading on the venue's testnet",
        Network::Sim => "paper trading against the simulated exchange",
    };
    eprintln!("hotline run: {mode}");
    eprintln!("  venue {} ({venue}), symbol {}", config.venue.url, config.instrument.symbol);
    match (&market, market_addr) {
        (Some(m), Some(addr)) => eprintln!(
            "  market {} ({addr}): orders priced {} ticks through the touch, from a book at most {} ms old",
            m.url,
            m.offset_ticks,
            m.max_age_ns / 1_000_000
        ),
        _ => eprintln!("  fixed prices from [instrument] (no [market] table)"),
    }
    for (node, (endpoint, addr)) in feeds.iter().enumerate() {
        eprintln!("  node {node}: {endpoint} ({addr})");
    }
    if let Some(addr) = metrics_listen {
        eprintln!("  metrics: http://{addr}/metrics, health: http://{addr}/health");
    }
    for step in tune::apply(&config.host.tuning()) {
        eprintln!("  {step}");
    }
    for line in config.host.profile() {
        eprintln!("  {line}");
    }

    let hmac;
    let ed25519;
    let venue_settings = match (config.venue.kind, &secrets.key) {
        (VenueKind::Binance, SecretKey::Hmac(secret)) => {
            hmac = HmacKey::new(secret);
            config.venue_settings(Auth::Hmac { api_key: &secrets.api_key, key: &hmac })
        }
        (VenueKind::Binance, SecretKey::Ed25519(seed)) => {
            ed25519 = Ed25519Key::from_seed(seed);
            config.venue_settings(Auth::Ed25519 { api_key: &secrets.api_key, key: &ed25519 })
        }
        (VenueKind::Coinbase, SecretKey::Hmac(secret)) => {
            // Coinbase signs with the secret's base64-decoded bytes.
            let decoded =
                zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(secret).map_err(|e| {
                    format!("auth.secret_env/auth.secret_file: a Coinbase API secret is base64 text ({e})")
                })?);
            hmac = HmacKey::new(&decoded);
            let passphrase =
                secrets.passphrase.as_deref().ok_or("auth.passphrase_env: Coinbase needs the passphrase")?;
            let creds = Credentials { api_key: &secrets.api_key, passphrase, secret: &hmac };
            config.coinbase_settings(creds, u64::from_ne_bytes(hotline::entropy()?))
        }
        (VenueKind::Coinbase, SecretKey::Ed25519(_)) => {
            return Err("auth.mode: must be \"hmac\" with venue.kind = \"coinbase\"".to_owned());
        }
    };
    let scripts = config.strategy.watch_scripts()?;
    let watch: Vec<WatchEntry<'_>> = scripts.iter().map(|(script, kind)| WatchEntry { script, kind: *kind }).collect();
    let clock = Clock::new();
    let host = host_header(url.host, url.port);
    let market_host = market_url.as_ref().map(|u| host_header(u.host, u.port)).unwrap_or_default();
    let api_key_header = [("X-MBX-APIKEY", secrets.api_key.as_str())];
    let pricing = match (&market, &market_url) {
        (Some(m), Some(u)) => Pricing::Book(BookPricing {
            offset_ticks: m.offset_ticks,
            max_age_ns: m.max_age_ns,
            feed: m.feed,
            host: &market_host,
            path: u.path,
            headers: if m.encoding == Encoding::Sbe { &api_key_header } else { &[] },
            symbol: &config.instrument.symbol,
            scale: config.instrument.core().scale(),
        }),
        _ => {
            let (limit, reference) = config.instrument.fixed_prices();
            Pricing::Fixed { limit, reference }
        }
    };
    let v = &config.venue;
    let settings = Settings {
        host: &host,
        path: url.path,
        venue: venue_settings,
        sizing: config.strategy.sizing(),
        ladder: config.strategy.ladder(),
        pricing,
        max_tx_bytes: config.node.max_tx_bytes,
        nodes: feeds.len(),
        timers: config.timers(),
        unix_offset_ns: i64::try_from(clock.unix_offset_ns()).unwrap_or(0),
        first_client_order_id: driver::first_client_order_id(config.instrument.client_order_id_digits),
        user_data: config.venue.user_data,
    };
    let plan = Plan {
        feeds: feeds.iter().map(|(_, addr)| *addr).collect(),
        venue,
        server_name: url.host.to_owned(),
        ca: v.ca_certs()?,
        pins: v.pins()?,
        aes256: matches!(v.suite, config::Suite::Aes256),
        // Coinbase documents TLS 1.2 for its FIX gateways; Binance speaks 1.3.
        versions: match v.kind {
            VenueKind::Binance => Versions::Tls13,
            VenueKind::Coinbase => Versions::Tls12AndTls13,
        },
        sockets: config.host.socket_options(),
        ring: RingConfig::with_sqpoll(config.host.sqpoll),
        spin: config.host.spin,
        warm_every: config.host.warm_every(),
        metrics_listen,
        market: market_addr.zip(market_url).map(|(addr, u)| MarketPlan { addr, server_name: u.host.to_owned() }),
    };
    let signals = Signals::install().map_err(|e| format!("signals: {e}"))?;
    let mut control = RunControl { signals: &signals, venue: None, since: Instant::now(), stopping: false };
    let report = driver::run(&plan, settings, config.strategy.rules(&watch), config.limits(), &clock, &mut control)?;
    let counters = report.summary_counters();
    if args.json {
        println!("{}", metrics::summary_json(&report.metrics, &counters));
    } else {
        println!("{}", metrics::summary_table(&report.metrics, &counters));
    }
    report.check()
}

/// The `Host` header of a WebSocket upgrade: the name, with the port
/// unless it is 443.
fn host_header(host: &str, port: u16) -> String {
    if port == 443 { host.to_owned() } else { format!("{host}:{port}") }
}

/// Stops on SIGINT/SIGTERM, prints the summary on SIGUSR1, and reports
/// the venue session's changes.
struct RunControl<'a> {
    signals: &'a Signals,
    venue: Option<VenueState>,
    since: Instant,
    stopping: bool,
}

impl Control for RunControl<'_> {
    fn signature_rejected(&mut self, client_order_id: u64, payload: &[u8]) {
        eprintln!(
            "hotline run: order {client_order_id}: the venue refused its signature (-1022); the kill switch is \
             engaged. hotline signed this payload:\n  {}\ncheck it with `hotline sign --venue binance --secret-env VAR \
             --params '…'`",
            String::from_utf8_lossy(payload)
        );
    }

    fn turn(&mut self, status: &Status<'_>) -> Command {
        if self.venue != Some(status.venue) {
            self.venue = Some(status.venue);
            eprintln!(
                "hotline run: venue {} ({:.1} s in)",
                driver::venue_state_name(status.venue),
                self.since.elapsed().as_secs_f64()
            );
        }
        if self.signals.take_dump() {
            let counters = status.summary_counters();
            eprintln!("{}", metrics::summary_table(status.metrics, &counters));
        }
        if self.signals.stop_requested() {
            if !self.stopping {
                self.stopping = true;
                eprintln!("hotline run: stopping: draining outstanding orders (a second signal exits at once)");
            }
            return Command::Shutdown;
        }
        Command::Continue
    }
}
