//! The laboratory: what `hotline demo` and `hotline bench` need beyond the
//! production engine turns the engine, the simulated exchange
//! (`hotline-sim`) and the mempool replayer (`hotline-replay`) into paper
//! runs ([`paper`]; on Coinbase's FIX order entry against a QuickFIX
//! acceptor, [`coinbase`]), and the same whales into timed in-process pipelines
//! beside the conventional Rust stack ([`bench`]). Compiled with the `lab`
//! feature (on by default), so a production build carries none of the
//! simulator, replayer, rust-bitcoin, tungstenite, rcgen, rustls server or
//! plotting code.

pub mod bench;
pub mod coinbase;
pub mod paper;

use std::net::SocketAddr;

use hotline_core::engine::{BookPricing, MarketFeed, Pricing, Settings};
use hotline_core::order::{Instrument, OrderType, TimeInForce};
use hotline_core::venue;

use crate::driver::{MarketPlan, Plan};

/// Prices `settings`' orders from the book of `instrument` that `feed`
/// publishes at `market` (read at `path`, upgraded with `headers`): IOC
/// limits two ticks through the touch, none from a book older than a
/// second; and `plan` connects to it, trusting the venue's CA.
pub fn price_from_book<'a>(
    settings: &mut Settings<'a>,
    plan: &mut Plan,
    feed: MarketFeed,
    instrument: Instrument<'a>,
    path: &'a str,
    headers: &'a [(&'a str, &'a str)],
    market: SocketAddr,
) {
    settings.pricing = Pricing::Book(BookPricing {
        offset_ticks: 2,
        max_age_ns: 1_000_000_000,
        feed,
        host: "localhost",
        path,
        headers,
        symbol: instrument.symbol,
        scale: instrument.scale(),
    });
    let ioc = OrderType::Limit(TimeInForce::Ioc);
    match &mut settings.venue {
        venue::Settings::Binance(binance) => binance.order.order_type = ioc,
        venue::Settings::Coinbase(coinbase) => coinbase.order_type = ioc,
    }
    plan.market = Some(MarketPlan { addr: market, server_name: "localhost".to_owned() });
}
