//! `hotline-sim`: command-line front of the simulated exchange. Flags turn
//! into a [`hotline_sim::SimConfig`]; the process serves until killed and
//! prints its URL and the pins a client needs.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use hotline_sim::{Ed25519Key, Faults, HmacKey, MarketConfig, Sim, SimClock, SimConfig};

/// Simulated Binance Spot WebSocket API exchange over real TLS 1.3.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (port 0 picks one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
    /// Write the CA certificate (PEM) here, for the client to trust.
    #[arg(long, value_name = "FILE")]
    write_ca: Option<PathBuf>,
    /// JSON-lines journal of accepted orders (truncated at start-up).
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// Register an HMAC key as API_KEY:SECRET (replaces the docs' example key).
    #[arg(long, value_name = "API_KEY:SECRET")]
    hmac_key: Vec<String>,
    /// Register an Ed25519 key as API_KEY:PUBLIC_KEY_HEX.
    #[arg(long, value_name = "API_KEY:HEX")]
    ed25519_key: Vec<String>,
    /// Milliseconds added to the server clock.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    clock_skew_ms: i64,
    /// Server ping interval in milliseconds; 0 never pings.
    #[arg(long, default_value_t = 20_000)]
    ping_interval_ms: u64,
    /// ORDERS limit per 10 seconds.
    #[arg(long, default_value_t = 50)]
    orders_per_10s: u32,
    /// Reject new orders for this symbol with -2010 (repeatable).
    #[arg(long, value_name = "SYMBOL")]
    reject_symbol: Vec<String>,
    /// Fault: milliseconds added before every response.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Fault: drop the connection right after accepting the Nth order.
    #[arg(long, value_name = "N")]
    drop_after: Option<u64>,
    /// Fault: send serverShutdown after the Nth accepted order.
    #[arg(long, value_name = "N")]
    shutdown_after_orders: Option<u64>,
    /// Fault: send serverShutdown this many milliseconds after start-up.
    #[arg(long, value_name = "MS")]
    shutdown_after_ms: Option<u64>,
    /// Fault: split outgoing messages into frames of at most this many bytes.
    #[arg(long, value_name = "BYTES")]
    fragment: Option<usize>,
    /// Fault: extra pings after each scheduled ping.
    #[arg(long, default_value_t = 0)]
    ping_storm: u32,
    /// Fault: accept the Nth order but never answer it.
    #[arg(long, value_name = "N")]
    stall_order: Option<u64>,
    /// Fault: reject every Nth valid new order with -2010.
    #[arg(long, value_name = "N")]
    reject_every: Option<u64>,
    /// Fault: send a TLS KeyUpdate (update_requested) before every Nth
    /// message to a connection.
    #[arg(long, value_name = "N")]
    key_update_every: Option<u64>,
    /// Fault: never send every Nth user-data event of a connection.
    #[arg(long, value_name = "N")]
    drop_events_every: Option<u64>,
    /// Fault: hold every user-data event this many milliseconds.
    #[arg(long, default_value_t = 0)]
    event_delay_ms: u64,
    /// Fault: drop the connection instead of sending the TRADE
    /// executionReport of the Nth fill.
    #[arg(long, value_name = "N")]
    disconnect_before_trade_report: Option<u64>,
    /// Simulated symbol (upper case).
    #[arg(long, default_value = "BTCUSDT")]
    symbol: String,
    /// Seed of the price path.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Milliseconds between price path updates; 0 moves only on demand.
    #[arg(long, default_value_t = 100)]
    market_interval_ms: u64,
    /// Serve no market: every symbol's book is empty.
    #[arg(long)]
    no_market: bool,
}

fn split_key(spec: &str) -> Result<(String, String), String> {
    spec.split_once(':')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected KEY:VALUE in {spec:?}"))
}

fn config(args: Args) -> Result<SimConfig, String> {
    let mut config = SimConfig {
        listen: args.listen,
        clock: SimClock::System { skew_ms: args.clock_skew_ms },
        ping_interval: (args.ping_interval_ms > 0).then(|| Duration::from_millis(args.ping_interval_ms)),
        orders_per_10s: args.orders_per_10s,
        reject_symbols: args.reject_symbol,
        journal: args.journal,
        faults: Faults {
            latency: Duration::from_millis(args.latency_ms),
            drop_after_orders: args.drop_after,
            shutdown_after_orders: args.shutdown_after_orders,
            shutdown_after: args.shutdown_after_ms.map(Duration::from_millis),
            fragment: args.fragment,
            ping_storm: args.ping_storm,
            stall_order: args.stall_order,
            reject_every: args.reject_every,
            key_update_every: args.key_update_every,
            drop_events_every: args.drop_events_every,
            event_delay: Duration::from_millis(args.event_delay_ms),
            disconnect_before_trade_report: args.disconnect_before_trade_report,
        },
        market: (!args.no_market).then(|| MarketConfig {
            symbol: args.symbol,
            seed: args.seed,
            interval: (args.market_interval_ms > 0).then(|| Duration::from_millis(args.market_interval_ms)),
            ..MarketConfig::default()
        }),
        ..SimConfig::default()
    };
    if !args.hmac_key.is_empty() {
        config.hmac_keys = args
            .hmac_key
            .iter()
            .map(|spec| split_key(spec).map(|(api_key, secret)| HmacKey { api_key, secret }))
            .collect::<Result<_, _>>()?;
    }
    for spec in &args.ed25519_key {
        let (api_key, hex_key) = split_key(spec)?;
        let public_key = hex::decode(&hex_key)
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| format!("Ed25519 public key of {api_key} must be 64 hex digits"))?;
        config.ed25519_keys.push(Ed25519Key { api_key, public_key });
    }
    Ok(config)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let write_ca = args.write_ca.clone();
    let config = match config(args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("hotline-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let sim = match Sim::start(config) {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("hotline-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut lines = Vec::new();
    if let Some(path) = write_ca {
        if let Err(e) = std::fs::write(&path, sim.ca_pem()) {
            eprintln!("hotline-sim: writing {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        lines.push(format!("CA certificate: {}", path.display()));
    }
    lines.push(format!("listening: {}", sim.url()));
    lines.push(format!("server SPKI SHA-256: {}", hex::encode(sim.leaf_spki_sha256())));
    if sim.touch().is_some() {
        lines.push(format!("market: wss://{}{} and {}", sim.addr(), sim.market_path(true), sim.market_path(false)));
    }
    // One write, and a reader that has stopped reading is no reason to stop
    // serving.
    let _ = writeln!(std::io::stdout().lock(), "{}", lines.join("\n"));
    // Serve until the process is killed; the journal is written line by
    // line, so nothing is lost then.
    loop {
        std::thread::park();
    }
}
