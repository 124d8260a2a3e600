//! `[venue]`: the exchange's order-entry table turns into the URL, trust
//! anchors, pins and cipher suite the TLS client uses and the engine's
//! venue timers. `kind` picks the venue: Binance Spot's WebSocket API
//! (`wss://`; docs/protocols/binance-ws-api.md §Timing: `recvWindow` at
//! most 60 000 ms; §Connection lifetime: connections closed after 24 h)
//! or Coinbase Exchange's FIX order entry (`tcp+ssl://`;
//! docs/protocols/coinbase-fix.md: HeartBtInt at most 30 s,
//! CancelOrdersOnDisconnect, weekly logouts).

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hotline_core::engine::Timers;
use hotline_core::venue::binance;
use hotline_core::venue::coinbase::{self, logon::CancelOnDisconnect};
use rustls_pki_types::CertificateDer;
use serde::Deserialize;

use super::{Problems, defaults, ms_ns, secs_ns};
use crate::tls::certs_from_pem;

/// Binance's largest `recvWindow`, in milliseconds.
const MAX_RECV_WINDOW_MS: u32 = 60_000;

/// Coinbase's largest HeartBtInt, in seconds.
const MAX_HEARTBEAT_SECS: u8 = 30;

/// `[venue]`: the exchange's order entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Venue {
    /// Which exchange and API.
    #[serde(default)]
    pub kind: Kind,
    /// `wss://host[:port]/path` (Binance) or `tcp+ssl://host:port`
    /// (Coinbase FIX).
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
    /// The TLS 1.3 cipher suite offered first (the other follows).
    #[serde(default)]
    pub suite: Suite,
    /// A request without a response after this long has an unknown outcome.
    #[serde(default = "defaults::venue_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// Interval of the client's own pings.
    #[serde(default = "defaults::venue_ping_interval_secs")]
    pub ping_interval_secs: u64,
    /// Watchdog: seconds without any frame from the venue before reconnecting.
    #[serde(default = "defaults::venue_silence_secs")]
    pub silence_secs: u64,
    /// First reconnect delay; it doubles, with jitter, up to the maximum.
    #[serde(default = "defaults::venue_reconnect_min_ms")]
    pub reconnect_min_ms: u64,
    /// Largest reconnect delay.
    #[serde(default = "defaults::venue_reconnect_max_ms")]
    pub reconnect_max_ms: u64,
    /// Reconnect proactively after this long, before the venue's 24 h limit.
    #[serde(default = "defaults::venue_rotate_after_secs")]
    pub rotate_after_secs: u64,
    /// `recvWindow` in milliseconds (none: the venue's default of 5000).
    pub recv_window_ms: Option<u32>,
    /// Unit of `timestamp` in requests.
    #[serde(default)]
    pub time_unit: TimeUnit,
    /// Subscribe to the account's user data: fills, position and P&L, and
    /// orders closed on the venue's word.
    #[serde(default = "defaults::venue_user_data")]
    pub user_data: bool,
    /// Coinbase: FIX HeartBtInt, seconds (1-30).
    #[serde(default = "defaults::venue_heartbeat_secs")]
    pub heartbeat_secs: u8,
    /// Coinbase: what the venue cancels when the session drops.
    #[serde(default)]
    pub cancel_on_disconnect: CancelScope,
    /// Coinbase: every Logon resets both sides' MsgSeqNums to 1
    /// (ResetSeqNumFlag Y); off, a new connection resumes the last one's
    /// numbers and asks the venue to resend what it lost.
    #[serde(default = "defaults::venue_reset_on_logon")]
    pub reset_on_logon: bool,
}

/// The exchange and its order-entry API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Binance Spot's WebSocket API.
    #[default]
    Binance,
    /// Coinbase Exchange's FIX 5.0 SP2 order entry.
    Coinbase,
}

/// Coinbase's CancelOrdersOnDisconnect (8013).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelScope {
    /// Every order of the profile (`Y`, Coinbase's recommendation).
    #[default]
    Profile,
    /// Only this session's orders (`S`).
    Session,
}

