//! What the host decides before the engine starts: the venue and its order,
//! sizing and prices, the timers, the clock offsets and the stage-stamp
//! source. Everything here is plain data the engine reads; nothing in it
//! changes while the engine runs.

use crate::order::{Scale, Side};
use crate::strategy::whale::Sizing;
use crate::venue;
use crate::ws;

/// A cycle counter or clock read at each pipeline stage: the host's
/// choice (TSC, monotonic clock, or nothing at all).
pub trait Stamp {
    /// The current reading.
    fn stamp(&self) -> u64;
}

/// No stage timing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoStamp;

impl Stamp for NoStamp {
    fn stamp(&self) -> u64 {
        0
    }
}

/// The engine's clocks and limits, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// An order unanswered this long becomes unknown and is queried.
    pub request_timeout_ns: u64,
    /// Silence on the venue after which the engine pings.
    pub ping_interval_ns: u64,
    /// Silence on the venue after which the connection is dropped.
    pub venue_silence_ns: u64,
    /// Silence on a feed after which [`Event::FeedSilent`](super::Event::FeedSilent) is raised.
    pub feed_silence_ns: u64,
    /// A node's gap is covered by another live node that has not gapped
    /// for this long (`docs/protocols/bitcoind-zmq.md` §Several nodes).
    pub gap_cover_ns: u64,
    /// First reconnect delay; doubles per failure, with jitter.
    pub reconnect_min_ns: u64,
    /// Longest reconnect delay.
    pub reconnect_max_ns: u64,
    /// Age at which a connection is rotated; below the venue's own limit
    /// (Binance closes at 24 h).
    pub rotate_after_ns: u64,
    /// How long draining waits for outstanding answers.
    pub drain_timeout_ns: u64,
}

impl Default for Timers {
    fn default() -> Self {
        const S: u64 = 1_000_000_000;
        Self {
            request_timeout_ns: 5 * S,
            ping_interval_ns: 15 * S,
            venue_silence_ns: 60 * S,
            feed_silence_ns: 120 * S,
            gap_cover_ns: 60 * S,
            reconnect_min_ns: S / 4,
            reconnect_max_ns: 30 * S,
            rotate_after_ns: 85_800 * S,
            drain_timeout_ns: 5 * S,
        }
    }
}

/// What the engine trades and how.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    /// `Host` header of the WebSocket upgrade (`name[:port]`).
    pub host: &'a str,
    /// Request target of the upgrade, e.g. `/ws-api/v3`.
    pub path: &'a str,
    /// The venue, its order and its keys.
    pub venue: venue::Settings<'a>,
    /// Signal strength to quantity.
    pub sizing: Sizing,
    /// How many orders a signal places.
    pub ladder: Ladder,
    /// Where order prices come from.
    pub pricing: Pricing<'a>,
    /// Largest transaction read from the feed.
    pub max_tx_bytes: usize,
    /// Nodes read (1 to [`MAX_NODES`](super::MAX_NODES)); the feed buffer is split evenly
    /// between them.
    pub nodes: usize,
    /// Timers.
    pub timers: Timers,
    /// Unix time minus the host's monotonic `now`, in nanoseconds.
    pub unix_offset_ns: i64,
    /// The first client order id; the host makes ids unique across runs.
    pub first_client_order_id: u64,
    /// Subscribe the venue session to the account's user data before it
    /// trades: fills count into the ledger and the position, and orders
    /// close on the venue's word of them (`docs/market-data.md` §Fills,
    /// position and P&L). Off, an order's answer alone settles it.
    pub user_data: bool,
}

/// How many orders one signal places, and at what prices: the first as a
/// single order would be, each next one `step_ticks` further through the
/// book (a buy higher, a sell lower), each of the signal's quantity, all
/// in one request (Coinbase's NewOrderBatch; `docs/protocols/coinbase-fix.md`
/// §Orders). Every order passes the risk gate on its own; the first one
/// denied ends the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ladder {
    /// Orders per signal, 1 to the venue's
    /// [`max_batch`](crate::venue::Settings::max_batch).
    pub orders: u8,
    /// Ticks between two orders' prices.
    pub step_ticks: u64,
}

