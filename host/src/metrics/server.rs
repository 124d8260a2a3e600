//! A scrape on `host.metrics_listen` turns into the engine's [`Live`]
//! board as Prometheus text (`GET /metrics`, docs/metrics.md) or into its
//! health (`GET /health`: 200 `trading` when the venue session trades, a
//! feed is up and the kill switch is released; 503 and every reason why not
//! otherwise). One thread of its own, never the engine's, answers one
//! connection at a time: the head must arrive within [`READ_DEADLINE`] and
//! [`http::MAX_HEAD`] bytes, anything but `GET` earns 405, any other path
//! 404, and every response closes its connection (RFC 9112 §9.6).

use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hotline_core::Status;
use hotline_core::engine::{LagHistogram, MarketState, VenueState};

use super::Stage;
use super::exposition::{self, Writer};
use super::http;
use super::live::{self, Live, Snapshot};
use crate::driver::venue_state_name;
use crate::metrics::exposition::market_label;

/// The longest a client may take to send its request head.
pub const READ_DEADLINE: Duration = Duration::from_secs(2);
/// The longest a response may take to leave.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the rest of a request is read and dropped after the response.
const LINGER: Duration = Duration::from_millis(200);

/// The running server; dropping it stops the thread.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `addr` and serves `live` from a new thread.
    pub fn start(addr: SocketAddr, live: Arc<Live>) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new().name("hotline-metrics".to_owned()).spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::Acquire) {
                    break;
                }
                // A client that fails mid-request costs only its own answer.
                if let Ok(stream) = stream {
                    let _ = serve(stream, &live);
                }
            }
        })?;
        Ok(Self { addr, stop, thread: Some(thread) })
    }

    /// The bound address (the port chosen when `addr` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wakes the blocking accept; the thread sees the flag and ends.
        let _ = TcpStream::connect_timeout(&self.addr, WRITE_TIMEOUT);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One connection: read its head, answer, close.
fn serve(mut stream: TcpStream, live: &Live) -> io::Result<()> {
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let deadline = Instant::now() + READ_DEADLINE;
    let mut buf = [0u8; http::MAX_HEAD];
    let mut len = 0;
    let response = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        stream.set_read_timeout(Some(left))?;
        let Some(room) = buf.get_mut(len..) else { return Ok(()) };
        match stream.read(room)? {
            0 => return Ok(()),
            n => len += n,
        }
        match http::parse(buf.get(..len).unwrap_or_default()) {
            Ok(Status::Partial) => {}
            Ok(Status::Complete(request)) => break route(request, live),
            Err(e) => break Response::error(e.status()),
        }
    };
    stream.write_all(&response.bytes())?;
    // RFC 9112 §9.6: close in stages, so unread request bytes do not turn
    // the close into a reset that destroys the response before it is read.
    stream.shutdown(Shutdown::Write)?;
    let until = Instant::now() + LINGER;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        stream.set_read_timeout(Some(left))?;
        if stream.read(&mut buf)? == 0 {
            return Ok(());
        }
    }
}

/// What to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Response {
    status: u16,
    content_type: &'static str,
    body: String,
}

impl Response {
    fn text(status: u16, body: impl Into<String>) -> Self {
        Self { status, content_type: "text/plain; charset=utf-8", body: body.into() }
    }

    fn error(status: u16) -> Self {
        Self::text(status, format!("{}\n", reason(status)))
    }

    fn bytes(&self) -> Vec<u8> {
        // RFC 9110 §15.5.6: a 405 MUST carry Allow.
        let allow = if self.status == 405 { "Allow: GET\r\n" } else { "" };
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{allow}Connection: close\r\n\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        )
        .into_bytes();
        out.extend_from_slice(self.body.as_bytes());
        out
    }
}

/// RFC 9110 §15 reason phrases of the statuses this server sends.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Bad Request",
    }
}

fn route(request: http::Request<'_>, live: &Live) -> Response {
    match (request.method, request.path) {
        ("GET", "/metrics") => Response { status: 200, content_type: exposition::CONTENT_TYPE, body: metrics(live) },
        ("GET", "/health") => match health(&live.read()) {
            Ok(()) => Response::text(200, "trading\n"),
            Err(reasons) => Response::text(503, reasons),
        },
        (_, "/metrics" | "/health") => Response::error(405),
        _ => Response::error(404),
    }
}

/// The whole exposition of `live`.
pub fn metrics(live: &Live) -> String {
    let mut w = Writer::new();
    let snapshot = live.read();
    exposition::write_state(&mut w, &snapshot);
    exposition::write_stages(&mut w, &Stage::ALL.map(|stage| live.stage(stage)));
    // A node bucket holds samples below its bound (hotline_core's
    // LagHistogram), `le` is "less than or equal": one nanosecond less.
    let bounds: Vec<u64> =
        (0..live::node_buckets() - 1).map(|i| LagHistogram::upper_bound_ns(i).saturating_sub(1)).collect();
    let snapshot = live.read();
    let histograms: Vec<_> = (0..snapshot.nodes).filter_map(|i| live.node(i)).collect();
    exposition::write_nodes(&mut w, &snapshot, &bounds, &histograms);
    w.finish()
}

