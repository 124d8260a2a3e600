//! The server side of one exchange connection: TCP accept, TLS 1.3 (tokio-rustls), the WebSocket upgrade (tungstenite)
//! routed by path — `/ws-api/v3`, text requests in and answers out, or a market stream `/ws/<symbol>@bookTicker` /
//! `/ws/<symbol>@bestBidAsk`, touches out — with the connection rules of Binance's web-socket-api.md
//! §"General API Information" (<https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-api.md>) and
//! web-socket-streams.md §"General WSS information" — a ping every 20 s whose pong must echo its payload (anything else
//! closes with 1008), the `serverShutdown` event — and the transport faults of [`crate::Faults`]: latency, dropped
//! connections, fragmented frames, ping storms and TLS KeyUpdates.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, Interval, MissedTickBehavior, interval_at, sleep_until, timeout};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::{Bytes, Error as WsError, Message};

use crate::Shared;
use crate::api::{self, Outcome, Session};
use crate::book::Delivery;
use crate::config::{Faults, SimClock};
use crate::market::Touch;

/// The WebSocket API path (web-socket-api.md §"General API Information").
const PATH: &str = "/ws-api/v3";
/// A client gets this long for the TLS handshake and the upgrade.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// On shutdown, connections get this long to finish their close handshakes.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

type Ws = WebSocketStream<Rekeying>;

/// The TLS stream, able to queue a KeyUpdate in front of its next write
/// (the `key_update_every` fault).
struct Rekeying {
    tls: TlsStream<TcpStream>,
    due: Arc<AtomicBool>,
}

impl AsyncRead for Rekeying {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_read(cx, buf)
    }
}

impl AsyncWrite for Rekeying {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.due.swap(false, Ordering::Relaxed) {
            self.tls.get_mut().1.refresh_traffic_keys().map_err(io::Error::other)?;
        }
        Pin::new(&mut self.tls).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_shutdown(cx)
    }
}

/// The accept loop and what it hands each connection.
pub(crate) struct Server {
    pub(crate) shared: Arc<Shared>,
    pub(crate) tls: Arc<ServerConfig>,
    pub(crate) stop: watch::Receiver<bool>,
}

impl Server {
    /// Serves until [`crate::Sim`] says stop.
    pub(crate) async fn run(mut self, listener: std::net::TcpListener) {
        let listener = match TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("hotline-sim: listener: {e}");
                return;
            }
        };
        let acceptor = TlsAcceptor::from(Arc::clone(&self.tls));
        let timer = self.shared.config.faults.shutdown_after.map(|after| {
            let shared = Arc::clone(&self.shared);
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                shared.announce_shutdown();
            })
        });
        // The path moves with the sim clock: a fixed clock holds it still.
        let path_interval = match self.shared.config.clock {
            SimClock::System { .. } => self.shared.config.market.as_ref().and_then(|m| m.interval),
            SimClock::Fixed { .. } => None,
        };
        let path = path_interval.filter(|i| !i.is_zero()).map(|period| {
            let shared = Arc::clone(&self.shared);
            tokio::spawn(async move {
                let mut ticker = interval_at(Instant::now() + period, period);
                ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
                loop {
                    ticker.tick().await;
                    shared.update_market(None);
                }
            })
        });
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((tcp, _)) => {
                        let conn = Connection::new(Arc::clone(&self.shared), self.stop.clone());
                        connections.spawn(conn.serve(acceptor.clone(), tcp));
                    }
                    // Out of descriptors and the like: the listener itself
                    // is fine, so keep serving the connections we have.
                    Err(e) => eprintln!("hotline-sim: accept: {e}"),
                },
                _ = self.stop.changed() => break,
            }
            while connections.try_join_next().is_some() {}
        }
        for task in [timer, path].into_iter().flatten() {
            task.abort();
        }
        // Tasks still running after the grace are dropped with the runtime.
        let _ = timeout(CLOSE_GRACE, async { while connections.join_next().await.is_some() {} }).await;
    }
}

