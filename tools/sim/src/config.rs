//! What a simulator run looks like: listen address, registered API keys, clock, limits and the faults to inject.
//! Defaults follow the Binance Spot WebSocket API (web-socket-api.md,
//! <https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-api.md>: §"General API Information", pings
//! every 20 s, pong within a minute; §"Unfilled Order Count", ORDERS 50 per 10 s) and register the documentation's
//! example HMAC key (§"SIGNED request example (HMAC)"), so the official vectors verify out of the box.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// The example HMAC key pair published in the Binance API docs (web-socket-api.md §"SIGNED request example (HMAC)").
pub const DOC_API_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
/// The secret of [`DOC_API_KEY`]; published, so not a secret.
pub const DOC_SECRET_KEY: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

/// Key algorithm of the generated CA and server certificate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CertAlgorithm {
    /// ECDSA over P-256 with SHA-256.
    #[default]
    EcdsaP256,
    /// ECDSA over P-384 with SHA-384.
    EcdsaP384,
}

/// An HMAC-SHA256 API key: requests carry `apiKey` and a hex signature.
#[derive(Clone)]
pub struct HmacKey {
    /// The `apiKey` value clients send.
    pub api_key: String,
    /// The shared secret, used as the HMAC key bytes.
    pub secret: String,
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret never reaches a log line.
        f.debug_struct("HmacKey").field("api_key", &self.api_key).finish_non_exhaustive()
    }
}

/// An Ed25519 API key: the sim holds only the public key, as Binance does.
#[derive(Clone, Debug)]
pub struct Ed25519Key {
    /// The `apiKey` value clients send.
    pub api_key: String,
    /// The 32-byte Ed25519 public key (RFC 8032 encoding).
    pub public_key: [u8; 32],
}

/// The simulator's notion of "now", used for `timestamp`/`recvWindow`
/// checks, `serverTime` and every time field it reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimClock {
    /// The system clock plus a skew in milliseconds (positive: the sim runs
    /// ahead of the client), to exercise clock-offset correction.
    System {
        /// Milliseconds added to the system clock.
        skew_ms: i64,
    },
    /// Frozen at one instant (Unix milliseconds), so timestamp checks are
    /// deterministic in tests and the documented vectors verify verbatim.
    Fixed {
        /// The instant, in Unix milliseconds.
        unix_ms: i64,
    },
}

impl Default for SimClock {
    fn default() -> Self {
        SimClock::System { skew_ms: 0 }
    }
}

/// Faults to inject. Order counts are over orders the sim accepted (all
/// connections together), 1-based; each "after N" fault fires once.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Delay added before every response is sent (responses stay in order).
    pub latency: Duration,
    /// Accept and journal the Nth order, then drop the TCP connection
    /// without answering it and without a close frame.
    pub drop_after_orders: Option<u64>,
    /// Send the `serverShutdown` event to every connection once the Nth
    /// order is accepted.
    pub shutdown_after_orders: Option<u64>,
    /// Send the `serverShutdown` event to every connection this long after
    /// start-up.
    pub shutdown_after: Option<Duration>,
    /// Split every outgoing text message into frames carrying at most this
    /// many payload bytes (a text frame and continuation frames).
    pub fragment: Option<usize>,
    /// Extra pings sent right after each scheduled ping.
    pub ping_storm: u32,
    /// Accept and journal the Nth order but never answer it, leaving its
    /// outcome unknown to the client until it asks with `order.status`.
    pub stall_order: Option<u64>,
    /// Reject every Nth otherwise valid new order with -2010.
    pub reject_every: Option<u64>,
    /// Send a TLS 1.3 KeyUpdate asking for the client's own (RFC 8446
    /// §4.6.3) before every Nth message to a connection.
    pub key_update_every: Option<u64>,
    /// Never send every Nth user-data event a connection would get (counted
    /// per connection, 1-based): the loss the stream cannot signal.
    pub drop_events_every: Option<u64>,
    /// Hold every user-data event this long before sending it; answers are
    /// not held back by it.
    pub event_delay: Duration,
    /// Drop TCP (no close frame) on every connection that is about to send
    /// the TRADE executionReport of the Nth fill (1-based, all symbols): the
    /// fill is journaled and in `myTrades`, its event is never sent there.
    pub disconnect_before_trade_report: Option<u64>,
}

