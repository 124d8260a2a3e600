//! The conventional pipeline: a whale's ZMQ message turns into a sealed order
//! record the way a competent Rust developer would with popular crates, over
//! the same whale messages as hotline: the ZMQ frames split (libzmq's job in
//! such a stack; hotline's ZMTP header parser stands in for it), rust-bitcoin
//! 0.32 `consensus::deserialize`, the whale decision on its outputs with the
//! txid and a 64-entry memory, a `HashMap` of open orders for the risk check, a
//! serde struct through `serde_json::Value` into a `BTreeMap` for the sorted
//! payload, `Hmac::<Sha256>::new_from_slice` per order, `hex`, the request by
//! `serde_json::to_string`, tungstenite's client `WebSocket` (masked frame) and
//! a rustls `ClientConnection` sealing the record. Acks come back the same way:
//! rustls, tungstenite, `serde_json::Value`, the `HashMap`.
//!
//! For the same whale, client order id and timestamp it signs the same
//! payload as hotline, byte for byte ([`super::compare`] checks).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{Read as _, Write as _};
use std::sync::Arc;

use bitcoin::consensus::deserialize;
use bitcoin::{OutPoint, Transaction, Txid};
use hmac::{Hmac, Mac};
use hotline_core::feed::zmtp::{FrameHeader, Status};
use serde::Serialize;
use sha2::Sha256;
use tungstenite::protocol::Role;
use tungstenite::{Message, WebSocket};

use super::tls::Pipe;
use super::venue::{Venue, would_block};
use super::{
    API_KEY, FIRST_CLIENT_ORDER_ID, Harness, INSTRUMENT, Pace, Pki, REFERENCE_PRICE, SECRET, SETTLE_EVERY, SIZING,
    SentOrder, Tally, Whales,
};
use crate::clock::Clock;
use crate::metrics::Stage;

const BTC: u64 = 100_000_000;
/// The same thresholds as hotline's default rules.
const MIN_OUTPUT_SAT: u64 = 500 * BTC;
const MIN_TOTAL_SAT: u64 = 1_000 * BTC;
const MAX_STRENGTH: u64 = 8;
/// Whales remembered against repeats and replacements.
const MEMORY: usize = 64;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderParams<'a> {
    symbol: &'a str,
    side: &'a str,
    #[serde(rename = "type")]
    order_type: &'a str,
    quantity: String,
    new_client_order_id: String,
    timestamp: u64,
    api_key: &'a str,
}

/// The conventional pipeline connected to its own in-memory venue.
pub struct Baseline<'c> {
    conn: rustls::ClientConnection,
    ws: WebSocket<Pipe>,
    venue: Venue,
    clock: &'c Clock,
    whales: Whales,
    seen: VecDeque<(Txid, OutPoint)>,
    /// Open orders by request id, with the status the venue reported.
    open: HashMap<String, Option<String>>,
    /// (client order id, timestamp) to use instead of the next id and
    /// the wall clock: another pipeline's orders, to compare with.
    replay: VecDeque<(u64, u64)>,
    next_client_order_id: u64,
    next_request: u64,
    wire: Vec<u8>,
    out: Vec<u8>,
    in_flight: u64,
}

impl std::fmt::Debug for Baseline<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Baseline").field("open", &self.open.len()).finish_non_exhaustive()
    }
}

impl<'c> Baseline<'c> {
    /// Connects a rustls client (TLS 1.3, AES-128-GCM as hotline offers)
    /// to a fresh in-memory venue.
    pub fn new(pki: &Pki, clock: &'c Clock) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.ca.clone()).map_err(|e| format!("rustls: {e}"))?;
        let mut provider = rustls::crypto::ring::default_provider();
        provider.cipher_suites = vec![rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256];
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| format!("rustls: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = "localhost".try_into().map_err(|e| format!("server name: {e}"))?;
        let mut conn = rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| format!("rustls: {e}"))?;
        let mut venue = Venue::new(pki.server.clone(), false)?;
        let mut wire = Vec::new();
        while conn.is_handshaking() || !venue.established() {
            wire.clear();
            while conn.wants_write() {
                conn.write_tls(&mut wire).map_err(|e| format!("rustls: {e}"))?;
            }
            venue.receive(&wire)?;
            let mut answered = false;
            while let Some(record) = venue.pop_record() {
                answered = true;
                conn.read_tls(&mut &record[..]).map_err(|e| format!("rustls: {e}"))?;
                conn.process_new_packets().map_err(|e| format!("rustls: {e}"))?;
            }
            if !answered && wire.is_empty() {
                return Err("the baseline TLS handshake stalled".to_owned());
            }
        }
        Ok(Self {
            conn,
            ws: WebSocket::from_raw_socket(Pipe::default(), Role::Client, None),
            venue,
            clock,
            whales: Whales::new(),
            seen: VecDeque::with_capacity(MEMORY),
            open: HashMap::new(),
            replay: VecDeque::new(),
            next_client_order_id: FIRST_CLIENT_ORDER_ID,
            next_request: 1,
            wire: Vec::new(),
            out: Vec::new(),
            in_flight: 0,
        })
    }