/// How a connection ends.
enum End {
    /// The peer went away or the transport failed.
    Gone,
    /// Send a close frame with this code and reason.
    Close(CloseCode, &'static str),
    /// Drop TCP without a word (the drop-after-N fault).
    Drop,
}

/// What the upgrade request asked for.
enum Route {
    /// The WebSocket API at [`PATH`].
    Api { rate_limits: bool },
    /// The market's `<symbol>@bookTicker` (JSON) or `<symbol>@bestBidAsk`
    /// (SBE) stream.
    Market { json: bool },
}

fn refuse(status: StatusCode, body: &str) -> ErrorResponse {
    let mut refusal = ErrorResponse::new(Some(body.to_owned()));
    *refusal.status_mut() = status;
    refusal
}

/// Picks the route of an upgrade request. The SBE stream wants an API key in
/// `X-MBX-APIKEY` (sbe-market-data-streams.md §"General Information"); without one the upgrade gets HTTP 400.
#[allow(clippy::result_large_err, reason = "the refusal goes straight back to tungstenite's Callback")]
fn route(shared: &Shared, request: &Request) -> Result<Route, ErrorResponse> {
    let path = request.uri().path();
    if path == PATH {
        let query = request.uri().query().unwrap_or("");
        return Ok(Route::Api { rate_limits: !query.split('&').any(|pair| pair == "returnRateLimits=false") });
    }
    let json = match shared.market_path(true) {
        Some(json_path) if path == json_path => true,
        Some(_) if shared.market_path(false).as_deref() == Some(path) => false,
        _ => return Err(refuse(StatusCode::NOT_FOUND, "Not Found")),
    };
    let has_key = request.headers().get("X-MBX-APIKEY").is_some_and(|key| !key.as_bytes().is_empty());
    if !json && !has_key {
        return Err(refuse(StatusCode::BAD_REQUEST, "No X-MBX-APIKEY header"));
    }
    Ok(Route::Market { json })
}

/// Outgoing messages of one connection, with the faults that act on every
/// message: KeyUpdates and fragmentation.
struct Out {
    sink: SplitSink<Ws, Message>,
    rekey: Arc<AtomicBool>,
    /// Messages sent, for `key_update_every`.
    sent: u64,
}

impl Out {
    fn count(&mut self, faults: &Faults) {
        self.sent += 1;
        if faults.key_update_every.is_some_and(|n| n > 0 && self.sent.is_multiple_of(n)) {
            self.rekey.store(true, Ordering::Relaxed);
        }
    }

    async fn text(&mut self, text: String, faults: &Faults) -> Result<(), WsError> {
        self.count(faults);
        send_text(&mut self.sink, text, faults.fragment).await
    }

    async fn binary(&mut self, bytes: Vec<u8>, faults: &Faults) -> Result<(), WsError> {
        self.count(faults);
        self.sink.send(Message::binary(bytes)).await
    }
}

/// Pings sent and not yet answered, and the echo rule that answers them.
struct Pinger {
    conn_id: u64,
    /// Oldest first.
    pings: VecDeque<(Bytes, Instant)>,
    seq: u64,
}

impl Pinger {
    fn next(&mut self) -> Bytes {
        self.seq += 1;
        let payload = Bytes::from(format!("{}.{}", self.conn_id, self.seq));
        self.pings.push_back((payload.clone(), Instant::now()));
        payload
    }

    fn overdue(&self, timeout: Duration) -> bool {
        self.pings.front().is_some_and(|(_, sent)| sent.elapsed() >= timeout)
    }

