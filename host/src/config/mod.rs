//! The `hotline run` configuration: a TOML file (`config/hotline.example.toml`
//! documents every field) turns into typed, validated settings, and the
//! secrets it names turn into [`Secrets`]. Unknown keys are errors, not
//! silently ignored, and every error names the dotted path of the field at
//! fault (`venue.reconnect_max_ms: must be >= venue.reconnect_min_ms`), so a
//! typo cannot quietly fall back to a default. Limits that come from the
//! venue are Binance Spot's (EXCHANGES.md §1.2: 50 orders per 10 s, 160 000
//! per day, `recvWindow` ≤ 60 000 ms, connections closed after 24 h).

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use hotline_core::order::{self, TimeInForce};
use hotline_core::risk::{self, BINANCE_ORDERS_PER_10S, BINANCE_ORDERS_PER_DAY, RateLimit};
use hotline_core::strategy::whale::{self, WatchEntry};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::secret;
use crate::tls_verify::certs_from_pem;
use crate::tune::Tuning;

/// Binance closes every WebSocket API connection after 24 hours.
const VENUE_CONNECTION_LIFETIME_SECS: u64 = 86_400;
/// Binance's largest `recvWindow`, in milliseconds.
const MAX_RECV_WINDOW_MS: u32 = 60_000;
/// Every bitcoin there will ever be, in satoshis: no threshold above it can fire.
const MAX_MONEY_SAT: u64 = 21_000_000 * 100_000_000;
/// Consensus limit on a scriptPubKey that can be spent (BIP 141 keeps it).
const MAX_SCRIPT_BYTES: usize = 10_000;
/// Digits of a fixed-point field whose every value fits a `u64`.
const MAX_DECIMAL_DIGITS: u8 = 19;
/// Size of a Linux `cpu_set_t`.
const MAX_CPUS: usize = 1024;

/// A whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The Bitcoin node's ZMQ feed.
    pub node: Node,
    /// The exchange connection.
    pub venue: Venue,
    /// How requests authenticate, and where the key and secret are.
    pub auth: Auth,
    /// The traded symbol and its number formats.
    pub instrument: Instrument,
    /// Whale detection and order sizing.
    pub strategy: Strategy,
    /// The pre-trade risk gate.
    pub risk: Risk,
    /// Thread, memory and socket tuning of this machine.
    #[serde(default)]
    pub host: Host,
}

/// `[node]`: the bitcoind ZMQ publisher.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// `tcp://host:port` of bitcoind's `zmqpubrawtx` (and `zmqpubsequence`).
    pub endpoint: String,
    /// Largest transaction accepted from the feed, in bytes.
    #[serde(default = "default_usize::<4_000_000>")]
    pub max_tx_bytes: usize,
    /// Watchdog: seconds without any feed message before it is reported.
    #[serde(default = "default_u64::<120>")]
    pub silence_secs: u64,
    /// What a gap in the feed's sequence numbers (or a node restart) does.
    #[serde(default)]
    pub on_gap: OnGap,
}

/// Reaction to a feed gap or node restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnGap {
    /// Suppress signals for `strategy.gap_holdoff_ms`, then trade on.
    Holdoff,
    /// Engage the risk gate's kill switch (the hold-off applies as well).
    #[default]
    Kill,
}

/// `[venue]`: the exchange's WebSocket API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Venue {
    /// `wss://host[:port]/path`.
    pub url: String,
    /// Which exchange environment `url` is.
    #[serde(default)]
    pub network: Network,
    /// PEM file of the certificates to trust instead of the Mozilla roots.
    pub ca_file: Option<PathBuf>,
    /// Base64 SHA-256 of SubjectPublicKeyInfos, one of which must be in the
    /// chain (none: chain validation alone).
    #[serde(default)]
    pub pin_spki: Vec<String>,
    /// The TLS 1.3 cipher suite offered.
    #[serde(default)]
    pub suite: Suite,
    /// A request without a response after this long has an unknown outcome.
    #[serde(default = "default_u64::<5_000>")]
    pub request_timeout_ms: u64,
    /// Interval of the client's own pings.
    #[serde(default = "default_u64::<15>")]
    pub ping_interval_secs: u64,
    /// Watchdog: seconds without any frame from the venue before reconnecting.
    #[serde(default = "default_u64::<60>")]
    pub silence_secs: u64,
    /// First reconnect delay; it doubles, with jitter, up to the maximum.
    #[serde(default = "default_u64::<250>")]
    pub reconnect_min_ms: u64,
    /// Largest reconnect delay.
    #[serde(default = "default_u64::<30_000>")]
    pub reconnect_max_ms: u64,
    /// Reconnect proactively after this long, before the venue's 24 h limit.
    #[serde(default = "default_u64::<85_800>")]
    pub rotate_after_secs: u64,
    /// `recvWindow` in milliseconds (none: the venue's default of 5000).
    pub recv_window_ms: Option<u32>,
    /// Unit of `timestamp` in requests.
    #[serde(default)]
    pub time_unit: TimeUnit,
}

/// The exchange environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    /// The simulated exchange (`hotline-sim`): paper trading.
    Sim,
    /// The venue's testnet: paper trading with test funds.
    #[default]
    Testnet,
    /// Real money; `hotline run` also requires `--live`.
    Live,
}

