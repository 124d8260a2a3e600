//! The `hotline-sim` binary as a user runs it: flags in, a CA file, a URL on
//! stdout and a journal out, checked with a rustls + tungstenite client that
//! trusts only the written CA.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio_tungstenite::tungstenite::{self, Message};

/// Kills the sim when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        // Already exited is fine.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn order(cid: &str, symbol: &str) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis();
    let payload = format!(
        "apiKey=cli-key&newClientOrderId={cid}&quantity=1&side=BUY&symbol={symbol}&timestamp={now}&type=MARKET"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(b"cli-secret").expect("key");
    mac.update(payload.as_bytes());
    json!({"id": cid, "method": "order.place", "params": {"apiKey": "cli-key", "newClientOrderId": cid,
        "quantity": "1", "side": "BUY", "symbol": symbol, "timestamp": now, "type": "MARKET",
        "signature": hex::encode(mac.finalize().into_bytes())}})
    .to_string()
}

#[test]
fn the_binary_serves_with_the_written_ca_and_journals_orders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ca, journal) = (dir.path().join("ca.pem"), dir.path().join("orders.jsonl"));
    let child = Command::new(env!("CARGO_BIN_EXE_hotline-sim"))
        .arg("--write-ca")
        .arg(&ca)
        .arg("--journal")
        .arg(&journal)
        .args(["--hmac-key", "cli-key:cli-secret", "--reject-symbol", "HALTED", "--ping-interval-ms", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("hotline-sim runs");
    let mut sim = Running(child);
    let mut stdout = BufReader::new(sim.0.stdout.take().expect("stdout")).lines();
    let url = stdout
        .by_ref()
        .map(|line| line.expect("stdout line"))
        .find_map(|line| line.strip_prefix("listening: ").map(str::to_owned))
        .expect("URL on stdout");
    let addr = url.strip_prefix("wss://").and_then(|rest| rest.strip_suffix("/ws-api/v3")).expect("URL shape");

    let mut roots = RootCertStore::empty();
    let pem = std::fs::read(&ca).expect("CA written before the URL is printed");
    roots.add(CertificateDer::from_pem_slice(&pem).expect("CA PEM")).expect("CA");
    let tls = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let conn = ClientConnection::new(Arc::new(tls), ServerName::try_from("127.0.0.1").expect("IP name")).expect("tls");
    let (mut ws, _) = tungstenite::client::client(url.as_str(), StreamOwned::new(conn, tcp)).expect("upgrade");
    let mut call = |request: String| -> Value {
        ws.send(Message::text(request)).expect("send");
        match ws.read().expect("answer") {
            Message::Text(text) => serde_json::from_str(text.as_str()).expect("JSON"),
            other => panic!("unexpected {other:?}"),
        }
    };

    let accepted = call(order("cli-1", "BTCUSDT"));
    assert_eq!(accepted["status"], 200, "{accepted}");
    let rejected = call(order("cli-2", "HALTED"));
    assert_eq!(rejected["error"]["code"], -2010, "{rejected}");

    let lines: Vec<Value> = std::fs::read_to_string(&journal)
        .expect("journal")
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON line"))
        .collect();
    // The MARKET order takes the default touch: its order line, then its fill.
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!((&lines[0]["clientOrderId"], &lines[0]["type"]), (&json!("cli-1"), &json!("MARKET")));
    assert_eq!(
        (&lines[1]["kind"], &lines[1]["clientOrderId"], &lines[1]["qty"]),
        (&json!("fill"), &json!("cli-1"), &json!("1.00000000"))
    );
    drop(stdout);
}

#[test]
fn a_malformed_key_flag_is_a_usage_error() {
    let status = Command::new(env!("CARGO_BIN_EXE_hotline-sim"))
        .args(["--ed25519-key", "k:not-hex"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("hotline-sim runs");
    assert_eq!(status.code(), Some(2));
}
