//! The exchange's side, scripted: tungstenite's server-side WebSocket
//! (RFC 6455, `Role::Server` through `tungstenite::accept`) over an
//! in-memory stream, reading the engine's JSON requests with serde_json
//! and answering in the Binance Spot WebSocket API's shapes (responses
//! `{"id","status","result"|"error"}`, error `data.retryAfter`, the
//! `serverShutdown` event), as the independent simulator `hotline-sim`
//! writes them. It checks what a real venue checks, in the same order:
//! the HMAC-SHA256 or Ed25519 signature over the sorted parameters, then
//! `timestamp` against its own clock and `recvWindow` (5 000 ms back,
//! 1 000 ms ahead); then the script decides each `order.place`: ack,
//! reject, unknown (5xx or -1007), stall, 429 `retryAfter`, or a dropped
//! connection. `order.status` answers from the journal (-2013 when the
//! order was never placed) unless scripted too.

use std::collections::{BTreeMap, VecDeque};
use std::io::ErrorKind;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use hotline_tests::Memory;
use serde_json::{Value, json};
use sha2::Sha256;
use tungstenite::{Message, WebSocket};

/// What the venue does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Accepted (and, for `order.place`, journaled) with this order status.
    Ack(&'static str),
    /// Refused with an HTTP-like status and an error code; not journaled.
    Reject {
        /// e.g. 400.
        status: u16,
        /// e.g. -2010.
        code: i32,
    },
    /// "Execution status unknown": a 5xx, or -1007; journaled if `placed`.
    Unknown {
        /// e.g. 503, or 408 with -1007.
        status: u16,
        /// e.g. -1007.
        code: i32,
        /// Whether the order did execute.
        placed: bool,
    },
    /// No answer at all; journaled if `placed`.
    Stall {
        /// Whether the order did execute.
        placed: bool,
    },
    /// 429 -1015 with `retryAfter` this many ms after the venue's now.
    RateLimited {
        /// Milliseconds.
        retry_after_ms: i64,
    },
    /// The TCP connection drops before any answer; journaled if `placed`.
    Drop {
        /// Whether the order did execute.
        placed: bool,
    },
}

/// One request the venue read.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    /// The connection it came on, from 1.
    pub(crate) connection: u32,
    /// The venue's clock when it arrived, Unix ms.
    pub(crate) at_ms: i64,
    /// `id`.
    pub(crate) id: String,
    /// `method`.
    pub(crate) method: String,
    /// `params`, or null.
    pub(crate) params: Value,
}

impl Seen {
    /// A string or number parameter as text.
    pub(crate) fn param(&self, name: &str) -> Option<String> {
        match self.params.get(name)? {
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// `timestamp`, in ms.
    pub(crate) fn timestamp(&self) -> i64 {
        self.param("timestamp").and_then(|t| t.parse().ok()).expect("a timestamp")
    }
}

/// The keys the venue knows.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    /// `apiKey`.
    pub(crate) api_key: String,
    /// The HMAC secret, if the key is an HMAC key.
    pub(crate) hmac: Option<Vec<u8>>,
    /// The Ed25519 public key, if the key is an Ed25519 key.
    pub(crate) ed25519: Option<ed25519_dalek::VerifyingKey>,
}

enum Conn {
    /// Reading the upgrade request.
    Upgrading(Vec<u8>),
    Open(Box<WebSocket<Memory>>),
}

/// The scripted venue.
pub(crate) struct Venue {
    /// Registered keys.
    pub(crate) keys: Keys,
    /// The venue clock minus ours, ms.
    pub(crate) skew_ms: i64,
    /// Our Unix time minus our monotonic `now`, ns (the engine's setting).
    pub(crate) unix_offset_ns: i64,
    /// Answers for the next `order.place` requests; an empty script acks.
    pub(crate) place: VecDeque<Answer>,
    /// Answers for the next `order.status` requests; an empty script
    /// answers from the journal.
    pub(crate) status: VecDeque<Answer>,
    /// Client order ids `openOrders.status` lists as open (any text: the
    /// venue lists orders placed by others too).
    pub(crate) open: Vec<String>,
    /// `openOrders.status` is refused with this code.
    pub(crate) refuse_open_orders: Option<i32>,
    /// `time` and `session.logon` go unanswered until released.
    pub(crate) stall_session: bool,
    /// `time` is answered with this status and code instead of the time.
    pub(crate) refuse_time: Option<(u16, i32)>,
    /// `session.logon` is refused with this code.
    pub(crate) refuse_logon: Option<i32>,
    /// Reads everything and answers nothing, pongs included.
    pub(crate) mute: bool,
    /// After the closing handshake, keeps the TCP connection open instead
    /// of closing it first (RFC 6455 §7.1.1 says a server should).
    pub(crate) linger: bool,
    /// Every request read, oldest first.
    pub(crate) requests: Vec<Seen>,
    /// Client order ids placed, in order.
    pub(crate) journal: Vec<u64>,
    /// Pings read.
    pub(crate) pings: u32,
    /// Close frames read, with their status codes.
    pub(crate) closes: Vec<Option<u16>>,
    /// Connections accepted.
    pub(crate) connections: u32,
    /// Connections that ended, by the engine or the venue.
    pub(crate) disconnects: u32,
    /// Requests left unanswered by [`Answer::Stall`], oldest first.
    pub(crate) stalled: VecDeque<Seen>,
    conn: Option<Conn>,
    logged_on: bool,
    drop: bool,
    next_order_id: u64,
}

impl std::fmt::Debug for Venue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Venue")
            .field("requests", &self.requests)
            .field("journal", &self.journal)
            .field("connections", &self.connections)
            .finish_non_exhaustive()
    }
}