impl Ladder {
    /// One order per signal.
    pub const SINGLE: Self = Self { orders: 1, step_ticks: 0 };

    /// The price of order `k` (from 0) of a ladder starting at `first`.
    pub fn price(&self, first: u64, side: Side, k: u8) -> u64 {
        let step = self.step_ticks.saturating_mul(u64::from(k));
        match side {
            Side::Buy => first.saturating_add(step),
            Side::Sell => first.saturating_sub(step),
        }
    }
}

/// Where an order's limit price, and the price the risk gate values it
/// at, come from.
#[derive(Debug, Clone, Copy)]
pub enum Pricing<'a> {
    /// Constants from the configuration: no market data.
    Fixed {
        /// Limit price in ticks (limit orders).
        limit: u64,
        /// Reference price in ticks for the risk gate's notional.
        reference: u64,
    },
    /// The live top of book, from the market-data stream: a buy at the
    /// ask plus `offset_ticks`, a sell at the bid minus it (a marketable
    /// limit); the gate values the order at that price and collars it by
    /// the mid (`docs/market-data.md`).
    Book(BookPricing<'a>),
}

/// Which venue's market data the stream speaks (`docs/market-data.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketFeed {
    /// Binance Spot: the upgrade's path names the stream (JSON
    /// `<symbol>@bookTicker` in text frames, or SBE `<symbol>@bestBidAsk`
    /// in binary ones), which publishes from the first byte.
    Binance,
    /// Coinbase Exchange's WebSocket feed: after the upgrade the engine
    /// subscribes the symbol (the product id) to the `ticker` channel,
    /// whose messages carry the touch after each match.
    Coinbase,
}

/// Pricing from the market-data stream, and the stream itself.
#[derive(Debug, Clone, Copy)]
pub struct BookPricing<'a> {
    /// Ticks through the touch: how far a marketable limit may reach.
    pub offset_ticks: u64,
    /// No order from a book older than this.
    pub max_age_ns: u64,
    /// Whose market data it is.
    pub feed: MarketFeed,
    /// The stream's WebSocket upgrade: `Host` header.
    pub host: &'a str,
    /// Its request target, e.g. `/ws/btcusdt@bestBidAsk` (Binance) or `/`
    /// (Coinbase).
    pub path: &'a str,
    /// Extra upgrade headers (`X-MBX-APIKEY` for Binance's SBE stream).
    pub headers: &'a [(&'a str, &'a str)],
    /// The symbol every update must be for.
    pub symbol: &'a str,
    /// The instrument's ticks and lots.
    pub scale: Scale,
}

/// Why the engine could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupError {
    /// The venue's requests could not be prepared.
    Venue(venue::SetupError),
    /// Orders need a client order id slot (it is their idempotency key).
    NoClientOrderId,
    /// `host` and `path` do not form a WebSocket upgrade request.
    Endpoint(ws::Error),
    /// The market-data stream's `host`, `path` and headers do not form a
    /// WebSocket upgrade request.
    MarketEndpoint(ws::Error),
    /// A market-data stream was attached without [`Pricing::Book`].
    NoBookPricing,
    /// The market-data symbol cannot be subscribed to (Coinbase: a product
    /// id of ASCII letters, digits and `-`, at most
    /// [`MAX_PRODUCT_ID`](crate::venue::coinbase::market::MAX_PRODUCT_ID) bytes).
    MarketSymbol,
    /// The feed buffer is smaller than this many bytes.
    FeedBuffer(usize),
    /// `nodes` is not 1 to [`MAX_NODES`](super::MAX_NODES).
    Nodes(usize),
    /// The ladder's orders are not 1 to what one request of the venue
    /// may place ([`max_batch`](crate::venue::Settings::max_batch)).
    Ladder(u8),
}
