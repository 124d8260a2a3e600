//! The exchange's market-data stream, scripted: tungstenite's server-side
//! WebSocket over an in-memory stream, publishing the top of book the way
//! Binance does — JSON `bookTicker` text frames rendered with serde_json
//! (`{"u","s","b","B","a","A"}`, decimals as strings with 8 fraction
//! digits), or SBE `bestBidAsk` binary frames laid out field by field
//! from the published schema (header, 50-byte root block, `symbol`) — and
//! `serverShutdown`; or the way Coinbase's Exchange feed does: it reads
//! the engine's `subscribe`, confirms it with `subscriptions` (unless told
//! not to), and publishes `ticker`, `heartbeat` and `error` messages
//! rendered with serde_json, shaped as Coinbase's channel page documents
//! them. It keeps the upgrade request's path and headers and the text
//! messages the engine sent, and counts the engine's pings and closes.

use std::io::ErrorKind;

use hotline_tests::Memory;
use serde_json::json;
use tungstenite::{Message, WebSocket};

/// One top of book, in whole cents and whole satoshi-like lots of 10^-5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quote {
    /// Order-book update id.
    pub(crate) update_id: u64,
    /// Best bid, in cents.
    pub(crate) bid: u64,
    /// Best bid quantity, in lots of 10^-5.
    pub(crate) bid_qty: u64,
    /// Best ask, in cents.
    pub(crate) ask: u64,
    /// Best ask quantity, in lots of 10^-5.
    pub(crate) ask_qty: u64,
}

enum Conn {
    Upgrading(Vec<u8>),
    Open(Box<WebSocket<Memory>>),
}

/// The market-data peer.
pub(crate) struct Market {
    conn: Option<Conn>,
    /// The symbol it publishes.
    pub(crate) symbol: &'static str,
    /// Upgrade requests, as read.
    pub(crate) upgrades: Vec<String>,
    /// Connections accepted.
    pub(crate) connections: u32,
    /// Pings from the engine.
    pub(crate) pings: u32,
    /// Close frames from the engine.
    pub(crate) closes: u32,
    /// Send the engine nothing (not even pongs).
    pub(crate) mute: bool,
    /// Text messages the engine sent (Coinbase's `subscribe`).
    pub(crate) texts: Vec<String>,
    /// Answer a `subscribe` with `subscriptions`, as Coinbase's feed does.
    pub(crate) confirm: bool,
    /// The peer wants its TCP connection gone.
    drop: bool,
}

impl std::fmt::Debug for Market {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Market").field("connections", &self.connections).finish_non_exhaustive()
    }
}

/// `units` of 10^-`decimals` as Binance writes it: 8 fraction digits.
fn decimal(units: u64, decimals: u32) -> String {
    let scale = 10u64.pow(decimals);
    let frac = format!("{:0width$}", units % scale, width = decimals as usize);
    format!("{}.{frac:0<8}", units / scale)
}

impl Market {
    pub(crate) fn new(symbol: &'static str) -> Self {
        Self {
            conn: None,
            symbol,
            upgrades: Vec::new(),
            connections: 0,
            pings: 0,
            closes: 0,
            mute: false,
            texts: Vec::new(),
            confirm: true,
            drop: false,
        }
    }

    pub(crate) fn accept(&mut self) {
        self.connections += 1;
        self.conn = Some(Conn::Upgrading(Vec::new()));
        self.drop = false;
    }

    pub(crate) fn disconnect(&mut self) {
        self.conn = None;
    }

    pub(crate) fn is_open(&self) -> bool {
        matches!(self.conn, Some(Conn::Open(_)))
    }

    /// Whether the peer wants its TCP connection gone (asked once).
    pub(crate) fn take_drop(&mut self) -> bool {
        std::mem::take(&mut self.drop)
    }

    /// Drops the connection at the next chance, without a close frame.
    pub(crate) fn drop_connection(&mut self) {
        self.drop = true;
    }

