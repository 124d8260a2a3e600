//! The acceptor's book as Coinbase Exchange's WebSocket feed publishes a
//! product's touch: a TLS WebSocket server (rustls and tungstenite on a
//! tokio thread of its own) that takes a `subscribe` to the `ticker`
//! channel and answers as Coinbase's "Exchange WebSocket Overview" and
//! "Exchange WebSocket Channels" pages describe
//! (https://docs.cdp.coinbase.com/exchange/websocket-feed/overview,
//! https://docs.cdp.coinbase.com/exchange/websocket-feed/channels): a
//! `subscriptions` message, then `ticker` messages; an `error` for a
//! product or channel it does not have; a closed connection when no
//! subscribe comes within 5 s. The touch is the acceptor's: its configured
//! bid and ask, with the depth its fill journal has not yet consumed
//! (a client's sell takes the bid's depth, a buy the ask's), and the last
//! trade from the journal's last line. A ticker goes out when the journal
//! grows (Coinbase publishes one per match) and at least every
//! [`PUBLISH_EVERY`] besides, each with a larger `sequence`.

use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::{MissedTickBehavior, interval, timeout};
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::tungstenite::Message;

use crate::{Book, Tls};

/// The longest the feed waits between two tickers.
const PUBLISH_EVERY: Duration = Duration::from_millis(100);
/// How often the journal is looked at for new fills.
const JOURNAL_EVERY: Duration = Duration::from_millis(10);
/// Coinbase closes a connection that has not subscribed by then.
const SUBSCRIBE_WITHIN: Duration = Duration::from_secs(5);
/// Fixed-point scale of every amount: 10^-8, as the acceptor's.
const SCALE: i128 = 100_000_000;

/// A running feed; stopped when dropped.
#[derive(Debug)]
pub(crate) struct Feed {
    /// Where it listens (TLS, `wss://localhost:PORT/`).
    pub(crate) addr: SocketAddr,
    /// Subscriptions it accepted.
    pub(crate) subscriptions: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

/// What the feed publishes from: the book as configured, and the journal.
#[derive(Debug, Clone)]
struct Source {
    symbol: String,
    bid: i128,
    bid_qty: i128,
    ask: i128,
    ask_qty: i128,
    journal: PathBuf,
}

/// The book as the journal has left it.
#[derive(Debug, Clone, Default)]
struct State {
    /// Bytes of the journal read so far.
    read: u64,
    /// An incomplete last line.
    partial: String,
    sold: i128,
    bought: i128,
    /// The last fill: price, quantity, taker side, trade id.
    last: Option<(i128, i128, String, u64)>,
}

/// `digits[.digits]` with at most 8 fraction digits, in 10^-8.
fn units(text: &str) -> Option<i128> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (text.contains('.') && !digits(frac)) || frac.len() > 8 || int.len() > 20 {
        return None;
    }
    Some(int.parse::<i128>().ok()? * SCALE + format!("{frac:0<8}").parse::<i128>().ok()?)
}

/// 10^-8 units as a decimal with 8 fraction digits.
fn decimal(units: i128) -> String {
    format!("{}.{:08}", units / SCALE, units % SCALE)
}

/// Now as RFC 3339 UTC with microseconds, as the feed's `time`.
fn now_rfc3339() -> String {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    // Days since 1970-01-01 as a proleptic Gregorian date (H. Hinnant,
    // "chrono-Compatible Low-Level Date Algorithms", civil_from_days).
    let z = secs / 86_400 + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let day_secs = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        day_secs / 3600,
        day_secs / 60 % 60,
        day_secs % 60,
        since.subsec_micros()
    )
}

impl Source {
    fn new(book: &Book, journal: PathBuf) -> Result<Self, String> {
        let amount = |name: &str, text: &str| units(text).ok_or_else(|| format!("book {name} {text:?} is no decimal"));
        Ok(Self {
            symbol: book.symbol.clone(),
            bid: amount("bid", &book.bid)?,
            bid_qty: amount("bid_qty", &book.bid_qty)?,
            ask: amount("ask", &book.ask)?,
            ask_qty: amount("ask_qty", &book.ask_qty)?,
            journal,
        })
    }