impl Network {
    /// The name used in the file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sim => "sim",
            Self::Testnet => "testnet",
            Self::Live => "live",
        }
    }
}

/// TLS 1.3 cipher suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Suite {
    /// TLS_AES_128_GCM_SHA256.
    #[default]
    Aes128,
    /// TLS_AES_256_GCM_SHA384.
    Aes256,
}

/// Unit of request timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Milliseconds since the Unix epoch.
    #[default]
    Millis,
    /// Microseconds since the Unix epoch.
    Micros,
}

impl From<TimeUnit> for order::TimeUnit {
    fn from(unit: TimeUnit) -> Self {
        match unit {
            TimeUnit::Millis => Self::Millis,
            TimeUnit::Micros => Self::Micros,
        }
    }
}

/// `[auth]`: request authentication. Each of the key and the secret comes
/// from exactly one of an environment variable or a file only its owner
/// can read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// Signature scheme.
    pub mode: AuthMode,
    /// Environment variable holding the API key.
    pub api_key_env: Option<String>,
    /// File (mode 0600) holding the API key.
    pub api_key_file: Option<PathBuf>,
    /// Environment variable holding the secret (HMAC secret or Ed25519 key).
    pub secret_env: Option<String>,
    /// File (mode 0600) holding the secret.
    pub secret_file: Option<PathBuf>,
}

/// Request signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// HMAC-SHA256 over every request.
    Hmac,
    /// Ed25519: `session.logon` once per connection.
    Ed25519,
}

/// `[instrument]`: the traded symbol. Prices are in ticks and quantities
/// in lot steps: the integers the order templates patch.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    /// Exchange symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Integer digits of `price`.
    pub price_int_digits: u8,
    /// Fraction digits of `price` (from the tick size).
    pub price_decimals: u8,
    /// Integer digits of `quantity`.
    pub qty_int_digits: u8,
    /// Fraction digits of `quantity` (from the lot size).
    pub qty_decimals: u8,
    /// Order type.
    pub order_type: OrderKind,
    /// Limit price in ticks; required by the limit types, refused for market.
    pub limit_price_ticks: Option<u64>,
    /// Price in ticks the risk gate values orders at (notional = qty × price).
    pub reference_price_ticks: u64,
    /// Digits of `newClientOrderId`, the idempotency key of an order.
    #[serde(default = "default_u8::<16>")]
    pub client_order_id_digits: u8,
}

/// Order type and time in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// `MARKET`.
    Market,
    /// `LIMIT_MAKER`.
    LimitMaker,
    /// `LIMIT` with `GTC`.
    LimitGtc,
    /// `LIMIT` with `IOC`.
    LimitIoc,
    /// `LIMIT` with `FOK`.
    LimitFok,
}

impl From<OrderKind> for order::OrderType {
    fn from(kind: OrderKind) -> Self {
        match kind {
            OrderKind::Market => Self::Market,
            OrderKind::LimitMaker => Self::LimitMaker,
            OrderKind::LimitGtc => Self::Limit(TimeInForce::Gtc),
            OrderKind::LimitIoc => Self::Limit(TimeInForce::Ioc),
            OrderKind::LimitFok => Self::Limit(TimeInForce::Fok),
        }
    }
}

impl Instrument {
    /// The instrument as the order templates take it.
    pub fn core(&self) -> order::Instrument<'_> {
        order::Instrument {
            symbol: &self.symbol,
            price: order::Decimal { int_digits: self.price_int_digits, decimals: self.price_decimals },
            quantity: order::Decimal { int_digits: self.qty_int_digits, decimals: self.qty_decimals },
        }
    }

    /// Largest quantity in steps the `quantity` field can carry.
    fn max_qty(&self) -> u64 {
        largest(self.qty_int_digits.saturating_add(self.qty_decimals))
    }

    /// Largest price in ticks the `price` field can carry.
    fn max_price(&self) -> u64 {
        largest(self.price_int_digits.saturating_add(self.price_decimals))
    }
}

/// `[strategy]`: the whale detector and sizing. Thresholds are integer
/// satoshis (1 BTC = 100 000 000), so no float rounding decides a trade;
/// an absent threshold disables its rule. Quantities are lot steps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strategy {
    /// Minimum sum of a transaction's outputs.
    pub min_total_sat: Option<u64>,
    /// Minimum single output.
    pub min_output_sat: Option<u64>,
    /// Minimum sum paid to watch-listed scripts of one kind.
    pub min_watch_sat: Option<u64>,
    /// Side for whales no watch entry explains.
    #[serde(default = "sell")]
    pub unlabeled_side: UnlabeledSide,
    /// Ignore coinbase transactions.
    #[serde(default = "yes")]
    pub skip_coinbase: bool,
    /// Minimum time between two signals of the same side.
    #[serde(default = "default_u64::<5_000>")]
    pub cooldown_ms: u64,
    /// Signals suppressed this long after a feed gap or node restart.
    #[serde(default = "default_u64::<2_000>")]
    pub gap_holdoff_ms: u64,
    /// Strength (value / threshold) is capped here.
    #[serde(default = "default_u32::<8>")]
    pub max_strength: u32,
    /// Quantity per unit of strength.
    pub base_qty: u64,
    /// Largest quantity of one order.
    pub max_qty: u64,
    /// Labelled output scripts (`[[strategy.watch]]`).
    #[serde(default)]
    pub watch: Vec<Watch>,
}

