//! The `hotline run` configuration: a TOML file (`config/hotline.example.toml`
//! documents every field) turns into typed, validated settings, and the
//! secrets it names turn into [`Secrets`]. Unknown keys are errors, not
//! silently ignored, and every error names the dotted path of the field at
//! fault (`venue.reconnect_max_ms: must be >= venue.reconnect_min_ms`), so a
//! typo cannot quietly fall back to a default. Each table has its file,
//! holding its struct, its rules and its conversion to engine settings;
//! every default is in [`defaults`]. Limits that come from the venue are
//! Binance Spot's (docs/protocols/binance-ws-api.md §Rate limits: 50
//! orders per 10 s, 160 000 per day; §Timing: `recvWindow` ≤ 60 000 ms;
//! §Connection lifetime: connections closed after 24 h).

mod auth;
mod defaults;
mod host;
mod instrument;
mod market;
mod node;
mod risk;
mod strategy;
mod venue;

use std::fmt;
use std::path::Path;

use hotline_core::engine::Timers;
use hotline_core::venue::{binance, coinbase};
use serde::Deserialize;

pub use self::auth::{Auth, AuthMode, SecretKey, Secrets};
pub use self::host::Host;
pub use self::instrument::{Instrument, OrderKind};
pub use self::market::{Encoding, Market, MarketStream};
pub use self::node::{Node, OnGap};
pub use self::risk::Risk;
pub use self::strategy::{Strategy, UnlabeledSide, Watch, WatchKind};
pub use self::venue::{CancelScope, Kind as VenueKind, Network, Suite, TimeUnit, Venue, WssUrl};

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
    /// The market-data stream orders are priced from (absent: the
    /// instrument's fixed prices).
    pub market: Option<Market>,
    /// Thread, memory and socket tuning of this machine.
    #[serde(default)]
    pub host: Host,
}

/// Milliseconds as the engine's nanoseconds (saturating).
fn ms_ns(ms: u64) -> u64 {
    ms.saturating_mul(1_000_000)
}

/// Seconds as the engine's nanoseconds (saturating).
fn secs_ns(secs: u64) -> u64 {
    ms_ns(secs.saturating_mul(1000))
}

/// Parses and validates a configuration file's text.
pub fn parse(text: &str) -> Result<Config, String> {
    let de = toml::Deserializer::parse(text).map_err(|e| located(text, &e, ""))?;
    let config: Config =
        serde_path_to_error::deserialize(de).map_err(|e| located(text, e.inner(), &e.path().to_string()))?;
    config.validate()?;
    Ok(config)
}

/// Reads, parses and validates a configuration file; errors start with its
/// name.
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
        self.instrument.validate(&mut p, self.market.is_some(), self.venue.kind);
        if let Some(market) = &self.market {
            market.validate(&mut p, self.venue.kind, self.venue.network, &self.instrument.symbol, self.auth.mode);
        }
        match self.venue.kind {
            VenueKind::Binance => p.require(
                !self.auth.has_passphrase(),
                "auth.passphrase_env",
                "is Coinbase's; Binance keys have no passphrase",
            ),
            VenueKind::Coinbase => {
                p.require(
                    self.auth.has_passphrase(),
                    "auth.passphrase_env",
                    "venue.kind = \"coinbase\" needs the API passphrase (auth.passphrase_env or auth.passphrase_file)",
                );
                p.require(
                    self.auth.mode == AuthMode::Hmac,
                    "auth.mode",
                    "must be \"hmac\" with venue.kind = \"coinbase\" (the FIX Logon is HMAC-SHA256 signed)",
                );
            }
        }
        let max_batch = match self.venue.kind {
            VenueKind::Binance => 1,
            VenueKind::Coinbase => coinbase::order::MAX_BATCH,
        };
        self.strategy.validate(&mut p, max_batch, self.risk.max_open_orders);
        self.risk.validate(&mut p, self.instrument.core().scale(), self.venue.kind);
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
    pub fn limits(&self) -> hotline_core::risk::Limits {
        self.risk.limits(self.node.on_gap == OnGap::Kill, self.instrument.core().scale())
    }

    /// The engine's timers: the venue's, and the feed's watchdog.
    pub fn timers(&self) -> Timers {
        Timers {
            feed_silence_ns: secs_ns(self.node.silence_secs),
            gap_cover_ns: secs_ns(self.node.gap_cover_secs),
            ..self.venue.timers()
        }
    }

    /// The venue's part of the engine settings: orders of `[instrument]`
    /// signed with `auth`, timestamps and `recvWindow` as `[venue]` says.
    pub fn venue_settings<'a>(&'a self, auth: binance::Auth<'a>) -> hotline_core::venue::Settings<'a> {
        hotline_core::venue::Settings::Binance(binance::Settings {
            order: self.instrument.place_order(),
            auth,
            time_unit: self.venue.time_unit.into(),
            recv_window: self.venue.recv_window_ms,
        })
    }

    /// The venue's part of the engine settings for Coinbase: orders of
    /// `[instrument]` on a FIX session logged on with `creds`, HeartBtInt
    /// and CancelOrdersOnDisconnect as `[venue]` says; `id_random` draws
    /// this run's ClOrdID prefix.
    pub fn coinbase_settings<'a>(
        &'a self,
        creds: coinbase::logon::Credentials<'a>,
        id_random: u64,
    ) -> hotline_core::venue::Settings<'a> {
        let order = self.instrument.place_order();
        hotline_core::venue::Settings::Coinbase(coinbase::Settings {
            instrument: order.instrument,
            order_type: order.order_type,
            credentials: creds,
            logon: coinbase::logon::LogonParams {
                heartbeat_secs: self.venue.heartbeat_secs,
                reset_seq: self.venue.reset_on_logon,
                cancel_on_disconnect: self.venue.cancel_on_disconnect.into(),
            },
            id_random,
        })
    }

    /// The market-data stream, when `[market]` prices orders.
    pub fn market_stream(&self) -> Result<Option<MarketStream>, String> {
        let (venue, network) = (self.venue.kind, self.venue.network);
        self.market.as_ref().map(|m| m.stream(venue, network, &self.instrument.symbol, self.auth.mode)).transpose()
    }

    /// Reads the API key and secret the `[auth]` table names.
    pub fn secrets(&self) -> Result<Secrets, String> {
        self.auth.secrets()
    }
}