    /// Reads the journal's new whole lines into `state`; whether there were
    /// any.
    fn catch_up(&self, state: &mut State) -> bool {
        let Ok(mut file) = File::open(&self.journal) else { return false };
        let mut text = String::new();
        if file.seek(SeekFrom::Start(state.read)).is_err() || file.read_to_string(&mut text).is_err() {
            return false;
        }
        state.read += text.len() as u64;
        state.partial.push_str(&text);
        let Some(end) = state.partial.rfind('\n') else { return false };
        let lines: String = state.partial.drain(..=end).collect();
        for line in lines.lines() {
            let Ok(fill) = serde_json::from_str::<Value>(line) else { continue };
            let field = |k: &str| fill[k].as_str().unwrap_or_default().to_owned();
            let (Some(price), Some(qty)) = (units(&field("price")), units(&field("qty"))) else { continue };
            let side = field("side");
            if side == "sell" {
                state.sold += qty;
            } else {
                state.bought += qty;
            }
            state.last = Some((price, qty, side, field("trade_id").parse().unwrap_or(0)));
        }
        true
    }

    /// A `ticker` message, members as on Coinbase's channel page.
    fn ticker(&self, state: &State, sequence: u64) -> String {
        let mut ticker = json!({
            "type": "ticker",
            "sequence": sequence,
            "product_id": self.symbol,
            "best_bid": decimal(self.bid),
            "best_bid_size": decimal((self.bid_qty - state.sold).max(0)),
            "best_ask": decimal(self.ask),
            "best_ask_size": decimal((self.ask_qty - state.bought).max(0)),
            "time": now_rfc3339(),
        });
        if let Some((price, qty, side, trade_id)) = &state.last {
            ticker["price"] = json!(decimal(*price));
            ticker["side"] = json!(side);
            ticker["trade_id"] = json!(trade_id);
            ticker["last_size"] = json!(decimal(*qty));
        }
        ticker.to_string()
    }

    /// Why `request` is not a subscribe to this product's `ticker`, in the
    /// `error` message Coinbase would send; `None` when it is one.
    fn refusal(&self, request: &Value) -> Option<Value> {
        let error =
            |reason: String| Some(json!({ "type": "error", "message": "Failed to subscribe", "reason": reason }));
        if request["type"] != "subscribe" {
            return Some(
                json!({ "type": "error", "message": "Failed to subscribe", "reason": "expected a subscribe" }),
            );
        }
        let mut products: Vec<&Value> =
            request["product_ids"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
        let mut channels = Vec::new();
        for channel in request["channels"].as_array().into_iter().flatten() {
            match channel {
                Value::String(name) => channels.push(name.as_str()),
                Value::Object(_) => {
                    channels.push(channel["name"].as_str().unwrap_or_default());
                    products.extend(channel["product_ids"].as_array().into_iter().flatten());
                }
                _ => return error(format!("{channel} is not a channel")),
            }
        }
        if let Some(other) = products.iter().find(|p| p.as_str() != Some(self.symbol.as_str())) {
            return error(format!("{} is not a valid product", other.as_str().unwrap_or("?")));
        }
        if products.is_empty() {
            return error("no product ids".to_owned());
        }
        match channels.iter().find(|c| **c != "ticker") {
            Some(other) => error(format!("{other} is not a valid channel here (only ticker)")),
            None if channels.is_empty() => error("no channels".to_owned()),
            None => None,
        }
    }
}

impl Feed {
    /// Starts the feed on loopback with `tls`'s certificate and key,
    /// publishing `book` as the fills in `journal` leave it.
    pub(crate) fn start(tls: &Tls, book: &Book, journal: PathBuf) -> Result<Feed, String> {
        let source = Source::new(book, journal)?;
        let certs = CertificateDer::pem_slice_iter(tls.cert_chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("ticker certificate: {e}"))?;
        let key = PrivateKeyDer::from_pem_slice(tls.key_pem.as_bytes()).map_err(|e| format!("ticker key: {e}"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| format!("ticker TLS: {e}"))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| format!("ticker TLS: {e}"))?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("ticker listen: {e}"))?;
        listener.set_nonblocking(true).map_err(|e| format!("ticker listen: {e}"))?;
        let addr = listener.local_addr().map_err(|e| format!("ticker listen: {e}"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("ticker runtime: {e}"))?;
        let (stop, stopped) = watch::channel(false);
        let subscriptions = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&subscriptions);
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let thread = std::thread::Builder::new()
            .name("fix-acceptor-ticker".to_owned())
            .spawn(move || runtime.block_on(serve(listener, acceptor, source, counted, stopped)))
            .map_err(|e| format!("ticker thread: {e}"))?;
        Ok(Feed { addr, subscriptions, stop, thread: Some(thread) })
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts connections until stopped, each served on a task of its own.
async fn serve(
    listener: std::net::TcpListener,
    acceptor: TlsAcceptor,
    source: Source,
    subscriptions: Arc<AtomicU64>,
    mut stopped: watch::Receiver<bool>,
) {
    let Ok(listener) = TcpListener::from_std(listener) else { return };
    let source = Arc::new(source);
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                let task = connection(tcp, acceptor.clone(), Arc::clone(&source), Arc::clone(&subscriptions));
                tokio::spawn(task);
            }
        }
    }
}

