//! The benchmarks' exchange, in memory and built from other people's code:
//! TLS records from a client turn into plaintext in a rustls
//! `ServerConnection`, the WebSocket upgrade is answered by tungstenite's
//! server handshake (or skipped for a client that starts framed), masked
//! frames are decoded by tungstenite, and each request read by serde_json
//! gets a Binance-shaped answer (docs/protocols/binance-ws-api.md §Response
//! format, §time, §order.place): `time` its `serverTime`, `order.place`
//! (its HMAC signature checked, §Signing) a RESULT with `status: FILLED`.
//! Every answer leaves as its own TLS record, so the client's inbound path
//! can be timed one ack at a time.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::Arc;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tungstenite::protocol::Role;
use tungstenite::{Message, WebSocket};

/// A byte stream over memory for tungstenite: reads what the TLS layer
/// decrypted, collects what it writes; an empty read would block.
#[derive(Debug, Default)]
pub(crate) struct Pipe {
    pub(crate) rx: Vec<u8>,
    at: usize,
    pub(crate) tx: Vec<u8>,
}

impl Pipe {
    fn unread(&self) -> &[u8] {
        &self.rx[self.at..]
    }
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.rx.len() {
            self.rx.clear();
            self.at = 0;
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.rx.len() - self.at);
        buf[..n].copy_from_slice(&self.rx[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tx.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Whether an error only says that the pipe is empty.
pub(crate) fn would_block(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(e) if e.kind() == io::ErrorKind::WouldBlock)
}

enum Ws {
    /// Waiting for the HTTP upgrade request.
    Upgrade(Pipe),
    Open(Box<WebSocket<Pipe>>),
    /// Between the two, while tungstenite owns the pipe.
    Moving,
}

/// One client's exchange.
pub(crate) struct Venue {
    tls: rustls::ServerConnection,
    ws: Ws,
    /// TLS records to deliver to the client, one answer each.
    records: VecDeque<Vec<u8>>,
    /// `params` of every `order.place` received, oldest first.
    pub(crate) placed: Vec<Value>,
    next_order_id: u64,
}

impl std::fmt::Debug for Venue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Venue").field("placed", &self.placed.len()).finish_non_exhaustive()
    }
}

impl Venue {
    /// A venue whose client sends the WebSocket upgrade first (`upgrade`)
    /// or frames from its first byte of plaintext.
    pub(crate) fn new(config: Arc<rustls::ServerConfig>, upgrade: bool) -> Result<Self, String> {
        let tls = rustls::ServerConnection::new(config).map_err(|e| format!("rustls: {e}"))?;
        let ws = if upgrade {
            Ws::Upgrade(Pipe::default())
        } else {
            Ws::Open(Box::new(WebSocket::from_raw_socket(Pipe::default(), Role::Server, None)))
        };
        Ok(Self { tls, ws, records: VecDeque::new(), placed: Vec::new(), next_order_id: 1 })
    }

    /// Whether the TLS handshake is done.
    pub(crate) fn established(&self) -> bool {
        !self.tls.is_handshaking()
    }

