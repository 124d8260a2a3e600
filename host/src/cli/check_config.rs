//! `hotline check-config FILE`: a configuration file turns into "config
//! OK" and a short summary, or into errors that each name the field at
//! fault. It reads the secrets the file names, so a missing variable or a
//! group-readable key file shows up here rather than at start-up, and it
//! never prints them.

use std::path::PathBuf;

use hotline::config::{self, AuthMode, Encoding, VenueKind};
use hotline_core::engine::MarketFeed;

/// Options of `hotline check-config`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The TOML configuration file.
    file: PathBuf,
}

pub(crate) fn run(args: &Args) -> Result<(), String> {
    let config = config::load(&args.file)?;
    let shown = args.file.display();
    config.venue.ca_certs().map_err(|e| format!("{shown}: {e}"))?;
    config.secrets().map_err(|e| format!("{shown}: {e}"))?;
    let venue = &config.venue;
    let mode = if config.is_live() { "LIVE: real orders, needs --live" } else { "paper" };
    let trust = match (&venue.ca_file, venue.pin_spki.len()) {
        (Some(ca), pins) => format!("CA {}, {pins} pin(s)", ca.display()),
        (None, pins) => format!("Mozilla roots, {pins} pin(s)"),
    };
    let auth = match config.auth.mode {
        AuthMode::Hmac => "hmac",
        AuthMode::Ed25519 => "ed25519",
    };
    for (field, endpoint) in config.node.endpoints() {
        println!("{field}: {endpoint}");
    }
    let api = match venue.kind {
        VenueKind::Binance => "Binance WebSocket API",
        VenueKind::Coinbase => "Coinbase FIX 5.0 SP2",
    };
    println!("venue:    {} ({api}; {}, {mode}; {trust})", venue.url, venue.network.name());
    match venue.kind {
        VenueKind::Binance => println!("auth:     {auth}"),
        VenueKind::Coinbase => println!(
            "auth:     {auth}, passphrase from {}; HeartBtInt {} s, cancel on disconnect: {:?}, {}",
            if config.auth.passphrase_env.is_some() { "the environment" } else { "a file" },
            venue.heartbeat_secs,
            venue.cancel_on_disconnect,
            if venue.reset_on_logon { "numbers reset at each Logon" } else { "numbers resumed across connections" }
        ),
    }
    println!("symbol:   {}", config.instrument.symbol);
    match config.market_stream().map_err(|e| format!("{shown}: {e}"))? {
        Some(m) => println!(
            "market:   {} ({}; orders priced {} ticks through the touch, book at most {} ms old)",
            m.url,
            match (m.feed, m.encoding) {
                (MarketFeed::Coinbase, _) => "Coinbase feed, ticker channel, JSON",
                (MarketFeed::Binance, Encoding::Sbe) => "Binance bestBidAsk, SBE",
                (MarketFeed::Binance, Encoding::Json) => "Binance bookTicker, JSON",
            },
            m.offset_ticks,
            m.max_age_ns / 1_000_000
        ),
        None => println!("market:   none (fixed prices from [instrument])"),
    }
    let fills = match (venue.user_data, venue.kind) {
        (false, _) => "off (venue.user_data = false)",
        (true, VenueKind::Binance) => "from the user data stream",
        (true, VenueKind::Coinbase) => "from the FIX session's execution reports",
    };
    let loss = match &config.risk.max_loss {
        Some(amount) => format!("kill switch at a loss of {amount}"),
        None => "no loss limit (risk.max_loss)".to_owned(),
    };
    println!("fills:    {fills}; {loss}");
    for line in config.host.profile() {
        println!("host:     {line}");
    }
    println!("config OK");
    Ok(())
}