/// Side for whales no watch entry explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnlabeledSide {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
    /// Observe only.
    None,
}

impl From<UnlabeledSide> for Option<order::Side> {
    fn from(side: UnlabeledSide) -> Self {
        match side {
            UnlabeledSide::Buy => Some(order::Side::Buy),
            UnlabeledSide::Sell => Some(order::Side::Sell),
            UnlabeledSide::None => None,
        }
    }
}

/// One `[[strategy.watch]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Watch {
    /// The exact scriptPubKey, in hex.
    pub script_hex: String,
    /// Whose script it is.
    pub kind: WatchKind,
}

/// Whose script a watch entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchKind {
    /// An exchange deposit or hot wallet: inflows signal `Sell`.
    ExchangeDeposit,
    /// Cold storage: inflows signal `Buy`.
    ColdStorage,
}

impl From<WatchKind> for whale::WatchKind {
    fn from(kind: WatchKind) -> Self {
        match kind {
            WatchKind::ExchangeDeposit => Self::ExchangeDeposit,
            WatchKind::ColdStorage => Self::ColdStorage,
        }
    }
}

impl Strategy {
    /// The watch list's scripts, decoded, with their kinds; the caller keeps
    /// them alive while [`Strategy::rules`] borrows them.
    pub fn watch_scripts(&self) -> Result<Vec<(Vec<u8>, whale::WatchKind)>, String> {
        self.watch
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let script = hex::decode(&w.script_hex).map_err(|e| format!("strategy.watch[{i}].script_hex: {e}"))?;
                Ok((script, w.kind.into()))
            })
            .collect()
    }

    /// The detector's rules over `watch` (built from [`Strategy::watch_scripts`]).
    pub fn rules<'a>(&self, watch: &'a [WatchEntry<'a>]) -> whale::Rules<'a> {
        whale::Rules {
            min_total_sat: self.min_total_sat,
            min_output_sat: self.min_output_sat,
            min_watch_sat: self.min_watch_sat,
            watch,
            unlabeled_side: self.unlabeled_side.into(),
            skip_coinbase: self.skip_coinbase,
            cooldown_ns: self.cooldown_ms.saturating_mul(1_000_000),
            gap_holdoff_ns: self.gap_holdoff_ms.saturating_mul(1_000_000),
            max_strength: self.max_strength,
        }
    }

    /// Order sizing from signal strength.
    pub fn sizing(&self) -> whale::Sizing {
        whale::Sizing { base_qty: self.base_qty, max_qty: self.max_qty }
    }
}

/// `[risk]`: the pre-trade gate. Quantities in lot steps, prices in ticks,
/// so a notional is steps × ticks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Risk {
    /// Largest quantity of one order.
    pub max_qty: u64,
    /// Largest quantity × price of one order.
    pub max_notional: u64,
    /// Most orders sent and not yet closed.
    #[serde(default = "default_u32::<4>")]
    pub max_open_orders: u32,
    /// Largest absolute position, counting open orders as filled.
    pub max_position: u64,
    /// Token bucket per 10 s (at most Binance's 50).
    #[serde(default = "default_u32::<20>")]
    pub orders_per_10s: u32,
    /// Token bucket per day (at most Binance's 160 000).
    #[serde(default = "default_u32::<50_000>")]
    pub orders_per_day: u32,
    /// Kill switch after this many consecutive rejects (absent: never).
    pub kill_after_rejects: Option<u32>,
}

/// `[host]`: this machine's tuning; each setting is reported at start-up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// Pin the engine thread to this CPU.
    pub cpu: Option<usize>,
    /// `mlockall` so the hot path never page-faults.
    #[serde(default = "yes")]
    pub mlock: bool,
    /// SCHED_FIFO priority (1–99) of the engine thread.
    pub sched_fifo: Option<u8>,
    /// io_uring submission-queue polling thread.
    #[serde(default)]
    pub sqpoll: bool,
    /// Busy-poll for completions instead of sleeping (a whole CPU, warm).
    #[serde(default)]
    pub spin: bool,
    /// `SO_BUSY_POLL` microseconds on both sockets.
    pub busy_poll_us: Option<u32>,
    /// `SO_RCVBUF` bytes.
    pub rcvbuf: Option<usize>,
    /// `SO_SNDBUF` bytes.
    pub sndbuf: Option<usize>,
    /// Binary defmt log of the run.
    pub log_file: Option<PathBuf>,
}

impl Default for Host {
    fn default() -> Self {
        Self {
            cpu: None,
            mlock: true,
            sched_fifo: None,
            sqpoll: false,
            spin: false,
            busy_poll_us: None,
            rcvbuf: None,
            sndbuf: None,
            log_file: None,
        }
    }
}

/// Serde defaults: the constant `N`.
fn default_u8<const N: u8>() -> u8 {
    N
}

fn default_u32<const N: u32>() -> u32 {
    N
}

fn default_u64<const N: u64>() -> u64 {
    N
}

fn default_usize<const N: usize>() -> usize {
    N
}