    /// The echo rule (web-socket-api.md §"General API Information"). A pong that echoes an outstanding ping answers it
    /// and every older one (RFC 6455 §5.5.3 lets a peer answer only the latest ping). Unsolicited pongs are allowed:
    /// any pong while no ping is outstanding, and an empty one (the payload web-socket-api.md
    /// §"General API Information" recommends for them) at any time. Any other pong breaks the rule.
    fn pong(&mut self, payload: &[u8]) -> bool {
        if self.pings.is_empty() || payload.is_empty() {
            return true;
        }
        match self.pings.iter().position(|(sent, _)| sent.as_ref() == payload) {
            Some(answered) => {
                self.pings.drain(..=answered);
                true
            }
            None => false,
        }
    }
}

/// What every connection loop does with one incoming message besides its own business.
enum Incoming {
    Text(String),
    Binary,
    Nothing,
    End(End),
}

fn incoming(message: Option<Result<Message, WsError>>, pinger: &mut Pinger) -> Result<Incoming, WsError> {
    Ok(match message {
        None => Incoming::End(End::Gone),
        Some(Err(e)) => return Err(e),
        Some(Ok(Message::Text(text))) => Incoming::Text(text.as_str().to_owned()),
        Some(Ok(Message::Binary(_))) => Incoming::Binary,
        Some(Ok(Message::Pong(payload))) => {
            if pinger.pong(&payload) {
                Incoming::Nothing
            } else {
                Incoming::End(End::Close(CloseCode::Policy, "pong does not echo the ping"))
            }
        }
        // tungstenite answers pings and close frames itself.
        Some(Ok(Message::Ping(_) | Message::Close(_) | Message::Frame(_))) => Incoming::Nothing,
    })
}

struct Connection {
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
    /// Subscribed at TCP accept, so an announcement made while the client
    /// is still upgrading reaches it too.
    announce: watch::Receiver<u64>,
    /// Subscribed at TCP accept, so no touch published during the upgrade
    /// is missed.
    touches: broadcast::Receiver<Touch>,
    session: Session,
    pinger: Pinger,
    /// Answers waiting out the injected latency, in request order.
    pending: VecDeque<(Instant, String)>,
    /// This connection's user-data events, from [`Shared::flush_events`]
    /// and from its own session.
    events_in: mpsc::UnboundedReceiver<Delivery>,
    /// Events waiting for their delay and for the answers queued before
    /// they arrived: (due, answers that go first, event).
    events: VecDeque<(Instant, u64, Delivery)>,
    /// Answers queued and answers sent, so an event never overtakes the
    /// answer to the request that caused it.
    answers_queued: u64,
    answers_sent: u64,
    /// Events this connection received, for `drop_events_every`.
    events_seen: u64,
    /// Set to send a KeyUpdate before the next message.
    rekey: Arc<AtomicBool>,
}

impl Connection {
    fn new(shared: Arc<Shared>, stop: watch::Receiver<bool>) -> Connection {
        let (events_out, events_in) = mpsc::unbounded_channel();
        let session = Session::new(shared.next_conn_id(), shared.now_ms(), true, events_out);
        let announce = shared.announce.subscribe();
        let touches = shared.touches.subscribe();
        let pinger = Pinger { conn_id: session.conn_id, pings: VecDeque::new(), seq: 0 };
        Connection {
            shared,
            stop,
            announce,
            touches,
            session,
            pinger,
            pending: VecDeque::new(),
            events_in,
            events: VecDeque::new(),
            answers_queued: 0,
            answers_sent: 0,
            events_seen: 0,
            rekey: Arc::new(AtomicBool::new(false)),
        }
    }

    async fn serve(mut self, acceptor: TlsAcceptor, tcp: TcpStream) {
        // Orders are small and latency matters more than segment count.
        let _ = tcp.set_nodelay(true);
        let mut chosen = None;
        let due = Arc::clone(&self.rekey);
        let shared = Arc::clone(&self.shared);
        let upgrade = async {
            let tls = Rekeying { tls: acceptor.accept(tcp).await.ok()?, due };
            #[allow(clippy::result_large_err, reason = "the signature is tungstenite's Callback")]
            let check = |request: &Request, response: Response| {
                chosen = Some(route(&shared, request)?);
                Ok(response)
            };
            tokio_tungstenite::accept_hdr_async(tls, check).await.ok()
        };
        let Ok(Some(ws)) = timeout(HANDSHAKE_TIMEOUT, upgrade).await else { return };
        // A failed send means the peer is gone; there is nobody to tell.
        let _ = match chosen {
            Some(Route::Api { rate_limits }) => {
                self.session.return_rate_limits = rate_limits;
                self.run_api(ws).await
            }
            Some(Route::Market { json }) => self.run_market(ws, json).await,
            None => Ok(()),
        };
        self.session.close(&self.shared);
    }

