//! The server side of one exchange connection: TCP accept, TLS 1.3 (tokio-rustls), the WebSocket upgrade on
//! `/ws-api/v3` (tungstenite), then text requests in and answers out, with the connection rules of Binance's
//! web-socket-api.md §"General API Information"
//! (<https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-api.md>) — a ping every 20 s whose pong
//! must echo its payload (anything else closes with 1008), the `serverShutdown` event — and the transport faults of
//! [`crate::Faults`]: latency, dropped connections, fragmented frames, ping storms and TLS KeyUpdates.

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
use tokio::sync::watch;
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
        if let Some(timer) = timer {
            timer.abort();
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

struct Connection {
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
    /// Subscribed at TCP accept, so an announcement made while the client
    /// is still upgrading reaches it too.
    announce: watch::Receiver<u64>,
    session: Session,
    /// Pings not yet answered, oldest first.
    pings: VecDeque<(Bytes, Instant)>,
    ping_seq: u64,
    /// Answers waiting out the injected latency, in request order.
    pending: VecDeque<(Instant, String)>,
    /// Set to send a KeyUpdate before the next message.
    rekey: Arc<AtomicBool>,
    /// Messages sent, for `key_update_every`.
    sent: u64,
}

impl Connection {
    fn new(shared: Arc<Shared>, stop: watch::Receiver<bool>) -> Connection {
        let session = Session::new(shared.next_conn_id(), shared.now_ms(), true);
        let announce = shared.announce.subscribe();
        Connection {
            shared,
            stop,
            announce,
            session,
            pings: VecDeque::new(),
            ping_seq: 0,
            pending: VecDeque::new(),
            rekey: Arc::new(AtomicBool::new(false)),
            sent: 0,
        }
    }

    async fn serve(mut self, acceptor: TlsAcceptor, tcp: TcpStream) {
        // Orders are small and latency matters more than segment count.
        let _ = tcp.set_nodelay(true);
        let mut rate_limits = true;
        let due = Arc::clone(&self.rekey);
        let upgrade = async {
            let tls = Rekeying { tls: acceptor.accept(tcp).await.ok()?, due };
            #[allow(clippy::result_large_err, reason = "the signature is tungstenite's Callback")]
            let check = |request: &Request, response: Response| {
                if request.uri().path() != PATH {
                    let mut refusal = ErrorResponse::new(Some("Not Found".to_owned()));
                    *refusal.status_mut() = StatusCode::NOT_FOUND;
                    return Err(refusal);
                }
                let query = request.uri().query().unwrap_or("");
                rate_limits = !query.split('&').any(|pair| pair == "returnRateLimits=false");
                Ok(response)
            };
            tokio_tungstenite::accept_hdr_async(tls, check).await.ok()
        };
        let Ok(Some(ws)) = timeout(HANDSHAKE_TIMEOUT, upgrade).await else { return };
        self.session.return_rate_limits = rate_limits;
        // A failed send means the peer is gone; there is nobody to tell.
        let _ = self.run(ws).await;
    }

    async fn run(&mut self, ws: Ws) -> Result<(), WsError> {
        let shared = Arc::clone(&self.shared);
        let faults = &shared.config.faults;
        let (mut sink, mut stream) = ws.split();
        let mut ticker = shared.config.ping_interval.filter(|p| !p.is_zero()).map(|period| {
            let mut ticker = interval_at(Instant::now() + period, period);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            ticker
        });
        if *self.stop.borrow_and_update() {
            return close(sink, stream, CloseCode::Away, "server shutting down").await;
        }
        let end = loop {
            let due = self.pending.front().map(|(at, _)| *at);
            tokio::select! {
                message = stream.next() => match message {
                    None => break End::Gone,
                    Some(Err(e)) => return Err(e),
                    Some(Ok(Message::Text(text))) => match api::handle(&shared, &mut self.session, text.as_str()) {
                        Outcome::Reply(answer) => self.pending.push_back((Instant::now() + faults.latency, answer)),
                        Outcome::Silence => {}
                        Outcome::Drop => break End::Drop,
                    },
                    // Requests are JSON in text frames (web-socket-api.md §"Request format").
                    Some(Ok(Message::Binary(_))) => break End::Close(CloseCode::Unsupported, "binary frames are not supported"),
                    Some(Ok(Message::Pong(payload))) => {
                        if !self.pong(&payload) {
                            break End::Close(CloseCode::Policy, "pong does not echo the ping");
                        }
                    }
                    // tungstenite answers pings and close frames itself.
                    Some(Ok(Message::Ping(_) | Message::Close(_) | Message::Frame(_))) => {}
                },
                () = tick(&mut ticker) => {
                    if self.pings.front().is_some_and(|(_, sent)| sent.elapsed() >= shared.config.pong_timeout) {
                        break End::Close(CloseCode::Policy, "pong timeout");
                    }
                    for _ in 0..=faults.ping_storm {
                        let payload = self.next_ping();
                        sink.send(Message::Ping(payload)).await?;
                    }
                }
                () = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    if let Some((_, answer)) = self.pending.pop_front() {
                        self.sent += 1;
                        if faults.key_update_every.is_some_and(|n| n > 0 && self.sent.is_multiple_of(n)) {
                            self.rekey.store(true, Ordering::Relaxed);
                        }
                        send_text(&mut sink, answer, faults.fragment).await?;
                    }
                }
                Ok(()) = self.announce.changed() => {
                    let event = serde_json::json!({ "event": { "e": "serverShutdown", "E": shared.now_ms() } });
                    send_text(&mut sink, event.to_string(), faults.fragment).await?;
                }
                _ = self.stop.changed() => break End::Close(CloseCode::Away, "server shutting down"),
            }
        };
        match end {
            End::Gone | End::Drop => Ok(()),
            End::Close(code, reason) => close(sink, stream, code, reason).await,
        }
    }

    fn next_ping(&mut self) -> Bytes {
        self.ping_seq += 1;
        let payload = Bytes::from(format!("{}.{}", self.session.conn_id, self.ping_seq));
        self.pings.push_back((payload.clone(), Instant::now()));
        payload
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
