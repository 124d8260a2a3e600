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
            faults: Faults::default(),
        }
    }
}