impl Venue {
    /// A venue that knows `keys`.
    pub(crate) fn new(keys: Keys, unix_offset_ns: i64) -> Self {
        Self {
            keys,
            skew_ms: 0,
            unix_offset_ns,
            place: VecDeque::new(),
            status: VecDeque::new(),
            open: Vec::new(),
            refuse_open_orders: None,
            stall_session: false,
            refuse_time: None,
            refuse_logon: None,
            mute: false,
            linger: false,
            requests: Vec::new(),
            journal: Vec::new(),
            pings: 0,
            closes: Vec::new(),
            connections: 0,
            disconnects: 0,
            stalled: VecDeque::new(),
            conn: None,
            logged_on: false,
            drop: false,
            next_order_id: 1,
        }
    }

    /// The venue's clock at our monotonic `now`, Unix ms.
    pub(crate) fn clock_ms(&self, now: u64) -> i64 {
        let unix_ns = i128::from(now) + i128::from(self.unix_offset_ns);
        i64::try_from(unix_ns / 1_000_000).expect("ms fit") + self.skew_ms
    }

    /// Whether a TCP connection is open.
    pub(crate) fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// A TCP connection arrived.
    pub(crate) fn accept(&mut self) {
        self.connections += 1;
        self.conn = Some(Conn::Upgrading(Vec::new()));
        self.logged_on = false;
        self.drop = false;
    }

    /// The TCP connection ended.
    pub(crate) fn disconnect(&mut self) {
        if self.conn.take().is_some() {
            self.disconnects += 1;
        }
    }

    /// Whether the venue wants its TCP connection gone (asked once).
    pub(crate) fn take_drop(&mut self) -> bool {
        std::mem::take(&mut self.drop)
    }

    /// Drops the connection at the next chance, without a close frame.
    pub(crate) fn drop_connection(&mut self) {
        self.drop = true;
    }

    /// Requests of `method`, oldest first.
    pub(crate) fn saw(&self, method: &str) -> Vec<&Seen> {
        self.requests.iter().filter(|r| r.method == method).collect()
    }

    /// Answers the oldest stalled request as at `now`, on the current
    /// connection (an order was journaled, or not, when it stalled; `time`
    /// and `session.logon` ignore `answer`).
    pub(crate) fn release(&mut self, now: u64, answer: Answer) {
        let seen = self.stalled.pop_front().expect("a stalled request");
        let server_ms = self.clock_ms(now);
        let result = match seen.method.as_str() {
            "time" => Ok(Some(json!({ "serverTime": server_ms }))),
            "session.logon" => self.logon(&seen, server_ms),
            method => self.order(&seen, server_ms, answer, method == "order.place"),
        };
        self.reply(&seen, result);
    }

