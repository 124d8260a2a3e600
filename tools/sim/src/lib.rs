//! hotline-sim: a simulated Binance Spot exchange on loopback over TLS 1.3 and WebSocket. It turns requests in the
//! WebSocket API subset hotline trades on (Binance's web-socket-api.md,
//! <https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-api.md>: orders, queries, session logon,
//! user data stream subscriptions) into the documented answers and user-data events, verifies every signature and
//! timestamp the way the exchange does (§"SIGNED (TRADE and USER_DATA) request security", §"Timing security"), matches
//! orders against a seeded simulated touch that it also serves as the JSON bookTicker and SBE bestBidAsk market
//! streams (web-socket-streams.md, sbe-market-data-streams.md), journals every accepted order and fill, and injects the
//! faults a trading engine must survive. It deliberately does not depend on `hotline-core`: it is an independent peer
//! built on rustls, tungstenite, `hmac` and `ed25519-dalek`.
//!
//! ```no_run
//! let sim = hotline_sim::Sim::start(hotline_sim::SimConfig::default())?;
//! println!("{} (CA: {} bytes)", sim.url(), sim.ca_der().len());
//! let accepted = sim.orders();
//! sim.shutdown();
//! # Ok::<(), std::io::Error>(())
//! ```

mod account;
mod api;
mod auth;
mod book;
mod config;
mod conn;
mod decimal;
mod error;
mod market;
mod matching;
mod pki;
mod report;
mod sbe;

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{broadcast, mpsc, watch};

pub use account::AssetBalance;
pub use book::{AcceptedOrder, Fill};
pub use config::{
    AccountConfig, CertAlgorithm, DOC_API_KEY, DOC_SECRET_KEY, Ed25519Key, Faults, HmacKey, MarketConfig, SimClock,
    SimConfig,
};
pub use market::Touch;

/// Touch updates a market connection may fall behind by before it skips
/// to the newest.
const TOUCH_BACKLOG: usize = 4096;

/// State every connection shares.
pub(crate) struct Shared {
    pub(crate) config: SimConfig,
    pub(crate) keys: auth::Keys,
    pub(crate) book: Mutex<book::Book>,
    /// Bumped once per `serverShutdown` announcement; each connection
    /// sends the event when it sees a new value.
    announce: watch::Sender<u64>,
    /// Every published touch, to the market connections.
    touches: broadcast::Sender<Touch>,
    /// Connections with a user-data subscription, by connection id: the
    /// subscription id and where its events go.
    pub(crate) subscribers: Mutex<HashMap<u64, (u32, mpsc::UnboundedSender<book::Delivery>)>>,
    next_conn: AtomicU64,
}

