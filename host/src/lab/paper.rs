//! A running simulated exchange (`hotline-sim`) and mempool replayer
//! (`hotline-replay`) turn into the engine's settings and connection plan
//! for trading against them on paper: the one instrument, order shape,
//! sizing and connection plan that `hotline demo`, `hotline bench`'s round
//! trip and the end-to-end tests trade on paper.

use std::net::SocketAddr;

use hotline_core::engine::{MarketFeed, Pricing, Settings, Timers};
use hotline_core::order::{Decimal, Instrument, OrderType, Side};
use hotline_core::strategy::whale::Sizing;
use hotline_core::venue::binance::{Auth, PlaceOrder, TimeUnit};
use hotline_core::venue::{self, binance};
use hotline_sim::Sim;

use crate::clock::Clock;
use crate::driver::{Plan, first_client_order_id};
use crate::net::ring::RingConfig;
use crate::net::socket::SocketOptions;
use crate::tls::Versions;

/// BTCUSDT with Binance's precisions: prices to the cent, quantities in
/// steps of 0.00001 BTC.
pub const INSTRUMENT: Instrument<'static> = Instrument {
    symbol: "BTCUSDT",
    price: Decimal { int_digits: 7, decimals: 2 },
    quantity: Decimal { int_digits: 3, decimals: 5 },
};
/// Digits of `newClientOrderId`.
pub const ID_WIDTH: u8 = 16;
/// Signal strength to quantity: 0.001 BTC per unit, at most 0.01.
pub const SIZING: Sizing = Sizing { base_qty: 100, max_qty: 1_000 };
/// The reference price (ticks) the risk gate values orders at.
pub const REFERENCE_PRICE: u64 = 9_500_000;

/// Market orders on [`INSTRUMENT`] through the sim at `host` (its
/// `addr()`), signed with `auth`, timestamps from `clock`, fresh client
/// order ids; override fields as a run needs.
pub fn settings<'a>(host: &'a str, auth: Auth<'a>, clock: &Clock) -> Settings<'a> {
    Settings {
        host,
        path: "/ws-api/v3",
        venue: venue::Settings::Binance(binance::Settings {
            order: PlaceOrder {
                instrument: INSTRUMENT,
                side: Side::Buy,
                order_type: OrderType::Market,
                resp_type: None,
                client_order_id: Some(ID_WIDTH),
            },
            auth,
            time_unit: TimeUnit::Millis,
            recv_window: None,
        }),
        sizing: SIZING,
        ladder: hotline_core::engine::Ladder::SINGLE,
        pricing: Pricing::Fixed { limit: 0, reference: REFERENCE_PRICE },
        max_tx_bytes: 4_000_000,
        nodes: 1,
        timers: Timers::default(),
        unix_offset_ns: i64::try_from(clock.unix_offset_ns()).unwrap_or(0),
        first_client_order_id: first_client_order_id(ID_WIDTH),
        user_data: true,
    }
}

/// Connect to the nodes at `feeds` and to `sim`, trusting only its CA and
/// pinning its certificate's key; dry runs of the fire path every
/// [`driver::WARM_INTERVAL_US`](crate::driver::WARM_INTERVAL_US) while
/// idle when spinning, as `hotline run` does by default.
pub fn plan(sim: &Sim, feeds: Vec<SocketAddr>, ring: RingConfig, spin: bool) -> Plan {
    Plan {
        feeds,
        venue: sim.addr(),
        server_name: "localhost".to_owned(),
        ca: Some(vec![sim.ca_der().to_vec().into()]),
        pins: vec![sim.leaf_spki_sha256()],
        aes256: false,
        versions: Versions::Tls13,
        sockets: SocketOptions::default(),
        ring,
        spin,
        warm_every: spin.then(|| std::time::Duration::from_micros(crate::driver::WARM_INTERVAL_US)),
        metrics_listen: None,
        market: None,
    }
}

/// Prices `settings`' orders from the sim's book, read at `path` (its
/// `market_path`) with `headers` (SBE wants the API key): IOC limits two
/// ticks through the touch, none from a book older than a second; and
/// `plan` connects to the sim's market stream.
pub fn price_from_book<'a>(
    settings: &mut Settings<'a>,
    plan: &mut Plan,
    sim: &Sim,
    path: &'a str,
    headers: &'a [(&'a str, &'a str)],
) {
    super::price_from_book(settings, plan, MarketFeed::Binance, INSTRUMENT, path, headers, sim.addr());
}

/// The address a replayer publishes on, from its endpoint
/// (`tcp://IP:PORT`), as one of [`plan`]'s feeds.
pub fn feed_addr(endpoint: &str) -> Result<SocketAddr, String> {
    endpoint.strip_prefix("tcp://").and_then(|a| a.parse().ok()).ok_or_else(|| format!("replayer endpoint {endpoint}"))
}