    /// Sends the `serverShutdown` event.
    pub(crate) fn server_shutdown(&mut self, now: u64) {
        let event = json!({ "event": { "e": "serverShutdown", "E": self.clock_ms(now) } });
        self.send(&event);
    }

    /// Starts the WebSocket closing handshake (RFC 6455 §5.5.1).
    pub(crate) fn close(&mut self) {
        if let Some(Conn::Open(ws)) = &mut self.conn {
            let _ = ws.close(None);
            let _ = ws.flush();
        }
    }

    /// Bytes the engine sent.
    pub(crate) fn receive(&mut self, now: u64, data: &[u8]) {
        match &mut self.conn {
            None => {}
            Some(Conn::Upgrading(head)) => {
                head.extend_from_slice(data);
                let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else { return };
                let rest = head.split_off(end + 4);
                let request = std::mem::take(head);
                let ws = tungstenite::accept(Memory::reading(request)).expect("the engine's upgrade request");
                self.conn = Some(Conn::Open(Box::new(ws)));
                self.receive(now, &rest);
            }
            Some(Conn::Open(ws)) => {
                ws.get_mut().input.get_mut().extend_from_slice(data);
                self.read(now);
            }
        }
    }

    /// Bytes for the engine.
    pub(crate) fn take(&mut self) -> Vec<u8> {
        match &mut self.conn {
            Some(Conn::Open(ws)) => {
                let out = std::mem::take(&mut ws.get_mut().output);
                if self.mute { Vec::new() } else { out }
            }
            _ => Vec::new(),
        }
    }

    fn read(&mut self, now: u64) {
        loop {
            let Some(Conn::Open(ws)) = &mut self.conn else { return };
            let message = match ws.read() {
                Ok(m) => m,
                Err(tungstenite::Error::Io(e)) if e.kind() == ErrorKind::WouldBlock => return,
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => return,
                Err(e) => panic!("the venue could not read the engine's WebSocket: {e}"),
            };
            match message {
                Message::Text(text) => self.request(now, text.as_str()),
                Message::Ping(_) => self.pings += 1,
                Message::Close(frame) => {
                    self.closes.push(frame.map(|f| u16::from(f.code)));
                    // tungstenite queued the reply; a server closes the TCP
                    // connection once the handshake is done (RFC 6455 §7.1.1).
                    let _ = ws.flush();
                    if !self.linger {
                        self.drop = true;
                    }
                }
                other => panic!("unexpected frame from the engine: {other:?}"),
            }
        }
    }

    fn send(&mut self, value: &Value) {
        if let Some(Conn::Open(ws)) = &mut self.conn {
            ws.send(Message::text(value.to_string())).expect("memory never blocks");
        }
    }