fn yes() -> bool {
    true
}

fn sell() -> UnlabeledSide {
    UnlabeledSide::Sell
}

/// `10^digits − 1`: the largest integer a fixed-point field of `digits`
/// digits carries.
fn largest(digits: u8) -> u64 {
    10u64.checked_pow(u32::from(digits)).map_or(u64::MAX, |p| p - 1)
}

/// Parses and validates a configuration file's text.
pub fn parse(text: &str) -> Result<Config, String> {
    let de = toml::Deserializer::parse(text).map_err(|e| located(text, &e, ""))?;
    let config: Config =
        serde_path_to_error::deserialize(de).map_err(|e| located(text, e.inner(), &e.path().to_string()))?;
    config.validate()?;
    Ok(config)
}

/// Reads, parses and validates a configuration file; errors start with its name.
pub fn load(path: &Path) -> Result<Config, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
    parse(&text).map_err(|e| e.lines().map(|line| format!("{shown}: {line}")).collect::<Vec<_>>().join("\n"))
}

/// A TOML error as `path: message (line N)`.
fn located(text: &str, error: &toml::de::Error, path: &str) -> String {
    let message = error.message().trim_end();
    let line = error.span().map(|span| 1 + text.get(..span.start).unwrap_or(text).matches('\n').count());
    let at = match line {
        Some(line) => format!(" (line {line})"),
        None => String::new(),
    };
    if path.is_empty() || path == "." { format!("{message}{at}") } else { format!("{path}: {message}{at}") }
}

/// Collects every violated rule, so one run of `check-config` lists them all.
#[derive(Debug, Default)]
struct Problems(Vec<String>);

impl Problems {
    fn require(&mut self, ok: bool, field: &str, rule: impl fmt::Display) {
        if !ok {
            self.0.push(format!("{field}: {rule}"));
        }
    }
}

impl Config {
    /// Whether orders go to a live (real-money) endpoint.
    pub fn is_live(&self) -> bool {
        self.venue.network == Network::Live
    }

    /// Checks every rule a field's type cannot express.
    pub fn validate(&self) -> Result<(), String> {
        let mut p = Problems::default();
        self.node.validate(&mut p);
        self.venue.validate(&mut p);
        self.auth.validate(&mut p);
        self.instrument.validate(&mut p);
        self.strategy.validate(&mut p);
        self.risk.validate(&mut p);
        self.host.validate(&mut p);
        let max_qty = self.instrument.max_qty();
        let qty_digits = "instrument.qty_int_digits + instrument.qty_decimals";
        p.require(
            self.strategy.max_qty <= max_qty,
            "strategy.max_qty",
            format_args!("{} has more digits than {qty_digits} allow", self.strategy.max_qty),
        );
        p.require(
            self.risk.max_qty <= max_qty,
            "risk.max_qty",
            format_args!("has more digits than {qty_digits} allow"),
        );
        p.require(
            self.strategy.max_qty <= self.risk.max_qty,
            "strategy.max_qty",
            "must be <= risk.max_qty (larger orders would all be denied)",
        );
        p.require(
            self.node.on_gap == OnGap::Kill || self.strategy.gap_holdoff_ms > 0,
            "strategy.gap_holdoff_ms",
            "must be > 0 when node.on_gap = \"holdoff\"",
        );
        if p.0.is_empty() { Ok(()) } else { Err(p.0.join("\n")) }
    }

    /// The risk gate's limits.
    pub fn limits(&self) -> risk::Limits {
        const SECOND_NS: u64 = 1_000_000_000;
        risk::Limits {
            max_qty: self.risk.max_qty,
            max_notional: u128::from(self.risk.max_notional),
            max_open_orders: self.risk.max_open_orders,
            max_position: self.risk.max_position,
            short_rate: RateLimit { capacity: self.risk.orders_per_10s, window_ns: 10 * SECOND_NS },
            daily_rate: RateLimit { capacity: self.risk.orders_per_day, window_ns: 86_400 * SECOND_NS },
            kill_after_rejects: self.risk.kill_after_rejects,
            kill_on_feed_gap: self.node.on_gap == OnGap::Kill,
        }
    }

    /// Reads the API key and secret the `[auth]` table names.
    pub fn secrets(&self) -> Result<Secrets, String> {
        let auth = &self.auth;
        let api_key = match (&auth.api_key_env, &auth.api_key_file) {
            (Some(var), None) => secret::from_env(var, "auth.api_key_env")?,
            (None, Some(path)) => secret::from_file(path, "auth.api_key_file")?,
            _ => return Err(ONE_OF_API_KEY.to_owned()),
        };
        // The key is copied into every request unescaped.
        if !api_key.iter().all(u8::is_ascii_alphanumeric) {
            return Err("auth.api_key_env/auth.api_key_file: the API key holds characters other than ASCII letters \
                        and digits"
                .to_owned());
        }
        let api_key = String::from_utf8_lossy(&api_key).into_owned();
        let (raw, source) = match (&auth.secret_env, &auth.secret_file) {
            (Some(var), None) => (secret::from_env(var, "auth.secret_env")?, format!("auth.secret_env ({var})")),
            (None, Some(path)) => {
                (secret::from_file(path, "auth.secret_file")?, format!("auth.secret_file ({})", path.display()))
            }
            _ => return Err(ONE_OF_SECRET.to_owned()),
        };
        let key = match auth.mode {
            AuthMode::Hmac => SecretKey::Hmac(raw),
            AuthMode::Ed25519 => SecretKey::Ed25519(ed25519_seed(&raw).map_err(|e| format!("{source}: {e}"))?),
        };
        Ok(Secrets { api_key, key })
    }
}