/// Healthy, or every reason why not, one per line (`venue syncing`,
/// `feed down`, `kill switch: FeedGap`).
pub fn health(s: &Snapshot) -> Result<(), String> {
    let mut reasons = String::new();
    if s.venue != VenueState::Trading {
        reasons.push_str(&format!("venue {}\n", venue_state_name(s.venue)));
    }
    if let Some(market) = s.market.filter(|m| *m != MarketState::Streaming) {
        reasons.push_str(&format!("market data {}\n", market_label(market)));
    }
    if !s.feed_up() {
        reasons.push_str("feed down\n");
    }
    if let Some(cause) = s.kill {
        reasons.push_str(&format!("kill switch: {cause:?}\n"));
    }
    if reasons.is_empty() { Ok(()) } else { Err(reasons) }
}

#[cfg(test)]
mod tests {
    use hotline_core::risk::KillCause;

    use super::*;

    /// Trading on two nodes, the first up.
    fn trading() -> Snapshot {
        let mut s = Snapshot { venue: VenueState::Trading, nodes: 2, ..Snapshot::default() };
        s.node[0].up = true;
        s
    }

    fn get(path: &str, live: &Live) -> Response {
        route(http::Request { method: "GET", path }, live)
    }

    #[test]
    fn health_names_every_reason() {
        let trading = trading();
        assert_eq!(health(&trading), Ok(()));
        assert_eq!(health(&Snapshot { venue: VenueState::Syncing, ..trading }), Err("venue syncing\n".to_owned()));
        let mut down = trading;
        down.node[0].up = false;
        assert_eq!(health(&down), Err("feed down\n".to_owned()));
        down.node[1].up = true;
        assert_eq!(health(&down), Ok(()), "a second node is up");
        assert_eq!(health(&Snapshot { nodes: 1, ..down }), Err("feed down\n".to_owned()), "not configured");
        let priced = Snapshot { market: Some(MarketState::Streaming), ..trading };
        assert_eq!(health(&priced), Ok(()));
        let blind = Snapshot { market: Some(MarketState::Backoff), ..trading };
        assert_eq!(health(&blind), Err("market data backoff\n".to_owned()));
        let killed = Snapshot { kill: Some(KillCause::FeedGap), ..trading };
        assert_eq!(health(&killed), Err("kill switch: FeedGap\n".to_owned()));
        let all = Snapshot { venue: VenueState::LoggingOn, nodes: 0, ..killed };
        assert_eq!(health(&all), Err("venue logging on\nfeed down\nkill switch: FeedGap\n".to_owned()));
    }

    #[test]
    fn routes_answer_200_404_405_503() {
        let live = Live::new();
        let metrics = get("/metrics", &live);
        assert_eq!((metrics.status, metrics.content_type), (200, exposition::CONTENT_TYPE));
        assert!(metrics.body.contains("# TYPE hotline_stage_latency_seconds histogram\n"));
        assert_eq!(get("/health", &live), Response::text(503, "venue connecting\nfeed down\n"));
        live.publish(&trading());
        assert_eq!(get("/health", &live), Response::text(200, "trading\n"));
        assert_eq!(get("/", &live).status, 404);
        assert_eq!(get("/metrics/", &live).status, 404);
        assert_eq!(route(http::Request { method: "POST", path: "/metrics" }, &live).status, 405);
        let head = String::from_utf8(Response::error(405).bytes()).unwrap();
        assert!(
            head.starts_with("HTTP/1.1 405 Method Not Allowed\r\n") && head.contains("\r\nAllow: GET\r\n"),
            "{head}"
        );
        assert!(head.contains("\r\nConnection: close\r\n"), "{head}");
    }

    /// Sends `request` in `pieces`, then reads the answer to its end.
    fn exchange(addr: SocketAddr, pieces: &[&[u8]]) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        for piece in pieces {
            stream.write_all(piece).unwrap();
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    #[test]
    fn the_thread_answers_split_oversized_and_hostile_requests() {
        let live = Arc::new(Live::new());
        let server = Server::start("127.0.0.1:0".parse().unwrap(), Arc::clone(&live)).unwrap();
        let addr = server.local_addr();
        let answer = exchange(addr, &[b"GE", b"T /metr", b"ics HTTP/1.1\r\nHost: x\r", b"\n\r\n"]);
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.contains("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), "{answer}");
        assert!(answer.contains("\nhotline_txs_seen_total 0\n"), "{answer}");
        assert!(exchange(addr, &[b"DELETE /health HTTP/1.1\r\n\r\n"]).starts_with("HTTP/1.1 405 "));
        assert!(exchange(addr, &[b"GET /nope HTTP/1.1\r\n\r\n"]).starts_with("HTTP/1.1 404 "));
        assert!(exchange(addr, &[b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n"]).starts_with("HTTP/1.1 400 "));
        let long = [b"GET /".as_slice(), &[b'a'; 2 * http::MAX_HEAD]].concat();
        assert!(exchange(addr, &[&long]).starts_with("HTTP/1.1 414 "));
        // A client that sends half a head and goes away is dropped; the
        // next one is served.
        drop(TcpStream::connect(addr).unwrap().write_all(b"GET /hea"));
        assert!(exchange(addr, &[b"GET /health HTTP/1.0\r\n\r\n"]).starts_with("HTTP/1.1 503 "));
        drop(server);
        assert!(TcpStream::connect(addr).is_err(), "the listener closes with the server");
    }
}