    fn request(&mut self, now: u64, text: &str) {
        let v: Value = serde_json::from_str(text).expect("the engine sends JSON");
        let seen = Seen {
            connection: self.connections,
            at_ms: self.clock_ms(now),
            id: v["id"].as_str().expect("a string id").to_owned(),
            method: v["method"].as_str().expect("a method").to_owned(),
            params: v.get("params").cloned().unwrap_or(Value::Null),
        };
        self.requests.push(seen.clone());
        let server_ms = self.clock_ms(now);
        if self.stall_session && matches!(seen.method.as_str(), "time" | "session.logon") {
            self.stalled.push_back(seen);
            return;
        }
        let answer = match seen.method.as_str() {
            "time" => match self.refuse_time {
                Some((status, code)) => Err((status, error(code, "Refused by the script.", None))),
                None => Ok(Some(json!({ "serverTime": server_ms }))),
            },
            "session.logon" => self.logon(&seen, server_ms),
            "order.place" => match self.authenticate(&seen, server_ms) {
                Err(e) => Err(e),
                Ok(()) => {
                    let answer = self.place.pop_front().unwrap_or(Answer::Ack("NEW"));
                    self.order(&seen, server_ms, answer, true)
                }
            },
            "order.status" => match self.authenticate(&seen, server_ms) {
                Err(e) => Err(e),
                Ok(()) => {
                    let id: u64 = seen.param("origClientOrderId").and_then(|s| s.parse().ok()).expect("an id");
                    let answer = self.status.pop_front().unwrap_or(if self.journal.contains(&id) {
                        Answer::Ack("FILLED")
                    } else {
                        Answer::Reject { status: 400, code: -2013 }
                    });
                    self.order(&seen, server_ms, answer, false)
                }
            },
            // A subscription that never pushes an event, and an account
            // without past trades.
            "userDataStream.subscribe" | "userDataStream.subscribe.signature" => {
                self.authenticate(&seen, server_ms).map(|()| Some(json!({ "subscriptionId": 0 })))
            }
            "myTrades" => self.authenticate(&seen, server_ms).map(|()| Some(json!([]))),
            "account.status" => self.authenticate(&seen, server_ms).map(|()| {
                Some(json!({ "accountType": "SPOT", "balances": [
                    { "asset": "BNB", "free": "3.00000000", "locked": "0.00000000" },
                    { "asset": "BTC", "free": "1.00000000", "locked": "0.25000000" },
                    { "asset": "USDT", "free": "1000.00000000", "locked": "0.00000000" },
                ] }))
            }),
            // Each listed order as `order.status` reports it
            // (web-socket-api.md §"Current open orders (USER_DATA)").
            "openOrders.status" => match (self.authenticate(&seen, server_ms), self.refuse_open_orders) {
                (Err(e), _) => Err(e),
                (Ok(()), Some(code)) => Err((400, error(code, "Refused by the script.", None))),
                (Ok(()), None) => {
                    let listed = self.open.iter().enumerate().map(|(i, id)| {
                        json!({
                            "symbol": seen.param("symbol"), "orderId": 9_000 + i, "orderListId": -1,
                            "clientOrderId": id, "price": "30000.00", "origQty": "0.00100000",
                            "executedQty": "0.00000000", "status": "NEW", "timeInForce": "GTC",
                            "type": "LIMIT", "side": "BUY", "isWorking": true,
                        })
                    });
                    Ok(Some(Value::Array(listed.collect())))
                }
            },
            // Orders here never rest: there is nothing to cancel
            // (errors.md -2011, "Unknown order sent.").
            "openOrders.cancelAll" => match self.authenticate(&seen, server_ms) {
                Err(e) => Err(e),
                Ok(()) => Err((400, error(-2011, "Unknown order sent.", None))),
            },
            other => panic!("the engine sent an unknown method {other}"),
        };
        self.reply(&seen, answer);
    }

    fn reply(&mut self, seen: &Seen, answer: Result<Option<Value>, (u16, Value)>) {
        match answer {
            Ok(Some(result)) => self.send(&json!({ "id": seen.id, "status": 200, "result": result })),
            Ok(None) => {}
            Err((status, error)) => self.send(&json!({ "id": seen.id, "status": status, "error": error })),
        }
    }

    /// What an `order.place` (`place`) or `order.status` gets.
    #[allow(clippy::type_complexity)]
    fn order(
        &mut self,
        seen: &Seen,
        server_ms: i64,
        answer: Answer,
        place: bool,
    ) -> Result<Option<Value>, (u16, Value)> {
        let id_param = if place { "newClientOrderId" } else { "origClientOrderId" };
        let client_id = seen.param(id_param).expect("a client order id");
        let number: u64 = client_id.parse().expect("a numeric client order id");
        let mut journal = |placed: bool| {
            // An order journaled when it stalled is not journaled again.
            if place && placed && !self.journal.contains(&number) {
                self.journal.push(number);
            }
        };
        match answer {
            Answer::Ack(status) => {
                journal(true);
                let order_id = self.next_order_id;
                self.next_order_id += 1;
                Ok(Some(json!({
                    "symbol": seen.param("symbol"),
                    "orderId": order_id,
                    "orderListId": -1,
                    "clientOrderId": client_id,
                    "transactTime": server_ms,
                    "origQty": seen.param("quantity"),
                    "executedQty": if status == "FILLED" { seen.param("quantity") } else { Some("0.00000".to_owned()) },
                    "status": status,
                    "type": seen.param("type"),
                    "side": seen.param("side"),
                })))
            }
            Answer::Reject { status, code } => Err((status, error(code, "Rejected by the script.", None))),
            Answer::Unknown { status, code, placed } => {
                journal(placed);
                Err((status, error(code, "Send status unknown; execution status unknown.", None)))
            }
            Answer::Stall { placed } => {
                journal(placed);
                self.stalled.push_back(seen.clone());
                Ok(None)
            }
            Answer::RateLimited { retry_after_ms } => {
                let data = json!({ "serverTime": server_ms, "retryAfter": server_ms + retry_after_ms });
                Err((429, error(-1015, "Too many new orders.", Some(data))))
            }
            Answer::Drop { placed } => {
                journal(placed);
                self.drop = true;
                Ok(None)
            }
        }
    }

