//! `[market]`: the top-of-book stream orders are priced from turns into
//! its URL, encoding, and the pricing the engine applies (docs/market-data.md).
//! Binance publishes the touch as SBE `<symbol>@bestBidAsk` on
//! `stream-sbe.binance.com:9443`, which needs an Ed25519 API key in the
//! upgrade's `X-MBX-APIKEY` header, and as JSON `<symbol>@bookTicker` on
//! `stream.binance.com:9443` (docs/protocols/binance-market-data.md).
//! Coinbase publishes it in JSON `ticker` messages on its Exchange
//! WebSocket feed, `ws-feed.exchange.coinbase.com` (sandbox:
//! `ws-feed-public.sandbox.exchange.coinbase.com`), after a subscribe
//! (docs/market-data.md §Coinbase).

use hotline_core::engine::MarketFeed;
use serde::Deserialize;

use super::venue::{Network, WssUrl, parse_wss};
use super::{AuthMode, Problems, VenueKind, defaults, ms_ns};

/// `[market]`: the market-data stream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Market {
    /// Binance: `wss://host[:port]/ws/<symbol>@bestBidAsk` or
    /// `…@bookTicker`; Coinbase: the feed's `wss://host[:port]/` (default:
    /// the venue's, for `venue.network` and the encoding; required with
    /// `network = "sim"`).
    pub url: Option<String>,
    /// `"sbe"` or `"json"` (default: SBE with an Ed25519 key, else JSON;
    /// Coinbase's feed is JSON only).
    pub encoding: Option<Encoding>,
    /// Ticks through the touch: a buy at the ask plus this, a sell at the
    /// bid minus it.
    #[serde(default = "defaults::market_offset_ticks")]
    pub offset_ticks: u64,
    /// No order from a book older than this.
    #[serde(default = "defaults::market_max_age_ms")]
    pub max_age_ms: u64,
}

/// How the stream encodes the touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// SBE `bestBidAsk` (binary frames; needs an Ed25519 API key).
    Sbe,
    /// JSON `bookTicker` (text frames; no key).
    Json,
}

/// Where the stream is and how orders are priced from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketStream {
    /// Whose market data it is.
    pub feed: MarketFeed,
    /// The full URL.
    pub url: String,
    /// The encoding.
    pub encoding: Encoding,
    /// Ticks through the touch.
    pub offset_ticks: u64,
    /// Oldest book orders are priced from, ns.
    pub max_age_ns: u64,
}

impl MarketStream {
    /// `url` split into host, port and path.
    pub fn wss_url(&self) -> Result<WssUrl<'_>, String> {
        parse_wss(&self.url)
    }
}

impl Market {
    /// The encoding in use on `venue` with keys of `mode`.
    pub fn encoding(&self, venue: VenueKind, mode: AuthMode) -> Encoding {
        self.encoding.unwrap_or(match (venue, mode) {
            (VenueKind::Binance, AuthMode::Ed25519) => Encoding::Sbe,
            _ => Encoding::Json,
        })
    }

    /// The stream of `venue` for `symbol` on `network` with keys of `mode`.
    pub fn stream(
        &self,
        venue: VenueKind,
        network: Network,
        symbol: &str,
        mode: AuthMode,
    ) -> Result<MarketStream, String> {
        let encoding = self.encoding(venue, mode);
        let url = match (&self.url, network, venue) {
            (Some(url), _, _) => url.clone(),
            (None, Network::Sim, _) => return Err("market.url: required with venue.network = \"sim\"".to_owned()),
            (None, Network::Live, VenueKind::Coinbase) => "wss://ws-feed.exchange.coinbase.com".to_owned(),
            (None, _, VenueKind::Coinbase) => "wss://ws-feed-public.sandbox.exchange.coinbase.com".to_owned(),
            (None, network, VenueKind::Binance) => {
                let host = match (network, encoding) {
                    (Network::Live, Encoding::Sbe) => "stream-sbe.binance.com:9443",
                    (Network::Live, Encoding::Json) => "stream.binance.com:9443",
                    (_, Encoding::Sbe) => "stream-sbe.testnet.binance.vision",
                    (_, Encoding::Json) => "stream.testnet.binance.vision",
                };
                let stream = match encoding {
                    Encoding::Sbe => "bestBidAsk",
                    Encoding::Json => "bookTicker",
                };
                format!("wss://{host}/ws/{}@{stream}", symbol.to_ascii_lowercase())
            }
        };
        let feed = match venue {
            VenueKind::Binance => MarketFeed::Binance,
            VenueKind::Coinbase => MarketFeed::Coinbase,
        };
        Ok(MarketStream { feed, url, encoding, offset_ticks: self.offset_ticks, max_age_ns: ms_ns(self.max_age_ms) })
    }

