//! A running FIX acceptor (`hotline-fix-acceptor`: QuickFIX playing
//! Coinbase Exchange's FIX 5.0 SP2 order entry, behind stunnel, with its
//! book's touch published on a Coinbase-shaped WebSocket feed) and the
//! mempool replayer turn into the engine's settings and connection plan
//! for trading Coinbase on paper: the instrument, order shape, sizing,
//! credentials, TLS and market data that `hotline demo --venue coinbase`
//! trades with (docs/protocols/coinbase-fix.md, docs/market-data.md
//! §Coinbase).

use std::net::SocketAddr;

use hotline_core::engine::{MarketFeed, Pricing, Settings, Timers};
use hotline_core::order::{Decimal, Instrument, OrderType, TimeInForce};
use hotline_core::sign::HmacKey;
use hotline_core::strategy::whale::Sizing;
use hotline_core::venue::coinbase::logon::{CancelOnDisconnect, Credentials, LogonParams};
use hotline_core::venue::{self, coinbase};
use hotline_fix_acceptor::{Book, KEY, Options, PASSPHRASE, Peer, SECRET_B64, Tls, TlsVersion};

use crate::clock::Clock;
use crate::driver::{Plan, first_client_order_id};
use crate::net::ring::RingConfig;
use crate::net::socket::SocketOptions;
use crate::tls::Versions;

/// Coinbase's BTC-USD: prices to the cent, sizes in steps of 10^-8 BTC.
pub const INSTRUMENT: Instrument<'static> = Instrument {
    symbol: "BTC-USD",
    price: Decimal { int_digits: 7, decimals: 2 },
    quantity: Decimal { int_digits: 4, decimals: 8 },
};
/// Signal strength to quantity: 0.001 BTC per unit, at most 0.01.
pub const SIZING: Sizing = Sizing { base_qty: 100_000, max_qty: 1_000_000 };
/// The acceptor's book: 60 000.00 bid, 60 010.00 ask, in ticks.
pub const BID: u64 = 6_000_000;
/// The acceptor's ask, in ticks.
pub const ASK: u64 = 6_001_000;
/// Depth at the bid: enough for every sell of a long demo.
const BID_QTY: &str = "50";

/// The acceptor behind stunnel's TLS 1.3 (and its ticker feed, when
/// started with one), and the CA their certificate chains to.
#[derive(Debug)]
pub struct Venue {
    /// The running acceptor and stunnel; both stop when this drops.
    pub peer: Peer,
    /// The test CA, DER.
    pub ca: rustls::pki_types::CertificateDer<'static>,
}

impl Venue {
    /// Builds (once) and starts the acceptor with its one-level book, and
    /// stunnel in front of it with a fresh CA and `localhost` leaf; with
    /// `ticker`, the feed publishing the book's touch too, under the same
    /// certificate.
    pub fn start(ticker: bool) -> Result<Self, String> {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
        let err = |e: rcgen::Error| format!("certificate generation: {e}");
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(err)?;
        let mut ca = CertificateParams::default();
        ca.distinguished_name.push(DnType::CommonName, "hotline demo FIX CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
        let issuer = Issuer::new(ca, ca_key);
        let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(err)?;
        let leaf = CertificateParams::new(vec!["localhost".to_owned()]).map_err(err)?;
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(err)?;
        let tls =
            Tls { version: TlsVersion::Tls13, cert_chain_pem: leaf_cert.pem(), key_pem: leaf_key.serialize_pem() };
        let book = Book { bid_qty: BID_QTY.to_owned(), ..Book::default() };
        let peer = Peer::start(Options { book, tls: Some(tls), ticker, ..Options::default() })?;
        Ok(Self { peer, ca: ca_cert.der().clone() })
    }

    /// Where the engine connects: stunnel's TLS port.
    pub fn addr(&self) -> Result<SocketAddr, String> {
        self.peer.tls_addr.ok_or_else(|| "stunnel did not start".to_owned())
    }
}

/// Prices `settings`' orders from the touch `venue`'s ticker feed
/// publishes: IOC limits two ticks through it (a buy at the ask plus two,
/// a sell at the bid minus two), as [`super::price_from_book`] does; and
/// `plan` subscribes to the feed.
pub fn price_from_ticker(settings: &mut Settings<'_>, plan: &mut Plan, venue: &Venue) -> Result<(), String> {
    let addr = venue.peer.ticker_addr.ok_or("the acceptor was started without its ticker feed")?;
    super::price_from_book(settings, plan, MarketFeed::Coinbase, INSTRUMENT, "/", &[], addr);
    Ok(())
}

/// The acceptor's test credentials: its API secret, base64-decoded, as an
/// HMAC key.
pub fn secret() -> Result<HmacKey, String> {
    use base64::Engine as _;
    let secret = base64::engine::general_purpose::STANDARD.decode(SECRET_B64).map_err(|e| format!("secret: {e}"))?;
    Ok(HmacKey::new(&secret))
}

/// IOC limits on [`INSTRUMENT`] at the acceptor's bid (whales' sells fill
/// there, buys expire), logged on with the acceptor's credentials and
/// `secret`, timestamps from `clock`, reading `nodes` nodes.
pub fn settings<'a>(secret: &'a HmacKey, clock: &Clock, nodes: usize, id_random: u64) -> Settings<'a> {
    Settings {
        host: "localhost",
        path: "/",
        venue: venue::Settings::Coinbase(coinbase::Settings {
            instrument: INSTRUMENT,
            order_type: OrderType::Limit(TimeInForce::Ioc),
            credentials: Credentials { api_key: KEY, passphrase: PASSPHRASE, secret },
            logon: LogonParams {
                heartbeat_secs: 10,
                reset_seq: true,
                cancel_on_disconnect: CancelOnDisconnect::Profile,
            },
            id_random,
        }),
        sizing: SIZING,
        ladder: hotline_core::engine::Ladder::SINGLE,
        pricing: Pricing::Fixed { limit: BID, reference: (BID + ASK) / 2 },
        max_tx_bytes: 4_000_000,
        nodes,
        timers: Timers::default(),
        unix_offset_ns: i64::try_from(clock.unix_offset_ns()).unwrap_or(0),
        // The ClOrdID carries 15 hex digits of the id: 18 decimal digits fit.
        first_client_order_id: first_client_order_id(18),
        user_data: true,
    }
}

/// Connect to the nodes at `feeds` and to `venue`, trusting only its CA.
pub fn plan(venue: &Venue, feeds: Vec<SocketAddr>, ring: RingConfig, spin: bool) -> Result<Plan, String> {
    Ok(Plan {
        feeds,
        venue: venue.addr()?,
        server_name: "localhost".to_owned(),
        ca: Some(vec![venue.ca.clone()]),
        pins: Vec::new(),
        aes256: false,
        // TLS 1.3 from stunnel here; Coinbase's gateways may offer only 1.2.
        versions: Versions::Tls12AndTls13,
        sockets: SocketOptions::default(),
        ring,
        spin,
        warm_every: spin.then(|| std::time::Duration::from_micros(crate::driver::WARM_INTERVAL_US)),
        metrics_listen: None,
        market: None,
    })
}
