//! A blocking client for the sim built only on rustls, tungstenite, `hmac` and serde_json: connect to any path with
//! extra upgrade headers, read the next text or binary frame, and sign requests with the docs' HMAC key.

#![allow(dead_code, unreachable_pub, reason = "each test file uses a different part of the helpers")]

use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use hotline_sim::{DOC_API_KEY, DOC_SECRET_KEY, Sim, SimClock, SimConfig};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::HandshakeError;
use tokio_tungstenite::tungstenite::{self, Message, WebSocket};

pub type Client = WebSocket<StreamOwned<ClientConnection, TcpStream>>;

/// The frozen sim clock of most tests.
pub const NOW: i64 = 1_700_000_000_000;

/// A sim with a frozen clock: the price path stands still until `set_touch`.
pub fn fixed() -> SimConfig {
    SimConfig { clock: SimClock::Fixed { unix_ms: NOW }, ..SimConfig::default() }
}

pub fn try_connect(sim: &Sim, path: &str, headers: &[(&str, &str)]) -> Result<Client, tungstenite::Error> {
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
    let mut request = format!("wss://localhost:{}{path}", sim.addr().port()).into_client_request().expect("request");
    for (name, value) in headers {
        let name = tungstenite::http::HeaderName::from_bytes(name.as_bytes()).expect("header name");
        request.headers_mut().insert(name, value.parse().expect("header value"));
    }
    match tungstenite::client::client(request, stream) {
        Ok((client, _)) => Ok(client),
        Err(HandshakeError::Failure(e)) => Err(e),
        Err(HandshakeError::Interrupted(_)) => panic!("blocking handshake interrupted"),
    }
}

pub fn connect(sim: &Sim, path: &str) -> Client {
    try_connect(sim, path, &[]).expect("WebSocket upgrade")
}

pub fn api(sim: &Sim) -> Client {
    connect(sim, "/ws-api/v3")
}

/// The next text or binary message; pings are answered by tungstenite.
pub fn next(ws: &mut Client) -> Message {
    loop {
        match ws.read().expect("read") {
            Message::Ping(_) | Message::Pong(_) => {}
            other => return other,
        }
    }
}

/// The next text message, parsed.
pub fn recv(ws: &mut Client) -> Value {
    match next(ws) {
        Message::Text(text) => serde_json::from_str(text.as_str()).expect("JSON"),
        other => panic!("expected text, got {other:?}"),
    }
}

pub fn call(ws: &mut Client, request: &str) -> Value {
    ws.send(Message::text(request)).expect("send");
    recv(ws)
}

/// A request signed with the docs' HMAC key; the payload is built here: sorted `name=value`.
pub fn signed(method: &str, id: &str, mut params: Vec<(&str, Value)>) -> String {
    params.push(("apiKey", json!(DOC_API_KEY)));
    params.push(("timestamp", json!(NOW)));
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