/// One client: TLS, the WebSocket upgrade, its subscribe, then tickers
/// until it leaves. Any failure ends the connection: there is no one to
/// tell.
async fn connection(tcp: TcpStream, acceptor: TlsAcceptor, source: Arc<Source>, subscriptions: Arc<AtomicU64>) {
    let _ = tcp.set_nodelay(true);
    let Ok(tls) = acceptor.accept(tcp).await else { return };
    let Ok(mut ws) = tokio_tungstenite::accept_async(tls).await else { return };
    let request = loop {
        match timeout(SUBSCRIBE_WITHIN, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => break serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            _ => return,
        }
    };
    if let Some(error) = source.refusal(&request) {
        let _ = ws.send(Message::text(error.to_string())).await;
        let _ = ws.close(None).await;
        return;
    }
    subscriptions.fetch_add(1, Ordering::Relaxed);
    let channels = json!([{ "name": "ticker", "product_ids": [source.symbol] }]);
    let answer = json!({ "type": "subscriptions", "channels": channels });
    if ws.send(Message::text(answer.to_string())).await.is_err() {
        return;
    }
    let mut state = State::default();
    let mut sequence = 0u64;
    let mut journal = interval(JOURNAL_EVERY);
    journal.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut due = tokio::time::Instant::now();
    loop {
        tokio::select! {
            message = ws.next() => match message {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
            _ = journal.tick() => {
                let filled = source.catch_up(&mut state);
                if filled || tokio::time::Instant::now() >= due {
                    sequence += 1;
                    if ws.send(Message::text(source.ticker(&state, sequence))).await.is_err() {
                        return;
                    }
                    due = tokio::time::Instant::now() + PUBLISH_EVERY;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> Source {
        Source::new(&Book::default(), PathBuf::from("/nonexistent")).unwrap()
    }

    #[test]
    fn amounts_are_exact_to_ten_to_the_minus_eight() {
        assert_eq!(units("60010"), Some(6_001_000_000_000));
        assert_eq!(units("0.25"), Some(25_000_000));
        assert_eq!(units("0.000000001"), None);
        assert_eq!(units("1."), None);
        assert_eq!(decimal(25_000_000), "0.25000000");
    }

    #[test]
    fn the_ticker_is_the_book_less_the_journal() {
        let s = source();
        let mut state = State { sold: 10_000_000, ..State::default() };
        state.last = Some((6_000_000_000_000, 10_000_000, "sell".to_owned(), 3));
        let t: Value = serde_json::from_str(&s.ticker(&state, 7)).unwrap();
        assert_eq!((t["type"].as_str(), t["sequence"].as_u64()), (Some("ticker"), Some(7)));
        assert_eq!(t["best_bid"], "60000.00000000");
        assert_eq!(t["best_bid_size"], "0.40000000");
        assert_eq!(t["best_ask_size"], "0.25000000");
        assert_eq!((t["price"].as_str(), t["trade_id"].as_u64()), (Some("60000.00000000"), Some(3)));
        assert_eq!(t["time"].as_str().map(str::len), Some(27));
    }

    #[test]
    fn subscribes_to_another_product_or_channel_are_refused() {
        let s = source();
        let ticker = json!({ "type": "subscribe", "product_ids": ["BTC-USD"], "channels": ["ticker"] });
        assert_eq!(s.refusal(&ticker), None);
        let named = json!({ "type": "subscribe", "channels": [{ "name": "ticker", "product_ids": ["BTC-USD"] }] });
        assert_eq!(s.refusal(&named), None);
        let other = json!({ "type": "subscribe", "product_ids": ["ETH-USD"], "channels": ["ticker"] });
        assert_eq!(s.refusal(&other).unwrap()["reason"], "ETH-USD is not a valid product");
        let level2 = json!({ "type": "subscribe", "product_ids": ["BTC-USD"], "channels": ["level2"] });
        assert!(s.refusal(&level2).is_some());
    }
}