#[cfg(test)]
mod tests {
    use hotline_core::order::{OrderType, TimeInForce};
    use hotline_core::strategy::whale::{self, WatchEntry};

    use super::*;
    use crate::tune::Tuning;

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
        assert_eq!(config.node.host_ports(), Ok(vec![("127.0.0.1", 28332)]));
        let url = config.venue.wss_url().unwrap();
        assert_eq!((url.host, url.port, url.path), ("ws-api.testnet.binance.vision", 443, "/ws-api/v3"));
        assert_eq!(config.venue.rotate_after_secs, 85_800);
        assert_eq!(config.host.tuning(), Tuning { cpu: None, mlock: true, fifo_priority: None });
        assert_eq!(config.host.metrics_listen, None);
        let served = edited("# metrics_listen = \"127.0.0.1:9464\"", "metrics_listen = \"[::1]:9464\"").unwrap();
        assert_eq!(served.host.metrics_listen, Some("[::1]:9464".parse().unwrap()));
        let public = "metrics_listen = \"0.0.0.0:9464\"\nmetrics_public = true";
        let public = edited("# metrics_listen = \"127.0.0.1:9464\"", public).unwrap();
        assert!(public.host.metrics_public);
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
                "venue.network: is \"live\" but venue.url points at a test host",
            ),
            ("endpoint = \"tcp://127.0.0.1:28332\"", "endpoint = \"tcp://127.0.0.1\"", "node.endpoint: needs a port"),
            ("base_qty = 10", "base_qty = 0", "strategy.base_qty: must be > 0"),
            ("orders_per_10s = 20", "orders_per_10s = 51", "risk.orders_per_10s: must be 1-50"),
            ("symbol = \"BTCUSDT\"", "symbol = \"btc-usdt\"", "instrument.symbol"),
            (
                "# metrics_listen = \"127.0.0.1:9464\"",
                "metrics_listen = \"0.0.0.0:9464\"",
                "host.metrics_listen: 0.0.0.0:9464 is not a loopback address; set host.metrics_public = true",
            ),
            (
                "# metrics_listen = \"127.0.0.1:9464\"",
                "metrics_listen = \"localhost:9464\"",
                "host.metrics_listen: invalid socket address syntax",
            ),
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
        assert_eq!(OrderType::from(config.instrument.order_type), OrderType::Limit(TimeInForce::Ioc));
        let err = edited("order_type = \"market\"", "order_type = \"market\"\nlimit_price_ticks = 1").unwrap_err();
        assert!(err.contains("is not used by order_type"), "{err}");
    }

    #[test]
    fn a_market_table_prices_orders_from_the_book() {
        let booked = "order_type = \"limit_ioc\"";
        let text = EXAMPLE
            .replacen("order_type = \"market\"", booked, 1)
            .replacen("reference_price_ticks = 9000000\n", "", 1)
            .replacen("# [market]", "[market]", 1)
            .replacen("# offset_ticks = 2", "offset_ticks = 3", 1);
        let config = parse(&text).unwrap();
        let stream = config.market_stream().unwrap().unwrap();
        assert_eq!(stream.url, "wss://stream.testnet.binance.vision/ws/btcusdt@bookTicker");
        assert_eq!(stream.encoding, Encoding::Json);
        assert_eq!((stream.offset_ticks, stream.max_age_ns), (3, 1_000_000_000));
        assert_eq!(config.limits().price_collar_bps, Some(50));
        // Fixed prices beside [market] would be silently ignored: refused.
        let both = text.replacen(booked, "order_type = \"limit_ioc\"\nlimit_price_ticks = 1", 1);
        let err = parse(&both).unwrap_err();
        assert!(err.contains("instrument.limit_price_ticks: is not used: [market] prices"), "{err}");
        let sbe = text.replacen("# encoding = \"json\"", "encoding = \"sbe\"", 1);
        let err = parse(&sbe).unwrap_err();
        assert!(err.contains("market.encoding: \"sbe\" needs an Ed25519"), "{err}");
        let err = edited("reference_price_ticks = 9000000\n", "").unwrap_err();
        assert!(err.contains("instrument.reference_price_ticks: is required without [market]"), "{err}");
        let off = text.replacen("price_collar_bps = 50", "price_collar_bps = 0", 1);
        assert_eq!(parse(&off).unwrap().limits().price_collar_bps, None);
    }

    #[test]
    fn coinbase_prices_from_its_feeds_ticker_channel() {
        const COINBASE: &str = include_str!("../../../config/coinbase.example.toml");
        let text = COINBASE
            .replacen("limit_price_ticks = 9000000\n", "", 1)
            .replacen("reference_price_ticks = 9000000\n", "", 1)
            .replacen("# [market]", "[market]", 1);
        let config = parse(&text).unwrap();
        let stream = config.market_stream().unwrap().unwrap();
        assert_eq!(stream.url, "wss://ws-feed-public.sandbox.exchange.coinbase.com");
        assert_eq!((stream.feed, stream.encoding), (hotline_core::engine::MarketFeed::Coinbase, Encoding::Json));
        let live = text.replacen("network = \"testnet\"", "network = \"live\"", 1).replacen(
            "fix-ord.sandbox.exchange.coinbase.com",
            "fix-ord.exchange.coinbase.com",
            1,
        );
        assert_eq!(parse(&live).unwrap().market_stream().unwrap().unwrap().url, "wss://ws-feed.exchange.coinbase.com");
        let sbe = text.replacen("# encoding = \"json\"", "encoding = \"sbe\"", 1);
        let err = parse(&sbe).unwrap_err();
        assert!(err.contains("market.encoding: must be \"json\" with venue.kind = \"coinbase\""), "{err}");
        let plain = text.replacen("# url = \"wss://ws-feed-public", "url = \"ws://ws-feed-public", 1);
        let err = parse(&plain).unwrap_err();
        assert!(err.contains("market.url: must start with wss://"), "{err}");
        let fixed = text.replacen("order_type = \"limit_ioc\"", "order_type = \"limit_ioc\"\nlimit_price_ticks = 1", 1);
        let err = parse(&fixed).unwrap_err();
        assert!(err.contains("instrument.limit_price_ticks: is not used: [market] prices"), "{err}");
    }

    #[test]
    fn a_ladder_is_coinbases_and_fits_one_batch_and_the_open_order_cap() {
        const COINBASE: &str = include_str!("../../../config/coinbase.example.toml");
        let ladder = |orders: &str, step: &str| {
            COINBASE.replacen("# ladder_orders = 3", &format!("ladder_orders = {orders}"), 1).replacen(
                "# ladder_step_ticks = 1",
                &format!("ladder_step_ticks = {step}"),
                1,
            )
        };
        assert_eq!(parse(COINBASE).unwrap().strategy.ladder(), hotline_core::engine::Ladder::SINGLE);
        let three = parse(&ladder("3", "2")).unwrap();
        assert_eq!(three.strategy.ladder(), hotline_core::engine::Ladder { orders: 3, step_ticks: 2 });
        let err = parse(&ladder("16", "1")).unwrap_err();
        assert!(err.contains("strategy.ladder_orders: must be 1 to 15 (one NewOrderBatch)"), "{err}");
        let err = parse(&ladder("0", "1")).unwrap_err();
        assert!(err.contains("strategy.ladder_orders: must be 1 to 15"), "{err}");
        let err = parse(&ladder("5", "1")).unwrap_err();
        assert!(err.contains("strategy.ladder_orders: must not exceed risk.max_open_orders"), "{err}");
        let err = parse(&ladder("1", "1")).unwrap_err();
        assert!(err.contains("strategy.ladder_step_ticks: is not used with one order per signal"), "{err}");
        let binance = EXAMPLE.replacen("# ladder_orders = 1", "ladder_orders = 2", 1);
        let err = parse(&binance).unwrap_err();
        assert!(err.contains("strategy.ladder_orders: must be 1 with venue.kind = \"binance\""), "{err}");
    }

    #[test]
    fn the_loss_limit_is_a_quote_amount_on_the_instruments_grid() {
        let loss = |v: &str| EXAMPLE.replacen("# max_loss = \"250.00\"", &format!("max_loss = {v}"), 1);
        // 250 USDT at 2 price and 5 quantity decimals: 250 · 10^7 lots × ticks.
        assert_eq!(parse(&loss("\"250.00\"")).unwrap().limits().max_loss, Some(2_500_000_000));
        assert_eq!(parse(EXAMPLE).unwrap().limits().max_loss, None);
        for bad in ["\"-5\"", "\"0\"", "\"1.000000001\"", "\"lots\""] {
            let err = parse(&loss(bad)).unwrap_err();
            assert!(
                err.contains("risk.max_loss: must be a positive quote amount with at most 7 decimals"),
                "{bad}: {err}"
            );
        }
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
}