    /// Places the next orders with these ids and timestamps, in order.
    pub fn replay(&mut self, orders: &[SentOrder]) {
        self.replay.extend(orders.iter().map(|o| (o.client_order_id, o.timestamp)));
    }

    /// The whale decision: side and quantity, or `None`.
    fn decide(&mut self, tx: &Transaction) -> Option<(&'static str, u64)> {
        if tx.is_coinbase() {
            return None;
        }
        let max = tx.output.iter().map(|o| o.value.to_sat()).max().unwrap_or(0);
        let total: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
        let (value, threshold) = if max >= MIN_OUTPUT_SAT {
            (max, MIN_OUTPUT_SAT)
        } else if total >= MIN_TOTAL_SAT {
            (total, MIN_TOTAL_SAT)
        } else {
            return None;
        };
        let txid = tx.compute_txid();
        let spends = tx.input.first()?.previous_output;
        if self.seen.iter().any(|(t, s)| *t == txid || *s == spends) {
            return None;
        }
        if self.seen.len() == MEMORY {
            self.seen.pop_front();
        }
        self.seen.push_back((txid, spends));
        let strength = (value / threshold).clamp(1, MAX_STRENGTH);
        Some(("SELL", (SIZING.base_qty * strength).min(SIZING.max_qty)))
    }

    /// The signed `order.place` request: (payload, signature, request).
    fn order(side: &str, qty: u64, client_order_id: u64, timestamp: u64, request_id: u64) -> (String, String, String) {
        let scale = 10u64.pow(u32::from(INSTRUMENT.quantity.decimals));
        let params = OrderParams {
            symbol: INSTRUMENT.symbol,
            side,
            order_type: "MARKET",
            quantity: format!(
                "{:0iw$}.{:0fw$}",
                qty / scale,
                qty % scale,
                iw = usize::from(INSTRUMENT.quantity.int_digits),
                fw = usize::from(INSTRUMENT.quantity.decimals)
            ),
            new_client_order_id: format!("{client_order_id:016}"),
            timestamp,
            api_key: API_KEY,
        };
        conventional_request(&params, SECRET.as_bytes(), request_id)
    }

