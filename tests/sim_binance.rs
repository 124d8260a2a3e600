//! The simulated exchange (`hotline-sim`) driven by an independent client — rustls trusting only the sim's exported CA,
//! tungstenite for WebSocket, the `hmac` crate and ring's Ed25519 for signatures — checked against the Binance Spot
//! WebSocket API documentation (Binance's web-socket-api.md,
//! <https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-api.md>): the official HMAC vectors
//! verbatim, response and error shapes, timestamp rules, order lifecycle, idempotency, rate limits, the ping echo rule,
//! session logon and every injected fault. A frozen sim clock makes the timestamp checks deterministic.

use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use hotline_sim::{DOC_API_KEY, DOC_SECRET_KEY, Ed25519Key, Faults, Sim, SimClock, SimConfig};
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tungstenite::handshake::HandshakeError;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{Message, WebSocket};
use x509_cert::der::{Decode, Encode};

type Client = WebSocket<StreamOwned<ClientConnection, TcpStream>>;

/// The frozen sim clock of most tests; a multiple of the 10 s ORDERS window.
const NOW: i64 = 1_700_000_000_000;
/// Official vector A's timestamp (web-socket-api.md §"SIGNED request example (HMAC)").
const VECTOR_TS: i64 = 1_645_423_376_532;

fn fixed(unix_ms: i64) -> SimConfig {
    SimConfig { clock: SimClock::Fixed { unix_ms }, ..SimConfig::default() }
}

fn start(config: SimConfig) -> Sim {
    Sim::start(config).expect("sim starts")
}

fn try_connect(sim: &Sim, path: &str, ws: Option<WebSocketConfig>) -> Result<Client, tungstenite::Error> {
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(sim.ca_der().to_vec())).expect("sim CA");
    let tls = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(sim.addr()).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let name = ServerName::try_from("localhost").expect("name");
    let stream = StreamOwned::new(ClientConnection::new(Arc::new(tls), name).expect("client"), tcp);
    let url = format!("wss://localhost:{}{path}", sim.addr().port());
    match tungstenite::client::client_with_config(url, stream, ws) {
        Ok((client, _)) => Ok(client),
        Err(HandshakeError::Failure(e)) => Err(e),
        Err(HandshakeError::Interrupted(_)) => panic!("blocking handshake interrupted"),
    }
}

fn connect(sim: &Sim) -> Client {
    try_connect(sim, "/ws-api/v3", None).expect("WebSocket upgrade")
}