    fn ticker(&self) -> Option<Interval> {
        self.shared.config.ping_interval.filter(|p| !p.is_zero()).map(|period| {
            let mut ticker = interval_at(Instant::now() + period, period);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            ticker
        })
    }

    /// Sends the scheduled ping and the storm after it, or says the oldest
    /// ping is past the pong timeout.
    async fn ping(&mut self, out: &mut Out) -> Result<Option<End>, WsError> {
        let shared = Arc::clone(&self.shared);
        if self.pinger.overdue(shared.config.pong_timeout) {
            return Ok(Some(End::Close(CloseCode::Policy, "pong timeout")));
        }
        for _ in 0..=shared.config.faults.ping_storm {
            out.sink.send(Message::Ping(self.pinger.next())).await?;
        }
        Ok(None)
    }

    async fn run_api(&mut self, ws: Ws) -> Result<(), WsError> {
        let shared = Arc::clone(&self.shared);
        let faults = &shared.config.faults;
        let (sink, mut stream) = ws.split();
        let mut out = Out { sink, rekey: Arc::clone(&self.rekey), sent: 0 };
        let mut ticker = self.ticker();
        if *self.stop.borrow_and_update() {
            return close(out.sink, stream, CloseCode::Away, "server shutting down").await;
        }
        let end = loop {
            let answer_due = self.pending.front().map(|(at, _)| *at);
            let event_due =
                self.events.front().filter(|(_, after, _)| *after <= self.answers_sent).map(|(at, _, _)| *at);
            let due = match (answer_due, event_due) {
                (Some(a), Some(e)) => Some(a.min(e)),
                (a, e) => a.or(e),
            };
            tokio::select! {
                message = stream.next() => match incoming(message, &mut self.pinger)? {
                    Incoming::Text(text) => match api::handle(&shared, &mut self.session, &text) {
                        Outcome::Reply(answer) => {
                            self.pending.push_back((Instant::now() + faults.latency, answer));
                            self.answers_queued += 1;
                        }
                        Outcome::Silence => {}
                        Outcome::Drop => break End::Drop,
                    },
                    // Requests are JSON in text frames (web-socket-api.md §"Request format").
                    Incoming::Binary => break End::Close(CloseCode::Unsupported, "binary frames are not supported"),
                    Incoming::Nothing => {}
                    Incoming::End(end) => break end,
                },
                Some(delivery) = self.events_in.recv() => {
                    self.events_seen += 1;
                    if !faults.drop_events_every.is_some_and(|n| n > 0 && self.events_seen.is_multiple_of(n)) {
                        self.events.push_back((Instant::now() + faults.event_delay, self.answers_queued, delivery));
                    }
                }
                () = tick(&mut ticker) => {
                    if let Some(end) = self.ping(&mut out).await? {
                        break end;
                    }
                }
                () = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    let now = Instant::now();
                    if answer_due.is_some_and(|at| at <= now) {
                        if let Some((_, answer)) = self.pending.pop_front() {
                            self.answers_sent += 1;
                            out.text(answer, faults).await?;
                        }
                    } else if event_due.is_some_and(|at| at <= now)
                        && let Some((_, _, event)) = self.events.pop_front()
                    {
                        if event.fill.is_some() && event.fill == faults.disconnect_before_trade_report {
                            break End::Drop;
                        }
                        out.text(event.text, faults).await?;
                    }
                }
                Ok(()) = self.announce.changed() => {
                    let event = serde_json::json!({ "event": { "e": "serverShutdown", "E": shared.now_ms() } });
                    out.text(event.to_string(), faults).await?;
                }
                _ = self.stop.changed() => break End::Close(CloseCode::Away, "server shutting down"),
            }
        };
        match end {
            End::Gone | End::Drop => Ok(()),
            End::Close(code, reason) => close(out.sink, stream, code, reason).await,
        }
    }