    /// Delivers the sent records and times each ack's way back.
    fn settle(&mut self, tally: &mut Tally) -> Result<(), String> {
        self.venue.receive(&self.wire)?;
        self.wire.clear();
        tally.delivered += self.venue.placed.len() as u64;
        self.venue.placed.clear();
        let mut acked = 0;
        let mut plain = [0u8; 16 * 1024];
        while let Some(record) = self.venue.pop_record() {
            let t0 = self.clock.ticks();
            self.conn.read_tls(&mut &record[..]).map_err(|e| format!("rustls: {e}"))?;
            self.conn.process_new_packets().map_err(|e| format!("rustls: {e}"))?;
            loop {
                match self.conn.reader().read(&mut plain) {
                    Ok(0) => break,
                    Ok(n) => self.ws.get_mut().rx.extend_from_slice(&plain[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(format!("rustls: {e}")),
                }
            }
            loop {
                let text = match self.ws.read() {
                    Ok(Message::Text(text)) => text,
                    Ok(_) => continue,
                    Err(e) if would_block(&e) => break,
                    Err(e) => return Err(format!("tungstenite: {e}")),
                };
                let answer: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("ack: {e}"))?;
                let order = answer["id"].as_str().and_then(|id| self.open.get_mut(id));
                if let (Some(status), Some(200)) = (order, answer["status"].as_u64()) {
                    *status = answer["result"]["status"].as_str().map(str::to_owned);
                    acked += 1;
                }
            }
            let t1 = self.clock.ticks();
            tally.record_inbound(self.clock.ticks_to_ns(t1.saturating_sub(t0)));
        }
        self.open.retain(|_, status| status.as_deref() != Some("FILLED"));
        if acked != self.in_flight {
            return Err(format!("baseline: {} orders sent, {acked} acked", self.in_flight));
        }
        self.in_flight = 0;
        Ok(())
    }
}

/// The body frame of a three-frame `rawtx` message.
fn zmq_body(mut message: &[u8]) -> Option<&[u8]> {
    let mut body = None;
    for index in 0..3 {
        let Ok(Status::Complete(header)) = FrameHeader::parse(message) else { return None };
        let len = usize::try_from(header.body_len).ok()?;
        let frame = message.get(header.header_len..header.header_len + len)?;
        if index == 1 {
            body = Some(frame);
        }
        message = &message[header.header_len + len..];
    }
    body
}

impl Harness for Baseline<'_> {
    fn run(&mut self, n: u64, tally: &mut Tally, pace: &mut Pace) -> Result<(), String> {
        for _ in 0..n {
            let (client_order_id, timestamp) = self.replay.pop_front().unwrap_or_else(|| {
                let id = self.next_client_order_id;
                self.next_client_order_id += 1;
                (id, super::unix_ms())
            });
            let request_id = self.next_request;
            self.next_request += 1;
            let clock = self.clock;
            pace.wait(|_| ());
            let message = self.whales.next_message().to_vec();

            let t0 = clock.ticks();
            let tx: Transaction = deserialize(zmq_body(&message).ok_or("baseline: not a rawtx message")?)
                .map_err(|e| format!("baseline: {e}"))?;
            let decoded = clock.ticks();
            let (side, qty) = self.decide(&tx).ok_or("baseline: no signal")?;
            let decided = clock.ticks();
            if qty.checked_mul(REFERENCE_PRICE).is_none() {
                return Err("baseline: notional overflows".to_owned());
            }
            let key = format!("{request_id:020}");
            self.open.insert(key, None);
            let checked = clock.ticks();
            let (payload, signature, request) = Self::order(side, qty, client_order_id, timestamp, request_id);
            let signed = clock.ticks();
            self.ws.send(Message::text(request)).map_err(|e| format!("tungstenite: {e}"))?;
            let framed = clock.ticks();
            let frame = std::mem::take(&mut self.ws.get_mut().tx);
            self.conn.writer().write_all(&frame).map_err(|e| format!("rustls: {e}"))?;
            let sealed = clock.ticks();
            self.out.clear();
            self.conn.write_tls(&mut self.out).map_err(|e| format!("rustls: {e}"))?;
            let t1 = clock.ticks();

            let ns = |from: u64, to: u64| clock.ticks_to_ns(to.saturating_sub(from));
            tally.record(Stage::FeedDecode, ns(t0, decoded));
            tally.record(Stage::Strategy, ns(decoded, decided));
            tally.record(Stage::Risk, ns(decided, checked));
            tally.record(Stage::Sign, ns(checked, signed));
            tally.record(Stage::Frame, ns(signed, framed));
            tally.record(Stage::Seal, ns(framed, sealed));
            tally.record(Stage::Submit, ns(sealed, t1));
            tally.record(Stage::TickToWire, ns(t0, t1));
            if let Some(orders) = &mut tally.orders {
                orders.push(SentOrder { client_order_id, timestamp, payload: payload.into_bytes(), signature });
            }
            self.wire.extend_from_slice(&self.out);
            self.in_flight += 1;
            if self.in_flight >= SETTLE_EVERY {
                self.settle(tally)?;
            }
        }
        self.settle(tally)
    }
}

/// How a competent Rust developer signs a Binance request with popular crates:
/// the params through serde_json, sorted in a `BTreeMap`, joined as `k=v&…`
/// (docs/protocols/binance-ws-api.md §Signing), an HMAC keyed per request,
/// `hex`, and the request rendered with `json!`. Returns (payload, signature,
/// request).
pub fn conventional_request<P: serde::Serialize>(
    params: &P,
    secret: &[u8],
    request_id: u64,
) -> (String, String, String) {
    let serde_json::Value::Object(map) = serde_json::to_value(params).unwrap_or_default() else {
        return Default::default();
    };
    let sorted: BTreeMap<String, serde_json::Value> = map.into_iter().collect();
    let payload = sorted
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join("&");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(payload.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    let mut params = sorted;
    params.insert("signature".into(), signature.clone().into());
    let request = serde_json::json!({
        "id": format!("{request_id:020}"),
        "method": "order.place",
        "params": params,
    })
    .to_string();
    (payload, signature, request)
}