    /// Bytes the engine sent.
    pub(crate) fn receive(&mut self, data: &[u8]) {
        match &mut self.conn {
            None => {}
            Some(Conn::Upgrading(head)) => {
                head.extend_from_slice(data);
                let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else { return };
                let rest = head.split_off(end + 4);
                let request = std::mem::take(head);
                self.upgrades.push(String::from_utf8(request.clone()).expect("an ASCII upgrade"));
                let ws = tungstenite::accept(Memory::reading(request)).expect("the engine's upgrade request");
                self.conn = Some(Conn::Open(Box::new(ws)));
                self.receive(&rest);
            }
            Some(Conn::Open(ws)) => {
                ws.get_mut().input.get_mut().extend_from_slice(data);
                loop {
                    match ws.read() {
                        Ok(Message::Ping(_)) => self.pings += 1,
                        Ok(Message::Text(text)) => {
                            let request: serde_json::Value = serde_json::from_str(&text).expect("JSON from the engine");
                            if self.confirm && request["type"] == "subscribe" {
                                let channels = json!([{ "name": "ticker", "product_ids": request["product_ids"] }]);
                                let answer = json!({ "type": "subscriptions", "channels": channels });
                                ws.send(Message::text(answer.to_string())).expect("memory never blocks");
                            }
                            self.texts.push(text.to_string());
                        }
                        Ok(Message::Close(_)) => {
                            self.closes += 1;
                            let _ = ws.flush();
                            self.drop = true;
                        }
                        Ok(other) => panic!("unexpected frame on the market stream: {other:?}"),
                        Err(tungstenite::Error::Io(e)) if e.kind() == ErrorKind::WouldBlock => return,
                        Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => return,
                        Err(e) => panic!("the market peer could not read the engine's WebSocket: {e}"),
                    }
                }
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

    fn send(&mut self, message: Message) {
        if let Some(Conn::Open(ws)) = &mut self.conn {
            ws.send(message).expect("memory never blocks");
        }
    }

    /// A JSON `bookTicker` for `symbol`.
    pub(crate) fn book_ticker_for(&mut self, symbol: &str, q: Quote) {
        let value = json!({
            "u": q.update_id,
            "s": symbol,
            "b": decimal(q.bid, 2),
            "B": decimal(q.bid_qty, 5),
            "a": decimal(q.ask, 2),
            "A": decimal(q.ask_qty, 5),
        });
        self.send(Message::text(value.to_string()));
    }

    /// A JSON `bookTicker`.
    pub(crate) fn book_ticker(&mut self, q: Quote) {
        self.book_ticker_for(self.symbol, q);
    }

    /// An SBE `bestBidAsk` (schema 1:0, template 10001), prices with
    /// exponent -8 and quantities with -8, as the schema allows.
    pub(crate) fn best_bid_ask(&mut self, q: Quote, event_time_us: i64) {
        let mut f = Vec::new();
        for v in [50u16, 10001, 1, 0] {
            f.extend_from_slice(&v.to_le_bytes());
        }
        f.extend_from_slice(&event_time_us.to_le_bytes());
        f.extend_from_slice(&(q.update_id as i64).to_le_bytes());
        f.extend_from_slice(&[(-8i8) as u8, (-8i8) as u8]);
        for (units, decimals) in [(q.bid, 2), (q.bid_qty, 5), (q.ask, 2), (q.ask_qty, 5)] {
            let mantissa = units as i64 * 10i64.pow(8 - decimals);
            f.extend_from_slice(&mantissa.to_le_bytes());
        }
        f.push(self.symbol.len() as u8);
        f.extend_from_slice(self.symbol.as_bytes());
        self.send(Message::binary(f));
    }

    /// A text frame as given.
    pub(crate) fn raw_text(&mut self, text: &str) {
        self.send(Message::text(text.to_owned()));
    }

    /// A Coinbase `ticker` for `product_id`, with the members Coinbase's
    /// channel page shows (the last trade's and the day's among them).
    pub(crate) fn ticker_for(&mut self, product_id: &str, q: Quote) {
        let value = json!({
            "type": "ticker",
            "sequence": q.update_id,
            "product_id": product_id,
            "price": decimal(q.ask, 2),
            "open_24h": "89000.00",
            "volume_24h": "1234.56789012",
            "low_24h": "88000.00",
            "high_24h": "91000.00",
            "volume_30d": "45678.90123456",
            "best_bid": decimal(q.bid, 2),
            "best_bid_size": decimal(q.bid_qty, 5),
            "best_ask": decimal(q.ask, 2),
            "best_ask_size": decimal(q.ask_qty, 5),
            "side": "buy",
            "time": "2026-12-03T10:00:00.000000Z",
            "trade_id": q.update_id,
            "last_size": "0.01",
        });
        self.send(Message::text(value.to_string()));
    }

    /// A Coinbase `ticker` for the peer's symbol.
    pub(crate) fn ticker(&mut self, q: Quote) {
        self.ticker_for(self.symbol, q);
    }

    /// A Coinbase `heartbeat`.
    pub(crate) fn heartbeat(&mut self, sequence: u64) {
        let value = json!({
            "type": "heartbeat",
            "sequence": sequence,
            "last_trade_id": 20,
            "product_id": self.symbol,
            "time": "2026-12-03T10:00:00.000000Z",
        });
        self.send(Message::text(value.to_string()));
    }

    /// A Coinbase `error`.
    pub(crate) fn feed_error(&mut self, message: &str, reason: &str) {
        self.send(Message::text(json!({ "type": "error", "message": message, "reason": reason }).to_string()));
    }

    /// `serverShutdown`, as the stream announces it.
    pub(crate) fn server_shutdown(&mut self) {
        self.send(Message::text(json!({ "e": "serverShutdown", "E": 1_700_000_000_000u64 }).to_string()));
    }
}