/// The next text message, parsed; pings are answered by tungstenite.
fn recv(ws: &mut Client) -> Value {
    loop {
        match ws.read().expect("read") {
            Message::Text(text) => return serde_json::from_str(text.as_str()).expect("JSON answer"),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

fn call(ws: &mut Client, request: &str) -> Value {
    ws.send(Message::text(request)).expect("send");
    recv(ws)
}

/// A request signed with the documentation's example HMAC key. The
/// payload is built here, independently of the sim: sorted `name=value`.
fn signed(method: &str, id: &str, mut params: Vec<(&str, Value)>) -> String {
    params.push(("apiKey", json!(DOC_API_KEY)));
    params.sort_by(|a, b| a.0.cmp(b.0));
    let payload: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}={}", value.as_str().map_or_else(|| value.to_string(), str::to_owned)))
        .collect();
    let mut mac = Hmac::<Sha256>::new_from_slice(DOC_SECRET_KEY.as_bytes()).expect("key");
    mac.update(payload.join("&").as_bytes());
    let mut map: Map<String, Value> = params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    map.insert("signature".to_owned(), json!(hex::encode(mac.finalize().into_bytes())));
    json!({ "id": id, "method": method, "params": map }).to_string()
}

/// A signed LIMIT order; `changes` replace or add parameters.
fn limit_order(id: &str, cid: &str, changes: Vec<(&'static str, Value)>) -> String {
    let mut params = vec![
        ("symbol", json!("BTCUSDT")),
        ("side", json!("BUY")),
        ("type", json!("LIMIT")),
        ("timeInForce", json!("GTC")),
        ("price", json!("52000.00")),
        ("quantity", json!("0.01000000")),
        ("newClientOrderId", json!(cid)),
        ("timestamp", json!(NOW)),
    ];
    for (name, value) in changes {
        match params.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => params.push((name, value)),
        }
    }
    signed("order.place", id, params)
}

fn error_code(answer: &Value) -> i64 {
    answer["error"]["code"].as_i64().unwrap_or_else(|| panic!("not an error: {answer}"))
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

fn vector_a(signature: &str) -> String {
    format!(
        r#"{{"id":"4885f793-e5ad-4c3b-8f6c-55d891472b71","method":"order.place","params":{{"symbol":"BTCUSDT","side":"SELL","type":"LIMIT","timeInForce":"GTC","quantity":"0.01000000","price":"52000.00","recvWindow":100,"timestamp":1645423376532,"apiKey":"{DOC_API_KEY}","signature":"{signature}"}}}}"#
    )
}

const VECTOR_A_SIG: &str = "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24";

#[test]
fn official_vectors_are_accepted_over_tls13_with_the_pinned_key() {
    let sim = start(fixed(VECTOR_TS));
    let mut ws = connect(&sim);
    let tls = ws.get_ref();
    assert_eq!(tls.conn.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_3));
    let leaf = tls.conn.peer_certificates().expect("server certificate")[0].clone();
    let leaf = x509_cert::Certificate::from_der(&leaf).expect("leaf parses");
    let spki = leaf.tbs_certificate.subject_public_key_info.to_der().expect("SPKI");
    assert_eq!(<[u8; 32]>::from(Sha256::digest(spki)), sim.leaf_spki_sha256());

    // Vector A, verbatim: LIMIT defaults to the FULL response.
    let answer = call(&mut ws, &vector_a(VECTOR_A_SIG));
    assert_eq!(answer["id"], "4885f793-e5ad-4c3b-8f6c-55d891472b71");
    assert_eq!(answer["status"], 200, "{answer}");
    let result = &answer["result"];
    assert_eq!(result["symbol"], "BTCUSDT");
    assert_eq!(result["side"], "SELL");
    assert_eq!(result["price"], "52000.00000000");
    assert_eq!(result["origQty"], "0.01000000");
    assert_eq!(result["status"], "NEW");
    assert_eq!(result["transactTime"], VECTOR_TS);
    assert_eq!(result["fills"], json!([]));
    let limits = &answer["rateLimits"];
    assert_eq!(limits[0], json!({"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":50,"count":1}));
    assert_eq!(limits[1]["interval"], "DAY");
    assert_eq!(limits[2]["rateLimitType"], "REQUEST_WEIGHT");

    // Vector B: a non-ASCII symbol, sent as JSON escapes; signed unescaped.
    let vector_b = format!(
        r#"{{"id":2,"method":"order.place","params":{{"symbol":"\uff11\uff12\uff13\uff14\uff15\uff16","side":"BUY","type":"LIMIT","timeInForce":"GTC","quantity":"1.00000000","price":"0.10000000","recvWindow":5000,"timestamp":1645423376532,"apiKey":"{DOC_API_KEY}","signature":"b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd"}}}}"#
    );
    let answer = call(&mut ws, &vector_b);
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(answer["id"], 2);
    assert_eq!(answer["result"]["symbol"], "１２３４５６");

    let orders = sim.orders();
    assert_eq!(orders.len(), 2);
    assert_eq!((orders[0].order_id, orders[0].side.as_str(), orders[0].timestamp), (1, "SELL", VECTOR_TS));
    assert_eq!(orders[0].price.as_deref(), Some("52000.00"));
    assert_eq!(orders[1].symbol, "１２３４５６");
}

#[test]
fn hmac_signatures_are_case_insensitive() {
    // Vector C has no recvWindow: the default 5000 ms applies.
    let sim = start(fixed(1_660_801_715_431));
    let mut ws = connect(&sim);
    let request = format!(
        r#"{{"id":"c","method":"order.place","params":{{"symbol":"BTCUSDT","side":"SELL","type":"LIMIT","timeInForce":"GTC","quantity":"0.00847000","price":"23416.10000000","timestamp":1660801715431,"apiKey":"{DOC_API_KEY}","signature":"15AF09E41C36F3CC61378C2FBE2C33719A03DD5EBA8D0F9206FBDA44DE717C88"}}}}"#
    );
    let answer = call(&mut ws, &request);
    assert_eq!(answer["status"], 200, "{answer}");
}

#[test]
fn ack_and_result_shapes_follow_new_order_resp_type() {
    let sim = start(fixed(NOW));
    let mut ws = connect(&sim);
    let ack = call(&mut ws, &limit_order("a", "ack-1", vec![("newOrderRespType", json!("ACK"))]));
    assert_eq!(ack["status"], 200, "{ack}");
    assert_eq!(keys(&ack["result"]), ["clientOrderId", "orderId", "orderListId", "symbol", "transactTime"]);
    assert_eq!(ack["result"]["clientOrderId"], "ack-1");
    assert_eq!(ack["result"]["orderListId"], -1);
    assert_eq!(ack["result"]["transactTime"], NOW);

    let result = call(&mut ws, &limit_order("r", "result-1", vec![("newOrderRespType", json!("RESULT"))]));
    assert_eq!(
        keys(&result["result"]),
        [
            "clientOrderId",
            "cummulativeQuoteQty",
            "executedQty",
            "orderId",
            "orderListId",
            "origQty",
            "origQuoteOrderQty",
            "price",
            "selfTradePreventionMode",
            "side",
            "status",
            "symbol",
            "timeInForce",
            "transactTime",
            "type",
            "workingTime",
        ]
    );
    assert_eq!(result["result"]["orderId"], 2);
    assert_eq!(result["result"]["executedQty"], "0.00000000");

    // Per-request opt-out of rateLimits (web-socket-api.md §"How to show/hide rate limit information").
    let quiet = call(&mut ws, &limit_order("q", "quiet-1", vec![("returnRateLimits", json!(false))]));
    assert_eq!(quiet["status"], 200, "{quiet}");
    assert!(quiet.get("rateLimits").is_none());
}

#[test]
fn bad_signature_and_unknown_key_are_rejected() {
    let sim = start(fixed(VECTOR_TS));
    let mut ws = connect(&sim);
    let mut flipped = VECTOR_A_SIG.to_owned();
    flipped.replace_range(63.., "5");
    let answer = call(&mut ws, &vector_a(&flipped));
    assert_eq!((answer["status"].as_i64(), error_code(&answer)), (Some(400), -1022));
    assert_eq!(answer["error"]["msg"], "Signature for this request is not valid.");
    let answer = call(&mut ws, &vector_a("not hex"));
    assert_eq!(error_code(&answer), -1022);

    let unknown = vector_a(VECTOR_A_SIG).replace(DOC_API_KEY, "unknown-key");
    let answer = call(&mut ws, &unknown);
    assert_eq!((answer["status"].as_i64(), error_code(&answer)), (Some(401), -2015));

    let unsigned = json!({"id": 9, "method": "order.place", "params": {"symbol": "BTCUSDT", "timestamp": VECTOR_TS}});
    let answer = call(&mut ws, &unsigned.to_string());
    assert_eq!(error_code(&answer), -1102);
    assert!(sim.orders().is_empty());
}

#[test]
fn timestamps_outside_the_window_are_rejected_with_1021() {
    let sim = start(fixed(NOW));
    let mut ws = connect(&sim);
    let at = |ws: &mut Client, ts: i64, window: Option<i64>| {
        let mut params = vec![("timestamp", json!(ts)), ("symbol", json!("BTCUSDT")), ("orderId", json!(1))];
        params.extend(window.map(|w| ("recvWindow", json!(w))));
        call(ws, &signed("order.status", "t", params))
    };
    let stale = at(&mut ws, NOW - 5_001, None);
    assert_eq!(error_code(&stale), -1021);
    assert_eq!(stale["error"]["msg"], "Timestamp for this request is outside of the recvWindow.");
    assert_eq!(error_code(&at(&mut ws, NOW - 100, Some(99))), -1021);
    let ahead = at(&mut ws, NOW + 1_000, None);
    assert_eq!(ahead["error"]["msg"], "Timestamp for this request was 1000ms ahead of the server's time.");
    assert_eq!(error_code(&at(&mut ws, NOW * 1000 - 5_000_001, None)), -1021, "microsecond timestamps");
    // Inside the window the request passes authentication and reaches the
    // book, which has no such order.
    assert_eq!(error_code(&at(&mut ws, NOW + 999, None)), -2013);
    assert_eq!(error_code(&at(&mut ws, NOW - 60_000, Some(60_000))), -2013);
    assert_eq!(error_code(&at(&mut ws, NOW, Some(60_001))), -1131);
}

#[test]
fn clock_skew_is_visible_through_time_and_correctable() {
    let skew = 3_600_000;
    let sim = start(SimConfig { clock: SimClock::System { skew_ms: skew }, ..SimConfig::default() });
    let mut ws = connect(&sim);
    let local = || i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis()).expect("ms");
    let order = |ts: i64, cid: &str| {
        signed(
            "order.place",
            cid,
            vec![
                ("symbol", json!("BTCUSDT")),
                ("side", json!("BUY")),
                ("type", json!("MARKET")),
                ("quantity", json!("1")),
                ("newClientOrderId", json!(cid)),
                ("timestamp", json!(ts)),
            ],
        )
    };
    assert_eq!(error_code(&call(&mut ws, &order(local(), "skew-2"))), -1021);
    let before = local();
    let server = call(&mut ws, r#"{"id":"t","method":"time"}"#)["result"]["serverTime"].as_i64().expect("serverTime");
    let offset = server - before;
    assert!((skew - 60_000..=skew + 60_000).contains(&offset), "offset {offset}");
    let answer = call(&mut ws, &order(local() + offset, "skew-3"));
    assert_eq!(answer["status"], 200, "{answer}");
}

#[test]
fn order_status_and_cancel_follow_the_order() {
    let sim = start(fixed(NOW));
    let mut ws = connect(&sim);
    let placed = call(&mut ws, &limit_order("p", "life-1", vec![]));
    let order_id = placed["result"]["orderId"].as_i64().expect("orderId");
    let query = |ws: &mut Client, method: &str, by: (&'static str, Value)| {
        call(ws, &signed(method, "q", vec![("symbol", json!("BTCUSDT")), by, ("timestamp", json!(NOW))]))
    };
    let status = query(&mut ws, "order.status", ("origClientOrderId", json!("life-1")));
    assert_eq!(status["status"], 200, "{status}");
    assert_eq!((status["result"]["orderId"].as_i64(), &status["result"]["status"]), (Some(order_id), &json!("NEW")));
    assert_eq!(status["result"]["isWorking"], true);
    assert_eq!(
        status["rateLimits"],
        json!([{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,"count":5}])
    );
    let by_id = query(&mut ws, "order.status", ("orderId", json!(order_id)));
    assert_eq!(by_id["result"]["clientOrderId"], "life-1");

    let cancelled = query(&mut ws, "order.cancel", ("origClientOrderId", json!("life-1")));
    assert_eq!(cancelled["status"], 200, "{cancelled}");
    assert_eq!(cancelled["result"]["status"], "CANCELED");
    assert_eq!(cancelled["result"]["origClientOrderId"], "life-1");
    let status = query(&mut ws, "order.status", ("orderId", json!(order_id)));
    assert_eq!(status["result"]["status"], "CANCELED");
    assert_eq!(error_code(&query(&mut ws, "order.cancel", ("orderId", json!(order_id)))), -2011);
    assert_eq!(error_code(&query(&mut ws, "order.status", ("origClientOrderId", json!("nope")))), -2013);
    let wrong_symbol = call(
        &mut ws,
        &signed(
            "order.status",
            "w",
            vec![("symbol", json!("ETHUSDT")), ("orderId", json!(order_id)), ("timestamp", json!(NOW))],
        ),
    );
    assert_eq!(error_code(&wrong_symbol), -2013);
}

#[test]
fn duplicate_client_order_id_is_rejected_and_journaled_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = dir.path().join("orders.jsonl");
    let sim = start(SimConfig { journal: Some(journal.clone()), ..fixed(NOW) });
    let mut ws = connect(&sim);
    assert_eq!(call(&mut ws, &limit_order("1", "dup-1", vec![]))["status"], 200);
    let again = call(&mut ws, &limit_order("2", "dup-1", vec![]));
    assert_eq!((again["status"].as_i64(), error_code(&again)), (Some(400), -2010));
    assert_eq!(again["error"]["msg"], "Duplicate order sent.");
    assert_eq!(call(&mut ws, &limit_order("3", "dup-2", vec![("side", json!("SELL"))]))["status"], 200);

    let lines: Vec<Value> = std::fs::read_to_string(&journal)
        .expect("journal")
        .lines()
        .map(|line| serde_json::from_str(line).expect("journal line is JSON"))
        .collect();
    assert_eq!(lines, sim.orders().iter().map(|o| o.to_json()).collect::<Vec<_>>());
    assert_eq!(
        lines[0],
        json!({"clientOrderId": "dup-1", "orderId": 1, "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
               "price": "52000.00", "quantity": "0.01000000", "timestamp": NOW, "received_at": NOW, "connection_id": 1})
    );
    assert_eq!((lines.len(), &lines[1]["clientOrderId"], &lines[1]["side"]), (2, &json!("dup-2"), &json!("SELL")));
}

#[test]
fn orders_over_the_limit_get_429_with_retry_after() {
    let sim = start(SimConfig { orders_per_10s: 2, ..fixed(NOW) });
    let mut ws = connect(&sim);
    for cid in ["rl-1", "rl-2"] {
        assert_eq!(call(&mut ws, &limit_order(cid, cid, vec![]))["status"], 200);
    }
    let limited = call(&mut ws, &limit_order("rl-3", "rl-3", vec![]));
    assert_eq!((limited["status"].as_i64(), error_code(&limited)), (Some(429), -1015));
    assert_eq!(limited["error"]["data"], json!({"serverTime": NOW, "retryAfter": NOW + 10_000}));
    assert_eq!(limited["rateLimits"][0]["count"], 3);
    assert_eq!(sim.orders().len(), 2);
}

#[test]
fn reject_rules_answer_2010() {
    let faults = Faults { reject_every: Some(2), ..Faults::default() };
    let sim = start(SimConfig { faults, reject_symbols: vec!["HALTED".to_owned()], ..fixed(NOW) });
    let mut ws = connect(&sim);
    assert_eq!(call(&mut ws, &limit_order("1", "rj-1", vec![]))["status"], 200);
    assert_eq!(error_code(&call(&mut ws, &limit_order("2", "rj-2", vec![]))), -2010);
    assert_eq!(call(&mut ws, &limit_order("3", "rj-3", vec![]))["status"], 200);
    let halted = limit_order("4", "rj-4", vec![("symbol", json!("HALTED"))]);
    assert_eq!(error_code(&call(&mut ws, &halted)), -2010);
    assert_eq!(sim.orders().iter().map(|o| o.client_order_id.as_str()).collect::<Vec<_>>(), ["rj-1", "rj-3"]);
}

fn pinging(storm: u32) -> SimConfig {
    SimConfig {
        ping_interval: Some(Duration::from_millis(100)),
        faults: Faults { ping_storm: storm, ..Faults::default() },
        ..fixed(NOW)
    }
}

#[test]
fn a_pong_that_does_not_echo_the_ping_closes_with_1008() {
    let sim = start(pinging(0));
    let mut ws = connect(&sim);
    loop {
        if let Message::Ping(_) = ws.read().expect("read") {
            break;
        }
    }
    // Replaces tungstenite's queued echo.
    ws.send(Message::Pong("not the payload".into())).expect("pong");
    // Bounded: a sim that let the pong pass would keep pinging forever.
    let mut pings = 0;
    let close = loop {
        match ws.read().expect("read") {
            Message::Close(frame) => break frame.expect("close frame"),
            Message::Ping(_) if pings < 20 => pings += 1,
            other => panic!("expected close 1008, got {other:?}"),
        }
    };
    assert_eq!(close.code, CloseCode::Policy);
}

#[test]
fn unanswered_pings_close_the_connection_after_the_pong_timeout() {
    let sim = start(SimConfig {
        ping_interval: Some(Duration::from_millis(50)),
        pong_timeout: Duration::from_millis(200),
        ..fixed(NOW)
    });
    let mut ws = connect(&sim);
    let mut pings = 0;
    let close = loop {
        match ws.read().expect("read") {
            Message::Close(frame) => break frame.expect("close frame"),
            Message::Ping(_) if pings < 200 => {
                pings += 1;
                // An empty pong is unsolicited: it replaces tungstenite's
                // queued echo and answers nothing.
                ws.send(Message::Pong(Vec::new().into())).expect("pong");
            }
            other => panic!("expected close 1008, got {other:?}"),
        }
    };
    assert_eq!((close.code, close.reason.as_str()), (CloseCode::Policy, "pong timeout"));
}

#[test]
fn echoed_pongs_keep_the_connection_through_a_ping_storm() {
    for storm in [0, 4] {
        let sim = start(pinging(storm));
        let mut ws = connect(&sim);
        let mut pings = 0;
        while pings < 3 * (storm + 1) {
            if let Message::Ping(_) = ws.read().expect("read") {
                pings += 1;
            }
        }
        let time = call(&mut ws, r#"{"id":1,"method":"time"}"#);
        assert_eq!(time["result"]["serverTime"], NOW);
        // An empty unsolicited pong is allowed (web-socket-api.md §"General API Information").
        ws.send(Message::Pong(Vec::new().into())).expect("pong");
        assert_eq!(call(&mut ws, r#"{"id":2,"method":"ping"}"#)["result"], json!({}));
    }
}

#[test]
fn server_shutdown_is_announced_after_n_orders_and_on_demand() {
    let faults = Faults { shutdown_after_orders: Some(2), ..Faults::default() };
    let sim = start(SimConfig { faults, ..fixed(NOW) });
    let mut ws = connect(&sim);
    assert_eq!(call(&mut ws, &limit_order("1", "sd-1", vec![]))["status"], 200);
    ws.send(Message::text(limit_order("2", "sd-2", vec![]))).expect("send");
    let mut got = [recv(&mut ws), recv(&mut ws)];
    got.sort_by_key(|m| m.get("event").is_some());
    assert_eq!(got[0]["status"], 200);
    assert_eq!(got[1], json!({"event": {"e": "serverShutdown", "E": NOW}}));

    let mut other = connect(&sim);
    sim.send_server_shutdown();
    assert_eq!(recv(&mut other)["event"]["e"], "serverShutdown");
    assert_eq!(recv(&mut ws)["event"]["e"], "serverShutdown");
}

#[test]
fn dropped_connection_mid_order_is_reconciled_with_order_status() {
    let faults = Faults { drop_after_orders: Some(2), ..Faults::default() };
    let sim = start(SimConfig { faults, ..fixed(NOW) });
    let mut ws = connect(&sim);
    assert_eq!(call(&mut ws, &limit_order("1", "drop-1", vec![]))["status"], 200);
    ws.send(Message::text(limit_order("2", "drop-2", vec![]))).expect("send");
    match ws.read() {
        Err(_) => {}
        Ok(message) => panic!("expected a dropped connection, got {message:?}"),
    }

    let mut ws = connect(&sim);
    let status = call(
        &mut ws,
        &signed(
            "order.status",
            "s",
            vec![("symbol", json!("BTCUSDT")), ("origClientOrderId", json!("drop-2")), ("timestamp", json!(NOW))],
        ),
    );
    assert_eq!(status["result"]["status"], "NEW", "{status}");
    let orders = sim.orders();
    assert_eq!(orders.iter().map(|o| (o.order_id, o.connection_id)).collect::<Vec<_>>(), [(1, 1), (2, 1)]);
    // A resend under the same client order id is not a second order.
    assert_eq!(error_code(&call(&mut ws, &limit_order("3", "drop-2", vec![]))), -2010);
}

#[test]
fn stalled_ack_leaves_the_order_unknown_until_status() {
    let faults = Faults { stall_order: Some(1), ..Faults::default() };
    let sim = start(SimConfig { faults, ..fixed(NOW) });
    let mut ws = connect(&sim);
    ws.send(Message::text(limit_order("stalled", "stall-1", vec![]))).expect("send");
    let query = signed(
        "order.status",
        "query",
        vec![("symbol", json!("BTCUSDT")), ("origClientOrderId", json!("stall-1")), ("timestamp", json!(NOW))],
    );
    // Answers keep request order, so the first answer being the query's
    // proves the order itself was never answered.
    let answer = call(&mut ws, &query);
    assert_eq!(answer["id"], "query");
    assert_eq!(answer["result"]["status"], "NEW");
    assert_eq!(sim.orders().len(), 1);
}

#[test]
fn fragmented_answers_reassemble_in_a_client_with_small_frames() {
    let small_frames = || Some(WebSocketConfig::default().max_frame_size(Some(64)));
    let plain = start(fixed(NOW));
    let mut ws = try_connect(&plain, "/ws-api/v3", small_frames()).expect("upgrade");
    ws.send(Message::text(limit_order("1", "frag-1", vec![]))).expect("send");
    assert!(ws.read().is_err(), "an unfragmented answer exceeds 64-byte frames");

    let faults = Faults { fragment: Some(16), ..Faults::default() };
    let sim = start(SimConfig { faults, ..fixed(NOW) });
    let mut ws = try_connect(&sim, "/ws-api/v3", small_frames()).expect("upgrade");
    let answer = call(&mut ws, &limit_order("1", "frag-1", vec![]));
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(answer["result"]["clientOrderId"], "frag-1");
}

#[test]
fn latency_delays_but_keeps_answer_order() {
    let faults = Faults { latency: Duration::from_millis(30), ..Faults::default() };
    let sim = start(SimConfig { faults, ..fixed(NOW) });
    let mut ws = connect(&sim);
    for id in 1..=3 {
        ws.send(Message::text(format!(r#"{{"id":{id},"method":"time"}}"#))).expect("send");
    }
    let ids: Vec<Value> = (0..3).map(|_| recv(&mut ws)["id"].clone()).collect();
    assert_eq!(ids, [1, 2, 3]);
}

#[test]
fn session_logon_with_ed25519_then_unsigned_orders() {
    let pair = Ed25519KeyPair::from_seed_unchecked(&[7; 32]).expect("seed");
    let public_key: [u8; 32] = pair.public_key().as_ref().try_into().expect("32 bytes");
    let ed = Ed25519Key { api_key: "ed-key".to_owned(), public_key };
    let sim = start(SimConfig { ed25519_keys: vec![ed], ..fixed(NOW) });
    let sign = |payload: &str| base64::engine::general_purpose::STANDARD.encode(pair.sign(payload.as_bytes()));
    let mut ws = connect(&sim);

    let order = json!({"id": "o", "method": "order.place", "params": {"symbol": "BTCUSDT", "side": "BUY",
        "type": "MARKET", "quantity": "1", "newClientOrderId": "ed-1", "timestamp": NOW}});
    assert_eq!(error_code(&call(&mut ws, &order.to_string())), -1102, "no session, no signature");

    let logon = |signature: String| {
        json!({"id": "l", "method": "session.logon",
               "params": {"apiKey": "ed-key", "timestamp": NOW, "signature": signature}})
        .to_string()
    };
    let payload = format!("apiKey=ed-key&timestamp={NOW}");
    assert_eq!(error_code(&call(&mut ws, &logon(sign("apiKey=ed-key&timestamp=1")))), -1022);
    let hmac_logon = signed("session.logon", "h", vec![("timestamp", json!(NOW))]);
    assert_eq!(error_code(&call(&mut ws, &hmac_logon)), -2015, "logon takes Ed25519 keys only");

    let session = call(&mut ws, &logon(sign(&payload)));
    assert_eq!(session["status"], 200, "{session}");
    assert_eq!(session["result"]["apiKey"], "ed-key");
    assert_eq!(session["result"]["authorizedSince"], NOW);
    assert_eq!(session["result"]["serverTime"], NOW);

    let placed = call(&mut ws, &order.to_string());
    assert_eq!(placed["status"], 200, "{placed}");
    // MARKET defaults to FULL, and takes the sim's default touch.
    assert_eq!(placed["result"]["fills"][0]["price"], "90000.01000000", "{placed}");

    // A per-request Ed25519 signature works without a session too.
    let mut other = connect(&sim);
    let params =
        format!("apiKey=ed-key&newClientOrderId=ed-2&quantity=1&side=SELL&symbol=BTCUSDT&timestamp={NOW}&type=MARKET");
    let request = json!({"id": "p", "method": "order.place", "params": {"symbol": "BTCUSDT", "side": "SELL",
        "type": "MARKET", "quantity": "1", "newClientOrderId": "ed-2", "timestamp": NOW, "apiKey": "ed-key",
        "signature": sign(&params)}});
    assert_eq!(call(&mut other, &request.to_string())["status"], 200);
    assert_eq!(sim.orders().iter().map(|o| o.connection_id).collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn wrong_path_is_refused_and_shutdown_closes_with_1001() {
    let sim = start(fixed(NOW));
    match try_connect(&sim, "/ws", None) {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 404),
        other => panic!("expected HTTP 404, got {:?}", other.map(|_| ())),
    }
    let mut ws = connect(&sim);
    let malformed = call(&mut ws, "{not json");
    assert_eq!((malformed["id"].clone(), malformed["status"].as_i64()), (Value::Null, Some(400)));
    sim.shutdown();
    match ws.read().expect("close") {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("expected close 1001, got {other:?}"),
    }
}