const ONE_OF_API_KEY: &str = "auth.api_key_env, auth.api_key_file: give exactly one";
const ONE_OF_SECRET: &str = "auth.secret_env, auth.secret_file: give exactly one";

impl Node {
    /// Host and port of `endpoint`.
    pub fn host_port(&self) -> Result<(&str, u16), String> {
        let rest = self.endpoint.strip_prefix("tcp://").ok_or("must start with tcp://")?;
        let (host, port) = rest.rsplit_once(':').ok_or("needs a port: tcp://host:port")?;
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let port = port.parse::<u16>().ok().filter(|p| *p != 0).ok_or("port must be 1-65535")?;
        if host.is_empty() || host.contains(['/', '[', ']', ' ']) {
            return Err("needs a host: tcp://host:port".to_owned());
        }
        Ok((host, port))
    }

    fn validate(&self, p: &mut Problems) {
        if let Err(e) = self.host_port() {
            p.require(false, "node.endpoint", e);
        }
        p.require(self.max_tx_bytes >= 64, "node.max_tx_bytes", "must be >= 64 (no transaction is smaller)");
        p.require(self.silence_secs > 0, "node.silence_secs", "must be > 0");
    }
}

/// The parts of a `wss://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WssUrl<'a> {
    /// Host name or address (what the certificate must name).
    pub host: &'a str,
    /// TCP port (443 if not given).
    pub port: u16,
    /// Request target, at least `/`.
    pub path: &'a str,
}

impl Venue {
    /// `url` split into host, port and path.
    pub fn wss_url(&self) -> Result<WssUrl<'_>, String> {
        let rest = self.url.strip_prefix("wss://").ok_or("must start with wss:// (TLS is not optional)")?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, port.parse::<u16>().ok().filter(|p| *p != 0).ok_or("port must be 1-65535")?),
            None => (authority, 443),
        };
        if host.is_empty() || host.contains(['@', '?', '#', ' ']) {
            return Err("needs a host: wss://host[:port]/path".to_owned());
        }
        Ok(WssUrl { host, port, path: if path.is_empty() { "/" } else { path } })
    }

    /// The decoded `pin_spki` hashes.
    pub fn pins(&self) -> Result<Vec<[u8; 32]>, String> {
        self.pin_spki
            .iter()
            .enumerate()
            .map(|(i, pin)| {
                STANDARD
                    .decode(pin)
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| format!("venue.pin_spki[{i}]: not the base64 of a 32-byte SHA-256"))
            })
            .collect()
    }

    /// The certificates of `ca_file`, if one is configured.
    pub fn ca_certs(&self) -> Result<Option<Vec<CertificateDer<'static>>>, String> {
        let Some(path) = &self.ca_file else { return Ok(None) };
        let shown = path.display();
        let pem = std::fs::read_to_string(path).map_err(|e| format!("venue.ca_file {shown}: {e}"))?;
        certs_from_pem(&pem).map(Some).map_err(|e| format!("venue.ca_file {shown}: {e}"))
    }

    fn validate(&self, p: &mut Problems) {
        match self.wss_url() {
            Ok(url) => p.require(
                self.network != Network::Live || !url.host.contains("testnet"),
                "venue.network",
                format_args!("is \"live\" but venue.url points at a testnet host ({})", url.host),
            ),
            Err(e) => p.require(false, "venue.url", e),
        }
        if let Err(e) = self.pins() {
            p.0.push(e);
        }
        p.require(self.request_timeout_ms > 0, "venue.request_timeout_ms", "must be > 0");
        p.require(self.ping_interval_secs > 0, "venue.ping_interval_secs", "must be > 0");
        p.require(
            self.silence_secs > self.ping_interval_secs,
            "venue.silence_secs",
            "must be > venue.ping_interval_secs (a quiet venue still answers pings)",
        );
        p.require(self.reconnect_min_ms > 0, "venue.reconnect_min_ms", "must be > 0");
        p.require(
            self.reconnect_max_ms >= self.reconnect_min_ms,
            "venue.reconnect_max_ms",
            "must be >= venue.reconnect_min_ms",
        );
        p.require(
            self.rotate_after_secs > 0 && self.rotate_after_secs < VENUE_CONNECTION_LIFETIME_SECS,
            "venue.rotate_after_secs",
            format_args!("must be > 0 and < {VENUE_CONNECTION_LIFETIME_SECS} (the venue closes connections at 24 h)"),
        );
        if let Some(window) = self.recv_window_ms {
            p.require(
                window > 0 && window <= MAX_RECV_WINDOW_MS,
                "venue.recv_window_ms",
                format_args!("must be 1-{MAX_RECV_WINDOW_MS}"),
            );
        }
    }
}

