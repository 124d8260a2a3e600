//! The benchmarks' Binance exchange, in memory and built from other
//! people's code: TLS records from a client turn into plaintext in a
//! rustls `ServerConnection` ([`super::tls`]), the WebSocket upgrade is
//! answered by tungstenite's server handshake (or skipped for a client that
//! starts framed), masked frames are decoded by tungstenite, and each
//! request read by serde_json gets a Binance-shaped answer
//! (docs/protocols/binance-ws-api.md §Response format, §time,
//! §order.place): `time` its `serverTime`, `order.place` (its HMAC
//! signature checked, §Signing) a RESULT with `status: FILLED`. Every
//! answer leaves as its own TLS record, so the client's inbound path can be
//! timed one ack at a time.

use std::io;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tungstenite::protocol::Role;
use tungstenite::{Message, WebSocket};

use super::tls::{Pipe, ServerTls};

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

impl Ws {
    fn pipe(&mut self) -> &mut Pipe {
        match self {
            Self::Upgrade(pipe) => pipe,
            Self::Open(ws) => ws.get_mut(),
            Self::Moving => unreachable!("the pipe is only moved inside serve"),
        }
    }
}

/// One client's exchange.
pub(crate) struct Venue {
    tls: ServerTls,
    ws: Ws,
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
        let ws = if upgrade {
            Ws::Upgrade(Pipe::default())
        } else {
            Ws::Open(Box::new(WebSocket::from_raw_socket(Pipe::default(), Role::Server, None)))
        };
        Ok(Self { tls: ServerTls::new(config)?, ws, placed: Vec::new(), next_order_id: 1 })
    }

    /// Whether the TLS handshake is done.
    pub(crate) fn established(&self) -> bool {
        self.tls.established()
    }

    /// Takes the client's bytes and answers everything complete in them.
    pub(crate) fn receive(&mut self, wire: &[u8]) -> Result<(), String> {
        self.tls.receive(wire, &mut self.ws.pipe().rx)?;
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
        self.tls.pop_record()
    }

    /// Seals what the WebSocket wrote, and anything TLS owes, as one chunk.
    fn seal(&mut self) -> Result<(), String> {
        let out = std::mem::take(&mut self.ws.pipe().tx);
        self.tls.seal(&out)
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