impl From<CancelScope> for CancelOnDisconnect {
    fn from(scope: CancelScope) -> Self {
        match scope {
            CancelScope::Profile => Self::Profile,
            CancelScope::Session => Self::Session,
        }
    }
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

/// The preferred TLS 1.3 cipher suite.
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

impl From<TimeUnit> for binance::TimeUnit {
    fn from(unit: TimeUnit) -> Self {
        match unit {
            TimeUnit::Millis => Self::Millis,
            TimeUnit::Micros => Self::Micros,
        }
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

/// A `wss://host[:port]/path` URL split into its parts.
pub(super) fn parse_wss(url: &str) -> Result<WssUrl<'_>, String> {
    let rest = url.strip_prefix("wss://").ok_or("must start with wss:// (TLS is not optional)")?;
    split_authority(rest, 443)
}

/// A `tcp+ssl://host:port` URL (FIX over TLS) split into its parts.
fn parse_fix(url: &str) -> Result<WssUrl<'_>, String> {
    let rest = url.strip_prefix("tcp+ssl://").ok_or("must start with tcp+ssl:// (FIX over TLS)")?;
    if rest.contains('/') {
        return Err("a FIX URL has no path: tcp+ssl://host:port".to_owned());
    }
    let url = split_authority(rest, 0)?;
    if url.port == 0 {
        return Err("needs a port: tcp+ssl://host:port".to_owned());
    }
    Ok(url)
}

/// `host[:port][/path]`, `default_port` when none is given.
fn split_authority(rest: &str, default_port: u16) -> Result<WssUrl<'_>, String> {
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse::<u16>().ok().filter(|p| *p != 0).ok_or("port must be 1-65535")?),
        None => (authority, default_port),
    };
    if host.is_empty() || host.contains(['@', '?', '#', ' ']) {
        return Err("needs a host: wss://host[:port]/path".to_owned());
    }
    Ok(WssUrl { host, port, path: if path.is_empty() { "/" } else { path } })
}

impl Venue {
    /// `url` split into host, port and path (`/` for FIX).
    pub fn wss_url(&self) -> Result<WssUrl<'_>, String> {
        match self.kind {
            Kind::Binance => parse_wss(&self.url),
            Kind::Coinbase => parse_fix(&self.url),
        }
    }

    /// The venue's timers as the engine takes them (the feed's watchdog is
    /// `[node]`'s: [`super::Config::timers`] adds it).
    pub fn timers(&self) -> Timers {
        Timers {
            request_timeout_ns: ms_ns(self.request_timeout_ms),
            ping_interval_ns: secs_ns(self.ping_interval_secs),
            venue_silence_ns: secs_ns(self.silence_secs),
            reconnect_min_ns: ms_ns(self.reconnect_min_ms),
            reconnect_max_ns: ms_ns(self.reconnect_max_ms),
            rotate_after_ns: secs_ns(self.rotate_after_secs),
            ..Timers::default()
        }
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

    pub(super) fn validate(&self, p: &mut Problems) {
        match self.wss_url() {
            Ok(url) => p.require(
                self.network != Network::Live || !(url.host.contains("testnet") || url.host.contains("sandbox")),
                "venue.network",
                format_args!("is \"live\" but venue.url points at a test host ({})", url.host),
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
        let (lifetime_ns, lifetime) = match self.kind {
            Kind::Binance => (binance::CONNECTION_LIFETIME_NS, "24 h"),
            Kind::Coinbase => (coinbase::CONNECTION_LIFETIME_NS, "a week"),
        };
        let lifetime_secs = lifetime_ns / 1_000_000_000;
        p.require(
            self.rotate_after_secs > 0 && self.rotate_after_secs < lifetime_secs,
            "venue.rotate_after_secs",
            format_args!("must be > 0 and < {lifetime_secs} (the venue closes connections at {lifetime})"),
        );
        if let Some(window) = self.recv_window_ms {
            p.require(
                window > 0 && window <= MAX_RECV_WINDOW_MS,
                "venue.recv_window_ms",
                format_args!("must be 1-{MAX_RECV_WINDOW_MS}"),
            );
            p.require(self.kind == Kind::Binance, "venue.recv_window_ms", "is Binance's; FIX has no recvWindow");
        }
        p.require(
            self.reset_on_logon || self.kind == Kind::Coinbase,
            "venue.reset_on_logon",
            "is Coinbase's (FIX sequence numbers); Binance's WebSocket API has none",
        );
        p.require(
            (1..=MAX_HEARTBEAT_SECS).contains(&self.heartbeat_secs),
            "venue.heartbeat_secs",
            format_args!("must be 1-{MAX_HEARTBEAT_SECS} (Coinbase's HeartBtInt limit)"),
        );
        if self.kind == Kind::Coinbase {
            p.require(
                self.silence_secs > u64::from(self.heartbeat_secs) * 2,
                "venue.silence_secs",
                "must be > 2 × venue.heartbeat_secs (a quiet FIX session still sends Heartbeats)",
            );
        }
    }
}