impl Shared {
    /// The sim's clock in Unix milliseconds.
    pub(crate) fn now_ms(&self) -> i64 {
        match self.config.clock {
            SimClock::Fixed { unix_ms } => unix_ms,
            SimClock::System { skew_ms } => {
                let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
                i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX).saturating_add(skew_ms)
            }
        }
    }

    /// The sim's clock in Unix microseconds (a fixed clock has whole
    /// milliseconds).
    pub(crate) fn now_us(&self) -> i64 {
        Shared::clock_us(self.config.clock)
    }

    fn clock_us(clock: SimClock) -> i64 {
        match clock {
            SimClock::Fixed { unix_ms } => unix_ms.saturating_mul(1000),
            SimClock::System { skew_ms } => {
                let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
                i64::try_from(since_epoch.as_micros()).unwrap_or(i64::MAX).saturating_add(skew_ms.saturating_mul(1000))
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, book::Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current touch, if the sim has a market.
    pub(crate) fn touch(&self) -> Option<Touch> {
        self.lock().market.as_ref().map(market::Market::touch)
    }

    /// The path of the market's JSON or SBE stream.
    pub(crate) fn market_path(&self, json: bool) -> Option<String> {
        self.lock().market.as_ref().map(|m| m.path(json))
    }

    /// Publishes the next touch (the given one or the path's next step).
    /// The book lock is held while publishing, so connections see touches in
    /// update-id order.
    pub(crate) fn update_market(&self, given: Option<(i64, i64, i64, i64)>) -> Option<Touch> {
        let now_us = self.now_us();
        let mut book = self.lock();
        let touch = book.market.as_mut()?.update(given, now_us);
        // No market connection is no error.
        let _ = self.touches.send(touch);
        if let Err(e) = book.on_touch(now_us.div_euclid(1000)) {
            eprintln!("hotline-sim: journal: {e}");
        }
        self.flush_events(&mut book);
        Some(touch)
    }

    /// Hands the events an operation queued to every subscribed connection.
    /// Called with the book locked, so every connection gets events in the
    /// order they happened.
    pub(crate) fn flush_events(&self, book: &mut book::Book) {
        if book.outbox.is_empty() {
            return;
        }
        let subscribers = self.subscribers.lock().unwrap_or_else(PoisonError::into_inner);
        for event in book.outbox.drain(..) {
            for (subscription_id, subscriber) in subscribers.values() {
                // A connection that has ended is removed right after.
                let _ = subscriber.send(event.deliver(*subscription_id));
            }
        }
    }

    /// Sends `serverShutdown` to every open connection.
    pub(crate) fn announce_shutdown(&self) {
        self.announce.send_modify(|n| *n += 1);
    }

    pub(crate) fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// A running simulator on its own thread and tokio runtime. Dropping it
/// stops it, like [`Sim::shutdown`].
pub struct Sim {
    addr: SocketAddr,
    ca_der: Vec<u8>,
    ca_pem: String,
    leaf_spki_sha256: [u8; 32],
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Sim {
    /// Generates the CA and server certificate, opens the journal, binds
    /// the listener and starts serving on a new thread.
    pub fn start(config: SimConfig) -> io::Result<Sim> {
        let pki = pki::generate(config.cert_algorithm)?;
        let keys = auth::Keys::new(&config)?;
        let journal = config.journal.as_deref().map(File::create).transpose()?;
        let listener = std::net::TcpListener::bind(config.listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;

        let (announce, _) = watch::channel(0);
        let (touches, _) = broadcast::channel(TOUCH_BACKLOG);
        let clock = Shared::clock_us(config.clock);
        let mut book = book::Book::new(journal, account::Account::new(&config.account, clock.div_euclid(1000))?);
        book.market = config.market.as_ref().map(|m| market::Market::new(m, clock)).transpose()?;
        let shared = Arc::new(Shared {
            config,
            keys,
            book: Mutex::new(book),
            announce,
            touches,
            subscribers: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(0),
        });
        let (stop, stop_rx) = watch::channel(false);
        let server = conn::Server { shared: Arc::clone(&shared), tls: pki.server, stop: stop_rx };
        let thread = std::thread::Builder::new()
            .name("hotline-sim".to_owned())
            .spawn(move || runtime.block_on(server.run(listener)))?;
        Ok(Sim {
            addr,
            ca_der: pki.ca_der,
            ca_pem: pki.ca_pem,
            leaf_spki_sha256: pki.leaf_spki_sha256,
            shared,
            stop,
            thread: Some(thread),
        })
    }

    /// The address the sim listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The WebSocket API URL, `wss://127.0.0.1:PORT/ws-api/v3` (the
    /// certificate names both `localhost` and `127.0.0.1`).
    pub fn url(&self) -> String {
        format!("wss://{}/ws-api/v3", self.addr)
    }

    /// The CA certificate, DER, for the client's trust store.
    pub fn ca_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// SHA-256 of the server certificate's DER SubjectPublicKeyInfo, for
    /// SPKI pinning.
    pub fn leaf_spki_sha256(&self) -> [u8; 32] {
        self.leaf_spki_sha256
    }

    /// Every order accepted so far, in acceptance order.
    pub fn orders(&self) -> Vec<AcceptedOrder> {
        self.shared.lock().accepted()
    }

    /// Every fill so far, in the order they happened.
    pub fn fills(&self) -> Vec<Fill> {
        self.shared.lock().fills.clone()
    }

    /// The account's balances, by asset name.
    pub fn balances(&self) -> Vec<AssetBalance> {
        self.shared.lock().account.balances()
    }

    /// The market's current touch; `None` without a market.
    pub fn touch(&self) -> Option<Touch> {
        self.shared.touch()
    }

    /// Publishes this touch now (decimal prices and quantities, at most the
    /// market's decimals) to every market connection, restores the full
    /// depth and fills resting orders it crosses; the price path continues
    /// from it. Returns the published touch with its update id.
    pub fn set_touch(&self, bid: &str, bid_qty: &str, ask: &str, ask_qty: &str) -> io::Result<Touch> {
        let config = self.shared.config.market.as_ref().ok_or_else(|| io::Error::other("the sim has no market"))?;
        let (p, q) = (config.price_decimals, config.qty_decimals);
        let given = (
            market::units(bid, p, "bid")?,
            market::units(bid_qty, q, "bid quantity")?,
            market::units(ask, p, "ask")?,
            market::units(ask_qty, q, "ask quantity")?,
        );
        if given.2 <= given.0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "the ask must be above the bid"));
        }
        self.shared.update_market(Some(given)).ok_or_else(|| io::Error::other("the sim has no market"))
    }

    /// The path of the market stream: `/ws/<symbol>@bookTicker` (JSON) or
    /// `/ws/<symbol>@bestBidAsk` (SBE, needs an `X-MBX-APIKEY` header); an
    /// empty string without a market.
    pub fn market_path(&self, json: bool) -> String {
        self.shared.market_path(json).unwrap_or_default()
    }

    /// Sends the `serverShutdown` event to every open connection now.
    pub fn send_server_shutdown(&self) {
        self.shared.announce_shutdown();
    }

    /// Closes every connection (WebSocket close 1001) and stops the server.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        // The server may already have stopped; then there is nobody to tell.
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            // A panic on the sim thread has been printed already; stopping
            // must not turn it into a second one.
            let _ = thread.join();
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}