/// Everything a simulator run is configured with.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free port (see [`crate::Sim::addr`]).
    pub listen: SocketAddr,
    /// Key algorithm of the generated certificates.
    pub cert_algorithm: CertAlgorithm,
    /// Registered HMAC keys.
    pub hmac_keys: Vec<HmacKey>,
    /// Registered Ed25519 keys (the only kind `session.logon` accepts).
    pub ed25519_keys: Vec<Ed25519Key>,
    /// The sim's clock.
    pub clock: SimClock,
    /// Interval between server pings; `None` never pings (a venue gone
    /// silent, for watchdog tests).
    pub ping_interval: Option<Duration>,
    /// How long a ping may stay unanswered before the connection is closed.
    pub pong_timeout: Duration,
    /// The ORDERS limit per 10-second window; beyond it order.place gets 429.
    pub orders_per_10s: u32,
    /// Symbols whose new orders are rejected with -2010.
    pub reject_symbols: Vec<String>,
    /// JSON-lines journal of accepted orders, truncated at start-up.
    pub journal: Option<PathBuf>,
    /// The simulated market: a seeded price path served as bookTicker and
    /// bestBidAsk streams, and the touch orders match against; `None` has no
    /// market (every symbol's book is empty).
    pub market: Option<MarketConfig>,
    /// The one account every API key trades on.
    pub account: AccountConfig,
    /// Faults to inject.
    pub faults: Faults,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            cert_algorithm: CertAlgorithm::default(),
            hmac_keys: vec![HmacKey { api_key: DOC_API_KEY.to_owned(), secret: DOC_SECRET_KEY.to_owned() }],
            ed25519_keys: Vec::new(),
            clock: SimClock::default(),
            ping_interval: Some(Duration::from_secs(20)),
            pong_timeout: Duration::from_secs(60),
            orders_per_10s: 50,
            reject_symbols: Vec::new(),
            journal: None,
            market: Some(MarketConfig::default()),
            account: AccountConfig::default(),
            faults: Faults::default(),
        }
    }
}

/// One simulated symbol: its number formats, a deterministic price path
/// and the depth at the touch. Prices are whole ticks of
/// 10^-`price_decimals`, quantities whole lots of 10^-`qty_decimals` (the
/// symbol's PRICE_FILTER tickSize and LOT_SIZE stepSize).
///
/// The path moves the bid by `step_ticks` up or down every `interval` of
/// the sim clock (the direction from a SplitMix64 generator seeded with
/// `seed`), keeps the ask `spread_ticks` above it and shows `depth` at both
/// sides. With [`SimClock::Fixed`] time stands still and so does the path;
/// [`crate::Sim::set_touch`] moves the market in every configuration.
#[derive(Clone, Debug)]
pub struct MarketConfig {
    /// The symbol, upper case as in orders (`BTCUSDT`); streams use it lower
    /// case.
    pub symbol: String,
    /// The asset bought and sold (`BTC`).
    pub base_asset: String,
    /// The asset prices are in (`USDT`); commission is charged in it.
    pub quote_asset: String,
    /// Decimals of the price tick, at most 8.
    pub price_decimals: u32,
    /// Decimals of the quantity step, at most 8.
    pub qty_decimals: u32,
    /// Seed of the price path.
    pub seed: u64,
    /// The first best bid, a decimal (`"90000.00"`).
    pub start_bid: String,
    /// Ask minus bid, in ticks (at least 1).
    pub spread_ticks: i64,
    /// How far the bid moves per update, in ticks.
    pub step_ticks: i64,
    /// Quantity at the best bid and at the best ask, a decimal.
    pub depth: String,
    /// Time between path updates; `None` moves only on `set_touch`.
    pub interval: Option<Duration>,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            symbol: "BTCUSDT".to_owned(),
            base_asset: "BTC".to_owned(),
            quote_asset: "USDT".to_owned(),
            price_decimals: 2,
            qty_decimals: 5,
            seed: 1,
            start_bid: "90000.00".to_owned(),
            spread_ticks: 1,
            step_ticks: 1,
            depth: "2.00000".to_owned(),
            interval: Some(Duration::from_millis(100)),
        }
    }
}

/// The simulated account: starting balances and the commission rate.
#[derive(Clone, Debug)]
pub struct AccountConfig {
    /// Starting free balances, `(asset, decimal amount)`.
    pub balances: Vec<(String, String)>,
    /// Commission on every fill, in basis points of the fill's quote
    /// quantity, charged in the quote asset (10 = 0.1 %).
    pub commission_bps: u32,
}

impl Default for AccountConfig {
    fn default() -> Self {
        AccountConfig {
            balances: vec![("BTC".to_owned(), "1".to_owned()), ("USDT".to_owned(), "100000".to_owned())],
            commission_bps: 10,
        }
    }
}