    pub(super) fn validate(&self, p: &mut Problems, venue: VenueKind, network: Network, symbol: &str, mode: AuthMode) {
        match venue {
            VenueKind::Binance => p.require(
                self.encoding(venue, mode) == Encoding::Json || mode == AuthMode::Ed25519,
                "market.encoding",
                "\"sbe\" needs an Ed25519 API key (auth.mode = \"ed25519\"); use \"json\" with an HMAC key",
            ),
            VenueKind::Coinbase => p.require(
                self.encoding(venue, mode) == Encoding::Json,
                "market.encoding",
                "must be \"json\" with venue.kind = \"coinbase\" (SBE is Binance's; Coinbase's feed is JSON)",
            ),
        }
        p.require(self.max_age_ms > 0, "market.max_age_ms", "must be > 0");
        match self.stream(venue, network, symbol, mode) {
            Ok(stream) => {
                if let Err(e) = stream.wss_url() {
                    p.require(false, "market.url", e);
                }
            }
            Err(e) => p.0.push(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn market(url: Option<&str>, encoding: Option<Encoding>) -> Market {
        Market { url: url.map(str::to_owned), encoding, offset_ticks: 2, max_age_ms: 1000 }
    }

    #[test]
    fn default_urls_follow_the_network_and_the_key() {
        let m = market(None, None);
        let url = |network, mode| m.stream(VenueKind::Binance, network, "BTCUSDT", mode).unwrap().url;
        assert_eq!(url(Network::Live, AuthMode::Ed25519), "wss://stream-sbe.binance.com:9443/ws/btcusdt@bestBidAsk");
        assert_eq!(url(Network::Live, AuthMode::Hmac), "wss://stream.binance.com:9443/ws/btcusdt@bookTicker");
        assert_eq!(url(Network::Testnet, AuthMode::Hmac), "wss://stream.testnet.binance.vision/ws/btcusdt@bookTicker");
        let sim = m.stream(VenueKind::Binance, Network::Sim, "BTCUSDT", AuthMode::Hmac);
        assert!(sim.unwrap_err().starts_with("market.url: required"));
        let given = market(Some("wss://127.0.0.1:9000/ws/btcusdt@bookTicker"), Some(Encoding::Json));
        let stream = given.stream(VenueKind::Binance, Network::Sim, "BTCUSDT", AuthMode::Ed25519).unwrap();
        assert_eq!(stream.wss_url().unwrap().port, 9000);
        assert_eq!(stream.max_age_ns, 1_000_000_000);
    }

    #[test]
    fn sbe_needs_an_ed25519_key() {
        let mut p = Problems::default();
        market(None, Some(Encoding::Sbe)).validate(
            &mut p,
            VenueKind::Binance,
            Network::Testnet,
            "BTCUSDT",
            AuthMode::Hmac,
        );
        assert_eq!(p.0.len(), 1);
        assert!(p.0[0].starts_with("market.encoding: \"sbe\" needs an Ed25519"), "{:?}", p.0);
    }

    #[test]
    fn coinbase_reads_its_feed_in_json() {
        let m = market(None, None);
        let stream = |network| m.stream(VenueKind::Coinbase, network, "BTC-USD", AuthMode::Hmac).unwrap();
        assert_eq!(stream(Network::Live).url, "wss://ws-feed.exchange.coinbase.com");
        assert_eq!(stream(Network::Testnet).url, "wss://ws-feed-public.sandbox.exchange.coinbase.com");
        let live = stream(Network::Live);
        assert_eq!((live.feed, live.encoding), (MarketFeed::Coinbase, Encoding::Json));
        let url = live.wss_url().unwrap();
        assert_eq!((url.host, url.port, url.path), ("ws-feed.exchange.coinbase.com", 443, "/"));
        let mut p = Problems::default();
        market(None, Some(Encoding::Sbe)).validate(
            &mut p,
            VenueKind::Coinbase,
            Network::Live,
            "BTC-USD",
            AuthMode::Hmac,
        );
        assert_eq!(
            p.0,
            [
                "market.encoding: must be \"json\" with venue.kind = \"coinbase\" (SBE is Binance's; Coinbase's feed is JSON)"
            ]
        );
    }
}