impl Auth {
    fn validate(&self, p: &mut Problems) {
        if self.api_key_env.is_some() == self.api_key_file.is_some() {
            p.0.push(ONE_OF_API_KEY.to_owned());
        }
        if self.secret_env.is_some() == self.secret_file.is_some() {
            p.0.push(ONE_OF_SECRET.to_owned());
        }
        for (field, var) in [("auth.api_key_env", &self.api_key_env), ("auth.secret_env", &self.secret_env)] {
            if let Some(var) = var {
                p.require(!var.is_empty() && !var.contains(['=', '\0']), field, "is not an environment variable name");
            }
        }
    }
}

impl Instrument {
    fn validate(&self, p: &mut Problems) {
        p.require(
            (1..=20).contains(&self.symbol.len())
                && self.symbol.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
            "instrument.symbol",
            "must be 1-20 characters A-Z or 0-9",
        );
        for (field, int, decimals) in [
            ("instrument.price", self.price_int_digits, self.price_decimals),
            ("instrument.qty", self.qty_int_digits, self.qty_decimals),
        ] {
            p.require(
                int >= 1 && int.saturating_add(decimals) <= MAX_DECIMAL_DIGITS,
                &format!("{field}_int_digits"),
                format_args!("must be >= 1, and with {field}_decimals at most {MAX_DECIMAL_DIGITS} digits"),
            );
        }
        let limit = !matches!(self.order_type, OrderKind::Market);
        match self.limit_price_ticks {
            None => p.require(!limit, "instrument.limit_price_ticks", "is required by a limit order_type"),
            Some(ticks) => {
                p.require(limit, "instrument.limit_price_ticks", "is not used by order_type = \"market\"");
                p.require(
                    ticks > 0 && ticks <= self.max_price(),
                    "instrument.limit_price_ticks",
                    "must be > 0 and fit the price digits",
                );
            }
        }
        p.require(
            self.reference_price_ticks > 0 && self.reference_price_ticks <= self.max_price(),
            "instrument.reference_price_ticks",
            "must be > 0 and fit the price digits",
        );
        p.require(
            (1..=order::REQUEST_ID_WIDTH).contains(&self.client_order_id_digits),
            "instrument.client_order_id_digits",
            format_args!("must be 1-{}", order::REQUEST_ID_WIDTH),
        );
    }
}

impl Strategy {
    fn validate(&self, p: &mut Problems) {
        p.require(
            self.min_total_sat.is_some() || self.min_output_sat.is_some() || self.min_watch_sat.is_some(),
            "strategy",
            "set at least one of min_total_sat, min_output_sat, min_watch_sat (none: nothing can fire)",
        );
        for (field, sat) in [
            ("strategy.min_total_sat", self.min_total_sat),
            ("strategy.min_output_sat", self.min_output_sat),
            ("strategy.min_watch_sat", self.min_watch_sat),
        ] {
            if let Some(sat) = sat {
                p.require(
                    sat > 0 && sat <= MAX_MONEY_SAT,
                    field,
                    "must be > 0 and at most 21 000 000 BTC (in satoshis)",
                );
            }
        }
        p.require(
            self.watch.is_empty() || self.min_watch_sat.is_some(),
            "strategy.watch",
            "needs strategy.min_watch_sat",
        );
        p.require(self.max_strength >= 1, "strategy.max_strength", "must be >= 1");
        p.require(self.base_qty > 0, "strategy.base_qty", "must be > 0");
        p.require(self.max_qty >= self.base_qty, "strategy.max_qty", "must be >= strategy.base_qty");
        for (i, w) in self.watch.iter().enumerate() {
            let field = format!("strategy.watch[{i}].script_hex");
            match hex::decode(&w.script_hex) {
                Ok(script) => p.require(
                    !script.is_empty() && script.len() <= MAX_SCRIPT_BYTES,
                    &field,
                    format_args!("must be 1-{MAX_SCRIPT_BYTES} bytes"),
                ),
                Err(e) => p.require(false, &field, format_args!("not hex: {e}")),
            }
        }
    }
}

impl Risk {
    fn validate(&self, p: &mut Problems) {
        p.require(self.max_qty > 0, "risk.max_qty", "must be > 0");
        p.require(self.max_notional > 0, "risk.max_notional", "must be > 0");
        p.require(self.max_open_orders > 0, "risk.max_open_orders", "must be > 0");
        p.require(self.max_position > 0, "risk.max_position", "must be > 0");
        p.require(
            self.orders_per_10s > 0 && u64::from(self.orders_per_10s) <= BINANCE_ORDERS_PER_10S,
            "risk.orders_per_10s",
            format_args!("must be 1-{BINANCE_ORDERS_PER_10S} (the venue's limit)"),
        );
        p.require(
            self.orders_per_day > 0 && u64::from(self.orders_per_day) <= BINANCE_ORDERS_PER_DAY,
            "risk.orders_per_day",
            format_args!("must be 1-{BINANCE_ORDERS_PER_DAY} (the venue's limit)"),
        );
        if let Some(n) = self.kill_after_rejects {
            p.require(n > 0, "risk.kill_after_rejects", "must be > 0 (leave it out to never kill on rejects)");
        }
    }
}

impl Host {
    /// The engine thread's start-up tuning.
    pub fn tuning(&self) -> Tuning {
        Tuning { cpu: self.cpu, mlock: self.mlock, fifo_priority: self.sched_fifo.map(i32::from) }
    }