    /// Takes the client's bytes and answers everything complete in them.
    pub(crate) fn receive(&mut self, mut wire: &[u8]) -> Result<(), String> {
        let mut plain = [0u8; 16 * 1024];
        while !wire.is_empty() {
            self.tls.read_tls(&mut wire).map_err(|e| format!("venue read_tls: {e}"))?;
            self.tls.process_new_packets().map_err(|e| format!("venue TLS: {e}"))?;
            loop {
                match self.tls.reader().read(&mut plain) {
                    Ok(0) => break,
                    Ok(n) => self.pipe().rx.extend_from_slice(&plain[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(format!("venue read: {e}")),
                }
            }
        }
        self.seal()?;
        self.serve()
    }

    /// Sends `text` as one WebSocket message (a market-data update), sealed
    /// in its own record.
    pub(crate) fn publish(&mut self, text: &str) -> Result<(), String> {
        let Ws::Open(ws) = &mut self.ws else { return Err("publish before the upgrade".to_owned()) };
        ws.send(Message::text(text.to_owned())).map_err(|e| format!("market send: {e}"))?;
        self.seal()
    }

    /// The next TLS bytes for the client: handshake flights, then one
    /// answer per call.
    pub(crate) fn pop_record(&mut self) -> Option<Vec<u8>> {
        self.records.pop_front()
    }

    fn pipe(&mut self) -> &mut Pipe {
        match &mut self.ws {
            Ws::Upgrade(pipe) => pipe,
            Ws::Open(ws) => ws.get_mut(),
            Ws::Moving => unreachable!("the pipe is only moved inside serve"),
        }
    }

    /// Seals what the WebSocket wrote, and anything TLS owes, as one chunk.
    fn seal(&mut self) -> Result<(), String> {
        let pipe = self.pipe();
        let out = std::mem::take(&mut pipe.tx);
        if !out.is_empty() {
            self.tls.writer().write_all(&out).map_err(|e| format!("venue write: {e}"))?;
        }
        let mut record = Vec::new();
        while self.tls.wants_write() {
            self.tls.write_tls(&mut record).map_err(|e| format!("venue write_tls: {e}"))?;
        }
        if !record.is_empty() {
            self.records.push_back(record);
        }
        Ok(())
    }

    fn serve(&mut self) -> Result<(), String> {
        if let Ws::Upgrade(pipe) = &self.ws
            && pipe.unread().windows(4).any(|w| w == b"\r\n\r\n")
        {
            let Ws::Upgrade(pipe) = std::mem::replace(&mut self.ws, Ws::Moving) else { unreachable!() };
            let ws = tungstenite::accept(pipe).map_err(|e| format!("venue upgrade: {e}"))?;
            self.ws = Ws::Open(Box::new(ws));
            self.seal()?;
        }
        loop {
            let Ws::Open(ws) = &mut self.ws else { return Ok(()) };
            let text = match ws.read() {
                Ok(Message::Text(text)) => text,
                Ok(_) => continue,
                Err(e) if would_block(&e) => return Ok(()),
                Err(e) => return Err(format!("venue WebSocket: {e}")),
            };
            let answer = self.answer(text.as_str())?;
            let Ws::Open(ws) = &mut self.ws else { return Ok(()) };
            ws.send(Message::text(answer)).map_err(|e| format!("venue send: {e}"))?;
            self.seal()?;
        }
    }

    fn answer(&mut self, text: &str) -> Result<String, String> {
        let request: Value = serde_json::from_str(text).map_err(|e| format!("venue: {e}: {text}"))?;
        let id = request["id"].clone();
        let now = super::unix_ms();
        let reply = match request["method"].as_str() {
            Some("time") => json!({ "id": id, "status": 200, "result": { "serverTime": now } }),
            Some("order.place") => {
                let params = &request["params"];
                if !signed(params) {
                    return Err(format!("venue: bad signature on {text}"));
                }
                let order_id = self.next_order_id;
                self.next_order_id += 1;
                let quantity = params["quantity"].clone();
                let result = json!({
                    "symbol": params["symbol"],
                    "orderId": order_id,
                    "orderListId": -1,
                    "clientOrderId": params["newClientOrderId"],
                    "transactTime": now,
                    "price": "0.00000000",
                    "origQty": quantity,
                    "executedQty": quantity,
                    "cummulativeQuoteQty": "0.00000000",
                    "status": "FILLED",
                    "timeInForce": "GTC",
                    "type": params["type"],
                    "side": params["side"],
                    "workingTime": now,
                    "selfTradePreventionMode": "NONE",
                });
                self.placed.push(params.clone());
                let limits = json!([
                    { "rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50, "count": 1 },
                    { "rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000, "count": 1 },
                ]);
                json!({ "id": id, "status": 200, "result": result, "rateLimits": limits })
            }
            _ => {
                json!({ "id": id, "status": 400, "error": { "code": -1020, "msg": "This operation is not supported." } })
            }
        };
        Ok(reply.to_string())
    }
}

/// Whether `params` carry the HMAC-SHA256 of their other params, sorted by name
/// and joined as `name=value&...` (docs/protocols/binance-ws-api.md §Signing),
/// under the documented test key.
fn signed(params: &Value) -> bool {
    let (Some(map), Some(signature)) = (params.as_object(), params["signature"].as_str()) else {
        return false;
    };
    let mut names: Vec<&String> = map.keys().filter(|k| *k != "signature").collect();
    names.sort();
    let payload = names
        .iter()
        .map(|k| match &map[k.as_str()] {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join("&");
    let mut mac = Hmac::<Sha256>::new_from_slice(super::SECRET.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(payload.as_bytes());
    hex::decode(signature).is_ok_and(|tag| mac.verify_slice(&tag).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test vector C (docs/protocols/binance-ws-api.md §Test vectors): its
    /// params under the documented key.
    fn vector_c(signature: &str) -> Value {
        json!({
            "apiKey": super::super::API_KEY,
            "price": "23416.10000000",
            "quantity": "0.00847000",
            "side": "SELL",
            "symbol": "BTCUSDT",
            "timeInForce": "GTC",
            "timestamp": 1_660_801_715_431u64,
            "type": "LIMIT",
            "signature": signature,
        })
    }

    #[test]
    fn the_documented_signature_passes_and_an_altered_one_fails() {
        let good = "15af09e41c36f3cc61378c2fbe2c33719a03dd5eba8d0f9206fbda44de717c88";
        assert!(signed(&vector_c(good)));
        assert!(!signed(&vector_c(&good.replace('c', "d"))));
        let mut changed = vector_c(good);
        changed["quantity"] = "0.00848000".into();
        assert!(!signed(&changed));
        assert!(!signed(&json!({ "symbol": "BTCUSDT" })));
    }
}