    /// A market data stream (web-socket-streams.md, sbe-market-data-streams.md §"General Information"): the current
    /// touch, then every update in order, as JSON text or SBE binary frames; `serverShutdown` in its raw JSON form;
    /// the same ping rules as the API. Subscription requests are not served and are ignored.
    async fn run_market(&mut self, ws: Ws, json: bool) -> Result<(), WsError> {
        let shared = Arc::clone(&self.shared);
        let faults = &shared.config.faults;
        let Some(symbol) = shared.config.market.as_ref().map(|m| m.symbol.clone()) else { return Ok(()) };
        let (sink, mut stream) = ws.split();
        let mut out = Out { sink, rekey: Arc::clone(&self.rekey), sent: 0 };
        let mut ticker = self.ticker();
        if *self.stop.borrow_and_update() {
            return close(out.sink, stream, CloseCode::Away, "server shutting down").await;
        }
        let mut last = 0;
        if let Some(touch) = shared.touch() {
            last = touch.update_id;
            send_touch(&mut out, &touch, &symbol, json, faults).await?;
        }
        let end = loop {
            tokio::select! {
                message = stream.next() => match incoming(message, &mut self.pinger)? {
                    Incoming::Binary => break End::Close(CloseCode::Unsupported, "binary frames are not supported"),
                    Incoming::Text(_) | Incoming::Nothing => {}
                    Incoming::End(end) => break end,
                },
                () = tick(&mut ticker) => {
                    if let Some(end) = self.ping(&mut out).await? {
                        break end;
                    }
                }
                update = self.touches.recv() => match update {
                    Ok(touch) if touch.update_id > last => {
                        last = touch.update_id;
                        send_touch(&mut out, &touch, &symbol, json, faults).await?;
                    }
                    // A slow reader skips to the newest touches, as the SBE stream's auto-culling does.
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => break End::Gone,
                },
                Ok(()) = self.announce.changed() => {
                    let event = serde_json::json!({ "e": "serverShutdown", "E": shared.now_ms() });
                    out.text(event.to_string(), faults).await?;
                }
                _ = self.stop.changed() => break End::Close(CloseCode::Away, "server shutting down"),
            }
        };
        match end {
            End::Gone | End::Drop => Ok(()),
            End::Close(code, reason) => close(out.sink, stream, code, reason).await,
        }
    }
}

/// One touch as a bookTicker text frame or a bestBidAsk binary frame.
async fn send_touch(out: &mut Out, touch: &Touch, symbol: &str, json: bool, faults: &Faults) -> Result<(), WsError> {
    if json {
        out.text(touch.book_ticker(symbol), faults).await
    } else {
        out.binary(touch.best_bid_ask(symbol), faults).await
    }
}

/// Waits for the next ping tick, or forever when pings are off.
async fn tick(ticker: &mut Option<Interval>) {
    match ticker {
        Some(ticker) => {
            ticker.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Sends one text message, split into a text frame and continuation frames
/// of at most `fragment` payload bytes when that fault is on.
async fn send_text(sink: &mut SplitSink<Ws, Message>, text: String, fragment: Option<usize>) -> Result<(), WsError> {
    let size = match fragment {
        Some(size) if size > 0 && text.len() > size => size,
        _ => return sink.send(Message::text(text)).await,
    };
    let bytes = Bytes::from(text);
    let mut start = 0;
    while start < bytes.len() {
        let end = (start + size).min(bytes.len());
        let opcode = if start == 0 { OpCode::Data(Data::Text) } else { OpCode::Data(Data::Continue) };
        sink.feed(Message::Frame(Frame::message(bytes.slice(start..end), opcode, end == bytes.len()))).await?;
        start = end;
    }
    sink.flush().await
}

/// Sends a close frame and waits briefly for the peer's.
async fn close(
    mut sink: SplitSink<Ws, Message>,
    mut stream: SplitStream<Ws>,
    code: CloseCode,
    reason: &'static str,
) -> Result<(), WsError> {
    sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await?;
    let _ = timeout(Duration::from_secs(1), async { while let Some(Ok(_)) = stream.next().await {} }).await;
    Ok(())
}