    fn validate(&self, p: &mut Problems) {
        if let Some(cpu) = self.cpu {
            p.require(cpu < MAX_CPUS, "host.cpu", format_args!("must be < {MAX_CPUS}"));
        }
        if let Some(priority) = self.sched_fifo {
            p.require((1..=99).contains(&priority), "host.sched_fifo", "must be 1-99");
        }
        for (field, bytes) in [("host.rcvbuf", self.rcvbuf), ("host.sndbuf", self.sndbuf)] {
            if let Some(bytes) = bytes {
                p.require(bytes > 0 && i32::try_from(bytes).is_ok(), field, "must be 1-2147483647");
            }
        }
    }
}

/// The API key and secret of `[auth]`.
pub struct Secrets {
    /// The API key (ASCII letters and digits).
    pub api_key: String,
    /// The signing secret.
    pub key: SecretKey,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

/// A signing secret, wiped on drop.
pub enum SecretKey {
    /// The HMAC-SHA256 secret as given.
    Hmac(Zeroizing<Vec<u8>>),
    /// The 32-byte Ed25519 seed.
    Ed25519(Zeroizing<[u8; 32]>),
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

/// An Ed25519 seed from a PKCS#8 PEM (`PRIVATE KEY`, as Binance's key
/// generator writes it), the base64 of its DER, or the raw 32-byte seed in
/// hex or base64. Errors never quote the input.
fn ed25519_seed(raw: &[u8]) -> Result<Zeroizing<[u8; 32]>, String> {
    let text = std::str::from_utf8(raw).map_err(|_| "an Ed25519 key must be PEM, base64 or hex text")?.trim();
    let bytes = if text.starts_with("-----") {
        let key = PrivatePkcs8KeyDer::from_pem_slice(text.as_bytes())
            .map_err(|_| "PEM must hold one unencrypted \"PRIVATE KEY\" (PKCS#8) block")?;
        Zeroizing::new(key.secret_pkcs8_der().to_vec())
    } else if let Ok(bytes) = hex::decode(text) {
        Zeroizing::new(bytes)
    } else {
        Zeroizing::new(STANDARD.decode(text).map_err(|_| "an Ed25519 key must be PEM, base64 or hex")?)
    };
    if let Ok(seed) = <[u8; 32]>::try_from(bytes.as_slice()) {
        return Ok(Zeroizing::new(seed));
    }
    let key = ed25519_dalek::SigningKey::from_pkcs8_der(&bytes)
        .map_err(|_| "not an Ed25519 PKCS#8 private key (nor a 32-byte seed)")?;
    Ok(Zeroizing::new(key.to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../config/hotline.example.toml");

    fn example() -> Config {
        parse(EXAMPLE).unwrap()
    }

    /// The example with `from` replaced by `to` (which must occur).
    fn edited(from: &str, to: &str) -> Result<Config, String> {
        assert!(EXAMPLE.contains(from), "example lacks {from}");
        parse(&EXAMPLE.replacen(from, to, 1))
    }

    #[test]
    fn example_parses_to_paper_testnet() {
        let config = example();
        assert!(!config.is_live());
        assert_eq!(config.venue.network, Network::Testnet);
        assert_eq!(config.node.host_port(), Ok(("127.0.0.1", 28332)));
        let url = config.venue.wss_url().unwrap();
        assert_eq!((url.host, url.port, url.path), ("ws-api.testnet.binance.vision", 443, "/ws-api/v3"));
        assert_eq!(config.venue.rotate_after_secs, 85_800);
        assert_eq!(config.host.tuning(), Tuning { cpu: None, mlock: true, fifo_priority: None });
        let tuned = edited("# cpu = 3", "cpu = 3\nsched_fifo = 50").unwrap();
        assert_eq!(tuned.host.tuning(), Tuning { cpu: Some(3), mlock: true, fifo_priority: Some(50) });
    }

    #[test]
    fn unknown_keys_name_their_table() {
        let err = edited("[venue]\n", "[venue]\nurl_typo = 1\n").unwrap_err();
        assert!(err.contains("venue.url_typo") && err.contains("unknown field"), "{err}");
        let line = 1 + EXAMPLE.lines().position(|l| l == "[venue]").unwrap() + 1;
        assert!(err.ends_with(&format!("(line {line})")), "{err}");
        let err = parse(&format!("colour = 1\n{EXAMPLE}")).unwrap_err();
        assert!(err.contains("colour") && err.contains("line 1"), "{err}");
    }

    #[test]
    fn wrong_type_names_the_field() {
        let err = edited("request_timeout_ms = 5000", "request_timeout_ms = \"5s\"").unwrap_err();
        assert!(err.starts_with("venue.request_timeout_ms: invalid type"), "{err}");
        let err = edited("network = \"testnet\"", "network = \"mainnet\"").unwrap_err();
        assert!(err.starts_with("venue.network: unknown variant `mainnet`"), "{err}");
    }

    #[test]
    fn rules_name_the_field() {
        let cases = [
            ("url = \"wss://", "url = \"ws://", "venue.url: must start with wss://"),
            (
                "reconnect_max_ms = 30000",
                "reconnect_max_ms = 100",
                "venue.reconnect_max_ms: must be >= venue.reconnect_min_ms",
            ),
            ("rotate_after_secs = 85800", "rotate_after_secs = 86400", "venue.rotate_after_secs"),
            (
                "network = \"testnet\"",
                "network = \"live\"",
                "venue.network: is \"live\" but venue.url points at a testnet",
            ),
            ("endpoint = \"tcp://127.0.0.1:28332\"", "endpoint = \"tcp://127.0.0.1\"", "node.endpoint: needs a port"),
            ("base_qty = 10", "base_qty = 0", "strategy.base_qty: must be > 0"),
            ("orders_per_10s = 20", "orders_per_10s = 51", "risk.orders_per_10s: must be 1-50"),
            ("symbol = \"BTCUSDT\"", "symbol = \"btc-usdt\"", "instrument.symbol"),
            (
                "api_key_env = \"HOTLINE_API_KEY\"",
                "api_key_file = \"/k\"\napi_key_env = \"HOTLINE_API_KEY\"",
                "auth.api_key_env, auth.api_key_file: give exactly one",
            ),
        ];
        for (from, to, expected) in cases {
            let err = edited(from, to).unwrap_err();
            assert!(err.contains(expected), "{to}: `{err}` lacks `{expected}`");
        }
    }

    #[test]
    fn limit_orders_need_a_price_and_market_orders_refuse_one() {
        let err = edited("order_type = \"market\"", "order_type = \"limit_ioc\"").unwrap_err();
        assert!(err.contains("instrument.limit_price_ticks: is required"), "{err}");
        let config =
            edited("order_type = \"market\"", "order_type = \"limit_ioc\"\nlimit_price_ticks = 9000000").unwrap();
        assert_eq!(order::OrderType::from(config.instrument.order_type), order::OrderType::Limit(TimeInForce::Ioc));
        let err = edited("order_type = \"market\"", "order_type = \"market\"\nlimit_price_ticks = 1").unwrap_err();
        assert!(err.contains("is not used by order_type"), "{err}");
    }

    #[test]
    fn every_problem_is_listed() {
        assert_eq!(edited("base_qty = 10", "base_qty = 0").unwrap_err().lines().count(), 1);
        let text = EXAMPLE.replacen("base_qty = 10", "base_qty = 0", 1).replacen(
            "orders_per_10s = 20",
            "orders_per_10s = 0",
            1,
        );
        assert_eq!(parse(&text).unwrap_err().lines().count(), 2);
    }

    #[test]
    fn core_settings_follow_the_file() {
        let watch = "\n[[strategy.watch]]\nscript_hex = \"0014751e76e8199196d454941c45d1b3a323f1433bd6\"\nkind = \"cold_storage\"\n";
        let config = parse(&format!("{EXAMPLE}{watch}")).unwrap();
        let limits = config.limits();
        assert_eq!(limits.short_rate.capacity, config.risk.orders_per_10s);
        assert!(limits.kill_on_feed_gap);
        let holdoff = edited("on_gap = \"kill\"", "on_gap = \"holdoff\"").unwrap();
        assert!(!holdoff.limits().kill_on_feed_gap);
        let scripts = config.strategy.watch_scripts().unwrap();
        let entries: Vec<_> = scripts.iter().map(|(s, kind)| WatchEntry { script: s, kind: *kind }).collect();
        let rules = config.strategy.rules(&entries);
        assert_eq!(rules.watch.len(), 1);
        assert_eq!(rules.watch[0].kind, whale::WatchKind::ColdStorage);
        assert_eq!(rules.watch[0].script.len(), 22);
        assert_eq!(rules.cooldown_ns, config.strategy.cooldown_ms * 1_000_000);
    }

    /// RFC 8410 §10.3's example key, as `openssl genpkey -algorithm ed25519` writes it.
    const RFC8410_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
        MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
        -----END PRIVATE KEY-----\n";
    const RFC8410_SEED: &str = "d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842";

    #[test]
    fn ed25519_seed_from_pem_base64_or_hex() {
        let seed = hex::decode(RFC8410_SEED).unwrap();
        assert_eq!(ed25519_seed(RFC8410_PEM.as_bytes()).unwrap().as_slice(), seed);
        assert_eq!(ed25519_seed(RFC8410_SEED.as_bytes()).unwrap().as_slice(), seed);
        assert_eq!(ed25519_seed(STANDARD.encode(&seed).as_bytes()).unwrap().as_slice(), seed);
        let der = "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC";
        assert_eq!(ed25519_seed(der.as_bytes()).unwrap().as_slice(), seed);
        let encrypted = RFC8410_PEM.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY");
        assert!(ed25519_seed(encrypted.as_bytes()).unwrap_err().contains("unencrypted"));
        let err = ed25519_seed(&RFC8410_SEED.as_bytes()[2..]).unwrap_err();
        assert!(!err.contains(&RFC8410_SEED[2..10]), "{err}");
    }

    #[test]
    fn secrets_never_print() {
        let secrets = Secrets { api_key: "KEY".into(), key: SecretKey::Hmac(Zeroizing::new(b"hunter2".to_vec())) };
        assert_eq!(format!("{secrets:?} {:?}", secrets.key), "<secret> <secret>");
    }
}