    /// A signed request's signature and timestamp, or a logged-on
    /// session's timestamp.
    fn authenticate(&self, seen: &Seen, server_ms: i64) -> Result<(), (u16, Value)> {
        match seen.param("signature") {
            Some(signature) => {
                if seen.param("apiKey").as_deref() != Some(self.keys.api_key.as_str()) {
                    return Err((401, error(-2015, "Invalid API-key, IP, or permissions for action.", None)));
                }
                self.check_time(seen, server_ms)?;
                let secret = self.keys.hmac.as_deref().expect("an HMAC key signs requests");
                let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
                mac.update(payload(&seen.params).as_bytes());
                let tag = hex::decode(signature).unwrap_or_default();
                if mac.verify_slice(&tag).is_err() {
                    return Err((400, error(-1022, "Signature for this request is not valid.", None)));
                }
                Ok(())
            }
            None if self.logged_on => self.check_time(seen, server_ms),
            None => Err((400, error(-1102, "Mandatory parameter 'signature' was not sent.", None))),
        }
    }

    fn check_time(&self, seen: &Seen, server_ms: i64) -> Result<(), (u16, Value)> {
        let ts = seen.timestamp();
        let window = seen.param("recvWindow").and_then(|w| w.parse().ok()).unwrap_or(5_000);
        if ts < server_ms - window || ts >= server_ms + 1_000 {
            let msg = "Timestamp for this request is outside of the recvWindow.";
            return Err((400, error(-1021, msg, Some(json!({ "serverTime": server_ms })))));
        }
        Ok(())
    }

    fn logon(&mut self, seen: &Seen, server_ms: i64) -> Result<Option<Value>, (u16, Value)> {
        if let Some(code) = self.refuse_logon {
            return Err((401, error(code, "Logon refused by the script.", None)));
        }
        let public = self.keys.ed25519.expect("an Ed25519 key logs on");
        let signature = seen.param("signature").unwrap_or_default();
        let bytes = base64::engine::general_purpose::STANDARD.decode(signature).unwrap_or_default();
        let verified = ed25519_dalek::Signature::from_slice(&bytes)
            .is_ok_and(|sig| public.verify_strict(payload(&seen.params).as_bytes(), &sig).is_ok());
        if !verified {
            return Err((400, error(-1022, "Signature for this request is not valid.", None)));
        }
        self.check_time(seen, server_ms)?;
        self.logged_on = true;
        Ok(Some(json!({
            "apiKey": self.keys.api_key,
            "authorizedSince": server_ms,
            "connectedSince": server_ms,
            "returnRateLimits": false,
            "serverTime": server_ms,
            "userDataStream": false,
        })))
    }
}

fn error(code: i32, msg: &str, data: Option<Value>) -> Value {
    let mut e = json!({ "code": code, "msg": msg });
    if let Some(data) = data {
        e["data"] = data;
    }
    e
}

/// The signed payload: every parameter but `signature`, sorted by name,
/// `name=value` joined by `&` (Binance's "SIGNED request security").
pub(crate) fn payload(params: &Value) -> String {
    let map: BTreeMap<&str, String> = params
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| k.as_str() != "signature")
                .map(|(k, v)| (k.as_str(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect()
        })
        .unwrap_or_default();
    map.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}
